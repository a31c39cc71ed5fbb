"""Headers as offices write them (issue #11, item 2): variants read as the clean file, near misses named."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import language  # noqa: E402
from recruitstats.io import load_panel, read_table  # noqa: E402
from recruitstats.schema import canonical_name, suggest_column  # noqa: E402

ALL_EVERYDAY = {**{h: n for n, h in mf.EVERYDAY_HEADERS.items()}, **mf.MORE_EVERYDAY_HEADERS}


@pytest.mark.parametrize(("header", "name"), sorted(ALL_EVERYDAY.items()))
def test_everyday_header_maps_to_its_column(header, name):
    assert canonical_name(header)[0] == name


@pytest.mark.parametrize(("header", "name"), sorted(mf.NEAR_MISSES.items()))
def test_near_miss_is_not_read_but_suggested(header, name):
    assert canonical_name(header)[0] is None
    assert suggest_column(header) == name
    assert suggest_column(header, exclude=[name]) != name  # not suggested when the file has the column


@pytest.mark.parametrize("header", ["备注", "序号", "填报单位负责人", "notes", "常住人口"])
def test_unrelated_headers_get_no_suggestion(header):
    assert canonical_name(header)[0] is None and suggest_column(header) is None


def test_units_are_read_only_from_unit_brackets():
    assert canonical_name("宣传经费(万元)") == ("publicity_spend", "万元")
    assert canonical_name("适龄青年数（单位：人）") == ("eligible_youth", "人")
    assert canonical_name("报名人数（男）") == (None, "")
    assert canonical_name("征集批次（上半年/下半年）") == ("half", "")


def test_everyday_headers_read_as_the_clean_file(tmp_path):
    panel = mf.base_panel()
    clean = load_panel(mf.write_english_csv(panel[[c for c in panel if c in mf.EVERYDAY_HEADERS]],
                                            tmp_path / "clean.csv"))
    everyday = load_panel(mf.write_everyday_headers_csv(panel, tmp_path / "everyday.csv"))
    pd.testing.assert_frame_equal(everyday, clean, check_like=False)


def test_everyday_headers_give_the_clean_estimates(tmp_path):
    import recruitstats as rs

    panel = mf.base_panel()
    clean = load_panel(mf.write_english_csv(panel[[c for c in panel if c in mf.EVERYDAY_HEADERS]],
                                            tmp_path / "clean.csv"))
    everyday = load_panel(mf.write_everyday_headers_csv(panel, tmp_path / "everyday.csv"))
    a, b = rs.fit_signup(clean), rs.fit_signup(everyday)
    pd.testing.assert_series_equal(a.params, b.params)


def test_validate_names_near_misses_and_lists_unknown_columns_once(tmp_path, capsys):
    path = tmp_path / "near.csv"
    path.write_text("区县,年度,征集批次,适龄青年总人口,报名人数（男）,备注,序号\n甲区,2021,1,1000,50,无,1\n"
                    "乙区,2021,1,900,40,无,2\n", encoding="utf-8")
    assert main(["validate", "--lang", "en", str(path)]) == 0
    err = capsys.readouterr().err
    assert "column '适龄青年总人口': warning: not a known column: did you mean 适龄青年数 (eligible_youth)?" in err
    assert "column '报名人数（男）': warning: not a known column: did you mean 应征报名人数 (applicants)?" in err
    unknown = [ln for ln in err.splitlines() if "not in the data contract" in ln]
    assert len(unknown) == 1 and unknown[0].endswith("kept as they are: 备注, 序号")
    assert main(["validate", "--lang", "zh", str(path)]) == 0
    assert "是否应为 适龄青年数 (eligible_youth)" in capsys.readouterr().err


def test_header_row_found_from_near_misses_says_what_is_missing(tmp_path):
    path = tmp_path / "near_only.csv"
    path.write_text("区县名称,年度,批次,适龄青年总人口\n甲区,2021,1,1000\n", encoding="utf-8")
    with language("en"):
        result = read_table(path)
    text = "\n".join(str(p) for p in result.problems)
    assert "no column for district" in text and "did you mean 区县 (district)?" in text
