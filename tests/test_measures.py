"""Derived rates, the funnel and the lever transforms, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.measures import add_cycle, derived_rates, funnel, lever_values


@pytest.fixture
def panel():
    return pd.DataFrame({
        "city": ["A", "A", "B"], "district": ["a1", "a2", "b1"], "year": [2019, 2021, 2021],
        "half": [2, 1, 2], "eligible_youth": [1000.0, 2000.0, 500.0], "quota": [20.0, 40.0, 0.0],
        "applicants": [120.0, 200.0, 30.0], "medical_examined": [50.0, 90.0, 10.0],
        "medical_passed": [25.0, 40.0, 5.0], "political_passed": [24.0, 38.0, 5.0],
        "enlisted": [20.0, 36.0, 4.0], "enlisted_college": [8.0, 18.0, 1.0],
        "enlisted_graduates": [3.0, 9.0, 0.0], "returned": [0.0, 1.0, 0.0],
        "publicity_spend": [50000.0, 40000.0, 10000.0], "family_allowance": [30000.0, 36000.0, 20000.0],
        "avg_wage": [75000.0, 90000.0, 50000.0], "door_visits": [100.0, 0.0, 25.0],
    })


def test_derived_rates_by_hand(panel):
    r = derived_rates(panel)
    assert r.loc[0, "signup_rate"] == pytest.approx(0.12)
    assert r.loc[0, "quota_multiple"] == pytest.approx(6.0)
    assert r.loc[1, "college_share"] == pytest.approx(0.5)
    assert r.loc[1, "return_rate"] == pytest.approx(1 / 36)
    assert np.isnan(r.loc[2, "quota_multiple"])  # quota 0: no rate, not infinity


def test_cycles_order_spring_before_autumn(panel):
    c = add_cycle(panel)
    assert list(c["cycle"]) == ["2019H2", "2021H1", "2021H2"]
    assert list(c["cycle_index"]) == [0, 3, 4]
    assert "cycle" not in panel  # input untouched


def test_funnel_totals_and_shares(panel):
    f = funnel(panel, by="city")
    a = f[f["city"] == "A"].set_index("stage")
    assert a.loc["applicants", "count"] == 320
    assert a.loc["enlisted", "share_of_previous"] == pytest.approx(56 / 62)
    assert a.loc["returned", "share_of_applicants"] == pytest.approx(1 / 320)


def test_default_lever_transforms_follow_the_schema(panel):
    lv = lever_values(panel)
    assert lv.loc[0, "publicity"] == pytest.approx(np.log(50.0))
    assert lv.loc[0, "stipend"] == pytest.approx(np.log(0.4))
    assert lv.loc[0, "outreach"] == pytest.approx(np.log(1 + 10.0))
    assert lv.loc[1, "outreach"] == 0.0


def test_lever_errors_name_the_problem(panel):
    with pytest.raises(InputError, match="avg_wage"):
        lever_values(panel.drop(columns="avg_wage"))
    with pytest.raises(InputError, match="zero or negative"):
        lever_values(panel.assign(publicity_spend=0.0))


def test_grouped_funnel_with_missing_applicants_gives_no_share(panel):
    p = panel.copy()
    p.loc[p["city"] == "B", "applicants"] = np.nan
    b = funnel(p, by="city").query("city == 'B'").set_index("stage")
    assert np.isnan(b.loc["enlisted", "share_of_applicants"])
