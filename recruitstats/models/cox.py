"""Cox proportional-hazards models of the time to return: fit, PH check, cause-specific hazards.

Uses statsmodels ``PHReg`` (checked against lifelines and R ``coxph`` in the
tests) on durations from :func:`recruitstats.models.survival.discharge_durations`,
with cluster-robust (sandwich or jackknife) standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError, Problem
from recruitstats.inference import Covariance, choose_covariance, jackknife_covariance
from recruitstats.results import LOG, Design, ResultBase
from recruitstats.models.survival import EXIT_CAUSES, _need_durations, covariate_matrix

__all__ = ["CoxResult", "fit_cox", "PHCheck", "ph_check", "CauseSpecificResult", "fit_cause_specific"]


# --------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------

@dataclass
class CoxResult(ResultBase):
    """A Cox proportional-hazards fit (statsmodels ``PHReg``), answering the result protocol.

    ``predict`` gives the relative hazard ``exp(x b)`` (the partial hazard, as lifelines'
    ``predict_partial_hazard``) through the log link, so the policy quantities of
    :mod:`recruitstats.policy` (elasticities of the hazard, scenarios) hold for it too.

    Attributes
    ----------
    params : log hazard ratios by covariate (design column names).
    se : (property) their standard errors (cluster-robust when ``cluster`` was given).
    cov : covariance matrix of ``params``.
    n_obs, n_events, n_clusters : recruits, returns, clusters (None without clusters).
    ties : "efron" or "breslow".
    inference : how ``se`` was computed, in words.
    cause : the exit cause modelled ("any" for all returns).
    """

    params: pd.Series
    cov: pd.DataFrame
    n_obs: int
    n_events: int
    n_clusters: int | None
    df_t: int | None
    ties: str
    inference: str
    model_se: pd.Series
    model_cov: pd.DataFrame
    cause: str = "any"
    loglik: float = np.nan
    _phreg: object = field(default=None, repr=False)
    _strata: np.ndarray | None = field(default=None, repr=False)
    covariates: tuple[str, ...] = ()
    reference: dict | None = None
    synthetic: bool = False
    warnings: tuple[str, ...] = ()
    model: str = "cox"
    link = LOG

    @property
    def nobs(self) -> int:
        return int(self.n_obs)

    def _design(self, data: pd.DataFrame | None) -> Design:
        if data is None:
            X = np.asarray(self._phreg.model.exog, float)
            index = pd.RangeIndex(len(X))
        else:
            X = covariate_matrix(data, self.covariates, reference=self.reference)
            X = X.reindex(columns=self.params.index, fill_value=0.0).to_numpy(float)
            index = data.index
        return Design(X, np.zeros(len(X)), np.ones(len(X)), index)

    @property
    def pvalues(self) -> pd.Series:
        t = np.abs(self.params / self.se)
        p = 2 * (stats.t.sf(t, self.df_t) if self.df_t else stats.norm.sf(t))
        return pd.Series(p, index=self.params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Interval of the log hazard ratios, columns ``low`` and ``high`` (t(G-1) when clustered)."""
        z = stats.t.ppf(0.5 + level / 2, self.df_t) if self.df_t else stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"low": self.params - z * self.se, "high": self.params + z * self.se})

    def hazard_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """Hazard ratios exp(b) with interval and p-value, one row per covariate."""
        ci = self.conf_int(level)
        return pd.DataFrame({"log_hr": self.params, "se": self.se, "hr": np.exp(self.params),
                             "low": np.exp(ci["low"]), "high": np.exp(ci["high"]), "p_value": self.pvalues})

    def summary(self) -> str:
        """Log hazard ratios as text, with the hazard ratios' table in :meth:`hazard_ratios`."""
        return ResultBase.summary(self)


def _is_synthetic(data: pd.DataFrame) -> bool:
    if "data_source" not in data:
        return False
    return any("SYNTHETIC" in str(v).upper() for v in pd.unique(data["data_source"].dropna()))


def _cox_inputs(data, covariates, duration, event, reference):
    _need_durations(data, duration, event)
    X = covariate_matrix(data, covariates, reference=reference)
    if X.shape[1] == 0:
        raise InputError("no covariates to fit")
    const = [c for c in X if np.ptp(X[c].to_numpy()) == 0]
    if const:
        raise InputError([Problem(f"covariate {c} does not vary; it cannot be estimated", column=c) for c in const])
    return X


