"""Early discharge (退兵) at the recruit level: durations, Kaplan-Meier, Cox models.

A recruit is at risk of being returned from the enlistment date until the return
window closes (returns are allowed for about 45 days on medical grounds and up
to about 90 days on political grounds), the recruit is returned, or the
observation ends (``observed_until``), whichever comes first.

Functions here take DataFrames and return result objects; they never read
files, print or draw. Kaplan-Meier uses statsmodels ``SurvfuncRight`` and Cox
models statsmodels ``PHReg``; the tests check both against lifelines and R.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError, Problem
from recruitstats.inference import FEW_CLUSTERS
from recruitstats.schema import COLLEGE_STATUS_VALUES, EDUCATION_LEVELS, EXIT_REASONS

__all__ = [
    "EXIT_CAUSES",
    "discharge_durations",
    "covariate_matrix",
    "KMResult",
    "kaplan_meier",
    "CoxResult",
    "fit_cox",
    "PHCheck",
    "ph_check",
    "CauseSpecificResult",
    "fit_cause_specific",
]

#: Exit causes in the order tables show them.
EXIT_CAUSES: tuple[str, ...] = tuple(dict.fromkeys(EXIT_REASONS.values()))

#: Reference (first) level of the categorical covariates the recruit table carries.
_CATEGORY_LEVELS: dict[str, tuple[str, ...]] = {
    "education": EDUCATION_LEVELS,
    "college_status": tuple(dict.fromkeys(COLLEGE_STATUS_VALUES.values())),
    "sex": ("M", "F"),
}

_MAX_LISTED = 20  # problem lines listed per rule before a summary line


# --------------------------------------------------------------------------
# durations
# --------------------------------------------------------------------------

def _spreadsheet_rows(frame: pd.DataFrame, mask: np.ndarray) -> list[int]:
    """Rows as the user sees them: the reader's ``attrs["source_rows"]`` when present,
    else the position with the header as row 1 (first record row 2)."""
    source = frame.attrs.get("source_rows")
    pos = np.flatnonzero(mask)
    if source is not None and len(source) == len(frame):
        return [int(source[i]) for i in pos]
    return [int(i) + 2 for i in pos]


def _located(frame: pd.DataFrame, mask: np.ndarray, message: str, column: str,
             severity: Literal["error", "warning"] = "error") -> list[Problem]:
    # recruit records are personal data: problems name rows, never values or ids
    rows = _spreadsheet_rows(frame, mask)
    file = str(frame.attrs.get("source", "") or "")
    headers = frame.attrs.get("headers") or {}
    shown = headers.get(column, column)
    out = [Problem(message, file=file, row=r, column=shown, severity=severity) for r in rows[:_MAX_LISTED]]
    if len(rows) > _MAX_LISTED:
        out.append(Problem(f"... and {len(rows) - _MAX_LISTED} more row(s) where {message}",
                           file=file, column=shown, severity=severity))
    return out


def _as_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        converted = pd.to_datetime(values, errors="coerce")
        bad = values.notna() & converted.isna()
        if bad.any():
            raise InputError(_located(frame, bad.to_numpy(), f"{column} is not a date", column))
        values = converted
    return values.astype("datetime64[ns]")


def discharge_durations(
    recruits: pd.DataFrame,
    *,
    window_days: float | None = 90,
    observed_until: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Days from enlistment to return (退兵), censored where a return can no longer be seen.

    Parameters
    ----------
    recruits : canonical recruit table (one row per recruit) with ``enlist_date``,
        ``exit_date`` (NaT: still serving), ``exit_reason`` and ``observed_until``.
    window_days : the return window. A return is early discharge only within it,
        so follow-up stops there: an exit after the window is censored at the window
        (it is not a 退兵), and a recruit still serving is censored at
        ``min(observed_until, window)``. None: no window (every exit is an event).
    observed_until : extract date used where the ``observed_until`` column is absent or
        empty (SCHEMA: it defaults to the file's date of extract).

    Returns
    -------
    DataFrame : a copy of ``recruits`` (same index, all columns kept) with
        ``duration`` (days at risk, float), ``event`` (1 if returned within the
        window, else 0) and ``cause`` (the exit reason for events, ``"censored"``
        otherwise; ``"unknown"`` for a return without a reason). A return on the
        day of enlistment counts half a day at risk, so that every event has
        positive exposure; such rows are listed in ``attrs["problems"]`` as warnings.

    Raises
    ------
    InputError
        Rows without ``enlist_date``; exit before enlistment; observation ending
        before enlistment; an exit after ``observed_until``; a reason without an
        exit date; no censoring date for a recruit still serving. Every such row
        is named; none is dropped silently.
    """
    if not isinstance(recruits, pd.DataFrame):
        raise InputError("recruit records must be a DataFrame (see recruitstats.io.load_recruits)")
    if "enlist_date" not in recruits:
        raise InputError([Problem("recruit records have no enlist_date column", column="enlist_date")])
    if window_days is not None and not window_days > 0:
        raise InputError(f"window_days must be positive (got {window_days!r})")
    enlist = _as_dates(recruits, "enlist_date")
    exit_ = _as_dates(recruits, "exit_date")
    until = _as_dates(recruits, "observed_until")
    if observed_until is not None:
        until = until.fillna(pd.Timestamp(observed_until))
    known = {**{k.lower(): v for k, v in EXIT_REASONS.items()}, **{v: v for v in EXIT_REASONS.values()}}
    if "exit_reason" in recruits:
        # vectorised: few distinct reasons, millions of rows
        text = recruits["exit_reason"].astype("string").str.strip().str.lower()
        reason = text.map(known).astype("object")
        reason = reason.where(reason.notna(), None)
    else:
        reason = pd.Series(None, index=recruits.index, dtype="object")

    problems: list[Problem] = []
    checks = [
        (enlist.isna(), "enlist_date is missing", "enlist_date"),
        (exit_.notna() & enlist.notna() & (exit_ < enlist), "exit_date is before enlist_date", "exit_date"),
        (until.notna() & enlist.notna() & (until < enlist), "observed_until is before enlist_date", "observed_until"),
        (exit_.notna() & until.notna() & (exit_ > until), "exit_date is after observed_until", "exit_date"),
        (exit_.isna() & recruits.get("exit_reason", pd.Series(index=recruits.index, dtype=object)).notna(),
         "exit_reason is given but exit_date is empty", "exit_reason"),
        (exit_.isna() & until.isna() & enlist.notna(),
         "still serving but no observed_until (give observed_until=extract date)", "observed_until"),
    ]
    raw_reason = recruits["exit_reason"] if "exit_reason" in recruits else None
    if raw_reason is not None:
        checks.append((raw_reason.notna() & reason.isna(), "exit_reason is not one of "
                       + "/".join(EXIT_CAUSES), "exit_reason"))
    for mask, message, column in checks:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            problems += _located(recruits, mask, message, column)
    if problems:
        raise InputError(problems)

    day = np.timedelta64(1, "D")
    to_exit = ((exit_ - enlist) / day).to_numpy(dtype=float)  # NaN when still serving
    to_end = ((until - enlist) / day).to_numpy(dtype=float)
    returned = ~np.isnan(to_exit)
    end = np.where(returned, to_exit, to_end)
    event = returned.copy()
    if window_days is not None:
        late = end > window_days
        event &= ~late
        end = np.minimum(end, float(window_days))
    same_day = event & (end == 0)
    end = np.where(same_day, 0.5, end)

    out = recruits.copy()
    out["duration"] = end
    out["event"] = event.astype(np.int64)
    cause = np.where(event, reason.fillna("unknown").to_numpy(dtype=object), "censored")
    out["cause"] = pd.Series(cause, index=recruits.index, dtype="object")
    warnings: list[Problem] = []
    if same_day.any():
        warnings += _located(recruits, same_day, "returned on the day of enlistment (counted as half a day)",
                             "exit_date", severity="warning")
    unknown = event & reason.isna().to_numpy()
    if unknown.any():
        warnings += _located(recruits, unknown, "returned without an exit_reason (cause 'unknown')",
                             "exit_reason", severity="warning")
    out.attrs["problems"] = list(recruits.attrs.get("problems", [])) + warnings
    out.attrs["window_days"] = window_days
    return out


