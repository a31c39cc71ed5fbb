"""Publicity dynamics: carry-over (geometric adstock) and diminishing returns (log, Hill).

Publicity money spent in one call-up cycle still works in the next ones. The
geometric adstock of spend ``x`` with decay ``L`` (the share carried to the next
cycle) is, along a district's cycles,

    S_t = x_t + L * S_(t-1),    A_t = (1 - L) * S_t,

started at the steady state ``S = x / (1 - L)`` at a district's first cycle (or
after a cycle missing from its data), so a constant spend maps to itself. This
is the simulator's definition (:mod:`recruitstats.simulate`, ``carryover``).

Diminishing returns enter through the publicity regressor ``h`` of the sign-up
model, with ``a = A / eligible_youth`` (adstocked yuan per eligible youth):

- ``"log"``: ``h = log(a)``; the coefficient is the elasticity of sign-ups with
  respect to the adstocked spend (every doubling adds the same share);
- ``"hill"``: ``h = a^s / (a^s + K^s)``; the coefficient is the largest log-rate
  effect publicity can have, ``K`` the spend per youth giving half of it, ``s`` the shape.

:func:`fit_adstock` profiles the quasi-deviance of the sign-up model (district and
cycle fixed effects, the other levers as usual) over a grid of decays, minimising
over ``K`` and ``s`` at each decay for the Hill form, refines the best point, and
reports the decay with a profile-likelihood interval (deviance rise up to the
dispersion times the chi-square quantile). Cluster-robust standard errors of all
parameters come from the engine fitted on the model linearised at the optimum
(Gauss-Newton: the derivative columns of the nonlinear parameters are added as
regressors), clustered by district like the default model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from recruitstats.errors import InputError
from recruitstats.measures import add_cycle, lever_values
from recruitstats.models.engine import _Absorber, _deviance, _irls, fit_rate
from recruitstats.results import ResultBase, critical_value
from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["geometric_adstock", "hill", "fit_adstock", "AdstockResult"]

Saturation = Literal["log", "hill"]
_DEFAULT_DECAYS = tuple(np.round(np.arange(0.0, 0.951, 0.05), 2))
_LOG_SHAPE_BOUNDS = (math.log(0.3), math.log(8.0))


# --- transforms ---------------------------------------------------------------

def geometric_adstock(panel: pd.DataFrame, decay: float, *, column: str = "publicity_spend",
                      district: str | None = None) -> pd.Series:
    """Geometric carry-over of ``column`` along each district's cycles (steady-state start).

    Cycles are counted on the panel's own calendar (the distinct year/half pairs it
    holds), so before 2020, when there was one call-up a year, consecutive years are
    consecutive cycles. A district's first cycle, and any cycle after one missing
    from its data, starts a new run at the steady state.

    Returns
    -------
    Series aligned with ``panel`` (NaN where ``column`` is missing).
    """
    if not 0 <= decay < 1:
        raise InputError(f"the decay (share carried over to the next cycle) must be in [0, 1), not {decay!r}")
    for col in (column, "year", "half"):
        if col not in panel:
            raise InputError(f"the adstock needs column {col!r}, which the data do not have")
    key = district or ("district_code" if "district_code" in panel and panel["district_code"].notna().all()
                       else "district")
    x = pd.to_numeric(panel[column], errors="coerce").to_numpy(float)
    ok = np.isfinite(x)        # a missing spend ends a run: the next cycle restarts at the steady state
    out = np.full(len(panel), np.nan)
    if ok.any():
        runs, pos = _runs(panel.loc[ok], key)
        out[ok] = _stock(x[ok], runs, pos, decay)
    return pd.Series(out, index=panel.index, name=f"adstock({column})")


def _runs(panel: pd.DataFrame, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Run id and position within the run for every row (a run: consecutive cycles of one district)."""
    order_key = panel["year"].astype(int) * 2 + panel["half"].astype(int)
    calendar = np.sort(order_key.unique())
    step = np.searchsorted(calendar, order_key.to_numpy())
    frame = pd.DataFrame({"d": pd.factorize(panel[key])[0], "s": step}, index=np.arange(len(panel)))
    frame = frame.sort_values(["d", "s"], kind="stable")
    new = (frame["d"].diff() != 0) | (frame["s"].diff() != 1)
    run = new.cumsum().to_numpy() - 1
    start = np.maximum.accumulate(np.where(new.to_numpy(), np.arange(len(frame)), 0))
    runs, pos = np.empty(len(frame), int), np.empty(len(frame), int)
    runs[frame.index.to_numpy()] = run
    pos[frame.index.to_numpy()] = np.arange(len(frame)) - start
    return runs, pos


