"""The one fixed-effects rate engine behind every rate model.

Sign-ups (applicants out of eligible youth), returns (returned out of enlisted)
and the piecewise-exponential survival model (events over person-days) are the
same likelihood with different columns:

    E[y] = exposure * exp(alpha_g + other fixed effects + X b)          (Poisson)
    E[y] = n * logistic(alpha_g + other fixed effects + X b)            (binomial, n = exposure)

The fixed effect with the most levels (normally the district) is absorbed: at
every IRLS step the working response and regressors are demeaned within its
groups (or, with district trends, projected off a group-specific line in time),
which is exact, so thousands of districts cost no dummy columns. The remaining
fixed effects (cycles, intervals) are few and enter as dummies. Groups whose
outcome carries no information (all zero; all successes for binomial) are
dropped and counted, as fixest does. Regressors the design cannot identify are
reported, never estimated.

Reading order: :func:`fit_rate` calls the model frame (:func:`_prepare`), the
design (:func:`_design`: absorbed effect, dummies, identification), IRLS
(:func:`_irls`) and the covariance (:func:`_covariance`, which asks
:func:`recruitstats.inference.choose_covariance`; the CRV3 jackknife,
:func:`_jackknife`, reuses the converged fit), then builds the :class:`RateFit`.
"""

from __future__ import annotations
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.inference import (
    Covariance,
    choose_covariance,
    critical_value,
    jackknife_covariance,
    resolve_vcov,
    score_test_bootstrap,
    two_sided_p,
)

__all__ = ["fit_rate", "RateFit"]

Family = Literal["poisson", "binomial"]
Vcov = Literal["auto", "cluster", "jackknife", "hetero", "iid"]

_TOL = 1e-10
_MAX_ITER = 200
_SEPARATED = "observations separated (fitted rate 0 or 1)"


# --- absorbed fixed effect: weighted within transformation -------------------