def _efron_terms(time, status, X, params):
    """Risk-set sums at each distinct event time with Efron's split of tied deaths.

    Returns (event_times, per-event-time arrays) for one stratum. For d deaths
    tied at t, step l = 0..d-1 removes the fraction l/d of the dead from the risk
    set: denominator ``A_l = S0 - l/d S0_dead``, mean ``xbar_l = (S1 - l/d S1_dead) / A_l``.
    """
    eta = X @ params
    w = np.exp(eta - eta.max())
    order = np.argsort(time, kind="stable")
    t_sorted = time[order]
    # risk-set sums over {j: t_j >= t}: reverse cumulative sums
    rs0 = np.cumsum(w[order][::-1])[::-1]
    rs1 = np.cumsum((w[:, None] * X)[order][::-1], axis=0)[::-1]
    dead = status == 1
    ev_times, ev_code = np.unique(time[dead], return_inverse=True)
    K = len(ev_times)
    first = np.searchsorted(t_sorted, ev_times, side="left")
    S0, S1 = rs0[first], rs1[first]
    d = np.bincount(ev_code, minlength=K).astype(float)
    S0d = np.bincount(ev_code, w[dead], minlength=K)
    S1d = np.vstack([np.bincount(ev_code, w[dead] * X[dead, j], minlength=K) for j in range(X.shape[1])]).T
    # one row per (event time, l): the Efron sub-steps
    k_of = np.repeat(np.arange(K), d.astype(int))
    l_of = np.arange(len(k_of)) - np.repeat(np.cumsum(d) - d, d.astype(int)).astype(int)
    frac = l_of / d[k_of]
    A = S0[k_of] - frac * S0d[k_of]
    xbar = (S1[k_of] - frac[:, None] * S1d[k_of]) / A[:, None]
    dL = 1 / A
    p = X.shape[1]
    H0 = np.bincount(k_of, dL, minlength=K)
    H1 = np.vstack([np.bincount(k_of, xbar[:, j] * dL, minlength=K) for j in range(p)]).T
    G0 = np.bincount(k_of, (1 - frac) * dL, minlength=K)
    G1 = np.vstack([np.bincount(k_of, (1 - frac) * xbar[:, j] * dL, minlength=K) for j in range(p)]).T
    M1 = np.vstack([np.bincount(k_of, xbar[:, j], minlength=K) for j in range(p)]).T / d[:, None]
    return ev_times, w, H0, H1, G0, G1, M1


def _score_residuals(time, status, X, params, strata, ties="efron"):
    """Score residuals (one row per recruit) consistent with the tie method, as R ``residuals(type="score")``.

    Residual i = event part ``x_i - mean_l xbar_l`` at its own death time, minus the
    compensator ``w_i sum_t (x_i - xbar_t) dLambda_t`` over the event times it was at
    risk; a death is at risk at its own time only for the Efron fraction (1 - l/d).
    They sum to the score, zero at the estimate. Breslow is the case of no split.
    """
    n, p = X.shape
    out = np.zeros((n, p))
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        t, e, x = time[idx], status[idx], X[idx]
        if e.sum() == 0:
            continue
        if ties == "breslow":
            ev_times, w, H0, H1, G0, G1, M1 = _breslow_terms(t, e, x, params)
        else:
            ev_times, w, H0, H1, G0, G1, M1 = _efron_terms(t, e, x, params)
        C0 = np.concatenate([[0.0], np.cumsum(H0)])
        C1 = np.vstack([np.zeros((1, p)), np.cumsum(H1, axis=0)])
        dead = e == 1
        # event times strictly before t (deaths) or at or before t (censored)
        k_lt = np.searchsorted(ev_times, t, side="left")
        k_le = np.searchsorted(ev_times, t, side="right")
        k = np.where(dead, k_lt, k_le)
        r = -(w[:, None] * (x * C0[k][:, None] - C1[k]))
        kd = k_lt[dead]
        r[dead] += (x[dead] - M1[kd]) - w[dead][:, None] * (x[dead] * G0[kd][:, None] - G1[kd])
        out[idx] = r
    return out


def _breslow_terms(time, status, X, params):
    eta = X @ params
    w = np.exp(eta - eta.max())
    order = np.argsort(time, kind="stable")
    t_sorted = time[order]
    rs0 = np.cumsum(w[order][::-1])[::-1]
    rs1 = np.cumsum((w[:, None] * X)[order][::-1], axis=0)[::-1]
    dead = status == 1
    ev_times, ev_code = np.unique(time[dead], return_inverse=True)
    first = np.searchsorted(t_sorted, ev_times, side="left")
    S0, S1 = rs0[first], rs1[first]
    d = np.bincount(ev_code, minlength=len(ev_times)).astype(float)
    xbar = S1 / S0[:, None]
    H0 = d / S0
    H1 = xbar * H0[:, None]
    return ev_times, w, H0, H1, H0, H1, xbar


