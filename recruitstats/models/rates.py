"""Rate models of the panel: a :class:`~recruitstats.specs.ModelSpec` in, a result of the protocol out.

Sign-ups and early discharge are the one fixed-effects rate engine
(:func:`recruitstats.models.engine.fit_rate`) with different columns:

- sign-ups: ``E[applicants] = eligible_youth * exp(district + cycle + b'levers)``
- early discharge: ``E[returned] = enlisted * exp(district + cycle + b'levers)``

This module builds the lever regressors from the registry
(:mod:`recruitstats.levers`), the cycle fixed effect and the controls, drops rows
that miss a needed value (counted, never silent), calls the engine and wraps its fit
in a :class:`RateModelResult`, which answers the result protocol of
:mod:`recruitstats.results` (``predict`` goes through the family's link).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem, needs_columns_text
from recruitstats.levers import LEVERS, Lever
from recruitstats.measures import add_cycle
from recruitstats.results import Design, Link, ResultBase, json_safe, link_for
from recruitstats.schema import SYNTHETIC_LABEL
from recruitstats.specs import DISCHARGE, SIGNUP, Family, ModelSpec, Vcov

__all__ = ["RateModelResult", "fit_model", "fit_signup", "fit_discharge"]

INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class RateModelResult(ResultBase):
    """A fitted rate model (sign-ups, early discharge, or any :class:`ModelSpec`).

    Attributes
    ----------
    spec : the model specification, with ``district`` resolved to the key used.
    fit : the engine's ``RateFit`` (estimates, covariance, inference, N, clusters, ...).
    data : the rows used and dropped: panel columns the model needs (the levers' raw
        inputs included), lever values, ``cycle`` and ``cycle_index``, indexed like the
        input panel.
    dropped : what was dropped before and by the engine, and how many rows or groups.
    synthetic : True when the data say they are synthetic (``data_source``).
    bootstrap : wild score cluster bootstrap table (p_value, ci_low, ci_high) or None.
    constant : regressors with no variation in the rows used, with the reason.
    """

    spec: ModelSpec
    fit: Any
    data: pd.DataFrame
    dropped: dict[str, int]
    synthetic: bool = False
    bootstrap: pd.DataFrame | None = None
    constant: dict[str, str] = field(default_factory=dict)

    # --- the protocol's attributes ---------------------------------------------
    model = property(lambda self: self.spec.name)
    level = property(lambda self: self.spec.level)
    levers = property(lambda self: self.spec.levers)
    controls = property(lambda self: self.spec.controls)
    trends = property(lambda self: self.spec.trends)
    params = property(lambda self: self.fit.params)
    cov = property(lambda self: self.fit.cov)
    fitted = property(lambda self: self.fit.fitted)
    inference = property(lambda self: self.fit.inference)
    outcome = property(lambda self: self.fit.outcome)
    exposure = property(lambda self: self.fit.exposure)
    family = property(lambda self: self.fit.family)
    warnings = property(lambda self: tuple(getattr(self.fit, "warnings", ()) or ()))

    @property
    def link(self) -> Link:
        return link_for(self.fit.family)

    @property
    def nobs(self) -> int:
        return int(self.fit.n_obs)

    n_obs = nobs

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
    def rows_used(self) -> pd.Index:
        """Index labels (of the input panel) of the rows the engine used."""
        return self.fit.fitted.index

    @property
    def identified_levers(self) -> tuple[str, ...]:
        return tuple(lv for lv in self.levers if lv in self.params.index)

    @property
    def lever_entries(self) -> dict[str, Lever]:
        """Registry entry of each lever of the model."""
        return {lv: LEVERS[lv] for lv in self.levers}

    @property
    def transforms(self) -> dict[str, str]:
        return {lv: LEVERS[lv].transform_text("en") for lv in self.levers}

    @property
    def n_cycles(self) -> int:
        if "cycle" not in self.data:
            return 1
        return int(self.data.loc[self.rows_used, "cycle"].nunique())

    @property
    def district_key(self) -> str:
        return "district_code" if "district_code" in self.fit.fixed_effects or \
            self.fit.cluster == "district_code" else "district"

    def with_bootstrap(self, *, reps: int = 999, seed: int, progress: bool = True) -> "RateModelResult":
        """A copy carrying wild score cluster bootstrap p-values and intervals for the levers."""
        table = self.fit.bootstrap(reps=reps, seed=seed, level=self.level, progress=progress).copy()
        table.attrs.update(reps=int(reps), seed=int(seed))
        return replace(self, bootstrap=table)

    # --- prediction ------------------------------------------------------------
    def _design(self, data: pd.DataFrame | None) -> Design:
        used = self.data.loc[self.rows_used]
        rows = used if data is None else data
        X = np.column_stack([self._term(rows, t) for t in self.params.index]) if len(self.params) \
            else np.zeros((len(rows), 0))
        n = _numeric(rows, self.exposure)
        fe, dfe = self._fixed_part(rows, used)
        b0 = self.params.to_numpy(float)
        if self.fit.family == "binomial":
            return Design(X, fe, n, rows.index, dfe, b0)
        return Design(X, fe + np.log(n), np.ones(len(rows)), rows.index, dfe, b0)

    def _term(self, rows: pd.DataFrame, term: str) -> np.ndarray:
        if term == INTERCEPT:
            return np.ones(len(rows))
        lever = LEVERS.get(term) if term in self.levers else None
        if lever is not None and all(c in rows for c in lever.inputs):
            return lever.values(rows).to_numpy(float)
        if term not in rows:
            raise InputError(f"the rows to predict need column {term!r}" +
                             (f" or {', '.join(lever.inputs)}" if lever is not None else ""))
        return _numeric(rows, term)

    def _fixed_part(self, rows: pd.DataFrame, used: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Fixed effects' contribution to the linear predictor of each row, and its derivative in params."""
        fes = list(self.fit.fixed_effects)
        if rows.index.isin(used.index).all():
            same = all(f not in rows or (rows[f].astype(str).to_numpy()
                                         == used.loc[rows.index, f].astype(str).to_numpy()).all()
                       for f in fes)
            if same:
                pos = used.index.get_indexer(rows.index)
                return _fe_part(self).to_numpy(float)[pos], _fe_jacobian(self)[pos]
        return _lookup_fixed_effects(self, rows, fes), None

    # --- export -------------------------------------------------------------------
    def summary(self) -> str:
        """The regression table as text (levers, controls, N, clusters, inference, dropped rows)."""
        from recruitstats.report.tables import format_regression_table

        return format_regression_table(self)

    def _terms_dict(self, terms: Sequence[str]) -> dict[str, dict[str, float]]:
        ci = self.conf_int()
        out = {}
        for t in terms:
            if t not in self.params.index:
                continue
            row = {"coef": float(self.params[t]), "se": float(self.se[t]), "ci_low": float(ci.loc[t, "low"]),
                   "ci_high": float(ci.loc[t, "high"]), "p_value": float(self.pvalues[t])}
            if self.bootstrap is not None and t in self.bootstrap.index:
                b = self.bootstrap.loc[t]
                row.update(boot_p_value=float(b["p_value"]), boot_ci_low=float(b["ci_low"]),
                           boot_ci_high=float(b["ci_high"]))
            out[t] = row
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of SCHEMA.md plus extra keys. Nothing is rounded."""
        out: dict[str, Any] = {
            "model": self.model, "outcome": self.outcome, "exposure": self.exposure,
            "n_obs": self.nobs, "n_clusters": self.n_clusters,
            # a district is keyed by district_code when the data have one; the contract names it district
            "fixed_effects": ["district" if f == "district_code" else f for f in self.fit.fixed_effects],
            "district_key": self.district_key,
            "inference": self.inference,
            "effects": self._terms_dict(self.levers),
            "controls": self._terms_dict(self.controls),
            "not_identified": {k: str(v) for k, v in self.not_identified.items()},
            "dropped": {k: int(v) for k, v in self.dropped.items()},
            "warnings": list(self.warnings),
            "transforms": dict(self.transforms),
            "family": self.family,
            "vcov": getattr(self.fit, "vcov", None),
            "trends": "district linear trends" if self.trends else None,
            "level": self.level,
            "spec": self.spec.to_dict(),
            "synthetic": bool(self.synthetic),
        }
        if INTERCEPT in self.params.index:
            out["intercept"] = self._terms_dict([INTERCEPT])[INTERCEPT]
        if self.bootstrap is not None:
            out["bootstrap"] = {"method": "wild score cluster bootstrap (Kline-Santos), null imposed",
                                "reps": self.bootstrap.attrs.get("reps"),
                                "seed": self.bootstrap.attrs.get("seed")}
        if self.synthetic:
            out["data_label"] = SYNTHETIC_LABEL
        return json_safe(out)


def _numeric(rows: pd.DataFrame, col: str) -> np.ndarray:
    if col not in rows:
        raise InputError(f"the rows to predict need column {col!r}")
    return pd.to_numeric(rows[col], errors="coerce").to_numpy(float)


def _fe_part(res: RateModelResult) -> pd.Series:
    """Fixed effects' part of the fitted linear predictor (linear predictor - offset - X b)."""
    stored = getattr(res.fit, "fe_part", None)
    if stored is not None:
        return stored
    used = res.data.loc[res.rows_used]
    mu = res.fitted.to_numpy(float)
    n = used[res.exposure].to_numpy(float)
    eta = np.log(mu / n) if res.fit.family == "poisson" else np.log(mu / (n - mu))
    X = np.column_stack([res._term(used, t) for t in res.params.index]) if len(res.params) \
        else np.zeros((len(used), 0))
    return pd.Series(eta - X @ res.params.to_numpy(float), index=used.index)


