"""Tables to Excel (xlsx) and CSV for analysts who rework them in Excel or WPS.

Every export is

* **neutralised** against formula injection (OWASP "CSV Injection"): text in any
  cell or header that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return (or their full-width forms, or any of them after leading spaces) is
  written with a leading apostrophe ``'``, so a district named
  ``=HYPERLINK(...)`` stays text;
* **disclosure-controlled** as a last line of defence: columns that count people
  (recognised by canonical or Chinese name) go through
  :func:`recruitstats.report.suppression.protect` with the rates beside them;
* **atomic**: written to a temporary file in the destination folder and renamed,
  so a failed export never leaves half a file;
* **readable**: thousands separators, percentages for rates, Chinese column
  labels with ``lang="zh"``, notes (the suppression mark, synthetic data) under
  each table.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from recruitstats.errors import InputError
from recruitstats.report.suppression import SUPPRESSED_MARK, check_threshold, protect
from recruitstats.schema import DERIVED_RATES, PANEL_COLUMNS, SUPPRESSION_THRESHOLD, SYNTHETIC_LABEL, canonical_name

__all__ = ["neutralise", "write_xlsx", "write_csv", "column_label", "FORMULA_PREFIXES"]

#: First characters that make Excel, WPS or LibreOffice read text as a formula (OWASP), with full-width forms.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_PEOPLE = {c.name for c in PANEL_COLUMNS if c.kind == "count" and c.unit == "persons"} - {"quota"}
_ID_LABELS = {"district": ("区县", "District"), "district_key": ("区县代码", "District key"),
              "year": ("年度", "Year"), "half": ("批次", "Half"), "city": ("地市", "City"),
              "province": ("省份", "Province"), "cycle": ("征集批次", "Cycle")}
_ID_TEXT = {label for pair in _ID_LABELS.values() for label in pair}
_BAD_SHEET = str.maketrans({c: "_" for c in "[]:*?/\\"})


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def column_label(name: object, lang: str = "zh") -> str:
    """The label of a canonical column in Chinese or English (other names unchanged)."""
    text = str(name)
    if text in _ID_LABELS:
        return _ID_LABELS[text][0 if lang == "zh" else 1]
    if lang == "zh":
        col = next((c for c in PANEL_COLUMNS if c.name == text), None)
        if col is not None:
            return col.label_zh
    return text


def _canonical(col: object) -> str | None:
    text = str(col)
    if text in _PEOPLE or text in DERIVED_RATES:
        return text
    return canonical_name(text)[0]


def _guard(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Hide small counts (and the rates on them) in columns recognised as counts of people."""
    names = {col: _canonical(col) for col in table.columns}
    counts = [col for col, name in names.items() if name in _PEOPLE]
    if not counts:
        return table
    by_name = {name: col for col, name in names.items() if name}
    ratios = {col: (by_name[DERIVED_RATES[name][0]], by_name[DERIVED_RATES[name][1]])
              for col, name in names.items() if name in DERIVED_RATES
              and DERIVED_RATES[name][0] in by_name and DERIVED_RATES[name][1] in by_name}
    guarded = protect(table, counts=counts, ratios=ratios, threshold=threshold)
    return guarded.formatted() if guarded.n_hidden else table


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return neutralise(str(value))


def _number_format(table: pd.DataFrame, col: object) -> str | None:
    explicit = table.attrs.get("formats", {}).get(col)
    if explicit:
        return explicit
    name = _canonical(col) or str(col)
    values = pd.to_numeric(table[col], errors="coerce").dropna()
    if values.empty:
        return None
    if name in _ID_LABELS or str(col) in _ID_TEXT:  # 2,016 is no year
        return "0"
    if name in _PEOPLE or (values == values.round()).all():
        return "#,##0"
    if name in DERIVED_RATES and DERIVED_RATES[name][1] != "quota" or name.endswith(("_rate", "_share")):
        return "0.00%"
    return "#,##0.00" if values.abs().max() >= 1000 else "0.000"


