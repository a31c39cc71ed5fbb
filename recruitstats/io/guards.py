"""Refusing hostile or broken files quickly, before reading them whole.

An office file can be wrong in ways that would make a naive reader run for
minutes or ask for hundreds of gigabytes: a workbook whose only cell is
XFD1048576 (calamine allocates the whole rectangle up to it), a zip bomb, a
CSV line of a million columns, a file with no line breaks. The checks here look
at sizes, the zip directory and a streaming pass over the sheet XML, and raise
:class:`~recruitstats.errors.InputError` with a message that says what to fix.
They also find what a reader would otherwise turn silently into missing values:
formula cells without a saved value, and lines in another text encoding.

Used by :mod:`recruitstats.io.sheets`; the limits are module constants.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from recruitstats.errors import InputError, Problem, register_messages, tr

__all__ = ["MAX_FILE_BYTES", "MAX_LINE_BYTES", "MAX_COLUMNS", "MAX_CELLS", "MAX_UNCOMPRESSED_BYTES",
           "MAX_COMPRESSION_RATIO", "check_size", "check_csv_bytes", "check_csv_width", "decode_text",
           "check_workbook"]

#: Largest file read. A decade of national recruit records is ~300 MB of CSV; past this
#: the reader would need several GB of memory.
MAX_FILE_BYTES = 512 * 2**20
#: Longest line of a CSV. A panel or recruit row is under 10 KB; a megabyte line is not a
#: table (or a file without line breaks), and splitting it would take the memory of the file.
MAX_LINE_BYTES = 2**20
#: Widest table. The contract has about 50 columns and offices add a few dozen notes; every
#: column costs a parse and a Problem list, so a million of them must be refused, not read.
MAX_COLUMNS = 2000
#: Largest sheet rectangle (rows x columns up to the last used cell). calamine allocates the
#: rectangle densely and the reader holds one Python object per cell (~60 bytes): 15 million
#: cells is ~1 GB. XFD1048576 alone would be 17 billion.
MAX_CELLS = 15_000_000
#: Largest unpacked workbook. Sheet XML is ~35 bytes per cell, so this is MAX_CELLS' worth.
MAX_UNCOMPRESSED_BYTES = 512 * 2**20
#: Largest compression ratio of a big workbook part. Sheet XML packs 5-20:1, rarely 100:1;
#: deflate tops out near 1030:1, which is what zip bombs use.
MAX_COMPRESSION_RATIO = 200
#: Parts smaller than this are never called a bomb, whatever their ratio.
_RATIO_FLOOR_BYTES = 8 * 2**20
_CHUNK = 2**22
_FORMULA_CELLS_SHOWN = 5

register_messages({
    "g.too_big": {"en": "the file is {size} MB; files over {limit} MB are not read",
                  "zh": "文件有 {size} MB，超过 {limit} MB 的文件不读取"},
    "g.too_big.expected": {"en": "a smaller file: split it by year, or send a CSV",
                           "zh": "较小的文件：按年度拆分，或另存为 CSV"},
    "g.unpacked": {"en": "the workbook unpacks to more than {limit} MB ({detail}); it is not opened",
                   "zh": "工作簿解压后超过 {limit} MB（{detail}），不予打开"},
    "g.ratio": {"en": "part '{member}' is compressed {ratio}:1, as zip bombs are; it is not opened",
                "zh": "部件“{member}”压缩比为 {ratio}:1，与“压缩炸弹”相同，不予打开"},
    "g.zip.expected": {"en": "an .xlsx workbook saved by Excel or WPS", "zh": "用 Excel 或 WPS 保存的 .xlsx 工作簿"},
    "g.area": {"en": "sheet '{sheet}' reaches cell {last} ({rows:,} rows x {cols:,} columns); at most "
                     "{limit:,} cells are read",
               "zh": "工作表“{sheet}”用到单元格 {last}（{rows:,} 行 × {cols:,} 列），最多读取 {limit:,} 个单元格"},
    "g.area.expected": {"en": "delete the stray cells beyond the table (Ctrl+End shows the last used cell) "
                              "and save", "zh": "删除表格以外的多余单元格（Ctrl+End 可找到最后一个单元格）后保存"},
    "g.wide": {"en": "sheet '{sheet}' has {cols:,} columns; at most {limit:,} are read",
               "zh": "工作表“{sheet}”有 {cols:,} 列，最多读取 {limit:,} 列"},
    "g.formula": {"en": "{cell} has a formula with no saved value; open and save the file in Excel or WPS",
                  "zh": "单元格 {cell} 是公式但没有保存计算结果；请用 Excel 或 WPS 打开并保存此文件"},
    "g.formulas": {"en": "{n} cells have a formula with no saved value ({cells}); open and save the file "
                         "in Excel or WPS", "zh": "{n} 个单元格是公式但没有保存计算结果（{cells}）；请用 Excel 或 "
                                                  "WPS 打开并保存此文件"},
    "g.formula.expected": {"en": "values saved with the formulas (Excel and WPS save them)",
                           "zh": "公式连同计算结果一起保存（Excel 和 WPS 会保存）"},
    "g.columns": {"en": "line {line} has {n:,} columns; at most {limit:,} are read",
                  "zh": "第 {line} 行有 {n:,} 列，最多读取 {limit:,} 列"},
    "g.columns.expected": {"en": "a table of at most {limit:,} columns", "zh": "不超过 {limit:,} 列的表格"},
    "g.line": {"en": "line {line} is {size:,} bytes long; lines over {limit:,} bytes are not read",
               "zh": "第 {line} 行长 {size:,} 字节，超过 {limit:,} 字节的行不读取"},
    "g.line.expected": {"en": "a CSV table with one row per line", "zh": "每行一条记录的 CSV 表格"},
    "g.mixed": {"en": "line {line} is not UTF-8 although line {first} before it is: the file mixes text "
                      "encodings", "zh": "第 {line} 行不是 UTF-8 编码，而前面第 {first} 行是：文件混用了两种编码"},
    "g.mixed_gbk": {"en": "line {line} is UTF-8 although line {first} before it is GBK: the file mixes text "
                          "encodings", "zh": "第 {line} 行是 UTF-8 编码，而前面第 {first} 行是 GBK：文件混用了两种编码"},
    "g.undecodable": {"en": "line {line} cannot be read as text", "zh": "第 {line} 行无法按文字读取"},
    "g.encoding.expected": {"en": "one encoding for the whole file: open it in Excel or WPS and save it as "
                                  "CSV UTF-8", "zh": "整个文件同一编码：用 Excel 或 WPS 打开后另存为 CSV UTF-8"},
})


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def check_size(path: Path) -> None:
    """Refuse a file larger than ``MAX_FILE_BYTES`` before reading any of it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError([Problem(tr("g.too_big", size=_mb(size), limit=_mb(MAX_FILE_BYTES)), file=str(path),
                                  expected=tr("g.too_big.expected"))])


