"""Plain-language planning findings: built from results, both languages, synthetic data said so."""

from __future__ import annotations

import pytest

from recruitstats.errors import InputError
from recruitstats.models.rates import fit_signup
from recruitstats.planning import allocate, next_cycle, planning_findings, power
from recruitstats.simulate import simulate


@pytest.fixture(scope="module")
def results():
    panel = simulate(seed=2, n_cities=2, districts_per_city=6, first_year=2020, last_year=2024,
                     recruits=False).panel
    signup = fit_signup(panel)
    return dict(power=power(12, 6, 0.1, 20, 1, progress=False),
                scenarios=[next_cycle(signup, {"publicity": 1.3}, seed=1, reps=200)],
                allocation=allocate(signup, 1e6, unit_costs={"door_visits": 50}, draws=20, seed=1))


def test_sentences_in_both_languages(results):
    zh = planning_findings(**results, lang="zh")
    en = planning_findings(**results, lang="en")
    assert len(zh) == len(en) == 4
    assert "最小可检测" in zh[0] and "情景" in zh[1] and "最优组合" in zh[2] and "模拟数据" in zh[3]
    assert "smallest coefficient" in en[0] and "Scenario" in en[1] and "best mix" in en[2]
    assert "SYNTHETIC" in en[3]
    # numbers are the results' own
    a = results["allocation"]
    assert f"{a.gain['point']:,.0f}" in en[2]


def test_power_alone_and_bad_language(results):
    only = planning_findings(power=results["power"], lang="en")
    assert len(only) == 2 and "simulated" in only[1]
    assert planning_findings(lang="zh") == []
    with pytest.raises(InputError):
        planning_findings(lang="fr")


def test_power_on_real_data_is_not_called_synthetic(results):
    """A real-data report must not tell the reader their data are synthetic."""
    zh = planning_findings(power=results["power"], lang="zh")
    en = planning_findings(power=results["power"], lang="en")
    assert "功效模拟（计划用的模拟面板，并非您的数据）" in zh[1] and "模拟数据" not in "".join(zh)
    assert "simulated panels" in en[1] and "planning simulation, not your data" in en[1]
    assert "synthetic" not in " ".join(en).lower()


def test_a_hidden_scenario_count_gives_only_the_relative_change(results):
    from dataclasses import replace

    s = results["scenarios"][0]
    table = s.table.copy()
    table.loc["applicants", ["observed", "baseline", "predicted", "change", "change_ci_low", "change_ci_high",
                             "pi_low", "pi_high"]] = float("nan")
    table.loc["applicants", "suppressed"] = True
    hidden = replace(s, table=table)
    zh, en = planning_findings(scenarios=[hidden], lang="zh")[0], planning_findings(scenarios=[hidden], lang="en")[0]
    assert "nan" not in zh + en and "%" in zh and "not published" in en and "少于5人" in zh
