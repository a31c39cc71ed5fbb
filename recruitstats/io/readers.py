"""Readers for the spreadsheets offices send: CSV, Excel and the processed parquet store.

The reader finds the header row under any title rows (and a group row above or
below it, as merged Excel headers make), maps Chinese or English headers to the
canonical names of :mod:`recruitstats.schema`, drops totals and note rows,
parses every cell the way offices write them (:mod:`recruitstats.io.numbers`),
refuses personal data (:mod:`recruitstats.io.privacy`) and checks the panel
rules (:mod:`recruitstats.io.validate`). Every doubtful cell becomes a
:class:`~recruitstats.errors.Problem` located by the row number the user sees in
the spreadsheet and the column header as written.

Opening files and finding the table are in :mod:`recruitstats.io.sheets`, typing
the columns in :mod:`recruitstats.io.columns`; this module holds the entry points.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.io import privacy
from recruitstats.io.columns import Kind, _assemble, _Col, _Ctx, _detect_kind, _excel_letter, _map_columns
from recruitstats.io.sheets import (_HEADER_SCAN_ROWS, CYCLE_HEADERS, CsvTable, TextColumn, _csv_grid, _csv_table,
                                    _data_rows, _find_header, _header_layout, _read_csv_text, _read_excel_grid)
from recruitstats.io.validate import validate_panel, validate_recruits
from recruitstats.schema import PANEL, RECRUITS, canonical_name

__all__ = ["ReadResult", "SourceRows", "CleanCopy", "read_table", "load_panel", "load_recruits", "SUPPORTED_SUFFIXES",
           "write_typed_parquet", "typed_parquet_marker", "typed_parquet_stamp",
           "CYCLE_HEADERS"]

register_messages({
    "r.no_file": {"en": "no such file", "zh": "文件不存在"},
    "r.folder": {"en": "this is a folder, not a data file", "zh": "这是文件夹，不是数据文件"},
    "r.suffix": {"en": "cannot read files ending in '{suffix}'", "zh": "无法读取扩展名为“{suffix}”的文件"},
    "r.suffix.none": {"en": "(none)", "zh": "（无）"},
    "r.suffix.expected": {"en": "a .csv, .xlsx (Excel) or .parquet file", "zh": ".csv、.xlsx（Excel）或 .parquet 文件"},
    "r.empty": {"en": "the file is empty", "zh": "文件是空的"},
    "r.no_header": {"en": "no header row found in the first {n} rows", "zh": "前 {n} 行中没有找到表头行"},
    "r.no_header.expected": {"en": "column names such as 区县, 年度, 征集批次 (or district, year, half)",
                             "zh": "区县、年度、征集批次（或 district、year、half）等列名"},
    "r.parquet": {"en": "not a readable parquet file", "zh": "无法读取的 parquet 文件"},
    "r.recruit_file": {"en": "this is a recruit-records file (one row per recruit; columns {columns}); {what} "
                             "a panel (one row per district and cycle)",
                       "zh": "这是新兵名册文件（每名新兵一行；含 {columns} 等列）；{what}面板数据（每个区县每个征集批次一行）"},
    "r.recruit_file.what": {"en": "fit, run, scorecard and brief need", "zh": "fit、run、scorecard 和 brief 需要"},
    "r.recruit_file.purpose": {"en": "{purpose} needs", "zh": "{purpose} 需要"},
    "r.recruit_file.expected": {"en": "the panel file (e.g. panel.csv); recruit records are read with "
                                      "load_recruits or ingested with `recruitstats ingest`",
                                "zh": "面板数据文件（如 panel.csv）；新兵名册用 load_recruits 读取，或用 "
                                      "`recruitstats ingest` 导入"},
})

#: Read clean CSV files column-wise (pyarrow) when they allow it; False forces the careful path everywhere
#: (the tests compare the two).
FAST_CSV = True

#: File name endings the readers accept, and how each is read.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".ods": "excel",
    ".parquet": "parquet",
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
    copy : the table as found minus personal columns, with pseudonymised ids (what the store keeps).
    """

    data: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    source: str = ""
    kind: Kind = "panel"
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    headers: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False
    copy: "CleanCopy | None" = field(default=None, repr=False, compare=False)

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
        if isinstance(rows, np.ndarray) and rows.dtype.kind in "iu":
            return super().__new__(cls, rows.tolist())
        return super().__new__(cls, (int(r) for r in rows))

    def __deepcopy__(self, memo: dict) -> "SourceRows":
        return self

    def __repr__(self) -> str:
        return f"SourceRows({list(self[:5])}{'...' if len(self) > 5 else ''}, n={len(self)})"


