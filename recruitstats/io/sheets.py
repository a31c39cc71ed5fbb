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
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

import numpy as np

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.io import guards
from recruitstats.io import numbers as num
from recruitstats.schema import (HALF_VALUES, TOTAL_ROW_MARKERS, canonical_name, normalise_header, personal_data_column,
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
    "s.footer": {"en": "footer {rows} dropped: {labels}… (signatures and notes under the table; their "
                       "contents are neither read nor kept)",
                 "zh": "表尾第 {rows} 行已去掉：{labels}……（表格下方的签名和说明；其内容不读取、不保存）"},
    "s.footer.row": {"en": "row {rows}", "zh": "{rows}"},
    "s.footer.rows": {"en": "rows {rows}", "zh": "{rows}"},
})

#: Headers of a combined cycle column ("2021年上半年", "2021H1").
CYCLE_HEADERS: frozenset[str] = frozenset({"cycle", "周期", "征集周期", "征兵周期", "年度批次", "征集年度批次"})

_HEADER_SCAN_ROWS = 30
#: First cell of the template's example row (and its English form): the row is skipped.
EXAMPLE_MARKERS: tuple[str, ...] = ("示例", "example")
_NOTE_PREFIXES = ("注", "说明", "备注", "填表", "制表", "审核", "负责人", "数据来源", "资料来源", "填报")
#: How the signature and note rows under a form's table begin (填表人：张三 … 联系电话：…); the
#: words that also start ordinary text (备注, 说明, 注, note) count only with a colon after them.
FOOTER_PREFIXES: tuple[str, ...] = (
    "填表人", "填报人", "审核人", "审批人", "制表人", "统计人", "经办人", "复核人", "填报单位", "填表单位", "报送单位",
    "填报日期", "填表日期", "制表日期", "报送日期", "负责人", "单位负责人", "分管领导", "联系人", "联系电话",
    "联系方式", "电话", "手机", "签字", "签名", "盖章", "prepared by", "checked by", "approved by", "contact",
    "tel:", "phone:")
FOOTER_COLON_PREFIXES: tuple[str, ...] = ("备注", "说明", "注", "填表说明", "数据来源", "资料来源", "note", "notes")
_KEY_NAMES = frozenset({"district", "district_code", "year", "half"})
_UNIT_TOKEN = re.compile(
    r"^[(（\[【]?(人|人次|名|万人|万元|千元|元|元/年|元/人|%|％|份|条|幅|场|场次|次|个|persons?|yuan|"
    r"10k yuan|copies|messages|posts|pieces|events|visits|contacts)[)）\]】]?$", re.IGNORECASE)


# --- opening files -----------------------------------------------------------

def _binary(file: str) -> InputError:
    return InputError([Problem(tr("s.binary"), file=file, expected=tr("s.binary.expected"))])


def _decode(raw: bytes, file: str) -> str:
    return _decode_utf8(raw, file)[0]


