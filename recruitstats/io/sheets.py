"""Opening the files offices send and finding the table in the raw grid of cells.

Decodes CSV text (UTF-8 with or without BOM, GBK/GB18030, UTF-16), reads Excel
workbooks through calamine, finds the header row under any title rows (with a
merged group row above it and a units row below it) and keeps the data rows,
dropping repeated headers, totals and note rows. Used by
:mod:`recruitstats.io.readers`; nothing here knows the canonical column types.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from pathlib import Path
from collections.abc import Sequence

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.io import guards
from recruitstats.io import numbers as num
from recruitstats.schema import (TOTAL_ROW_MARKERS, canonical_name, normalise_header, personal_data_column,
                                 suggest_column)

register_messages({
    "s.binary": {"en": "binary data, not a CSV text file", "zh": "这是二进制数据，不是 CSV 文本文件"},
    "s.binary.expected": {"en": "text in UTF-8, GBK or GB18030, or an .xlsx workbook",
                          "zh": "UTF-8、GBK 或 GB18030 编码的文本，或 .xlsx 工作簿"},
    "s.csv": {"en": "not a readable CSV file ({reason})", "zh": "无法读取的 CSV 文件（{reason}）"},
    "s.excel": {"en": "not a readable Excel workbook (damaged, encrypted or another format)",
                "zh": "无法读取的 Excel 工作簿（已损坏、已加密或不是 Excel 格式）"},
    "s.excel.expected": {"en": "an .xlsx workbook saved by Excel or WPS", "zh": "用 Excel 或 WPS 保存的 .xlsx 工作簿"},
    "s.no_sheets": {"en": "the workbook has no sheets", "zh": "工作簿中没有工作表"},
    "s.no_sheet": {"en": "no sheet '{sheet}'", "zh": "没有工作表“{sheet}”"},
    "s.no_sheet.expected": {"en": "one of {names}", "zh": "以下之一：{names}"},
    "s.repeated_header": {"en": "repeated header row dropped", "zh": "重复的表头行已去掉"},
    "s.totals": {"en": "totals row dropped (the package computes its own totals)",
                 "zh": "合计行已去掉（程序自行计算合计）"},
    "s.note": {"en": "note row dropped", "zh": "说明行已去掉"},
})

#: Headers of a combined cycle column ("2021年上半年", "2021H1").
CYCLE_HEADERS: frozenset[str] = frozenset({"cycle", "周期", "征集周期", "征兵周期", "年度批次", "征集年度批次"})

_HEADER_SCAN_ROWS = 30
#: First cell of the template's example row (and its English form): the row is skipped.
EXAMPLE_MARKERS: tuple[str, ...] = ("示例", "example")
_NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "负责人", "数据来源", "资料来源", "填报")
_UNIT_TOKEN = re.compile(
    r"^[(（\[【]?(人|人次|名|万人|万元|千元|元|元/年|元/人|%|％|份|条|幅|场|场次|次|个|persons?|yuan|"
    r"10k yuan|copies|messages|posts|pieces|events|visits|contacts)[)）\]】]?$", re.IGNORECASE)


# --- opening files -----------------------------------------------------------

def _binary(file: str) -> InputError:
    return InputError([Problem(tr("s.binary"), file=file, expected=tr("s.binary.expected"))])


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        text = raw.decode("utf-16", errors="replace")
    else:
        if b"\x00" in raw[:8192]:
            raise _binary(file)
        guards.check_csv_bytes(raw, file)
        text = guards.decode_text(raw, file)  # gb18030 is the superset of GBK (rare characters: 䶮)
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if sample and controls > 0.01 * len(sample):
        raise _binary(file)
    return text


def _read_csv_grid(path: Path) -> list[list[object]]:
    guards.check_size(path)
    text = _decode(path.read_bytes(), str(path))
    head = text[:65536].splitlines()[:10]
    head = [line for line in head if line.strip()]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or (
        head and sum(ln.count("\t") for ln in head) > sum(ln.count(",") for ln in head)) else ","
    try:
        grid = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError([Problem(tr("s.csv", reason=exc), file=str(path))]) from None
    guards.check_csv_width(grid, str(path))
    return grid


def _open_workbook(path: Path):
    from python_calamine import CalamineWorkbook

    guards.check_size(path)
    guards.check_workbook(path)  # before calamine: it allocates the whole used rectangle of a sheet
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises several types for damaged files
        raise InputError([Problem(tr("s.excel"), file=str(path), expected=tr("s.excel.expected"))]) from None


def _sheet_grid(book, index: int) -> list[list[object]]:
    try:
        return book.get_sheet_by_index(index).to_python(skip_empty_area=False)
    except Exception:
        return []


def _read_excel_grid(path: Path, sheet: str | int | None) -> tuple[list[list[object]], str]:
    book = _open_workbook(path)
    names = list(book.sheet_names)
    if not names:
        raise InputError(tr("s.no_sheets"), file=str(path))
    if sheet is None:  # first sheet with a header row (skips an instructions sheet), then one near it
        for near in (False, True):
            for i, name in enumerate(names):
                grid = _sheet_grid(book, i)
                if _find_header(grid, near=near) is not None:
                    return grid, name
        return _sheet_grid(book, 0), names[0]
    if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
        sheet = int(sheet)
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return _sheet_grid(book, sheet), names[sheet]
    if isinstance(sheet, str) and sheet in names:
        return _sheet_grid(book, names.index(sheet)), sheet
    raise InputError([Problem(tr("s.no_sheet", sheet=sheet), file=str(path),
                              expected=tr("s.no_sheet.expected", names=", ".join(repr(n) for n in names)))])


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


def _near_hits(row: Sequence[object], enough: int = 2) -> int:
    """Cells of a row that are, or are near, known headers (up to ``enough``; the first 64 text cells)."""
    hits = 0
    for cell in row[:64]:
        if not isinstance(cell, str) or not any(ch.isalpha() for ch in cell):
            continue  # numbers and blanks are never headers
        if canonical_name(cell)[0] or suggest_column(cell):
            hits += 1
            if hits >= enough:
                break
    return hits


def _find_header(grid: list[list[object]], *, near: bool | None = None) -> int | None:
    """Index of the first row where at least two cells are known headers.

    Failing that (or only, with ``near=True``; never, with ``near=False``), the first
    row where at least two cells are near known headers (适龄青年总人口), so the
    reader can say "did you mean" instead of "no header row".
    """
    if near is not True:
        for i, row in enumerate(grid[:_HEADER_SCAN_ROWS]):
            if _header_hits(row) >= 2:
                return i
    if near is not False:
        for i, row in enumerate(grid[:_HEADER_SCAN_ROWS]):
            if _near_hits(row) >= 2:
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


def _is_example(first: object) -> bool:
    return isinstance(first, str) and num.nfkc(first).lower().startswith(EXAMPLE_MARKERS)


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
            problems.append(Problem(tr("s.repeated_header"), file=file, row=i + 1, severity="warning"))
            continue
        if any(_is_example(c) for c in filled[:3]):  # the template's example row, district not yet overwritten
            continue
        texts = [c for c in filled[:3] if isinstance(c, str)]
        if any(_is_total(t) for t in texts):
            problems.append(Problem(tr("s.totals"), file=file, row=i + 1, severity="warning"))
            continue
        if len(filled) == 1 and isinstance(filled[0], str) and num.nfkc(filled[0]).startswith(_NOTE_PREFIXES):
            problems.append(Problem(tr("s.note"), file=file, row=i + 1, severity="warning"))
            continue
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        kept.append(row[:width])
        numbers.append(i + 1)
    return kept, numbers, problems
