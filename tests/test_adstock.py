"""Publicity carry-over and saturation: the transform, and recovery of known decay and Hill parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.measures import lever_values
from recruitstats.models.rates import fit_signup
from recruitstats.planning.adstock import fit_adstock, geometric_adstock, hill
from recruitstats.simulate import _adstock, simulate


@pytest.fixture(scope="module")
def carry_panel() -> pd.DataFrame:
    """The simulator with its own carry-over switch on (decay 0.5, publicity elasticity 0.3)."""
    return simulate(seed=5, n_cities=6, districts_per_city=8, carryover=0.5,
                    effects={"signup": {"publicity": 0.3}}, recruits=False).panel


def test_adstock_equals_the_simulators(carry_panel):
    n_d = carry_panel["district"].nunique()
    spend = carry_panel["publicity_spend"].to_numpy().reshape(n_d, -1)
    for decay in (0.0, 0.3, 0.8):
        ours = geometric_adstock(carry_panel, decay).to_numpy()
        np.testing.assert_allclose(ours, _adstock(spend, decay).ravel(), rtol=1e-12)


def test_adstock_constant_spend_gaps_and_order():
    panel = pd.DataFrame({"district": ["a"] * 5 + ["b"] * 3,
                          "year": [2021] * 2 + [2022] * 2 + [2023] + [2021, 2021, 2022],
                          "half": [1, 2, 1, 2, 1, 1, 2, 1], "publicity_spend": [100.0] * 5 + [0.0, 100.0, np.nan]})
    shuffled = panel.sample(frac=1, random_state=1)
    out = geometric_adstock(shuffled, 0.5).loc[panel.index]
    np.testing.assert_allclose(out.iloc[:5], 100.0)                 # constant spend maps to itself
    assert out.iloc[5] == 0.0 and out.iloc[6] == pytest.approx(50.0)  # 0.5 * (100 + 0.5 * 0)
    assert np.isnan(out.iloc[7])
    with pytest.raises(InputError):
        geometric_adstock(panel, 1.0)


def test_hill_shape():
    x = np.array([0.0, 10.0, 20.0, 1e6])
    np.testing.assert_allclose(hill(x, 10.0, 2.0), [0.0, 0.5, 0.8, 1.0], atol=1e-9)


def test_log_saturation_recovers_the_simulators_carryover(carry_panel):
    r = fit_adstock(carry_panel)
    lo, hi = r.decay_ci
    assert lo < 0.5 < hi and hi - lo < 0.5
    ci = r.conf_int()
    assert ci.loc["publicity", "low"] < 0.3 < ci.loc["publicity", "high"]
    # carry-over ignored: the plain model is attenuated, and fits worse
    plain = fit_signup(carry_panel)
    assert plain.params["publicity"] < ci.loc["publicity", "low"]
    assert r.profile.loc[r.profile["decay"] == 0, "deviance"].iloc[0] > r.deviance
    # the profile interval's ends are where the deviance has risen by the cutoff
    assert r.synthetic and 0 < r.half_life < 3
    assert r.tidy()["term"].tolist() == ["publicity", "stipend", "outreach", "decay"]


def test_linearised_fit_agrees_with_the_engine_at_the_estimate(carry_panel):
    r = fit_adstock(carry_panel, decays=np.linspace(0, 0.9, 10))
    panel = carry_panel.copy()
    panel["publicity_spend"] = geometric_adstock(panel, r.decay)
    plain = fit_signup(panel)
    assert r.params["publicity"] == pytest.approx(plain.params["publicity"], rel=1e-6)
    assert r.params["stipend"] == pytest.approx(plain.params["stipend"], rel=1e-6)
    # the decay's uncertainty widens the publicity interval
    assert r.se["publicity"] > plain.se["publicity"]


def _hill_panel(seed: int, truth: dict) -> pd.DataFrame:
    """Simulator panel with more varied spend; the outcome drawn here with known decay and Hill curve."""
    panel = simulate(seed=seed, n_cities=6, districts_per_city=8, recruits=False).panel.copy()
    rng = np.random.default_rng(seed)
    panel["publicity_spend"] = np.round(panel["publicity_spend"] * np.exp(0.5 * rng.standard_normal(len(panel))),
                                        -2).clip(100)
    a = geometric_adstock(panel, truth["decay"]) / panel["eligible_youth"]
    lv = lever_values(panel)
    d = pd.factorize(panel["district"])[0]
    c = pd.factorize(panel["year"] * 2 + panel["half"])[0]
    eta = (np.log(0.1) + rng.normal(0, 0.3, d.max() + 1)[d] + rng.normal(0, 0.1, c.max() + 1)[c]
           + truth["publicity"] * hill(a, truth["half_saturation"], truth["shape"])
           + 0.4 * lv["stipend"] + 0.15 * lv["outreach"])
    mean = panel["eligible_youth"] * np.exp(eta) * rng.gamma(200, 1 / 200, len(panel))
    panel["applicants"] = np.minimum(rng.poisson(mean), panel["eligible_youth"]).astype(float)
    return panel


def test_hill_saturation_and_decay_recovered_within_their_intervals():
    truth = {"publicity": 0.8, "decay": 0.5, "half_saturation": 30.0, "shape": 2.0}
    r = fit_adstock(_hill_panel(11, truth), saturation="hill")
    nl = r.nonlinear()
    for name in ("decay", "half_saturation", "shape"):
        assert nl.loc[name, "ci_low"] < truth[name] < nl.loc[name, "ci_high"], name
    ci = r.conf_int()
    assert ci.loc["publicity", "low"] < truth["publicity"] < ci.loc["publicity", "high"]
    assert ci.loc["stipend", "low"] < 0.4 < ci.loc["stipend", "high"]
    assert not r.warnings
    d = r.to_dict()
    assert d["saturation"] == "hill" and d["synthetic"] is True and len(d["nonlinear"]) == 3


def test_bad_input():
    panel = simulate(seed=1, n_cities=1, districts_per_city=4, first_year=2021, last_year=2023,
                     recruits=False).panel
    with pytest.raises(InputError):
        fit_adstock(panel, saturation="cubic")
    with pytest.raises(InputError):
        fit_adstock(panel, decays=[0.5, 1.2, 0.1])
    with pytest.raises(InputError):
        fit_adstock(panel.drop(columns="publicity_spend"))


@pytest.mark.slow
def test_profile_interval_coverage_over_replications():
    """The decay's profile interval covers the simulator's carry-over in about 95% of 100 panels."""
    hits = []
    for seed in range(100):
        panel = simulate(seed=1000 + seed, n_cities=4, districts_per_city=8, carryover=0.5,
                         effects={"signup": {"publicity": 0.3}}, recruits=False).panel
        lo, hi = fit_adstock(panel, decays=np.linspace(0, 0.9, 10)).decay_ci
        hits.append(lo < 0.5 < hi)
    assert 0.88 <= np.mean(hits) <= 0.99, np.mean(hits)


def test_build_up_of_a_sustained_increase(carry_panel):
    r = fit_adstock(carry_panel, decays=np.linspace(0, 0.9, 10))
    b = r.build_up(1.3, cycles=6, seed=1)
    # log form: the multiplier after t+1 cycles is (1 + 0.3 (1 - L^(t+1)))^b, reaching 1.3^b
    lam, beta = r.decay, r.params["publicity"]
    expected = (1 + 0.3 * (1 - lam ** np.arange(1, 7))) ** beta
    np.testing.assert_allclose(b["multiplier"].iloc[:6], expected, rtol=1e-12)
    assert b["multiplier"].iloc[-1] == pytest.approx(1.3 ** beta)
    assert (np.diff(b["share_of_long_run"].to_numpy()) > 0).all()
    assert (b["ci_low"] <= b["multiplier"]).all() and (b["multiplier"] <= b["ci_high"]).all()
    with pytest.raises(InputError):
        r.build_up(1.0)


def test_carry_over_is_estimated_without_door_visits_or_the_allowance():
    """Stipend and outreach are controls when the data have them; without them the model goes on."""
    from recruitstats.io import load_panel
    from recruitstats.planning.adstock import fit_adstock

    panel = load_panel("data/sample/panel.csv")
    res = fit_adstock(panel.drop(columns=["door_visits"]))
    assert "outreach" not in res.params.index and "stipend" in res.params.index
    assert np.isfinite(res.params["publicity"]) and 0 <= res.decay < 1
    bare = fit_adstock(panel.drop(columns=["door_visits", "family_allowance"]))
    assert list(bare.params.index[:2]) == ["publicity", "decay"]
