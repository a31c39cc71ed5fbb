"""Frames from the readers keep their problems and rows through pandas operations and Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.io import load_panel

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"


def test_problem_lines_are_located_and_errors_first():
    err = InputError([Problem("odd", file="a.csv", row=3, column="x", severity="warning"),
                      Problem("bad", file="a.csv", row=9, column="退兵人数", expected="<= 入伍人数")])
    lines = str(err).splitlines()
    assert lines[0] == "a.csv: row 9: column '退兵人数': error: bad (expected <= 入伍人数)"
    assert lines[1].startswith("a.csv: row 3: column 'x': warning: odd")


def test_loaded_panel_survives_parquet_and_concat(tmp_path):
    panel = load_panel(SAMPLE)
    panel.to_parquet(tmp_path / "p.parquet")
    back = pd.read_parquet(tmp_path / "p.parquet")
    pd.testing.assert_frame_equal(back, panel)
    assert len(pd.concat([panel, panel])) == 2 * len(panel)