def _decode_utf8(raw: bytes, file: str) -> tuple[str, bytes | None]:
    """The text of a CSV file, and its UTF-8 bytes (``raw`` without a BOM) when it was UTF-8."""
    utf8 = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        text = raw.decode("utf-16", errors="replace")
    else:
        if b"\x00" in raw[:8192]:
            raise _binary(file)
        guards.check_csv_bytes(raw, file)
        text, is_utf8 = guards.decode_text_utf8(raw, file)  # gb18030 is the superset of GBK (rare characters: 䶮)
        if is_utf8:
            utf8 = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    sample = text[:20000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if sample and controls > 0.01 * len(sample):
        raise _binary(file)
    return text, utf8


def _read_csv_text(path: Path) -> tuple[str, str, bytes | None]:
    """The decoded text of a CSV file (after the size, binary and encoding guards), its delimiter, and its
    UTF-8 bytes when it was UTF-8 (else None)."""
    guards.check_size(path)
    text, utf8 = _decode_utf8(path.read_bytes(), str(path))
    head = text[:65536].splitlines()[:10]
    head = [line for line in head if line.strip()]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or (
        head and sum(ln.count("\t") for ln in head) > sum(ln.count(",") for ln in head)) else ","
    return text, delimiter, utf8


def _csv_grid(text: str, delimiter: str, file: str) -> list[list[object]]:
    """Every record of the CSV text as a list of strings (the careful path)."""
    try:
        grid = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise InputError([Problem(tr("s.csv", reason=exc), file=file)]) from None
    guards.check_csv_width(grid, file)
    return grid


def _read_csv_grid(path: Path) -> list[list[object]]:
    text, delimiter, _ = _read_csv_text(path)
    return _csv_grid(text, delimiter, str(path))


class TextColumn:
    """One column of a CSV body read by pyarrow: each cell the text as written ("" when empty).

    Python strings are made only when asked for (:meth:`tolist`); :meth:`uniques` gives
    the distinct cells and each cell's index among them, so per-cell parsers run once
    per distinct text.
    """

    __slots__ = ("array", "_list", "_uniques", "_shape", "_empty", "_encoded")

    def __init__(self, array) -> None:
        self.array = array
        self._encoded: tuple[object, np.ndarray] | None = None
        self._shape: str | None = None
        self._empty: np.ndarray | None = None
        self._list: list[str] | None = None
        self._uniques: tuple[list[str], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.array)

    def tolist(self) -> list[str]:
        if self._list is None:
            self._list = self.array.to_pylist()
        return self._list

    def encoded(self) -> tuple[object, np.ndarray]:
        """The distinct cells (a pyarrow array) and each cell's index among them."""
        if self._encoded is None:
            encoded = self.array.dictionary_encode()
            self._encoded = (encoded.dictionary,
                             encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False))
        return self._encoded

    def uniques(self) -> tuple[list[str], np.ndarray]:
        if self._uniques is None:
            dictionary, codes = self.encoded()
            self._uniques = (dictionary.to_pylist(), codes)
        return self._uniques

    def take(self, positions: np.ndarray) -> "TextColumn":
        return TextColumn(self.array.take(positions))

    def empty(self) -> np.ndarray:
        """Mask of the empty cells."""
        import pyarrow.compute as pc

        if self._empty is None:
            self._empty = pc.equal(self.array, "").to_numpy(zero_copy_only=False)
        return self._empty

    def shape(self) -> str | None:
        """"whole" when every cell is empty or ASCII digits, "plain" when every cell is empty or a plain
        ASCII number (digits, a leading minus, one point), else None."""
        import pyarrow.compute as pc

        if self._shape is None:
            arr = self.array
            if pc.all(pc.or_(pc.ascii_is_decimal(arr), pc.equal(arr, ""))).as_py() is not False:
                self._shape = "whole"
            elif pc.all(pc.match_substring_regex(arr, num.ASCII_NUMBER)).as_py() is not False:
                self._shape = "plain"
            else:
                self._shape = "text"
        return None if self._shape == "text" else self._shape

    def long_or_wide(self) -> list[str]:
        """Distinct cells of 9 or more characters or with a non-ASCII one: the only cells that can hold an ID
        or a phone number (NFKC leaves ASCII as it is)."""
        import pyarrow.compute as pc

        if self.shape() is None:  # text: its distinct cells are at hand
            return [c for c in self.uniques()[0] if len(c) >= 9 or not c.isascii()]
        lengths = pc.binary_length(self.array)  # ASCII: bytes are characters
        if len(self.array) == 0 or pc.max(lengths).as_py() < 9:
            return []
        return pc.unique(pc.filter(self.array, pc.greater_equal(lengths, 9))).to_pylist()


def _csv_head(text: str, delimiter: str, n: int) -> tuple[list[list[object]], list[int]] | None:
    """The first ``n`` records (as :func:`_csv_grid` reads them) and the text offset after each; None on a
    CSV error (the careful path reports it)."""
    size = 1 << 16
    while True:  # a prefix of the text: io.StringIO copies what it is given
        prefix = text[:size]
        stream = io.StringIO(prefix, newline="")
        head, ends = [], []
        try:
            for row in csv.reader(stream, delimiter=delimiter):
                head.append(list(row))
                ends.append(stream.tell())
                if len(head) > n:  # record n + 1 began, so the first n are whole
                    return head[:n], ends[:n]
        except csv.Error:
            if len(prefix) == len(text):
                return None
        if len(prefix) == len(text):
            return head, ends
        size *= 4


#: Bytes between two line ends of a CSV body that make an empty record (csv.reader numbers it; pyarrow skips it).
_EMPTY_LINE = (b"\n\n", b"\r\r", b"\n\r")


