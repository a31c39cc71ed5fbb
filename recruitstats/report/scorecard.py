"""The "五率" scorecard: indicators from a readable TOML scheme, per district and cycle.

A scheme is a list of indicators, each a ratio of two panel columns with a
target and a direction (SCHEMA.md, "Derived rates"). The default scheme ships in
``recruitstats/data/scorecard_default.toml``; a province passes its own file.
Everything :func:`scorecard` returns has been through disclosure control
(:mod:`recruitstats.report.suppression`): an indicator that would reveal a count
of fewer than ``threshold`` people is null and listed in ``suppressed``.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.report.suppression import (
    SUPPRESSED_MARK, Protected, check_threshold, protect, suppression_note)
from recruitstats.schema import (
    DERIVED_RATES, PANEL_COLUMNS, PANEL_ORDERINGS, SUPPRESSION_THRESHOLD, canonical_name)

__all__ = ["Indicator", "Scheme", "Scorecard", "load_scheme", "parse_scheme", "scorecard",
           "FUNNEL_STAGES", "people_columns", "district_key"]

Direction = Literal[">=", "<=", "none"]

#: The funnel of the scorecard, largest first (eligible youth to returned recruits).
FUNNEL_STAGES: tuple[str, ...] = ("eligible_youth", "applicants", "medical_examined", "medical_passed",
                                  "political_passed", "enlisted", "returned")
_KNOWN = {c.name for c in PANEL_COLUMNS if c.kind in ("count", "money", "number", "percent")}
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def people_columns(extra: tuple[str, ...] = ()) -> set[str]:
    """Panel columns that count people (a quota counts places, not people), plus a scheme's own."""
    base = {c.name for c in PANEL_COLUMNS if c.kind == "count" and c.unit == "persons"}
    return (base - {"quota"}) | set(extra)


def district_key(panel: pd.DataFrame) -> str:
    """``district_code`` when every row has one (SCHEMA.md), else ``district``."""
    if "district_code" in panel and panel["district_code"].notna().all():
        return "district_code"
    return "district"


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``numerator / denominator`` against ``target`` in ``direction``."""

    key: str
    zh: str
    en: str
    numerator: str
    denominator: str
    target: float | None = None
    direction: Direction = "none"

    def label(self, lang: str = "zh") -> str:
        """The indicator's name in Chinese or English."""
        return self.zh if lang == "zh" else self.en

    def met(self, value: float) -> bool | None:
        """Whether ``value`` meets the target (None without a target or a value)."""
        if self.direction == "none" or self.target is None or value is None or not math.isfinite(value):
            return None
        return bool(value >= self.target) if self.direction == ">=" else bool(value <= self.target)

    def to_dict(self) -> dict:
        """The indicator as in the JSON of ``recruitstats scorecard --json``."""
        return {"zh": self.zh, "en": self.en, "numerator": self.numerator, "denominator": self.denominator,
                "target": self.target, "direction": self.direction}


@dataclass(frozen=True)
class Scheme:
    """A scorecard scheme: its name, labels, indicators and any columns of its own."""

    name: str
    indicators: tuple[Indicator, ...]
    zh: str = ""
    en: str = ""
    columns: tuple[str, ...] = ()
    source: str = "default"

    def __getitem__(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)

    @property
    def keys(self) -> list[str]:
        """Indicator keys in the scheme's order."""
        return [i.key for i in self.indicators]

    def to_dict(self) -> dict:
        """``{key: indicator}`` as in the JSON contract."""
        return {i.key: i.to_dict() for i in self.indicators}


def _line_of(text: str, needle: str) -> int | None:
    """The first line (comments skipped) where ``needle`` stands as a TOML word or quoted value."""
    pattern = re.compile(rf"""["']{re.escape(needle)}["']|(?<![\w"']){re.escape(needle)}(?![\w"'])""")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#") and pattern.search(line):
            return number
    return None


def _problem(source: str, text: str, message: str, needle: str | None = None) -> Problem:
    line = _line_of(text, needle) if needle else None
    return Problem(message if line is None else f"line {line}: {message}", file=source)