def _jackknife(time, status, X, strata, groups, beta, ties):
    """CRV3: (G-1)/G * sum over clusters of (b_without_g - b)(b_without_g - b)', each refit started at b."""
    from statsmodels.duration.hazard_regression import PHReg

    G = int(groups.max() + 1)
    draws = np.zeros((G, X.shape[1]))
    for g in range(G):
        keep = groups != g
        if status[keep].sum() == 0:
            raise InputError("the jackknife left out a cluster holding every event; use vcov='cluster'")
        m = PHReg(time[keep], X[keep], status=status[keep], strata=strata[keep], ties=ties)
        draws[g] = np.asarray(m.fit(start_params=beta).params)
    return jackknife_covariance(draws, beta)


def _cox_covariance(vcov, *, cluster, groups, time, status, Xv, beta, strata_values, ties, model_cov,
                    small_sample) -> Covariance:
    """The package's one covariance rule (:func:`recruitstats.inference.choose_covariance`) for a Cox fit."""
    if groups is None:
        return choose_covariance("iid", bread=model_cov, iid_note="inverse observed information")
    if vcov not in ("auto", "cluster", "jackknife"):
        raise InputError(f"vcov must be 'auto', 'cluster' or 'jackknife' (got {vcov!r})")
    st = strata_values if strata_values is not None else np.zeros(len(time), int)
    # score residuals consistent with the tie method (statsmodels' own robust covariance
    # uses Breslow-type residuals even under Efron ties)
    resid = _score_residuals(time, status, Xv, beta, st, ties=ties)
    return choose_covariance(vcov, bread=model_cov, scores=resid, clusters=groups, cluster_name=cluster,
                             small_sample=small_sample,
                             jackknife=lambda: _jackknife(time, status, Xv, st, groups, beta, ties))


def fit_cox(
    data: pd.DataFrame,
    *,
    covariates: Sequence[str],
    cluster: str | None = "district",
    ties: Literal["efron", "breslow"] = "efron",
    duration: str = "duration",
    event: str = "event",
    strata: str | None = None,
    reference: dict[str, object] | None = None,
    small_sample: bool = True,
    vcov: Literal["auto", "cluster", "jackknife"] = "auto",
    cause: str = "any",
) -> CoxResult:
    """Cox proportional-hazards model of the time to return.

    Parameters
    ----------
    data : durations with covariates (output of :func:`discharge_durations`).
    covariates : columns; yes/no become 0/1, categories become dummies against a
        reference level (see :func:`covariate_matrix`).
    cluster : column whose values group dependent recruits (district); the
        standard errors are then the Huber-White sandwich summed within clusters,
        with score residuals that follow the tie method (as R ``coxph(..., cluster=)``).
        None: model-based (inverse information) errors.
    ties : "efron" (default, as R ``coxph``) or "breslow".
    strata : optional column for a stratified baseline hazard (e.g. cycle).
    vcov : with a cluster: ``"cluster"`` (the sandwich), ``"jackknife"`` (CRV3:
        (G-1)/G times the sum of squared leave-one-cluster-out changes) or
        ``"auto"`` (default: jackknife below 40 clusters, as the rate engine does).
    small_sample : for ``vcov="cluster"``, multiply the sandwich by G/(G-1) and use
        t(G-1) critical values, the convention of the package's rate engine (so Cox
        and the piecewise model are comparable); False gives R ``coxph(cluster=)``.

    Returns
    -------
    CoxResult
    """
    from statsmodels.duration.hazard_regression import PHReg

    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow' (got {ties!r})")
    X = _cox_inputs(data, covariates, duration, event, reference)
    if int(data[event].sum()) == 0:
        raise InputError(f"no events ({event} = 1) to fit a Cox model on")
    groups = None
    if cluster is not None:
        if cluster not in data:
            raise InputError([Problem(f"no cluster column {cluster}", column=cluster)])
        if data[cluster].isna().any():
            raise InputError([Problem(f"cluster column {cluster} has missing values", column=cluster)])
        groups = pd.factorize(data[cluster])[0]
    strata_values = None
    if strata is not None:
        if strata not in data:
            raise InputError([Problem(f"no strata column {strata}", column=strata)])
        strata_values = pd.factorize(data[strata])[0]
    time = data[duration].to_numpy(float)
    status = data[event].to_numpy(float)
    Xv = X.to_numpy(float)
    model = PHReg(time, Xv, status=status, strata=strata_values, ties=ties)
    res = model.fit()
    names = list(X.columns)
    beta = np.asarray(res.params, float)
    params = pd.Series(beta, index=names)
    model_cov = np.linalg.inv(-model.hessian(beta))
    model_se = pd.Series(np.sqrt(np.diag(model_cov)), index=names)
    chosen = _cox_covariance(vcov, cluster=cluster, groups=groups, time=time, status=status, Xv=Xv, beta=beta,
                             strata_values=strata_values, ties=ties, model_cov=model_cov,
                             small_sample=small_sample)
    cov, n_clusters, df_t, inference = chosen.cov, chosen.n_clusters, chosen.df_t, chosen.description
    cov = pd.DataFrame(cov, index=names, columns=names)
    return CoxResult(params=params, cov=cov, df_t=df_t,
                     n_obs=len(data), n_events=int(data[event].sum()), n_clusters=n_clusters, ties=ties,
                     inference=inference, model_se=model_se,
                     model_cov=pd.DataFrame(model_cov, index=names, columns=names), cause=cause,
                     loglik=float(res.llf), _phreg=res, _strata=strata_values, covariates=tuple(covariates),
                     reference=reference, synthetic=_is_synthetic(data), warnings=tuple(chosen.warnings))


