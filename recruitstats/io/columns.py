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

from recruitstats.errors import Problem, register_messages, tr
from recruitstats.io import numbers as num
from recruitstats.io.sheets import CYCLE_HEADERS, TextColumn, _nonempty
from recruitstats.io.validate import locate
from recruitstats.schema import (COLLEGE_STATUS_VALUES, EDUCATION_LEVELS, EXIT_REASONS, MIN_YEAR, PANEL, RECRUITS,
                                 SEX_VALUES, Column, canonical_name, column_label, is_label_column, max_year, normalise_header,
                                 suggest_column)

Kind = Literal["panel", "recruits"]

register_messages({
    "c.required": {"en": "needed in every row", "zh": "每行都要填"},
    "c.no_header": {"en": "column without a header kept as is", "zh": "没有列名的列，原样保留"},
    "c.second_column": {"en": "a second column for {name}", "zh": "{name}有第二列"},
    "c.second_column.expected": {"en": "one column per field (already read '{first}')",
                                 "zh": "每项一列（已读取“{first}”）"},
    "c.unknown": {"en": "columns not in the data contract, kept as they are: {columns}",
                  "zh": "数据规范之外的列，原样保留：{columns}"},
    "c.did_you_mean": {"en": "not a known column: did you mean {label}?",
                       "zh": "不是规范列名：是否应为 {label}？"},
    "c.did_you_mean.expected": {"en": "the header {alias} (or {name}) if it is that column; else it is kept as "
                                      "an extra column",
                                "zh": "如果就是这一列，列名写作“{alias}”（或 {name}）；否则作为附加列保留"},
    "c.not.number": {"en": "not a number", "zh": "不是数字"},
    "c.not.percent": {"en": "not a percentage", "zh": "不是百分数"},
    "c.not.code": {"en": "not an administrative code", "zh": "不是行政区划代码"},
    "c.not.date": {"en": "not a date", "zh": "不是日期"},
    "c.not.yesno": {"en": "not yes or no", "zh": "不是“是”或“否”"},
    "c.not.category": {"en": "not a known category", "zh": "不是规定的类别"},
    "c.not.text": {"en": "not text", "zh": "不是文字"},
    "c.not.year": {"en": "not a year", "zh": "不是年份"},
    "c.not.cycle": {"en": "not a call-up cycle", "zh": "不是征集批次"},
    "c.placeholder": {"en": "placeholder read as missing", "zh": "占位符按缺失处理"},
    "c.placeholder.optional": {"en": "a figure, or an empty cell", "zh": "数字，或留空"},
    "c.placeholder.needed": {"en": "a figure (needed in every row)", "zh": "数字（每行都要填）"},
    "c.missing": {"en": "missing value", "zh": "缺少数值"},
    "c.unit": {"en": "unit '{unit}' not understood", "zh": "单位“{unit}”无法识别"},
    "c.unit.expected": {"en": "元 (yuan) or 万元 (10,000 yuan)", "zh": "元 或 万元"},
    "c.approx": {"en": "approximate figure{shown} read as {value}", "zh": "约数{shown}按 {value} 读取"},
    "c.approx.expected": {"en": "an exact figure", "zh": "准确数字"},
    "c.number.expected": {"en": "a number such as 1234, 1,234, １２３４ or 12万",
                          "zh": "数字，如 1234、1,234、１２３４ 或 12万"},
    "c.percent.expected": {"en": "5.2%, 5.2 or 0.052", "zh": "5.2%、5.2 或 0.052"},
    "c.percent.ambiguous": {"en": "cannot tell a fraction from a percentage:", "zh": "无法判断是小数还是百分数："},
    "c.percent.ambiguous.expected": {"en": "the same form in every row, e.g. 5.2% (or 0.052)",
                                     "zh": "各行同一写法，如 5.2%（或 0.052）"},
    "c.code.expected": {"en": "6 digits, such as 110101", "zh": "6 位数字，如 110101"},
    "c.code.short": {"en": "administrative code without 6 digits", "zh": "行政区划代码不是 6 位"},
    "c.date.expected": {"en": "a date such as 2021-03-01, 2021/3/1 or 2021年3月1日",
                        "zh": "日期，如 2021-03-01、2021/3/1 或 2021年3月1日"},
    "c.yesno.expected": {"en": "是/否 or yes/no", "zh": "是/否"},
    "c.category.expected": {"en": "one of {values}", "zh": "以下之一：{values}"},
    "c.year.expected": {"en": "a year such as 2021", "zh": "年份，如 2021"},
    "c.half.expected": {"en": "1/上半年/春季/H1 or 2/下半年/秋季/H2, or a cycle such as 2021年上半年 or 2021H1",
                        "zh": "1/上半年/春季/H1 或 2/下半年/秋季/H2，或 2021年上半年、2021H1 这样的批次"},
    "c.year.range": {"en": "year outside {low}-{high}", "zh": "年份不在 {low}—{high} 之间"},
    "c.year.range.expected": {"en": "a year from {low} to {high}", "zh": "{low} 至 {high} 之间的年份"},
    "c.year.clash": {"en": "the year here disagrees with another column", "zh": "此处年份与另一列不一致"},
    "c.year.clash.expected": {"en": "one year per row", "zh": "每行一个年份"},
    "c.no_year": {"en": "no year column (and no cycle such as 2021年上半年)", "zh": "没有年度列（也没有 2021年上半年 这样的批次列）"},
    "c.no_year.expected": {"en": "a column 年度 / year, or a cycle column", "zh": "一列“年度”，或一列征集批次"},
    "c.half.default_all": {"en": "no half column: rows before 2020 recorded as half 2 (autumn call-up)",
                           "zh": "没有批次列：2020 年以前的行按下半年（秋季征兵）记录"},
    "c.half.default": {"en": "half missing before 2020: recorded as 2 (autumn)",
                       "zh": "2020 年以前缺少批次：按下半年记录"},
    "c.no_half": {"en": "no half column (征集批次), needed from 2020 on (two call-ups a year)",
                  "zh": "没有征集批次列：2020 年起每年两次征兵，需要此列"},
    "c.no_half.expected": {"en": "a column 征集批次 / half with 1 or 2", "zh": "一列“征集批次”，填 上半年 或 下半年"},
    "c.half.missing": {"en": "missing call-up half", "zh": "缺少征集批次"},
    "c.half.missing.expected": {"en": "1 (上半年) or 2 (下半年)", "zh": "上半年（1）或 下半年（2）"},
    "c.no_column": {"en": "no column for {name} ({label})", "zh": "没有{label}（{name}）列"},
    "c.no_column.expected": {"en": "a column {label} / {name}", "zh": "一列“{label}”（或 {name}）"},
})
_VOCABULARIES: dict[str, dict[str, str]] = {
    "sex": SEX_VALUES,
    "education": {e: e for e in EDUCATION_LEVELS},
    "college_status": COLLEGE_STATUS_VALUES,
    "exit_reason": EXIT_REASONS,
}