@dataclass
class _Absorber:
    codes: np.ndarray          # group code per row
    n_groups: int
    time: np.ndarray | None    # centred time for group-specific trends

    def __post_init__(self) -> None:
        # rows sorted by group (stable, so each group's sum runs in row order as bincount's does):
        # group sums of every column at once with np.add.reduceat
        self._order = np.argsort(self.codes, kind="stable")
        counts = np.bincount(self.codes, minlength=self.n_groups)
        self._starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._dense = bool((counts > 0).all())

    def _sums(self, m: np.ndarray) -> np.ndarray:
        """Per-group column sums of the 2-D array m."""
        if self._dense and len(m):
            return np.add.reduceat(m[self._order], self._starts, axis=0)
        out = np.zeros((self.n_groups, m.shape[1]))
        for j in range(m.shape[1]):
            out[:, j] = np.bincount(self.codes, m[:, j], self.n_groups)
        return out

    def demean(self, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Residual of each column of v after weighted LS on the group's own intercept (and trend)."""
        v2 = v if v.ndim == 2 else v[:, None]
        g, n = self.codes, self.n_groups
        sw = np.bincount(g, w, n)
        wv = w[:, None] * v2
        if self.time is None:
            out = v2 - (self._sums(wv) / sw[:, None])[g]
        else:
            t = self.time
            swt = np.bincount(g, w * t, n)
            swtt = np.bincount(g, w * t * t, n)
            det = sw * swtt - swt**2
            ok = np.abs(det) > 1e-12 * np.maximum(sw * swtt, 1e-300)
            sums = self._sums(np.hstack([wv, t[:, None] * wv]))
            swv, swtv = sums[:, :v2.shape[1]], sums[:, v2.shape[1]:]
            safe = np.where(ok, det, 1)[:, None]
            a = np.where(ok[:, None], (swtt[:, None] * swv - swt[:, None] * swtv) / safe, swv / sw[:, None])
            b = np.where(ok[:, None], (sw[:, None] * swtv - swt[:, None] * swv) / safe, 0.0)
            out = v2 - a[g] - b[g] * t[:, None]
        return out if v.ndim == 2 else out[:, 0]

    @property
    def n_params(self) -> int:
        return self.n_groups * (1 if self.time is None else 2)

    def subset(self, keep: np.ndarray) -> "_Absorber":
        """The absorber of the rows ``keep`` (groups renumbered; time as in the full sample)."""
        present, codes = np.unique(self.codes[keep], return_inverse=True)
        return _Absorber(codes, len(present), None if self.time is None else self.time[keep])


# --- the likelihood ---------------------------------------------------------

def _mean_and_weight(eta: np.ndarray, n: np.ndarray, family: Family) -> tuple[np.ndarray, np.ndarray]:
    bounded = np.minimum(np.maximum(eta, -700.0), 700.0)  # np.clip's wrapper costs more than the work here
    if family == "poisson":
        mu = np.exp(bounded)
        return mu, mu
    p = 1 / (1 + np.exp(-bounded))
    mu = n * p
    return mu, np.maximum(mu * (1 - p), 1e-300)


def _deviance(y: np.ndarray, mu: np.ndarray, n: np.ndarray, family: Family) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "poisson":
            term = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
        else:
            f = n - y
            term = (np.where(y > 0, y * np.log(y / mu), 0.0)
                    + np.where(f > 0, f * np.log(f / (n - mu)), 0.0))
    return float(2 * np.sum(term))


def _start(y: np.ndarray, n: np.ndarray, family: Family) -> np.ndarray:
    if family == "poisson":
        rate = y.sum() / n.sum()
        return np.log((y + rate * n) / 2 + 1e-10)
    p = (y + 0.5) / (n + 1)
    return np.log(p / (1 - p))


def _irls(y, n, offset, X, absorber, family, *, tol=_TOL, max_iter=_MAX_ITER, eta0=None):
    """IRLS with the absorbed fixed effect; returns (beta, eta, converged, iterations).

    ``eta0`` warm-starts from a linear predictor (the jackknife starts each
    leave-one-cluster-out fit from the full-sample one).
    """
    eta = _start(y, n, family) if eta0 is None else eta0
    dev_old = np.inf
    beta = np.zeros(X.shape[1])
    mu, w = _mean_and_weight(eta, n, family)
    for it in range(1, max_iter + 1):
        z = eta - offset + (y - mu) / w
        if absorber is not None:
            within = absorber.demean(np.column_stack([z, X]), w)
            zt, Xt = within[:, 0], within[:, 1:]
        else:
            zt, Xt = z, X
        if X.shape[1]:
            # k x k normal equations: an N x k lstsq is 10x slower when BLAS threads compete for cores
            xw = Xt * w[:, None]
            try:
                beta = np.linalg.solve(Xt.T @ xw, xw.T @ zt)
            except np.linalg.LinAlgError:
                sw = np.sqrt(w)
                beta = np.linalg.lstsq(Xt * sw[:, None], zt * sw, rcond=None)[0]
            resid = zt - Xt @ beta
        else:
            resid = zt
        eta = offset + z - resid
        mu, w = _mean_and_weight(eta, n, family)
        dev = _deviance(y, mu, n, family)
        if not np.isfinite(dev):
            raise InputError("the rate model did not converge (non-finite deviance); check the data for "
                             "extreme values or separation")
        if abs(dev_old - dev) / (0.1 + abs(dev)) < tol:
            return beta, eta, True, it
        dev_old = dev
    return beta, eta, False, max_iter


# --- result -----------------------------------------------------------------

@dataclass
class RateFit:
    """A fitted rate model: everything tables, figures, policy and prediction need, without refitting.

    ``params``/``cov`` hold the reported terms: the identified regressors, and
    "(intercept)" first when there is no fixed effect. ``fe_part`` is, per row of
    ``data``, the linear predictor minus the offset minus the reported terms' X b
    (the fixed effects' contribution); ``fe_effects`` maps each fixed effect to its
    level -> effect (dummies: the reference level at 0; the absorbed effect: per
    group; with district trends a DataFrame of intercept, slope and time_centre, the
    effect being intercept + slope * (time - time_centre)). Levels are strings, as
    the engine keeps them. ``offset_kind`` is "log_exposure" (Poisson) or "trials"
    (binomial).
    """

    params: pd.Series
    cov: pd.DataFrame
    df_t: int | None
    n_obs: int
    n_clusters: int | None
    cluster: str | None
    fixed_effects: tuple[str, ...]
    family: str
    outcome: str
    exposure: str | None
    not_identified: dict[str, str]
    dropped: dict[str, int]
    inference: str
    warnings: list[str]
    fitted: pd.Series
    data: pd.DataFrame
    converged: bool
    iterations: int
    vcov: str
    deviance: float
    fe_part: pd.Series | None = None
    fe_effects: dict[str, pd.Series | pd.DataFrame] = field(default_factory=dict)
    offset_kind: str = "log_exposure"
    inference_zh: str = ""
    _spec: dict = field(default_factory=dict, repr=False)

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.values)), index=self.params.index, name="se")

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.se

    @property
    def pvalues(self) -> pd.Series:
        return pd.Series(two_sided_p(self.tvalues, self.df_t), index=self.params.index, name="p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals with t(G-1) critical values when clustered, normal otherwise."""
        c = critical_value(level, self.df_t)
        return pd.DataFrame({"low": self.params - c * self.se, "high": self.params + c * self.se})

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        ci = self.conf_int(level)
        return pd.DataFrame({"coef": self.params, "se": self.se, "ci_low": ci["low"],
                             "ci_high": ci["high"], "p_value": self.pvalues})

    def bootstrap(self, *, reps: int = 999, seed: int = 12345, level: float = 0.95,
                  weights: str = "webb", progress: bool = True) -> pd.DataFrame:
        """Wild score cluster bootstrap p-values and intervals (null imposed), see :func:`recruitstats.inference.score_test_bootstrap`."""
        if self.cluster is None or self.vcov not in ("cluster", "jackknife"):
            raise InputError("the score bootstrap needs clustered errors (give a cluster variable)")
        return score_test_bootstrap(
            self._restricted_cluster_scores, names=list(self.params.index), estimates=self.params,
            se=self.se, df=self.df_t, n_clusters=int(self.n_clusters or 0), reps=reps, seed=seed,
            level=level, weights=weights, progress=progress)

    def _restricted_cluster_scores(self, name: str, value: float) -> np.ndarray:
        s = self._spec
        X, cols = s["X"], s["columns"]
        k = cols.index(name)
        keep = [j for j in range(X.shape[1]) if j != k]
        offset = s["offset"] + value * X[:, k]
        _, eta, _, _ = _irls(s["y"], s["n"], offset, X[:, keep], s["absorber"], s["family"])
        mu, w = _mean_and_weight(eta, s["n"], s["family"])
        Xt = s["absorber"].demean(X, w) if s["absorber"] is not None else X
        H = Xt.T @ (Xt * w[:, None])
        sc = Xt * (s["y"] - mu)[:, None]
        h_ko = H[k, keep]
        proj = np.linalg.lstsq(H[np.ix_(keep, keep)], h_ko, rcond=None)[0]
        eff = sc[:, k] - sc[:, keep] @ proj
        return np.bincount(s["cluster_codes"], eff, int(self.n_clusters or 0))


# --- the model's options ---------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    outcome: str
    exposure: str | None
    regressors: tuple[str, ...]
    fixed_effects: tuple[str, ...]
    cluster: str | None
    family: Family
    trends: str | None
    time: str | None
    vcov: str

    @classmethod
    def make(cls, *, outcome, exposure, regressors, fixed_effects, cluster, family, trends, time, vcov):
        if family not in ("poisson", "binomial"):
            raise InputError(f"unknown family {family!r}: use 'poisson' or 'binomial'")
        if family == "binomial" and exposure is None:
            raise InputError("the binomial model needs an exposure column (the number of trials)")
        fes = list(fixed_effects)
        if trends is not None:
            if time is None:
                raise InputError("district trends need a time column (e.g. cycle_index)")
            if trends not in fes:
                fes.insert(0, trends)
        return cls(outcome, exposure, tuple(regressors), tuple(fes), cluster, family, trends, time,
                   resolve_vcov(vcov, cluster=cluster))

    @property
    def numeric(self) -> list[str]:
        return [self.outcome, *self.regressors] + [c for c in (self.exposure, self.time) if c]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([self.outcome, *self.regressors, *self.fixed_effects]
                                  + [c for c in (self.exposure, self.cluster, self.time) if c]))

    def kwargs(self) -> dict:
        return dict(outcome=self.outcome, exposure=self.exposure, regressors=list(self.regressors),
                    fixed_effects=list(self.fixed_effects), cluster=self.cluster, family=self.family,
                    trends=self.trends, time=self.time, vcov=self.vcov)


