"""Readers for the spreadsheets offices send: CSV, Excel and the processed parquet store.

The reader finds the header row under any title rows (and a group row above or
below it, as merged Excel headers make), maps Chinese or English headers to the
canonical names of :mod:`recruitstats.schema`, drops totals and note rows,
parses every cell the way offices write them (:mod:`recruitstats.io.numbers`),
refuses personal data (:mod:`recruitstats.io.privacy`) and checks the panel
rules (:mod:`recruitstats.io.validate`). Every doubtful cell becomes a
:class:`~recruitstats.errors.Problem` located by the row number the user sees in
the spreadsheet and the column header as written.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.io import numbers as num
from recruitstats.io import privacy
from recruitstats.io.validate import locate, validate_panel, validate_recruits
from recruitstats.schema import (COLLEGE_STATUS_VALUES, EDUCATION_LEVELS, EXIT_REASONS, PANEL,
                                 RECRUITS, SEX_VALUES, TOTAL_ROW_MARKERS, Column, canonical_name,
                                 normalise_header, personal_data_column)

__all__ = ["ReadResult", "SourceRows", "read_table", "load_panel", "load_recruits", "SUPPORTED_SUFFIXES",
           "CYCLE_HEADERS"]

Kind = Literal["panel", "recruits"]

#: File name endings the readers accept, and how each is read.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".ods": "excel",
    ".parquet": "parquet",
}
#: Headers of a combined cycle column ("2021年上半年", "2021H1").
CYCLE_HEADERS: frozenset[str] = frozenset({"cycle", "周期", "征集周期", "征兵周期", "年度批次", "征集年度批次"})

_HEADER_SCAN_ROWS = 30
_NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "负责人", "数据来源", "资料来源", "填报")
_UNIT_TOKEN = re.compile(
    r"^[(（\[【]?(人|人次|名|万人|万元|千元|元|元/年|元/人|%|％|份|条|幅|场|场次|次|个|persons?|yuan|"
    r"10k yuan|copies|messages|posts|pieces|events|visits|contacts)[)）\]】]?$", re.IGNORECASE)
_REQUIRED_MESSAGE = "needed in every row"
_VOCABULARIES: dict[str, dict[str, str]] = {
    "sex": SEX_VALUES,
    "education": {e: e for e in EDUCATION_LEVELS},
    "college_status": COLLEGE_STATUS_VALUES,
    "exit_reason": EXIT_REASONS,
}


@dataclass
class ReadResult:
    """What a reader found: the canonical table, every problem, and where it came from.

    Attributes
    ----------
    data : the canonical table (rows with errors are kept so callers can look).
    problems : errors and warnings, located by spreadsheet row and column as written.
    source : the file read.
    kind : "panel" or "recruits".
    rows : the spreadsheet row number of each row of ``data``.
    headers : canonical column name -> header as written in the file.
    synthetic : the file says it holds synthetic (simulated) data.
    """

    data: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    kind: Kind = "panel"
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    headers: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the file (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`InputError` with every problem if any is an error."""
        if self.errors:
            raise InputError(self.problems)

    def frame(self) -> pd.DataFrame:
        """The data with ``attrs`` problems, source, kind, synthetic, headers and source_rows."""
        df = self.data
        df.attrs.update(problems=list(self.problems), source=self.source, kind=self.kind,
                        synthetic=self.synthetic, headers=dict(self.headers), source_rows=SourceRows(self.rows))
        return df


class SourceRows(tuple):
    """Spreadsheet row numbers of a frame's rows, safe to keep in ``DataFrame.attrs``.

    A tuple of ints: compares as one bool (``pd.concat`` compares attrs with ``==``),
    survives ``to_parquet`` (attrs are stored as JSON) and is shared, not deep-copied,
    on every pandas operation.
    """

    __slots__ = ()

    def __new__(cls, rows) -> "SourceRows":
        return super().__new__(cls, (int(r) for r in rows))

    def __deepcopy__(self, memo: dict) -> "SourceRows":
        return self

    def __repr__(self) -> str:
        return f"SourceRows({list(self[:5])}{'...' if len(self) > 5 else ''}, n={len(self)})"


# --- opening files -----------------------------------------------------------

def _check_path(path: Path) -> str:
    if not path.exists():
        raise InputError("no such file", file=str(path))
    if path.is_dir():
        raise InputError("this is a folder, not a data file", file=str(path))
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError([Problem(f"cannot read files ending in '{path.suffix or '(none)'}'", file=str(path),
                                  expected="a .csv, .xlsx (Excel) or .parquet file")])
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path))
    return fmt


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        text = raw.decode("utf-16")
    else:
        if b"\x00" in raw[:8192]:
            raise InputError([Problem("binary data, not a CSV text file", file=file,
                                      expected="text in UTF-8, GBK or GB18030, or an .xlsx workbook")])
        for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is the superset of GBK (rare characters: 䶮)
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InputError([Problem("cannot decode the text", file=file,
                                      expected="UTF-8 (with or without BOM), GBK or GB18030")])
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if sample and controls > 0.01 * len(sample):
        raise InputError([Problem("binary data, not a CSV text file", file=file,
                                  expected="text in UTF-8, GBK or GB18030, or an .xlsx workbook")])
    return text


