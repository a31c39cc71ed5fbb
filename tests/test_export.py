"""xlsx and CSV export: formula neutralisation (OWASP), atomic writes, labels, formats, disclosure guard."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from recruitstats.errors import InputError
from recruitstats.report.export import neutralise, write_csv, write_xlsx

EVIL = '=HYPERLINK("http://example.com/x","click")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "  =cmd", "＝1", EVIL])
def test_formula_like_text_is_prefixed_with_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["模拟区1-1", "a=b", "", 5, -3.5, None])
def test_other_values_are_unchanged(value):
    assert neutralise(value) == value


def _table() -> pd.DataFrame:
    return pd.DataFrame({"district": [EVIL, "模拟区1-2", "-东区"], "year": [2021, 2021, 2021],
                         "enlisted": [1234.0, 560.0, 80.0], "returned": [3.0, 0.0, 9.0],
                         "return_rate": [3 / 1234, 0.0, 9 / 80], "@note": ["+x", "ok", None]})


def test_xlsx_neutralises_cells_and_headers_and_reads_back(tmp_path):
    path = write_xlsx({"表": _table()}, tmp_path / "t.xlsx", lang="zh", synthetic=True)
    ws = load_workbook(path)["表"]
    header = [c.value for c in ws[1]]
    assert header == ["区县", "年度", "批准入伍人数", "退兵人数", "return_rate", "'@note"]
    assert ws["A2"].value == "'" + EVIL and ws["A2"].data_type == "s"
    assert ws["A4"].value == "'-东区" and ws["F2"].value == "'+x"
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert ws["C2"].value == 1234 and ws["C2"].number_format == "#,##0"
    assert ws["B2"].value == 2021 and ws["B2"].number_format == "0"  # a year without a thousands separator
    assert ws["E4"].number_format == "0.00%"
    notes = [c.value for c in ws["A"] if c.value and "SYNTHETIC" in str(c.value)]
    assert notes


def test_xlsx_guard_hides_small_counts_and_their_rates(tmp_path):
    ws = load_workbook(write_xlsx({"t": _table()}, tmp_path / "t.xlsx", lang="en"))["t"]
    assert [c.value for c in ws[1]][:4] == ["District", "Year", "enlisted", "returned"]
    assert ws["D2"].value == "*" and ws["E2"].value == "*"    # 3 returned and 3/1234
    assert ws["D3"].value == 0 and ws["D4"].value == 9


def test_guard_can_be_switched_off_for_model_quantities_but_neutralisation_cannot(tmp_path):
    table = pd.DataFrame({"lever": ["=cmd", "stipend"], "applicants": [3.2, 40.0]})
    ws = load_workbook(write_xlsx({"t": table}, tmp_path / "t.xlsx", guard=False))["t"]
    assert ws["B2"].value == 3.2 and ws["A2"].value == "'=cmd"
    ws = load_workbook(write_xlsx({"t": table}, tmp_path / "t.xlsx"))["t"]
    assert ws["B2"].value == "*"


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"old")
    import openpyxl.workbook.workbook as wbmod

    def broken(self, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(wbmod.Workbook, "save", broken)
    with pytest.raises(OSError):
        write_xlsx({"t": _table()}, target)
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError):
        write_xlsx({"t": _table()}, tmp_path / "missing" / "t.xlsx")
    with pytest.raises(InputError):
        write_xlsx({"t": _table()}, tmp_path / "t.xlsx", lang="fr")
    with pytest.raises(InputError):
        write_xlsx({}, tmp_path / "t.xlsx")


def test_sheet_names_are_made_valid_and_unique(tmp_path):
    path = write_xlsx({"a/b": _table(), "a?b": _table(), "x" * 40: _table()}, tmp_path / "t.xlsx")
    names = load_workbook(path).sheetnames
    assert len(set(names)) == 3 and all(len(n) <= 31 and "/" not in n and "?" not in n for n in names)


def test_csv_is_neutralised_with_bom_and_synthetic_label(tmp_path):
    path = write_csv(_table(), tmp_path / "t.csv", lang="zh", synthetic=True)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert "SYNTHETIC" in rows[0][0]
    assert rows[1][:4] == ["区县", "年度", "批准入伍人数", "退兵人数"] and rows[1][5] == "'@note"
    assert rows[2][0] == "'" + EVIL and rows[2][3] == "*" and rows[4][0] == "'-东区"


def test_published_workbook_reveals_no_small_count(tmp_path):
    """Scorecard, funnel and league table written to xlsx (synthetic sample), read back as a reader would."""
    import numpy as np

    from recruitstats.io import load_panel
    from recruitstats.report.league import league_table
    from recruitstats.report.scorecard import scorecard

    panel = load_panel(Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv")
    card, league = scorecard(panel), league_table(panel)
    path = write_xlsx({"card": card.table("en"), "funnel": card.funnel_table("en"), "league": league.formatted("en")},
                      tmp_path / "tables.xlsx", lang="en", synthetic=True)
    wb = load_workbook(path)

    def frame(name):
        rows = [r for r in wb[name].iter_rows(values_only=True)]
        body = [r for r in rows[1:] if r[0] is not None and not str(r[0]).startswith(("SYNTHETIC", "*"))]
        out = pd.DataFrame(body, columns=rows[0]).astype(object)
        return out.where(out != "*", np.nan)

    funnel, card_sheet, lg = frame("funnel"), frame("card"), frame("league")
    counts = funnel.drop(columns=["District", "Year", "Half"]).apply(pd.to_numeric)
    assert not ((counts > 0) & (counts < 5)).any().any()
    rate = pd.to_numeric(card_sheet["Return rate"])
    recovered = (rate * pd.to_numeric(funnel["Enlisted"])).round()
    assert not ((recovered > 0) & (recovered < 5)).any() and rate.isna().sum() > 50
    returned = pd.to_numeric(lg["Returned"])
    assert not ((returned > 0) & (returned < 5)).any()
    by_rate = (pd.to_numeric(lg["Return rate"]) * pd.to_numeric(lg["Enlisted"])).round()
    assert not ((by_rate > 0) & (by_rate < 5)).any()
    rest = panel["returned"].sum() - returned.sum()  # the pooled total is published
    assert rest == 0 or rest >= 5
    assert any("SYNTHETIC" in str(c.value) for c in wb["league"]["A"])
