"""Policy quantities, written once from a result's predictions (as marginaleffects and Stata ``margins`` do).

Every quantity here is a difference or a derivative of ``result.predict`` through
the model's own link, so it is right for Poisson, binomial logit and Cox alike;
nothing uses a formula of one family. A result takes part by answering the
protocol of :mod:`recruitstats.results` (``params``, ``cov``, ``link``, ``_design``).

- :func:`slopes`: average marginal effects ``dydx``, elasticities ``eyex``,
  semi-elasticities ``eydx`` and ``dyex`` of any term, averaged per row (``"mean"``,
  what Stata and marginaleffects report) or weighted by the fitted outcome
  (``"fitted"``: the elasticity of the total expected outcome);
- :func:`elasticities`: ``eyex`` of each lever with respect to its raw column
  (publicity spending, the allowance, door visits), fitted-weighted by default;
- :func:`scenario` and :func:`effect_of_increase`: expected outcome per cycle when
  levers are multiplied by factors, summed over the rows (districts) and divided by
  the number of cycles;
- :func:`cost_per_applicant` and :func:`cost_per_avoided_return`: yuan per
  additional applicant (or per return avoided) from "+x%" of each lever, priced by
  the lever registry's ``cost`` rule.

Intervals: the delta method with exact gradients of the predictions (default), or
simulation of the coefficients from their covariance (multivariate t with the
result's degrees of freedom; explicit seed). Fixed effects are held at their
estimates. Each output's ``attrs`` say how it was averaged.
"""

from __future__ import annotations

from typing import Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError
from recruitstats.levers import LEVERS, Lever
from recruitstats.results import Design, critical_value

__all__ = ["slopes", "elasticities", "scenario", "effect_of_increase", "cost_per_applicant",
           "cost_per_avoided_return", "lever_cost"]

Method = Literal["delta", "simulation"]
Slope = Literal["dydx", "eyex", "eydx", "dyex"]
Averaging = Literal["mean", "fitted"]

_AVERAGING = {"mean": "mean over rows (each row weighs the same, as Stata margins)",
              "fitted": "weighted by the fitted outcome (elasticity of the total expected outcome)"}


# --- inference for any function of the coefficients -----------------------------

def _draws(result, reps: int, seed: int | None) -> np.ndarray:
    """Coefficient draws (reps x k) from a multivariate t (normal when df is infinite)."""
    if seed is None:
        raise InputError("simulation intervals need an explicit seed (seed=...)")
    rng = np.random.default_rng(seed)
    b = result.params.to_numpy(float)
    z = rng.multivariate_normal(np.zeros(len(b)), result.cov.to_numpy(float), size=reps, method="eigh")
    df = getattr(result, "df_t", float("inf"))
    if df is not None and np.isfinite(df):
        z = z / np.sqrt(rng.chisquare(df, size=(reps, 1)) / df)
    return b + z