def _sheet_name(name: str, used: set[str]) -> str:
    base = (str(name).translate(_BAD_SHEET).strip("'") or "Sheet")[:31]
    out, i = base, 2
    while out.lower() in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out.lower())
    return out


def _width(values) -> int:
    def w(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return min(60, max([w(str(v)) for v in values if v is not None] + [6]) + 2)


def _write_sheet(ws, table: pd.DataFrame, lang: str, notes: list[str]) -> None:
    from openpyxl.styles import Alignment, Font

    headers = [neutralise(column_label(c, lang)) for c in table.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for j, col in enumerate(table.columns, start=1):
        fmt = _number_format(table, col)
        letter = ws.cell(row=1, column=j).column_letter
        for r in range(2, len(table) + 2):
            cell = ws.cell(row=r, column=j)
            if fmt and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = fmt
            elif cell.value == SUPPRESSED_MARK:
                cell.alignment = Alignment(horizontal="right")
        ws.column_dimensions[letter].width = _width([headers[j - 1]] + table.iloc[:, j - 1].tolist()[:200])
    ws.freeze_panes = "A2"
    for k, note in enumerate(notes):
        ws.cell(row=len(table) + 3 + k, column=1, value=neutralise(note)).font = Font(italic=True)


def _atomic(path: Path, write) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"the folder for {path.name} does not exist: {path.parent}", file=str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _notes(table: pd.DataFrame, synthetic: bool, extra: str | None) -> list[str]:
    notes = [SYNTHETIC_LABEL] if synthetic else []
    for note in (table.attrs.get("note"), extra):
        if note:
            notes.append(str(note))
    return notes


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: str | os.PathLike, *, lang: str = "zh",
               synthetic: bool = False, notes: Mapping[str, str] | None = None,
               threshold: int = SUPPRESSION_THRESHOLD, guard: bool = True) -> Path:
    """Write tables to one xlsx workbook, one sheet each, safely.

    Parameters
    ----------
    tables : sheet name -> table (already disclosure-controlled tables keep their ``*`` marks).
    path : the .xlsx file to write (replaced atomically).
    lang : ``"zh"`` (Chinese column labels for canonical columns) or ``"en"``.
    synthetic : the data are synthetic; every sheet says so.
    notes : sheet name -> a note written under its table (``table.attrs["note"]`` is written too).
    threshold : disclosure-control threshold for the last check of count columns.
    guard : hide small counts in columns named like counts of people (default);
        False only for tables of model quantities that count no one (a predicted
        "+3.2 applicants"). Formula neutralisation is never switched off.

    Returns
    -------
    The path written.
    """
    from openpyxl import Workbook

    if lang not in ("zh", "en"):
        raise InputError(f"lang must be 'zh' or 'en', not {lang!r}")
    if not tables:
        raise InputError("nothing to write: no tables")
    threshold = check_threshold(threshold)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, table in tables.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        _write_sheet(ws, _guard(table, threshold) if guard else table, lang, _notes(table, synthetic, (notes or {}).get(name)))
    return _atomic(Path(path), wb.save)


def write_csv(table: pd.DataFrame, path: str | os.PathLike, *, lang: str = "zh", synthetic: bool = False,
              threshold: int = SUPPRESSION_THRESHOLD, guard: bool = True, encoding: str = "utf-8-sig") -> Path:
    """Write one table as CSV (UTF-8 with BOM, which Excel and WPS open correctly), neutralised and atomic.

    A synthetic table gets a first line with the synthetic-data label; ``guard``
    as in :func:`write_xlsx`.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"lang must be 'zh' or 'en', not {lang!r}")
    guarded = _guard(table, check_threshold(threshold)) if guard else table

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            out = csv.writer(fh)
            if synthetic:
                out.writerow([SYNTHETIC_LABEL])
            out.writerow([neutralise(column_label(c, lang)) for c in guarded.columns])
            for row in guarded.itertuples(index=False):
                out.writerow(["" if (v := _cell(x)) is None else v for x in row])
    return _atomic(Path(path), write)