@dataclass
class CleanCopy:
    """The table as found, minus personal columns and with pseudonymised ids: what the store keeps.

    ``personal`` is True when anything personal was found (columns dropped, ids
    pseudonymised, ID or phone numbers in title or note rows), so the file as
    sent must not be kept. :meth:`write_csv` writes a UTF-8 CSV that reads back
    to the same table, with the header and data rows at their original row numbers.
    """

    labels: list[str]
    units: list[str]
    columns: list[list | TextColumn]  # a CSV read column-wise keeps its text columns
    rows: np.ndarray
    header_row: int
    personal: bool = False
    pseudonymised: bool = False

    def pseudonymise(self, label: str, values: list) -> None:
        """Put the pseudonyms in place of the ids of column ``label``."""
        j = self.labels.index(label)
        self.columns[j] = list(values)
        self.personal = self.pseudonymised = True

    @classmethod
    def of_frame(cls, df: pd.DataFrame) -> "CleanCopy":
        """A copy of a canonical table (one header row, data from row 2)."""
        rows = np.arange(len(df), dtype=np.int64) + 2
        return cls([str(c) for c in df.columns], [""] * df.shape[1],
                   [df[c].astype(object).tolist() for c in df.columns], rows, 1)

    def write_csv(self, path: str | os.PathLike) -> None:
        import csv

        width = len(self.labels)
        cols = [c.tolist() if isinstance(c, TextColumn) else _cell_strings(c) for c in self.columns]
        with open(path, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            line = self.header_row - 1
            fh.write("\r\n" * line)
            out.writerow(self.labels)
            line += 1
            if any(self.units):
                out.writerow(self.units)
                line += 1
            for i, number in enumerate(self.rows.tolist()):
                if number - 1 > line:
                    fh.write("\r\n" * (number - 1 - line))
                    line = number - 1
                out.writerow([cols[j][i] for j in range(width)])
                line += 1


def _cell_strings(values: list) -> list[str]:
    """Cells as text that reads back to the same value (Excel dates as ISO dates, whole doubles without .0)."""
    import datetime as dt

    from recruitstats.io.numbers import cell_text, is_missing

    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif is_missing(v):
            out.append("")
        elif isinstance(v, (bool, np.bool_)):
            out.append("TRUE" if v else "FALSE")
        elif isinstance(v, dt.datetime):
            out.append(v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" "))
        elif isinstance(v, dt.date):
            out.append(v.isoformat())
        else:
            out.append(cell_text(v))
    return out


def _outside_table_personal(grid: list[list[object]], start: int, numbers: list[int]) -> bool:
    """Whether title, note or totals rows (not kept as data) hold an ID or phone number."""
    kept = set(numbers)
    cells = [c for i, row in enumerate(grid) if i + 1 not in kept for c in row if c not in ("", None)]
    return bool(privacy.scan_values(cells))


# --- typed parquet (the store's processed tables) ------------------------------------

#: Written into the parquet metadata of tables the store makes; bump when the typing changes.
TYPED_PARQUET_VERSION = "1"
_MARKER = b"recruitstats"


def _contract_digest() -> str:
    import hashlib

    text = repr([(c.name, c.kind) for c in (*PANEL.values(), *RECRUITS.values())])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def typed_parquet_stamp() -> str:
    """The version a typed parquet must carry to be loaded without parsing (changes with the contract)."""
    return f"{TYPED_PARQUET_VERSION}/{_contract_digest()}"


