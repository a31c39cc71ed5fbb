"""Simulated power: the engine's core gives fit_rate's numbers, size near alpha, power rising with the effect."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.measures import LEVERS
from recruitstats.models.engine import fit_rate
from recruitstats.planning.power import _Fitter, power, power_panel


@pytest.mark.parametrize("vcov", ["cluster", "jackknife"])
def test_per_simulation_fit_equals_fit_rate(vcov):
    panel = power_panel(districts=15, cycles=6, effect=0.2, seed=3)
    ref = fit_rate(panel, outcome="applicants", exposure="eligible_youth", regressors=list(LEVERS),
                   fixed_effects=["district", "cycle_index"], cluster="district", vcov=vcov)
    fitter = _Fitter(15, 6, "publicity", "poisson", vcov)
    levers = {k: panel[k].to_numpy().reshape(15, 6) for k in LEVERS}
    b, se = fitter.fit(panel["applicants"].to_numpy(), panel["eligible_youth"].to_numpy(), levers)
    assert b == pytest.approx(ref.params["publicity"], rel=1e-8)
    assert se == pytest.approx(ref.se["publicity"], rel=1e-6)


@pytest.mark.parametrize("vcov", ["cluster", "jackknife"])
def test_city_clusters_equal_fit_rate(vcov):
    panel = power_panel(districts=20, cycles=5, effect=0.1, seed=8, cities=6, city_sd=0.1)
    assert panel.groupby("city")["district"].nunique().tolist() == [4, 3, 3, 4, 3, 3]
    ref = fit_rate(panel, outcome="applicants", exposure="eligible_youth", regressors=list(LEVERS),
                   fixed_effects=["district", "cycle_index"], cluster="city", vcov=vcov)
    fitter = _Fitter(20, 5, "publicity", "poisson", vcov, cities=6)
    levers = {k: panel[k].to_numpy().reshape(20, 5) for k in LEVERS}
    b, se = fitter.fit(panel["applicants"].to_numpy(), panel["eligible_youth"].to_numpy(), levers)
    assert b == pytest.approx(ref.params["publicity"], rel=1e-8)
    assert se == pytest.approx(ref.se["publicity"], rel=1e-6)


def test_city_shocks_need_city_clusters():
    """Common city shocks: clustering by city keeps the size near alpha."""
    r = power(48, 8, 0.0, 200, 9, cities=12, city_sd=0.15, rho=0.0, lever="outreach", progress=False)
    assert r.clusters == 12 and "by city" in r.inference and "CRV3" in r.inference
    assert abs(r.size - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 200)


def test_planned_reform_design():
    """A planned allowance raise in half the districts: size near alpha, power grows with the raise."""
    tol = 3 * np.sqrt(0.05 * 0.95 / 200)
    null = power(40, 8, 0.0, 200, 4, lever="stipend", treated_share=0.5, vcov="cluster", progress=False)
    assert abs(null.size - 0.05) < tol and "planned change of stipend: +20%" in null.design
    small, big = (power(40, 8, 0.5, 150, 4, lever="stipend", treated_share=0.5, change_pct=c, vcov="cluster",
                        progress=False) for c in (10, 40))
    assert small.power < big.power and big.mde < small.mde
    assert "staggered" in power(10, 4, 0.1, 5, 1, progress=False).design


def test_panel_is_labelled_synthetic_and_reproducible():
    a = power_panel(districts=5, cycles=4, effect=0.1, seed=1)
    b = power_panel(districts=5, cycles=4, effect=0.1, seed=1)
    assert a.equals(b) and (a["data_source"].str.contains("SYNTHETIC")).all()
    assert (a["applicants"] <= a["eligible_youth"]).all()


def test_size_near_alpha_with_crv1_and_crv3():
    tol = 3 * np.sqrt(0.05 * 0.95 / 200)  # three binomial standard errors
    r1 = power(45, 10, 0.0, 200, 11, progress=False)
    assert "CRV1" in r1.inference and r1.size == r1.power
    assert abs(r1.size - 0.05) < tol
    r3 = power(20, 8, 0.0, 200, 12, progress=False)
    assert "CRV3" in r3.inference
    assert abs(r3.size - 0.05) < tol


def test_power_rises_with_effect_and_mde_is_consistent():
    rs = [power(30, 8, e, 150, 5, vcov="cluster", progress=False) for e in (0.0, 0.05, 0.15)]
    assert rs[0].power < rs[1].power < rs[2].power
    assert rs[2].power > 0.8
    # the MDE is where power is about 80%: a larger effect is well powered, a smaller one is not
    assert rs[1].mde > 0.05 and rs[2].mde < 0.15
    # estimates are centred on the truth
    assert abs(rs[2].mean_estimate - 0.15) < 4 * rs[2].sd_estimate / np.sqrt(150)


def test_stipend_lever_and_reproducibility():
    a = power(20, 10, 0.4, 30, 2, lever="stipend", vcov="cluster", progress=False)
    b = power(20, 10, 0.4, 30, 2, lever="stipend", vcov="cluster", progress=False)
    assert a.to_dict() == b.to_dict()
    assert a.lever == "stipend" and 0 <= a.power <= 1


@pytest.mark.parametrize("kwargs", [dict(districts=2), dict(cycles=1), dict(sims=0), dict(effect=float("nan")),
                                    dict(seed=-1), dict(lever="posters"), dict(alpha=0.7), dict(cities=1),
                                    dict(cities=11), dict(city_sd=0.1), dict(treated_share=0.0),
                                    dict(treated_share=0.5, start_cycle=5), dict(treated_share=0.5, change_pct=0)])
def test_bad_options_are_input_errors(kwargs):
    args = dict(districts=10, cycles=5, effect=0.1, sims=5, seed=1) | kwargs
    with pytest.raises(InputError):
        power(**args, progress=False)


def test_cli_json_has_the_contract_keys(capsys):
    code = main(["power", "--districts", "12", "--cycles", "6", "--effect", "0.2", "--sims", "20",
                 "--seed", "4", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert {"power", "mde", "alpha", "sims", "districts", "cycles", "effect"} <= set(data)
    assert data["sims"] == 20 and data["districts"] == 12 and data["synthetic"] is True
    assert main(["power", "--districts", "1", "--cycles", "6", "--effect", "0.2", "--sims", "20"]) == 2
    assert "districts" in capsys.readouterr().err


def test_binomial_family_and_text_output(capsys):
    r = power(15, 6, 0.2, 20, 3, family="binomial", vcov="cluster", progress=False)
    assert r.family == "binomial" and r.failed == 0 and r.mean_estimate > 0
    assert main(["power", "--districts", "12", "--cycles", "5", "--effect", "0.1", "--sims", "10"]) == 0
    out = capsys.readouterr().out
    assert "最小可检测效应" in out and "minimal detectable effect" in out


def test_text_never_calls_the_users_data_synthetic_and_messages_follow_the_language(capsys):
    r = power(12, 6, 0.2, 20, 4, progress=False)
    assert "not your data" in r.summary("en") and "并非您的数据" in r.summary("zh")
    assert "synthetic" not in r.summary("en").lower() and "模拟数据" not in r.summary("zh")
    assert main(["power", "--districts", "1", "--cycles", "6", "--effect", "0.2", "--sims", "20", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "区县数 districts 须为 3 到 10000 之间的整数" in err and "must be" not in err
    assert main(["power", "--districts", "1", "--cycles", "6", "--effect", "0.2", "--sims", "20", "--lang", "en"]) == 2
    assert "districts must be a whole number" in capsys.readouterr().err