def _csv_body_columns(body: bytes, delimiter: str, width: int) -> list[TextColumn] | None:
    """The records of ``body`` (UTF-8) as ``width`` pyarrow string columns, exactly as written; None unless
    every record has ``width`` cells and no empty line would shift the row numbers (the careful path
    reads it then)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    core = body.rstrip(b"\r\n")  # empty lines after the last record: skipped by both readers
    if not core or body[:1] in (b"\r", b"\n"):
        return None
    names = [f"c{j}" for j in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),  # whole: a quoted last field may end in line breaks
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):  # a ragged record, for one
        return None
    if table.num_columns != width or any(pc.max(pc.binary_length(c)).as_py() >= csv.field_size_limit()
                                         for c in table.columns if table.num_rows):
        return None  # csv.reader refuses a field that long: the careful path says so
    breaks = _line_breaks(core)
    if (breaks is None or table.num_rows != breaks + 1) and any(mark in core for mark in _EMPTY_LINE):
        return None  # one record per line proves there is no empty line; else look for one
    return [TextColumn(table.column(j).combine_chunks()) for j in range(width)]


def _line_breaks(core: bytes) -> int | None:
    """The number of line breaks when all are alike (\\n, \\r\\n or \\r), else None."""
    lf, cr = core.count(b"\n"), core.count(b"\r")
    if not cr or not lf:
        return lf or cr
    return lf if lf == cr and core.count(b"\r\n") == lf else None


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


def _row_verdict(row: Sequence[object], header: frozenset[str]) -> str | None:
    """Why a row is not data ("empty", "example", or a message id of a dropped row), or None to keep it."""
    filled = [c for c in row if c != "" and c is not None]
    if not filled or all(isinstance(c, str) and not c.strip() for c in filled):
        return "empty"
    if _repeats_header(filled, header):
        return "s.repeated_header"
    if any(_is_example(c) for c in filled[:3]):  # the template's example row, district not yet overwritten
        return "example"
    texts = [c for c in filled[:3] if isinstance(c, str)]
    if any(_is_total(t) for t in texts):
        return "s.totals"
    if len(filled) == 1 and isinstance(filled[0], str) and num.nfkc(filled[0]).startswith(_NOTE_PREFIXES):
        return "s.note"
    return None


# --- footer rows -------------------------------------------------------------------

@functools.lru_cache(maxsize=1 << 12)
def footer_label(text: str) -> str | None:
    """The signature word a footer cell begins with (填表人, 联系电话, 注 ...), or None."""
    low = re.sub(r"\s+", "", num.nfkc(text)).lower()  # (nfkc already drops most spaces: "Preparedby")
    for prefix in FOOTER_PREFIXES:
        if low.startswith(prefix.replace(" ", "")):
            return prefix.rstrip(":")
    for prefix in FOOTER_COLON_PREFIXES:
        if low.startswith(prefix) and low[len(prefix):len(prefix) + 1] in (":", "："):
            return prefix
    return None


def key_positions(labels: Sequence[str]) -> dict[int, str]:
    """Positions of the key columns among the labels -> their names (district, district_code, year, half,
    or cycle for a combined cycle column)."""
    out: dict[int, str] = {}
    for j, lab in enumerate(labels):
        name = canonical_name(lab)[0] if lab else None
        if name in _KEY_NAMES:
            out[j] = name
        elif lab and normalise_header(lab)[0] in CYCLE_HEADERS:
            out[j] = "cycle"
    return out


_YEAR_START = re.compile(r"^(19|20|21)\d{2}(?!\d)")


def _key_is_data(cell: object, name: str) -> bool:
    """Whether a key column's cell holds data: a district's name (text), a year (or a cycle starting with
    one), a half (1, 2, 上半年 ...) or a 6-digit code. A signature word is not, nor a name or a phone
    number spilling into the 年度 column."""
    if isinstance(cell, bool) or num.is_missing(cell):
        return False
    t = num.nfkc(num.cell_text(cell)).strip()
    if not t or footer_label(t):
        return False
    if name == "district":
        return isinstance(cell, str)
    if name in ("year", "cycle"):
        return bool(_YEAR_START.match(t))
    if name == "half":
        return t.lower() in HALF_VALUES
    return bool(re.fullmatch(r"\d{6}", t))  # district_code


def footer_row(row: Sequence[object], keys: dict[int, str]) -> list[str] | None:
    """The signature words of a footer row (its first filled cell starts with one and its key columns
    hold no data), or None when the row is not a footer."""
    filled = [c for c in row if c is not None and not (isinstance(c, str) and not c.strip())]
    if not filled or not isinstance(filled[0], str) or footer_label(filled[0]) is None:
        return None
    if any(j < len(row) and _key_is_data(row[j], name) for j, name in keys.items()):
        return None
    return [w for w in (footer_label(c) for c in filled if isinstance(c, str)) if w]


def trailing_footer(get_row, indices: Sequence[int], keys: dict[int, str], dropped=lambda i: False
                    ) -> tuple[list[int], list[str]]:
    """The footer rows at the end of a table and their signature words, in order.

    Walks up from the last row: blank rows and rows dropped anyway (``dropped``: totals, notes ...)
    are passed over, a footer row is collected, and the first other row (data) ends the walk, so a
    footer-like row above data is never dropped as a footer.
    """
    found: list[int] = []
    words: list[str] = []
    for i in reversed(indices):
        row = get_row(i)
        if not _nonempty(row):
            continue
        signed = footer_row(row, keys)
        if signed is None:
            if dropped(i):
                continue
            break
        found.append(i)
        words[:0] = signed
    return found[::-1], list(dict.fromkeys(words))


def footer_problem(numbers: Sequence[int], words: Sequence[str], file: str) -> Problem:
    """One warning for the footer rows (spreadsheet numbers), naming their signature words, never a value."""
    first, last = min(numbers), max(numbers)
    rows = tr("s.footer.row", rows=first) if first == last else tr("s.footer.rows", rows=f"{first}-{last}")
    return Problem(tr("s.footer", rows=rows, labels=tr("list.sep").join(words)), file=file, severity="warning",
                   kind="footer")


def _maybe_not_data(text: str, header: frozenset[str]) -> bool:
    """Whether a cell could make its row one :func:`_row_verdict` drops (a header, example, total, blank)."""
    return (text.strip() in header or _is_example(text) or _is_total(text)
            or (text != "" and not text.strip()))


def _dropped(verdict: str, file: str, row: int) -> list[Problem]:
    if verdict in ("empty", "example"):
        return []
    return [Problem(tr(verdict), file=file, row=row, severity="warning")]


@dataclass
class CsvTable:
    """The table of a CSV file found the fast way: header as :func:`_header_layout` reads it, data columns
    as read by pyarrow, and the rows :func:`_data_rows` would drop (with their problems)."""

    head: list[list[object]]
    header_row: int
    labels: list[str]
    units: list[str]
    columns: list[TextColumn]
    numbers: np.ndarray
    dropped: list[Problem]
    outside: list[list[object]]


def _csv_table(text: str, delimiter: str, file: str, utf8: bytes | None = None) -> CsvTable | None:
    """The table of a CSV text read column-wise by pyarrow, or None when it needs the careful path.

    The header is found in the first records read by :mod:`csv` as the careful path reads
    them; the body must be a rectangle without empty lines (so row numbers agree). Rows
    are dropped exactly as :func:`_data_rows` drops them: only rows holding a cell that
    could make them a repeated header, example, totals or note row (or with fewer than
    two filled cells) are looked at one by one.
    """
    found = _csv_head(text, delimiter, _HEADER_SCAN_ROWS + 3)
    if found is None:
        return None
    head, ends = found
    h = _find_header(head)
    if h is None or any(len(r) > guards.MAX_COLUMNS for r in head):
        return None
    _, _, start = _header_layout(head, h, max(len(r) for r in head[h:]))
    if start >= len(head):
        return None
    width = len(head[start])
    if max(len(r) for r in head[h:start]) > width or width > guards.MAX_COLUMNS:
        return None
    labels, units, _ = _header_layout(head, h, width)
    cut = ends[start - 1]
    body = text[cut:].encode("utf-8") if utf8 is None else utf8[len(text[:cut].encode("utf-8")):]
    columns = _csv_body_columns(body, delimiter, width)
    if columns is None:
        return None
    numbers = np.arange(len(columns[0]), dtype=np.int64) + start + 1
    keep, dropped, outside = _screen_rows(columns, numbers, frozenset(lab for lab in labels if lab), file)
    footer, words = trailing_footer(lambda i: [c.array[i].as_py() for c in columns], range(len(numbers)),
                                    key_positions(labels), dropped=lambda i: not keep[i])
    if footer:  # rows _screen_rows dropped as notes are named once, as footer rows
        signed = {int(numbers[i]) for i in footer}
        dropped = [p for p in dropped if p.row not in signed] + [footer_problem(sorted(signed), words, file)]
        outside += [[c.array[i].as_py() for c in columns] for i in footer if keep[i]]
        keep[footer] = False
    if not keep.any():
        return None
    if not keep.all():
        where = np.flatnonzero(keep)
        columns, numbers = [c.take(where) for c in columns], numbers[where]
    return CsvTable(head, h + 1, labels, units, columns, numbers, dropped, head[:start] + outside)


def _screen_rows(columns: list[TextColumn], numbers: np.ndarray, header: frozenset[str], file: str
                 ) -> tuple[np.ndarray, list[Problem], list[list[object]]]:
    """Rows to keep, problems of the rows dropped, and the dropped rows' cells (:func:`_row_verdict` decides)."""
    import pyarrow.compute as pc

    n = len(numbers)
    filled = np.zeros(n, dtype=np.int32)
    suspect = np.zeros(n, dtype=bool)
    numeric_labels = pa_array([lab for lab in header if re.fullmatch(_NUMBERISH, lab)])
    for col in columns:
        filled += ~col.empty()
        if col.shape():  # never an example, total, note or blank cell; maybe a header
            if len(numeric_labels):
                suspect |= pc.is_in(col.array, value_set=numeric_labels).to_numpy(zero_copy_only=False)
            continue
        suspect |= _suspect_cells(col, header, numeric_labels)
    keep = np.ones(n, dtype=bool)
    dropped: list[Problem] = []
    outside: list[list[object]] = []
    for i in np.flatnonzero(suspect | (filled <= 1)).tolist():
        row = [c.array[i].as_py() for c in columns]
        verdict = _row_verdict(row, header)
        if verdict is not None:
            keep[i] = False
            dropped += _dropped(verdict, file, int(numbers[i]))
            outside.append(row)
    return keep, dropped, outside


