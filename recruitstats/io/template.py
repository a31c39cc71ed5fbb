"""The Excel form an office fills in, entirely in Chinese or in English.

Written with openpyxl. Three sheets: the data sheet (one header row with units in
brackets, a comment on each header saying what the column means, its unit and
what it is used for, one example row, and Excel data validation on the first
``rows`` rows: a drop-down 上半年/下半年 for the call-up half, whole numbers >= 0
for counts, decimals >= 0 for money, years in a plausible range), the
instructions (说明) and the data dictionary generated from
:mod:`recruitstats.schema`. The example row's district cell starts with 示例
(Example): the reader skips such a row, so a blank template reads as an empty
panel, and a row whose district has been overwritten is read as data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from recruitstats.errors import MESSAGES, InputError, Problem, register_messages, tr
from recruitstats.schema import MIN_YEAR, PANEL_COLUMNS, PANEL_RULES, Column, data_dictionary

__all__ = ["write_template", "template_headers", "EXAMPLE_ROW", "INSTRUCTIONS"]

_UNIT_ZH = {"persons": "人", "copies": "份", "messages": "条", "posts": "条", "pieces": "幅", "events": "场",
            "contacts": "人次", "visits": "人次", "yuan": "元", "yuan per year": "元/年", "%": "%"}
_SHEETS = {"zh": ("数据", "说明", "数据字典"), "en": ("panel", "instructions", "dictionary")}
_LAST_YEAR_IN_FORM = 2100  # Excel's check only; the reader refuses years after next year

#: What each "needed for" of the contract says, in Chinese.
_NEEDED_ZH = {
    "optional": "可选", "always (the panel key with year, half)": "必填（与年度、批次一起确定一行）",
    "optional; when present it is the key, and names may change over time": "可选；填写后作为区县的标识，区县改名不受影响",
    "always": "必填", "always; 1 = spring (上半年), 2 = autumn (下半年)": "必填；上半年或下半年",
    "sign-up model (exposure)": "报名模型（分母）", "scorecard": "“五率”考评", "sign-up model (outcome)": "报名模型（结果）",
    "scorecard, funnel": "“五率”考评、征集环节分析", "funnel": "征集环节分析",
    "discharge model (exposure), scorecard": "退兵模型（分母）、“五率”考评",
    "discharge model (outcome), scorecard": "退兵模型（结果）、“五率”考评", "publicity lever": "宣传杠杆",
    "publicity detail": "宣传细项", "stipend lever": "优待金杠杆", "stipend detail": "优待金细项",
    "outreach lever": "入户动员杠杆", "outreach detail": "动员细项", "discharge detail": "退兵细项",
    "stipend lever (denominator)": "优待金杠杆（与工资相比）", "optional control": "可选的控制变量",
}
_KIND_ZH = {"text": "文字", "code": "6 位数字代码", "integer": "整数", "half": "上半年/下半年", "count": "不小于 0 的整数",
            "money": "金额", "percent": "百分数", "number": "数字"}

#: The example row (row 2). Its district starts with 示例/Example, which the reader skips.
EXAMPLE_ROW: dict[str, object] = {
    "district": None, "district_code": "110101", "year": 2025, "half": None, "eligible_youth": 5000,
    "quota": 60, "applicants": 600, "medical_examined": 180, "medical_passed": 120, "political_passed": 90,
    "pretrain_eliminated": 2, "enlisted": 60, "enlisted_college": 30, "enlisted_graduates": 12, "returned": 0,
    "publicity_spend": 50000, "brochures": 3000, "sms": 20000, "online_posts": 40, "posters": 200,
    "family_allowance": 20000, "college_bonus": 10000, "door_visits": 800, "counselors_trained": 15,
    "exemplar_talks": 6, "followup_contacts": 55, "avg_wage": 80000, "unemployment_rate": 5.2,
}
_EXAMPLE_TEXT = {"zh": {"district": "示例：某某区（此行是示例，读取时跳过；改写区县后按数据读取）", "half": "上半年"},
                 "en": {"district": "Example: Some district (an example row, skipped; overwrite the district "
                                    "to use it)", "half": "H1"}}
_HALF_LIST = {"zh": '"上半年,下半年"', "en": '"H1,H2"'}

#: The instructions sheet, one paragraph per row.
INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "zh": (
        "征兵数据填报说明（recruitstats 模板）",
        "1. 在“数据”表中，每个区县每个征集批次填一行，例如 2025 年上半年、2025 年下半年各一行。",
        "2. 第 2 行是示例（灰色斜体），读取时跳过。可以删除；也可以直接覆盖，改写“区县”后该行按数据读取。",
        "3. 区县、年度、征集批次必须填写；其他各列不知道的留空，不要填“XX”“待定”“—”。",
        "4. 人数、次数填不小于 0 的整数；金额以元为单位；城镇调查失业率填百分数，如 5.2。",
        "5. 征集批次从下拉列表选“上半年”或“下半年”。2020 年以前每年只征一次兵，填“下半年”。",
        f"6. 年度填四位年份（{MIN_YEAR} 年以后）。行政区划代码填 6 位数字，已设为文本格式，开头的 0 会保留。",
        "7. 不要填写姓名、身份证号、电话、住址等个人信息；含有个人信息的文件会被拒绝。",
        "8. 不要加合计行（程序自行计算合计）。不要用公式；如用了公式，请在 Excel 或 WPS 中保存后再提交。",
        "9. 每列的含义、单位和用途见表头的批注（鼠标移到表头上）和“数据字典”表。",
        "10. 填好后可以先检查：recruitstats validate 文件名.xlsx（不会修改文件）。",
    ),
    "en": (
        "How to fill in the recruitment panel (recruitstats template)",
        "1. On the 'panel' sheet, fill in one row per district and call-up cycle, e.g. one row for 2025 H1 "
        "and one for 2025 H2.",
        "2. Row 2 is an example (grey italics) and is skipped when the file is read. Delete it, or overwrite "
        "it: once its district is overwritten the row is read as data.",
        "3. district, year and half are required; leave any other figure you do not know empty (do not write "
        "XX, TBD or a dash).",
        "4. Counts are whole numbers, 0 or more; money is in yuan; the unemployment rate is a percentage such "
        "as 5.2.",
        "5. Choose the half from the drop-down list: H1 (spring call-up) or H2 (autumn). Before 2020 there "
        "was one call-up a year: use H2.",
        f"6. The year has four digits (from {MIN_YEAR} on). The district code has 6 digits; the column is "
        "text, so leading zeros are kept.",
        "7. Do not enter names, ID numbers, phone numbers or addresses: files with personal data are refused.",
        "8. Do not add totals rows (the package computes totals). Avoid formulas; if you use them, save the "
        "file in Excel or WPS before sending it.",
        "9. Each column's meaning, unit and use is in its header comment (hover over the header) and on the "
        "'dictionary' sheet.",
        "10. Check the filled file with: recruitstats validate FILE.xlsx (it changes nothing).",
    ),
}

register_messages({
    "t.lang": {"en": "unknown language '{lang}'", "zh": "不支持的语言“{lang}”"},
    "t.lang.expected": {"en": "zh or en", "zh": "zh 或 en"},
    "t.xlsx": {"en": "the template is an Excel workbook", "zh": "模板是 Excel 工作簿"},
    "t.xlsx.expected": {"en": "a name ending in .xlsx", "zh": "以 .xlsx 结尾的文件名"},
    "t.exists": {"en": "the file exists; nothing written", "zh": "文件已存在，未写入"},
    "t.exists.expected": {"en": "a new file name, or --force to replace it", "zh": "新的文件名，或用 --force 覆盖"},
})


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


def _comment_text(col: Column, lang: str) -> str:
    if lang == "zh":
        parts = [f"{col.label_zh}（{col.name}）", f"类型：{_KIND_ZH.get(col.kind, col.kind)}"]
        if col.unit:
            parts.append(f"单位：{_UNIT_ZH.get(col.unit, col.unit)}")
        parts.append(f"用途：{_NEEDED_ZH.get(col.needed_for, col.needed_for)}")
        if len(col.aliases) > 1:
            parts.append("也可写作：" + "、".join(col.aliases))
        return "\n".join(parts)
    parts = [f"{col.name} ({col.label_zh})", f"type: {col.kind}"]
    if col.unit:
        parts.append(f"unit: {col.unit}")
    parts.append(f"used for: {col.needed_for}")
    return "\n".join(parts)


def _validation(col: Column, lang: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    zh = lang == "zh"
    if col.kind == "half":
        dv = DataValidation(type="list", formula1=_HALF_LIST[lang], allow_blank=True)
        dv.error = "从列表中选择 上半年 或 下半年" if zh else "choose H1 (spring) or H2 (autumn)"
    elif col.kind == "integer":
        dv = DataValidation(type="whole", operator="between", formula1=str(MIN_YEAR),
                            formula2=str(_LAST_YEAR_IN_FORM), allow_blank=True)
        dv.error = "填四位年份，如 2025" if zh else "enter a year such as 2025"
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


def _header_row(ws, lang: str) -> None:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for j, (col, header) in enumerate(zip(PANEL_COLUMNS, template_headers(lang)), start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = Font(bold=True)
        comment = Comment(_comment_text(col, lang), "recruitstats")
        comment.width, comment.height = 260, 140
        cell.comment = comment
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(30, 2 * len(header)))


def _example_row(ws, lang: str) -> None:
    from openpyxl.styles import Font

    grey = Font(italic=True, color="808080")
    for j, col in enumerate(PANEL_COLUMNS, start=1):
        value = _EXAMPLE_TEXT[lang].get(col.name, EXAMPLE_ROW.get(col.name))
        cell = ws.cell(row=2, column=j, value=value)
        cell.font = grey


def _panel_sheet(ws, lang: str, rows: int) -> None:
    from openpyxl.utils import get_column_letter

    _header_row(ws, lang)
    _example_row(ws, lang)
    for j, col in enumerate(PANEL_COLUMNS, start=1):
        letter = get_column_letter(j)
        dv = _validation(col, lang)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{rows + 1}")
            ws.add_data_validation(dv)
        if col.kind == "code":  # text, so leading zeros survive
            for r in range(2, rows + 2):
                ws.cell(row=r, column=j).number_format = "@"
    ws.freeze_panes = "A2"


def _instructions_sheet(ws, lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    for i, text in enumerate(INSTRUCTIONS[lang], start=1):
        cell = ws.cell(row=i, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i == 1:
            cell.font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 110


_DICT_HEADERS_ZH = {"column": "列名", "中文": "中文列名", "aliases": "也可写作", "type": "类型", "unit": "单位",
                    "needed for": "用途"}


def _dictionary_sheet(ws, lang: str) -> None:
    from openpyxl.styles import Font

    rows = data_dictionary("panel")
    zh = lang == "zh"
    ws.append([_DICT_HEADERS_ZH[k] if zh else k for k in rows[0]])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        if zh:
            r = {**r, "type": _KIND_ZH.get(r["type"], r["type"]), "unit": _UNIT_ZH.get(r["unit"], r["unit"]),
                 "needed for": _NEEDED_ZH.get(r["needed for"], r["needed for"]), "aliases": r["aliases"].replace(", ", "、")}
        ws.append(list(r.values()))
    ws.append([])
    ws.append(["规则" if zh else "rule", "说明" if zh else "description"])
    for rule, text in PANEL_RULES:
        ws.append([rule, MESSAGES[f"rule.{rule}"]["zh"] if zh else text])
    for letter, width in zip("ABCDEF", (22, 22, 40, 16, 16, 50)):
        ws.column_dimensions[letter].width = width


def _check_target(out: Path, lang: str, overwrite: bool) -> None:
    if lang not in _SHEETS:
        raise InputError([Problem(tr("t.lang", lang=lang), expected=tr("t.lang.expected"))])
    if out.suffix.lower() != ".xlsx":
        raise InputError([Problem(tr("t.xlsx"), file=str(out), expected=tr("t.xlsx.expected"))])
    if out.is_dir() or (out.exists() and not overwrite):
        raise InputError([Problem(tr("t.exists"), file=str(out), expected=tr("t.exists.expected"))])


def write_template(path: str | os.PathLike, *, lang: Literal["zh", "en"] = "zh", rows: int = 1000,
                   overwrite: bool = False) -> Path:
    """Write the panel template workbook.

    Parameters
    ----------
    path : the .xlsx file to write.
    lang : "zh" (everything in Chinese) or "en" (everything in English).
    rows : data rows that carry Excel data validation.
    overwrite : replace an existing file (refused otherwise).

    Returns
    -------
    Path of the file written.
    """
    from openpyxl import Workbook

    import recruitstats.io.validate  # noqa: F401  (registers the rule texts used on the dictionary sheet)

    out = Path(path)
    _check_target(out, lang, overwrite)
    wb = Workbook()
    data_name, help_name, dict_name = _SHEETS[lang]
    wb.active.title = data_name
    _panel_sheet(wb.active, lang, rows)
    _instructions_sheet(wb.create_sheet(help_name), lang)
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