# --------------------------------------------------------------------------
# proportional-hazards check
# --------------------------------------------------------------------------

@dataclass
class PHCheck:
    """Grambsch-Therneau test of proportional hazards, per covariate.

    ``table`` has ``test_statistic`` (chi-square, 1 df), ``p_value`` and
    ``rho`` (correlation of scaled Schoenfeld residuals with the time transform).
    A small p-value says the hazard ratio of that covariate changes with time
    since enlistment; the Cox estimate is then an average over the window.
    """

    table: pd.DataFrame
    transform: str


def _schoenfeld(time, status, X, params, strata):
    """Schoenfeld residuals at each event with Efron's tie correction (as R ``coxph``).

    For d deaths tied at t, the expected covariate is the mean over l = 0..d-1 of
    ``(S1 - l/d S1_dead) / (S0 - l/d S0_dead)``, the risk-set sums with the tied
    deaths partly removed; every tied death gets that same mean.
    """
    w = np.exp(X @ params - (X @ params).max())
    out_rows, out_res = [], []
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        t, e, x, ws = time[idx], status[idx], X[idx], w[idx]
        order = np.argsort(-t, kind="stable")
        t, e, x, ws, idx = t[order], e[order], x[order], ws[order], idx[order]
        cum0 = np.cumsum(ws)
        cum1 = np.cumsum(ws[:, None] * x, axis=0)
        for tt in np.unique(t[e == 1]):
            last = np.searchsorted(-t, -tt, side="right") - 1  # last row with time >= tt
            dead = np.flatnonzero((t == tt) & (e == 1))
            d = len(dead)
            s0, s1 = cum0[last], cum1[last]
            s0d, s1d = ws[dead].sum(), (ws[dead, None] * x[dead]).sum(axis=0)
            frac = (np.arange(d) / d)[:, None]
            xbar = ((s1[None, :] - frac * s1d[None, :]) / (s0 - frac[:, 0] * s0d)[:, None]).mean(axis=0)
            out_rows.append(idx[dead])
            out_res.append(x[dead] - xbar[None, :])
    rows = np.concatenate(out_rows)
    res = np.vstack(out_res)
    return rows, res