def _column(value: object, where: str, extra: tuple[str, ...], source: str, text: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError([_problem(source, text, f"{where} must be a column name, not {value!r}",
                                   str(value) if value else where.split()[-1])])
    name = value.strip()
    if name in _KNOWN or name in extra:
        return name
    canonical, _ = canonical_name(name)  # a Chinese header such as 大学生新兵数
    if canonical in _KNOWN:
        return canonical
    import difflib

    near = difflib.get_close_matches(name, sorted(_KNOWN | set(extra)), n=1)
    hint = f"; did you mean '{near[0]}'?" if near else " (list columns of your own under `columns = [...]`)"
    raise InputError([_problem(source, text, f"{where}: unknown column '{name}'{hint}", name)])


def _indicator(raw: dict, extra: tuple[str, ...], source: str, text: str) -> Indicator:
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise InputError([_problem(source, text, f"indicator key must be a plain name (letters, digits, _), "
                                   f"not {key!r}", str(key) if key else "key")])
    unknown = sorted(set(raw) - {"key", "zh", "en", "numerator", "denominator", "target", "direction"})
    if unknown:
        raise InputError([_problem(source, text, f"indicator '{key}': unknown field(s) {', '.join(unknown)}",
                                   unknown[0])])
    num = _column(raw.get("numerator"), f"indicator '{key}' numerator", extra, source, text)
    den = _column(raw.get("denominator"), f"indicator '{key}' denominator", extra, source, text)
    if key in DERIVED_RATES and DERIVED_RATES[key][:2] != (num, den):
        raise InputError([_problem(source, text, f"indicator '{key}' is a derived rate of SCHEMA.md, "
                                   f"{DERIVED_RATES[key][2]}; give it another key for another ratio", key)])
    direction = str(raw.get("direction", "none")).strip().lower()
    if direction not in (">=", "<=", "none"):
        raise InputError([_problem(source, text, f"indicator '{key}': direction must be \">=\", \"<=\" or "
                                   f"\"none\", not {raw.get('direction')!r}", str(raw.get("direction")))])
    target = raw.get("target")
    if direction != "none" and (isinstance(target, bool) or not isinstance(target, (int, float))
                                or not math.isfinite(target) or target < 0):
        raise InputError([_problem(source, text, f"indicator '{key}': direction {direction} needs a target "
                                   f"(a number of at least 0), not {target!r}", key)])
    if direction == "none" and target is not None:
        raise InputError([_problem(source, text, f"indicator '{key}' has a target but direction \"none\"; "
                                   "give direction = \">=\" (at least) or \"<=\" (at most)", key)])
    return Indicator(key, str(raw.get("zh") or key), str(raw.get("en") or key), num, den,
                     None if target is None else float(target), direction)  # type: ignore[arg-type]


def parse_scheme(text: str, *, source: str = "<scheme>") -> Scheme:
    """Read a scheme from TOML text; an :class:`InputError` names the line or key that is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(f"not valid TOML: {exc}", file=source)]) from None
    unknown = sorted(set(data) - {"name", "zh", "en", "columns", "indicators"})
    if unknown:
        raise InputError([_problem(source, text, f"unknown setting(s) {', '.join(unknown)}", unknown[0])])
    extra = data.get("columns", [])
    if not isinstance(extra, list) or not all(isinstance(c, str) and _KEY.match(c) for c in extra):
        raise InputError([_problem(source, text, "`columns` must be a list of plain column names", "columns")])
    raw = data.get("indicators")
    if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
        raise InputError([Problem("the scheme needs at least one [[indicators]] table", file=source)])
    indicators = tuple(_indicator(r, tuple(extra), source, text) for r in raw)
    keys = [i.key for i in indicators]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InputError([_problem(source, text, f"indicator key '{dupes[0]}' is used twice", dupes[0])])
    return Scheme(str(data.get("name") or Path(source).stem), indicators, str(data.get("zh", "")),
                  str(data.get("en", "")), tuple(extra), source)


def load_scheme(scheme: str | Path | Scheme | None = None) -> Scheme:
    """The default scheme (None or ``"default"``), or a scheme from a TOML file path."""
    if isinstance(scheme, Scheme):
        return scheme
    if scheme is None or str(scheme) == "default":
        text = resources.files("recruitstats").joinpath("data/scorecard_default.toml").read_text("utf-8")
        return parse_scheme(text, source="default")
    path = Path(scheme)
    if not path.is_file():
        raise InputError(f"scorecard scheme not found: {path} (give 'default' or the path of a TOML file)",
                         file=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the scheme file is not UTF-8 text", file=str(path)) from None
    return parse_scheme(text, source=str(path))


@dataclass(frozen=True)
class Scorecard:
    """Indicators and funnel per district and cycle, after disclosure control.

    Attributes
    ----------
    scheme : the scheme scored.
    threshold : the suppression threshold (counts below it are hidden).
    rows : one row per district and cycle: ``district``, ``district_key``, ``year``,
        ``half``, one column per indicator value (NaN when suppressed or not
        computable), ``met_<key>`` (True/False/None) and ``suppressed`` (list of keys).
    funnel : the same rows with the funnel counts (NaN where hidden).
    funnel_mask : True where a funnel count was hidden.
    synthetic : the data are synthetic (say so wherever this is shown).
    missing : indicator key -> the columns it needs that the data lack (its values are null).
    """

    scheme: Scheme
    threshold: int
    rows: pd.DataFrame
    funnel: pd.DataFrame
    funnel_mask: pd.DataFrame
    synthetic: bool = False
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def notes(self, lang: str = "zh") -> list[str]:
        """One sentence per indicator the data cannot score, in Chinese or English."""
        out = []
        for key, cols in self.missing.items():
            label = self.scheme[key].label(lang)
            out.append(f"{label}：数据中没有{'、'.join(cols)}列，无法计算。" if lang == "zh" else
                       f"{label}: not computed, the data have no column {', '.join(cols)}.")
        return out

    def to_dict(self) -> dict:
        """The JSON of ``recruitstats scorecard --json`` (SCHEMA.md, command-line contract)."""
        out_rows = []
        for _, r in self.rows.iterrows():
            values = {k: _json_float(r[k]) for k in self.scheme.keys}
            met = {k: None if r[f"met_{k}"] is None else bool(r[f"met_{k}"]) for k in self.scheme.keys}
            out_rows.append({"district": str(r["district"]), "district_key": str(r["district_key"]),
                             "year": int(r["year"]), "half": int(r["half"]), "values": values,
                             "met": met, "suppressed": list(r["suppressed"])})
        # exactly the contract's keys; whether the data are synthetic is ``self.synthetic``
        return {"scheme": self.scheme.name, "threshold": self.threshold,
                "indicators": self.scheme.to_dict(), "rows": out_rows}

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """A readable table: labelled columns, hidden cells marked ``*``, met as ✓/✗.

        Indicator values stay numbers (unrounded) with an Excel number format in
        ``attrs["formats"]`` (``0.0%`` for shares and rates, ``0.0"×"`` for multiples
        of the quota); :meth:`text_table` gives them as text ("40.4%", "2.1×").
        """
        ids = _id_labels(lang)
        out = self.rows[["district", "year", "half"]].rename(columns=ids)
        out[ids["half"]] = _halves(self.rows["half"], lang)
        out.attrs["formats"] = {ind.label(lang): _excel_format(ind, self.scheme.columns)
                                for ind in self.scheme.indicators}
        for ind in self.scheme.indicators:
            hidden = self.rows["suppressed"].map(lambda s, k=ind.key: k in s)
            col = self.rows[ind.key].astype(object).where(~hidden, SUPPRESSED_MARK)
            out[ind.label(lang)] = col.where(self.rows[ind.key].notna() | hidden, None)
            if ind.direction != "none":
                mark = {True: "✓", False: "✗", None: ""}
                out[_target_label(ind, lang, self.scheme.columns)] = self.rows[f"met_{ind.key}"].map(mark)
        out.attrs["note"] = suppression_note(self.threshold, lang)
        return out

    def text_table(self, lang: str = "zh") -> pd.DataFrame:
        """:meth:`table` with every value as text: "40.4%", "2.1×", hidden ``*``, missing blank."""
        out = self.table(lang)
        for label, fmt in out.attrs["formats"].items():
            out[label] = [_show(v, fmt) for v in out[label]]
        return out

    def funnel_table(self, lang: str = "zh") -> pd.DataFrame:
        """The funnel per district and cycle with labelled columns and hidden counts marked ``*``."""
        stages = [s for s in FUNNEL_STAGES if s in self.funnel]
        shown = Protected(self.funnel[stages], self.funnel_mask[stages], self.threshold).formatted()
        out = pd.concat([self.funnel[["district", "year"]], _halves(self.funnel["half"], lang), shown], axis=1)
        labels = {**_id_labels(lang), **{s: _stage_label(s, lang) for s in stages}}
        out = out.rename(columns=labels)
        out.attrs["note"] = suppression_note(self.threshold, lang)
        out.attrs["formats"] = {labels[s]: "#,##0" for s in stages}
        return out


def _halves(half: pd.Series, lang: str) -> pd.Series:
    """The cycle's half as people say it: 上半年/下半年, H1/H2."""
    names = {1: "上半年", 2: "下半年"} if lang == "zh" else {1: "H1", 2: "H2"}
    return pd.to_numeric(half, errors="coerce").map(names).rename("half")


def _is_percent(ind: Indicator, extra: tuple[str, ...] = ()) -> bool:
    """A share or rate (of people, or a fill rate of the quota) rather than a multiple of the quota."""
    return ind.denominator in people_columns(extra) or ind.key.endswith("_rate")


def _excel_format(ind: Indicator, extra: tuple[str, ...] = ()) -> str:
    """0.0% for shares and rates (0.00% for rates whose target is below 5%), 0.0× for multiples."""
    if not _is_percent(ind, extra):
        return '0.0"×"'
    return "0.00%" if ind.target is not None and ind.target < 0.05 else "0.0%"


def _show(value: object, fmt: str) -> str:
    """A value as text in the Excel format ``fmt`` gives it."""
    v = _json_float(value)
    if v is None:
        return value if value == SUPPRESSED_MARK else ""
    if fmt.endswith("%"):
        return f"{100 * v:.{fmt.count('0') - 1}f}%"
    return f"{v:.1f}×"


def _json_float(value: object) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _id_labels(lang: str) -> dict[str, str]:
    if lang == "zh":
        return {"district": "区县", "year": "年度", "half": "批次"}
    return {"district": "District", "year": "Year", "half": "Half"}


def _stage_label(stage: str, lang: str) -> str:
    col = next(c for c in PANEL_COLUMNS if c.name == stage)
    return col.label_zh if lang == "zh" else stage.replace("_", " ").capitalize()


def _target_label(ind: Indicator, lang: str, extra: tuple[str, ...] = ()) -> str:
    """"大学生占比达标（≥40%）", "Return rate met (≤0.9%)", "… (≥2×)" for multiples of the quota."""
    target = f"{100 * ind.target:g}%" if _is_percent(ind, extra) else f"{ind.target:g}×"
    sign = "≥" if ind.direction == ">=" else "≤"
    return f"{ind.zh}达标（{sign}{target}）" if lang == "zh" else f"{ind.en} met ({sign}{target})"


def _missing_columns(panel: pd.DataFrame, scheme: Scheme) -> dict[str, tuple[str, ...]]:
    """Indicator key -> the columns it needs that the data lack; an InputError when nothing can be scored."""
    missing_ids = [c for c in ("district", "year", "half") if c not in panel]
    if missing_ids:
        raise InputError([Problem(f"the data have no {', '.join(missing_ids)} column", column=missing_ids[0])])
    missing = {i.key: tuple(c for c in (i.numerator, i.denominator) if c not in panel) for i in scheme.indicators}
    missing = {k: v for k, v in missing.items() if v}
    if len(missing) == len(scheme.indicators):
        raise InputError([Problem(f"indicator '{k}' of scheme '{scheme.name}' needs column(s) {', '.join(v)}, "
                                  "which the data do not have", file=scheme.source, column=v[0])
                          for k, v in missing.items()])
    return missing


def _controls(scheme: Scheme, panel: pd.DataFrame) -> tuple[list[str], list[tuple[str, ...]], dict]:
    """Count columns, nested chains and priorities for this scheme's disclosure control."""
    people = people_columns(scheme.columns)
    used = [c for i in scheme.indicators for c in (i.numerator, i.denominator)]
    counts = sorted({c for c in list(FUNNEL_STAGES) + used if c in people and c in panel})
    chains: list[tuple[str, ...]] = [tuple(s for s in FUNNEL_STAGES if s in panel)]
    for ind in scheme.indicators:  # a share's complement (recruits who are not students) counts people too
        if ind.numerator in people and ind.denominator in people:
            chains.append((ind.denominator, ind.numerator))
    chains += [(larger, smaller) for smaller, larger, _ in PANEL_ORDERINGS  # graduates inside college recruits
               if smaller in counts and larger in counts]
    priority = {c: used.count(c) + (c in FUNNEL_STAGES) for c in counts}
    return counts, chains, priority


def scorecard(panel: pd.DataFrame, scheme: str | Path | Scheme | None = None, *,
              threshold: int = SUPPRESSION_THRESHOLD) -> Scorecard:
    """Score every district and cycle of a panel on a scheme's indicators, with disclosure control.

    Parameters
    ----------
    panel : canonical panel (``load_panel``), one row per district and cycle.
    scheme : None or ``"default"`` for the default scheme, a TOML path, or a :class:`Scheme`.
    threshold : smallest count of people that may be published (default 5).

    Returns
    -------
    :class:`Scorecard`; indicator values are unrounded ratios, NaN when
    suppressed (listed in ``suppressed``) or not computable (missing or zero
    denominator, or a column the data lack: see ``missing`` and ``notes()``);
    ``met`` is None in these cases and for indicators without a target.

    Raises
    ------
    InputError
        When the data have no district, year or half, or no indicator can be computed.
    """
    scheme = load_scheme(scheme)
    threshold = check_threshold(threshold)
    missing = _missing_columns(panel, scheme)
    data = panel.sort_values(["year", "half", "district"], kind="stable").reset_index(drop=True)
    data.attrs = {}  # the reader's attrs are large and pandas copies them on every step
    counts, chains, priority = _controls(scheme, data)
    ratios = {i.key: (i.numerator, i.denominator) for i in scheme.indicators if i.key not in missing}
    work = data[list(dict.fromkeys(counts + [c for pair in ratios.values() for c in pair]))].copy()
    work = work.apply(pd.to_numeric, errors="coerce").astype(float)
    for key, (num, den) in ratios.items():
        work[key] = work[num] / work[den].where(work[den] > 0)
    for key in missing:  # not computable from these data: null, never suppressed
        work[key] = np.nan
    guarded = protect(work, counts=counts, ratios=ratios, threshold=threshold, chains=chains, priority=priority)
    rows = data[["district", "year", "half"]].copy()
    rows.insert(1, "district_key", data[district_key(data)].astype(str))
    for ind in scheme.indicators:
        rows[ind.key] = guarded.values[ind.key]
        rows[f"met_{ind.key}"] = [ind.met(v) for v in guarded.values[ind.key]]
    rows["suppressed"] = [[k for k in scheme.keys if guarded.mask.at[i, k] and np.isfinite(work.at[i, k])]
                          for i in work.index]
    stages = [s for s in FUNNEL_STAGES if s in data]
    funnel = pd.concat([rows[["district", "district_key", "year", "half"]], guarded.values[stages]], axis=1)
    return Scorecard(scheme, threshold, rows, funnel, guarded.mask[stages],
                     bool(panel.attrs.get("synthetic", False)), missing)