# --- data preparation -------------------------------------------------------------

def _check_columns(data: pd.DataFrame, needed: list[str]) -> None:
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise InputError([Problem(f"column '{c}' is needed by the model but is not in the data", column=c)
                          for c in missing])


@dataclass
class _Group:
    """A grouping column factorised once: codes per row (-1: missing) and its sorted string levels."""

    codes: np.ndarray
    levels: pd.Index

    @classmethod
    def of(cls, column: pd.Series) -> "_Group":
        # factorise the raw values, then their text: 1 and "1" are one group, levels sort as text
        raw, uniques = pd.factorize(column, sort=False)
        merged, levels = pd.factorize(pd.Index(uniques).astype(str), sort=True)
        codes = np.where(raw >= 0, merged[np.maximum(raw, 0)] if len(merged) else -1, -1)
        return cls(codes, pd.Index(levels))

    def text(self) -> np.ndarray:
        out = self.levels.to_numpy(object)[np.maximum(self.codes, 0)] if len(self.levels) else \
            np.full(len(self.codes), np.nan, object)
        out[self.codes < 0] = np.nan
        return out

    def subset(self, keep: np.ndarray) -> "_Group":
        """The rows ``keep``, levels no longer present removed (codes renumbered)."""
        present, codes = np.unique(self.codes[keep], return_inverse=True)
        return _Group(codes.reshape(-1), self.levels[present])

    @property
    def n(self) -> int:
        return len(self.levels)


def _model_frame(data: pd.DataFrame, spec: _Spec) -> tuple[pd.DataFrame, dict[str, int], dict[str, _Group]]:
    """The model's columns as floats (numbers) and strings (groups), complete rows only."""
    _check_columns(data, spec.columns)
    df = data[spec.columns].copy()
    for c in spec.numeric:
        if df[c].dtype != np.float64:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    groups: dict[str, _Group] = {}
    incomplete = ~np.isfinite(df[spec.numeric].to_numpy(float)).all(axis=1)
    for c in dict.fromkeys(list(spec.fixed_effects) + ([spec.cluster] if spec.cluster else [])):
        groups[c] = _Group.of(df[c])
        df[c] = groups[c].text()
        incomplete |= groups[c].codes < 0
    dropped: dict[str, int] = {}
    if incomplete.any():
        dropped["observations with missing or infinite values"] = int(incomplete.sum())
        df, groups = _keep_rows(df, groups, ~incomplete)
    return df, dropped, groups


def _keep_rows(df: pd.DataFrame, groups: dict[str, _Group], keep: np.ndarray):
    return df.loc[keep], {c: g.subset(keep) for c, g in groups.items()}


def _prepare(data: pd.DataFrame, spec: _Spec) -> tuple[pd.DataFrame, dict[str, int], dict[str, _Group]]:
    """Model frame, impossible values refused, rows and groups without information dropped and counted."""
    df, dropped, groups = _model_frame(data, spec)
    outcome, exposure = spec.outcome, spec.exposure
    y = df[outcome].to_numpy()
    if exposure is not None:
        zero = df[exposure].to_numpy() <= 0
        if (y[zero] > 0).any():
            raise InputError(f"{outcome} is positive where {exposure} is zero or negative")
        if zero.any():
            dropped[f"observations with {exposure} <= 0"] = int(zero.sum())
            df, groups = _keep_rows(df, groups, ~zero)
    if (df[outcome].to_numpy() < 0).any():
        raise InputError(f"{outcome} has negative values")
    if spec.family == "binomial" and (df[outcome].to_numpy() > df[exposure].to_numpy()).any():
        raise InputError(f"{outcome} exceeds {exposure} (successes above trials)")
    keep, more = _drop_uninformative(df, groups, spec)
    dropped.update(more)
    if not keep.all():
        df, groups = _keep_rows(df, groups, keep)
    if len(df) == 0 or df[outcome].sum() == 0:
        raise InputError(f"no observation with a positive {outcome} is left: the model cannot be estimated")
    return df, dropped, groups


def _uninformative(y: np.ndarray, n: np.ndarray, codes: np.ndarray, family: Family) -> np.ndarray:
    """Rows whose group's outcome is all zero (or, binomial, all successes)."""
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    sy = np.bincount(codes, y, n_groups)
    bad = sy == 0
    if family == "binomial":
        bad |= sy == np.bincount(codes, n, n_groups)
    return bad[codes]


