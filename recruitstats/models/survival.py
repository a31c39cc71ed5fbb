"""Early discharge (退兵) at the recruit level: durations and covariates, the data layer.

A recruit is at risk of being returned from the enlistment date until the return
window closes (returns are allowed for about 45 days on medical grounds and up
to about 90 days on political grounds), the recruit is returned, or the
observation ends (``observed_until``), whichever comes first.

Functions here take DataFrames and return DataFrames; they never read files,
print or draw. The models built on them live in
:mod:`recruitstats.models.kaplan_meier` (Kaplan-Meier, statsmodels
``SurvfuncRight``) and :mod:`recruitstats.models.cox` (Cox models, statsmodels
``PHReg``).
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.schema import COLLEGE_STATUS_VALUES, EDUCATION_LEVELS, EXIT_REASONS

__all__ = [
    "EXIT_CAUSES",
    "discharge_durations",
    "covariate_matrix",
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
    enlist, exit_, until, reason = _duration_inputs(recruits, window_days, observed_until)
    _check_durations(recruits, enlist, exit_, until, reason)
    end, event, same_day = _censored_durations(enlist, exit_, until, window_days)

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


def _duration_inputs(recruits, window_days, observed_until) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Enlistment, exit and end-of-observation dates and the canonical exit reason (None if absent)."""
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
    return enlist, exit_, until, reason


def _check_durations(recruits, enlist, exit_, until, reason) -> None:
    """Raise one InputError naming every row whose dates or reason cannot give a duration."""
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


def _censored_durations(enlist, exit_, until, window_days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days at risk, event flags and the same-day returns (counted as half a day)."""
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
    return end, event, same_day


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