def _read_csv_grid(path: Path) -> list[list[object]]:
    text = _decode(path.read_bytes(), str(path))
    head = [line for line in text.splitlines()[:10] if line.strip()]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or (
        head and sum(ln.count("\t") for ln in head) > sum(ln.count(",") for ln in head)) else ","
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError([Problem(f"not a readable CSV file ({exc})", file=str(path))]) from None


def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises several types for damaged files
        raise InputError([Problem("not a readable Excel workbook (damaged, encrypted or another format)",
                                  file=str(path), expected="an .xlsx workbook saved by Excel or WPS")]) from None


def _sheet_grid(book, index: int) -> list[list[object]]:
    try:
        return book.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except Exception:
        return []


def _read_excel_grid(path: Path, sheet: str | int | None) -> tuple[list[list[object]], str]:
    book = _open_workbook(path)
    names = list(book.sheet_names)
    if not names:
        raise InputError("the workbook has no sheets", file=str(path))
    if sheet is None:
        for i, name in enumerate(names):  # first sheet with a header row (skips an instructions sheet)
            grid = _sheet_grid(book, i)
            if _find_header(grid) is not None:
                return grid, name
        return _sheet_grid(book, 0), names[0]
    if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
        sheet = int(sheet)
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return _sheet_grid(book, sheet), names[sheet]
    if isinstance(sheet, str) and sheet in names:
        return _sheet_grid(book, names.index(sheet)), sheet
    raise InputError([Problem(f"no sheet '{sheet}'", file=str(path),
                              expected="one of " + ", ".join(repr(n) for n in names))])


# --- header ----------------------------------------------------------------------

def _header_hits(row: Sequence[object]) -> int:
    hits = 0
    for cell in row:
        if not isinstance(cell, str) or not cell.strip():
            continue
        name, _ = canonical_name(cell)
        if name or personal_data_column(cell) or normalise_header(cell)[0] in CYCLE_HEADERS:
            hits += 1
    return hits


def _find_header(grid: list[list[object]]) -> int | None:
    """Index of the first row where at least two cells are known headers."""
    for i, row in enumerate(grid[:_HEADER_SCAN_ROWS]):
        if _header_hits(row) >= 2:
            return i
    return None


def _nonempty(row: Sequence[object]) -> list[object]:
    return [c for c in row if c is not None and c != "" and not (isinstance(c, str) and not c.strip())]


def _header_layout(grid: list[list[object]], h: int, width: int) -> tuple[list[str], list[str], int]:
    """Labels as written, units, and the index of the first data row."""
    def cells(i: int) -> list[str]:
        row = grid[i] if i < len(grid) else []
        return [num.cell_text(row[j]).strip() if j < len(row) else "" for j in range(width)]

    labels = cells(h)
    start = h + 1
    if start < len(grid):
        below = _nonempty(grid[start])
        hits = _header_hits(grid[start])
        if hits >= 1 and hits * 2 >= len(below):  # a field row under a merged group row
            lower = cells(start)
            labels = [lo or up for lo, up in zip(lower, labels)]
            start += 1
    units = [""] * width
    if start < len(grid):
        row = cells(start)
        filled = [c for c in row if c]
        if filled and all(_UNIT_TOKEN.match(num.nfkc(c)) for c in filled):
            units = [num.nfkc(c).strip("()（）[]【】") for c in row]
            start += 1
    labels = [re.sub(r"\s*\n\s*", " ", lab) for lab in labels]
    return labels, units, start


# --- rows ------------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 14)
def _is_total(text: str) -> bool:
    t = num.nfkc(text).lower()
    return any(t == m or t.startswith(m) for m in TOTAL_ROW_MARKERS) or t.endswith(("合计", "总计", "小计"))


