"""The staggered-adoption frame shared by every difference-in-differences estimator.

A district's *cohort* is the first call-up cycle in which it is treated (its
allowance reform); districts that never reform within the panel have cohort 0.
:func:`reform_cohorts` finds cohorts from the family allowance;
:func:`prepare_did` builds the balanced district x cycle frame (outcome, cohort,
covariates, cluster) that the estimators take, so they all use the same sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.measures import cycle_label

__all__ = ["DidPanel", "reform_cohorts", "prepare_did", "OUTCOMES", "district_key"]

#: Built-in outcomes: name -> (numerator, denominator, transform, English and Chinese labels).
OUTCOMES: dict[str, dict[str, str]] = {
    "signup": {"num": "applicants", "den": "eligible_youth", "transform": "log",
               "en": "log sign-up rate, log(applicants / eligible_youth)",
               "zh": "报名率的对数 log(报名人数/适龄青年数)"},
    "return": {"num": "returned", "den": "enlisted", "transform": "identity",
               "en": "return rate, returned / enlisted", "zh": "退兵率（退兵人数/入伍人数）"},
}


def district_key(panel: pd.DataFrame) -> str:
    """``district_code`` when the panel has it (SCHEMA.md), else ``district``."""
    if "district_code" in panel and panel["district_code"].notna().all():
        return "district_code"
    if "district" not in panel:
        raise InputError([Problem("the panel needs a district or district_code column", column="district")])
    return "district"


def _need(panel: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in panel]
    if missing:
        raise InputError([Problem(f"{what} needs column(s) {', '.join(missing)}, which the data do not have",
                                  column=", ".join(missing))])


def _cycle_order(panel: pd.DataFrame) -> pd.Series:
    """Consecutive cycle numbers 1..T over the cycles present in the panel (time order)."""
    order = panel["year"].astype(int) * 2 + panel["half"].astype(int)
    ranks = {v: i + 1 for i, v in enumerate(sorted(order.unique()))}
    return order.map(ranks).astype(int)


def reform_cohorts(
    panel: pd.DataFrame,
    *,
    min_rise: float = 0.1,
    column: str = "family_allowance",
    relative_to: str | None = "avg_wage",
) -> pd.DataFrame:
    """Each district's first allowance reform: the first cycle its allowance rose by more than ``min_rise``.

    The rise of a cycle is ``x_t / x_s - 1`` with ``x = column / relative_to`` (the allowance
    relative to the local wage, the stipend lever of SCHEMA.md, so ordinary wage growth is not a
    reform) and ``s`` the district's previous cycle with a value. Rises in a district's first
    cycle cannot be seen: a district that reformed before the panel starts looks never-reformed.

    Parameters
    ----------
    panel : canonical panel (district or district_code, year, half, ``column``).
    min_rise : smallest relative rise that counts as a reform (0.1 = 10%).
    column : the allowance column.
    relative_to : divide by this column first (None: the nominal allowance).

    Returns
    -------
    pandas.DataFrame
        One row per district (index: the district key) with ``reform_year``, ``reform_half``,
        ``reform_cycle`` (e.g. ``2021H1``; missing when the district never reforms), ``rise``
        (the rise found) and ``later_rises`` (further cycles above the threshold, ignored).
    """
    if not isinstance(min_rise, (int, float)) or isinstance(min_rise, bool) or not 0 < min_rise < 10:
        raise InputError([Problem(f"min_rise must be a number in (0, 10), got {min_rise!r}",
                                  column="min_rise", expected="e.g. 0.1 for a 10% rise")])
    key = district_key(panel)
    cols = [key, "year", "half", column] + ([relative_to] if relative_to else [])
    _need(panel, cols, "finding allowance reforms")
    df = panel[cols].copy()
    x = pd.to_numeric(df[column], errors="coerce").astype(float)
    if relative_to:
        x = x / pd.to_numeric(df[relative_to], errors="coerce").astype(float)
    df["x"] = x.where(x > 0)
    df = df.dropna(subset=["x"]).sort_values([key, "year", "half"])
    df["rise"] = df.groupby(key, sort=False)["x"].pct_change()
    hits = df[df["rise"] > min_rise]
    first = hits.groupby(key, sort=False).head(1).set_index(key)
    out = pd.DataFrame(index=pd.Index(sorted(panel[key].dropna().unique()), name=key))
    out["reform_year"] = first["year"].astype("Int64")
    out["reform_half"] = first["half"].astype("Int64")
    out["reform_cycle"] = [cycle_label(y, h) if pd.notna(y) else None
                           for y, h in zip(out["reform_year"], out["reform_half"])]
    out["rise"] = first["rise"]
    out["later_rises"] = (hits.groupby(key).size().reindex(out.index).fillna(0).astype(int) - 1).clip(lower=0)
    out.attrs["rule"] = (f"first cycle with {column}{' / ' + relative_to if relative_to else ''} "
                         f"above the previous cycle's by more than {min_rise:.0%}")
    return out


@dataclass(frozen=True)
class DidPanel:
    """A balanced district x cycle frame ready for the DiD estimators.

    Attributes
    ----------
    frame : columns ``unit`` (1..N, ordered by cohort then district), ``key`` (district key),
        ``period`` (1..T), ``group`` (cohort period, 0 = never treated), ``y``, ``cluster``,
        ``treated`` (period >= group > 0) and the covariates.
    periods : cycle labels of periods 1..T.
    """

    frame: pd.DataFrame
    periods: tuple[str, ...]
    outcome: str
    outcome_label: dict[str, str]
    unit_key: str
    cluster: str
    covariates: tuple[str, ...]
    synthetic: bool
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def n_units(self) -> int:
        return int(self.frame["unit"].nunique())

    @property
    def n_clusters(self) -> int:
        return int(self.frame["cluster"].nunique())

    def label(self, period: float) -> str:
        """Cycle label of a period number (``never`` for 0)."""
        return self.periods[int(period) - 1] if period > 0 else "never"


def _is_synthetic(panel: pd.DataFrame) -> bool:
    if "data_source" not in panel:
        return False
    return any("SYNTHETIC" in str(v).upper() for v in pd.unique(panel["data_source"].dropna()))


def _outcome(panel: pd.DataFrame, outcome: str) -> tuple[pd.Series, dict[str, str]]:
    if outcome in OUTCOMES:
        spec = OUTCOMES[outcome]
        _need(panel, [spec["num"], spec["den"]], f"the {outcome} outcome")
        num = pd.to_numeric(panel[spec["num"]], errors="coerce").astype(float)
        den = pd.to_numeric(panel[spec["den"]], errors="coerce").astype(float)
        rate = (num / den).where(den > 0)
        y = np.log(rate.where(rate > 0)) if spec["transform"] == "log" else rate
        return y, {"en": spec["en"], "zh": spec["zh"]}
    if not isinstance(outcome, str) or outcome not in panel:
        raise InputError([Problem(f"unknown outcome {outcome!r}", column=str(outcome),
                                  expected="'signup', 'return' or a numeric column of the panel")])
    y = pd.to_numeric(panel[outcome], errors="coerce").astype(float)
    return y, {"en": outcome, "zh": outcome}


def _cohort_labels(panel: pd.DataFrame, key: str, cohort: str | None, min_rise: float) -> pd.Series:
    """District key -> cohort as a cycle label, an int year, or None (never)."""
    if cohort is None:
        return reform_cohorts(panel, min_rise=min_rise)["reform_cycle"]
    _need(panel, [cohort], "the cohort")
    per = panel.groupby(key)[cohort].agg(lambda s: s.dropna().unique().tolist())
    bad = per[per.map(len) > 1]
    if len(bad):
        raise InputError([Problem(f"the cohort column must hold one value per district; {len(bad)} district(s) "
                                  f"have several, e.g. {bad.index[0]}", column=cohort,
                                  expected="the first treated cycle (2021H1) or year (2021), empty if never")])
    return per.map(lambda v: v[0] if v else None)


def _cohort_period(value, periods: list[str], years: list[int]) -> float:
    """Period number of a cohort value: 0 never, -1 treated from before the panel, else 1..T."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value in (0, "0", ""):
        return 0
    text = str(value).strip().upper()
    if text in periods:
        return periods.index(text) + 1
    try:
        year = int(float(text))
    except ValueError:
        raise InputError([Problem(f"cohort value {value!r} is neither a cycle like 2021H1 nor a year",
                                  expected="2021H1, 2021 or empty for never")]) from None
    if year < years[0]:
        return -1
    later = [i for i, y in enumerate(years) if y >= year]
    return later[0] + 1 if later else 0