def _stock(x: np.ndarray, runs: np.ndarray, pos: np.ndarray, decay: float) -> np.ndarray:
    if decay == 0:
        return x.copy()
    n_runs, length = runs.max() + 1, pos.max() + 1
    m = np.zeros((n_runs, length))
    m[runs, pos] = x
    stock = np.empty_like(m)
    stock[:, 0] = m[:, 0] / (1 - decay)
    for t in range(1, length):
        stock[:, t] = m[:, t] + decay * stock[:, t - 1]
    return (1 - decay) * stock[runs, pos]


def hill(x: np.ndarray, half: float, shape: float) -> np.ndarray:
    """Hill saturation ``x^s / (x^s + K^s)``: 0 at 0, 1/2 at ``K``, approaching 1."""
    x = np.asarray(x, float)
    return special.expit(shape * (np.log(np.maximum(x, 1e-300)) - math.log(half)))


# --- the model on arrays ---------------------------------------------------------

@dataclass
class _Model:
    """The sign-up model with a nonlinear publicity regressor, on arrays (engine core)."""

    y: np.ndarray
    n: np.ndarray
    other: np.ndarray          # other levers and cycle dummies
    absorber: _Absorber
    spend: np.ndarray          # publicity spend of every row with a spend (the runs)
    runs: np.ndarray
    pos: np.ndarray
    take: np.ndarray           # positions in spend of the rows fitted
    saturation: str
    frame: pd.DataFrame        # the rows fitted (for the final engine fit)
    key: str
    others: tuple[str, ...] = ("stipend", "outreach")  # the other levers the data have

    def regressor(self, theta: np.ndarray) -> np.ndarray:
        a = _stock(self.spend, self.runs, self.pos, float(theta[0]))[self.take] / self.n
        if self.saturation == "log":
            return np.log(a)
        return hill(a, math.exp(theta[1]), math.exp(theta[2]))

    def fit(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(deviance, coefficients, linear predictor) at the nonlinear parameters ``theta``."""
        X = np.column_stack([self.regressor(theta), self.other])
        beta, eta, _, _ = _irls(self.y, self.n, np.log(self.n), X, self.absorber, "poisson")
        return _deviance(self.y, np.exp(eta), self.n, "poisson"), beta, eta

    def deviance(self, theta: np.ndarray) -> float:
        try:
            return self.fit(theta)[0]
        except (InputError, np.linalg.LinAlgError):
            return math.inf


def _prepare(panel: pd.DataFrame, saturation: str) -> _Model:
    if not isinstance(panel, pd.DataFrame) or len(panel) == 0:
        raise InputError("fit_adstock takes a non-empty panel DataFrame")
    needed = ["year", "half", "applicants", "eligible_youth", "publicity_spend"]
    missing = [c for c in needed if c not in panel]
    if missing:
        raise InputError(f"the publicity carry-over model needs column(s) {', '.join(missing)}")
    # stipend and outreach enter as controls when the data have them; without them the model goes on
    others = tuple(lv for lv, cols in (("stipend", ("family_allowance", "avg_wage")), ("outreach", ("door_visits",)))
                   if all(c in panel for c in cols))
    key = "district_code" if "district_code" in panel and panel["district_code"].notna().all() else "district"
    cyc = add_cycle(panel)
    spend = pd.to_numeric(cyc["publicity_spend"], errors="coerce").to_numpy(float)
    has = np.isfinite(spend) & (spend >= 0)
    runs, pos = _runs(cyc.loc[has], key)
    lv = lever_values(cyc, publicity=None, stipend="relative_wage" if "stipend" in others else None,
                      outreach="door_visits" if "outreach" in others else None)
    frame = pd.DataFrame({key: cyc[key].astype(str), "cycle": cyc["cycle"],
                          "applicants": pd.to_numeric(cyc["applicants"], errors="coerce"),
                          "eligible_youth": pd.to_numeric(cyc["eligible_youth"], errors="coerce"),
                          **{o: lv[o] for o in others}}, index=cyc.index)
    ok = has & frame.notna().all(axis=1).to_numpy() & (frame["eligible_youth"] > 0).to_numpy() \
        & np.isfinite(frame[list(others)].to_numpy(float)).all(axis=1)
    # a district with no applicant in the rows kept carries no information (the engine drops it too)
    kept_sum = frame["applicants"].where(ok, 0.0).groupby(frame[key]).transform("sum").to_numpy()
    ok &= kept_sum > 0
    if ok.sum() < 10:
        raise InputError("fewer than 10 rows have every value the carry-over model needs")
    take = np.cumsum(has)[ok] - 1
    frame = frame.loc[ok]
    codes, levels = pd.factorize(frame[key], sort=True)
    cyc_codes, cyc_levels = pd.factorize(frame["cycle"], sort=True)
    dummies = np.eye(len(cyc_levels))[cyc_codes][:, 1:]
    other = np.column_stack([frame[list(others)].to_numpy(float).reshape(len(frame), -1), dummies])
    return _Model(y=frame["applicants"].to_numpy(float), n=frame["eligible_youth"].to_numpy(float),
                  other=other, absorber=_Absorber(codes, len(levels), None), spend=spend[has], runs=runs,
                  pos=pos, take=take, saturation=saturation, frame=frame, key=key, others=others)


# --- profile over the decay ---------------------------------------------------

def _inner(model: _Model, decay: float, start: np.ndarray, bounds) -> tuple[float, np.ndarray]:
    """Smallest deviance at a given decay (over K and s for the Hill form) and where it is."""
    if model.saturation == "log":
        return model.deviance(np.array([decay])), np.array([decay])
    f = lambda v: model.deviance(np.array([decay, *v]))  # noqa: E731
    best = optimize.minimize(f, start, method="L-BFGS-B", bounds=bounds)
    return float(best.fun), np.array([decay, *best.x])


def _profile(model: _Model, decays, bounds) -> tuple[pd.DataFrame, np.ndarray]:
    rows, thetas = [], []
    starts = _hill_starts(model, bounds)
    start = starts[0] if starts else None
    for i, lam in enumerate(decays):
        if model.saturation == "hill" and i == 0:  # several starts once, then warm starts along the grid
            dev, theta = min((_inner(model, lam, s, bounds) for s in starts), key=lambda r: r[0])
        else:
            dev, theta = _inner(model, lam, start, bounds)
        start = theta[1:] if model.saturation == "hill" else None
        rows.append(dev)
        thetas.append(theta)
    table = pd.DataFrame({"decay": decays, "deviance": rows})
    if model.saturation == "hill":
        table["half_saturation"] = [math.exp(t[1]) for t in thetas]
        table["shape"] = [math.exp(t[2]) for t in thetas]
    return table, np.array(thetas)


def _hill_starts(model: _Model, bounds) -> list[np.ndarray]:
    if model.saturation != "hill":
        return []
    a = model.spend[model.take] / model.n
    q = np.quantile(a, [0.25, 0.5, 0.75])
    return [np.clip([math.log(v), math.log(s)], [b[0] for b in bounds], [b[1] for b in bounds])
            for v, s in zip(q, (1.0, 2.0, 3.0))]


def _refine(model: _Model, table: pd.DataFrame, thetas: np.ndarray, bounds) -> np.ndarray:
    i = int(np.argmin(table["deviance"].to_numpy()))
    lo = float(table["decay"].iloc[max(i - 1, 0)])
    hi = float(table["decay"].iloc[min(i + 1, len(table) - 1)])
    if model.saturation == "log":
        if hi <= lo:
            return thetas[i]
        res = optimize.minimize_scalar(lambda v: model.deviance(np.array([v])), bounds=(lo, hi),
                                       method="bounded", options={"xatol": 1e-5})
        return np.array([res.x]) if res.fun < table["deviance"].iloc[i] else thetas[i]
    res = optimize.minimize(model.deviance, thetas[i], method="L-BFGS-B", bounds=[(lo, hi), *bounds])
    return res.x if res.fun < table["deviance"].iloc[i] else thetas[i]


def _profile_interval(model, table, theta, dev_min, cutoff, bounds) -> tuple[float, float, bool, bool]:
    """Decays whose profile deviance is within ``cutoff`` of the minimum (grid scan, then root finding)."""
    lam_hat = float(theta[0])
    dec, dev = table["decay"].to_numpy(float), table["deviance"].to_numpy(float)
    g = lambda v: _inner(model, v, theta[1:], bounds)[0] - dev_min - cutoff  # noqa: E731

    def side(outside: np.ndarray, inside: float, fallback: float) -> tuple[float, bool]:
        if not len(outside):
            return fallback, True
        out = float(outside[0])
        try:
            return float(optimize.brentq(g, min(out, inside), max(out, inside), xtol=1e-5)), False
        except ValueError:
            return out, False

    below = dec[(dec < lam_hat) & (dev - dev_min > cutoff)][::-1]
    above = dec[(dec > lam_hat) & (dev - dev_min > cutoff)]
    low, low_open = side(below, lam_hat, float(dec.min()))
    high, high_open = side(above, lam_hat, float(dec.max()))
    return low, high, low_open, high_open


# --- result -----------------------------------------------------------------------


@dataclass(frozen=True)
class AdstockResult(ResultBase):
    """Sign-up model with publicity carry-over and saturation.

    ``params``: ``publicity`` (elasticity for ``"log"``; largest log-rate effect for
    ``"hill"``), ``stipend`` and ``outreach`` (when the data have them), ``decay`` and for ``"hill"``
    ``log_half_saturation`` and ``log_shape``; ``cov`` is cluster-robust (the engine on the
    model linearised at the optimum). ``decay_ci`` is the profile-likelihood interval of
    the decay; :meth:`nonlinear` gives the nonlinear parameters on their natural scales.
    """

    params: pd.Series
    cov: pd.DataFrame
    nobs: int
    n_clusters: int | None
    df_t: float
    inference: str
    synthetic: bool
    saturation: str
    decay_ci: tuple[float, float]
    decay_ci_open: tuple[bool, bool]
    profile: pd.DataFrame
    dispersion: float
    deviance: float
    fit: Any = field(repr=False)
    level: float = 0.95
    model: str = "signup_adstock"
    warnings: tuple[str, ...] = ()
    reference_spend: float = math.nan    # median adstocked yuan per eligible youth in the rows fitted
    spend_per_youth: pd.Series | None = field(default=None, repr=False)   # adstocked, per row fitted

    def publicity_term(self, params: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``b h(a)`` for coefficient rows ``params`` (draws x k) and adstocked spend per youth ``a``."""
        p = np.atleast_2d(params)
        if self.saturation == "log":
            return p[:, [0]] * np.log(a)
        half, shape = self._position("log_half_saturation"), self._position("log_shape")
        return p[:, [0]] * special.expit(np.exp(p[:, [shape]]) * (np.log(a) - p[:, [half]]))

    def _position(self, name: str) -> int:
        """Column of a parameter in ``params`` (stipend and outreach are there only when the data have them)."""
        return list(self.params.index).index(name)

    @property
    def decay(self) -> float:
        return float(self.params["decay"])

    @property
    def half_life(self) -> float:
        """Cycles after which half of a cycle's spend has worn off (0 without carry-over)."""
        lam = self.decay
        return 0.0 if lam <= 0 else math.log(0.5) / math.log(lam)

    def response(self, spend_per_youth: np.ndarray) -> np.ndarray:
        """The publicity regressor ``h`` at steady-state spend per eligible youth."""
        a = np.asarray(spend_per_youth, float)
        if self.saturation == "log":
            return np.log(a)
        return hill(a, math.exp(self.params["log_half_saturation"]), math.exp(self.params["log_shape"]))

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald intervals (cluster-robust), except the decay's: its profile interval at the fit's level."""
        out = super().conf_int(level)
        if level is None or level == self.level:
            out.loc["decay", ["low", "high"]] = list(self.decay_ci)
        return out

    def build_up(self, factor: float = 1.3, *, cycles: int = 8, spend_per_youth: float | None = None,
                 reps: int = 2000, seed: int = 12345, level: float | None = None) -> pd.DataFrame:
        """How expected sign-ups respond, cycle by cycle, to publicity spend kept ``factor`` times higher.

        After ``t + 1`` cycles the adstocked spend is ``m_t = 1 + (factor - 1)(1 - decay^(t + 1))``
        times its old level, so expected sign-ups are multiplied by ``exp(b [h(a m_t) - h(a)])``
        (``m_t^b`` for the log form; ``a`` is the spend per youth, default the median of the
        data). Intervals: parameters drawn from their covariance (multivariate t, ``seed``).

        Returns
        -------
        DataFrame indexed by cycle (0 = the first cycle with the higher spend; ``"long run"``
        last): ``multiplier`` with ``ci_low``/``ci_high`` and ``share_of_long_run`` (of the log effect).
        """
        if not (isinstance(factor, (int, float)) and factor > 0 and factor != 1):
            raise InputError(f"factor must be a positive number other than 1, not {factor!r}")
        if not isinstance(cycles, int) or not 1 <= cycles <= 100:
            raise InputError(f"cycles must be a whole number from 1 to 100, not {cycles!r}")
        level = self.level if level is None else level
        a = self.reference_spend if spend_per_youth is None else float(spend_per_youth)
        draws = self._draws(reps, seed)
        m = np.append(1 + (factor - 1) * (1 - np.clip(draws[:, [self._position("decay")]], 0, 0.999) ** np.arange(1, cycles + 1)),
                      np.full((reps, 1), factor), axis=1)
        est = self._log_effect(self.params.to_numpy(float)[None, :], a, np.append(
            1 + (factor - 1) * (1 - max(self.decay, 0.0) ** np.arange(1, cycles + 1)), factor)[None, :])[0]
        sims = self._log_effect(draws, a, m)
        lo, hi = np.quantile(np.exp(sims), [0.5 - level / 2, 0.5 + level / 2], axis=0)
        out = pd.DataFrame({"multiplier": np.exp(est), "ci_low": lo, "ci_high": hi,
                            "share_of_long_run": est / est[-1] if est[-1] != 0 else np.nan},
                           index=pd.Index([*range(cycles), "long run"], name="cycle"))
        out.attrs.update(factor=factor, spend_per_youth=a, level=level, seed=seed)
        return out

    def _draws(self, reps: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        b = self.params.to_numpy(float)
        cov = np.nan_to_num(self.cov.to_numpy(float))
        z = rng.multivariate_normal(np.zeros(len(b)), cov, size=reps, method="eigh")
        if np.isfinite(self.df_t):
            z = z / np.sqrt(rng.chisquare(self.df_t, size=(reps, 1)) / self.df_t)
        return b + z

    def _log_effect(self, p: np.ndarray, a: float, m: np.ndarray) -> np.ndarray:
        """Change of the log expected sign-ups when adstocked spend per youth goes from a to a m."""
        if self.saturation == "log":
            return p[:, [0]] * np.log(m)
        return self.publicity_term(p, a * m) - self.publicity_term(p, np.full_like(m, a))

    def nonlinear(self, level: float | None = None) -> pd.DataFrame:
        """Decay (profile interval at the fit's level), half-saturation and shape (exp of Wald on logs)."""
        level = self.level if level is None else level
        c = critical_value(level, self.df_t)
        se = self.se
        rows = {"decay": {"estimate": self.decay, "ci_low": self.decay_ci[0], "ci_high": self.decay_ci[1],
                          "se": float(se["decay"]), "interval": "profile quasi-likelihood"
                          + (" (reaches the grid's end)" if any(self.decay_ci_open) else "")}}
        if level != self.level:
            rows["decay"].update(ci_low=self.decay - c * se["decay"], ci_high=self.decay + c * se["decay"],
                                 interval="Wald, cluster-robust")
        for name, log_name in (("half_saturation", "log_half_saturation"), ("shape", "log_shape")):
            if log_name in self.params:
                v, s = float(self.params[log_name]), float(se[log_name])
                with np.errstate(over="ignore"):  # a barely identified parameter has an unbounded interval
                    lo, est, hi = np.exp([v - c * s, v, v + c * s])
                rows[name] = {"estimate": float(est), "ci_low": float(lo), "ci_high": float(hi), "se": float(est * s),
                              "interval": "exp of cluster-robust Wald interval of the log"}
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "parameter"
        return out

    def to_dict(self) -> dict[str, Any]:
        from recruitstats.results import json_safe

        out = super().to_dict()
        out.update(saturation=self.saturation, decay_ci=list(self.decay_ci), half_life_cycles=self.half_life,
                   dispersion=self.dispersion, deviance=self.deviance,
                   nonlinear=self.nonlinear().reset_index().to_dict(orient="records"))
        if self.synthetic:
            out["data_label"] = SYNTHETIC_LABEL
        return json_safe(out)


# --- the public entry point ------------------------------------------------------

def fit_adstock(
    panel: pd.DataFrame,
    *,
    saturation: Saturation = "log",
    decays: np.ndarray | list[float] | None = None,
    level: float = 0.95,
    vcov: Literal["auto", "cluster", "jackknife"] | None = None,
) -> AdstockResult:
    """Sign-up model with geometric carry-over and diminishing returns of publicity.

    Parameters
    ----------
    panel : canonical panel (needs applicants, eligible_youth, publicity_spend,
        family_allowance, avg_wage, door_visits, year, half and the district).
    saturation : ``"log"`` (elasticity of adstocked spend) or ``"hill"`` (half-saturation
        and shape estimated).
    decays : grid of decays profiled (default 0, 0.05, ..., 0.95); the best is refined
        between its neighbours.
    level : level of the intervals.
    vcov : clustered covariance as in :func:`recruitstats.models.engine.fit_rate`
        (default: CRV1, or the CRV3 jackknife below 40 districts).

    Returns
    -------
    AdstockResult
    """
    if saturation not in ("log", "hill"):
        raise InputError(f"saturation must be 'log' or 'hill', not {saturation!r}")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, not {level!r}")
    decays = np.asarray(_DEFAULT_DECAYS if decays is None else decays, float)
    if decays.ndim != 1 or len(decays) < 3 or (decays < 0).any() or (decays >= 1).any():
        raise InputError("decays must be at least three values in [0, 1)")
    decays = np.unique(decays)
    model = _prepare(panel, saturation)
    bounds = _bounds(model)
    table, thetas = _profile(model, decays, bounds)
    if not np.isfinite(table["deviance"]).any():
        raise InputError("the carry-over model could not be fitted at any decay of the grid")
    theta = _refine(model, table, thetas, bounds)
    dev_min, beta, eta = model.fit(theta)
    k = model.other.shape[1] + 1 + len(theta)
    mu = np.exp(eta)
    dispersion = float(np.sum((model.y - mu) ** 2 / mu) / max(len(model.y) - k - model.absorber.n_groups, 1))
    cutoff = max(dispersion, 1.0) * float(stats.chi2.ppf(level, 1))
    low, high, low_open, high_open = _profile_interval(model, table, theta, dev_min, cutoff, bounds)
    fit, names = _linearised_fit(model, theta, float(beta[0]), vcov)
    a_hat = _stock(model.spend, model.runs, model.pos, float(theta[0]))[model.take] / model.n
    warnings = list(fit.warnings) + _boundary_warnings(model, theta, bounds, decays)
    params = pd.Series([*beta[:1 + len(model.others)], *theta], index=pd.Index(names, name="term"), name="coef")
    cov = fit.cov.loc[fit.params.index, fit.params.index].copy()
    rename = dict(zip(fit.params.index, names))
    cov = cov.rename(index=rename, columns=rename).reindex(index=names, columns=names)
    for name, reason in fit.not_identified.items():
        warnings.append(f"{rename.get(name, name)}: {reason}; its standard error is not available")
    return AdstockResult(
        params=params, cov=cov, nobs=int(fit.n_obs), n_clusters=fit.n_clusters,
        df_t=float("inf") if fit.df_t is None else float(fit.df_t),
        inference=fit.inference + "; nonlinear parameters by linearisation at the optimum",
        synthetic=_is_synthetic(panel), saturation=saturation, decay_ci=(low, high),
        decay_ci_open=(low_open, high_open), profile=table, dispersion=dispersion, deviance=dev_min,
        fit=fit, level=level, warnings=tuple(warnings), reference_spend=float(np.median(a_hat)),
        spend_per_youth=pd.Series(a_hat, index=model.frame.index, name="adstocked spend per youth"))


def _bounds(model: _Model) -> list[tuple[float, float]]:
    if model.saturation == "log":
        return []
    a = model.spend[model.take] / model.n
    lo, hi = np.quantile(a, [0.01, 0.99])
    return [(math.log(lo / 4), math.log(hi * 4)), _LOG_SHAPE_BOUNDS]


def _linearised_fit(model: _Model, theta: np.ndarray, b_pub: float, vcov):
    """The engine on the model linearised at ``theta`` (Gauss-Newton columns), clustered by district."""
    shape_names = ["decay"] + (["log_half_saturation", "log_shape"] if model.saturation == "hill" else [])
    names = ["publicity", *model.others, *shape_names]
    frame = model.frame.copy()
    frame["publicity"] = model.regressor(theta)
    step = 1e-5
    for j, name in enumerate(shape_names):
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] = max(down[j] - step, 0.0) if j == 0 else down[j] - step
        deriv = (model.regressor(up) - model.regressor(down)) / (up[j] - down[j])
        frame[f"d_{name}"] = b_pub * deriv
    regressors = ["publicity", *model.others] + [f"d_{n}" for n in shape_names]
    fit = fit_rate(frame, outcome="applicants", exposure="eligible_youth", regressors=regressors,
                   fixed_effects=[model.key, "cycle"], cluster=model.key, vcov=vcov)
    return fit, names


def _boundary_warnings(model, theta, bounds, decays) -> list[str]:
    out = []
    if theta[0] <= decays.min() + 1e-6 or theta[0] >= decays.max() - 1e-6:
        out.append(f"the decay is at the end of the grid ({theta[0]:.3g}); its Wald standard error is not "
                   "meaningful, use the profile interval")
    for j, (name, (lo, hi)) in enumerate(zip(("half-saturation", "shape"), bounds), start=1):
        if theta[j] <= lo + 1e-3 or theta[j] >= hi - 1e-3:
            out.append(f"the Hill {name} is at its search bound: the data barely identify it "
                       "(spend may not vary enough around the saturation point)")
    return out


def _is_synthetic(panel: pd.DataFrame) -> bool:
    if "data_source" not in panel:
        return False
    return any("SYNTHETIC" in str(v).upper() for v in pd.unique(panel["data_source"].dropna()))