def _fe_jacobian(res: RateModelResult) -> np.ndarray:
    """d fe_part / d params at the fitted rows: the fixed effects re-solve their score equations
    when the coefficients move, so d eta / d b is X residualised on the fixed effects with the
    fit's weights (the within transformation), and d fe_part / d b = that residual - X."""
    s = res.fit._spec
    X, cols = s["X"], list(s["columns"])
    rep = [cols.index(t) for t in res.params.index]
    other = [j for j in range(X.shape[1]) if j not in rep]
    mu = res.fitted.to_numpy(float)
    w = mu if res.fit.family == "poisson" else mu * (1 - mu / s["n"])
    R, D = X[:, rep], X[:, other]
    absorber = s["absorber"]
    Rt = absorber.demean(R, w) if absorber is not None else R
    if D.shape[1]:
        Dt = absorber.demean(D, w) if absorber is not None else D
        sw = np.sqrt(w)[:, None]
        Rt = Rt - Dt @ np.linalg.lstsq(Dt * sw, Rt * sw, rcond=None)[0]
    return Rt - R


def _lookup_fixed_effects(res: RateModelResult, rows: pd.DataFrame, fes: list[str]) -> np.ndarray:
    """Fixed effects of rows not in the fit, from the engine's per-level effects."""
    if not fes:
        return np.zeros(len(rows))
    effects = getattr(res.fit, "fe_effects", None)
    if effects is None or res.trends:
        raise InputError("predictions for rows outside the fit need the fixed effects of each level; "
                         "predict on the fitted rows (data=None or a changed copy of them)")
    rows = add_cycle(rows) if "cycle" in fes and "cycle" not in rows else rows
    total = np.zeros(len(rows))
    for f in fes:
        if f not in rows:
            raise InputError(f"the rows to predict need column {f!r} (a fixed effect of the model)")
        levels = rows[f].astype(str)
        table = effects[f]
        table = table.set_axis(table.index.astype(str))
        unknown = sorted(set(levels) - set(table.index))
        if unknown:
            raise InputError(f"{f} {', '.join(unknown[:5])} not in the data the model was fitted on: "
                             "no fixed effect is known for it")
        total += table.reindex(levels).to_numpy(float)
    return total


