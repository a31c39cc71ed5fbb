"""Sign-up and district early-discharge models: levers in, rate model out.

Both are the one fixed-effects rate engine (:func:`recruitstats.models.engine.fit_rate`)
with different columns:

- sign-ups: ``E[applicants] = eligible_youth * exp(district + cycle + b'levers)``
- early discharge: ``E[returned] = enlisted * exp(district + cycle + b'levers)``

This module builds the lever regressors (:func:`recruitstats.measures.lever_values`),
the cycle fixed effect (:func:`recruitstats.measures.add_cycle`) and the controls,
drops rows that miss a needed value (counted, never silent), calls the engine and
wraps its fit in a :class:`RateModelResult` that carries what tables, figures,
policy quantities and the ``fit`` command need.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.measures import LEVERS, add_cycle, lever_values
from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["RateModelResult", "fit_signup", "fit_discharge", "lever_transform_text", "LEVER_KIND"]

Family = Literal["poisson", "binomial"]
Vcov = Literal["auto", "cluster", "jackknife", "hetero", "iid"]

#: What each lever measure is made of, so a lever can be scaled without its raw column:
#: "log" means x = log(a * v) (scaling v by f adds log f); "log1p" means x = log(1 + a * v).
LEVER_KIND: dict[str, dict[str, str]] = {
    "publicity": {"spend": "log", "brochures": "log1p", "sms": "log1p", "online_posts": "log1p",
                  "posters": "log1p"},
    "stipend": {"relative_wage": "log", "real_yuan": "log", "yuan": "log"},
    "outreach": {"door_visits": "log1p", "counselors_trained": "log1p", "exemplar_talks": "log1p",
                 "followup_contacts": "log1p"},
}

#: Raw column each lever measure scales (the column a "+10%" multiplies).
LEVER_SOURCE: dict[str, dict[str, str]] = {
    "publicity": {"spend": "publicity_spend", "brochures": "brochures", "sms": "sms",
                  "online_posts": "online_posts", "posters": "posters"},
    "stipend": {"relative_wage": "family_allowance", "real_yuan": "family_allowance",
                "yuan": "family_allowance"},
    "outreach": {m: m for m in LEVER_KIND["outreach"]},
}


#: Panel columns each lever measure is computed from.
_LEVER_INPUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "publicity": {m: (c, "eligible_youth") for m, c in LEVER_SOURCE["publicity"].items()},
    "stipend": {"relative_wage": ("family_allowance", "avg_wage"), "real_yuan": ("family_allowance",),
                "yuan": ("family_allowance",)},
    "outreach": {m: (m, "eligible_youth") for m in LEVER_KIND["outreach"]},
}


def lever_transform_text(lever: str, measure: str) -> str:
    """The transform of one lever measure in words, e.g. ``log(publicity_spend / eligible_youth)``."""
    if lever == "publicity":
        if measure == "spend":
            return "log(publicity_spend / eligible_youth)  (yuan per eligible youth)"
        return f"log(1 + 100 * {measure} / eligible_youth)  ({measure} per 100 eligible youth)"
    if lever == "stipend":
        return {"relative_wage": "log(family_allowance / avg_wage)  (allowance relative to the local wage)",
                "yuan": "log(family_allowance)  (nominal yuan per year)",
                "real_yuan": "log(family_allowance / price_index)  (real yuan per year)"}[measure]
    return f"log(1 + 100 * {measure} / eligible_youth)  ({measure} per 100 eligible youth)"


@dataclass(frozen=True)
class RateModelResult:
    """A fitted sign-up or discharge model.

    Attributes
    ----------
    model : ``"signup"`` or ``"discharge"``.
    fit : the engine's ``RateFit`` (estimates, covariance, inference, N, clusters, ...).
    levers : the levers asked for, in order (some may be not identified).
    measures : lever -> measure used (``{"publicity": "spend", ...}``).
    transforms : lever -> transform in words.
    controls : control columns.
    data : the rows used: panel columns needed by the model, lever values, ``cycle``
        and ``cycle_index``, indexed like the input panel.
    dropped : what was dropped before and by the engine, and how many rows or groups.
    synthetic : True when the data say they are synthetic (``data_source``).
    level : confidence level of the intervals reported by :meth:`to_dict`.
    bootstrap : wild score cluster bootstrap table (p_value, ci_low, ci_high) or None.
    warnings : what the engine warned about (non-convergence, few clusters).
    trends : whether district-specific linear trends were included.
    """

    model: str
    fit: Any
    levers: tuple[str, ...]
    measures: dict[str, str]
    transforms: dict[str, str]
    controls: tuple[str, ...]
    data: pd.DataFrame
    dropped: dict[str, int]
    synthetic: bool = False
    level: float = 0.95
    bootstrap: pd.DataFrame | None = None
    warnings: tuple[str, ...] = field(default=())
    trends: bool = False
    constant: dict[str, str] = field(default_factory=dict)

    # --- what the engine knows ---------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return self.fit.params

    @property
    def se(self) -> pd.Series:
        return self.fit.se

    @property
    def cov(self) -> pd.DataFrame:
        return self.fit.cov

    @property
    def pvalues(self) -> pd.Series:
        return self.fit.pvalues

    @property
    def fitted(self) -> pd.Series:
        return self.fit.fitted

    @property
    def n_obs(self) -> int:
        return int(self.fit.n_obs)

    @property
    def n_clusters(self) -> int | None:
        return None if self.fit.n_clusters is None else int(self.fit.n_clusters)

    @property
    def df_t(self) -> float:
        df = getattr(self.fit, "df_t", None)
        return float("inf") if df is None else float(df)

    @property
    def not_identified(self) -> dict[str, str]:
        """Levers and controls with no estimate, and why (constant, absorbed, collinear)."""
        return {**self.constant, **dict(self.fit.not_identified)}

    @property
    def outcome(self) -> str:
        return self.fit.outcome

    @property
    def exposure(self) -> str | None:
        return self.fit.exposure

    @property
    def rows_used(self) -> pd.Index:
        """Index labels (of the input panel) of the rows the engine used."""
        return self.fit.fitted.index

    @property
    def identified_levers(self) -> tuple[str, ...]:
        return tuple(lv for lv in self.levers if lv in self.fit.params.index)

    @property
    def n_cycles(self) -> int:
        return int(self.data.loc[self.rows_used, "cycle"].nunique())

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals (columns ``low``, ``high``) with the fit's critical values."""
        return self.fit.conf_int(level=self.level if level is None else level)

    def with_bootstrap(self, *, reps: int = 999, seed: int, progress: bool = True) -> "RateModelResult":
        """A copy carrying wild score cluster bootstrap p-values and intervals for the levers."""
        table = self.fit.bootstrap(reps=reps, seed=seed, level=self.level, progress=progress)
        table = table.copy()
        table.attrs.update(reps=int(reps), seed=int(seed))
        return replace(self, bootstrap=table)

    # --- presentation-free export ---------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of SCHEMA.md plus extra keys. Nothing is rounded."""
        ci = self.conf_int()
        effects: dict[str, dict[str, float]] = {}
        for lever in self.levers:
            if lever not in self.fit.params.index:
                continue
            row = {"coef": float(self.fit.params[lever]), "se": float(self.fit.se[lever]),
                   "ci_low": float(ci.loc[lever, "low"]), "ci_high": float(ci.loc[lever, "high"]),
                   "p_value": float(self.fit.pvalues[lever])}
            if self.bootstrap is not None and lever in self.bootstrap.index:
                b = self.bootstrap.loc[lever]
                row.update(boot_p_value=float(b["p_value"]), boot_ci_low=float(b["ci_low"]),
                           boot_ci_high=float(b["ci_high"]))
            effects[lever] = row
        controls = {}
        for c in self.controls:
            if c in self.fit.params.index:
                controls[c] = {"coef": float(self.fit.params[c]), "se": float(self.fit.se[c]),
                               "ci_low": float(ci.loc[c, "low"]), "ci_high": float(ci.loc[c, "high"]),
                               "p_value": float(self.fit.pvalues[c])}
        out: dict[str, Any] = {
            "model": self.model,
            "outcome": self.outcome,
            "exposure": self.exposure,
            "n_obs": self.n_obs,
            "n_clusters": self.n_clusters,
            # a district is keyed by district_code when the data have one; the contract names it district
            "fixed_effects": ["district" if f == "district_code" else f for f in self.fit.fixed_effects],
            "district_key": "district_code" if "district_code" in self.fit.fixed_effects else "district",
            "inference": self.fit.inference,
            "effects": effects,
            "controls": controls,
            "not_identified": {k: str(v) for k, v in self.not_identified.items()},
            "dropped": {k: int(v) for k, v in self.dropped.items()},
            "warnings": list(self.warnings),
            "transforms": dict(self.transforms),
            "family": self.fit.family,
            "vcov": getattr(self.fit, "vcov", None),
            "trends": "district linear trends" if self.trends else None,
            "level": self.level,
            "synthetic": bool(self.synthetic),
        }
        if self.bootstrap is not None:
            out["bootstrap"] = {"method": "wild score cluster bootstrap (Kline-Santos), null imposed",
                                "reps": self.bootstrap.attrs.get("reps"),
                                "seed": self.bootstrap.attrs.get("seed")}
        if self.synthetic:
            out["data_label"] = SYNTHETIC_LABEL
        return out


