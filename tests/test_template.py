"""The Excel template: fully Chinese or English, instructions, one example row, data validation, comments."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from recruitstats.cli import main
from recruitstats.io import load_panel, read_table
from recruitstats.schema import PANEL_COLUMNS

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
def written(tmp_path):
    def write(lang: str):
        out = tmp_path / f"t_{lang}.xlsx"
        assert main(["template", "--lang", lang, str(out)]) == 0
        return out
    return write


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref).split(":")[0].rstrip("0123456789"): dv for dv in ws.data_validations.dataValidation}


def test_chinese_template_is_chinese_throughout(written):
    wb = load_workbook(written("zh"))
    assert wb.sheetnames == ["数据", "说明", "数据字典"]
    data, help_sheet, dictionary = wb.worksheets
    headers = [c.value for c in data[1]]
    assert all(_CJK.search(h) and not _ENGLISH_WORD.search(h) for h in headers), headers
    assert "宣传经费（元）" in headers and "适龄青年数（人）" in headers and "征集批次" in headers
    for cell in data[1]:
        assert cell.comment is not None and "用途" in cell.comment.text and _CJK.search(cell.comment.text)
    texts = [c.value for c in help_sheet["A"] if c.value]
    assert len(texts) >= 8 and all(_CJK.search(t) for t in texts)
    assert all(_CJK.search(str(c.value)) for c in dictionary[1])
    types = {str(row[3].value) for row in dictionary.iter_rows(min_row=2, max_row=len(PANEL_COLUMNS) + 1)}
    assert not any(_ENGLISH_WORD.search(t) for t in types), types


def test_english_template_is_english(written):
    wb = load_workbook(written("en"))
    assert wb.sheetnames == ["panel", "instructions", "dictionary"]
    data = wb.worksheets[0]
    headers = [c.value for c in data[1]]
    assert headers[:3] == ["province", "city", "district"] and "publicity_spend (yuan)" in headers
    assert "unit: yuan" in data.cell(row=1, column=headers.index("publicity_spend (yuan)") + 1).comment.text
    assert all(not _CJK.search(t) or "示例" in t for t in (c.value for c in wb["instructions"]["A"] if c.value))


@pytest.mark.parametrize(("lang", "halves"), [("zh", '"上半年,下半年"'), ("en", '"H1,H2"')])
def test_data_validation(written, lang, halves):
    ws = load_workbook(written(lang)).worksheets[0]
    rules = _validations(ws)
    letter = {c.name: ws.cell(row=1, column=j + 1).column_letter for j, c in enumerate(PANEL_COLUMNS)}
    assert rules[letter["half"]].type == "list" and rules[letter["half"]].formula1 == halves
    for name in ("applicants", "door_visits", "quota"):
        dv = rules[letter[name]]
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    for name in ("publicity_spend", "family_allowance"):
        assert rules[letter[name]].type == "decimal"
    assert rules[letter["year"]].formula1 == "1990"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_blank_template_has_an_example_row_that_is_not_data(written, lang, capsys):
    out = written(lang)
    ws = load_workbook(out).worksheets[0]
    district = [c.value for c in ws[2]][2]
    assert district.startswith("示例" if lang == "zh" else "Example") and ws.cell(row=2, column=3).font.i
    df = load_panel(out)
    assert len(df) == 0 and df.attrs["problems"] == []
    # nothing can be analysed: an error, exit 2, as run says (docs/run.md)
    assert main(["validate", "--lang", "en", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error: no data rows" in err and "nothing can be analysed" in err and "OK" not in err
    assert "Traceback" not in err
    assert main(["validate", "--lang", "zh", str(out)]) == 2
    err = capsys.readouterr().err
    assert "错误：没有数据行" in err and "无法分析" in err and "通过" not in err


def test_filled_template_counts_rows_below_and_an_overwritten_example(written):
    out = written("zh")
    wb = load_workbook(out)
    ws = wb.worksheets[0]
    ws.cell(row=3, column=3, value="甲区")
    ws.cell(row=3, column=5, value=2024)
    ws.cell(row=3, column=6, value="下半年")
    wb.save(out)
    result = read_table(out)
    assert result.ok and result.data["district"].tolist() == ["甲区"]  # example row still skipped
    ws.cell(row=2, column=3, value="乙区")  # the example overwritten: now data, with its example figures
    wb.save(out)
    result = read_table(out)
    assert result.ok and sorted(result.data["district"]) == ["乙区", "甲区"]
    assert result.data.loc[result.data["district"] == "乙区", "half"].tolist() == [1]


def test_template_messages_follow_lang(tmp_path, capsys):
    existing = tmp_path / "t.xlsx"
    existing.write_bytes(b"keep me")
    assert main(["template", "--lang", "zh", str(existing)]) == 2
    assert "文件已存在" in capsys.readouterr().err
    assert main(["template", "--lang", "en", str(existing)]) == 2
    assert "the file exists" in capsys.readouterr().err
