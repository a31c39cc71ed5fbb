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


# --- the message catalogue and one line per kind (issue #11, item 3) --------------------

import string  # noqa: E402

import pytest  # noqa: E402

import recruitstats.commands.validate  # noqa: E402,F401  (modules register their messages on import)
import recruitstats.io.readers  # noqa: E402,F401
import recruitstats.io.template  # noqa: E402,F401
from recruitstats.errors import (MESSAGES, format_problems, language, language_from_env,  # noqa: E402
                                 register_messages, set_language, tr)


def _fields(text: str) -> set[str]:
    """Field names of a template; ``x_zh`` (the Chinese label of field x) counts as x."""
    return {name.split(":")[0].removesuffix("_zh") for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_fields(key):
    texts = MESSAGES[key]
    assert set(texts) == {"zh", "en"} and all(texts.values())
    assert _fields(texts["zh"]) == _fields(texts["en"]), key


def test_language_from_the_locale():
    assert language_from_env({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert language_from_env({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert language_from_env({"LC_MESSAGES": "zh_TW", "LANG": "C"}) == "zh"
    assert language_from_env({}) == "en"


def test_set_language_refuses_unknown_and_the_block_restores():
    with pytest.raises(ValueError):
        set_language("fr")
    with pytest.raises(ValueError):
        register_messages({"x.only_en": {"en": "only english"}})
    with language("zh"):
        assert tr("severity.error") == "错误"
        with language("en"):
            assert tr("severity.error") == "error"
        assert tr("severity.error") == "错误"


def test_many_rows_of_one_kind_print_as_one_line():
    rows = [4, 9, 17, 20, 23, 30, 41]
    problems = [Problem(f"applicants {100 + r} is more than eligible_youth 100", file="p.csv", row=r,
                        column="报名人数", expected="applicants <= eligible_youth", kind="applicants > eligible_youth")
                for r in rows]
    problems.append(Problem("summary", file="p.csv", column="报名人数", expected="applicants <= eligible_youth",
                            kind="applicants > eligible_youth", count=305))
    problems.append(Problem("odd", file="p.csv", row=3, column="x", severity="warning"))
    with language("en"):
        lines = format_problems(problems).splitlines()
    assert lines == ["p.csv: column '报名人数': error: applicants > eligible_youth in 312 rows: 4, 9, 17, 20, 23, … "
                     "(expected applicants <= eligible_youth)",
                     "p.csv: row 3: column 'x': warning: odd"]
    with language("zh"):
        lines = format_problems(problems).splitlines()
    assert lines[0] == ("p.csv：列“报名人数”：错误：applicants > eligible_youth，共 312 行：第 4, 9, 17, 20, 23, … 行"
                        "（应为：applicants <= eligible_youth）")


def test_problems_without_a_kind_group_by_message_without_quoted_values():
    problems = [Problem(f"not a number '{v}'", file="a.csv", row=r, column="c") for r, v in ((2, "x"), (5, "y"))]
    with language("en"):
        assert format_problems(problems) == "a.csv: column 'c': error: not a number in 2 rows: 2, 5"