# --- building the estimation frame ------------------------------------------

def _is_synthetic(panel: pd.DataFrame) -> bool:
    if "data_source" not in panel:
        return False
    labels = pd.unique(panel["data_source"].dropna())  # few distinct labels: check those, not every row
    return any("SYNTHETIC" in str(v).upper() for v in labels)


def _check_columns(panel: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in panel]
    if missing:
        raise InputError([Problem(f"the {what} needs column(s) {', '.join(missing)}, which the data do not have",
                                  column=", ".join(missing))])


def _fit(
    model: str,
    panel: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    levers: Sequence[str],
    publicity: str,
    stipend: str,
    outreach: str,
    controls: Sequence[str],
    fixed_effects: Sequence[str],
    cluster: str | None,
    family: Family,
    trends: bool,
    price_index: pd.Series | None,
    level: float,
    vcov: Vcov | None = None,
) -> RateModelResult:
    from recruitstats.models.engine import fit_rate

    if not isinstance(panel, pd.DataFrame):
        raise InputError("the model takes a panel DataFrame")
    levers = tuple(levers)
    unknown = [lv for lv in levers if lv not in LEVERS]
    if unknown:
        raise InputError(f"unknown lever(s) {', '.join(unknown)}; choose from {', '.join(LEVERS)}")
    if not levers:
        raise InputError("at least one lever is needed")
    if family not in ("poisson", "binomial"):
        raise InputError(f"family must be 'poisson' or 'binomial', not {family!r}")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, not {level!r}")
    # SCHEMA.md: when district_code is present it is the key (names may change over time)
    key = "district_code" if "district_code" in panel and panel["district_code"].notna().all() else "district"
    fixed_effects = tuple(key if f == "district" else f for f in fixed_effects)
    cluster = key if cluster == "district" else cluster
    measures = {"publicity": publicity, "stipend": stipend, "outreach": outreach}
    for lever in levers:
        if measures[lever] not in LEVER_KIND[lever]:
            raise InputError(f"unknown {lever} measure {measures[lever]!r}; choose from "
                             f"{', '.join(LEVER_KIND[lever])}")
    if len(panel) == 0:
        raise InputError("the panel has no rows")
    _check_columns(panel, ["year", "half"], f"{model} model")
    _check_columns(panel, [outcome, exposure], f"{model} model")
    controls = tuple(controls)
    _check_columns(panel, controls, "list of controls")
    fe_needed = [f for f in fixed_effects if f not in ("cycle", "cycle_index")]
    _check_columns(panel, fe_needed, "list of fixed effects")
    if cluster:
        _check_columns(panel, [cluster] if cluster not in ("cycle",) else [], "cluster option")
    if trends:
        _check_columns(panel, [key], "district trends")

    if panel[["year", "half"]].isna().any().any():
        raise InputError([Problem("year or half is missing in some rows; every row needs its cycle",
                                  column="year, half")])
    with_cycle = add_cycle(panel)
    lv = lever_values(with_cycle,
                      publicity=publicity if "publicity" in levers else None,
                      stipend=stipend if "stipend" in levers else None,
                      outreach=outreach if "outreach" in levers else None,
                      price_index=price_index)
    frame = with_cycle.copy()
    for lever in levers:
        frame[lever] = lv[lever]
    for col in (outcome, exposure, *controls):
        converted = pd.to_numeric(frame[col], errors="coerce")
        bad = converted.isna() & frame[col].notna()
        if bad.any():
            raise InputError([Problem(f"column {col} must be numeric; {int(bad.sum())} value(s) are not",
                                      column=col)])
        frame[col] = converted.astype(float)

    needed = list(dict.fromkeys([outcome, exposure, *levers, *controls, *fixed_effects,
                                 *([cluster] if cluster else []), *([key] if trends else [])]))
    raw = [c for lv in levers for c in _LEVER_INPUTS[lv][measures[lv]]]
    counted = list(dict.fromkeys([outcome, exposure, *raw, *controls, *fixed_effects,
                                  *([cluster] if cluster else [])]))
    dropped: dict[str, int] = {}
    for col in counted:
        # rows missing this value (a row missing several is counted under each, and once in the total)
        n = int(frame[col].isna().sum())
        if n:
            dropped[f"rows missing {col}"] = n
    missing = frame[needed].isna()
    keep = ~missing.any(axis=1)
    other = missing[list(levers)].any(axis=1) & ~frame[counted].isna().any(axis=1)
    if other.any():
        dropped["rows where a lever value cannot be computed"] = int(other.sum())
    if (~keep).any():
        dropped["rows dropped in total (any missing value)"] = int((~keep).sum())
    nonpos = keep & (frame[exposure] <= 0)
    if nonpos.any():
        dropped[f"rows with {exposure} = 0"] = int(nonpos.sum())
        keep &= ~nonpos
    frame = frame.loc[keep]
    if len(frame) == 0:
        raise InputError("no row has every value the model needs "
                         f"({', '.join(needed)}); nothing to fit")

    # A regressor equal in every row up to rounding (e.g. allowance = 0.4 x wage everywhere) has no
    # variation; the engine's relative test can mistake its rounding noise for variation.
    constant: dict[str, str] = {}
    for col in (*levers, *controls):
        v = frame[col].to_numpy(float)
        if np.ptp(v) <= 1e-9 * max(1.0, float(np.max(np.abs(v)))):
            constant[col] = "not identified: the same value in every row used (no variation)"
    regressors = [c for c in (*levers, *controls) if c not in constant]
    kwargs: dict[str, Any] = dict(outcome=outcome, exposure=exposure, regressors=regressors,
                                  fixed_effects=tuple(fixed_effects), cluster=cluster, family=family)
    if trends:
        kwargs.update(trends=key, time="cycle_index")
    if vcov is not None:
        kwargs["vcov"] = vcov
    fit = fit_rate(frame, **kwargs)
    for key, value in (getattr(fit, "dropped", None) or {}).items():
        dropped[str(key)] = int(value)
    raw_cols = {LEVER_SOURCE[lv][measures[lv]] for lv in levers}
    keep_cols = list(dict.fromkeys([c for c in ("province", "city", "district", "district_code", "year",
                                                "half", "cycle", "cycle_index", "eligible_youth",
                                                "enlisted", "avg_wage", "data_source", *raw_cols)
                                    if c in frame] + needed))
    return RateModelResult(
        model=model, fit=fit, levers=levers,
        measures={lv: measures[lv] for lv in levers},
        transforms={lv: lever_transform_text(lv, measures[lv]) for lv in levers},
        controls=controls, data=frame[keep_cols], dropped=dropped,
        synthetic=_is_synthetic(panel), level=level,
        warnings=tuple(getattr(fit, "warnings", ()) or ()), trends=bool(trends), constant=constant,
    )