def ph_check(result: CoxResult, *, transform: Literal["rank", "identity", "log", "km"] = "rank") -> PHCheck:
    """Proportional-hazards check from Schoenfeld residuals (Grambsch and Therneau 1994).

    For each covariate j the statistic is
    ``(sum_k (g_k - gbar) r*_kj)^2 / (d * V_jj * sum_k (g_k - gbar)^2)`` over the d events,
    with r* the scaled Schoenfeld residuals (d * r V), V the model-based covariance
    and g a transform of the event time; chi-square with 1 df. This is the
    statistic of lifelines ``proportional_hazard_test`` and of R ``cox.zph``
    before survival 3.0; residuals use the tie method of the fit (Efron or Breslow).

    Parameters
    ----------
    result : a fitted :class:`CoxResult`.
    transform : time transform g: "rank" (default), "identity", "log" or
        "km" (1 - Kaplan-Meier of all records, left-continuous at event times).
    """
    res = result._phreg
    if res is None:
        raise InputError("ph_check needs a CoxResult fitted by fit_cox")
    model = res.model
    time = np.asarray(model.endog, float)
    status = np.asarray(model.status, float)
    X = np.asarray(model.exog, float)
    params = np.asarray(res.params, float)
    strata = result._strata if result._strata is not None else np.zeros(len(time), int)
    if result.ties == "efron":
        rows, r = _schoenfeld(time, status, X, params, strata)
    else:
        resid = np.asarray(res.schoenfeld_residuals, float)
        rows = np.flatnonzero((status == 1) & np.all(np.isfinite(resid), axis=1))
        r = resid[rows]
    t = time[rows]
    d = len(rows)
    cov = result.model_cov.to_numpy()
    V = np.diag(cov)
    scaled = d * r @ cov
    if transform == "rank":
        g = stats.rankdata(t)
    elif transform == "identity":
        g = t
    elif transform == "log":
        g = np.log(t)
    elif transform == "km":
        from statsmodels.duration.survfunc import SurvfuncRight
        sf = SurvfuncRight(time, status)
        times, surv = np.asarray(sf.surv_times), np.asarray(sf.surv_prob)
        before = np.searchsorted(times, t, side="left") - 1  # S(t-)
        g = 1 - np.where(before >= 0, surv[np.clip(before, 0, None)], 1.0)
    else:
        raise InputError(f"unknown time transform {transform!r}")
    gc = g - g.mean()
    T = (gc @ scaled) ** 2 / (d * V * (gc ** 2).sum())
    rho = [stats.pearsonr(gc, scaled[:, j])[0] if np.ptp(scaled[:, j]) > 0 else np.nan
           for j in range(scaled.shape[1])]
    table = pd.DataFrame({"test_statistic": T, "p_value": stats.chi2.sf(T, 1), "rho": rho},
                         index=result.params.index)
    return PHCheck(table=table, transform=transform)


# --------------------------------------------------------------------------
# cause-specific hazards
# --------------------------------------------------------------------------

@dataclass
class CauseSpecificResult:
    """One Cox model per exit cause, other causes treated as censoring.

    ``fits`` maps cause -> :class:`CoxResult`; ``skipped`` maps cause -> why it
    was not fitted (too few events). ``table`` stacks the hazard ratios.
    """

    fits: dict[str, CoxResult]
    skipped: dict[str, str]

    @property
    def table(self) -> pd.DataFrame:
        frames = [f.hazard_ratios().assign(cause=c, events=f.n_events) for c, f in self.fits.items()]
        if not frames:
            return pd.DataFrame(columns=["cause", "covariate", "log_hr", "se", "hr", "low", "high", "p_value"])
        out = pd.concat(frames).rename_axis("covariate").reset_index()
        return out[["cause", "covariate", "events", "log_hr", "se", "hr", "low", "high", "p_value"]]


def fit_cause_specific(
    data: pd.DataFrame,
    *,
    covariates: Sequence[str],
    causes: Sequence[str] | None = None,
    cluster: str | None = "district",
    ties: Literal["efron", "breslow"] = "efron",
    min_events: int = 10,
    duration: str = "duration",
    cause: str = "cause",
    reference: dict[str, object] | None = None,
    vcov: Literal["auto", "cluster", "jackknife"] = "auto",
) -> CauseSpecificResult:
    """Cause-specific Cox models: for each exit cause, returns for other causes are censored.

    The cause-specific hazard ratio answers "among recruits still serving, how
    does the covariate change the rate of returns for this cause"; it is not the
    effect on the cumulative share returned for the cause (that also depends on
    the other causes).

    Parameters
    ----------
    data : output of :func:`discharge_durations` (needs ``duration`` and ``cause``).
    causes : causes to fit (default: every cause with at least ``min_events`` returns,
        in the order medical, ideological, political, disciplinary, other).
    min_events : causes with fewer returns are skipped and listed in ``skipped``.
    """
    if cause not in data:
        raise InputError([Problem(f"no {cause} column: build durations with discharge_durations first",
                                  column=cause)])
    present = data[cause].value_counts()
    wanted = list(causes) if causes is not None else [c for c in (*EXIT_CAUSES, "unknown") if c in present.index]
    fits, skipped = {}, {}
    for c in wanted:
        k = int(present.get(c, 0))
        if k < min_events:
            skipped[c] = f"{k} return(s), fewer than min_events={min_events}"
            continue
        d = data.assign(_event_cause=(data[cause] == c).astype(np.int64))
        fits[c] = fit_cox(d, covariates=covariates, cluster=cluster, ties=ties, duration=duration,
                          event="_event_cause", reference=reference, vcov=vcov, cause=c)
    return CauseSpecificResult(fits=fits, skipped=skipped)