def _repeats_header(filled: list[object], labels: frozenset[str]) -> bool:
    """A header row printed again (page breaks in exported reports)."""
    first = filled[0]
    if not (isinstance(first, str) and first.strip() in labels):
        return False
    hits = sum(isinstance(c, str) and c.strip() in labels for c in filled)
    return hits >= max(2, len(filled) // 2)


def _data_rows(grid: list[list[object]], start: int, width: int, file: str, labels: Sequence[str] = ()
               ) -> tuple[list[list[object]], list[int], list[Problem]]:
    """Rows holding data (padded to ``width``), their spreadsheet numbers, and the rows dropped."""
    kept, numbers, problems = [], [], []
    header = frozenset(lab for lab in labels if lab)
    for i in range(start, len(grid)):
        row = grid[i]
        filled = [c for c in row if c != "" and c is not None]
        if not filled or all(isinstance(c, str) and not c.strip() for c in filled):
            continue
        if _repeats_header(filled, header):
            problems.append(Problem("repeated header row dropped", file=file, row=i + 1, severity="warning"))
            continue
        texts = [c for c in filled[:3] if isinstance(c, str)]
        if any(_is_total(t) for t in texts):
            problems.append(Problem("totals row dropped (the package computes its own totals)", file=file,
                                    row=i + 1, severity="warning"))
            continue
        if len(filled) == 1 and isinstance(filled[0], str) and num.nfkc(filled[0]).startswith(_NOTE_PREFIXES):
            problems.append(Problem("note row dropped", file=file, row=i + 1, severity="warning"))
            continue
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        kept.append(row[:width])
        numbers.append(i + 1)
    return kept, numbers, problems


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


def _from_columns(labels: list[str], units: list[str], columns: list[list], rows: np.ndarray, *,
                  file: str, header_row: int, kind: Kind | None, drop_personal: bool,
                  needed: Sequence[str], key, data_dir: Path | None) -> ReadResult:
    problems: list[Problem] = []
    found = privacy.personal_columns([lab for lab in labels if lab])
    if found:
        problems += privacy.personal_problems(found, file=file, row=header_row, drop=drop_personal)
        keep = [j for j, lab in enumerate(labels) if lab not in found]
        labels, units, columns = [labels[j] for j in keep], [units[j] for j in keep], [columns[j] for j in keep]
        if not drop_personal:  # refused: do not even parse the rest
            return ReadResult(pd.DataFrame(), problems, file, kind or "panel", rows)
    probe = [_Col(lab, None, "", []) for lab in labels if lab]
    kind = kind or _detect_kind(probe)
    table = PANEL if kind == "panel" else RECRUITS
    cols, col_problems = _map_columns(labels, units, columns, file, header_row, table)
    problems += col_problems
    required = {n for n, c in table.items() if c.required} | set(needed)
    ctx = _Ctx(file, kind, rows, frozenset(required), problems)
    data, headers = _assemble(ctx, cols, table, header_row)
    if kind == "recruits" and "recruit_id" in data:
        _pseudonymise_ids(ctx, data, headers, key, data_dir)
    rules = validate_panel if kind == "panel" else validate_recruits
    ctx.problems += rules(data, file=file, rows=rows, headers=headers)
    return ReadResult(data, _one_error_per_cell(ctx.problems), file, kind, rows, headers)


def _one_error_per_cell(problems: list[Problem]) -> list[Problem]:
    """Keep the first error of each cell (a cell that failed to parse is also 'missing' to the rules)."""
    seen: set[tuple] = set()
    out = []
    for p in problems:
        if p.severity == "error" and p.row is not None:
            if (p.row, p.column) in seen:
                continue
            seen.add((p.row, p.column))
        out.append(p)
    return out


def _pseudonymise_ids(ctx: _Ctx, data: pd.DataFrame, headers: dict, key, data_dir: Path | None) -> None:
    ids = data["recruit_id"].tolist()
    if not privacy.looks_like_personal_id(ids).any():
        return
    try:
        secret = privacy.load_key(key, data_dir=data_dir)
    except InputError as exc:
        ctx.problems += exc.problems
        return
    data["recruit_id"] = privacy.pseudonymise(ids, secret)
    ctx.problems.append(Problem("recruit ids looked like national ID or phone numbers; replaced by keyed "
                                "pseudonyms", file=ctx.file, column=headers.get("recruit_id", "recruit_id"),
                                severity="warning"))


def _is_synthetic(cells: Sequence[object]) -> bool:
    return any(isinstance(c, str) and ("SYNTHETIC" in c.upper() or "模拟数据" in c) for c in cells)


def _read_grid_table(path: Path, fmt: str, sheet, **options) -> ReadResult:
    file = str(path)
    if fmt == "csv":
        grid, where = _read_csv_grid(path), file
    else:
        grid, sheet_name = _read_excel_grid(path, sheet)
        where = f"{file}[{sheet_name}]" if sheet is not None else file
    h = _find_header(grid)
    if h is None:
        raise InputError([Problem(
            f"no header row found in the first {_HEADER_SCAN_ROWS} rows", file=where,
            expected="column names such as 区县, 年度, 征集批次 (or district, year, half)")])
    width = max(len(r) for r in grid[h:])  # data wider than the header is kept, not cut off
    labels, units, start = _header_layout(grid, h, width)
    title = [c for row in grid[:h] for c in row]
    kept, numbers, dropped = _data_rows(grid, start, width, where, labels)
    del grid  # the cells live on in the columns; free the row lists before parsing
    columns = [list(c) for c in zip(*kept)] if kept else [[] for _ in range(width)]
    del kept
    result = _from_columns(labels, units, columns, np.asarray(numbers, dtype=np.int64), file=where,
                           header_row=h + 1, data_dir=path.parent, **options)
    result.problems[:0] = dropped
    result.synthetic = _is_synthetic(title) or any(
        _is_synthetic(result.data[c].head(3).tolist()) for c in result.data.columns
        if result.data[c].dtype == object)
    return result


def _read_parquet_table(path: Path, **options) -> ReadResult:
    try:
        df = pd.read_parquet(path)
    except Exception:
        raise InputError([Problem("not a readable parquet file", file=str(path))]) from None
    labels = [str(c) for c in df.columns]
    columns = [df[c].astype(object).tolist() for c in df.columns]
    rows = np.arange(len(df), dtype=np.int64) + 2  # as if written to a sheet with the header in row 1
    result = _from_columns(labels, [""] * len(labels), columns, rows, file=str(path), header_row=1,
                           data_dir=path.parent, **options)
    result.synthetic = "SYNTHETIC" in str(df.attrs).upper()
    return result


def read_table(path: str | os.PathLike, *, kind: Kind | None = None, sheet: str | int | None = None,
               drop_personal: bool = False, needed: Sequence[str] = (),
               key: bytes | str | os.PathLike | None = None) -> ReadResult:
    """Read a panel or recruit file and report every problem, without raising for bad cells.

    Parameters
    ----------
    path : a .csv (UTF-8, UTF-8 with BOM, GBK, GB18030), .xlsx or .parquet file.
    kind : "panel" or "recruits"; None decides from the headers.
    sheet : Excel sheet name or 0-based index; None takes the first sheet with a header row.
    drop_personal : drop columns of personal data instead of refusing the file.
    needed : further columns whose missing values and placeholders are errors, not warnings.
    key : pseudonym key (bytes) or key file for ID-like recruit ids; see :mod:`recruitstats.io.privacy`.

    Returns
    -------
    ReadResult
        Raises :class:`InputError` only when the file cannot be read at all (missing,
        empty, binary, no header row); cell and rule problems are in ``problems``.
    """
    p = Path(path)
    fmt = _check_path(p)
    options = dict(kind=kind, drop_personal=drop_personal, needed=tuple(needed), key=key)
    if fmt == "parquet":
        return _read_parquet_table(p, **options)
    return _read_grid_table(p, fmt, sheet, **options)


def load_panel(path: str | os.PathLike, *, sheet: str | int | None = None, drop_personal: bool = False,
               needed: Sequence[str] = ()) -> pd.DataFrame:
    """Read a panel file into the canonical panel.

    Parameters
    ----------
    path : .csv, .xlsx or .parquet file, Chinese or English headers.
    sheet : Excel sheet name or 0-based index (default: the first sheet with a header row).
    drop_personal : drop personal-data columns instead of refusing the file.
    needed : columns a later step needs in every row (their placeholders become errors).

    Returns
    -------
    pandas.DataFrame
        Canonical columns (district, year, half, counts ... as float64); unknown columns
        kept. ``attrs["problems"]`` holds the warnings and ``attrs["source"]`` the file.

    Raises
    ------
    InputError
        With every located problem, if any is an error.
    """
    result = read_table(path, kind="panel", sheet=sheet, drop_personal=drop_personal, needed=needed)
    if {"recruit_id", "enlist_date"} & set(result.data.columns):
        raise InputError([Problem("this file holds recruit records (one row per recruit), not a panel (one "
                                  "row per district and cycle)", file=str(path),
                                  expected="a panel file; recruit records go to load_recruits")])
    result.raise_for_errors()
    return result.frame()


def load_recruits(path: str | os.PathLike, *, sheet: str | int | None = None, drop_personal: bool = False,
                  key: bytes | str | os.PathLike | None = None) -> pd.DataFrame:
    """Read recruit records into the canonical recruit table.

    Personal-data columns are refused unless ``drop_personal``; ID-like recruit ids
    are replaced by keyed pseudonyms (``key``: bytes, or a key file; default
    ``$RECRUITSTATS_KEY_FILE`` or ``~/.config/recruitstats/pseudonym.key``).

    Raises
    ------
    InputError
        With every located problem, if any is an error.
    """
    result = read_table(path, kind="recruits", sheet=sheet, drop_personal=drop_personal, key=key)
    result.raise_for_errors()
    return result.frame()