# --- building the estimation frame ------------------------------------------

def _is_synthetic(panel: pd.DataFrame) -> bool:
    if "data_source" not in panel:
        return False
    labels = pd.unique(panel["data_source"].dropna())  # few distinct labels: check those, not every row
    return any("SYNTHETIC" in str(v).upper() for v in labels)


def _check_columns(panel: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in panel]
    if missing:
        raise InputError([Problem(needs_columns_text(what, missing), column=", ".join(missing))])


def _resolve(spec: ModelSpec, panel: pd.DataFrame) -> ModelSpec:
    """The spec with ``district`` replaced by ``district_code`` when the data have complete codes."""
    if not isinstance(panel, pd.DataFrame):
        raise InputError("the model takes a panel DataFrame")
    if len(panel) == 0:
        raise InputError("the panel has no rows")
    # SCHEMA.md: when district_code is present it is the key (names may change over time)
    key = "district_code" if "district_code" in panel and panel["district_code"].notna().all() else "district"
    fes = tuple(key if f == "district" else f for f in spec.fixed_effects)
    return replace(spec, fixed_effects=fes, cluster=key if spec.cluster == "district" else spec.cluster)


def _needs_cycle(spec: ModelSpec) -> bool:
    return "cycle" in spec.fixed_effects or "cycle_index" in spec.fixed_effects or spec.trends or \
        spec.cluster == "cycle"