def _infer(result, value: Callable[[np.ndarray], np.ndarray], grad: Callable[[np.ndarray], np.ndarray], *,
           method: Method, level: float, reps: int, seed: int | None) -> pd.DataFrame:
    """Estimate, se and interval of each element of ``value(b)`` (gradient ``grad(b)``: m x k)."""
    b = result.params.to_numpy(float)
    est = np.atleast_1d(value(b))
    if method == "delta":
        g = np.atleast_2d(grad(b))
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", g, result.cov.to_numpy(float), g), 0))
        c = critical_value(level, getattr(result, "df_t", None))
        return pd.DataFrame({"estimate": est, "se": se, "ci_low": est - c * se, "ci_high": est + c * se})
    if method != "simulation":
        raise InputError(f"method must be 'delta' or 'simulation', not {method!r}")
    sims = np.array([np.atleast_1d(value(d)) for d in _draws(result, reps, seed)])
    lo, hi = np.quantile(sims, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    return pd.DataFrame({"estimate": est, "se": sims.std(axis=0, ddof=1), "ci_low": lo, "ci_high": hi})


def _pvalue(est: np.ndarray, se: np.ndarray, df: float | None) -> np.ndarray:
    from recruitstats.inference import two_sided_p

    return two_sided_p(np.asarray(est, float) / np.where(np.asarray(se) > 0, se, np.nan), df)


# --- rows and terms ------------------------------------------------------------------

def _level(result, level: float | None) -> float:
    return getattr(result, "level", 0.95) if level is None else level


def _rows(result, data: pd.DataFrame | None) -> tuple[Design, pd.DataFrame]:
    """Design of the rows (default: those used by the fit) and the rows themselves."""
    design = result._design(data)
    rows = result.data.loc[result.rows_used] if data is None else data
    return design, rows


def _n_cycles(rows: pd.DataFrame) -> int:
    if "cycle" in rows:
        return max(1, int(rows["cycle"].nunique()))
    if {"year", "half"} <= set(rows.columns):
        return max(1, int(rows.groupby(["year", "half"]).ngroups))
    return 1


def _check_terms(result, terms: Sequence[str]) -> list[str]:
    out = []
    for term in terms:
        if term not in result.params.index:
            reason = getattr(result, "not_identified", {}).get(term)
            if reason:
                raise InputError(f"the effect of {term} is not identified in this model ({reason})")
            raise InputError(f"{term!r} is not a term of this model (terms: {', '.join(result.params.index)})")
        out.append(term)
    return out


def _lever_of(result, term: str) -> Lever | None:
    return LEVERS.get(term) if term in getattr(result, "levers", ()) else None


def _not_computed(result) -> dict[str, str]:
    levers = getattr(result, "levers", ())
    return {lv: result.not_identified.get(lv, "not identified") for lv in levers if lv not in result.params.index}


# --- slopes and elasticities ------------------------------------------------------------

def _row_slopes(result, d: Design, j: int, s: np.ndarray, slope: Slope, b: np.ndarray):
    """Per-row slope of term j and its gradient (rows x k)."""
    link = result.link
    eta = d.eta(b)
    mu, d1, d2 = link.mean(eta, d.n), link.d1(eta, d.n), link.d2(eta, d.n)
    if slope in ("dydx", "dyex"):
        a, da = d1, d2                          # derivative of mu in eta, and its derivative
    else:
        a = d1 / mu
        da = (d2 * mu - d1 ** 2) / mu ** 2      # derivative of d log mu / d eta
    scale = s if slope in ("eyex", "dyex") else np.ones_like(s)
    J = d.jacobian()
    value = a * b[j] * scale
    grad = (da * b[j] * scale)[:, None] * J
    grad[:, j] += a * scale
    return value, grad, mu, d1, J


def _average(value, grad, mu, d1, J, averaging: Averaging):
    if averaging == "mean":
        return value.mean(), grad.mean(axis=0)
    if averaging != "fitted":
        raise InputError(f"averaging must be 'mean' or 'fitted', not {averaging!r}")
    m = mu.sum()
    est = (mu * value).sum() / m
    dm = d1[:, None] * J
    return est, ((dm * value[:, None]).sum(axis=0) + (mu[:, None] * grad).sum(axis=0)) / m \
        - est * dm.sum(axis=0) / m


def slopes(
    result,
    *,
    terms: Sequence[str] | None = None,
    slope: Slope = "dydx",
    averaging: Averaging = "mean",
    data: pd.DataFrame | None = None,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Average marginal effects of terms on the expected outcome, through the model's link.

    Parameters
    ----------
    result : any result of the protocol that predicts.
    terms : model terms (default: every term but an intercept).
    slope : ``"dydx"`` (change in the expected outcome per unit of the term, as entered),
        ``"eyex"`` (elasticity with respect to the term's raw measure: for a lever its
        column, e.g. publicity spending; for another term the term itself), ``"eydx"``
        (proportional change per unit of the term) or ``"dyex"``.
    averaging : ``"mean"`` over rows (Stata ``margins``, marginaleffects) or ``"fitted"``
        (weighted by the fitted outcome).
    data : rows to average over (default: the rows used by the fit).
    method : ``"delta"`` (exact gradients; t(G-1) critical values when clustered) or
        ``"simulation"`` (then ``seed`` is required).

    Returns
    -------
    DataFrame indexed by term: estimate, se, ci_low, ci_high, p_value; ``attrs`` give
    slope, averaging and level.
    """
    level = _level(result, level)
    terms = _check_terms(result, terms or [t for t in result.params.index if t != "(intercept)"])
    d, _ = _rows(result, data)
    b0 = result.params.to_numpy(float)
    rows = []
    for term in terms:
        j = list(result.params.index).index(term)
        lever = _lever_of(result, term)
        x = d.X[:, j]
        s = lever.dx_dlogv(x) if lever is not None else x

        def value(b, j=j, s=s):
            return _average(*_row_slopes(result, d, j, s, slope, b), averaging)[0]

        def grad(b, j=j, s=s):
            return _average(*_row_slopes(result, d, j, s, slope, b), averaging)[1]

        rows.append(_infer(result, value, grad, method=method, level=level, reps=reps, seed=seed))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["estimate", "se", "ci_low",
                                                                                 "ci_high"])
    out.index = pd.Index(terms, name="term")
    out["p_value"] = _pvalue(out["estimate"], out["se"], getattr(result, "df_t", None))
    out.attrs.update(slope=slope, averaging=_AVERAGING[averaging], level=level, nobs=len(d.index),
                     parameters=dict(zip(result.params.index, b0)))
    return out


def elasticities(result, *, levers: Sequence[str] | None = None, averaging: Averaging = "fitted",
                 data: pd.DataFrame | None = None, method: Method = "delta", level: float | None = None,
                 reps: int = 4000, seed: int | None = None) -> pd.DataFrame:
    """Elasticity of the expected outcome with respect to each lever's raw column.

    ``d log E[y] / d log v`` where ``v`` is publicity spending, the allowance, door
    visits... computed from the model's predictions, so a logit gives ``b (1 - p)``
    per row and a Poisson model ``b`` for a logged lever. The default averaging is
    weighted by the fitted outcome: the elasticity of the total expected outcome of
    the rows (all districts raising the lever by 1%).

    Returns
    -------
    DataFrame indexed by identified lever: estimate, se, ci_low, ci_high, p_value, at.
    Levers not identified are in ``attrs["not_computed"]`` with the reason.
    """
    levers = [lv for lv in (levers or result.levers) if lv in result.params.index]
    out = slopes(result, terms=levers, slope="eyex", averaging=averaging, data=data, method=method,
                 level=level, reps=reps, seed=seed)
    out.index.name = "lever"
    out["at"] = _AVERAGING[averaging]
    out.attrs["not_computed"] = _not_computed(result)
    return out


# --- scenarios --------------------------------------------------------------------------

def _changed_design(result, d: Design, changes: Mapping[str, float]) -> Design:
    terms = _check_terms(result, list(changes))
    X1 = d.X.copy()
    for term in terms:
        j = list(result.params.index).index(term)
        lever = _lever_of(result, term)
        factor = float(changes[term])
        if not factor > 0:
            raise InputError(f"a lever can only be multiplied by a positive factor, not {factor}")
        X1[:, j] = lever.scaled(d.X[:, j], factor) if lever is not None else d.X[:, j] * factor
    return Design(X1, d.base, d.n, d.index, d.dbase, d.b0)


def _totals(result, designs: Sequence[Design], per: float):
    """Sum of predictions of each design (divided by ``per``), and its gradient."""
    link = result.link

    def value(b):
        return np.array([link.mean(d.eta(b), d.n).sum() for d in designs]) / per

    def grad(b):
        return np.array([(link.d1(d.eta(b), d.n)[:, None] * d.jacobian()).sum(axis=0)
                         for d in designs]) / per

    return value, grad


def scenario(
    result,
    *,
    changes: Mapping[str, float],
    data: pd.DataFrame | None = None,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.Series:
    """Expected outcome per cycle when levers are multiplied by factors (jointly), from ``predict``.

    Parameters
    ----------
    result : a fitted rate model (any family).
    changes : lever -> multiplicative factor of its column, e.g. ``{"publicity": 1.3, "outreach": 2}``.
    data : rows the change applies to (default: every row used by the fit); e.g. one
        city's rows for a city scenario.
    method : ``"delta"`` or ``"simulation"`` (then ``seed`` is required).

    Returns
    -------
    Series: ``baseline`` and ``predicted`` (sums over the rows, per cycle), ``change``,
    ``se``, ``ci_low``/``ci_high`` (of predicted) and ``change_ci_low``/``change_ci_high``.
    """
    level = _level(result, level)
    d0, rows = _rows(result, data)
    d1 = _changed_design(result, d0, changes)
    value, grad = _totals(result, [d0, d1], _n_cycles(rows))

    def both(b):
        v = value(b)
        return np.array([v[1], v[1] - v[0]])

    def both_grad(b):
        g = grad(b)
        return np.vstack([g[1], g[1] - g[0]])

    inf = _infer(result, both, both_grad, method=method, level=level, reps=reps, seed=seed)
    baseline = float(value(result.params.to_numpy(float))[0])
    p, c = inf.iloc[0], inf.iloc[1]
    out = pd.Series({"baseline": baseline, "predicted": p["estimate"], "change": c["estimate"], "se": c["se"],
                     "ci_low": p["ci_low"], "ci_high": p["ci_high"], "change_ci_low": c["ci_low"],
                     "change_ci_high": c["ci_high"]})
    out.attrs.update(per="cycle (summed over the rows' districts)", method=method, level=level,
                     changes=dict(changes))
    return out


def effect_of_increase(
    result,
    *,
    pct: float = 10,
    data: pd.DataFrame | None = None,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Additional outcomes per cycle (applicants, returns) from +pct% on each lever alone.

    Returns
    -------
    DataFrame indexed by identified lever: ``baseline`` and ``predicted`` per cycle,
    ``additional`` (their difference), ``relative`` (additional / baseline), ``se``,
    ``ci_low``, ``ci_high`` (of ``additional``). Levers not identified are listed in
    ``attrs["not_computed"]`` with the reason.
    """
    level = _level(result, level)
    rows = {}
    for lever in [lv for lv in result.levers if lv in result.params.index]:
        s = scenario(result, changes={lever: 1 + pct / 100}, data=data, method=method, level=level,
                     reps=reps, seed=seed)
        rows[lever] = {"baseline": s["baseline"], "predicted": s["predicted"], "additional": s["change"],
                       "relative": s["change"] / s["baseline"], "se": s["se"],
                       "ci_low": s["change_ci_low"], "ci_high": s["change_ci_high"]}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["baseline", "predicted", "additional",
                                                                 "relative", "se", "ci_low", "ci_high"])
    out.index.name = "lever"
    out.attrs.update(not_computed=_not_computed(result), pct=pct, method=method, level=level,
                     averaging="summed over the rows' districts, per cycle")
    return out


# --- costs ------------------------------------------------------------------------------

def lever_cost(lever: Lever, rows: pd.DataFrame, *, pct: float, unit_costs: Mapping[str, float] | None,
               allowance_years: float, n_cycles: int) -> tuple[float, str]:
    """Yuan per cycle that +pct% of a lever costs over the rows, and a note when it cannot be priced.

    ``spend``: pct% of the column; ``per_payee``: pct% of the column paid to every payee
    (for a yearly allowance, times ``allowance_years``); ``per_unit``: pct% more units
    times ``unit_costs[column]``.
    """
    share = pct / 100
    col = pd.to_numeric(rows[lever.column], errors="coerce").astype(float) if lever.column in rows else None
    if col is None or col.isna().any():
        return np.nan, f"{lever.column} is missing in the rows used: the cost cannot be computed"
    if lever.cost == "spend":
        return share * float(col.sum()) / n_cycles, ""
    if lever.cost == "per_payee":
        if lever.payees not in rows or rows[lever.payees].isna().any():
            return np.nan, f"the data have no complete {lever.payees} column: the bill cannot be computed"
        years = allowance_years if lever.group == "stipend" and lever.column == "family_allowance" else 1.0
        bill = float((pd.to_numeric(rows[lever.payees]).astype(float) * col).sum())
        return share * bill * years / n_cycles, ""
    unit = (unit_costs or {}).get(lever.column)
    if unit is None:
        return np.nan, f"no unit cost for {lever.column} (unit_costs in the project config): cost not computed"
    if not unit >= 0:
        raise InputError(f"the unit cost of {lever.column} must be a non-negative number of yuan, not {unit!r}")
    return share * float(col.sum()) * float(unit) / n_cycles, ""


def _cost_per_outcome(result, *, sign: float, what: str, data, unit_costs, pct, allowance_years, method,
                      level, reps, seed) -> pd.DataFrame:
    level = _level(result, level)
    effect = effect_of_increase(result, pct=pct, data=data, method=method, level=level, reps=reps, seed=seed)
    _, rows_used = _rows(result, data)
    n_cycles = _n_cycles(rows_used)
    rows = {}
    for lever in result.levers:
        cost, note = lever_cost(LEVERS[lever], rows_used, pct=pct, unit_costs=unit_costs,
                                allowance_years=allowance_years, n_cycles=n_cycles)
        row = {"extra_cost": cost, what: np.nan, "cost_per_unit": np.nan, "ci_low": np.nan, "ci_high": np.nan,
               "note": note}
        if lever not in effect.index:
            row["note"] = f"effect not identified ({result.not_identified.get(lever, 'not identified')})"
        else:
            e = effect.loc[lever]
            gain, lo, hi = sign * e["additional"], *sorted((sign * e["ci_low"], sign * e["ci_high"]))
            row[what] = gain
            if np.isfinite(cost):
                row.update(_cost_interval(cost, gain, lo, hi))
        rows[lever] = row
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["extra_cost", what, "cost_per_unit", "ci_low",
                                                                 "ci_high", "note"])
    out.index.name = "lever"
    out.attrs.update(pct=pct, method=method, level=level, allowance_years=allowance_years,
                     unit_costs=dict(unit_costs or {}), averaging="sums over the rows' districts, per cycle")
    return out