def _need_durations(data: pd.DataFrame, duration: str, event: str) -> None:
    missing = [c for c in (duration, event) if c not in data]
    if missing:
        raise InputError([Problem(f"no {', '.join(missing)} column: build durations with "
                                  "discharge_durations(recruits) first", column=", ".join(missing))])
    d = pd.to_numeric(data[duration], errors="coerce")
    if d.isna().any() or (d < 0).any():
        raise InputError([Problem(f"{duration} must be a non-negative number in every row "
                                  f"({int((d.isna() | (d < 0)).sum())} row(s) are not)", column=duration)])
    e = pd.to_numeric(data[event], errors="coerce")
    if not e.isin([0, 1]).all():
        raise InputError([Problem(f"{event} must be 0 or 1 in every row", column=event)])


# --------------------------------------------------------------------------
# covariates
# --------------------------------------------------------------------------

def _levels(column: str, values: pd.Series) -> list:
    present = set(values.dropna().unique())
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = list(values.cat.categories)
    elif column in _CATEGORY_LEVELS:
        order = [lv for lv in _CATEGORY_LEVELS[column] if lv in present]
        order += sorted(present - set(order), key=str)
    else:
        order = sorted(present, key=str)
    return [lv for lv in order if lv in present]


def covariate_matrix(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    reference: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Numeric design columns for ``covariates``, in the analyst's names.

    Yes/no columns become 0/1 under their own name (``door_visit``); a
    categorical column (``education``, ``college_status``, ``sex`` or any text
    column) becomes one 0/1 column per level but the reference, named
    ``column[level]`` (``education[本科]``). The reference is the first level in
    the contract's order (初中, none, M) or the one given in ``reference``.
    Numeric columns pass through as float.

    Raises
    ------
    InputError
        A covariate is missing, has missing values, or has a single level.
    """
    reference = dict(reference or {})
    missing = [c for c in covariates if c not in data]
    if missing:
        raise InputError([Problem(f"covariate {c} is not a column of the data", column=c) for c in missing])
    out = {}
    problems = []
    for c in covariates:
        values = data[c]
        n_missing = int(values.isna().sum())
        if n_missing:
            problems.append(Problem(f"covariate {c} is missing in {n_missing} row(s); "
                                    "fill or drop them explicitly before fitting", column=c))
            continue
        if pd.api.types.is_bool_dtype(values):
            out[c] = values.astype(float).to_numpy()
        elif pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            out[c] = values.astype(float).to_numpy()
        else:
            levels = _levels(c, values)
            if len(levels) < 2:
                problems.append(Problem(f"covariate {c} has a single level ({levels}); it cannot be estimated",
                                        column=c))
                continue
            ref = reference.get(c, levels[0])
            if ref not in levels:
                problems.append(Problem(f"reference level {ref!r} of {c} is not in the data", column=c))
                continue
            text = values.astype(object).to_numpy()
            for lv in levels:
                if lv != ref:
                    out[f"{c}[{lv}]"] = (text == lv).astype(float)
    if problems:
        raise InputError(problems)
    return pd.DataFrame(out, index=data.index)


# --------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------

def _group_labels(data: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[list[str], pd.Series]:
    if by is None:
        return [], pd.Series("all", index=data.index)
    cols = [by] if isinstance(by, str) else list(by)
    missing = [c for c in cols if c not in data]
    if missing:
        raise InputError([Problem(f"no column {c} to group by", column=c) for c in missing])
    bad = data[cols].isna().any(axis=1)
    if bad.any():
        raise InputError([Problem(f"{int(bad.sum())} row(s) have no value of {', '.join(cols)}; "
                                  "fill or drop them before grouping", column=", ".join(cols))])
    labels = data[cols].astype(str).agg(", ".join, axis=1) if len(cols) > 1 else data[cols[0]].astype(str)
    return cols, labels


@dataclass
class KMResult:
    """Kaplan-Meier estimates of the share still serving, per group.

    Attributes
    ----------
    table : one row per group and distinct time: ``group``, ``time``, ``n_at_risk``,
        ``n_events``, ``survival``, ``se`` (Greenwood), ``low``, ``high``
        (pointwise interval on the log(-log) scale, as lifelines and Stata).
    groups : group labels in display order.
    by : the grouping columns ([] for one curve).
    level : confidence level of ``low``/``high``.
    n : recruits per group; events : returns per group.
    """

    table: pd.DataFrame
    groups: list[str]
    by: list[str]
    level: float
    n: pd.Series
    events: pd.Series
    window_days: float | None = None

    def survival_at(self, days: float | Iterable[float]) -> pd.DataFrame:
        """S(t), its Greenwood SE and interval at given days (step function), per group."""
        days = [float(days)] if np.isscalar(days) else [float(d) for d in days]
        rows = []
        for g in self.groups:
            t = self.table[self.table["group"] == g]
            for d in days:
                before = t[t["time"] <= d]
                if before.empty:
                    s, se, lo, hi = 1.0, 0.0, 1.0, 1.0
                else:
                    last = before.iloc[-1]
                    s, se, lo, hi = last["survival"], last["se"], last["low"], last["high"]
                beyond = self.window_days is not None and d > self.window_days
                rows.append({"group": g, "days": d, "survival": np.nan if beyond else s,
                             "se": np.nan if beyond else se, "low": np.nan if beyond else lo,
                             "high": np.nan if beyond else hi,
                             "n": int(self.n[g]), "events": int(self.events[g])})
        return pd.DataFrame(rows)

    def share_returned_within(self, days: float | Iterable[float] = (45, 90)) -> pd.DataFrame:
        """Share returned within ``days`` (1 - S(t)) with its Greenwood interval, per group.

        Returns
        -------
        DataFrame with ``group``, ``days``, ``share``, ``se``, ``low``, ``high``, ``n``, ``events``.
        """
        s = self.survival_at(days)
        out = s[["group", "days"]].copy()
        out["share"] = 1 - s["survival"]
        out["se"] = s["se"]
        out["low"] = 1 - s["high"]
        out["high"] = 1 - s["low"]
        out["n"] = s["n"]
        out["events"] = s["events"]
        return out


def kaplan_meier(
    durations: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    duration: str = "duration",
    event: str = "event",
) -> KMResult:
    """Kaplan-Meier curves of the share still serving, with Greenwood bands, per group.

    Parameters
    ----------
    durations : output of :func:`discharge_durations` (or any frame with
        ``duration`` and ``event``).
    by : column(s) to split by, e.g. ``"door_visit"``, ``"education"``.
    level : confidence level of the pointwise bands.

    Returns
    -------
    KMResult
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    _need_durations(durations, duration, event)
    cols, labels = _group_labels(durations, by)
    z = stats.norm.ppf(0.5 + level / 2)
    frames, n, events = [], {}, {}
    order = (list(dict.fromkeys(_levels(cols[0], durations[cols[0]]))) if len(cols) == 1 else None)
    groups = [str(g) for g in order] if order is not None else sorted(labels.unique())
    time_all = durations[duration].to_numpy(float)
    status_all = durations[event].to_numpy(int)
    for g in groups:
        mask = (labels == g).to_numpy()
        t, d = time_all[mask], status_all[mask]
        n[g], events[g] = int(mask.sum()), int(d.sum())
        if d.sum() == 0:
            frames.append(pd.DataFrame({"group": g, "time": [0.0], "n_at_risk": [mask.sum()], "n_events": [0],
                                        "survival": [1.0], "se": [0.0], "low": [1.0], "high": [1.0]}))
            continue
        sf = SurvfuncRight(t, d)
        s = np.asarray(sf.surv_prob, float)
        se = np.asarray(sf.surv_prob_se, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            # log(-log S) transform keeps the band inside (0, 1)
            v = se / (s * np.abs(np.log(s)))
            lo = s ** np.exp(z * v)
            hi = s ** np.exp(-z * v)
        lo = np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, lo))
        hi = np.where(s >= 1, 1.0, np.where(s <= 0, 0.0, hi))
        frames.append(pd.DataFrame({"group": g, "time": np.asarray(sf.surv_times, float),
                                    "n_at_risk": np.asarray(sf.n_risk, float),
                                    "n_events": np.asarray(sf.n_events, float),
                                    "survival": s, "se": se, "low": lo, "high": hi}))
    table = pd.concat(frames, ignore_index=True)
    return KMResult(table=table, groups=groups, by=cols, level=level, n=pd.Series(n), events=pd.Series(events),
                    window_days=durations.attrs.get("window_days"))