# --- columns -----------------------------------------------------------------

class _Col:
    """One column as read: header as written, canonical name (None if unknown), unit, and its cells.

    The cells are a list (any reader) or a :class:`~recruitstats.io.sheets.TextColumn` (a CSV read by
    pyarrow), turned into a list only when a message must quote a cell.
    """

    __slots__ = ("label", "name", "unit", "cells", "_uniques")

    def __init__(self, label: str, name: str | None, unit: str, cells: list | TextColumn) -> None:
        self.label, self.name, self.unit, self.cells = label, name, unit, cells
        self._uniques: tuple[list, np.ndarray] | None = None

    def __repr__(self) -> str:
        return f"_Col({self.label!r}, {self.name!r}, {self.unit!r}, {len(self.cells)} cells)"

    @property
    def values(self) -> list:
        return self.cells.tolist() if isinstance(self.cells, TextColumn) else self.cells

    def uniques(self) -> tuple[list, np.ndarray] | None:
        """(distinct cells, index of each cell among them) when every cell is text, else None."""
        if isinstance(self.cells, TextColumn):
            return self.cells.uniques()
        if self._uniques is None and self.cells and all(type(v) is str for v in self.cells):
            codes, uniq = pd.factorize(np.asarray(self.cells, dtype=object))
            self._uniques = (uniq.tolist(), codes.astype(np.intp, copy=False))
        return self._uniques


