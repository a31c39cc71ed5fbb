"""The piecewise-exponential cell model of early discharge.

Recruits are collapsed (with DuckDB) into cells: one row per district, cycle,
covariate level and interval of days since enlistment, with the returns
(``events``) and the days at risk (``person_days``) in the cell. Within an
interval the hazard is taken as constant, so

    E[events] = person_days * exp(interval effect + X b)

is a Poisson rate model with ``person_days`` as exposure, fitted by the
package's one rate engine (:func:`recruitstats.models.engine.fit_rate`).
The interval effects are the baseline hazard; ``b`` are log hazard ratios, the
same quantities a Cox model estimates. Millions of records become thousands of
cells, which is why this model is fast; with one interval per distinct event
day it reproduces the Cox model with Breslow ties exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.models.survival import covariate_matrix, discharge_durations

__all__ = ["DEFAULT_INTERVALS", "collapse_to_cells", "PiecewiseResult", "fit_piecewise"]

#: Interval edges in days since enlistment: the 45-day medical and 90-day return windows are edges.
DEFAULT_INTERVALS: tuple[float, ...] = (0, 15, 30, 45, 60, 90)


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _check_intervals(intervals: Sequence[float]) -> list[float]:
    edges = [float(x) for x in intervals]
    if len(edges) < 2 or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise InputError(f"intervals must start at 0 and increase (got {tuple(intervals)})")
    return edges


def collapse_to_cells(
    recruits: pd.DataFrame | str | Path,
    *,
    covariates: Sequence[str],
    intervals: Sequence[float] = DEFAULT_INTERVALS,
    by: Sequence[str] = ("district", "year", "half"),
    duration: str = "duration",
    event: str = "event",
) -> pd.DataFrame:
    """Collapse recruit records into cells of returns and days at risk (SQL in DuckDB).

    Parameters
    ----------
    recruits : durations from :func:`~recruitstats.models.survival.discharge_durations`
        (a DataFrame, or the path of a parquet file holding them). A recruit table
        without ``duration``/``event`` is first passed through
        ``discharge_durations(recruits, window_days=intervals[-1])``.
    covariates : columns whose levels define cells (yes/no and categories; a
        continuous covariate makes one cell per distinct value).
    intervals : edges in days; a recruit at risk in ``(lo, hi]`` contributes
        ``min(duration, hi) - lo`` days and an event if returned in it. Time after
        the last edge is not counted (administrative censoring there).
    by : cell keys besides the covariates (``cluster`` and any fixed effects of
        the model must be among them).

    Returns
    -------
    DataFrame with the ``by`` columns, the covariates, ``interval`` (label
    ``"0-15"``), ``interval_start``, ``interval_end``, ``recruits`` (at risk at the
    start of the interval), ``events`` and ``person_days``; one row per non-empty cell.
    """
    import duckdb

    edges = _check_intervals(intervals)
    keys = list(dict.fromkeys([*by, *covariates]))
    con = duckdb.connect()
    try:
        if isinstance(recruits, (str, Path)):
            source = _parquet_source(con, Path(recruits), keys, duration, event)
        elif isinstance(recruits, pd.DataFrame):
            con.register("recruit_source", _frame_source(recruits, keys, duration, event, edges))
            source = "recruit_source"
        else:
            raise InputError("recruits must be a DataFrame or the path of a parquet file")
        cells = _cells_sql(con, source, keys, duration, event, edges)
    finally:
        con.close()
    for k in keys:  # DuckDB hands nullable booleans back as object or bool
        if pd.api.types.is_bool_dtype(cells[k]) or cells[k].map(type).isin([bool, np.bool_]).all():
            cells[k] = cells[k].astype("boolean")
    cells.attrs["intervals"] = tuple(edges)
    cells.attrs["by"] = tuple(by)
    cells.attrs["covariates"] = tuple(covariates)
    return cells


def _parquet_source(con, path: Path, keys: list[str], duration: str, event: str) -> str:
    """The SQL source of a parquet file of durations, after checking its columns and values in DuckDB."""
    if not path.exists():
        raise InputError([Problem("no such parquet file", file=str(path))])
    source = "read_parquet('" + str(path).replace("'", "''") + "')"
    cols = con.execute(f"SELECT * FROM {source} LIMIT 0").df().columns
    missing = [c for c in [*keys, duration, event] if c not in cols]
    if missing:
        raise InputError([Problem(f"column {c} is not in the file", file=str(path), column=c) for c in missing])
    checks = [f"COUNT(*) FILTER (WHERE {_quote(k)} IS NULL)" for k in keys]
    checks.append(f"COUNT(*) FILTER (WHERE {_quote(duration)} IS NULL OR {_quote(duration)} < 0 "
                  f"OR {_quote(event)} IS NULL OR {_quote(event)} NOT IN (0, 1))")
    counts = con.execute(f"SELECT {', '.join(checks)} FROM {source}").fetchall()[0]
    problems = [Problem(f"{k} is missing in {n} row(s); fill or drop them before collapsing",
                        file=str(path), column=k) for k, n in zip(keys, counts) if n]
    if counts[-1]:
        problems.append(Problem(f"{counts[-1]} row(s) where {duration} is not a non-negative number "
                                f"or {event} is not 0 or 1", file=str(path), column=duration))
    if problems:
        raise InputError(problems)
    return source


def _frame_source(frame: pd.DataFrame, keys: list[str], duration: str, event: str,
                  edges: list[float]) -> pd.DataFrame:
    """The columns the cells need from a frame of recruits or durations, checked."""
    if duration not in frame or event not in frame:
        frame = discharge_durations(frame, window_days=edges[-1])
    missing = [c for c in keys if c not in frame]
    if missing:
        raise InputError([Problem(f"column {c} is needed for the cells but is not in the data", column=c)
                          for c in missing])
    problems = [Problem(f"{c} is missing in {int(n)} row(s); fill or drop them before collapsing", column=c)
                for c, n in frame[keys].isna().sum().items() if n]
    if problems:
        raise InputError(problems)
    d = pd.to_numeric(frame[duration], errors="coerce")
    if d.isna().any() or (d < 0).any() or not frame[event].isin([0, 1]).all():
        raise InputError([Problem(f"{duration} must be a non-negative number and {event} 0 or 1 in every row",
                                  column=duration)])
    return frame[[*keys, duration, event]]


def _cells_sql(con, source: str, keys: list[str], duration: str, event: str, edges: list[float]) -> pd.DataFrame:
    """Events and days at risk per cell and interval, one SQL aggregation."""
    iv = pd.DataFrame({"interval_start": edges[:-1], "interval_end": edges[1:],
                       "interval": [f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])]})
    con.register("intervals", iv)
    key_sql = ", ".join(f"r.{_quote(k)}" for k in keys)
    sql = f"""
        SELECT {key_sql}, i.interval, i.interval_start, i.interval_end,
               COUNT(*)::DOUBLE AS recruits,
               SUM(CASE WHEN r.{_quote(event)} = 1 AND r.{_quote(duration)} <= i.interval_end
                        THEN 1 ELSE 0 END)::DOUBLE AS events,
               SUM(LEAST(r.{_quote(duration)}, i.interval_end) - i.interval_start)::DOUBLE AS person_days
        FROM {source} AS r JOIN intervals AS i ON r.{_quote(duration)} > i.interval_start
        GROUP BY ALL
        ORDER BY {", ".join(_quote(k) for k in keys)}, i.interval_start
    """
    return con.execute(sql).df()


@dataclass
class PiecewiseResult:
    """A piecewise-exponential fit: log hazard ratios and the baseline hazard per interval.

    Attributes
    ----------
    params, se, cov : log hazard ratios (design column names as in
        :class:`~recruitstats.models.cox.CoxResult`), their errors and covariance.
    baseline : per interval ``events``, ``person_days`` and ``hazard`` (returns per
        recruit-day for the reference recruit); only with the interval effect alone.
    n_cells, n_events, person_days, n_clusters : sizes.
    inference : how ``se`` was computed (from the rate engine).
    rate_fit : the engine's :class:`~recruitstats.models.engine.RateFit`.
    """

    params: pd.Series
    se: pd.Series
    cov: pd.DataFrame
    baseline: pd.DataFrame | None
    n_cells: int
    n_events: int
    person_days: float
    n_clusters: int | None
    inference: str
    warnings: list[str] = field(default_factory=list)
    rate_fit: object = field(default=None, repr=False)

    @property
    def pvalues(self) -> pd.Series:
        return self.rate_fit.pvalues

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        return self.rate_fit.conf_int(level)

    def hazard_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """Hazard ratios exp(b) with interval and p-value, one row per covariate."""
        ci = self.conf_int(level)
        return pd.DataFrame({"log_hr": self.params, "se": self.se, "hr": np.exp(self.params),
                             "low": np.exp(ci["low"]), "high": np.exp(ci["high"]),
                             "p_value": self.pvalues}).rename_axis(None)

    def cumulative_share(self, profile: dict[str, float] | None = None) -> pd.DataFrame:
        """Share returned by the end of each interval for a recruit with design values ``profile``
        (missing entries 0, the reference recruit): ``1 - exp(-cumulative hazard)``."""
        if self.baseline is None:
            raise InputError("cumulative shares need the model with interval effects only")
        profile = profile or {}
        unknown = [k for k in profile if k not in self.params.index]
        if unknown:
            raise InputError(f"unknown design column(s) {unknown}; use names from params")
        lin = sum(self.params[k] * v for k, v in profile.items())
        width = self.baseline["interval_end"] - self.baseline["interval_start"]
        cum = (self.baseline["hazard"] * width).cumsum() * np.exp(lin)
        return pd.DataFrame({"days": self.baseline["interval_end"], "share": 1 - np.exp(-cum)})


def fit_piecewise(
    cells: pd.DataFrame,
    *,
    covariates: Sequence[str],
    cluster: str | None = "district",
    fixed_effects: Sequence[str] = ("interval",),
    reference: dict[str, object] | None = None,
    vcov: str | None = None,
) -> PiecewiseResult:
    """Piecewise-exponential Poisson model on cells (interval effects = baseline hazard).

    Parameters
    ----------
    cells : output of :func:`collapse_to_cells`.
    covariates : cell columns; yes/no become 0/1, categories dummies against the
        same reference levels as :func:`~recruitstats.models.cox.fit_cox`.
    cluster : column for cluster-robust errors (the engine's CRV1 with t(G-1), or its
        CRV3 jackknife below 40 clusters).
    vcov : passed to the engine (None: its default for the data).
    fixed_effects : ``("interval",)`` by default; add ``"district"`` for district
        effects (compare with a Cox model stratified by district).

    Returns
    -------
    PiecewiseResult
    """
    from recruitstats.models.engine import fit_rate

    need = ["events", "person_days", "interval", *fixed_effects] + ([cluster] if cluster else [])
    missing = [c for c in dict.fromkeys(need) if c not in cells]
    if missing:
        raise InputError([Problem(f"column {c} is not in the cells (build them with collapse_to_cells, "
                                  "with the cluster among `by`)", column=c) for c in missing])
    if "interval" not in fixed_effects:
        raise InputError("the interval effect is the baseline hazard: keep 'interval' in fixed_effects")
    X = covariate_matrix(cells, covariates, reference=reference)
    names = list(X.columns)
    data = cells.drop(columns=[c for c in names if c in cells]).join(X)
    fit = fit_rate(data, outcome="events", exposure="person_days", regressors=names,
                   fixed_effects=list(fixed_effects), cluster=cluster,
                   **({"vcov": vcov} if vcov is not None else {}))
    warnings = list(fit.warnings)
    if fit.not_identified:
        warnings += [f"{k}: {v}" for k, v in fit.not_identified.items()]
    baseline = None
    if tuple(fixed_effects) == ("interval",):
        # the interval effect given b: log(events / sum person_days * exp(Xb)) in each interval
        xb = X[list(fit.params.index)].to_numpy() @ fit.params.to_numpy()
        tmp = pd.DataFrame({"interval": cells["interval"], "interval_start": cells["interval_start"],
                            "interval_end": cells["interval_end"], "events": cells["events"],
                            "person_days": cells["person_days"],
                            "weighted_days": cells["person_days"] * np.exp(xb)})
        baseline = (tmp.groupby(["interval_start", "interval_end", "interval"], as_index=False)
                    [["events", "person_days", "weighted_days"]].sum())
        baseline["hazard"] = baseline["events"] / baseline["weighted_days"]
        baseline = baseline.drop(columns="weighted_days")
    return PiecewiseResult(params=fit.params.rename(None).rename_axis(None), se=fit.se.rename(None).rename_axis(None),
                           cov=fit.cov.rename_axis(None).rename_axis(None, axis=1), baseline=baseline,
                           n_cells=int(fit.n_obs), n_events=int(cells["events"].sum()),
                           person_days=float(cells["person_days"].sum()), n_clusters=fit.n_clusters,
                           inference=fit.inference, warnings=warnings, rate_fit=fit)