def fit_signup(
    panel: pd.DataFrame,
    *,
    levers: Sequence[str] = LEVERS,
    publicity: str = "spend",
    stipend: str = "relative_wage",
    outreach: str = "door_visits",
    controls: Sequence[str] = (),
    fixed_effects: Sequence[str] = ("district", "cycle"),
    cluster: str | None = "district",
    family: Family = "poisson",
    trends: bool = False,
    price_index: pd.Series | None = None,
    level: float = 0.95,
    vcov: Vcov | None = None,
) -> RateModelResult:
    """Sign-ups: applicants out of eligible youth, explained by the levers.

    ``E[applicants] = eligible_youth * exp(FE + b_publicity*publicity + b_stipend*stipend
    + b_outreach*outreach + controls)``, a Poisson quasi-likelihood (or a logit with
    ``family="binomial"``, eligible youth as trials) with district and cycle fixed
    effects and errors clustered by district (SCHEMA.md, "Default model").

    Parameters
    ----------
    panel : canonical panel (one row per district and cycle).
    levers : which of ``publicity``, ``stipend``, ``outreach`` to include.
    publicity, stipend, outreach : lever measure (see :func:`recruitstats.measures.lever_values`).
    controls : numeric columns added as regressors (e.g. ``unemployment_rate``).
    fixed_effects : columns absorbed as fixed effects; ``cycle`` is made from year and half.
    cluster : column to cluster errors by; None for heteroskedasticity-robust errors.
    vcov : covariance: None or ``"auto"`` (the engine's default: CRV1 with the fixest
        small-sample factor, or with fewer than 40 clusters the CRV3 leave-one-cluster-out
        jackknife), ``"cluster"`` (always CRV1), ``"jackknife"`` (always CRV3),
        ``"hetero"`` or ``"iid"``.
    family : ``"poisson"`` or ``"binomial"``.
    trends : add a linear trend for each district (in cycles).
    price_index : deflator for ``stipend="real_yuan"`` (one value per row).
    level : confidence level of the reported intervals.

    Returns
    -------
    RateModelResult
        Levers absorbed by the fixed effects or collinear are listed in
        ``not_identified`` with the reason and get no number; dropped rows and
        groups are counted in ``dropped``.
    """
    return _fit("signup", panel, outcome="applicants", exposure="eligible_youth", levers=levers,
                publicity=publicity, stipend=stipend, outreach=outreach, controls=controls,
                fixed_effects=fixed_effects, cluster=cluster, family=family, trends=trends,
                price_index=price_index, level=level, vcov=vcov)


def fit_discharge(
    panel: pd.DataFrame,
    *,
    levers: Sequence[str] = LEVERS,
    publicity: str = "spend",
    stipend: str = "relative_wage",
    outreach: str = "door_visits",
    controls: Sequence[str] = (),
    fixed_effects: Sequence[str] = ("district", "cycle"),
    cluster: str | None = "district",
    family: Family = "poisson",
    trends: bool = False,
    price_index: pd.Series | None = None,
    level: float = 0.95,
    vcov: Vcov | None = None,
) -> RateModelResult:
    """Early discharge (退兵): recruits returned out of recruits enlisted, by district and cycle.

    Same model and options as :func:`fit_signup` with ``returned`` as outcome and
    ``enlisted`` as exposure. Districts that returned nobody in any cycle carry no
    information with district fixed effects; they are dropped and counted in
    ``dropped`` (as fixest does).
    """
    return _fit("discharge", panel, outcome="returned", exposure="enlisted", levers=levers,
                publicity=publicity, stipend=stipend, outreach=outreach, controls=controls,
                fixed_effects=fixed_effects, cluster=cluster, family=family, trends=trends,
                price_index=price_index, level=level, vcov=vcov)