def _per_unique(col: _Col, parse) -> num.ParsedColumn:
    """``parse`` (a parser that reads each cell alone, or decides from the set of cells) run on the distinct
    cells of a text column and spread back to every cell; on the cells themselves otherwise."""
    found = col.uniques()
    if found is None:
        return parse(col.values)
    cells, codes = found
    parsed = parse(cells)
    return num.ParsedColumn(parsed.values[codes], parsed.status[codes])


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
            if not _nonempty(values.uniques()[0] if isinstance(values, TextColumn) else values):
                continue
            label = f"column {_excel_letter(j)}"
            problems.append(Problem(tr("c.no_header"), file=file, row=header_row,
                                    column=label, severity="warning"))
        name, unit = canonical_name(label)
        if name not in table:
            name = "cycle" if normalise_header(label)[0] in CYCLE_HEADERS else None
        unit = unit or unit_row
        if name is not None and name in seen:
            problems.append(Problem(tr("c.second_column", name=name), file=file, row=header_row, column=label,
                                    expected=tr("c.second_column.expected", first=seen[name])))
            continue
        if name is not None:
            seen[name] = label
        cols.append(_Col(label, name, unit, values if isinstance(values, TextColumn) else list(values)))
    problems += _unknown_columns(cols, file, header_row)
    return cols, problems


def _unknown_columns(cols: list[_Col], file: str, header_row: int) -> list[Problem]:
    """Unknown columns listed once; a header near a known column gets its own "did you mean" line."""
    present = {c.name for c in cols if c.name}
    plain, out = [], []
    for c in cols:
        if c.name is not None or is_label_column(c.label):
            continue
        near = suggest_column(c.label, exclude=present)
        if near is None:
            plain.append(c.label)
            continue
        alias = (PANEL.get(near) or RECRUITS[near]).label_zh
        out.append(Problem(tr("c.did_you_mean", label=column_label(near)), file=file,
                           row=header_row, column=c.label, severity="warning",
                           expected=tr("c.did_you_mean.expected", alias=alias, name=near)))
    if plain:
        out.insert(0, Problem(tr("c.unknown", columns=tr("list.sep").join(plain)), file=file, row=header_row,
                              severity="warning"))
    return out


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


def _report_status(ctx: _Ctx, col: _Col, parsed: num.ParsedColumn, *, what: str, expected: str) -> None:
    needed = col.name in ctx.needed
    ctx.report(col, parsed.rows(num.BAD), tr(f"c.not.{what}"), expected=expected)
    ctx.report(col, parsed.rows(num.PLACEHOLDER), tr("c.placeholder"),
               expected=tr("c.placeholder.needed" if needed else "c.placeholder.optional"),
               severity="error" if needed else "warning")
    if needed:
        ctx.report(col, parsed.rows(num.EMPTY), tr("c.missing"), expected=tr("c.required"), show=False)


def _parse_number_column(ctx: _Ctx, col: _Col, spec: Column) -> np.ndarray:
    scale = num.unit_scale(col.unit) if col.unit else None
    if col.unit and scale is None and spec.kind == "money":
        ctx.problems.append(Problem(tr("c.unit", unit=col.unit), file=ctx.file, column=col.label,
                                    expected=tr("c.unit.expected")))
    parsed, percent = _numbers(col, scale)
    parsed.status[percent] = num.BAD
    _report_status(ctx, col, parsed, what="number", expected=tr("c.number.expected"))
    approx = parsed.rows(num.APPROX)
    items = [(int(ctx.rows[p]), tr("c.approx", shown=_show(col.values[p], ctx.kind),
                                   value=f"{parsed.values[p]:,.10g}")) for p in approx]
    ctx.problems += locate(items, file=ctx.file, column=col.label, severity="warning",
                           expected=tr("c.approx.expected"), kind=tr("c.approx", shown="", value="…"))
    return parsed.values


