"""Generators of hostile and broken files the readers must refuse quickly (written to temporary folders only).

Each is small on disk: the far-cell workbook is a few hundred bytes, the zip bomb
about a megabyte that unpacks to ~600 MB, the wide and long CSVs a few MB. The
workbooks are written part by part with :mod:`zipfile` and :mod:`zlib` (the zip
bomb's sheet is one deflate block repeated, so it is made in a fraction of a
second), not with the package's code.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _member(name: str, data: bytes, *, raw: tuple[bytes, int, int] | None = None) -> tuple:
    """(name, deflated bytes, crc32, uncompressed size)."""
    if raw is not None:
        return (name, *raw)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def write_zip(path: Path, members: list[tuple]) -> Path:
    """A zip of deflated members, each given as (name, deflated, crc32, size), written by hand."""
    out, central = bytearray(), bytearray()
    for name, comp, crc, size in members:
        fname = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0800, 8, 0, 0x21, crc, len(comp), size,
                           len(fname), 0) + fname + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0800, 8, 0, 0x21, crc, len(comp),
                               size, len(fname), 0, 0, 0, 0, 0, offset) + fname
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def write_xlsx(path: Path, sheet_xml: str | None = None, *, sheet_raw: tuple[bytes, int, int] | None = None
               ) -> Path:
    """A minimal one-sheet workbook with the given sheet XML (or a pre-deflated sheet part)."""
    members = [_member("[Content_Types].xml", CONTENT_TYPES.encode()),
               _member("_rels/.rels", ROOT_RELS.encode()),
               _member("xl/workbook.xml", WORKBOOK.encode()),
               _member("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.encode()),
               _member("xl/worksheets/sheet1.xml", (sheet_xml or "").encode(), raw=sheet_raw)]
    return write_zip(path, members)


def _rows(cells: list[list[tuple[str, str]]]) -> str:
    """Sheet rows from [[(ref, inline text or number)]]."""
    out = []
    for cells_of_row in cells:
        r = "".join(ch for ch in cells_of_row[0][0] if ch.isdigit())
        parts = []
        for ref, value in cells_of_row:
            if isinstance(value, str) and not value.lstrip("-").isdigit():
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
        out.append(f'<row r="{r}">{"".join(parts)}</row>')
    return "".join(out)


def far_cell_xlsx(path: Path, *, dimension: str | None = "XFD1048576") -> Path:
    """A workbook whose only cell is XFD1048576 (with the dimension Excel writes, or none, or a lying one)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    xml = (SHEET_HEAD + dim + '<sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
           '</worksheet>')
    return write_xlsx(path, xml)


