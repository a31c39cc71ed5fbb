"""Policy quantities: checked by hand, by finite differences and delta method against simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.models.rates import fit_signup
from recruitstats.policy import cost_per_applicant, effect_of_increase, elasticities, scenario


def make_panel(seed: int = 1, *, n_districts: int = 40, years=range(2019, 2024), b=(0.15, 0.5, 0.3),
               disp: float = 0.2) -> pd.DataFrame:
    """Small overdispersed panel with known effects (test data, not the package simulator)."""
    rng = np.random.default_rng(seed)
    cycles = [(y, h) for y in years for h in ((2,) if y < 2020 else (1, 2))]
    rows = []
    for d in range(n_districts):
        a, e0 = rng.normal(-2.5, 0.3), rng.integers(3000, 20000)
        for k, (y, h) in enumerate(cycles):
            e = float(e0)
            spend = e * np.exp(rng.normal(1.5, 0.5))
            wage = 60000 * np.exp(0.05 * k)
            allow = wage * np.exp(rng.normal(np.log(0.4), 0.15))
            visits = float(round(e * rng.uniform(0.005, 0.2)))
            x = np.array([np.log(spend / e), np.log(allow / wage), np.log1p(100 * visits / e)])
            app = float(rng.poisson(e * np.exp(a + x @ np.asarray(b)) * rng.gamma(1 / disp, disp)))
            rows.append(dict(district=f"D{d:02d}", year=y, half=h, eligible_youth=e, applicants=app,
                             enlisted=float(max(1, round(app * 0.2))), publicity_spend=spend,
                             family_allowance=allow, avg_wage=wage, door_visits=visits))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel():
    return make_panel()


@pytest.fixture(scope="module")
def result(panel):
    return fit_signup(panel)


def test_baseline_is_observed_applicants_per_cycle(result, panel):
    # Poisson with district fixed effects: fitted values add up to the observed outcome
    s = scenario(result, changes={"publicity": 1.0})
    n_cycles = panel.groupby(["year", "half"]).ngroups
    assert s["baseline"] == pytest.approx(panel["applicants"].sum() / n_cycles, rel=1e-8)
    assert s["predicted"] == pytest.approx(s["baseline"], rel=1e-12)
    assert s["se"] == pytest.approx(0.0, abs=1e-9)


def test_effect_of_increase_by_hand(result, panel):
    eff = effect_of_increase(result, pct=10)
    m = result.fitted.to_numpy()
    n_cycles = 9
    b = result.params
    # logged levers: each row scales by 1.1 ** b
    for lever in ("publicity", "stipend"):
        hand = m.sum() * (1.1 ** b[lever] - 1) / n_cycles
        assert eff.loc[lever, "additional"] == pytest.approx(hand, rel=1e-10)
        se_hand = m.sum() * 1.1 ** b[lever] * np.log(1.1) * result.se[lever] / n_cycles
        assert eff.loc[lever, "se"] == pytest.approx(se_hand, rel=1e-10)
    # outreach: x = log(1 + 100 v / E) recomputed from the raw visits
    used = panel.loc[result.rows_used]
    x0 = np.log1p(100 * used["door_visits"] / used["eligible_youth"])
    x1 = np.log1p(100 * 1.1 * used["door_visits"] / used["eligible_youth"])
    hand = np.sum(m * (np.exp(b["outreach"] * (x1 - x0)) - 1)) / n_cycles
    assert eff.loc["outreach", "additional"] == pytest.approx(hand, rel=1e-10)


def test_elasticities_match_finite_differences(result):
    el = elasticities(result)
    assert el.loc["publicity", "estimate"] == pytest.approx(result.params["publicity"], rel=1e-12)
    h = 1e-6
    for lever in ("publicity", "stipend", "outreach"):
        s = scenario(result, changes={lever: 1 + h})
        numeric = np.log(s["predicted"] / s["baseline"]) / np.log1p(h)
        assert el.loc[lever, "estimate"] == pytest.approx(numeric, rel=1e-4)
    # outreach elasticity is below its coefficient (the log(1 + v) transform) and scaled SE
    ratio = el.loc["outreach", "estimate"] / result.params["outreach"]
    assert 0 < ratio < 1
    # a logged lever's elasticity is its coefficient, with the coefficient's SE (the fixed
    # effects keep the fitted total, so the weights do not move); the log(1 + v) lever's SE
    # also carries the weights' uncertainty: checked against simulation of the coefficients
    assert el.loc["publicity", "se"] == pytest.approx(result.se["publicity"], rel=1e-9)
    sim = elasticities(result, method="simulation", reps=20000, seed=2)
    assert el.loc["outreach", "se"] == pytest.approx(sim.loc["outreach", "se"], rel=0.05)
    assert el.attrs["averaging"].startswith("weighted by the fitted outcome")


def test_delta_method_and_simulation_agree(result):
    delta = effect_of_increase(result, pct=10, method="delta")
    sim = effect_of_increase(result, pct=10, method="simulation", reps=20000, seed=11)
    for lever in delta.index:
        width = delta.loc[lever, "ci_high"] - delta.loc[lever, "ci_low"]
        assert sim.loc[lever, "se"] == pytest.approx(delta.loc[lever, "se"], rel=0.05)
        assert abs(sim.loc[lever, "ci_low"] - delta.loc[lever, "ci_low"]) < 0.05 * width
        assert abs(sim.loc[lever, "ci_high"] - delta.loc[lever, "ci_high"]) < 0.05 * width
    # a joint scenario too
    d = scenario(result, changes={"publicity": 1.3, "outreach": 0.8})
    s = scenario(result, changes={"publicity": 1.3, "outreach": 0.8}, method="simulation", reps=20000,
                 seed=5)
    assert s["se"] == pytest.approx(d["se"], rel=0.05)
    # simulation is reproducible with its seed
    again = effect_of_increase(result, pct=10, method="simulation", reps=2000, seed=3)
    pd.testing.assert_frame_equal(again, effect_of_increase(result, pct=10, method="simulation",
                                                            reps=2000, seed=3))
    with pytest.raises(InputError, match="seed"):
        effect_of_increase(result, method="simulation")


def test_cost_per_applicant_by_hand():
    # four districts, three cycles: small numbers one can follow on paper
    p = make_panel(seed=4, n_districts=12, years=range(2021, 2023))
    res = fit_signup(p)
    cost = cost_per_applicant(res, p, cost_per_visit=50.0)
    eff = effect_of_increase(res, pct=10)
    n_cycles = 4
    pub = 0.1 * p["publicity_spend"].sum() / n_cycles
    stip = 0.1 * (p["enlisted"] * p["family_allowance"]).sum() / n_cycles
    visits = 0.1 * p["door_visits"].sum() * 50.0 / n_cycles
    for lever, yuan in (("publicity", pub), ("stipend", stip), ("outreach", visits)):
        assert cost.loc[lever, "extra_cost"] == pytest.approx(yuan, rel=1e-12)
        a = eff.loc[lever]
        if a["additional"] > 0:
            assert cost.loc[lever, "cost_per_applicant"] == pytest.approx(yuan / a["additional"], rel=1e-12)
        if a["ci_low"] > 0:
            assert cost.loc[lever, "ci_low"] == pytest.approx(yuan / a["ci_high"], rel=1e-12)
            assert cost.loc[lever, "ci_high"] == pytest.approx(yuan / a["ci_low"], rel=1e-12)
    # the stipend bill counts every recruit: two years of service double it
    two = cost_per_applicant(res, p, allowance_years=2)
    assert two.loc["stipend", "extra_cost"] == pytest.approx(2 * stip)
    assert np.isnan(two.loc["outreach", "extra_cost"])
    assert "unit cost" in two.loc["outreach", "note"]


def test_cost_interval_unbounded_when_effect_may_be_zero():
    p = make_panel(seed=2, n_districts=12, years=range(2021, 2023), b=(0.0, 0.0, 0.0))
    res = fit_signup(p)
    cost = cost_per_applicant(res, p, cost_per_visit=10.0)
    eff = effect_of_increase(res)
    for lever in cost.index:
        if eff.loc[lever, "ci_low"] <= 0 < eff.loc[lever, "ci_high"]:
            assert np.isinf(cost.loc[lever, "ci_high"])
            assert cost.loc[lever, "note"]


def test_not_identified_lever_is_refused_and_listed(panel):
    p = panel.copy()
    p["family_allowance"] = p["avg_wage"] * 0.4  # constant relative allowance: absorbed
    res = fit_signup(p)
    assert "stipend" in res.not_identified
    with pytest.raises(InputError, match="not identified"):
        scenario(res, changes={"stipend": 1.1})
    eff = effect_of_increase(res)
    assert "stipend" not in eff.index and "stipend" in eff.attrs["not_computed"]
    cost = cost_per_applicant(res, p)
    assert np.isnan(cost.loc["stipend", "cost_per_applicant"])
    assert "not identified" in cost.loc["stipend", "note"]


def test_figures_return_matplotlib_figures(result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recruitstats.report.figures import SYNTHETIC_FOOTNOTE, coef_plot, dose_response

    fig = dose_response(result, "outreach", factors=[0.5, 1.0, 1.5], synthetic=True)
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    line = ax.lines[0].get_ydata()
    assert band.min() <= line.min() and band.max() >= line.max()
    assert line[1] == pytest.approx(scenario(result, changes={"outreach": 1.0})["baseline"])
    assert any(t.get_text() == SYNTHETIC_FOOTNOTE for t in fig.texts)
    fig2 = coef_plot({"a": result, "b": result}, truth={"publicity": 0.15})
    assert isinstance(fig2, matplotlib.figure.Figure)
    plt.close("all")
