"""Readers: the messy corpus of tests/messy_files.py, and the key acceptance test."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.errors import InputError  # noqa: E402
from recruitstats.io import ingest, load_panel, load_recruits, read_table  # noqa: E402


@pytest.fixture(autouse=True)
def _key_outside_home(tmp_path, monkeypatch):
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_same_panel_three_ways_gives_identical_processed_data(tmp_path):
    """THE acceptance test: clean English CSV, Chinese GBK CSV with 万元 and ％, messy Excel."""
    base = mf.base_panel()
    files = {
        "a": mf.write_english_csv(base, tmp_path / "panel_en.csv"),
        "b": mf.write_chinese_csv(base, tmp_path / "panel_zh_gbk.csv"),
        "c": mf.write_messy_excel(base, tmp_path / "panel_messy.xlsx"),
    }
    assert "万元" in files["b"].read_bytes().decode("gbk") and "％" in files["b"].read_bytes().decode("gbk")
    processed = {}
    for name, path in files.items():
        ingest([path], tmp_path / f"store_{name}")
        processed[name] = pd.read_parquet(tmp_path / f"store_{name}" / "processed" / "panel.parquet")
    pd.testing.assert_frame_equal(processed["a"], processed["b"])
    pd.testing.assert_frame_equal(processed["a"], processed["c"])
    # and all equal the panel as plain pandas reads the clean file (an independent reader)
    expected = base.copy()
    for col in expected.columns:
        if expected[col].dtype == object:
            expected[col] = expected[col].astype(object).where(expected[col].notna(), None)
    pd.testing.assert_frame_equal(processed["a"], expected, check_dtype=True)


def test_gbk_rare_character_needs_gb18030(tmp_path):
    path = mf.write_rare_character_csv(tmp_path / "rare.csv")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("gbk")
    df = load_panel(path)
    assert df["district"].tolist() == [mf.RARE_DISTRICT, "某区"]
    assert df["half"].tolist() == [1, 2] and df["applicants"].tolist() == [120.0, 80.0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = "区县,年度,征集批次,应征报名人数\n海淀区,2021,上半年,120\n"
    if encoding == "utf-16":
        text = text.replace(",", "\t")  # Excel's "Unicode text" export
    df = load_panel(_write(tmp_path / "p.csv", text, encoding))
    assert df["district"].tolist() == ["海淀区"] and df["applicants"].tolist() == [120.0]


def test_canonical_dtypes(tmp_path):
    df = load_panel(mf.write_english_csv(mf.small_panel(), tmp_path / "p.csv"))
    assert df["year"].dtype == np.int64 and df["half"].dtype == np.int64
    assert df["district_code"].tolist()[0] == "320101"
    for col in ("eligible_youth", "publicity_spend", "unemployment_rate"):
        assert df[col].dtype == np.float64
    assert df.attrs["source"].endswith("p.csv") and df.attrs["problems"] == []


def test_title_rows_merged_headers_totals_and_notes(tmp_path):
    text = ("2021年某市征兵统计表\n填报单位：某市人武部\n"
            ",基本情况,,兵员征集,\n"
            "区(县),年度,批次,报名人数（人）,宣传经费（万元）,备注\n"
            "甲区,2021,上半年,100,1.5,x\n"
            "乙区,2021,下半年,200,2.25,\n"
            "合计,,,300,3.75,\n"
            "注：数据截至12月\n")
    result = read_table(_write(tmp_path / "m.csv", text))
    assert result.ok
    df = result.data
    assert df["district"].tolist() == ["甲区", "乙区"]
    assert df["publicity_spend"].tolist() == [15000.0, 22500.0]
    assert df["备注"].tolist()[0] == "x"  # unknown extra columns kept
    rows = {p.row: p.message for p in result.warnings}
    assert "totals row" in rows[7]
    footer = [p.message for p in result.warnings if p.kind == "footer"]  # the note under the table
    assert len(footer) == 1 and footer[0].startswith("footer row 8 dropped: 注…")


def test_cells_beyond_the_header_are_kept(tmp_path):
    text = "区县,年度,征集批次\n甲区,2021,1,surprise\n"
    result = read_table(_write(tmp_path / "w.csv", text))
    assert result.data["column D"].tolist() == ["surprise"]
    assert any(p.column == "column D" for p in result.warnings)


def test_repeated_header_rows_are_dropped(tmp_path):
    text = "区县,年度,征集批次,应征报名人数\n甲区,2021,1,100\n区县,年度,征集批次,应征报名人数\n乙区,2021,1,90\n"
    result = read_table(_write(tmp_path / "r.csv", text))
    assert result.ok and result.data["district"].tolist() == ["甲区", "乙区"]
    assert [p.row for p in result.warnings] == [3]


def test_two_row_header_with_vertical_merges(tmp_path):
    text = ("区县,年度,征集批次,兵员征集,\n"
            ",,,应征报名人数,批准入伍人数\n"
            "甲区,2021,1,100,20\n")
    result = read_table(_write(tmp_path / "h.csv", text))
    assert result.data[["applicants", "enlisted"]].iloc[0].tolist() == [100.0, 20.0]
    assert result.rows.tolist() == [3]


def test_frames_from_load_panel_concatenate(tmp_path):
    # attrs must stay comparable: pandas compares them in concat
    a = load_panel(mf.write_english_csv(mf.small_panel(), tmp_path / "a.csv"))
    b = load_panel(mf.write_chinese_csv(mf.small_panel(), tmp_path / "b.csv"))
    both = pd.concat([a, b], ignore_index=True)
    assert len(both) == 2 * len(a)
    assert list(a.attrs["source_rows"]) == list(range(2, len(a) + 2))
    assert np.asarray(a.attrs["source_rows"]).dtype == np.int64


def test_units_row_under_header(tmp_path):
    text = "区县,年度,征集批次,宣传经费,应征报名人数\n,,,万元,人\n甲区,2021,1,2,100\n"
    df = load_panel(_write(tmp_path / "u.csv", text))
    assert df["publicity_spend"].tolist() == [20000.0]


def test_placeholders_warn_in_optional_columns_and_fail_where_needed(tmp_path):
    text = "区县,年度,征集批次,应征报名人数,适龄青年数\n甲区,2021,1,XX,1000\n乙区,待定,2,100,—\n"
    result = read_table(_write(tmp_path / "p.csv", text))
    by_col = {(p.row, p.column): p for p in result.problems}
    assert by_col[(2, "应征报名人数")].severity == "warning"
    assert by_col[(3, "适龄青年数")].severity == "warning"
    assert by_col[(3, "年度")].severity == "error"
    assert np.isnan(result.data["applicants"][0]) and result.data["applicants"][1] == 100.0
    needed = read_table(tmp_path / "p.csv", needed=["applicants"])
    assert any(p.row == 2 and p.column == "应征报名人数" and p.severity == "error" for p in needed.problems)


def test_approximate_figures_are_read_and_flagged(tmp_path):
    text = "区县,年度,征集批次,应征报名人数,宣传经费（元）\n甲区,2021,1,约120,12万余\n"
    result = read_table(_write(tmp_path / "a.csv", text))
    assert result.ok and result.data["applicants"][0] == 120.0 and result.data["publicity_spend"][0] == 120000.0
    assert sum("approximate" in p.message for p in result.warnings) == 2


def test_unparseable_text_is_an_error_at_row_and_column(tmp_path):
    text = "标题\n区县,年度,征集批次,应征报名人数\n甲区,2021,1,100\n乙区,2021,1,一百二十\n"
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as info:
        load_panel(path)
    (problem,) = [p for p in info.value.problems if p.severity == "error"]
    assert (problem.row, problem.column, problem.file) == (4, "应征报名人数", str(path))
    assert "not a number" in problem.message


def test_cycle_column_and_pre_reform_default(tmp_path):
    text = "区县,征集周期,应征报名人数\n甲区,2019年,10\n甲区,2020年上半年,11\n甲区,2020H2,12\n"
    result = read_table(_write(tmp_path / "c.csv", text))
    assert result.ok
    assert result.data[["year", "half"]].values.tolist() == [[2019, 2], [2020, 1], [2020, 2]]
    bad = read_table(_write(tmp_path / "c2.csv", "区县,年度,应征报名人数\n甲区,2021,10\n"))
    assert not bad.ok and any("half" in p.message for p in bad.errors)


def test_year_and_cycle_disagree(tmp_path):
    text = "区县,年度,征集周期\n甲区,2021,2022年上半年\n"
    result = read_table(_write(tmp_path / "y.csv", text))
    assert any(p.row == 2 and "disagrees" in p.message for p in result.errors)


def test_excel_codes_as_numbers_and_sheet_choice(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["请在第二个工作表填写"])
    ws = wb.create_sheet("数据")
    ws.append(["行政区划代码", "区县", "年度", "征集批次", "应征报名人数"])
    ws.append([110101, "东城区", 2021, "上半年", 100])
    ws.append([110102.0, "西城区", 2021, "下半年", "１２０"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    df = load_panel(path)
    assert df["district_code"].tolist() == ["110101", "110102"]
    assert df["applicants"].tolist() == [100.0, 120.0]
    assert load_panel(path, sheet="数据").shape == df.shape
    with pytest.raises(InputError, match="no sheet"):
        load_panel(path, sheet="nope")


def test_district_code_is_the_key_when_present(tmp_path):
    # the same code under a new name in the same cycle is a duplicate; two names with codes are not
    text = "行政区划代码,区县,年度,征集批次\n110101,旧名区,2021,1\n110101,新名区,2021,1\n110102,旧名区,2021,2\n"
    result = read_table(_write(tmp_path / "k.csv", text))
    dups = [p for p in result.errors if "second row" in p.message]
    assert len(dups) == 1 and dups[0].row == 3 and dups[0].column == "行政区划代码"


def test_bad_files_raise_input_error_with_the_file(tmp_path):
    for name, path in mf.write_bad_files(tmp_path).items():
        with pytest.raises(InputError) as info:
            load_panel(path)
        assert info.value.problems and info.value.problems[0].file.endswith(path.name), name


def test_parquet_round_trip(tmp_path):
    df = load_panel(mf.write_english_csv(mf.small_panel(), tmp_path / "p.csv"))
    out = df.copy()
    out.attrs = {}
    out.to_parquet(tmp_path / "p.parquet")
    again = load_panel(tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(again, df)


def test_recruit_records(tmp_path):
    text = ("新兵编号,区县,年度,征集批次,性别,文化程度,学籍状态,是否入户动员,入伍日期,退兵日期,退兵原因\n"
            "A001,甲区,2021,上半年,男,本科,毕业生,是,2021年3月1日,2021/4/15,身体\n"
            "A002,甲区,2021,上半年,女,高中,无,否,44256,,\n")
    df = load_recruits(_write(tmp_path / "r.csv", text))
    assert df["sex"].tolist() == ["M", "F"] and df["college_status"].tolist() == ["graduate", "none"]
    assert df["door_visit"].dtype == "boolean" and df["door_visit"].tolist() == [True, False]
    assert df["enlist_date"].dtype == "datetime64[ns]"
    assert (df["enlist_date"] == pd.Timestamp("2021-03-01")).all()
    assert df["exit_reason"].tolist()[0] == "medical" and pd.isna(df["exit_date"][1])


def test_sample_files_load_if_present():
    sample = mf.REPO / "data" / "sample"
    if not (sample / "panel.csv").exists():
        pytest.skip("no data/sample")
    panel = read_table(sample / "panel.csv")
    assert panel.ok and panel.kind == "panel" and panel.synthetic
    if (sample / "recruits.csv").exists():
        recruits = read_table(sample / "recruits.csv")
        assert recruits.ok and recruits.kind == "recruits"


@pytest.mark.slow
def test_large_messy_files_round_trip(tmp_path):
    """Scale check: 100,000 rows written the Chinese-GBK way read back exactly (run with -m slow)."""
    rng = np.random.default_rng(5)
    n_districts, cycles = 2000, [(y, h) for y in range(2001, 2026) for h in (1, 2)]
    base = pd.DataFrame({
        "district": np.repeat([f"区{i}" for i in range(n_districts)], len(cycles)),
        "district_code": np.repeat([f"{110000 + i}" for i in range(n_districts)], len(cycles)),
        "year": np.tile([y for y, _ in cycles], n_districts).astype(np.int64),
        "half": np.tile([h for _, h in cycles], n_districts).astype(np.int64),
        "eligible_youth": rng.integers(2000, 20000, n_districts * len(cycles)).astype(float),
        "publicity_spend": np.round(rng.uniform(1e4, 9e4, n_districts * len(cycles)), 2),
        "unemployment_rate": np.round(rng.uniform(0.03, 0.07, n_districts * len(cycles)), 3),
    })
    df = load_panel(mf.write_chinese_csv(base, tmp_path / "big.csv"))
    pd.testing.assert_frame_equal(df, base)
