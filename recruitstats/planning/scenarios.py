"""Scenarios for next cycle: a district or a city changes its levers.

"If our city raises the allowance by 20%, publicity by 30% and doubles door
visits next cycle, how many applicants, and how many early returns?" The answer
comes from the fitted models' own predictions (``result.predict``, the policy
functions of :mod:`recruitstats.policy`), never from a separate formula:

- rows: each selected district's row in the latest cycle of the fitted data; next
  cycle is predicted as that cycle with the levers changed (the latest cycle's effect
  is carried forward; eligible youth and recruits as in the latest cycle);
- expected change: :func:`recruitstats.policy.scenario` (delta-method interval);
- prediction interval of next cycle's count: coefficients drawn from their
  covariance (multivariate t with the model's degrees of freedom), predictions
  through ``predict``'s design and link at each draw, the estimation error of the
  rows' fixed effects (quasi-likelihood variance per level: the latest cycle's effect
  carries that cycle's own noise), optionally a common shock for next cycle
  (``cycle_sd``), then outcome noise (log link: gamma-Poisson with variance
  ``a mu + c mu^2`` fitted to the residuals, which covers quasi-Poisson and negative
  binomial; logit: beta-binomial with the Pearson dispersion), all with an explicit seed.
  On panels with known means the 95% interval covered a new draw of the changed
  latest cycle in 92% of 400 replications (85% without the fixed effects' error).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.levers import LEVERS
from recruitstats.results import json_safe
from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["ScenarioResult", "next_cycle", "parse_change", "coefficient_draws", "predictive_draws",
           "fixed_effect_draws", "dispersion", "variance", "Variance"]

#: Other names a user may give a lever: its column, its Chinese label, common words.
_ALIASES = {"allowance": "stipend", "family_allowance": "stipend", "优待金": "stipend",
            "publicity_spend": "publicity", "宣传经费": "publicity", "宣传": "publicity",
            "door_visits": "outreach", "入户动员": "outreach", "visits": "outreach"}
_CHANGE = re.compile(r"^\s*([^=\s]+)\s*=\s*(?:([+-]?\d+(?:\.\d+)?)\s*[%％]|[x×*]\s*(\d+(?:\.\d+)?))\s*$")


def parse_change(text: str) -> tuple[str, float]:
    """``"publicity=+30%"`` -> ``("publicity", 1.3)``; ``"outreach=x2"`` -> ``("outreach", 2.0)``.

    A lever may be named by its registry name, its column (``door_visits``), or
    ``allowance``; the change is ``+N%``/``-N%`` or ``xF`` (a factor).
    """
    m = _CHANGE.match(str(text))
    if not m:
        raise InputError([Problem(f"cannot read the change {text!r}", column="--set",
                                  expected="lever=+30%, lever=-10% or lever=x2")])
    name, pct, factor = m.groups()
    lever = _ALIASES.get(name, name)
    if lever not in LEVERS:
        raise InputError([Problem(f"unknown lever {name!r} in {text!r}", column="--set",
                                  expected=", ".join([*LEVERS, "allowance"]))])
    value = 1 + float(pct) / 100 if pct is not None else float(factor)
    if not value > 0:
        raise InputError([Problem(f"{text!r} would make {lever} zero or negative", column="--set",
                                  expected="a change above -100%")])
    return lever, value


# --- draws: parameters, then outcomes ---------------------------------------------------

def coefficient_draws(result, reps: int, seed: int, *, cov: pd.DataFrame | None = None) -> np.ndarray:
    """Coefficients (reps x k) from a multivariate t with the result's df (normal when infinite).

    ``cov`` replaces the result's covariance (same terms), e.g. to see what more
    uncertainty about one lever would change.
    """
    if seed is None:
        raise InputError("prediction intervals need an explicit seed (seed=...)")
    rng = np.random.default_rng(seed)
    b = result.params.to_numpy(float)
    cov = result.cov if cov is None else cov.loc[result.params.index, result.params.index]
    z = rng.multivariate_normal(np.zeros(len(b)), cov.to_numpy(float), size=reps, method="eigh")
    df = getattr(result, "df_t", float("inf"))
    if df is not None and np.isfinite(df):
        z = z / np.sqrt(rng.chisquare(df, size=(reps, 1)) / df)
    return b + z


def predictive_draws(result, rows: pd.DataFrame, draws: np.ndarray,
                     shift: np.ndarray | None = None) -> np.ndarray:
    """Expected outcome of each row at each coefficient draw (reps x rows), through ``predict``'s design.

    Equal to ``result.predict(rows, params=b)`` for every draw ``b`` (tested), without
    rebuilding the design per draw. ``shift`` (reps x rows) is added to the linear predictor.
    """
    d = result._design(rows)
    eta = d.base[None, :] + draws @ d.X.T
    if d.dbase is not None:
        eta = eta + (draws - d.b0) @ d.dbase.T
    if shift is not None:
        eta = eta + shift
    return result.link.mean(eta, d.n[None, :])


def fixed_effect_draws(result, rows: pd.DataFrame, rng: np.random.Generator, reps: int,
                       var: Variance) -> np.ndarray:
    """Draws (reps x rows) of the estimation error of the rows' fixed effects, on the link scale.

    Each level's effect is treated as estimated from its own rows, independently across
    levels, with the sandwich variance ``sum(V) / sum(w)^2`` (``w`` the working weights of
    the fit: the fitted count for the log link, ``n p (1 - p)`` for the logit; ``V`` the
    outcome variance of :func:`variance`). With a
    cycle effect this matters: the latest cycle's effect carries that cycle's aggregate
    noise, as large as next cycle's own (without it the interval covers about 83%).
    """
    used = result.data.loc[result.rows_used]
    mu = result.fitted.to_numpy(float)
    n = used[result.exposure].to_numpy(float) if result.link.name == "logit" else None
    w = mu if n is None else mu * (1 - mu / n)
    parts = pd.DataFrame({"w": w, "v": var.of(mu, n)}, index=used.index)
    out = np.zeros((reps, len(rows)))
    for fe in result.fit.fixed_effects:
        if fe not in rows or fe not in used:
            continue
        sums = parts.groupby(used[fe].astype(str)).sum()
        levels = rows[fe].astype(str)
        lv = sums.reindex(levels.unique())
        sd = np.sqrt(lv["v"].to_numpy(float)) / lv["w"].to_numpy(float)
        codes = pd.Index(levels.unique()).get_indexer(levels)
        out += (rng.standard_normal((reps, len(sd))) * np.nan_to_num(sd))[:, codes]
    return out


def dispersion(result) -> float:
    """Pearson dispersion of a rate model: sum((y - mu)^2 / V(mu)) / residual df (at least 1)."""
    used = result.data.loc[result.rows_used]
    y = pd.to_numeric(used[result.outcome], errors="coerce").to_numpy(float)
    mu = result.fitted.to_numpy(float)
    var = mu
    if result.link.name == "logit":
        n = used[result.exposure].to_numpy(float)
        var = mu * (1 - mu / n)
    return max(float(np.sum((y - mu) ** 2 / np.maximum(var, 1e-300)) / _resid_df(result, used)), 1.0)


@dataclass(frozen=True)
class Variance:
    """Outcome variance of a fitted rate model: ``a mu + c mu^2`` (log link) or ``phi n p (1 - p)`` (logit).

    For the log link ``a`` and ``c`` are fitted to the squared residuals (least squares of
    ``(y - mu)^2 / mu`` on ``1, mu``, non-negative, with the residual-df correction): ``c = 0``
    is the quasi-Poisson variance, ``a = 1`` the negative binomial's. Counts of big districts
    are often overdispersed in proportion to their size, which quasi-Poisson understates.
    """

    link: str
    a: float
    c: float = 0.0

    def of(self, mu: np.ndarray, n: np.ndarray | None = None) -> np.ndarray:
        if self.link == "logit":
            return self.a * mu * (1 - mu / n)
        return self.a * mu + self.c * mu**2

    def draw(self, rng: np.random.Generator, mu: np.ndarray, n: np.ndarray | None,
             cap: np.ndarray | None = None) -> np.ndarray:
        """Counts with mean ``mu`` and this variance (gamma-Poisson; logit: beta-binomial).

        ``cap`` (log link): counts cannot exceed it (the exposure: applicants are at most the
        eligible youth), which also keeps wild coefficient draws of a small panel finite.
        """
        if self.link == "logit":
            p = np.clip(mu / n, 1e-12, 1 - 1e-12)
            rho = np.clip((self.a - 1) / np.maximum(n - 1, 1), 0, 0.999)
            if self.a > 1:
                s = (1 - rho) / np.maximum(rho, 1e-12)
                p = rng.beta(p * s, (1 - p) * s)
            return rng.binomial(np.broadcast_to(n, p.shape).astype(np.int64), p).astype(float)
        limit = np.full_like(mu, 1e15) if cap is None else np.broadcast_to(cap, mu.shape)
        mu = np.minimum(mu, limit)
        extra = (self.a - 1) * mu + self.c * mu**2        # beyond Poisson: the gamma mixing variance
        if np.any(extra > 0):
            extra = np.maximum(extra, 1e-12 * mu)
            mu = np.minimum(rng.gamma(mu**2 / extra, extra / np.maximum(mu, 1e-300)), limit)
        return np.minimum(rng.poisson(mu), limit).astype(float)


def variance(result) -> Variance:
    """The outcome :class:`Variance` of a rate model, from its residuals."""
    from scipy.optimize import nnls

    if result.link.name == "logit":
        return Variance("logit", dispersion(result))
    used = result.data.loc[result.rows_used]
    y = pd.to_numeric(used[result.outcome], errors="coerce").to_numpy(float)
    mu = np.maximum(result.fitted.to_numpy(float), 1e-12)
    coef, _ = nnls(np.column_stack([np.ones_like(mu), mu]), (y - mu) ** 2 / mu)
    correction = len(y) / _resid_df(result, used)
    return Variance("log", max(coef[0] * correction, 1.0), coef[1] * correction)


def _resid_df(result, used: pd.DataFrame) -> int:
    fes = [f for f in result.fit.fixed_effects if f in used]
    k = len(result.params) + sum(int(used[f].nunique()) for f in fes) - max(len(fes) - 1, 0)
    return max(len(used) - k, 1)


# --- the scenario -------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioResult:
    """Next cycle's predicted outcomes when levers change.

    ``table`` is indexed by outcome (``applicants``; ``returned`` with a discharge model):
    ``baseline`` and ``predicted`` expected counts, ``change`` with its confidence
    interval (``change_ci_low``/``change_ci_high``, delta method), and prediction
    intervals of next cycle's count without (``baseline_pi_low``/``_high``) and with
    the change (``pi_low``/``pi_high``), which include parameter uncertainty and
    outcome noise. ``by_district`` gives each district's expected counts.
    """

    table: pd.DataFrame
    by_district: pd.DataFrame
    changes: dict[str, float]
    where: str
    cycle: str
    level: float
    reps: int
    seed: int
    synthetic: bool
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out = {"changes": {k: float(v) for k, v in self.changes.items()}, "where": self.where,
               "based_on_cycle": self.cycle, "level": self.level, "reps": self.reps, "seed": self.seed,
               "outcomes": {o: row.to_dict() for o, row in self.table.iterrows()},
               "by_district": self.by_district.to_dict(orient="records"), "notes": list(self.notes),
               "interval": "change: delta method (confidence); pi: prediction interval with parameter "
                           "draws and quasi-likelihood outcome noise", "synthetic": self.synthetic}
        if self.synthetic:
            out["data_label"] = SYNTHETIC_LABEL
        return json_safe(out)

    def summary(self, lang: str = "en") -> str:
        changes = ", ".join(f"{LEVERS[k].label(lang)} x{v:g}" for k, v in self.changes.items())
        pct = f"{self.level:.0%}"
        names = {"applicants": ("报名人数", "applicants"), "returned": ("退兵人数", "early returns")}
        lines = [f"情景（{where_text(self.where, 'zh')}，基于 {self.cycle} 批次）：{changes}" if lang == "zh"
                 else f"Scenario ({self.where}, next cycle based on {self.cycle}): {changes}"]
        for outcome, r in self.table.iterrows():
            zh, en = names.get(outcome, (outcome, outcome))
            if lang == "zh":
                lines.append(f"  {zh}：预计 {r['predicted']:,.0f}（原 {r['baseline']:,.0f}），变化 {r['change']:+,.1f}"
                             f"（{pct} 置信区间 {r['change_ci_low']:+,.1f} 至 {r['change_ci_high']:+,.1f}）；"
                             f"下一批次 {pct} 预测区间 {r['pi_low']:,.0f} 至 {r['pi_high']:,.0f}")
            else:
                lines.append(f"  {en}: expected {r['predicted']:,.0f} (now {r['baseline']:,.0f}), change "
                             f"{r['change']:+,.1f} ({pct} CI {r['change_ci_low']:+,.1f} to "
                             f"{r['change_ci_high']:+,.1f}); "
                             f"{pct} prediction interval for next cycle {r['pi_low']:,.0f} to {r['pi_high']:,.0f}")
        if self.synthetic:
            lines.append("  模拟数据（SYNTHETIC）" if lang == "zh" else "  (synthetic data)")
        return "\n".join(lines)


def where_text(where: str, lang: str) -> str:
    """``"city X"`` -> ``"地市 X"`` in Chinese; unchanged in English."""
    if lang != "zh":
        return where
    for en, zh in (("all districts", "全部区县"), ("district ", "区县 "), ("city ", "地市 ")):
        if where.startswith(en):
            return zh + where[len(en):]
    return where


def _select(result, district: str | None, city: str | None) -> tuple[pd.DataFrame, str, str]:
    if not {"cycle", "cycle_index", "district"} <= set(getattr(result, "data", pd.DataFrame()).columns):
        raise InputError("scenarios need a sign-up or discharge model fitted on a panel (fit_signup, fit_discharge)")
    used = result.data.loc[result.rows_used]
    rows = used[used["cycle_index"] == used["cycle_index"].max()]
    where = "all districts"
    if district is not None:
        match = rows["district"].astype(str) == str(district)
        if "district_code" in rows:
            match |= rows["district_code"].astype(str) == str(district)
        where = f"district {district}"
        names = rows["district"].astype(str)
        rows = rows[match]
    elif city is not None:
        if "city" not in rows:
            raise InputError("the data have no city column: choose a district instead")
        names = rows["city"].astype(str)
        rows = rows[rows["city"].astype(str) == str(city)]
        where = f"city {city}"
    if not len(rows):
        known = ", ".join(sorted(names.unique())[:10])
        raise InputError([Problem(f"no {where.split()[0]} named {(district or city)!r} in the latest cycle "
                                  "of the fitted data", column="district" if district else "city",
                                  expected=known + (" ..." if names.nunique() > 10 else ""))])
    return rows, where, str(rows["cycle"].iloc[0])


def _apply(rows: pd.DataFrame, changes: Mapping[str, float]) -> pd.DataFrame:
    out = rows.copy()
    for lever, factor in changes.items():
        col = LEVERS[lever].column
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) * float(factor)
    return out


def _model_changes(result, changes: Mapping[str, float], notes: list[str]) -> dict[str, float]:
    own = {}
    for lever, factor in changes.items():
        if lever in result.params.index and lever in getattr(result, "levers", ()):
            own[lever] = factor
        elif lever in getattr(result, "levers", ()):
            reason = result.not_identified.get(lever, "not identified")
            raise InputError(f"the effect of {lever} on {result.outcome} is not identified ({reason}); "
                             "no prediction can be made for a change to it")
        else:
            notes.append(f"{lever} is not a lever of the {result.model} model: it is held fixed there")
    return own


def _outcome_row(result, rows: pd.DataFrame, changes: dict[str, float], *, level: float, reps: int,
                 seed: int, stream: int, cycle_sd: float = 0.0) -> tuple[dict[str, float], pd.DataFrame]:
    from recruitstats.policy import scenario as expected_scenario

    changed = _apply(rows, changes)
    if changes:
        s = expected_scenario(result, changes=changes, data=rows, level=level)
        ci = (float(s["change_ci_low"]), float(s["change_ci_high"]))
    else:
        ci = (0.0, 0.0)
    base, new = result.predict(rows), result.predict(changed)
    draws = coefficient_draws(result, reps, seed)
    rng = np.random.default_rng([seed, stream])
    var = variance(result)
    exposure = pd.to_numeric(rows[result.exposure], errors="coerce").to_numpy(float)[None, :]
    n = exposure if result.link.name == "logit" else None
    shift = fixed_effect_draws(result, rows, rng, reps, var)
    if cycle_sd:
        shift = shift + rng.normal(0.0, cycle_sd, (reps, 1))
    y0 = var.draw(rng, predictive_draws(result, rows, draws, shift), n, exposure).sum(axis=1)
    y1 = var.draw(rng, predictive_draws(result, changed, draws, shift), n, exposure).sum(axis=1)
    q = [0.5 - level / 2, 0.5 + level / 2]
    row = {"baseline": float(base.sum()), "predicted": float(new.sum()), "change": float(new.sum() - base.sum()),
           "change_ci_low": ci[0], "change_ci_high": ci[1],
           "baseline_pi_low": float(np.quantile(y0, q[0])), "baseline_pi_high": float(np.quantile(y0, q[1])),
           "pi_low": float(np.quantile(y1, q[0])), "pi_high": float(np.quantile(y1, q[1])),
           "variance_a": var.a, "variance_c": var.c}
    key = "district_code" if "district_code" in rows else "district"
    per = pd.DataFrame({"district": rows["district"].astype(str).to_numpy(), "outcome": result.outcome,
                        "baseline": base.to_numpy(float), "predicted": new.to_numpy(float)}, index=rows.index)
    if key == "district_code":
        per.insert(1, "district_code", rows["district_code"].astype(str).to_numpy())
    return row, per


def next_cycle(
    signup,
    changes: Mapping[str, float],
    *,
    discharge=None,
    district: str | None = None,
    city: str | None = None,
    level: float = 0.95,
    reps: int = 4000,
    seed: int,
    cycle_sd: float = 0.0,
) -> ScenarioResult:
    """Predicted applicants (and early returns) next cycle when levers are multiplied by factors.

    Parameters
    ----------
    signup : fitted sign-up model (:func:`recruitstats.fit_signup`).
    changes : lever -> factor, e.g. ``{"stipend": 1.2, "publicity": 1.3, "outreach": 2.0}``
        (see :func:`parse_change` for ``"publicity=+30%"`` strings).
    discharge : fitted early-discharge model on the same panel, for the returns.
    district, city : the district (name or code) or city that changes; default all.
    level : level of the confidence and prediction intervals.
    reps : parameter (and outcome) draws for the prediction intervals.
    seed : seed of the draws.
    cycle_sd : standard deviation of a common shock to next cycle's log rate (all districts
        alike), for what makes a new cycle differ from the latest (season, economy); 0 (the
        default) predicts the latest cycle replayed with the changed levers.

    Returns
    -------
    ScenarioResult
    """
    if district is not None and city is not None:
        raise InputError("give a district or a city, not both")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, not {level!r}")
    if not isinstance(reps, int) or reps < 100:
        raise InputError(f"reps must be a whole number of at least 100, not {reps!r}")
    if not (isinstance(cycle_sd, (int, float)) and 0 <= cycle_sd < 5):
        raise InputError(f"cycle_sd must be a number from 0 to 5 (log scale), not {cycle_sd!r}")
    changes = {_ALIASES.get(k, k): float(v) for k, v in dict(changes).items()}
    for lever, factor in changes.items():
        if lever not in LEVERS:
            raise InputError(f"unknown lever {lever!r}; choose from {', '.join(LEVERS)}")
        if not (math.isfinite(factor) and factor > 0):
            raise InputError(f"the factor of {lever} must be a positive number, not {factor!r}")
    notes: list[str] = []
    rows, where, cycle = _select(signup, district, city)
    own = _model_changes(signup, changes, notes)
    out, per = {}, []
    out["applicants"], p = _outcome_row(signup, rows, own, level=level, reps=reps, seed=seed, stream=1,
                                        cycle_sd=cycle_sd)
    per.append(p)
    if discharge is not None:
        d_rows = discharge.data.loc[discharge.data.index.intersection(rows.index)]
        d_rows = d_rows.loc[d_rows.index.isin(discharge.rows_used)]
        if len(d_rows) < len(rows):
            notes.append(f"{len(rows) - len(d_rows)} district(s) are not in the discharge model (no return in "
                         "any cycle, or rows missing): their returns are not predicted")
        if len(d_rows):
            d_own = _model_changes(discharge, changes, notes)
            out["returned"], p = _outcome_row(discharge, d_rows, d_own, level=level, reps=reps, seed=seed,
                                              stream=2, cycle_sd=cycle_sd)
            per.append(p)
    notes.append("next cycle = the latest cycle replayed with the levers changed (its cycle effect, eligible "
                 "youth and recruits carried forward); the prediction interval includes the estimation error of "
                 "the fixed effects" + (f" and a common cycle shock of sd {cycle_sd:g}" if cycle_sd else
                                        ", not a shock making next cycle differ from the latest (cycle_sd)"))
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index.name = "outcome"
    synthetic = bool(getattr(signup, "synthetic", False))
    return ScenarioResult(table=table, by_district=pd.concat(per, ignore_index=True), changes=changes,
                          where=where, cycle=cycle, level=level, reps=reps, seed=seed, synthetic=synthetic,
                          notes=tuple(notes))
