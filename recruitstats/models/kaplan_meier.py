"""Kaplan-Meier curves of the share of recruits still serving, per group.

Uses statsmodels ``SurvfuncRight`` (checked against lifelines in the tests) on
durations from :func:`recruitstats.models.survival.discharge_durations`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError, Problem
from recruitstats.models.survival import _levels, _need_durations

__all__ = ["KMResult", "kaplan_meier"]


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
    model: str = "kaplan_meier"
    inference: str = "Greenwood standard errors, pointwise intervals on the log(-log) scale"
    synthetic: bool = False

    # --- the parts of the result protocol that apply to a curve -------------------
    @property
    def nobs(self) -> int:
        return int(self.n.sum())

    def predict(self, data: float | Iterable[float] | None = None, **_: object) -> pd.DataFrame:
        """Share still serving at the given days (default: 45 and 90), per group, with intervals."""
        return self.survival_at((45, 90) if data is None else data)

    def tidy(self, level: float | None = None, *, days: Iterable[float] = (45, 90)) -> pd.DataFrame:
        """Share returned within each of ``days`` per group, in the protocol's columns."""
        s = self.share_returned_within(days)
        out = pd.DataFrame({"term": [f"{g} @ {d:g} days" for g, d in zip(s["group"], s["days"])],
                            "estimate": s["share"], "se": s["se"], "ci_low": s["low"], "ci_high": s["high"],
                            "p_value": np.nan, "inference": self.inference})
        out.attrs.update(level=self.level, model=self.model, nobs=self.nobs)
        return out

    def to_dict(self) -> dict:
        """Share returned within 45 and 90 days per group (JSON-safe)."""
        from recruitstats.results import json_safe

        return json_safe({"model": self.model, "n_obs": self.nobs, "inference": self.inference,
                          "level": self.level, "groups": {str(g): int(self.n[g]) for g in self.groups},
                          "estimates": self.tidy().drop(columns="inference").to_dict(orient="records")})

    def summary(self) -> str:
        t = self.tidy()
        lines = [f"Kaplan-Meier: share returned ({self.level:.0%} interval; {self.inference})"]
        lines += [f"  {r.term}: {r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in t.itertuples()]
        return "\n".join(lines)

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
        DataFrame with ``group``, ``days``, ``share``, ``se``, ``low``, ``high``, ``n``,
        ``events_within`` (returns on or before ``days``: the count beside the share) and
        ``events`` (all the group's returns in the window, whatever ``days``).
        """
        s = self.survival_at(days)
        out = s[["group", "days"]].copy()
        out["share"] = 1 - s["survival"]
        out["se"] = s["se"]
        out["low"] = 1 - s["high"]
        out["high"] = 1 - s["low"]
        out["n"] = s["n"]
        out["events_within"] = [self.events_within(g, d) for g, d in zip(s["group"], s["days"])]
        out["events"] = s["events"]
        return out

    def events_within(self, group: str, days: float) -> int:
        """Returns of ``group`` on or before day ``days`` (events with duration <= days)."""
        t = self.table[self.table["group"] == group]
        return int(t.loc[t["time"] <= days, "n_events"].sum())


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
                    window_days=durations.attrs.get("window_days"),
                    synthetic="data_source" in durations and any(
                        "SYNTHETIC" in str(v).upper() for v in pd.unique(durations["data_source"].dropna())))
