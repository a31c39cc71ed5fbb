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


# --- the brief's workbook read back as a reader would: no small count across its sheets ----------

def _real_looking_panel(tmp_path: Path, returns: dict[str, list[int]]):
    """The sample without its synthetic label, a few districts' returns set to small counts over cycles."""
    from recruitstats.io import load_panel

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"
    raw = pd.read_csv(sample).drop(columns="data_source").sort_values(["year", "half"], kind="stable")
    for district, values in returns.items():
        rows = raw.index[raw["district"] == district]
        raw.loc[rows, "returned"] = 0
        raw.loc[rows[:len(values)], "returned"] = values
    raw.to_csv(tmp_path / "panel.csv", index=False)
    return load_panel(tmp_path / "panel.csv")


def _read_sheet(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    end = next((i for i, r in enumerate(rows) if all(v is None for v in r)), len(rows))
    return pd.DataFrame(rows[1:end], columns=rows[0])


def _workbook_sheets(path: Path, inputs, lang: str) -> dict:
    """The scorecard, funnel and league sheets of tables.xlsx as :class:`Sheet` for the auditor."""
    from recruitstats.report.scorecard import FUNNEL_STAGES, _stage_label
    from recruitstats.report.style import text
    from recruitstats.report.suppression import Sheet

    wb = load_workbook(path)
    keys = {"区县": "district", "年度": "year", "批次": "half"}
    card, league = inputs.scorecard, inputs.league
    stages = [s for s in FUNNEL_STAGES if s in card.funnel]
    return {
        "scorecard": Sheet(_read_sheet(wb[text("sheet.scorecard", lang)]), keys,
                           ratios={i.label(lang): (i.numerator, i.denominator) for i in card.scheme.indicators}),
        "funnel": Sheet(_read_sheet(wb[text("sheet.funnel", lang)]), keys,
                        counts={_stage_label(s, lang): s for s in stages}, chains=[stages]),
        "league": Sheet(_read_sheet(wb[text("sheet.league", lang)]), {"区县": "district"},
                        counts={"退兵人数": "returned", "批准入伍人数": "enlisted"},
                        ratios={"退兵率": ("returned", "enlisted")}),
    }


def test_tables_xlsx_reveals_no_small_count_across_its_sheets(tmp_path):
    """A district's league total of 5 over five cycles of 1 (each hidden in the funnel) would give each back."""
    from recruitstats.report.brief import collect
    from recruitstats.report.brief_render import write_tables_xlsx
    from recruitstats.report.suppression import find_disclosures

    returns = {"模拟区1-2": [1, 1, 1, 1, 1], "模拟区2-2": [2, 1, 2, 0, 1, 1], "模拟区3-5": [2, 2, 1, 2, 1, 1]}
    panel = _real_looking_panel(tmp_path, returns)
    assert not panel.attrs.get("synthetic")
    inputs = collect(panel)
    path = write_tables_xlsx(inputs, tmp_path / "tables.xlsx", lang="zh")
    sheets = _workbook_sheets(path, inputs, "zh")
    league = sheets["league"].table.set_index("区县")
    for district in returns:  # the league total would give the funnel's hidden cycles back: hidden too
        assert league.loc[district, "退兵人数"] == "*" and league.loc[district, "退兵率"] == "*"
    totals = {"returned": panel["returned"].sum()}  # the brief's pooled rate gives the grand total away
    assert find_disclosures(sheets, totals=totals) == []
    # the auditor does see what the sheets would give away with the totals shown
    shown = league.reset_index()
    full = inputs.league.unsuppressed().set_index("district")
    shown["退兵人数"] = [full.loc[d, "returned"] for d in shown["区县"]]
    leaky = {**sheets, "league": sheets["league"].__class__(shown, {"区县": "district"},
                                                           counts={"退兵人数": "returned"})}
    found = find_disclosures(leaky)
    assert any("district=模拟区1-2" in f and "= 1" in f for f in found), found
