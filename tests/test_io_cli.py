"""The validate, ingest and template commands: exit codes, messages, nothing written on refusal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.io import load_panel, read_table  # noqa: E402
from recruitstats.schema import PANEL_COLUMNS, data_dictionary  # noqa: E402


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_reads_back_as_an_empty_valid_panel(tmp_path, lang, capsys):
    out = tmp_path / f"template_{lang}.xlsx"
    assert main(["template", "--lang", lang, str(out)]) == 0
    df = load_panel(out)
    assert len(df) == 0 and df.attrs["problems"] == []
    assert list(df.columns) == [c.name for c in PANEL_COLUMNS]
    assert df["year"].dtype == "int64" and df["eligible_youth"].dtype == "float64"
    assert main(["validate", str(out)]) == 2  # readable, but no data rows: nothing to analyse (as run says)
    err = capsys.readouterr().err  # validate's whole report is on stderr
    assert "error: no data rows" in err and "OK: 0 rows" not in err


def test_template_has_units_validation_and_dictionary(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    main(["template", "--lang", "zh", str(out)])
    wb = load_workbook(out)
    data, _instructions, dictionary = wb.worksheets
    headers = [c.value for c in data[1]]
    assert "宣传经费（元）" in headers and "适龄青年数（人）" in headers and "征集批次" in headers
    rules = {str(dv.sqref).split(":")[0][:-1]: dv for dv in data.data_validations.dataValidation}
    half_letter = data.cell(row=1, column=headers.index("征集批次") + 1).column_letter
    assert rules[half_letter].formula1 == '"上半年,下半年"'
    count_letter = data.cell(row=1, column=headers.index("应征报名人数（人）") + 1).column_letter
    assert rules[count_letter].type == "whole" and rules[count_letter].formula1 == "0"
    assert rules[count_letter].operator == "greaterThanOrEqual"
    assert dictionary.max_row >= len(data_dictionary("panel")) + 1
    assert [c.value for c in dictionary[1]] == ["列名", "中文列名", "也可写作", "类型", "单位", "用途"]


def test_filled_template_is_read(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    main(["template", "--lang", "en", str(out)])
    wb = load_workbook(out)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    row = {"district": "A", "year": 2021, "half": 1, "publicity_spend (yuan)": 5000,
           "unemployment_rate (%)": 5.2, "district_code": "012345"}
    for name, value in row.items():
        ws.cell(row=2, column=headers.index(name) + 1, value=value)
    wb.save(out)
    df = load_panel(out)
    assert df["publicity_spend"].tolist() == [5000.0] and df["unemployment_rate"].tolist() == [0.052]
    assert df["district_code"].tolist() == ["012345"]


def test_template_refusals_write_nothing(tmp_path, capsys):
    existing = tmp_path / "t.xlsx"
    existing.write_bytes(b"keep me")
    assert main(["template", str(existing)]) == 2
    assert existing.read_bytes() == b"keep me"
    assert main(["template", str(tmp_path / "t.csv")]) == 2
    assert not (tmp_path / "t.csv").exists()
    assert main(["template", "--force", str(existing)]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_bad_inputs_exit_2_without_traceback(tmp_path, capsys):
    files = mf.write_bad_files(tmp_path)
    store = tmp_path / "store"
    for name, path in files.items():
        assert main(["validate", str(path)]) == 2, name
        assert main(["ingest", str(path), "--store", str(store)]) == 2, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and path.name in err, name
    assert not store.exists()
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in files.values() if p.exists())  # no store, no lock file


def test_validate_several_files_and_kinds(tmp_path, capsys):
    good = mf.write_rule_break(tmp_path / "good.csv", None)
    bad = mf.write_rule_break(tmp_path / "bad.csv", "half_1_or_2")
    assert main(["validate", str(good), str(bad)]) == 2
    out = capsys.readouterr()
    assert "good.csv: OK: 4 rows" in out.err and "bad.csv: row 5: column '征集批次': error" in out.err
    assert main(["validate", "--kind", "panel", str(good)]) == 0


def test_ingest_command_reports(tmp_path, capsys):
    good = mf.write_rule_break(tmp_path / "good.csv", None)
    store = tmp_path / "store"
    assert main(["ingest", str(good), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "added raw/good.csv" in out and "panel.parquet: 4 rows" in out
    assert read_table(store / "processed" / "panel.parquet").ok
