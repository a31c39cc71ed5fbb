"""Policy quantities from a fitted sign-up (or discharge) model.

Everything here is a function of a :class:`~recruitstats.models.rates.RateModelResult`
(and, for costs, the money columns of the panel); nothing refits.

Conventions (see ``docs/models.md``):

- A change to a lever multiplies its raw measure (yuan of publicity, allowance,
  visits) by a factor in every district and cycle used by the fit. Row ``i``'s
  expected outcome moves from ``m_i`` (the fitted value) to
  ``m_i * exp(sum_j b_j * (x'_ij - x_ij))`` where ``x'`` is the lever transform of the
  scaled measure: exactly ``log(factor)`` for logged measures, and
  ``log(1 + factor*(e^x - 1)) - x`` for ``log(1 + 100 v / E)`` measures. This is the
  model's own prediction, not a linear approximation.
- Per cycle means: summed over the rows used, divided by the number of cycles.
- Uncertainty comes from the lever coefficients only. The fitted values are held
  at the data (for a Poisson fit with district fixed effects they add up to the
  observed outcome whatever the coefficients). Intervals use the fit's critical
  values (t with G-1 degrees of freedom when clustered): by the delta method, or
  by simulation from the coefficient covariance (multivariate t, explicit seed).
"""

from __future__ import annotations

from typing import Literal, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError
from recruitstats.models.rates import LEVER_KIND, RateModelResult

__all__ = ["elasticities", "effect_of_increase", "cost_per_applicant", "scenario", "scaled_lever"]

Method = Literal["delta", "simulation"]


def scaled_lever(x: np.ndarray, kind: str, factor: float) -> np.ndarray:
    """The lever value after multiplying its raw measure by ``factor``.

    ``kind`` is ``"log"`` (``x = log(a v)``) or ``"log1p"`` (``x = log(1 + a v)``).
    """
    if factor <= 0:
        raise InputError(f"a lever can only be multiplied by a positive factor, not {factor}")
    x = np.asarray(x, dtype=float)
    if kind == "log":
        return x + np.log(factor)
    return np.log1p(factor * np.expm1(x))


def _used(result: RateModelResult) -> pd.DataFrame:
    return result.data.loc[result.rows_used]


def _crit(result: RateModelResult, level: float) -> float:
    df = result.df_t
    q = 0.5 + level / 2
    return float(stats.norm.ppf(q) if not np.isfinite(df) else stats.t.ppf(q, df))


def _check_levers(result: RateModelResult, levers) -> list[str]:
    out = []
    for lever in levers:
        if lever not in result.levers:
            raise InputError(f"{lever!r} is not a lever of this model (levers: {', '.join(result.levers)})")
        if lever not in result.params.index:
            reason = result.not_identified.get(lever, "not identified")
            raise InputError(f"the effect of {lever} is not identified in this model ({reason}); "
                             "no prediction can be made for a change to it")
        out.append(lever)
    return out


def _draws(result: RateModelResult, levers: list[str], reps: int, seed: int | None) -> np.ndarray:
    """Coefficient draws (reps x levers) from a multivariate t (normal when df is infinite)."""
    if seed is None:
        raise InputError("simulation intervals need an explicit seed (seed=...)")
    rng = np.random.default_rng(seed)
    b = result.params[levers].to_numpy(float)
    cov = result.cov.loc[levers, levers].to_numpy(float)
    z = rng.multivariate_normal(np.zeros(len(levers)), cov, size=reps, method="eigh")
    df = result.df_t
    if np.isfinite(df):
        z = z / np.sqrt(rng.chisquare(df, size=(reps, 1)) / df)
    return b + z


def _changes_matrix(result: RateModelResult, changes: Mapping[str, float]) -> tuple[list[str], np.ndarray]:
    """Levers changed and the change in each lever value (rows x levers)."""
    levers = _check_levers(result, changes)
    used = _used(result)
    dx = np.column_stack([
        scaled_lever(used[lv].to_numpy(float), LEVER_KIND[lv][result.measures[lv]], float(changes[lv]))
        - used[lv].to_numpy(float) for lv in levers]) if levers else np.zeros((len(used), 0))
    return levers, dx