def _numbers(col: _Col, scale) -> tuple[num.ParsedColumn, np.ndarray]:
    """Numbers of a column: typed at once when every cell of a CSV column is a plain number or empty."""
    if isinstance(col.cells, TextColumn) and col.cells.shape():
        quick = num.parse_number_text(col.cells.array, shape=col.cells.shape(), scale=scale,
                                      empty=col.cells.empty())
        if quick is not None:
            return quick
    found = col.uniques()
    if found is None or len(found[0]) * 2 > len(col.cells):  # mostly distinct: no gain from the distinct cells
        return num.parse_numbers(col.values, scale=scale)
    cells, codes = found
    parsed, percent = num.parse_numbers(cells, scale=scale)
    return num.ParsedColumn(parsed.values[codes], parsed.status[codes]), percent[codes]


def _parse_column(ctx: _Ctx, col: _Col, spec: Column) -> np.ndarray:
    kind = spec.kind
    if kind in ("count", "money", "number") or (kind == "integer" and col.name != "year"):
        return _parse_number_column(ctx, col, spec)
    if kind == "percent":
        percent = num.unit_is_percent(col.unit)
        parsed = _per_unique(col, lambda cells: num.parse_percent(cells, header_percent=percent))
        _report_status(ctx, col, parsed, what="percent", expected=tr("c.percent.expected"))
        ctx.report(col, parsed.rows(num.AMBIGUOUS), tr("c.percent.ambiguous"),
                   expected=tr("c.percent.ambiguous.expected"))
        return parsed.values
    if kind == "code":
        parsed = _per_unique(col, num.parse_codes)
        _report_status(ctx, col, parsed, what="code", expected=tr("c.code.expected"))
        six = _per_unique(col, lambda cells: _six_digits(num.parse_codes(cells))).values.astype(bool)
        short = np.flatnonzero((parsed.status == num.OK) & ~six)
        ctx.report(col, short, tr("c.code.short"), expected=tr("c.code.expected"))
        return parsed.values
    if kind == "date":
        parsed = _per_unique(col, num.parse_dates)
        _report_status(ctx, col, parsed, what="date", expected=tr("c.date.expected"))
        return parsed.values
    if kind == "yesno":
        parsed = _per_unique(col, num.parse_yes_no)
        _report_status(ctx, col, parsed, what="yesno", expected=tr("c.yesno.expected"))
        return parsed.values
    if kind == "category":
        vocab = _VOCABULARIES.get(spec.name, {c: c for c in spec.categories})
        parsed = _per_unique(col, lambda cells: num.parse_categories(cells, vocab))
        _report_status(ctx, col, parsed, what="category",
                       expected=tr("c.category.expected", values="/".join(dict.fromkeys(vocab))))
        return parsed.values
    return _text_values(ctx, col)


def _six_digits(parsed: num.ParsedColumn) -> num.ParsedColumn:
    return num.ParsedColumn(np.array([len(str(v)) == 6 for v in parsed.values], dtype=bool), parsed.status)


def _texts(values: list, needed: bool) -> num.ParsedColumn:
    out = np.empty(len(values), dtype=object)
    out[:] = np.nan
    status = np.zeros(len(values), dtype=np.int8)
    for i, v in enumerate(values):
        text = v.strip() if isinstance(v, str) else num.cell_text(v).strip()
        if not text:
            continue
        if needed and num.is_placeholder(text):
            status[i] = num.PLACEHOLDER
            continue
        out[i], status[i] = text, num.OK
    return num.ParsedColumn(out, status)


def _text_values(ctx: _Ctx, col: _Col) -> np.ndarray:
    needed = col.name in ctx.needed
    parsed = _per_unique(col, lambda cells: _texts(cells, needed))
    _report_status(ctx, col, parsed, what="text", expected="")
    return parsed.values


_PLAIN_TEXT_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")


def _extra_values(col: _Col) -> np.ndarray | list:
    """An unknown column, passed through: numbers if every cell is a plain number, else text."""
    found = col.uniques()
    if found is not None:  # every cell alone, and "every cell" holds for the distinct cells as for all
        cells, codes = found
        return _extra_cells(cells)[codes]
    return _extra_cells(col.values)