# --- text files ----------------------------------------------------------------------

def _longest_line(raw: bytes) -> tuple[int, int]:
    """(length, 1-based line number) of the longest line, in chunks so memory stays small."""
    best, best_line, start, lines = 0, 1, 0, 0
    view = np.frombuffer(raw, dtype=np.uint8)
    for lo in range(0, len(view), _CHUNK):
        chunk = view[lo:lo + _CHUNK]
        ends = np.flatnonzero(chunk == 10) + lo
        if len(ends):
            gaps = np.diff(np.concatenate(([start], ends + 1))) - 1
            k = int(np.argmax(gaps))
            if gaps[k] > best:
                best, best_line = int(gaps[k]), lines + k + 1
            lines += len(ends)
            start = int(ends[-1]) + 1
    if len(view) - start > best:
        best, best_line = len(view) - start, lines + 1
    return best, best_line


def check_csv_bytes(raw: bytes, file: str, *, head_lines: int = 64) -> None:
    """Refuse a text file whose first lines are too wide or any line too long, before decoding it."""
    pos = 0
    for line in range(1, head_lines + 1):
        end = raw.find(b"\n", pos, pos + MAX_LINE_BYTES * 4)
        piece = raw[pos:end if end >= 0 else pos + MAX_LINE_BYTES * 4]
        width = max(piece.count(b","), piece.count(b"\t")) + 1
        if width > MAX_COLUMNS:
            raise InputError([Problem(tr("g.columns", line=line, n=width, limit=MAX_COLUMNS), file=file,
                                      expected=tr("g.columns.expected", limit=MAX_COLUMNS))])
        if end < 0:
            break
        pos = end + 1
    size, line = _longest_line(raw)
    if size > MAX_LINE_BYTES:
        raise InputError([Problem(tr("g.line", line=line, size=size, limit=MAX_LINE_BYTES), file=file,
                                  expected=tr("g.line.expected"))])