def _total(result: RateModelResult, levers: list[str], dx: np.ndarray, *, method: Method, level: float,
           reps: int, seed: int | None) -> dict[str, float]:
    """Predicted outcome per cycle after the change, with its interval."""
    m = result.fitted.to_numpy(float)
    n_cycles = result.n_cycles
    b = result.params[levers].to_numpy(float)
    ratio = np.exp(dx @ b)
    predicted = float(m @ ratio) / n_cycles
    baseline = float(m.sum()) / n_cycles
    if method == "delta":
        grad = (m * ratio) @ dx / n_cycles
        cov = result.cov.loc[levers, levers].to_numpy(float)
        se = float(np.sqrt(grad @ cov @ grad))
        c = _crit(result, level)
        low, high = predicted - c * se, predicted + c * se
    elif method == "simulation":
        draws = _draws(result, levers, reps, seed)
        block = max(1, 5_000_000 // max(len(m), 1))  # keep rows x draws near 40 MB
        sims = np.concatenate([np.exp(dx @ draws[i:i + block].T).T @ m
                               for i in range(0, len(draws), block)]) / n_cycles
        se = float(sims.std(ddof=1))
        low, high = (float(v) for v in np.quantile(sims, [0.5 - level / 2, 0.5 + level / 2]))
    else:
        raise InputError(f"method must be 'delta' or 'simulation', not {method!r}")
    return {"baseline": baseline, "predicted": predicted, "se": se, "ci_low": low, "ci_high": high}


def scenario(
    result: RateModelResult,
    *,
    changes: Mapping[str, float],
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.Series:
    """Predicted outcome per cycle when levers are multiplied by the given factors (jointly).

    Parameters
    ----------
    result : fitted model.
    changes : lever -> multiplicative factor, e.g. ``{"publicity": 1.2, "outreach": 0.9}``.
    method : ``"delta"`` or ``"simulation"`` (then ``seed`` is required).
    level : interval level (default: the result's).

    Returns
    -------
    Series with ``baseline`` (fitted per cycle), ``predicted``, ``change`` (predicted - baseline),
    ``se``, ``ci_low``/``ci_high`` (predicted) and ``change_ci_low``/``change_ci_high``.
    """
    level = result.level if level is None else level
    levers, dx = _changes_matrix(result, changes)
    out = _total(result, levers, dx, method=method, level=level, reps=reps, seed=seed)
    out["change"] = out["predicted"] - out["baseline"]
    out["change_ci_low"] = out["ci_low"] - out["baseline"]
    out["change_ci_high"] = out["ci_high"] - out["baseline"]
    return pd.Series(out)[["baseline", "predicted", "change", "se", "ci_low", "ci_high",
                           "change_ci_low", "change_ci_high"]]


def effect_of_increase(
    result: RateModelResult,
    *,
    pct: float = 10,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Additional outcomes per cycle (applicants for the sign-up model) from +pct% on each lever alone.

    Returns
    -------
    DataFrame indexed by identified lever: ``baseline`` and ``predicted`` per cycle,
    ``additional`` (their difference), ``relative`` (additional / baseline), ``se``,
    ``ci_low``, ``ci_high`` (of ``additional``). Levers not identified are listed in
    ``.attrs["not_computed"]`` with the reason.
    """
    level = result.level if level is None else level
    rows = {}
    for lever in result.identified_levers:
        s = scenario(result, changes={lever: 1 + pct / 100}, method=method, level=level, reps=reps,
                     seed=seed)
        rows[lever] = {"baseline": s["baseline"], "predicted": s["predicted"], "additional": s["change"],
                       "relative": s["change"] / s["baseline"], "se": s["se"],
                       "ci_low": s["change_ci_low"], "ci_high": s["change_ci_high"]}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["baseline", "predicted", "additional", "relative", "se", "ci_low",
                                          "ci_high"])
    out.index.name = "lever"
    out.attrs["not_computed"] = {lv: result.not_identified.get(lv, "not identified")
                                 for lv in result.levers if lv not in result.identified_levers}
    out.attrs.update(pct=pct, method=method, level=level, per="cycle (summed over districts)")
    return out


def elasticities(result: RateModelResult, *, level: float | None = None) -> pd.DataFrame:
    """Elasticity of the expected outcome with respect to each lever's raw measure.

    For logged measures (publicity spend, the allowance) the coefficient is the
    elasticity. For ``log(1 + 100 v / E)`` measures (outreach, publicity channels) the
    elasticity at row ``i`` is ``b * (100 v/E) / (1 + 100 v/E)``; the value reported is
    its average over the rows used, weighted by the fitted outcome. Both are linear in
    ``b``, so the delta method is exact: se = |factor| * se(b).

    Returns
    -------
    DataFrame indexed by lever with ``elasticity``, ``se``, ``ci_low``, ``ci_high``,
    ``p_value`` and ``at`` (how it is evaluated).
    """
    level = result.level if level is None else level
    used = _used(result)
    w = result.fitted.to_numpy(float)
    c = _crit(result, level)
    rows = {}
    for lever in result.identified_levers:
        kind = LEVER_KIND[lever][result.measures[lever]]
        if kind == "log":
            factor, at = 1.0, "constant (log-log)"
        else:
            x = used[lever].to_numpy(float)
            factor = float(np.sum(w * -np.expm1(-x)) / np.sum(w))
            at = "average at the data, weighted by fitted outcome"
        b, se = float(result.params[lever]), float(result.se[lever])
        e, e_se = factor * b, abs(factor) * se
        rows[lever] = {"elasticity": e, "se": e_se, "ci_low": e - c * e_se, "ci_high": e + c * e_se,
                       "p_value": float(result.pvalues[lever]), "at": at}
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["elasticity", "se", "ci_low", "ci_high", "p_value", "at"])
    out.index.name = "lever"
    out.attrs["not_computed"] = {lv: result.not_identified.get(lv, "not identified")
                                 for lv in result.levers if lv not in result.identified_levers}
    out.attrs["level"] = level
    return out


def cost_per_applicant(
    result: RateModelResult,
    panel: pd.DataFrame | None = None,
    *,
    cost_per_visit: float | None = None,
    pct: float = 10,
    allowance_years: float = 1.0,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Yuan per additional applicant from raising each lever by ``pct`` percent at current levels.

    - publicity: the extra publicity spending (``pct``% of ``publicity_spend``);
    - stipend: the extra allowance paid to ALL recruits, not only the marginal ones:
      ``enlisted x allowance increase x allowance_years`` (the allowance is yuan per
      year; conscripts serve two years, so ``allowance_years=2`` gives the cost of a
      cohort's whole service);
    - outreach: extra visits x ``cost_per_visit`` (yuan, supplied by the user; when
      None the cost is not computed and ``note`` says so).

    Costs and applicants are per cycle, summed over the districts used by the fit.
    The interval maps the interval of additional applicants through cost / applicants
    (a decreasing function): when the interval of additional applicants reaches zero
    the upper bound is infinite.

    Parameters
    ----------
    result : a fitted sign-up model.
    panel : the panel the model was fitted on; needed only if the model's rows lack
        ``enlisted`` (stipend cost). Rows are matched by index.

    Returns
    -------
    DataFrame indexed by lever: ``extra_cost`` and ``additional_applicants`` per cycle,
    ``cost_per_applicant``, ``ci_low``, ``ci_high``, ``note``.
    """
    if result.model != "signup":
        raise InputError("cost per applicant needs a sign-up model (fit_signup)")
    if cost_per_visit is not None and not cost_per_visit >= 0:
        raise InputError(f"cost_per_visit must be a non-negative number of yuan, not {cost_per_visit!r}")
    level = result.level if level is None else level
    effect = effect_of_increase(result, pct=pct, method=method, level=level, reps=reps, seed=seed)
    used = _used(result)
    n_cycles = result.n_cycles
    share = pct / 100
    rows = {}
    for lever in result.levers:
        note = ""
        cost = np.nan
        measure = result.measures[lever]
        if lever not in effect.index:
            note = f"effect not identified ({result.not_identified.get(lever, 'not identified')})"
        elif lever == "publicity":
            if measure == "spend":
                cost = share * float(used["publicity_spend"].sum()) / n_cycles
            else:
                note = f"publicity measured as {measure}: no cost in yuan is known for it"
        elif lever == "stipend":
            enlisted = _column(used, panel, "enlisted")
            if enlisted is None:
                note = "the data have no enlisted column: the allowance bill cannot be computed"
            elif enlisted.isna().any():
                note = f"enlisted is missing in {int(enlisted.isna().sum())} row(s) used by the fit"
            else:
                bill = float((enlisted * used["family_allowance"].astype(float)).sum())
                cost = share * bill * allowance_years / n_cycles
        elif lever == "outreach":
            if cost_per_visit is None:
                note = "cost_per_visit not given: cost not computed"
            else:
                cost = share * float(used[_outreach_column(measure)].sum()) * cost_per_visit / n_cycles
                if measure != "door_visits":
                    note = f"cost_per_visit applied per unit of {measure}"
        add = effect.loc[lever] if lever in effect.index else None
        row = {"extra_cost": cost, "additional_applicants": np.nan if add is None else add["additional"],
               "cost_per_applicant": np.nan, "ci_low": np.nan, "ci_high": np.nan, "note": note}
        if add is not None and np.isfinite(cost):
            a, lo, hi = add["additional"], add["ci_low"], add["ci_high"]
            row["cost_per_applicant"] = cost / a if a > 0 else np.nan
            if hi <= 0:
                row["note"] = "no additional applicants expected: cost per applicant undefined"
            else:
                row["ci_low"] = cost / hi
                row["ci_high"] = cost / lo if lo > 0 else np.inf
                if lo <= 0:
                    row["note"] = "interval of additional applicants includes zero: upper bound unbounded"
            if a <= 0 and hi > 0:
                row["note"] = "point estimate shows no gain: cost per applicant undefined"
        rows[lever] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=[
        "extra_cost", "additional_applicants", "cost_per_applicant", "ci_low", "ci_high", "note"])
    out.index.name = "lever"
    out.attrs.update(pct=pct, method=method, level=level, allowance_years=allowance_years,
                     cost_per_visit=cost_per_visit, unit="yuan per additional applicant, per cycle")
    return out


def _outreach_column(measure: str) -> str:
    return measure


def _column(used: pd.DataFrame, panel: pd.DataFrame | None, name: str) -> pd.Series | None:
    if name in used:
        return pd.to_numeric(used[name], errors="coerce").astype(float)
    if panel is None or name not in panel:
        return None
    missing = used.index.difference(panel.index)
    if len(missing):
        raise InputError("the panel given does not hold the rows the model was fitted on "
                         f"({len(missing)} row label(s) missing); pass the same panel")
    return pd.to_numeric(panel.loc[used.index, name], errors="coerce").astype(float)