#: Cells made of digits and number punctuation only (full-width too): never an example, total, note or blank.
_NUMBERISH = "^[0-9０-９,，.．%％+＋\\-－]+$"


def _suspect_cells(col: TextColumn, header: frozenset[str], numeric_labels) -> np.ndarray:
    """Cells :func:`_maybe_not_data` flags, judged once per distinct cell and only when not number-like."""
    import pyarrow.compute as pc

    dictionary, codes = col.encoded()
    numberish = pc.match_substring_regex(dictionary, _NUMBERISH).to_numpy(zero_copy_only=False)
    flags = np.zeros(len(dictionary), dtype=bool)
    others = np.flatnonzero(~numberish)
    flags[others] = [_maybe_not_data(c, header) for c in dictionary.take(others).to_pylist()]
    if len(numeric_labels):  # a cell of digits can still repeat a header such as "2021"
        flags |= pc.is_in(dictionary, value_set=numeric_labels).to_numpy(zero_copy_only=False)
    return flags[codes]


def pa_array(values: list[str]):
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def _data_rows(grid: list[list[object]], start: int, width: int, file: str, labels: Sequence[str] = ()
               ) -> tuple[list[list[object]], list[int], list[Problem]]:
    """Rows holding data (padded to ``width``), their spreadsheet numbers, and the rows dropped."""
    kept, numbers, problems = [], [], []
    header = frozenset(lab for lab in labels if lab)
    footer, words = trailing_footer(grid.__getitem__, range(start, len(grid)), key_positions(labels),
                                    dropped=lambda i: _row_verdict(grid[i], header) is not None)
    skipped = set(footer)
    for i in range(start, len(grid)):
        row = grid[i]
        if i in skipped:
            continue
        verdict = _row_verdict(row, header)
        if verdict is not None:
            problems += _dropped(verdict, file, i + 1)
            continue
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        kept.append(row[:width])
        numbers.append(i + 1)
    if footer:
        problems.append(footer_problem([i + 1 for i in footer], words, file))
    return kept, numbers, problems