def _check_inputs(spec: ModelSpec, panel: pd.DataFrame) -> None:
    if _needs_cycle(spec):
        _check_columns(panel, ["year", "half"], f"{spec.name} model")
    _check_columns(panel, [spec.outcome, spec.exposure], f"{spec.name} model")
    _check_columns(panel, spec.controls, "list of controls")
    _check_columns(panel, [f for f in spec.fixed_effects if f not in ("cycle", "cycle_index")],
                   "list of fixed effects")
    if spec.cluster and spec.cluster != "cycle":
        _check_columns(panel, [spec.cluster], "cluster option")
    if _needs_cycle(spec) and panel[["year", "half"]].isna().any().any():
        raise InputError([Problem("year or half is missing in some rows; every row needs its cycle",
                                  column="year, half")])


_KEPT = ("province", "city", "district", "district_code", "year", "half", "eligible_youth", "enlisted",
         "enlisted_college", "avg_wage", "price_index", "data_source")


def _model_frame(spec: ModelSpec, panel: pd.DataFrame) -> pd.DataFrame:
    """The model's columns of the panel, with cycle, lever values and numeric outcome, exposure and controls."""
    cols = [*_KEPT, spec.outcome, spec.exposure, *spec.controls, *spec.fixed_effects,
            *([spec.cluster] if spec.cluster else []), *(c for lv in spec.levers for c in LEVERS[lv].inputs)]
    panel = panel[[c for c in dict.fromkeys(cols) if c in panel.columns]]
    frame = add_cycle(panel) if {"year", "half"} <= set(panel.columns) else panel.copy()
    for lever in spec.levers:
        frame[lever] = LEVERS[lever].values(frame)
    for col in (spec.outcome, spec.exposure, *spec.controls):
        converted = pd.to_numeric(frame[col], errors="coerce")
        bad = converted.isna() & frame[col].notna()
        if bad.any():
            raise InputError([Problem(f"column {col} must be numeric; {int(bad.sum())} value(s) are not",
                                      column=col)])
        frame[col] = converted.astype(float)
    return frame


def _needed(spec: ModelSpec) -> tuple[list[str], list[str]]:
    """Columns every used row needs, and the raw ones whose missing values are counted."""
    key = [f for f in spec.fixed_effects if f.startswith("district")][:1]
    cluster = [spec.cluster] if spec.cluster else []
    needed = [spec.outcome, spec.exposure, *spec.levers, *spec.controls, *spec.fixed_effects, *cluster]
    if spec.trends:
        needed += key
    raw = [c for lv in spec.levers for c in LEVERS[lv].inputs]
    counted = [spec.outcome, spec.exposure, *raw, *spec.controls, *spec.fixed_effects, *cluster]
    return list(dict.fromkeys(needed)), list(dict.fromkeys(counted))


