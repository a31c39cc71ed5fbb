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
    assert "OK: 4 rows" in capsys.readouterr().out


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
