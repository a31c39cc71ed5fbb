"""Every panel rule broken once: the message names the file, the spreadsheet row and the column."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.io import read_table, validate_panel  # noqa: E402
from recruitstats.schema import PANEL_RULES  # noqa: E402


def test_every_rule_has_a_broken_file():
    assert set(mf.RULE_BREAKS) == {rule for rule, _ in PANEL_RULES}


@pytest.mark.parametrize("rule", sorted(mf.RULE_BREAKS))
def test_rule_broken_once_is_reported_with_file_row_column(tmp_path, rule, capsys):
    path = mf.write_rule_break(tmp_path / f"{rule}.csv", rule)
    result = read_table(path)
    column, header, _ = mf.RULE_BREAKS[rule]
    errors = result.errors
    assert len(errors) == 1, [str(p) for p in errors]
    (problem,) = errors
    assert problem.file == str(path) and problem.row == mf.RULE_ROW and problem.column == header
    # the command line prints the same located line and exits 2
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: row {mf.RULE_ROW}: column '{header}': error" in err


def test_valid_file_passes(tmp_path, capsys):
    path = mf.write_rule_break(tmp_path / "ok.csv", None)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr()
    assert "OK: 4 rows" in out.err and out.out == ""  # the whole report on one stream


def test_validate_panel_on_a_frame_matches_plain_pandas():
    """Cross-check the pandera/pandas rules against a direct computation on a random panel."""
    rng = np.random.default_rng(11)
    n = 300
    df = pd.DataFrame({
        "district": [f"d{i % 60}" for i in range(n)], "year": 2020 + (np.arange(n) // 120),
        "half": np.where(np.arange(n) % 120 < 60, 1, 2),
        "eligible_youth": rng.integers(50, 100, n).astype(float),
        "applicants": rng.integers(0, 110, n).astype(float),
        "enlisted": rng.integers(0, 30, n).astype(float),
        "returned": rng.integers(-1, 3, n).astype(float),
        "publicity_spend": rng.normal(1000, 600, n),
    })
    df.loc[5, "applicants"] = 10.5
    df.loc[7, "half"] = 3
    problems = validate_panel(df, file="f.csv")
    got_rows = sorted(p.row for p in problems if p.row is not None)
    # plain-pandas truth, rows as in a sheet with the header in row 1
    bad = (
        list(np.flatnonzero(df["applicants"] > df["eligible_youth"]))
        + list(np.flatnonzero(df["enlisted"] > df["applicants"]))
        + list(np.flatnonzero(df["returned"] > df["enlisted"]))
        + list(np.flatnonzero(df["returned"] < 0))
        + list(np.flatnonzero(df["publicity_spend"] < 0))
        + [5, 7]
    )
    want = sorted(int(i) + 2 for i in bad)
    summaries = [p for p in problems if p.row is None]
    assert not summaries or len(got_rows) < len(want)
    if not summaries:
        assert got_rows == want


def test_many_problems_are_summarised_not_dropped():
    df = pd.DataFrame({"district": [f"d{i}" for i in range(100)], "year": 2021, "half": 1,
                       "applicants": -1.0})
    problems = validate_panel(df)
    located = [p for p in problems if p.row is not None]
    summary = [p for p in problems if p.row is None]
    assert len(located) == 20 and len(summary) == 1 and "80 more rows" in summary[0].message


def test_one_line_per_kind_with_count_and_first_rows(tmp_path, capsys):
    """312 rows breaking one rule print as one line: the count and the first rows."""
    n = 400
    lines = ["区县,年度,征集批次,适龄青年数,应征报名人数"]
    for i in range(n):
        applicants = 150 if i % 4 != 3 and i < 416 else 50   # 300 rows above eligible_youth
        lines.append(f"d{i},2021,1,100,{applicants if i % 4 != 3 else 50}")
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", "--lang", "en", str(path)]) == 2
    err = capsys.readouterr().err
    rule_lines = [ln for ln in err.splitlines() if "applicants > eligible_youth" in ln]
    assert rule_lines == [f"{path}: column '应征报名人数': error: applicants > eligible_youth in 300 rows: "
                          "2, 3, 4, 6, 7, … (expected applicants <= eligible_youth)"]
    assert sum(": error: " in ln for ln in err.splitlines()) == 1  # one line for the kind, not 300


def test_messages_in_chinese_with_lang_zh_and_by_locale(tmp_path, capsys, monkeypatch):
    path = mf.write_rule_break(tmp_path / "bad.csv", "applicants_le_eligible")
    assert main(["validate", "--lang", "zh", str(path)]) == 2
    err = capsys.readouterr().err
    assert "错误" in err and "应为：应征报名人数不大于适龄青年数" in err and "error" not in err
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert main(["validate", str(path)]) == 2
    assert "错误" in capsys.readouterr().err
    assert main(["validate", "--lang", "en", str(path)]) == 2  # --lang wins over the locale
    assert "error: applicants" in capsys.readouterr().err
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert main(["validate", str(path)]) == 2
    assert "error" in capsys.readouterr().err


def test_language_is_restored_after_a_command(tmp_path, capsys):
    from recruitstats.errors import current_language

    path = mf.write_rule_break(tmp_path / "ok.csv", None)
    before = current_language()
    main(["validate", "--lang", "zh" if before == "en" else "en", str(path)])
    assert current_language() == before


def test_missing_model_columns_are_warnings_saying_what_they_are_for(tmp_path, capsys):
    path = tmp_path / "no_visits.csv"
    path.write_text("区县,年度,征集批次,适龄青年数,应征报名人数,宣传经费,义务兵家庭优待金,平均工资,批准入伍人数,退兵人数\n"
                    "甲区,2021,1,1000,100,5000,20000,60000,10,0\n", encoding="utf-8")
    assert main(["validate", "--lang", "en", str(path)]) == 0
    err = capsys.readouterr().err
    assert "door_visits missing: the outreach lever cannot be estimated; publicity and stipend can" in err
    assert "OK: 1 rows" in err
    assert main(["validate", "--lang", "zh", str(path)]) == 0
    assert "缺少入户动员人次：无法估计入户动员杠杆；宣传和优待金可以估计" in capsys.readouterr().err


def test_missing_outcome_says_which_model_is_lost(tmp_path, capsys):
    path = tmp_path / "no_applicants.csv"
    path.write_text("区县,年度,征集批次,适龄青年数\n甲区,2021,1,1000\n", encoding="utf-8")
    assert main(["validate", "--lang", "en", str(path)]) == 0
    err = capsys.readouterr().err
    assert "applicants missing: the sign-up model cannot be estimated (it needs applicants and eligible_youth)" in err
