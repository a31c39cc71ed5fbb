"""Turning the raw columns of a sheet into the canonical, typed columns.

Maps headers as written to the canonical names of :mod:`recruitstats.schema`,
parses each column by its kind (numbers, money, percentages, codes, dates,
yes/no, categories, text) with :mod:`recruitstats.io.numbers`, derives year and
half from year, half or combined cycle columns, and assembles the canonical
frame. Every doubtful cell becomes a located :class:`~recruitstats.errors.Problem`.
Used by :mod:`recruitstats.io.readers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from recruitstats.errors import Problem
from recruitstats.io import numbers as num
from recruitstats.io.sheets import CYCLE_HEADERS, _nonempty
from recruitstats.io.validate import locate
from recruitstats.schema import (COLLEGE_STATUS_VALUES, EDUCATION_LEVELS, EXIT_REASONS, PANEL, RECRUITS,
                                 SEX_VALUES, Column, canonical_name, normalise_header)

Kind = Literal["panel", "recruits"]

_REQUIRED_MESSAGE = "needed in every row"
_VOCABULARIES: dict[str, dict[str, str]] = {
    "sex": SEX_VALUES,
    "education": {e: e for e in EDUCATION_LEVELS},
    "college_status": COLLEGE_STATUS_VALUES,
    "exit_reason": EXIT_REASONS,
}


# --- columns -----------------------------------------------------------------

@dataclass
class _Col:
    label: str
    name: str | None
    unit: str
    values: list


def _excel_letter(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _map_columns(labels: list[str], units: list[str], columns: list[list], file: str, header_row: int,
                 table: dict[str, Column]) -> tuple[list[_Col], list[Problem]]:
    cols: list[_Col] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for j, (label, unit_row, values) in enumerate(zip(labels, units, columns)):
        if not label:
            if not _nonempty(values):
                continue
            label = f"column {_excel_letter(j)}"
            problems.append(Problem("column without a header kept as is", file=file, row=header_row,
                                    column=label, severity="warning"))
        name, unit = canonical_name(label)
        if name not in table:
            name = "cycle" if normalise_header(label)[0] in CYCLE_HEADERS else None
        unit = unit or unit_row
        if name is not None and name in seen:
            problems.append(Problem(f"a second column for {name}", file=file, row=header_row, column=label,
                                    expected=f"one column per field (already read '{seen[name]}')"))
            continue
        if name is not None:
            seen[name] = label
        cols.append(_Col(label, name, unit, list(values)))
    return cols, problems


def _show(value: object, kind: Kind) -> str:
    """The cell quoted for a message, unless it could be personal (recruit tables, long digit runs)."""
    if kind != "panel":
        return ""
    text = num.cell_text(value).strip()
    if not text or len(text) > 24 or re.search(r"\d{7,}", num.nfkc(text)):
        return ""
    return f" '{text}'"


@dataclass
class _Ctx:
    file: str
    kind: Kind
    rows: np.ndarray
    needed: frozenset[str]
    problems: list[Problem] = field(default_factory=list)

    def report(self, col: _Col, positions: np.ndarray, message: str, *, expected: str = "",
               severity: str = "error", show: bool = True) -> None:
        items = [(int(self.rows[p]), message + (_show(col.values[p], self.kind) if show else ""))
                 for p in positions]
        self.problems += locate(items, file=self.file, column=col.label, expected=expected,
                                severity=severity)  # type: ignore[arg-type]


_NUMBER_EXPECTED = "a number such as 1234, 1,234, １２３４ or 12万"


def _report_status(ctx: _Ctx, col: _Col, parsed: num.ParsedColumn, *, what: str, expected: str) -> None:
    needed = col.name in ctx.needed
    ctx.report(col, parsed.rows(num.BAD), f"not {what}", expected=expected)
    ctx.report(col, parsed.rows(num.PLACEHOLDER), "placeholder read as missing",
               expected="a figure, or an empty cell" if not needed else f"a figure ({_REQUIRED_MESSAGE})",
               severity="error" if needed else "warning")
    if needed:
        ctx.report(col, parsed.rows(num.EMPTY), "missing value", expected=_REQUIRED_MESSAGE, show=False)


def _parse_number_column(ctx: _Ctx, col: _Col, spec: Column) -> np.ndarray:
    scale = num.unit_scale(col.unit) if col.unit else None
    if col.unit and scale is None and spec.kind == "money":
        ctx.problems.append(Problem(f"unit '{col.unit}' not understood", file=ctx.file, column=col.label,
                                    expected="元 (yuan) or 万元 (10,000 yuan)"))
    parsed, percent = num.parse_numbers(col.values, scale=scale)
    parsed.status[percent] = num.BAD
    _report_status(ctx, col, parsed, what="a number", expected=_NUMBER_EXPECTED)
    approx = parsed.rows(num.APPROX)
    items = [(int(ctx.rows[p]), f"approximate figure{_show(col.values[p], ctx.kind)} read as {parsed.values[p]:,.10g}")
             for p in approx]
    ctx.problems += locate(items, file=ctx.file, column=col.label, severity="warning",
                           expected="an exact figure")
    return parsed.values


def _parse_column(ctx: _Ctx, col: _Col, spec: Column) -> np.ndarray:
    kind = spec.kind
    if kind in ("count", "money", "number") or (kind == "integer" and col.name != "year"):
        return _parse_number_column(ctx, col, spec)
    if kind == "percent":
        parsed = num.parse_percent(col.values, header_percent=num.unit_is_percent(col.unit))
        _report_status(ctx, col, parsed, what="a percentage", expected="5.2%, 5.2 or 0.052")
        ctx.report(col, parsed.rows(num.AMBIGUOUS), "cannot tell a fraction from a percentage:",
                   expected="the same form in every row, e.g. 5.2% (or 0.052)")
        return parsed.values
    if kind == "code":
        parsed = num.parse_codes(col.values)
        _report_status(ctx, col, parsed, what="an administrative code", expected="6 digits, such as 110101")
        six = np.array([len(str(v)) == 6 for v in parsed.values], dtype=bool)
        short = np.flatnonzero((parsed.status == num.OK) & ~six)
        ctx.report(col, short, "administrative code without 6 digits", expected="6 digits, such as 110101")
        return parsed.values
    if kind == "date":
        parsed = num.parse_dates(col.values)
        _report_status(ctx, col, parsed, what="a date", expected="a date such as 2021-03-01, 2021/3/1 or 2021年3月1日")
        return parsed.values
    if kind == "yesno":
        parsed = num.parse_yes_no(col.values)
        _report_status(ctx, col, parsed, what="yes or no", expected="是/否 or yes/no")
        return parsed.values
    if kind == "category":
        vocab = _VOCABULARIES.get(spec.name, {c: c for c in spec.categories})
        parsed = num.parse_categories(col.values, vocab)
        _report_status(ctx, col, parsed, what="a known category",
                       expected="one of " + "/".join(dict.fromkeys(vocab)))
        return parsed.values
    return _text_values(ctx, col)


def _text_values(ctx: _Ctx, col: _Col) -> np.ndarray:
    out = np.empty(len(col.values), dtype=object)
    out[:] = np.nan
    status = np.zeros(len(col.values), dtype=np.int8)
    for i, v in enumerate(col.values):
        text = v.strip() if isinstance(v, str) else num.cell_text(v).strip()
        if not text:
            continue
        if col.name in ctx.needed and num.is_placeholder(text):
            status[i] = num.PLACEHOLDER
            continue
        out[i], status[i] = text, num.OK
    _report_status(ctx, col, num.ParsedColumn(out, status), what="text", expected="")
    return out


_PLAIN_TEXT_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")


def _extra_values(col: _Col) -> np.ndarray | list:
    """An unknown column, passed through: numbers if every cell is a plain number, else text."""
    vals = col.values
    if all(num.is_missing(v) or (isinstance(v, (int, float)) and not isinstance(v, bool))
           or (isinstance(v, str) and _PLAIN_TEXT_NUMBER.match(v.strip())) for v in vals) and _nonempty(vals):
        return np.array([np.nan if num.is_missing(v) else float(v) for v in vals], dtype=float)
    out = np.empty(len(vals), dtype=object)
    out[:] = [np.nan if num.is_missing(v) else (v if isinstance(v, str) else num.cell_text(v)) for v in vals]
    return out


# --- year and half ---------------------------------------------------------------

def _cycles(ctx: _Ctx, cols: dict[str, _Col], n: int, header_row: int) -> dict[str, np.ndarray]:
    """Year and half from a year column, a half column, a combined cycle column, or any mix."""
    year = np.full(n, np.nan)
    half = np.full(n, np.nan)
    year_from: dict[str, np.ndarray] = {}
    for name in ("year", "half", "cycle"):
        if name not in cols:
            continue
        col = cols[name]
        parsed, years = num.parse_halves(col.values)
        what = "a year" if name == "year" else "a call-up cycle"
        expected = ("a year such as 2021" if name == "year" else
                    "1/上半年/春季/H1 or 2/下半年/秋季/H2, or a cycle such as 2021年上半年 or 2021H1")
        if name == "year":
            bad = (parsed.status == num.OK) & np.isnan(years)
            parsed.status[bad] = num.BAD
        _report_status(ctx, col, parsed, what=what, expected=expected)
        year_from[name] = years
        fill = np.isnan(half) & ~np.isnan(parsed.values)
        half[fill] = parsed.values[fill]
    for name, years in year_from.items():
        clash = ~np.isnan(year) & ~np.isnan(years) & (year != years)
        ctx.report(cols[name], np.flatnonzero(clash), "the year here disagrees with another column",
                   expected="one year per row")
        fill = np.isnan(year) & ~np.isnan(years)
        year[fill] = years[fill]
    if "year" not in cols and not any((~np.isnan(v)).any() for v in year_from.values()):
        ctx.problems.append(Problem("no year column (and no cycle such as 2021年上半年)", file=ctx.file,
                                    row=header_row, expected="a column 年度 / year, or a cycle column"))
        return {"year": year, "half": half}
    _default_half(ctx, cols, year, half)
    return {"year": year, "half": half}


def _default_half(ctx: _Ctx, cols: dict[str, _Col], year: np.ndarray, half: np.ndarray) -> None:
    """Years before the 2020 reform had one (autumn) call-up: a missing half there is 2."""
    early = np.isnan(half) & (year < 2020)
    half_col = cols.get("half") or cols.get("cycle")
    if early.any():
        half[early] = 2
        if half_col is None:
            ctx.problems.append(Problem("no half column: rows before 2020 recorded as half 2 (autumn call-up)",
                                        file=ctx.file, severity="warning"))
        else:
            ctx.report(half_col, np.flatnonzero(early), "half missing before 2020: recorded as 2 (autumn)",
                       severity="warning", show=False)
    late = np.flatnonzero(np.isnan(half) & ~np.isnan(year))
    if len(late):
        if half_col is None:
            ctx.problems.append(Problem("no half column (征集批次), needed from 2020 on (two call-ups a year)",
                                        file=ctx.file, expected="a column 征集批次 / half with 1 or 2"))
        else:
            ctx.report(half_col, late, "missing call-up half", expected="1 (上半年) or 2 (下半年)", show=False)


# --- assembling the table --------------------------------------------------------

def _detect_kind(cols: list[_Col]) -> Kind:
    recruit_only = set(RECRUITS) - set(PANEL)
    names = {canonical_name(c.label)[0] for c in cols}
    return "recruits" if names & recruit_only else "panel"


def _integer_or_float(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64) if not np.isnan(values).any() else values


def _assemble(ctx: _Ctx, cols: list[_Col], table: dict[str, Column], header_row: int) -> tuple[pd.DataFrame, dict]:
    n = len(ctx.rows)
    by_name = {c.name: c for c in cols if c.name}
    for name in ("district",) + (("recruit_id", "enlist_date") if ctx.kind == "recruits" else ()):
        if name not in by_name:
            ctx.problems.append(Problem(f"no column for {name} ({table[name].label_zh})", file=ctx.file,
                                        row=header_row, expected=f"a column {table[name].label_zh} / {name}"))
    parsed: dict[str, object] = {}
    cycle = _cycles(ctx, by_name, n, header_row)
    for name, spec in table.items():
        if name in ("year", "half"):
            if "year" in by_name or "half" in by_name or "cycle" in by_name:
                parsed[name] = _integer_or_float(cycle[name])
        elif name in by_name:
            parsed[name] = _parse_column(ctx, by_name[name], spec)
    for c in cols:
        if c.name is None:
            parsed[c.label] = _extra_values(c)
    data = pd.DataFrame(parsed, index=pd.RangeIndex(n))
    for name, spec in table.items():
        if name in data and spec.kind == "yesno":
            data[name] = data[name].astype("boolean")
    headers = {c.name or c.label: c.label for c in cols}
    return data, headers