def check_csv_width(grid: list[list[object]], file: str) -> None:
    """Refuse a parsed CSV with a row wider than ``MAX_COLUMNS`` (quoted fields hide commas from the byte check)."""
    for i, row in enumerate(grid):
        if len(row) > MAX_COLUMNS:
            raise InputError([Problem(tr("g.columns", line=i + 1, n=len(row), limit=MAX_COLUMNS), file=file,
                                      expected=tr("g.columns.expected", limit=MAX_COLUMNS))])


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _chinese(text: str) -> int:
    return sum(0x2E80 < ord(ch) < 0xFFFD for ch in text)


#: A Chinese character in UTF-8 (3 bytes): where a UTF-8 line in a GBK file can be.
_UTF8_CJK_PAIR = re.compile(rb"[\xe2-\xe9][\x80-\xbf]{2}")


def _first_utf8_line(raw: bytes, start: int) -> tuple[int, int] | None:
    """(line, offset) of the first line after ``start`` that is non-ASCII and valid UTF-8, if any.

    In a GBK file such a line is a line saved in another encoding: GBK text with two
    or more Chinese characters is almost never valid UTF-8. Only lines holding a
    UTF-8-like character are decoded, so a GBK file is scanned at regex speed.
    """
    pos = start
    while (m := _UTF8_CJK_PAIR.search(raw, pos)) is not None:
        begin = raw.rfind(b"\n", 0, m.start()) + 1
        end = raw.find(b"\n", m.end())
        end = len(raw) if end < 0 else end
        try:
            if _chinese(raw[begin:end].decode("utf-8")) >= 2:
                return _line_of(raw, begin), begin
        except UnicodeDecodeError:
            pass
        pos = end + 1
    return None


#: Mixed-encoding search in GBK files: line by line, so only in files up to this size.
_MIXED_SCAN_BYTES = 64 * 2**20


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK); a decoding error names its line.

    A file whose lines are partly UTF-8 and partly GBK (two exports pasted together)
    decodes as neither; the message names the first line in the second encoding.
    """
    return decode_text_utf8(raw, file)[0]


def decode_text_utf8(raw: bytes, file: str) -> tuple[str, bool]:
    """:func:`decode_text`, and whether the text was UTF-8 (so ``raw`` minus a BOM is its UTF-8 form)."""
    try:
        return raw.decode("utf-8-sig"), True
    except UnicodeDecodeError as exc:
        bad = exc.start
    expected = tr("g.encoding.expected")
    line_start = raw.rfind(b"\n", 0, bad) + 1
    if _chinese(raw[:line_start].decode("utf-8", errors="replace")) >= 2:  # earlier lines are UTF-8 Chinese
        first = _line_of(raw, next(i for i, b in enumerate(raw[:line_start]) if b >= 0x80))
        raise InputError([Problem(tr("g.mixed", line=_line_of(raw, bad), first=first), file=file,
                                  expected=expected)])
    if len(raw) <= _MIXED_SCAN_BYTES:  # GBK from here on: a later UTF-8 line is another export pasted in
        found = _first_utf8_line(raw, line_start)
        if found is not None:
            raise InputError([Problem(tr("g.mixed_gbk", line=found[0], first=_line_of(raw, bad)), file=file,
                                      expected=expected)])
    try:
        return raw.decode("gb18030"), False
    except UnicodeDecodeError as exc:
        raise InputError([Problem(tr("g.undecodable", line=_line_of(raw, exc.start)), file=file,
                                  expected=expected)]) from None


# --- workbooks -------------------------------------------------------------------------

_DIMENSION = re.compile(rb'<dimension\s+ref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')
_ROW = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})\d')  # a literal start keeps the scan fast
#: A formula cell with no value or an empty one; ``t="str"`` with an empty value is Excel's saved "" result.
_FORMULA_NO_VALUE = re.compile(
    rb'<c\b([^>]*?)\sr="([A-Z]+\d+)"([^>]*)>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>')


def _column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part -> sheet name as the user sees it (falls back to the part's name)."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {m.group(1): m.group(2) for m in re.finditer(r'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"',
                                                            rels)}
    targets.update({m.group(2): m.group(1) for m in re.finditer(
        r'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', book):
        target = targets.get(m.group(2), "")
        part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        out[part] = m.group(1)
    return out


def _check_zip_sizes(zf: zipfile.ZipFile, file: str) -> None:
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    expected = tr("g.zip.expected")
    if total > MAX_UNCOMPRESSED_BYTES:
        biggest = max(infos, key=lambda i: i.file_size)
        detail = f"{biggest.filename}: {_mb(biggest.file_size)} MB"
        raise InputError([Problem(tr("g.unpacked", limit=_mb(MAX_UNCOMPRESSED_BYTES), detail=detail), file=file,
                                  expected=expected)])
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > _RATIO_FLOOR_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise InputError([Problem(tr("g.ratio", member=i.filename, ratio=f"{ratio:,.0f}"), file=file,
                                      expected=expected)])


class _SheetScan:
    """Running extent and formula cells of one worksheet's XML, fed chunk by chunk."""

    def __init__(self) -> None:
        self.rows = 0
        self.cols = 0
        self.formulas: list[str] = []
        self.n_formulas = 0

    def feed(self, chunk: bytes) -> None:
        last = chunk.rfind(b"<row ")
        if last >= 0:
            m = _ROW.match(chunk, last)
            if m:
                self.rows = max(self.rows, int(m.group(1)))
        refs = _WIDE_REF.findall(chunk)
        if refs:
            self.cols = max(self.cols, _column_number(max(refs, key=lambda r: (len(r), r))))
        if b"<f" in chunk:
            for m in _FORMULA_NO_VALUE.finditer(chunk):
                if m.group(4) and b't="str"' in m.group(1) + m.group(3):
                    continue  # a formula whose saved result is the empty string
                self.n_formulas += 1
                if len(self.formulas) < _FORMULA_CELLS_SHOWN:
                    self.formulas.append(m.group(2).decode())