# --------------------------------------------------------------------------
# Cox proportional hazards
# --------------------------------------------------------------------------

@dataclass
class CoxResult:
    """A Cox proportional-hazards fit (statsmodels ``PHReg``).

    Attributes
    ----------
    params : log hazard ratios by covariate (design column names).
    se : their standard errors (cluster-robust when ``cluster`` was given).
    cov : covariance matrix of ``params``.
    n_obs, n_events, n_clusters : recruits, returns, clusters (None without clusters).
    ties : "efron" or "breslow".
    inference : how ``se`` was computed, in words.
    cause : the exit cause modelled ("any" for all returns).
    """

    params: pd.Series
    se: pd.Series
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

    def summary(self) -> pd.DataFrame:
        return self.hazard_ratios()


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
    """CRV3: (G-1)/G * sum over clusters of (b_without_g - b)(b_without_g - b)'."""
    from statsmodels.duration.hazard_regression import PHReg

    G = int(groups.max() + 1)
    dev = np.zeros((G, X.shape[1]))
    for g in range(G):
        keep = groups != g
        if status[keep].sum() == 0:
            raise InputError("the jackknife left out a cluster holding every event; use vcov='cluster'")
        m = PHReg(time[keep], X[keep], status=status[keep], strata=strata[keep], ties=ties)
        dev[g] = np.asarray(m.fit(start_params=beta).params) - beta
    cov = (G - 1) / G * dev.T @ dev
    return (cov + cov.T) / 2


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
    n_clusters = None
    df_t = None
    if groups is None:
        cov = model_cov
        inference = "model-based (inverse observed information), normal critical values"
    else:
        n_clusters = int(groups.max() + 1)
        if vcov == "auto":
            vcov = "jackknife" if n_clusters < FEW_CLUSTERS else "cluster"
        st = strata_values if strata_values is not None else np.zeros(len(time), int)
        if vcov == "jackknife":
            cov = _jackknife(time, status, Xv, st, groups, beta, ties)
            df_t = n_clusters - 1
            inference = (f"cluster-robust by {cluster}; few clusters ({n_clusters} < {FEW_CLUSTERS}): CRV3 "
                         f"leave-one-cluster-out jackknife, t({df_t}) critical values")
        elif vcov == "cluster":
            # sandwich with score residuals consistent with the tie method (statsmodels'
            # own robust covariance uses Breslow-type residuals even under Efron ties)
            resid = _score_residuals(time, status, Xv, beta, st, ties=ties)
            sums = np.zeros((n_clusters, Xv.shape[1]))
            np.add.at(sums, groups, resid)
            factor = n_clusters / (n_clusters - 1) if small_sample and n_clusters > 1 else 1.0
            cov = factor * model_cov @ (sums.T @ sums) @ model_cov
            df_t = n_clusters - 1 if small_sample else None
            inference = (f"cluster-robust (sandwich) by {cluster}, {n_clusters} clusters"
                         + (f", small-sample factor G/(G-1), t({df_t}) critical values" if small_sample
                            else ", no small-sample factor, normal critical values (as R coxph)"))
        else:
            raise InputError(f"vcov must be 'auto', 'cluster' or 'jackknife' (got {vcov!r})")
    cov = pd.DataFrame(cov, index=names, columns=names)
    return CoxResult(params=params, se=pd.Series(np.sqrt(np.diag(cov)), index=names), cov=cov, df_t=df_t,
                     n_obs=len(data), n_events=int(data[event].sum()), n_clusters=n_clusters, ties=ties,
                     inference=inference, model_se=model_se,
                     model_cov=pd.DataFrame(model_cov, index=names, columns=names), cause=cause,
                     loglik=float(res.llf), _phreg=res, _strata=strata_values)


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