def _drop_uninformative(df: pd.DataFrame, groups: dict[str, _Group], spec: _Spec) -> tuple[np.ndarray, dict]:
    """Rows to keep after dropping, round after round, fixed-effect groups whose outcome is all zero (or all successes)."""
    dropped: dict[str, int] = {}
    keep = np.ones(len(df), bool)
    y = df[spec.outcome].to_numpy(float)
    n = df[spec.exposure].to_numpy(float) if spec.exposure else np.ones(len(df))
    changed = bool(spec.fixed_effects)
    while changed:
        changed = False
        for fe in spec.fixed_effects:
            sub = np.flatnonzero(keep)
            codes = groups[fe].codes[sub]
            bad = _uninformative(y[sub], n[sub], codes, spec.family)
            if bad.any():
                key = f"{fe} groups with no variation in {spec.outcome}"
                dropped[key] = dropped.get(key, 0) + len(np.unique(codes[bad]))
                dropped["observations in those groups"] = dropped.get("observations in those groups", 0) \
                    + int(bad.sum())
                keep[sub[bad]] = False
                changed = True
    return keep, dropped


# --- design: absorbed effect, dummies, identification ------------------------------

@dataclass
class _Design:
    """Arrays of one fit. X = [identified regressors | dummies (or the intercept)]."""

    y: np.ndarray
    n: np.ndarray
    offset: np.ndarray
    R: np.ndarray                  # every requested regressor (identified or not)
    D: np.ndarray                  # dummies kept (or the intercept column)
    X: np.ndarray
    names: list[str]               # identified regressors (the first k columns of X)
    d_names: list[str]
    not_identified: dict[str, str]
    absorbed: str | None
    absorber: _Absorber | None
    other_fes: list[str]
    groups: dict[str, _Group]

    @property
    def columns(self) -> list[str]:
        return self.names + self.d_names

    @property
    def reported(self) -> list[int]:
        """Columns of X whose estimates are reported: "(intercept)" first (no fixed effect), then regressors."""
        k = len(self.names)
        return ([k] if self.absorbed is None and "(intercept)" in self.d_names else []) + list(range(k))


def _dummies(groups: dict[str, _Group], fes: Sequence[str], n_rows: int,
             intercept: bool) -> tuple[np.ndarray, list[str]]:
    blocks, names = [], []
    if intercept:
        blocks.append(np.ones((n_rows, 1)))
        names.append("(intercept)")
    for fe in fes:
        codes, levels = groups[fe].codes, groups[fe].levels
        if len(levels) > 1:
            m = np.zeros((n_rows, len(levels) - 1))
            rows = np.nonzero(codes > 0)[0]
            m[rows, codes[rows] - 1] = 1.0
            blocks.append(m)
            names += [f"{fe}[{lv}]" for lv in levels[1:]]
    if not blocks:
        return np.zeros((n_rows, 0)), []
    return np.hstack(blocks), names


def _identify(R: np.ndarray, D: np.ndarray, names: list[str], w: np.ndarray, absorber) -> tuple[list[int], dict]:
    """Which regressors survive the fixed effects and each other; the rest get a reason."""
    sw = np.sqrt(w)
    def within(v):
        return absorber.demean(v, w) if absorber is not None else v - np.average(v, axis=0, weights=w)
    Rt, Dt = within(R), within(D) if D.shape[1] else D
    if Dt.shape[1]:
        U, sv, _ = np.linalg.svd(Dt * sw[:, None], full_matrices=False)
        Q = U[:, sv > 1e-10 * max(sv.max(initial=0.0), 1e-300)]
    else:
        Q = np.zeros((len(R), 0))
    kept: list[int] = []
    reasons: dict[str, str] = {}
    basis = Q
    for j, name in enumerate(names):
        raw = R[:, j] * sw
        scale = np.linalg.norm(raw)
        v = Rt[:, j] * sw
        r_fe = v - Q @ (Q.T @ v) if Q.shape[1] else v
        if scale == 0 or np.linalg.norm(r_fe) <= 1e-8 * scale:
            reasons[name] = "not identified: absorbed by the fixed effects (no variation within them)"
            continue
        r = r_fe - basis @ (basis.T @ r_fe) if basis.shape[1] else r_fe
        if np.linalg.norm(r) <= 1e-8 * np.linalg.norm(r_fe):
            others = ", ".join(names[i] for i in kept)
            reasons[name] = f"not identified: collinear with {others} given the fixed effects"
            continue
        kept.append(j)
        basis = np.column_stack([basis, r / np.linalg.norm(r)])
    return kept, reasons


def _independent_dummies(D: np.ndarray, w0: np.ndarray, absorber) -> np.ndarray:
    """Mask of dummy columns not collinear with the absorbed effect or earlier dummies (e.g. with trends)."""
    if not D.shape[1]:
        return np.zeros(0, bool)
    Dt = absorber.demean(D, w0) if absorber is not None else D
    diag = np.abs(np.diag(np.linalg.qr(Dt, mode="r")))
    return diag > 1e-8 * max(diag.max(), 1e-300)


def _absorber(df: pd.DataFrame, spec: _Spec, groups: dict[str, _Group]) -> tuple[str | None, _Absorber | None]:
    """The fixed effect with most levels (or the trends' one) is absorbed, not estimated."""
    fes = spec.fixed_effects
    if not fes:
        return None, None
    absorbed = spec.trends if spec.trends is not None else max(fes, key=lambda f: groups[f].n)
    codes, levels = groups[absorbed].codes, groups[absorbed].levels
    t = None
    if spec.trends is not None:
        tt = df[spec.time].to_numpy(float)
        t = tt - tt.mean()
    return absorbed, _Absorber(codes, len(levels), t)