def zip_bomb_xlsx(path: Path, *, unpacked_mb: int = 600) -> Path:
    """A workbook whose sheet unpacks to ``unpacked_mb`` MB from about a megabyte.

    One megabyte of empty cells is deflated once, ended with a full flush (so the
    block stands alone), and repeated; the crc is computed over the repeats.
    """
    block = b"<c/>" * (2**20 // 4)
    head = (SHEET_HEAD + '<sheetData><row r="1">').encode()
    tail = b"</row></sheetData></worksheet>"
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    end = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(unpacked_mb):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    deflated = first + body * unpacked_mb + end
    return write_xlsx(path, sheet_raw=(deflated, crc, len(head) + len(block) * unpacked_mb + len(tail)))


def formula_xlsx(path: Path) -> Path:
    """A panel whose C7 and C8 hold formulas without saved values (as some generators write them)."""
    rows = [[("A1", "区县"), ("B1", "年度"), ("C1", "征集批次"), ("D1", "适龄青年数")]]
    for r in range(2, 9):
        rows.append([(f"A{r}", f"第{r}区"), (f"B{r}", "2021"), (f"C{r}", "1"), (f"D{r}", "100")])
    xml = _rows(rows)
    for r in (7, 8):  # C7, C8: a formula and an empty cached value instead of the half
        xml = xml.replace(f'<c r="C{r}"><v>1</v></c>', f'<c r="C{r}"><f>1+0</f><v></v></c>')
    sheet = SHEET_HEAD + '<dimension ref="A1:D8"/><sheetData>' + xml + "</sheetData></worksheet>"
    return write_xlsx(path, sheet)


def good_xlsx(path: Path) -> Path:
    """A small valid panel written the same way (the generators themselves work)."""
    rows = [[("A1", "区县"), ("B1", "年度"), ("C1", "征集批次"), ("D1", "适龄青年数")]]
    rows += [[(f"A{r}", f"第{r}区"), (f"B{r}", "2021"), (f"C{r}", "1"), (f"D{r}", "100")] for r in range(2, 6)]
    sheet = SHEET_HEAD + '<dimension ref="A1:D5"/><sheetData>' + _rows(rows) + "</sheetData></worksheet>"
    return write_xlsx(path, sheet)


def wide_csv(path: Path, columns: int = 1_000_000) -> Path:
    """A CSV whose header has a million columns (2 MB)."""
    path.write_bytes("区县,".encode() + b"x," * (columns - 2) + b"x\n")
    return path


def long_line_csv(path: Path, megabytes: int = 3) -> Path:
    """A valid header, then one line of ``megabytes`` MB with no line break."""
    path.write_bytes("区县,年度,征集批次\n甲区,2021,1\n".encode() + b"a" * (megabytes * 2**20) + b"\n")
    return path


def mixed_encoding_csv(path: Path, *, gbk_line: int = 5) -> Path:
    """UTF-8 lines with one line (``gbk_line``, 1-based) saved in GBK."""
    lines = ["区县,年度,征集批次,适龄青年数"] + [f"第{i}区,2021,1,{100 + i}" for i in range(2, 9)]
    raw = [ln.encode("gbk") if i + 1 == gbk_line else ln.encode("utf-8") for i, ln in enumerate(lines)]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return path


def gbk_then_utf8_csv(path: Path, *, utf8_line: int = 6) -> Path:
    """GBK lines with one line (``utf8_line``) saved in UTF-8 (two exports pasted together)."""
    lines = ["区县,年度,征集批次,适龄青年数"] + [f"第{i}区,2021,1,{100 + i}" for i in range(2, 9)]
    raw = [ln.encode("utf-8") if i + 1 == utf8_line else ln.encode("gbk") for i, ln in enumerate(lines)]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return path


def year_1900_csv(path: Path) -> Path:
    """A panel with year 1900 in row 3 (Excel's day zero) and 2999 in row 4."""
    path.write_text("区县,年度,征集批次,适龄青年数\n甲区,2021,1,100\n乙区,1900,1,100\n丙区,2999,1,100\n",
                    encoding="utf-8")
    return path


#: name -> (writer, words the refusal message must contain)
HOSTILE: dict[str, tuple] = {
    "far_cell.xlsx": (far_cell_xlsx, ("XFD1048576",)),
    "far_cell_no_dimension.xlsx": (lambda p: far_cell_xlsx(p, dimension=None), ("XFD1048576",)),
    "far_cell_lying_dimension.xlsx": (lambda p: far_cell_xlsx(p, dimension="A1:B2"), ("XFD1048576",)),
    "zip_bomb.xlsx": (zip_bomb_xlsx, ("unpacks to more than",)),
    "formula.xlsx": (formula_xlsx, ("C7", "C8", "formula with no saved value", "open and save")),
    "wide.csv": (wide_csv, ("line 1 has 1,000,000 columns",)),
    "long_line.csv": (long_line_csv, ("line 3 is 3,145,728 bytes long",)),
    "mixed_encoding.csv": (mixed_encoding_csv, ("line 5 is not UTF-8", "mixes text encodings")),
    "gbk_then_utf8.csv": (gbk_then_utf8_csv, ("line 6 is UTF-8", "mixes text encodings")),
    "year_1900.csv": (year_1900_csv, ("year outside 1990-",)),
}


def write_hostile_files(folder: Path) -> dict[str, Path]:
    """Write every hostile file into ``folder``; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: writer(folder / name) for name, (writer, _) in HOSTILE.items()}
