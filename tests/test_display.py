"""Report tables: readable labels, sensible digits, no meaningless row numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from recruitstats.report.display import ReportTable, format_protected, format_table, label


def test_row_numbers_are_hidden_and_labels_kept():
    table = pd.DataFrame({"group": ["True", "False"], "n": [120, 80], "share": [0.01234, 0.0456]})
    out = format_table(table, lang="en")
    assert isinstance(out, ReportTable) and not out.show_index
    assert "<th>0</th>" not in out._repr_html_() and "<th>group</th>" in out._repr_html_()
    assert repr(out).splitlines()[0].split() == ["group", "n", "share"]
    assert repr(out).splitlines()[1].split() == ["yes", "120", "0.0123"]


@pytest.mark.parametrize("index", [pd.Index(["a", "b"]), pd.RangeIndex(1, 3), pd.RangeIndex(0, 2, name="cycle")])
def test_a_meaningful_index_is_shown(index):
    out = format_table(pd.DataFrame({"n": [1, 2]}, index=index), lang="en")
    assert out.show_index
    assert str(index[0]) in out._repr_html_().split("<tbody>")[1]


def test_planning_columns_have_readable_labels_and_digits():
    table = pd.DataFrame({"share_p50": [0.04, 0.96], "marginal_cost_ci_low": [1174.21, 1094.3],
                          "saturation_spend": [2.078144e07, 1.270682e07]}, index=pd.Index(["publicity", "outreach"],
                                                                                          name="lever"))
    zh = format_table(table, lang="zh", percent=["share_p50"])
    assert list(zh.columns) == ["最优份额（中位数）", "边际成本区间下限", "饱和点追加金额（元）"]
    assert list(zh.index) == ["宣传", "入户动员"] and zh.show_index
    assert zh.iloc[0].tolist() == ["4%", "1,174", "20,781,440"]
    en = format_table(table, lang="en")
    assert list(en.columns) == ["best share, median", "marginal cost, interval low", "saturating extra spend (yuan)"]
    assert "e+07" not in repr(en)
    for name in ("pi_low", "change_ci_high", "events_within", "share_of_long_run", "cost_of_doubling"):
        assert label(name, "zh") != name and "_" not in label(name, "en")


def test_a_protected_table_keeps_its_marks_and_hides_row_numbers():
    from recruitstats.report.suppression import protect_blocks

    table = pd.DataFrame({"split": ["all", "all"], "group": ["a", "b"], "n": [3, 50], "events": [1, 4]})
    safe = protect_blocks(table, block=["split"], counts=["n", "events"], threshold=5)
    out = format_protected(safe, lang="en")
    assert not out.show_index and "*" in out.to_numpy()