def _design(df: pd.DataFrame, spec: _Spec, groups: dict[str, _Group]) -> _Design:
    absorbed, absorber = _absorber(df, spec, groups)
    other_fes = [f for f in spec.fixed_effects if f != absorbed]
    D, d_names = _dummies(groups, other_fes, len(df), intercept=absorbed is None)
    y = df[spec.outcome].to_numpy(float)
    n = df[spec.exposure].to_numpy(float) if spec.exposure else np.ones(len(df))
    offset = np.log(n) if spec.family == "poisson" else np.zeros(len(df))
    regs = list(spec.regressors)
    R = df[regs].to_numpy(float) if regs else np.zeros((len(df), 0))
    w0 = n * max(y.sum() / n.sum(), 1e-12)
    kept, not_identified = _identify(R, D, regs, w0, absorber)
    good = _independent_dummies(D, w0, absorber)
    D, d_names = D[:, good], [nm for nm, g in zip(d_names, good) if g]
    X = np.column_stack([R[:, kept], D]) if (kept or D.shape[1]) else np.zeros((len(df), 0))
    return _Design(y, n, offset, R, D, X, [regs[j] for j in kept], d_names, not_identified, absorbed,
                   absorber, other_fes, groups)


# --- covariance ----------------------------------------------------------------------

def _n_params(design: _Design, df: pd.DataFrame, spec: _Spec) -> int:
    """K of the small-sample factor: every parameter (HC1), or fixest's "nested" rule (CRV1)."""
    absorber = design.absorber
    k = design.X.shape[1] + (absorber.n_params if absorber is not None else 0)
    if spec.vcov in ("hetero", "iid"):
        return k
    # an effect nested in the clusters counts as one parameter (a district effect clustered by district)
    groups = design.groups
    nested = [f for f in spec.fixed_effects if _nests(groups[f].codes, groups[spec.cluster].codes)]
    for f in nested:
        k -= (absorber.n_params if f == design.absorbed
              else sum(nm.startswith(f"{f}[") for nm in design.d_names) + 1)
    return k + (1 if nested else 0)


def _covariance(design: _Design, df: pd.DataFrame, spec: _Spec, beta: np.ndarray,
                eta: np.ndarray) -> tuple[Covariance, np.ndarray | None]:
    """The covariance of the reported terms by the package's one rule; also the cluster codes."""
    mu, w = _mean_and_weight(eta, design.n, spec.family)
    Xt = design.absorber.demean(design.X, w) if design.absorber is not None else design.X
    bread = np.linalg.pinv(Xt.T @ (Xt * w[:, None]))
    scores = Xt * (design.y - mu)[:, None]
    codes = None
    if spec.cluster and spec.vcov not in ("hetero", "iid"):
        codes = design.groups[spec.cluster].codes
    chosen = choose_covariance(
        spec.vcov, bread=bread, scores=scores, clusters=codes, cluster_name=spec.cluster,
        n_params=_n_params(design, df, spec), keep=design.reported, iid_note="assumes no overdispersion",
        jackknife=lambda: _jackknife(design, df, spec, beta, eta, codes))
    return chosen, codes


# --- CRV3 jackknife: leave-one-cluster-out fits warm-started from the full fit ----------

class _Unidentified(Exception):
    """A reported term is not identified without some cluster: the jackknife cannot be computed."""


def _jackknife(design, df, spec, beta, eta, codes) -> np.ndarray | None:
    """CRV3 of the reported terms; None when a term is not identified without some cluster."""
    rep = design.reported
    fe_codes = [design.groups[f].codes for f in spec.fixed_effects]
    n_clusters = int(codes.max()) + 1
    steps, hessians, Xt, safe = _first_steps(design, spec, fe_codes, codes, beta, eta)
    done: dict[int, np.ndarray] = {}
    if spec.family == "poisson" and safe.any():
        done = _chord_poisson(design, codes, np.flatnonzero(safe), beta + steps, hessians, beta, eta)
    draws = np.empty((n_clusters, len(rep)))
    try:
        for g in range(n_clusters):
            if g in done:
                draws[g] = done[g][rep]
                continue
            keep = codes != g
            if safe[g]:
                est = _continue(design, spec, keep, eta[keep] + Xt[keep] @ steps[g])
            else:
                est = _leave_out(design, spec, fe_codes, keep, eta)
            draws[g] = est if est is not None else _from_scratch(df.loc[keep], spec, design)
    except _Unidentified:
        return None
    return jackknife_covariance(draws, beta[rep])