def write_typed_parquet(df: pd.DataFrame, path: str | os.PathLike, *, kind: Kind, synthetic: bool) -> None:
    """Write a canonical table with a marker that lets :func:`read_table` load it as it is."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    df = df.copy(deep=False)
    df.attrs = {}
    table = pa.Table.from_pandas(df, preserve_index=False)
    marker = json.dumps({"stamp": typed_parquet_stamp(), "kind": kind, "synthetic": bool(synthetic)})
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _MARKER: marker.encode()})
    pq.write_table(table, path)


def typed_parquet_marker(path: str | os.PathLike) -> dict | None:
    """The store's marker of a parquet file when it is current, else None."""
    import json

    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
        marker = json.loads(meta[_MARKER]) if _MARKER in meta else None
    except Exception:  # not parquet, or damaged: the slow path reports it
        return None
    if not isinstance(marker, dict) or marker.get("stamp") != typed_parquet_stamp():
        return None
    return marker


def _read_typed(path: Path, marker: dict, needed: Sequence[str]) -> ReadResult:
    """A table the store wrote: loaded as it is (already parsed and checked), needed columns checked."""
    from recruitstats.io.validate import locate

    df = pd.read_parquet(path)
    rows = np.arange(len(df), dtype=np.int64) + 2
    problems: list[Problem] = []
    for name in needed:
        if name in df:
            missing = np.flatnonzero(df[name].isna().to_numpy())
            problems += locate([(int(rows[i]), tr("c.missing")) for i in missing], file=str(path), column=name,
                               expected=tr("c.required"))
    return ReadResult(df, problems, str(path), marker.get("kind", "panel"), rows, {c: c for c in df.columns},
                      bool(marker.get("synthetic", False)))


# --- opening files -----------------------------------------------------------

def _check_path(path: Path) -> str:
    if not path.exists():
        raise InputError(tr("r.no_file"), file=str(path))
    if path.is_dir():
        raise InputError(tr("r.folder"), file=str(path))
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError([Problem(tr("r.suffix", suffix=path.suffix or tr("r.suffix.none")), file=str(path),
                                  expected=tr("r.suffix.expected"))])
    if path.stat().st_size == 0:
        raise InputError(tr("r.empty"), file=str(path))
    return fmt


# --- reading ----------------------------------------------------------------------

def _personal(labels: list[str], units: list[str], columns: list[list], *, file: str, header_row: int,
              kind: Kind | None, drop: bool) -> tuple[list[str], list[str], list[list], list[Problem], bool]:
    """Find personal columns by header and by value; drop them (``drop``) or report them as errors."""
    numbered = [j for j, lab in enumerate(labels) if lab and privacy.scan_values([lab])]
    for j in numbered:  # a header that is itself an ID or phone: named by its letter, never quoted
        labels = labels[:j] + [f"column {_excel_letter(j)}"] + labels[j + 1:]
    found = privacy.personal_columns([lab for lab in labels if lab])
    found.update({labels[j]: "phone" for j in numbered})
    ids = _id_columns(labels, kind)
    named = [lab or f"column {_excel_letter(j)}" for j, lab in enumerate(labels)]
    scan = [j for j, lab in enumerate(labels) if lab not in found and j not in ids]
    hits = privacy.scan_columns([named[j] for j in scan], [columns[j] for j in scan])
    problems = privacy.personal_problems(found, file=file, row=header_row, drop=drop)
    problems += privacy.value_problems(hits, file=file, drop=drop)
    gone = set(found) | set(hits)
    if not gone:
        return labels, units, columns, problems, False
    keep = [j for j, lab in enumerate(named) if lab not in gone]
    return [labels[j] for j in keep], [units[j] for j in keep], [columns[j] for j in keep], problems, True