def prepare_did(
    panel: pd.DataFrame,
    *,
    outcome: str = "signup",
    cohort: str | None = None,
    min_rise: float = 0.1,
    covariates: Sequence[str] = (),
    cluster: str | None = None,
) -> DidPanel:
    """Build the balanced frame every DiD estimator of the package uses.

    Parameters
    ----------
    panel : canonical panel (district or district_code, year, half and the outcome's columns).
    outcome : ``"signup"`` (log sign-up rate), ``"return"`` (return rate) or a numeric column.
    cohort : a column holding each district's first treated cycle (``2021H1``) or year (``2021``,
        meaning its first cycle), empty when never treated; None finds reforms with
        :func:`reform_cohorts` (``min_rise``).
    min_rise : threshold of :func:`reform_cohorts` when ``cohort`` is None.
    covariates : numeric columns for the doubly-robust estimator.
    cluster : cluster column (default: the district key); districts must be nested in clusters.

    Returns
    -------
    DidPanel
    """
    key = district_key(panel)
    _need(panel, [key, "year", "half", *covariates] + ([cluster] if cluster else []), "difference-in-differences")
    df = panel.copy()
    df["period"] = _cycle_order(df)
    order = df.sort_values("period").drop_duplicates("period")
    periods = [cycle_label(y, h) for y, h in zip(order["year"], order["half"])]
    years = [int(y) for y in order["year"]]
    if df.duplicated([key, "period"]).any():
        raise InputError([Problem("more than one row for a district and cycle", column=key,
                                  expected="one row per district and cycle")])
    df["y"], label = _outcome(df, outcome)
    cohorts = _cohort_labels(df, key, cohort, min_rise)
    df["group"] = df[key].map({k: _cohort_period(v, periods, years) for k, v in cohorts.items()})
    df["cluster"] = df[cluster] if cluster else df[key]
    for c in covariates:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return _balance(df, key, periods, label, outcome, tuple(covariates), cluster or key, _is_synthetic(panel))