def _extra_cells(vals: list) -> np.ndarray:
    if all(num.is_missing(v) or (isinstance(v, (int, float)) and not isinstance(v, bool))
           or (isinstance(v, str) and _PLAIN_TEXT_NUMBER.match(v.strip())) for v in vals) and _nonempty(vals):
        return np.array([np.nan if num.is_missing(v) else float(v) for v in vals], dtype=float)
    out = np.empty(len(vals), dtype=object)
    out[:] = [np.nan if num.is_missing(v) else (v if isinstance(v, str) else num.cell_text(v)) for v in vals]
    return out


# --- year and half ---------------------------------------------------------------

def _halves(col: _Col) -> tuple[num.ParsedColumn, np.ndarray]:
    found = col.uniques()
    if found is None:
        return num.parse_halves(col.values)
    cells, codes = found
    parsed, years = num.parse_halves(cells)
    return num.ParsedColumn(parsed.values[codes], parsed.status[codes]), years[codes]


def _cycles(ctx: _Ctx, cols: dict[str, _Col], n: int, header_row: int) -> dict[str, np.ndarray]:
    """Year and half from a year column, a half column, a combined cycle column, or any mix."""
    year = np.full(n, np.nan)
    half = np.full(n, np.nan)
    year_from: dict[str, np.ndarray] = {}
    for name in ("year", "half", "cycle"):
        if name not in cols:
            continue
        col = cols[name]
        parsed, years = _halves(col)
        what = "year" if name == "year" else "cycle"
        expected = tr("c.year.expected" if name == "year" else "c.half.expected")
        if name == "year":
            bad = (parsed.status == num.OK) & np.isnan(years)
            parsed.status[bad] = num.BAD
        _report_status(ctx, col, parsed, what=what, expected=expected)
        _year_range(ctx, col, years)
        year_from[name] = years
        fill = np.isnan(half) & ~np.isnan(parsed.values)
        half[fill] = parsed.values[fill]
    for name, years in year_from.items():
        clash = ~np.isnan(year) & ~np.isnan(years) & (year != years)
        ctx.report(cols[name], np.flatnonzero(clash), tr("c.year.clash"), expected=tr("c.year.clash.expected"))
        fill = np.isnan(year) & ~np.isnan(years)
        year[fill] = years[fill]
    if "year" not in cols and not any((~np.isnan(v)).any() for v in year_from.values()):
        ctx.problems.append(Problem(tr("c.no_year"), file=ctx.file, row=header_row,
                                    expected=tr("c.no_year.expected")))
        return {"year": year, "half": half}
    _default_half(ctx, cols, year, half)
    return {"year": year, "half": half}


def _year_range(ctx: _Ctx, col: _Col, years: np.ndarray) -> None:
    """Years before MIN_YEAR or after next year are typing slips (1900 is Excel's day zero): refused."""
    low, high = MIN_YEAR, max_year()
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero((years < low) | (years > high))
    ctx.report(col, bad, tr("c.year.range", low=low, high=high), expected=tr("c.year.range.expected", low=low,
                                                                              high=high))
    years[bad] = np.nan  # not a year to key on; reported above


def _default_half(ctx: _Ctx, cols: dict[str, _Col], year: np.ndarray, half: np.ndarray) -> None:
    """Years before the 2020 reform had one (autumn) call-up: a missing half there is 2."""
    early = np.isnan(half) & (year < 2020)
    half_col = cols.get("half") or cols.get("cycle")
    if early.any():
        half[early] = 2
        if half_col is None:
            ctx.problems.append(Problem(tr("c.half.default_all"), file=ctx.file, severity="warning"))
        else:
            ctx.report(half_col, np.flatnonzero(early), tr("c.half.default"), severity="warning", show=False)
    late = np.flatnonzero(np.isnan(half) & ~np.isnan(year))
    if len(late):
        if half_col is None:
            ctx.problems.append(Problem(tr("c.no_half"), file=ctx.file, expected=tr("c.no_half.expected")))
        else:
            ctx.report(half_col, late, tr("c.half.missing"), expected=tr("c.half.missing.expected"), show=False)


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
            label = table[name].label_zh
            ctx.problems.append(Problem(tr("c.no_column", name=name, label=label), file=ctx.file,
                                        row=header_row, expected=tr("c.no_column.expected", name=name, label=label)))
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