def _id_columns(labels: list[str], kind: Kind | None) -> set[int]:
    """Positions of the recruit id column (pseudonymised, not refused) in a recruit file."""
    probe = [_Col(lab, None, "", []) for lab in labels if lab]
    if (kind or _detect_kind(probe)) != "recruits":
        return set()
    return {j for j, lab in enumerate(labels) if lab and canonical_name(lab)[0] == "recruit_id"}


def _from_columns(labels: list[str], units: list[str], columns: list[list], rows: np.ndarray, *,
                  file: str, header_row: int, kind: Kind | None, drop_personal: bool,
                  needed: Sequence[str], key, data_dir: Path | None, screened: bool = False) -> ReadResult:
    """The canonical table of raw columns; ``screened``: :func:`_no_personal_data` has found nothing."""
    if screened:
        problems, personal = [], False
    else:
        labels, units, columns, problems, personal = _personal(
            labels, units, columns, file=file, header_row=header_row, kind=kind, drop=drop_personal)
    if personal and not drop_personal:  # refused: do not even parse the rest
        kind = kind or _detect_kind([_Col(lab, None, "", []) for lab in labels if lab])
        return ReadResult(pd.DataFrame(), problems, file, kind, rows)
    copy = CleanCopy(labels, units, columns, rows, header_row, personal)
    probe = [_Col(lab, None, "", []) for lab in labels if lab]
    kind = kind or _detect_kind(probe)
    table = PANEL if kind == "panel" else RECRUITS
    cols, col_problems = _map_columns(labels, units, columns, file, header_row, table)
    problems += col_problems
    required = {n for n, c in table.items() if c.required} | set(needed)
    ctx = _Ctx(file, kind, rows, frozenset(required), problems)
    data, headers = _assemble(ctx, cols, table, header_row)
    _long_numbers_as_text(cols, data)
    if kind == "recruits" and "recruit_id" in data:
        _pseudonymise_ids(ctx, data, headers, key, data_dir, copy)
    rules = validate_panel if kind == "panel" else validate_recruits
    ctx.problems += rules(data, file=file, rows=rows, headers=headers)
    return ReadResult(data, _one_error_per_cell(ctx.problems), file, kind, rows, headers, copy=copy)


def _long_numbers_as_text(cols: list[_Col], data: pd.DataFrame) -> None:
    """Unknown columns of digit strings longer than a double holds (16+ digits) stay text, exactly."""
    for c in cols:
        if c.name is None and c.label in data and data[c.label].dtype.kind == "f":
            found = c.uniques()
            cells = found[0] if found is not None else c.values
            if any(isinstance(v, str) and len(v.strip()) >= 16 and v.strip().isdigit() for v in cells):
                text = np.array([v.strip() if isinstance(v, str) and v.strip() else np.nan for v in cells]
                                + [np.nan], dtype=object)[:-1]  # the extra item keeps a 1-d object array
                data[c.label] = text[found[1]] if found is not None else text


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


def _pseudonymise_ids(ctx: _Ctx, data: pd.DataFrame, headers: dict, key, data_dir: Path | None,
                      copy: CleanCopy) -> None:
    """Replace ID-like recruit ids (every id of the column, so they stay comparable) by keyed pseudonyms."""
    ids = data["recruit_id"].tolist()
    if not privacy.looks_like_personal_id(ids).any() and not privacy.scan_values(ids):
        return  # (an id with a phone inside other text is personal too: the whole column is hashed)
    column = headers.get("recruit_id", "recruit_id")
    try:
        secret, temporary = privacy.load_key(key, data_dir=data_dir)
    except InputError as exc:
        ctx.problems += exc.problems
        return
    data["recruit_id"] = privacy.pseudonymise(ids, secret)
    copy.pseudonymise(column, data["recruit_id"].tolist())
    ctx.problems.append(Problem(tr("p.ids"), file=ctx.file, column=column, severity="warning"))
    if temporary:
        ctx.problems.append(Problem(tr("p.ids.temporary"), file=ctx.file, column=column, severity="warning"))
    if any(isinstance(v, str) and "e+" in v.lower() for v in ids[:10000]):
        ctx.problems.append(Problem(tr("p.ids.numbers"), file=ctx.file, column=column, severity="warning",
                                    expected=tr("p.ids.numbers.expected")))