def _cost_interval(cost: float, gain: float, lo: float, hi: float) -> dict:
    """cost / gain with the gain's interval mapped through the decreasing function cost / x."""
    out = {"cost_per_unit": cost / gain if gain > 0 else np.nan, "note": ""}
    if hi <= 0:
        out["note"] = "no gain expected: cost per unit undefined"
        return out
    out["ci_low"] = cost / hi
    out["ci_high"] = cost / lo if lo > 0 else np.inf
    if lo <= 0:
        out["note"] = "interval of the gain includes zero: upper bound unbounded"
    if gain <= 0:
        out["note"] = "point estimate shows no gain: cost per unit undefined"
    return out


def cost_per_applicant(
    result,
    panel: pd.DataFrame | None = None,
    *,
    unit_costs: Mapping[str, float] | None = None,
    cost_per_visit: float | None = None,
    pct: float = 10,
    allowance_years: float = 1.0,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Yuan per additional applicant from raising each lever by ``pct`` percent at current levels.

    Costs come from the lever registry: publicity spending is its own cost; the
    allowance is paid to ALL recruits (``enlisted x increase x allowance_years``; the
    allowance is yuan per year and conscripts serve two years); counts (door visits,
    SMS...) cost ``unit_costs[column]`` yuan each (``cost_per_visit`` is the door-visit
    shorthand). Costs and applicants are per cycle, summed over the districts used.
    The interval maps the interval of additional applicants through cost / applicants.

    Parameters
    ----------
    panel : rows to compute over (default: the rows used by the fit).

    Returns
    -------
    DataFrame indexed by lever: ``extra_cost``, ``additional_applicants``,
    ``cost_per_applicant``, ``ci_low``, ``ci_high``, ``note``.
    """
    if result.model != "signup" and result.outcome != "applicants":
        raise InputError("cost per applicant needs a sign-up model (fit_signup)")
    costs = dict(unit_costs or {})
    if cost_per_visit is not None:
        costs["door_visits"] = cost_per_visit
    data = None if panel is None else panel.loc[panel.index.intersection(result.rows_used)]
    out = _cost_per_outcome(result, sign=1.0, what="additional_applicants", data=data, unit_costs=costs,
                            pct=pct, allowance_years=allowance_years, method=method, level=level, reps=reps,
                            seed=seed)
    out.attrs["unit"] = "yuan per additional applicant, per cycle"
    return out.rename(columns={"cost_per_unit": "cost_per_applicant"})


def cost_per_avoided_return(
    result,
    *,
    unit_costs: Mapping[str, float] | None = None,
    pct: float = 10,
    allowance_years: float = 1.0,
    data: pd.DataFrame | None = None,
    method: Method = "delta",
    level: float | None = None,
    reps: int = 4000,
    seed: int | None = None,
) -> pd.DataFrame:
    """Yuan per early return avoided by raising each lever by ``pct`` percent (discharge model).

    Same costing as :func:`cost_per_applicant`; the gain is the predicted fall in
    returns per cycle (a lever that raises returns has no cost per avoided return).

    Returns
    -------
    DataFrame indexed by lever: ``extra_cost``, ``avoided_returns``,
    ``cost_per_avoided_return``, ``ci_low``, ``ci_high``, ``note``.
    """
    if result.outcome != "returned":
        raise InputError("cost per avoided return needs an early-discharge model (fit_discharge)")
    out = _cost_per_outcome(result, sign=-1.0, what="avoided_returns", data=data, unit_costs=unit_costs,
                            pct=pct, allowance_years=allowance_years, method=method, level=level, reps=reps,
                            seed=seed)
    out.attrs["unit"] = "yuan per avoided return, per cycle"
    return out.rename(columns={"cost_per_unit": "cost_per_avoided_return"})