def _refuse_area(file: str, sheet: str, rows: int, cols: int) -> None:
    if rows * cols > MAX_CELLS:
        raise InputError([Problem(tr("g.area", sheet=sheet, last=f"{_column_letters(cols)}{rows}", rows=rows,
                                     cols=cols, limit=MAX_CELLS), file=file, expected=tr("g.area.expected"))])
    if cols > MAX_COLUMNS:
        raise InputError([Problem(tr("g.wide", sheet=sheet, cols=cols, limit=MAX_COLUMNS), file=file,
                                  expected=tr("g.area.expected"))])


def _scan_sheet(zf: zipfile.ZipFile, part: str, file: str, sheet: str) -> _SheetScan:
    """One streaming pass; the rectangle is checked as soon as the dimension or a far cell shows it."""
    scan, read, tail, dim_cols = _SheetScan(), 0, b"", 0
    with zf.open(part) as stream:
        while block := stream.read(_CHUNK):
            read += len(block)
            if read > MAX_UNCOMPRESSED_BYTES:  # the zip directory lied about the size
                raise InputError([Problem(tr("g.unpacked", limit=_mb(MAX_UNCOMPRESSED_BYTES), detail=part),
                                          file=file, expected=tr("g.zip.expected"))])
            data = tail + block
            if read == len(block) and (m := _DIMENSION.search(data, 0, 4096)):
                dim_cols = _column_number(m.group(1))
                _refuse_area(file, sheet, int(m.group(2)), dim_cols)
            cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
            scan.feed(data[:cut])
            tail = data[cut:][-(1 << 20):]
            # without two-letter references every column is within A..Z
            _refuse_area(file, sheet, scan.rows, max(scan.cols, dim_cols or (26 if scan.rows else 0)))
    scan.feed(tail)
    return scan


def _formula_problem(file: str, sheet: str, scan: _SheetScan) -> Problem:
    where = f"{file}[{sheet}]"
    if scan.n_formulas == 1:
        message = tr("g.formula", cell=scan.formulas[0])
    else:
        cells = ", ".join(scan.formulas) + (", …" if scan.n_formulas > len(scan.formulas) else "")
        message = tr("g.formulas", n=scan.n_formulas, cells=cells)
    return Problem(message, file=where, expected=tr("g.formula.expected"))


def check_workbook(path: Path) -> None:
    """Refuse a zip-based workbook (.xlsx, .xlsm, .ods) that is a bomb, too large, or has unsaved formulas.

    Reads the zip directory, then streams each worksheet's XML once (never more than
    ``MAX_UNCOMPRESSED_BYTES``), tracking the last row, the widest column and formula
    cells without a cached value. A file that is not a zip is left to the reader.
    """
    file = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with zf:
        _check_zip_sizes(zf, file)
        names = _sheet_names(zf)
        problems = []
        listed = set(zf.namelist())
        parts = {n for n in listed if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)} | (set(names) & listed)
        for part in sorted(parts):  # worksheets where Excel puts them, and wherever the workbook says
            sheet = names.get(part, PurePosixPath(part).stem)
            scan = _scan_sheet(zf, part, file, sheet)
            if scan.n_formulas:
                problems.append(_formula_problem(file, sheet, scan))
        if problems:
            raise InputError(problems)