def _is_synthetic(cells: Sequence[object]) -> bool:
    return any(isinstance(c, str) and ("SYNTHETIC" in c.upper() or "模拟数据" in c) for c in cells)


def _no_personal_data(labels: list[str], columns: list[TextColumn], kind: Kind | None) -> bool:
    """True when :func:`_personal` would find nothing: no personal header, and no cell that could hold an
    ID or a phone number (9+ characters or non-ASCII) holds one."""
    if any(lab and privacy.scan_values([lab]) for lab in labels):
        return False
    if privacy.personal_columns([lab for lab in labels if lab]):
        return False
    ids = _id_columns(labels, kind)
    return not any(privacy.scan_values(col.long_or_wide()) for j, col in enumerate(columns) if j not in ids)


def _read_csv_table(table: CsvTable, file: str, data_dir: Path, **options) -> ReadResult | None:
    """A CSV file whose table :func:`_csv_table` found, typed column-wise; None if it holds personal data
    (the careful path refuses or drops it and says where)."""
    if not _no_personal_data(table.labels, table.columns, options["kind"]):
        return None
    result = _from_columns(table.labels, table.units, table.columns, table.numbers, file=file,
                           header_row=table.header_row, data_dir=data_dir, screened=True, **options)
    result.problems[:0] = table.dropped
    outside = [c for row in table.outside for c in row if c not in ("", None)]
    if result.copy is not None:  # footer rows sign names: the file as sent is not kept either
        result.copy.personal |= bool(privacy.scan_values(outside)) or _signed(table.dropped)
    _mark_synthetic(result, [c for row in table.head[:table.header_row - 1] for c in row])
    return result


def _signed(dropped: list[Problem]) -> bool:
    """Whether footer rows (signatures: 填表人 张三) were dropped from the table."""
    return any(p.kind == "footer" for p in dropped)


def _mark_synthetic(result: ReadResult, title: list[object]) -> None:
    result.synthetic = _is_synthetic(title) or any(
        _is_synthetic(result.data[c].head(3).tolist()) for c in result.data.columns
        if result.data[c].dtype == object)


def _read_grid_table(path: Path, fmt: str, sheet, **options) -> ReadResult:
    file = str(path)
    if fmt == "csv":
        text, delimiter, utf8 = _read_csv_text(path)
        table = _csv_table(text, delimiter, file, utf8) if FAST_CSV else None
        del utf8
        result = None if table is None else _read_csv_table(table, file, path.parent, **options)
        if result is not None:
            return result
        grid, where = _csv_grid(text, delimiter, file), file
        del text
    else:
        grid, sheet_name = _read_excel_grid(path, sheet)
        where = f"{file}[{sheet_name}]" if sheet is not None else file
    h = _find_header(grid)
    if h is None:
        raise InputError([Problem(tr("r.no_header", n=_HEADER_SCAN_ROWS), file=where,
                                  expected=tr("r.no_header.expected"))])
    width = max(len(r) for r in grid[h:])  # data wider than the header is kept, not cut off
    labels, units, start = _header_layout(grid, h, width)
    title = [c for row in grid[:h] for c in row]
    kept, numbers, dropped = _data_rows(grid, start, width, where, labels)
    outside = _outside_table_personal(grid, start, numbers)
    del grid  # the cells live on in the columns; free the row lists before parsing
    columns = [list(c) for c in zip(*kept)] if kept else [[] for _ in range(width)]
    del kept
    result = _from_columns(labels, units, columns, np.asarray(numbers, dtype=np.int64), file=where,
                           header_row=h + 1, data_dir=path.parent, **options)
    result.problems[:0] = dropped
    if result.copy is not None:  # footer rows sign names: the file as sent is not kept either
        result.copy.personal |= outside or _signed(dropped)
    _mark_synthetic(result, title)
    return result