def _drop_incomplete(spec: ModelSpec, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    needed, counted = _needed(spec)
    dropped: dict[str, int] = {}
    for col in counted:
        # rows missing this value (a row missing several is counted under each, and once in the total)
        n = int(frame[col].isna().sum())
        if n:
            dropped[f"rows missing {col}"] = n
    missing = frame[needed].isna()
    keep = ~missing.any(axis=1)
    other = missing[list(spec.levers)].any(axis=1) & ~frame[counted].isna().any(axis=1)
    if other.any():
        dropped["rows where a lever value cannot be computed"] = int(other.sum())
    if (~keep).any():
        dropped["rows dropped in total (any missing value)"] = int((~keep).sum())
    nonpos = keep & (frame[spec.exposure] <= 0)
    if nonpos.any():
        dropped[f"rows with {spec.exposure} = 0"] = int(nonpos.sum())
        keep &= ~nonpos
    frame = frame.loc[keep]
    if len(frame) == 0:
        raise InputError(f"no row has every value the model needs ({', '.join(needed)}); nothing to fit")
    return frame, dropped


def _constant_regressors(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, str]:
    # A regressor equal in every row up to rounding (e.g. allowance = 0.4 x wage everywhere) has no
    # variation; the engine's relative test can mistake its rounding noise for variation.
    constant = {}
    for col in (*spec.levers, *spec.controls):
        v = frame[col].to_numpy(float)
        if np.ptp(v) <= 1e-9 * max(1.0, float(np.max(np.abs(v)))):
            constant[col] = "not identified: the same value in every row used (no variation)"
    return constant


def fit_model(spec: ModelSpec, panel: pd.DataFrame) -> RateModelResult:
    """Fit a rate model given by ``spec`` on a canonical panel.

    Returns
    -------
    RateModelResult
        Levers absorbed by the fixed effects or collinear are listed in
        ``not_identified`` with the reason and get no number; dropped rows and
        groups are counted in ``dropped``.
    """
    from recruitstats.models.engine import fit_rate

    spec = _resolve(spec, panel)
    _check_inputs(spec, panel)
    frame, dropped = _drop_incomplete(spec, _model_frame(spec, panel))
    constant = _constant_regressors(spec, frame)
    kwargs: dict[str, Any] = dict(
        outcome=spec.outcome, exposure=spec.exposure, fixed_effects=spec.fixed_effects,
        regressors=[c for c in (*spec.levers, *spec.controls) if c not in constant],
        cluster=spec.cluster, family=spec.family, vcov=None if spec.cluster is None and spec.vcov == "auto"
        else spec.vcov)
    if spec.trends:
        kwargs.update(trends=next(f for f in spec.fixed_effects if f.startswith("district")), time="cycle_index")
    fit = fit_rate(frame, **kwargs)
    for key, value in (getattr(fit, "dropped", None) or {}).items():
        dropped[str(key)] = int(value)
    raw = [c for lv in spec.levers for c in LEVERS[lv].inputs]
    keep = [c for c in ("province", "city", "district", "district_code", "year", "half", "cycle", "cycle_index",
                        "eligible_youth", "enlisted", "enlisted_college", "avg_wage", "data_source", *raw)
            if c in frame]
    needed, _ = _needed(spec)
    data = frame[list(dict.fromkeys(keep + needed))].copy()
    # a detail lever named after its own column (exemplar_talks) holds the regressor in the
    # engine's frame; the result keeps the raw column, from which predictions recompute it
    for lever in spec.levers:
        if lever in LEVERS[lever].inputs:
            data[lever] = pd.to_numeric(panel.loc[data.index, lever], errors="coerce").astype(float)
    return RateModelResult(spec=spec, fit=fit, data=data,
                           dropped=dropped, synthetic=_is_synthetic(panel), constant=constant)


_UNSET: Any = object()


def _fit_default(base: ModelSpec, panel: pd.DataFrame, price_index, spec: ModelSpec | None,
                 **options: Any) -> RateModelResult:
    """``spec`` (or ``base``) with the options given (not None) replacing its fields."""
    cluster = options.pop("cluster")
    options = {k: v for k, v in options.items() if v is not None}
    if cluster is not _UNSET:  # None is a choice here: no clusters
        options["cluster"] = cluster
    start = spec or base
    s = replace(start, **options)
    if s.cluster is None and s.vcov == "auto":
        s = replace(s, vcov="hetero")
    if price_index is not None:  # the stipend_real lever deflates by a price_index column
        panel = panel.assign(price_index=price_index)
    return fit_model(s, panel)


def fit_signup(panel: pd.DataFrame, *, levers: Sequence[str] | None = None,
               controls: Sequence[str] | None = None, fixed_effects: Sequence[str] | None = None,
               cluster: str | None = _UNSET, family: Family | None = None, trends: bool | None = None,
               vcov: Vcov | None = None, level: float | None = None, price_index: pd.Series | None = None,
               spec: ModelSpec | None = None) -> RateModelResult:
    """Sign-ups: applicants out of eligible youth, explained by the levers.

    ``E[applicants] = eligible_youth * exp(FE + b'levers + controls)``, a Poisson
    quasi-likelihood (or a logit with ``family="binomial"``, eligible youth as trials)
    with district and cycle fixed effects and errors clustered by district (SCHEMA.md,
    "Default model"); the default levers are publicity, stipend and outreach.

    Parameters
    ----------
    panel : canonical panel (one row per district and cycle).
    levers : lever names from the registry (``recruitstats.levers.LEVERS``), e.g.
        ``("publicity", "stipend", "exemplar_talks")``.
    controls : numeric columns added as regressors (e.g. ``unemployment_rate``).
    fixed_effects : columns absorbed as fixed effects; ``cycle`` is made from year and half.
    cluster : column to cluster errors by (default: district); None for
        heteroskedasticity-robust errors.
    family : ``"poisson"`` or ``"binomial"`` (logit; the exposure is the number of trials).
    trends : add a linear trend for each district (in cycles).
    vcov : ``"auto"`` (CRV1 with the fixest small-sample factor, or with fewer than 40
        clusters the CRV3 leave-one-cluster-out jackknife), ``"cluster"``, ``"jackknife"``,
        ``"hetero"`` or ``"iid"``.
    level : confidence level of the reported intervals.
    price_index : deflator for the ``stipend_real`` lever (one value per row, base = 1).
    spec : a whole :class:`~recruitstats.specs.ModelSpec` to start from (the options
        above, when given, replace its fields).

    Returns
    -------
    RateModelResult
    """
    return _fit_default(SIGNUP, panel, price_index, spec, levers=levers, controls=controls,
                        fixed_effects=fixed_effects, cluster=cluster, family=family, trends=trends,
                        vcov=vcov, level=level)


def fit_discharge(panel: pd.DataFrame, *, levers: Sequence[str] | None = None,
                  controls: Sequence[str] | None = None, fixed_effects: Sequence[str] | None = None,
                  cluster: str | None = _UNSET, family: Family | None = None, trends: bool | None = None,
                  vcov: Vcov | None = None, level: float | None = None, price_index: pd.Series | None = None,
                  spec: ModelSpec | None = None) -> RateModelResult:
    """Early discharge (退兵): recruits returned out of recruits enlisted.

    Same model and options as :func:`fit_signup` with ``returned`` as outcome and
    ``enlisted`` as exposure. Districts that returned nobody in any cycle carry no
    information with district fixed effects; they are dropped and counted in
    ``dropped`` (as fixest does).
    """
    return _fit_default(DISCHARGE, panel, price_index, spec, levers=levers, controls=controls,
                        fixed_effects=fixed_effects, cluster=cluster, family=family, trends=trends,
                        vcov=vcov, level=level)
