"""Signature rows under a form's table (填表人：张三 … 联系电话：…): dropped with one warning, never kept.

The walkthrough found that such a footer made the phone inside it a "phone number in column 年度"
(and --drop-personal then dropped the 年度 column), or made "row 103 年度 missing" errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import InputError, language  # noqa: E402
from recruitstats.io import readers  # noqa: E402
from recruitstats.io.readers import load_panel, read_table  # noqa: E402

PHONE = mf.FOOTER_PHONE


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))


@pytest.fixture(params=[".xlsx", ".csv-fast", ".csv-careful"])
def form(request, monkeypatch):
    """The file suffix, with the CSV read both ways (column-wise and the careful path)."""
    suffix = request.param
    if suffix.startswith(".csv"):
        monkeypatch.setattr(readers, "FAST_CSV", suffix == ".csv-fast")
        return ".csv"
    return suffix


def _panel() -> pd.DataFrame:
    return mf.small_panel()


@pytest.mark.parametrize("footer", [
    mf.FOOTER_ROWS,
    (("填表人：张三", f"联系电话：{PHONE}"),),          # the phone sits in the 年度 column
    (("填表人：", "张三", "审核人：", "李四"),),        # labels and names in separate cells
    (("填报日期：2025年1月5日",), ("注：本表数据截至2024年12月31日",)),  # no phone; one cell each
    (("Prepared by: Zhang San", "", f"Tel: {PHONE}"),),
    (("联系电话：", int(PHONE), "填表人：", "张三"),),  # the phone a number (Excel) in the 年度 column
])
def test_footer_rows_are_dropped_with_one_warning(tmp_path, form, footer, capsys):
    df = _panel()
    path = mf.write_footer_panel(df, tmp_path / f"office{form}", footer=footer)
    panel = load_panel(path)
    assert len(panel) == len(df)
    assert panel["year"].tolist() == df["year"].tolist() and panel["applicants"].tolist() == df["applicants"].tolist()
    first = len(df) + 2 + 1 + 1  # title, header, data, one blank row
    rows = str(first) if len(footer) == 1 else f"{first}-{first + len(footer) - 1}"
    en_rows = f"row {rows}" if len(footer) == 1 else f"rows {rows}"
    with language("en"):
        lines = [str(p) for p in panel.attrs["problems"]]
    footers = [ln for ln in lines if "footer" in ln]
    assert footers == [f"{path}: warning: footer {en_rows} dropped: " + footers[0].split("dropped: ")[1]]
    assert not [ln for ln in lines if "note row" in ln]  # one warning, not a note line beside it
    assert main(["validate", "--lang", "zh", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"表尾第 {rows} 行已去掉" in err and "个人信息" not in err
    assert PHONE not in err and "张三" not in err and "Zhang" not in err


def test_the_warning_names_the_signature_words_never_a_value(tmp_path):
    path = mf.write_footer_panel(_panel(), tmp_path / "office.xlsx")
    with language("en"):
        text = [str(p) for p in read_table(path).problems if "footer" in str(p)][0]
    assert "填表人, 审核人, 联系电话, 填报日期, 制表人" in text
    assert PHONE not in text and "张三" not in text and "2025" not in text


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_footer_phone_and_name_never_reach_the_store(tmp_path, suffix, capsys):
    path = mf.write_footer_panel(_panel(), tmp_path / "data" / f"office{suffix}" if False else
                                 tmp_path / f"office{suffix}")
    store = tmp_path / "store"
    assert main(["ingest", str(path), "--store", str(store)]) == 0
    out = capsys.readouterr()
    assert PHONE not in out.out + out.err and "张三" not in out.out + out.err
    for f in store.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert PHONE.encode() not in data and "张三".encode() not in data, f
    assert len(pd.read_parquet(store / "processed" / "panel.parquet")) == len(_panel())


def test_a_phone_in_a_data_row_is_still_refused(tmp_path, form):
    """A footer-like row followed by data is data; a phone in a data row's cell is refused."""
    df = _panel()
    path = tmp_path / f"office{form}"
    names = ["district", "year", "half", "eligible_youth", "applicants", "备注"]
    rows = [[mf.PANEL[n].label_zh if n in mf.PANEL else n for n in names]]
    for i, r in enumerate(df.itertuples(index=False)):
        note = f"联系电话：{PHONE}" if i == 3 else ""
        rows.append([r.district, str(r.year), str(r.half), mf.plain(r.eligible_youth), mf.plain(r.applicants), note])
    _write(rows, path)
    with pytest.raises(InputError) as err:
        load_panel(path)
    with language("en"):
        text = str(err.value)
    assert "column '备注': error: personal data (phone numbers in 1 cell)" in text and PHONE not in text


def test_a_phone_in_a_data_column_under_a_district_is_refused(tmp_path, form):
    """A row whose key columns hold data is never a footer, whatever its first cell says."""
    df = _panel()
    path = tmp_path / f"office{form}"
    rows = [["区县", "年度", "征集批次", "应征报名人数"]]
    rows += [[r.district, str(r.year), str(r.half), mf.plain(r.applicants)] for r in df.itertuples(index=False)]
    rows.append(["联系人：甲区", "2021", "1", PHONE])  # looks signed, but has a year and half
    _write(rows, path)
    result = read_table(path)
    assert not any(p.kind == "footer" for p in result.problems)
    assert any("personal data" in p.message or "个人信息" in p.message for p in result.errors)


def test_footer_above_data_is_not_dropped(tmp_path, form):
    """Only rows after the last data row are a footer: a signed row in the middle stays and is reported."""
    df = _panel()
    path = tmp_path / f"office{form}"
    rows = [["区县", "年度", "征集批次", "应征报名人数"]]
    body = [[r.district, str(r.year), str(r.half), mf.plain(r.applicants)] for r in df.itertuples(index=False)]
    rows += body[:5] + [["填表人：张三", "", "审核人：李四", ""]] + body[5:]
    _write(rows, path)
    result = read_table(path)
    assert not any(p.kind == "footer" for p in result.problems)
    assert any(p.row == 7 and p.severity == "error" for p in result.problems)  # its year and half are missing


def test_footer_detection_is_the_same_on_both_csv_paths(tmp_path, monkeypatch):
    path = mf.write_footer_panel(_panel(), tmp_path / "office.csv")
    got = []
    for fast in (True, False):
        monkeypatch.setattr(readers, "FAST_CSV", fast)
        result = read_table(path)
        got.append((result.data.to_dict("list"), [tuple(p) for p in result.problems],
                    np.asarray(result.rows).tolist(), result.copy.personal))
    assert got[0] == got[1]
    assert got[0][3] is True  # the signed file is not kept as sent


def _write(rows: list[list[str]], path: Path) -> None:
    if path.suffix == ".xlsx":
        pd.DataFrame(rows).to_excel(path, header=False, index=False)
    else:
        pd.DataFrame(rows).to_csv(path, header=False, index=False, encoding="utf-8")