def _read_parquet_table(path: Path, *, typed: bool = True, **options) -> ReadResult:
    marker = typed_parquet_marker(path) if typed else None
    if marker is not None:
        return _read_typed(path, marker, options["needed"])
    try:
        df = pd.read_parquet(path)
    except Exception:
        raise InputError([Problem(tr("r.parquet"), file=str(path))]) from None
    labels = [str(c) for c in df.columns]
    columns = [df[c].astype(object).tolist() for c in df.columns]
    rows = np.arange(len(df), dtype=np.int64) + 2  # as if written to a sheet with the header in row 1
    result = _from_columns(labels, [""] * len(labels), columns, rows, file=str(path), header_row=1,
                           data_dir=path.parent, **options)
    result.synthetic = "SYNTHETIC" in str(df.attrs).upper()
    return result


def read_table(path: str | os.PathLike, *, kind: Kind | None = None, sheet: str | int | None = None,
               drop_personal: bool = False, needed: Sequence[str] = (),
               key: bytes | str | os.PathLike | None = None, typed: bool = True) -> ReadResult:
    """Read a panel or recruit file and report every problem, without raising for bad cells.

    Parameters
    ----------
    path : a .csv (UTF-8, UTF-8 with BOM, GBK, GB18030), .xlsx or .parquet file.
    kind : "panel" or "recruits"; None decides from the headers.
    sheet : Excel sheet name or 0-based index; None takes the first sheet with a header row.
    drop_personal : drop columns of personal data instead of refusing the file.
    needed : further columns whose missing values and placeholders are errors, not warnings.
    key : pseudonym key (bytes) or key file for ID-like recruit ids; see :mod:`recruitstats.io.privacy`.
    typed : load a processed table the store wrote (typed parquet with a current marker) as it is,
        without parsing or checking again; False reads it like any other file (ingest does).

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
        return _read_parquet_table(p, typed=typed, **options)
    return _read_grid_table(p, fmt, sheet, **options)


#: Columns only recruit records have; two of them in a file given as a panel mark it as recruit records.
RECRUIT_MARKERS: tuple[str, ...] = ("recruit_id", "enlist_date", "exit_date", "exit_reason", "birth_date",
                                    "observed_until", "pretrain_score", "college_status")


def recruit_file_problem(labels: Sequence[str], *, file: str, purpose: str | None = None) -> Problem | None:
    """The problem to report when headers given where a panel is needed are those of recruit records."""
    found = [lab for lab in labels if canonical_name(lab)[0] in RECRUIT_MARKERS]
    names = {canonical_name(lab)[0] for lab in found}
    if len(names) < 2:  # one alone may be a panel's own extra column (编号 numbering the rows)
        return None
    what = tr("r.recruit_file.purpose", purpose=purpose) if purpose else tr("r.recruit_file.what")
    return Problem(tr("r.recruit_file", columns=tr("list.sep").join(found[:3]), what=what), file=file,
                   expected=tr("r.recruit_file.expected"))


def load_panel(path: str | os.PathLike, *, sheet: str | int | None = None, drop_personal: bool = False,
               needed: Sequence[str] = (), purpose: str | None = None) -> pd.DataFrame:
    """Read a panel file into the canonical panel.

    Parameters
    ----------
    path : .csv, .xlsx or .parquet file, Chinese or English headers.
    sheet : Excel sheet name or 0-based index (default: the first sheet with a header row).
    drop_personal : drop personal-data columns instead of refusing the file.
    needed : columns a later step needs in every row (their placeholders become errors).
    purpose : the command that needs the panel ("fit"), named when the file holds recruit records.

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
    labels = [str(c) for c in result.data.columns] + list(result.headers.values())
    wrong = recruit_file_problem(labels, file=str(path), purpose=purpose)
    if wrong is not None:  # before the panel rules, which would call each recruit a second row of a cycle
        raise InputError([wrong])
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
