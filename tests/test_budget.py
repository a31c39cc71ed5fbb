"""Budget allocation: KKT at the optimum, the exact single-lever answer, and a reaction to uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.models.rates import fit_discharge, fit_signup
from recruitstats.planning.budget import allocate
from recruitstats.simulate import simulate

COSTS = {"door_visits": 50.0}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate(seed=20261128, n_cities=3, districts_per_city=8).panel


@pytest.fixture(scope="module")
def signup(panel):
    return fit_signup(panel)


@pytest.fixture(scope="module")
def interior(signup):
    return allocate(signup, 2e6, unit_costs=COSTS, draws=40, seed=1)


def test_kkt_equal_marginal_applicants_per_yuan(interior):
    t = interior.table
    assert t["spend"].sum() == pytest.approx(2e6, rel=1e-6)          # the budget is spent
    funded = t["spend"] > 1e-6 * 2e6
    assert funded.sum() >= 2, "the test needs an interior optimum"
    yields = 1 / t["marginal_cost"]
    np.testing.assert_allclose(yields[funded], yields[funded].iloc[0], rtol=2e-3)
    assert (yields[~funded] <= yields[funded].iloc[0] * (1 + 2e-3)).all()
    assert (t["marginal_cost_ci_low"] <= t["marginal_cost"]).all()
    assert (t["saturation_spend"] > 0).all()


def test_single_lever_gain_equals_predict(signup, panel):
    r = allocate(signup, 5e5, unit_costs=COSTS, levers=["publicity"], draws=20, seed=2)
    rows = signup.data.loc[signup.rows_used]
    rows = rows[rows["cycle_index"] == rows["cycle_index"].max()]
    spend = rows["publicity_spend"].sum()
    assert r.table.loc["publicity", "cost_of_doubling"] == pytest.approx(spend)
    changed = rows.copy()
    changed["publicity_spend"] *= 1 + 5e5 / spend
    expected = signup.predict(changed).sum() - signup.predict(rows).sum()
    assert r.gain["point"] == pytest.approx(expected, rel=1e-9)
    b = signup.params["publicity"]
    assert r.gain["point"] == pytest.approx(signup.predict(rows).sum() * ((1 + 5e5 / spend) ** b - 1), rel=1e-9)


def test_allocation_reacts_to_a_lever_becoming_uncertain(signup, interior):
    base = allocate(signup, 2e6, unit_costs=COSTS, draws=60, seed=3, risk_aversion=1.0)
    cov = signup.cov.copy()
    cov.loc["outreach", :] *= 5.0
    cov.loc[:, "outreach"] *= 5.0          # outreach's variance x 25, its correlations kept
    unsure = allocate(signup, 2e6, unit_costs=COSTS, draws=60, seed=3, risk_aversion=1.0, cov=cov)
    # a risk-averse planner moves money away from the lever it is now less sure of
    assert unsure.table.loc["outreach", "spend_bayes"] < base.table.loc["outreach", "spend_bayes"] - 0.02 * 2e6
    # and the best share across draws spreads out
    spread = lambda r: r.table.loc["outreach", "share_p95"] - r.table.loc["outreach", "share_p05"]  # noqa: E731
    assert spread(unsure) > spread(base)
    # the point allocation (at the estimates) does not depend on the covariance
    pd.testing.assert_series_equal(unsure.table["spend"], base.table["spend"])
    assert unsure.expected_loss_point > base.expected_loss_point


def test_reproducible_and_labelled(signup, interior):
    again = allocate(signup, 2e6, unit_costs=COSTS, draws=40, seed=1)
    assert again.to_dict() == interior.to_dict()
    d = interior.to_dict()
    assert d["synthetic"] is True and d["budget"] == 2e6 and len(d["allocation"]) == 3
    assert "元" in interior.summary("zh") and "yuan" in interior.summary("en")


def test_net_of_returns(panel, signup):
    discharge = fit_discharge(panel)
    r = allocate(signup, 2e6, unit_costs=COSTS, discharge=discharge, return_weight=20, draws=20, seed=4)
    assert "returns" in r.objective and r.table["spend"].sum() <= 2e6 * (1 + 1e-6)


@pytest.mark.parametrize("kwargs", [dict(budget=0), dict(budget=float("inf")), dict(levers=["posters"]),
                                    dict(unit_costs={}), dict(draws=5)])
def test_bad_input(signup, kwargs):
    args = dict(budget=1e6, unit_costs=COSTS, draws=20, seed=1) | kwargs
    with pytest.raises(InputError):
        allocate(signup, args.pop("budget"), **args)


def test_two_logged_levers_match_the_closed_form(signup):
    """Publicity and the allowance both enter as logs: expected applicants are
    sum(mu) (1 + s1/C1)^b1 (1 + s2/C2)^b2, so the optimum solves b1 / (C1 + s1) = b2 / (C2 + s2), s1 + s2 = B."""
    budget = 1e8
    r = allocate(signup, budget, levers=["publicity", "stipend"], unit_costs=COSTS, draws=20, seed=5)
    b1, b2 = signup.params["publicity"], signup.params["stipend"]
    c1, c2 = r.table["cost_of_doubling"]
    s1 = b1 * (budget + c1 + c2) / (b1 + b2) - c1
    assert 0 < s1 < budget, "the test needs an interior optimum"
    assert r.table.loc["publicity", "spend"] == pytest.approx(s1, rel=1e-4)
    assert r.table.loc["stipend", "spend"] == pytest.approx(budget - s1, rel=1e-4)


@pytest.fixture(scope="module")
def carry():
    from recruitstats.planning.adstock import fit_adstock

    panel = simulate(seed=5, n_cities=6, districts_per_city=8, carryover=0.5,
                     effects={"signup": {"publicity": 0.3}}, recruits=False).panel
    return fit_signup(panel), fit_adstock(panel, decays=np.linspace(0, 0.9, 10))


def test_carryover_allocation_closed_form_and_shift(carry):
    signup, adstock = carry
    budget = 2e8
    r = allocate(signup, budget, levers=["publicity", "stipend"], unit_costs=COSTS, draws=20, seed=6,
                 carryover=adstock)
    b1, b2 = adstock.params["publicity"], adstock.params["stipend"]
    c1, c2 = r.table["cost_of_doubling"]
    s1 = b1 * (budget + c1 + c2) / (b1 + b2) - c1
    assert 0 < s1 < budget
    assert r.table.loc["publicity", "spend"] == pytest.approx(s1, rel=1e-4)
    assert "steady state" in r.objective
    # ignoring carry-over understates publicity's long-run effect, and so its share of the budget
    plain = allocate(signup, 5e6, unit_costs=COSTS, draws=20, seed=6)
    steady = allocate(signup, 5e6, unit_costs=COSTS, draws=20, seed=6, carryover=adstock)
    assert steady.table.loc["publicity", "share"] > plain.table.loc["publicity", "share"] + 0.1


def test_carryover_allocation_refuses_other_results(signup):
    with pytest.raises(InputError):
        allocate(signup, 1e6, unit_costs=COSTS, draws=20, seed=1, carryover=signup)
