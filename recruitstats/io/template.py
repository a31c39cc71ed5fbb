"""The Excel form an office fills in: panel headers with units, checks, and the data dictionary.

Written with openpyxl. The first sheet has one header row (Chinese or English
names with their units in brackets) and Excel data validation on the first
``rows`` data rows: half must be 1 or 2, counts whole and not negative, money
and percentages not negative. The district code column is formatted as text so
leading zeros survive. The second sheet is the data dictionary generated from
:mod:`recruitstats.schema`. The package's own reader reads the blank form back
as an empty, valid panel.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from recruitstats.errors import InputError, Problem
from recruitstats.schema import PANEL_COLUMNS, PANEL_RULES, Column, data_dictionary

__all__ = ["write_template", "template_headers"]

_UNIT_ZH = {"persons": "人", "copies": "份", "messages": "条", "posts": "条", "pieces": "幅", "events": "场",
            "contacts": "人次", "visits": "人次", "yuan": "元", "yuan per year": "元/年", "%": "%"}
_SHEETS = {"zh": ("数据", "数据字典"), "en": ("panel", "dictionary")}


def template_headers(lang: Literal["zh", "en"] = "zh") -> list[str]:
    """The header row of the template: 宣传经费（元） / publicity_spend (yuan), ..."""
    out = []
    for col in PANEL_COLUMNS:
        if lang == "zh":
            unit = _UNIT_ZH.get(col.unit, col.unit)
            out.append(f"{col.label_zh}（{unit}）" if unit else col.label_zh)
        else:
            out.append(f"{col.name} ({col.unit})" if col.unit else col.name)
    return out


def _validation(col: Column, lang: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    zh = lang == "zh"
    if col.kind == "half":
        dv = DataValidation(type="list", formula1='"1,2"', allow_blank=True)
        dv.error = "填 1（上半年）或 2（下半年）" if zh else "enter 1 (spring) or 2 (autumn)"
    elif col.kind == "integer":
        dv = DataValidation(type="whole", operator="between", formula1="1949", formula2="2100", allow_blank=True)
        dv.error = "填四位年份，如 2021" if zh else "enter a year such as 2021"
    elif col.kind == "count":
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = "填不小于 0 的整数" if zh else "enter a whole number, 0 or more"
    elif col.kind == "money":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        dv.error = "填不小于 0 的金额（元）" if zh else "enter an amount in yuan, 0 or more"
    elif col.kind == "percent":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
        dv.error = "填百分数，如 5.2" if zh else "enter a percentage such as 5.2"
    else:
        return None
    dv.showErrorMessage = True
    dv.errorTitle = "recruitstats"
    return dv


def _panel_sheet(ws, lang: str, rows: int) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for j, (col, header) in enumerate(zip(PANEL_COLUMNS, template_headers(lang)), start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = Font(bold=True)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = max(12, min(30, 2 * len(header)))
        dv = _validation(col, lang)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{rows + 1}")
            ws.add_data_validation(dv)
        if col.kind == "code":  # text, so leading zeros survive
            for r in range(2, rows + 2):
                ws.cell(row=r, column=j).number_format = "@"
    ws.freeze_panes = "A2"


def _dictionary_sheet(ws, lang: str) -> None:
    from openpyxl.styles import Font

    rows = data_dictionary("panel")
    ws.append(list(rows[0]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(list(r.values()))
    ws.append([])
    ws.append(["规则" if lang == "zh" else "rule", "说明" if lang == "zh" else "description"])
    for rule, text in PANEL_RULES:
        ws.append([rule, text])
    for letter, width in zip("ABCDEF", (22, 22, 40, 10, 16, 50)):
        ws.column_dimensions[letter].width = width


def write_template(path: str | os.PathLike, *, lang: Literal["zh", "en"] = "zh", rows: int = 1000,
                   overwrite: bool = False) -> Path:
    """Write the panel template workbook.

    Parameters
    ----------
    path : the .xlsx file to write.
    lang : "zh" (Chinese headers and messages) or "en".
    rows : data rows that carry Excel data validation.
    overwrite : replace an existing file (refused otherwise).

    Returns
    -------
    Path of the file written.
    """
    from openpyxl import Workbook

    out = Path(path)
    if lang not in _SHEETS:
        raise InputError([Problem(f"unknown language '{lang}'", expected="zh or en")])
    if out.suffix.lower() != ".xlsx":
        raise InputError([Problem("the template is an Excel workbook", file=str(out), expected="a name ending in .xlsx")])
    if out.is_dir() or (out.exists() and not overwrite):
        raise InputError([Problem("the file exists; nothing written", file=str(out),
                                  expected="a new file name, or --force to replace it")])
    wb = Workbook()
    data_name, dict_name = _SHEETS[lang]
    wb.active.title = data_name
    _panel_sheet(wb.active, lang, rows)
    _dictionary_sheet(wb.create_sheet(dict_name), lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
