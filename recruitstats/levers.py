"""The lever registry: everything the package knows about a lever, in one place.

A lever is a regressor made from panel columns by one of two transforms:

- ``kind="log"``:   ``x = log(scale * column / per)``   (the coefficient is an elasticity)
- ``kind="log1p"``: ``x = log(1 + scale * column / per)`` (``per`` may be None: no denominator)

Transforms, the command line's ``--levers``, figures, tables, the brief, the
simulator and policy quantities read this registry; nothing else names a lever.
Adding a lever is one :class:`Lever` entry in :data:`LEVERS`.

``cost`` says how a "+x%" change is priced in yuan:

- ``"spend"``: the column is money, so the change itself is the cost (publicity spending);
- ``"per_payee"``: yuan per person per year paid to everyone in ``payees`` (the
  allowance goes to every recruit, not only the marginal ones), times the years paid;
- ``"per_unit"``: the change in units times a unit cost from the project config
  (``unit_costs[column]``, e.g. yuan per door visit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem, column_text, current_language, tr

__all__ = ["Lever", "LEVERS", "DEFAULT_LEVERS", "GROUPS", "get_lever", "lever_names"]

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Lever:
    """One lever or detail measure (see the module docstring for the fields' meaning)."""

    name: str
    group: Literal["publicity", "stipend", "outreach"]
    column: str
    per: str | None
    kind: Literal["log", "log1p"]
    scale: float
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    cost: Literal["spend", "per_payee", "per_unit"]
    payees: str | None = None

    # --- words ---------------------------------------------------------------
    def label(self, lang: Lang = "en") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def unit(self, lang: Lang = "en") -> str:
        return self.unit_zh if lang == "zh" else self.unit_en

    def axis_label(self, lang: Lang = "en") -> str:
        """``宣传经费（元/适龄青年）`` or ``Publicity spending (yuan per eligible youth)``."""
        return f"{self.label_zh}（{self.unit_zh}）" if lang == "zh" else f"{self.label_en} ({self.unit_en})"

    def transform_text(self, lang: Lang = "en") -> str:
        """The transform in words, e.g. ``log(publicity_spend / eligible_youth)  (yuan per eligible youth)``."""
        ratio = self.column if self.per is None else f"{self.column} / {self.per}"
        if self.scale != 1:
            ratio = f"{self.scale:g} * {ratio}"
        inner = f"log({ratio})" if self.kind == "log" else f"log(1 + {ratio})"
        return f"{inner}  ({self.unit(lang)})"

    # --- numbers -------------------------------------------------------------
    @property
    def inputs(self) -> tuple[str, ...]:
        """Panel columns the lever is computed from."""
        return (self.column,) if self.per is None else (self.column, self.per)

    def values(self, panel: pd.DataFrame) -> pd.Series:
        """The regressor for each row of a canonical panel (NaN where an input is missing)."""
        missing = [c for c in self.inputs if c not in panel]
        if missing:
            lever = self.label_zh if current_language() == "zh" else self.name
            raise InputError([Problem(tr("lever.needs", lever=lever, columns=column_text(", ".join(missing))),
                                      column=", ".join(missing))])
        ratio = self.scale * pd.to_numeric(panel[self.column], errors="coerce").astype(float)
        if self.per is not None:
            den = pd.to_numeric(panel[self.per], errors="coerce").astype(float)
            ratio = ratio / den.where(den > 0)
        if self.kind == "log1p":
            return np.log1p(ratio).rename(self.name)
        bad = ratio.notna() & (ratio <= 0)
        if bad.any():
            what = self.column if self.per is None else f"{self.column} / {self.per}"
            raise InputError([Problem(
                f"the {self.name} lever takes log({what}), which is zero or negative in {int(bad.sum())} "
                "row(s); drop those rows or choose another measure", column=self.column)])
        return np.log(ratio).rename(self.name)

    def scaled(self, x: np.ndarray, factor: float) -> np.ndarray:
        """The regressor after multiplying the lever's column by ``factor`` (denominator unchanged)."""
        if not factor > 0:
            raise InputError(f"a lever can only be multiplied by a positive factor, not {factor}")
        x = np.asarray(x, dtype=float)
        if self.kind == "log":
            return x + np.log(factor)
        return np.log1p(factor * np.expm1(x))

    def dx_dlogv(self, x: np.ndarray) -> np.ndarray:
        """Derivative of the regressor with respect to the log of the lever's column (for elasticities)."""
        x = np.asarray(x, dtype=float)
        return np.ones_like(x) if self.kind == "log" else -np.expm1(-x)


_PER_100 = ("百名适龄青年", "per 100 eligible youth")


def _detail(name, group, zh, en, unit_zh, unit_en, *, per="eligible_youth", cost="per_unit") -> Lever:
    return Lever(name=name, group=group, column=name, per=per, kind="log1p", scale=100.0,
                 label_zh=zh, label_en=en, unit_zh=f"{unit_zh}/{_PER_100[0]}",
                 unit_en=f"{unit_en} {_PER_100[1]}", cost=cost)


#: The registry. The first three are the default levers of SCHEMA.md ("Default model").
LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("publicity", "publicity", "publicity_spend", "eligible_youth", "log", 1.0,
          "宣传经费", "Publicity spending", "元/适龄青年", "yuan per eligible youth", "spend"),
    Lever("stipend", "stipend", "family_allowance", "avg_wage", "log", 1.0,
          "优待金", "Family allowance", "相对当地平均工资", "relative to the local average wage",
          "per_payee", payees="enlisted"),
    Lever("outreach", "outreach", "door_visits", "eligible_youth", "log1p", 100.0,
          "入户动员", "Door-to-door visits", f"人次/{_PER_100[0]}", f"visits {_PER_100[1]}", "per_unit"),
    _detail("brochures", "publicity", "宣传册", "Brochures", "份", "copies"),
    _detail("sms", "publicity", "短信推送", "SMS pushes", "条", "messages"),
    _detail("online_posts", "publicity", "网络推送", "Online posts", "条", "posts"),
    _detail("posters", "publicity", "标语海报", "Posters", "幅", "pieces"),
    Lever("stipend_yuan", "stipend", "family_allowance", None, "log", 1.0,
          "优待金", "Family allowance", "元/年", "yuan per year", "per_payee", payees="enlisted"),
    Lever("college_bonus", "stipend", "college_bonus", None, "log1p", 1e-3,
          "大学生一次性奖励金", "College enlistee bonus", "千元", "thousand yuan", "per_payee",
          payees="enlisted_college"),
    _detail("counselors_trained", "outreach", "培训高校辅导员", "Counsellors trained", "人", "counsellors"),
    _detail("exemplar_talks", "outreach", "榜样宣讲", "Exemplar talks", "场", "talks"),
    Lever("followup_contacts", "outreach", "followup_contacts", "enlisted", "log1p", 100.0,
          "新兵回访", "Follow-up contacts", "人次/百名新兵", "contacts per 100 recruits", "per_unit"),
)}

#: The default levers of the sign-up and discharge models, in order.
DEFAULT_LEVERS: tuple[str, ...] = ("publicity", "stipend", "outreach")
GROUPS: tuple[str, ...] = ("publicity", "stipend", "outreach")


def get_lever(name: str) -> Lever:
    """The registry entry for ``name``; an :class:`InputError` listing the choices otherwise."""
    try:
        return LEVERS[name]
    except KeyError:
        raise InputError(f"unknown lever {name!r}; choose from {', '.join(LEVERS)}") from None


def lever_names(group: str | None = None) -> tuple[str, ...]:
    """Registry names, optionally only those of one group (publicity, stipend, outreach)."""
    return tuple(n for n, lv in LEVERS.items() if group is None or lv.group == group)
