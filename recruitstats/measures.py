"""Measures computed from a canonical panel: cycles, derived rates, the funnel, lever transforms.

Functions here take a canonical panel (see :mod:`recruitstats.schema`) and return
new frames; they never modify their input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.levers import DEFAULT_LEVERS, LEVERS as REGISTRY, lever_names
from recruitstats.schema import DERIVED_RATES

__all__ = [
    "cycle_label",
    "add_cycle",
    "derived_rates",
    "funnel",
    "FUNNEL_STAGES",
    "LEVERS",
    "LEVER_TRANSFORMS",
    "lever_values",
]

#: The recruitment funnel in order, as canonical column names.
FUNNEL_STAGES: tuple[str, ...] = (
    "applicants", "medical_examined", "medical_passed", "political_passed", "enlisted", "returned")

#: The three default levers, and the transform each takes (from the lever registry).
LEVERS: tuple[str, ...] = DEFAULT_LEVERS
LEVER_TRANSFORMS: dict[str, str] = {name: REGISTRY[name].transform_text("en") for name in DEFAULT_LEVERS}

#: Measure names of :func:`lever_values` -> lever registry entries.
_MEASURES: dict[str, dict[str, str]] = {
    "publicity": {"spend": "publicity", **{m: m for m in lever_names("publicity") if m != "publicity"}},
    "stipend": {"relative_wage": "stipend", "yuan": "stipend_yuan"},
    "outreach": {"door_visits": "outreach", **{m: m for m in lever_names("outreach") if m != "outreach"}},
}


def cycle_label(year: int, half: int) -> str:
    """``2021H1`` for the spring call-up of 2021, ``2021H2`` for the autumn one."""
    return f"{int(year)}H{int(half)}"


def add_cycle(panel: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with ``cycle`` (``2021H1``) and ``cycle_index`` (0, 1, ... in time order)."""
    out = panel.copy()
    year, half = out["year"].astype(int), out["half"].astype(int)
    out["cycle"] = year.astype(str) + "H" + half.astype(str)  # cycle_label, vectorised
    order = year * 2 + half - 1
    out["cycle_index"] = order - order.min()
    return out


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num = pd.to_numeric(num, errors="coerce").astype(float)
    den = pd.to_numeric(den, errors="coerce").astype(float)
    return num / den.where(den > 0)


def derived_rates(panel: pd.DataFrame) -> pd.DataFrame:
    """The derived rates of SCHEMA.md for each row (NaN where a column is missing or a denominator is 0)."""
    out = pd.DataFrame(index=panel.index)
    for name, (num, den, _) in DERIVED_RATES.items():
        if num in panel and den in panel:
            out[name] = _ratio(panel[num], panel[den])
        else:
            out[name] = np.nan
    return out


def funnel(panel: pd.DataFrame, *, by: str | list[str] | None = None) -> pd.DataFrame:
    """Totals of each funnel stage (applicants to returned), optionally grouped, with stage-to-stage shares.

    Returns one row per stage (per group) with ``count`` and ``share_of_previous``
    and ``share_of_applicants``.
    """
    stages = [s for s in FUNNEL_STAGES if s in panel]
    if not stages:
        raise InputError("no funnel columns (applicants, medical_examined, ...) in the data")
    groups = [by] if isinstance(by, str) else list(by or [])
    totals = panel.groupby(groups)[stages].sum(min_count=1) if groups else panel[stages].sum(min_count=1).to_frame().T
    long = totals.reset_index(drop=not groups).melt(id_vars=groups, var_name="stage", value_name="count")
    long["stage"] = pd.Categorical(long["stage"], categories=stages, ordered=True)
    long = long.sort_values(groups + ["stage"]).reset_index(drop=True)
    prev = long.groupby(groups)["count"].shift(1) if groups else long["count"].shift(1)
    if "applicants" in stages:  # the first row of each group is applicants, even when missing
        first = long.groupby(groups)["count"].transform(lambda s: s.iloc[0]) if groups else long["count"].iloc[0]
    else:
        first = np.nan
    long["share_of_previous"] = long["count"] / prev
    long["share_of_applicants"] = long["count"] / first
    return long


def lever_values(
    panel: pd.DataFrame,
    *,
    publicity: str | None = "spend",
    stipend: str | None = "relative_wage",
    outreach: str | None = "door_visits",
) -> pd.DataFrame:
    """The three lever regressors for each panel row, named ``publicity``, ``stipend``, ``outreach``.

    Defaults follow SCHEMA.md: ``publicity = log(publicity_spend / eligible_youth)``,
    ``stipend = log(family_allowance / avg_wage)``,
    ``outreach = log(1 + 100 * door_visits / eligible_youth)``. Another measure of a
    lever (``publicity="sms"``, ``stipend="yuan"``, ``outreach="exemplar_talks"``)
    takes that registry entry's transform (:mod:`recruitstats.levers`); None leaves
    the lever out.
    """
    out = pd.DataFrame(index=panel.index)
    for group, measure in (("publicity", publicity), ("stipend", stipend), ("outreach", outreach)):
        if measure is None:
            continue
        if measure not in _MEASURES[group]:
            raise InputError(f"unknown {group} measure {measure!r}; choose from {', '.join(_MEASURES[group])}")
        out[group] = REGISTRY[_MEASURES[group][measure]].values(panel).to_numpy(float)
    return out