def _balance(df, key, periods, label, outcome, covariates, cluster, synthetic) -> DidPanel:
    dropped: dict[str, int] = {}
    warnings: list[str] = []
    always = df.loc[df["group"].isin([-1, 1]), key].unique()
    if len(always):
        dropped["districts treated from the first cycle"] = len(always)
        warnings.append(f"{len(always)} district(s) already treated in the first cycle were left out "
                        "(no untreated cycle to compare)")
        df = df[~df[key].isin(always)]
    ok = np.isfinite(df[["y", *covariates]].to_numpy(float)).all(axis=1) & df["cluster"].notna().to_numpy()
    n_t = len(periods)
    complete = pd.Series(ok, index=df.index).groupby(df[key]).transform("sum") == n_t
    incomplete = df.loc[~complete, key].unique()
    if len(incomplete):
        dropped["districts without a usable outcome in every cycle"] = len(incomplete)
        warnings.append(f"{len(incomplete)} district(s) lack a usable outcome or covariate in some cycle "
                        "(missing, zero denominator or log of zero) and were left out: the estimators need "
                        "a balanced panel")
        df = df[complete.to_numpy()]
    if df.empty:
        raise InputError([Problem("no district has a usable outcome in every cycle", column=outcome)])
    if (df.groupby(key)["cluster"].nunique() > 1).any():
        raise InputError([Problem(f"districts must be nested in the clusters, but some change {cluster}",
                                  column=cluster)])
    units = df.drop_duplicates(key)[[key, "group"]].assign(g=lambda u: u["group"].replace(0, np.inf))
    units = units.sort_values(["g", key])
    # unit ids in (cohort, key) order: the order of moderndid's influence functions
    df = df.assign(unit=df[key].map(dict(zip(units[key], range(1, len(units) + 1)))), key=df[key])
    df["treated"] = ((df["group"] > 0) & (df["period"] >= df["group"])).astype(float)
    frame = df[["unit", "key", "period", "group", "y", "cluster", "treated", *covariates]]
    frame = frame.sort_values(["unit", "period"]).reset_index(drop=True)
    return DidPanel(frame=frame, periods=tuple(periods), outcome=outcome, outcome_label=label,
                    unit_key=key, cluster=cluster, covariates=covariates, synthetic=synthetic,
                    dropped=dropped, warnings=tuple(warnings))