def _first_steps(design, spec, fe_codes, codes, beta, eta):
    """Every cluster's first Newton step at once, when the absorbed effect is nested in the clusters.

    Then the within-transformed rows of the other clusters do not change when a
    cluster is left out, so its normal equations are the full ones minus its own
    sums. Returns per cluster the first step (its change from the full estimates),
    the leave-out Hessian (within the absorbed effect, at the full fit), the
    within-transformed X, and which clusters may take the step: those whose leaving
    keeps every group informative and every column clearly identified (normalised
    Hessian well away from singular); the others take the checked path of
    :func:`_leave_out`.
    """
    G = int(codes.max()) + 1
    absorber, X = design.absorber, design.X
    safe = np.zeros(G, bool)
    if absorber is None or absorber.time is not None or not X.shape[1] or not _nests(absorber.codes, codes):
        return None, None, None, safe
    mu, w = _mean_and_weight(eta, design.n, spec.family)
    z = eta - design.offset + (design.y - mu) / w
    within = absorber.demean(np.column_stack([z, X]), w)
    zt, Xt = within[:, 0], within[:, 1:]
    k = X.shape[1]
    # per cluster: X'WX, X'Wz (within) and the raw weighted squares, from its contiguous rows
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(G + 1))
    xws = (Xt * w[:, None])[order]
    right = np.column_stack([Xt, zt])[order]
    per = np.stack([xws[a:b].T @ right[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
    raw_per = np.add.reduceat((w[:, None] * X * X)[order], bounds[:-1], axis=0)
    total, raw_total = per.sum(axis=0), raw_per.sum(axis=0)
    A, b, raw = total[:, :k] - per[:, :, :k], total[:, k] - per[:, :, k], raw_total - raw_per
    scale = np.sqrt(np.maximum(raw, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        normed = A / (scale[:, :, None] * scale[:, None, :])
    ok = np.all(scale > 0, axis=1) & np.all(np.isfinite(normed.reshape(G, -1)), axis=1)
    ok[ok] = np.linalg.eigvalsh(normed[ok])[:, 0] > 1e-10
    ok &= _still_informative(design, spec, fe_codes, codes, G)
    steps = np.zeros((G, k))
    steps[ok] = np.linalg.solve(A[ok], b[ok][:, :, None])[:, :, 0] - beta
    return steps, A, Xt, ok


def _chord_poisson(design, codes, todo, start, hessians, beta, eta, *, tol=1e-13, max_iter=60):
    """Leave-one-cluster-out Poisson estimates for the clusters ``todo``, all at once.

    With the absorbed effect profiled out (for Poisson its MLE given b is closed
    form: a group's fitted values are its events shared in proportion to
    exposure * exp(x b)), the estimates solve X'(y - mu(b)) = 0 over the remaining
    rows. Chord (fixed-Hessian Newton) steps with each cluster's Hessian at the full
    fit converge to that exact solution, linearly at a rate of the order of the
    change the cluster makes, at O(N k) per step instead of O(N k^2). Returns
    {cluster: estimates of every column of X}; a cluster that does not converge, or
    whose fit separates rows, is left to the loop.
    """
    X, y, n = design.X, design.y, design.n
    h, H = design.absorber.codes, design.absorber.n_groups
    mu_hat = _mean_and_weight(eta, n, "poisson")[0]
    sy = np.bincount(h, y, H)
    out: dict[int, np.ndarray] = {}
    # clusters per block: bounds memory, and keeps each product under 2^18 multiply-adds, below which
    # OpenBLAS does not start threads (their start-up costs more than these small products)
    block = max(1, min(2_000_000 // max(len(y), 1), 2**18 // max(len(y) * X.shape[1], 1)))
    for lo in range(0, len(todo), block):
        gs = todo[lo:lo + block]
        inv = np.linalg.inv(hessians[gs])
        B = start[gs].copy()
        keep = codes[None, :] != gs[:, None]
        pair = (np.arange(len(gs))[:, None] * H + h[None, :]).ravel()
        base, yk, Xt = mu_hat[None, :] * keep, y[None, :] * keep, np.ascontiguousarray(X.T)
        for _ in range(max_iter):  # a diverging cluster overflows to inf/nan, fails the test, goes to the loop
            with np.errstate(over="ignore", invalid="ignore"):
                r = base * np.exp((B - beta) @ Xt)
            denom = np.bincount(pair, r.ravel(), len(gs) * H).reshape(len(gs), H)
            share = np.divide(sy[None, :], denom, out=np.zeros_like(denom), where=denom > 0)
            mu = r * share[:, h]
            step = np.einsum("gkl,gl->gk", inv, (yk - mu) @ X)
            B += step
            if np.abs(step).max() <= tol * (1 + np.abs(B).max()):
                break
        else:
            continue
        base = (y[None, :] * keep).sum(axis=1) / (n[None, :] * keep).sum(axis=1)
        separated = (keep & (y[None, :] == 0) & (mu / n[None, :] < 1e-7 * base[:, None])).any(axis=1)
        out.update({int(g): B[i] for i, g in enumerate(gs) if not separated[i]})
    return out


def _nests(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Whether each group of ``inner`` lies in one group of ``outer``."""
    first = np.full(int(inner.max()) + 1, -1)
    first[inner] = outer
    return bool((first[inner] == outer).all())


def _still_informative(design, spec, fe_codes, codes, G) -> np.ndarray:
    """Per cluster: does every group of every fixed effect keep events (and non-events) without it?"""
    ok = np.ones(G, bool)
    for c in fe_codes:
        L = int(c.max()) + 1
        pair = codes * L + c
        sides = [design.y] + ([design.n - design.y] if spec.family == "binomial" else [])
        for v in sides:  # events, and for binomial non-events: each must stay in every group left
            by_pair = np.bincount(pair, v, G * L).reshape(G, L)
            rows = np.bincount(pair, minlength=G * L).reshape(G, L)
            left = by_pair.sum(axis=0) - by_pair
            still_there = rows.sum(axis=0) - rows > 0
            ok &= ~np.any(still_there & (left == 0), axis=1)
    return ok


def _continue(design, spec, keep, eta1) -> np.ndarray | None:
    """IRLS of one leave-one-cluster-out fit from its first Newton step."""
    ys, ns = design.y[keep], design.n[keep]
    absorber = design.absorber.subset(keep)
    b, e, _, _ = _irls(ys, ns, design.offset[keep], design.X[keep], absorber, spec.family, eta0=eta1)
    if _separated(ys, _mean_and_weight(e, ns, spec.family)[0], ns, spec.family).any():
        return None
    return b[design.reported]


def _leave_out(design, spec, fe_codes, keep, eta) -> np.ndarray | None:
    """Estimates without some rows, IRLS warm-started at the full fit's linear predictor.

    Only what removing a cluster can change is checked again: groups left without
    events, dummies left without rows, regressors left without variation (tested in
    the first Newton step, weighted by the full fit). None asks for a fit from
    scratch (separation, which the full path handles).
    """
    y, n, family = design.y, design.n, spec.family
    keep = _informative_rows(y, n, fe_codes, keep, family)
    if y[keep].sum() == 0:
        raise _Unidentified
    ys, ns, off = y[keep], n[keep], design.offset[keep]
    absorber = design.absorber.subset(keep) if design.absorber is not None else None
    k = len(design.names)
    R, D = design.X[keep, :k], design.D[keep]
    mu, w = _mean_and_weight(eta[keep], ns, family)
    if absorber is None:  # no fixed effect: D is the intercept, which stays
        _still_identified(R - np.average(R, axis=0, weights=w), D[:, :0], R, w)
        X, first = np.column_stack([R, D]), eta[keep]
    else:
        z = eta[keep] - off + (ys - mu) / w
        within = absorber.demean(np.column_stack([z, R, D]), w)
        good = _still_identified(within[:, 1:k + 1], within[:, k + 1:], R, w)
        X, Xt = np.column_stack([R, D[:, good]]), np.column_stack([within[:, 1:k + 1], within[:, k + 1:][:, good]])
        xw = Xt * w[:, None]
        beta = np.linalg.solve(Xt.T @ xw, xw.T @ within[:, 0])
        first = off + z - (within[:, 0] - Xt @ beta)
    b, e, _, _ = _irls(ys, ns, off, X, absorber, family, eta0=first)
    if _separated(ys, _mean_and_weight(e, ns, family)[0], ns, family).any():
        return None
    return b[design.reported]


def _still_identified(Rt, Dt, R, w) -> np.ndarray:
    """Dummies still independent (returned as a mask); raises _Unidentified when a regressor no longer is.

    The tests of the full fit (:func:`_identify`, :func:`_independent_dummies`) on
    columns already taken within the absorbed effect: one QR of [independent
    dummies | regressors] gives, below the dummies' rows, each regressor's residual
    given the fixed effects, and on its diagonal, given the earlier regressors too.
    """
    good = np.zeros(0, bool)
    if Dt.shape[1]:
        diag = np.abs(np.diag(np.linalg.qr(Dt, mode="r")))
        good = diag > 1e-8 * max(diag.max(), 1e-300)
    sw = np.sqrt(w)[:, None]
    d = int(good.sum())
    upper = np.linalg.qr(np.hstack([Dt[:, good], Rt]) * sw, mode="r")
    scale = np.linalg.norm(R * sw, axis=0)
    r_fe = np.linalg.norm(upper[d:, d:], axis=0)
    r = np.abs(np.diag(upper)[d:])
    if not np.all((scale > 0) & (r_fe > 1e-8 * scale) & (r > 1e-8 * r_fe)):
        raise _Unidentified
    return good


def _informative_rows(y, n, fe_codes, keep, family) -> np.ndarray:
    keep = keep.copy()
    changed = bool(fe_codes)
    while changed:
        changed = False
        for c in fe_codes:
            sub = np.flatnonzero(keep)
            bad = _uninformative(y[sub], n[sub], c[sub], family)
            if bad.any():
                keep[sub[bad]] = False
                changed = True
    return keep


def _from_scratch(sub: pd.DataFrame, spec: _Spec, design: _Design) -> np.ndarray:
    terms = [design.columns[j] for j in design.reported]
    try:
        fit = fit_rate(sub, **{**spec.kwargs(), "regressors": design.names, "vcov": "iid"})
    except InputError:
        raise _Unidentified from None
    if list(fit.params.index) != terms:
        raise _Unidentified
    return fit.params.to_numpy()


def _separated(y: np.ndarray, mu: np.ndarray, n: np.ndarray, family: Family) -> np.ndarray:
    """Rows with a fitted rate of 0 (or 1): they push a coefficient to +-infinity."""
    p_hat = mu / n
    base = y.sum() / n.sum()
    sep = (y == 0) & (p_hat < 1e-7 * base)
    if family == "binomial":
        sep |= (y == n) & (1 - p_hat < 1e-7 * (1 - base))
    return sep


# --- what prediction needs: the fixed effects' part and their levels' effects ---------------

def _fe_effects(df: pd.DataFrame, design: _Design, coef: dict[str, float], absorbed_part: np.ndarray,
                spec: _Spec) -> dict[str, pd.Series | pd.DataFrame]:
    """Each fixed effect's level -> effect, enough to rebuild ``fe_part`` for rows of known levels."""
    out: dict[str, pd.Series | pd.DataFrame] = {}
    for fe in design.other_fes:
        levels = design.groups[fe].levels
        out[fe] = pd.Series([coef.get(f"{fe}[{lv}]", 0.0) for lv in levels], index=levels, name=fe)
    absorbed, absorber = design.absorbed, design.absorber
    if absorbed is None:
        return out
    codes, levels = design.groups[absorbed].codes, design.groups[absorbed].levels
    ones = np.ones(len(df))
    if absorber.time is None:
        mean = np.bincount(codes, absorbed_part, len(levels)) / np.bincount(codes, ones, len(levels))
        out[absorbed] = pd.Series(mean, index=pd.Index(levels), name=absorbed)
        return out
    a, b = _group_line(codes, len(levels), absorber.time, absorbed_part)
    out[absorbed] = pd.DataFrame({"intercept": a, "slope": b,
                                  "time_centre": float(df[spec.time].to_numpy(float).mean())},
                                 index=pd.Index(levels))
    return out


def _group_line(codes, n_groups, t, v):
    """Per-group unweighted least-squares intercept and slope of v on t (slope 0 for one time point)."""
    ones = np.ones(len(v))
    sw, swt, swtt = (np.bincount(codes, x, n_groups) for x in (ones, t, t * t))
    swv, swtv = np.bincount(codes, v, n_groups), np.bincount(codes, t * v, n_groups)
    det = sw * swtt - swt**2
    ok = np.abs(det) > 1e-12 * np.maximum(sw * swtt, 1e-300)
    safe = np.where(ok, det, 1)
    return (np.where(ok, (swtt * swv - swt * swtv) / safe, swv / sw),
            np.where(ok, (sw * swtv - swt * swv) / safe, 0.0))


# --- the public entry point ------------------------------------------------

def _result(df, spec, design, dropped, beta, eta, converged, iters, chosen, codes) -> RateFit:
    rep = design.reported
    idx = pd.Index([design.columns[j] for j in rep], name="term")
    X, k = design.X, len(design.names)
    fe_part = eta - design.offset - X[:, rep] @ beta[rep]
    absorbed_part = fe_part - X[:, k:] @ beta[k:] if design.absorbed is not None else fe_part
    mu = _mean_and_weight(eta, design.n, spec.family)[0]
    warnings = [] if converged else [f"the fit did not converge in {iters} iterations; estimates are unreliable"]
    return RateFit(
        params=pd.Series(beta[rep], index=idx, name="coef"),
        cov=pd.DataFrame(chosen.cov, index=idx, columns=idx), df_t=chosen.df_t, n_obs=len(df),
        n_clusters=chosen.n_clusters, cluster=spec.cluster, fixed_effects=spec.fixed_effects,
        family=spec.family, outcome=spec.outcome, exposure=spec.exposure,
        not_identified=design.not_identified, dropped=dropped, inference=chosen.description,
        warnings=warnings + list(chosen.warnings), fitted=pd.Series(mu, index=df.index, name="fitted"),
        data=df, converged=converged, iterations=iters, vcov=chosen.method,
        deviance=_deviance(design.y, mu, design.n, spec.family),
        fe_part=pd.Series(fe_part, index=df.index, name="fe_part"),
        fe_effects=_fe_effects(df, design, dict(zip(design.columns, beta)), absorbed_part, spec),
        offset_kind="log_exposure" if spec.family == "poisson" else "trials", inference_zh=chosen.description_zh,
        _spec={"X": X, "columns": design.columns, "y": design.y, "n": design.n, "offset": design.offset,
               "absorber": design.absorber, "family": spec.family, "cluster_codes": codes})


def _without_separated(df: pd.DataFrame, sep: np.ndarray, dropped: dict[str, int], spec: _Spec) -> RateFit:
    """Drop perfectly predicted rows and fit again (they push a coefficient to +-infinity)."""
    refit = fit_rate(df.loc[~sep], **spec.kwargs())
    refit.warnings.append(f"{int(sep.sum())} observation(s) perfectly predicted (separation) were dropped; "
                          "a regressor reported as not identified may be the one that separated them")
    refit.dropped = {**dropped, _SEPARATED: int(sep.sum()) + refit.dropped.pop(_SEPARATED, 0), **refit.dropped}
    return refit


def fit_rate(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str | None,
    regressors: Sequence[str],
    fixed_effects: Sequence[str] = (),
    cluster: str | None = None,
    family: Family = "poisson",
    trends: str | None = None,
    time: str | None = None,
    vcov: Vcov | None = None,
) -> RateFit:
    """Fit a Poisson or binomial-logit rate model with absorbed fixed effects.

    Parameters
    ----------
    data : one row per unit (district-cycle, or survival cell).
    outcome : count column (applicants, returned, events).
    exposure : column of people (or person-time) at risk; the log is an offset for
        Poisson, the number of trials for binomial. None: exposure 1 (Poisson only).
    regressors : numeric columns whose coefficients are reported.
    fixed_effects : columns whose levels get their own effect; the one with most
        levels is absorbed, the others enter as dummies. Empty: an intercept,
        reported as "(intercept)".
    cluster : column for cluster-robust errors (the default inference when given).
    family : ``"poisson"`` (quasi-likelihood; errors robust to overdispersion) or
        ``"binomial"`` (logit, exposure = trials).
    trends : a fixed-effect column whose groups get their own linear trend in ``time``.
    time : numeric time column for ``trends`` (e.g. ``cycle_index``).
    vcov : with a cluster, ``"auto"`` (default: CRV1, or with fewer than 40
        clusters the CRV3 leave-one-cluster-out jackknife, which keeps 95%
        intervals near 95% with a dozen districts), ``"cluster"`` (always CRV1) or
        ``"jackknife"`` (always CRV3); without one ``"hetero"`` (HC1, default) or
        ``"iid"`` (model-based). See :func:`recruitstats.inference.choose_covariance`.

    Returns
    -------
    RateFit
    """
    spec = _Spec.make(outcome=outcome, exposure=exposure, regressors=regressors, fixed_effects=fixed_effects,
                      cluster=cluster, family=family, trends=trends, time=time, vcov=vcov)
    df, dropped, groups = _prepare(data, spec)
    design = _design(df, spec, groups)
    beta, eta, converged, iters = _irls(design.y, design.n, design.offset, design.X, design.absorber, family)
    sep = _separated(design.y, _mean_and_weight(eta, design.n, family)[0], design.n, family)
    if sep.any():
        return _without_separated(df, sep, dropped, spec)
    chosen, codes = _covariance(design, df, spec, beta, eta)
    return _result(df, spec, design, dropped, beta, eta, converged, iters, chosen, codes)
