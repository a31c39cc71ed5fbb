"""Measures computed from a canonical panel: cycles, derived rates, the funnel, lever transforms.

Functions here take a canonical panel (see :mod:`recruitstats.schema`) and return
new frames; they never modify their input.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
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

PublicityMeasure = Literal["spend", "brochures", "sms", "online_posts", "posters"]
StipendMeasure = Literal["relative_wage", "real_yuan", "yuan"]
OutreachMeasure = Literal["door_visits", "counselors_trained", "exemplar_talks", "followup_contacts"]

#: The three levers and the transform each takes by default (SCHEMA.md, "Default model").
LEVERS: tuple[str, ...] = ("publicity", "stipend", "outreach")
LEVER_TRANSFORMS: dict[str, str] = {
    "publicity": "log(publicity_spend / eligible_youth)  (yuan per eligible youth)",
    "stipend": "log(family_allowance / avg_wage)  (allowance relative to the local wage)",
    "outreach": "log(1 + 100 * door_visits / eligible_youth)  (visits per 100 eligible youth)",
}


def cycle_label(year: int, half: int) -> str:
    """``2021H1`` for the spring call-up of 2021, ``2021H2`` for the autumn one."""
    return f"{int(year)}H{int(half)}"


def add_cycle(panel: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with ``cycle`` (``2021H1``) and ``cycle_index`` (0, 1, ... in time order)."""
    out = panel.copy()
    out["cycle"] = [cycle_label(y, h) for y, h in zip(out["year"], out["half"])]
    order = (out["year"].astype(int) * 2 + out["half"].astype(int) - 1)
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


def _need(panel: pd.DataFrame, cols: list[str], lever: str) -> None:
    missing = [c for c in cols if c not in panel]
    if missing:
        raise InputError([Problem(f"the {lever} lever needs column(s) {', '.join(missing)}",
                                  column=", ".join(missing))])


def _safe_log(x: pd.Series, lever: str, what: str) -> pd.Series:
    bad = x.notna() & (x <= 0)
    if bad.any():
        raise InputError([Problem(
            f"the {lever} lever takes log({what}), which is zero or negative in {int(bad.sum())} row(s); "
            "drop those rows or choose another transform", column=what)])
    return np.log(x)


def lever_values(
    panel: pd.DataFrame,
    *,
    publicity: PublicityMeasure | None = "spend",
    stipend: StipendMeasure | None = "relative_wage",
    outreach: OutreachMeasure | None = "door_visits",
    price_index: pd.Series | None = None,
) -> pd.DataFrame:
    """The lever regressors for each panel row.

    Defaults follow SCHEMA.md: ``publicity = log(publicity_spend / eligible_youth)``,
    ``stipend = log(family_allowance / avg_wage)``,
    ``outreach = log(1 + 100 * door_visits / eligible_youth)``.

    Parameters
    ----------
    panel : canonical panel.
    publicity : ``"spend"`` (yuan per eligible youth, logged) or a channel
        (``"brochures"``, ``"sms"``, ``"online_posts"``, ``"posters"``) as
        ``log(1 + 100 * channel / eligible_youth)``; None leaves the lever out.
    stipend : ``"relative_wage"`` (allowance / local wage, logged), ``"yuan"``
        (log allowance in nominal yuan) or ``"real_yuan"`` (log allowance deflated by
        ``price_index``, one value per row, base = 1); None leaves it out.
    outreach : ``"door_visits"``, ``"counselors_trained"``, ``"exemplar_talks"`` or
        ``"followup_contacts"``, as ``log(1 + 100 * count / eligible_youth)``; None leaves it out.

    Returns
    -------
    DataFrame with one column per lever kept, named ``publicity``, ``stipend``, ``outreach``.
    """
    out = pd.DataFrame(index=panel.index)
    num = lambda c: pd.to_numeric(panel[c], errors="coerce").astype(float)  # noqa: E731
    if publicity is not None:
        if publicity == "spend":
            _need(panel, ["publicity_spend", "eligible_youth"], "publicity")
            out["publicity"] = _safe_log(num("publicity_spend") / num("eligible_youth"), "publicity",
                                         "publicity_spend / eligible_youth")
        else:
            _need(panel, [publicity, "eligible_youth"], "publicity")
            out["publicity"] = np.log1p(100 * num(publicity) / num("eligible_youth"))
    if stipend is not None:
        _need(panel, ["family_allowance"], "stipend")
        if stipend == "relative_wage":
            _need(panel, ["avg_wage"], "stipend")
            out["stipend"] = _safe_log(num("family_allowance") / num("avg_wage"), "stipend",
                                       "family_allowance / avg_wage")
        elif stipend == "real_yuan":
            if price_index is None:
                raise InputError("stipend='real_yuan' needs a price_index (one value per row, base year = 1)")
            index = (price_index.reindex(panel.index) if isinstance(price_index, pd.Series)
                     else pd.Series(np.asarray(price_index, float), index=panel.index))
            out["stipend"] = _safe_log(num("family_allowance") / index.astype(float), "stipend",
                                       "real family_allowance")
        elif stipend == "yuan":
            out["stipend"] = _safe_log(num("family_allowance"), "stipend", "family_allowance")
        else:
            raise InputError(f"unknown stipend measure {stipend!r}")
    if outreach is not None:
        _need(panel, [outreach, "eligible_youth"], "outreach")
        out["outreach"] = np.log1p(100 * num(outreach) / num("eligible_youth"))
    return out
