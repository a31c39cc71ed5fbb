"""Next-cycle scenarios: built on predict, exact for a logged lever, intervals that behave."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.models.rates import fit_discharge, fit_signup
from recruitstats.planning.scenarios import (coefficient_draws, dispersion, next_cycle, parse_change,
                                             predictive_draws)
from recruitstats.simulate import simulate


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate(seed=21, n_cities=3, districts_per_city=6, first_year=2019, last_year=2024).panel


@pytest.fixture(scope="module")
def models(panel):
    return fit_signup(panel), fit_discharge(panel)


@pytest.mark.parametrize("text, expected", [
    ("publicity=+30%", ("publicity", 1.3)), ("outreach=x2", ("outreach", 2.0)),
    ("allowance=+20%", ("stipend", 1.2)), ("door_visits=×1.5", ("outreach", 1.5)),
    ("stipend=-10％", ("stipend", 0.9))])
def test_parse_change(text, expected):
    lever, factor = parse_change(text)
    assert lever == expected[0] and factor == pytest.approx(expected[1])


@pytest.mark.parametrize("text", ["publicity", "publicity=30", "nolever=+5%", "publicity=-100%", "publicity=x-2"])
def test_parse_change_refuses(text):
    with pytest.raises(InputError):
        parse_change(text)


def test_draws_go_through_predict(models):
    signup, _ = models
    rows = signup.data.loc[signup.rows_used].iloc[-7:].copy()
    rows["publicity_spend"] *= 1.3
    draws = coefficient_draws(signup, 5, seed=3)
    mu = predictive_draws(signup, rows, draws)
    for b, m in zip(draws, mu):
        np.testing.assert_allclose(m, signup.predict(rows, params=b).to_numpy(), rtol=1e-12)


def test_publicity_scenario_is_exact_and_intervals_nest(models):
    signup, discharge = models
    r = next_cycle(signup, {"publicity": 1.3}, discharge=discharge, reps=2000, seed=1)
    a = r.table.loc["applicants"]
    # publicity enters as log(spend / youth): every expected count is multiplied by 1.3^b
    assert a["predicted"] / a["baseline"] == pytest.approx(1.3 ** signup.params["publicity"], rel=1e-10)
    assert a["change_ci_low"] < a["change"] < a["change_ci_high"]
    assert a["pi_low"] < a["predicted"] < a["pi_high"]
    # the prediction interval of the count is wider than the confidence interval of its expectation
    assert a["pi_high"] - a["pi_low"] > a["change_ci_high"] - a["change_ci_low"]
    assert "returned" in r.table.index and r.synthetic
    last = signup.data.loc[signup.rows_used, "cycle_index"].max()
    assert r.by_district["district"].nunique() == (signup.data["cycle_index"] == last).sum()
    again = next_cycle(signup, {"publicity": 1.3}, discharge=discharge, reps=2000, seed=1)
    assert again.to_dict() == r.to_dict()


def test_prediction_interval_reflects_dispersion(models):
    signup, _ = models
    phi = dispersion(signup)
    assert phi > 1  # the simulator's gamma frailty makes sign-ups overdispersed
    r = next_cycle(signup, {"outreach": 2.0}, reps=4000, seed=2)
    a = r.table.loc["applicants"]
    # with parameter draws and quasi-Poisson noise the interval is wider than Poisson noise alone
    poisson_width = 2 * 1.96 * np.sqrt(a["predicted"])
    assert a["pi_high"] - a["pi_low"] > poisson_width


def test_city_and_district(models, panel):
    signup, discharge = models
    city = panel["city"].iloc[0]
    r = next_cycle(signup, {"stipend": 1.2}, discharge=discharge, city=city, seed=4, reps=500)
    assert r.where == f"city {city}"
    assert set(r.by_district["district"]) <= set(panel.loc[panel["city"] == city, "district"])
    code = panel["district_code"].iloc[0]
    r = next_cycle(signup, {"stipend": 1.2}, district=code, seed=4, reps=500)
    assert r.by_district["district_code"].unique().tolist() == [code]
    for kwargs in (dict(city="nowhere"), dict(district="x", city=city), dict(reps=10)):
        with pytest.raises(InputError):
            next_cycle(signup, {"stipend": 1.2}, seed=1, **kwargs)
    with pytest.raises(InputError):
        next_cycle(signup, {"stipend": 0.0}, seed=1)


def test_cli(tmp_path, panel, capsys):
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    code = main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--set", "outreach=x2",
                 "--reps", "500", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert set(data["outcomes"]) == {"applicants", "returned"} and data["synthetic"] is True
    assert data["changes"] == {"publicity": 1.3, "outreach": 2.0}
    assert main(["scenario", "--data", str(path), "--set", "publicity=lots"]) == 2
    assert "--set" in capsys.readouterr().err


def _known_panel(seed: int, districts: int = 45, cycles: int = 10):
    """A canonical panel from the power module's process with known means (no serial correlation)."""
    import importlib
    import math

    pw = importlib.import_module("recruitstats.planning.power")   # the package attribute is the function
    from recruitstats.simulate import _LEVER_REF

    draw = pw._draw(np.random.default_rng(seed), districts, cycles, 0.0)
    shape, pw._SIGNUP_SHAPE = pw._SIGNUP_SHAPE, 1e15   # the same stream without noise: the mean
    try:
        mean_base = pw._draw(np.random.default_rng(seed), districts, cycles, 0.0)["base"]
    finally:
        pw._SIGNUP_SHAPE = shape
    b = pw._coefs("publicity", 0.1)
    lin = sum(b[k] * draw["levers"][k] for k in b)
    youth, rng = draw["youth"], np.random.default_rng(10_000 + seed)
    wage = 1e5
    panel = pd.DataFrame({
        "district": np.repeat([f"d{i}" for i in range(districts)], cycles),
        "year": np.tile(2020 + np.arange(cycles) // 2, districts),
        "half": np.tile(1 + np.arange(cycles) % 2, districts),
        "eligible_youth": youth.ravel(),
        "applicants": rng.poisson(youth * np.exp(draw["base"] + lin)).astype(float).ravel(),
        "publicity_spend": (np.exp(draw["levers"]["publicity"] + _LEVER_REF["publicity"]) * youth).ravel(),
        "avg_wage": wage,
        "family_allowance": (np.exp(draw["levers"]["stipend"] + _LEVER_REF["stipend"]) * wage).ravel(),
        "door_visits": (np.expm1(draw["levers"]["outreach"] + _LEVER_REF["outreach"]) * youth / 100).ravel()})
    s2 = math.log1p(1 / shape)
    mean_last = youth[:, -1] * np.exp(mean_base[:, -1] + lin[:, -1])
    def fresh(factor: float) -> np.ndarray:   # a new draw of the latest cycle, levers scaled by factor
        return rng.poisson(mean_last * factor * np.exp(rng.normal(0, np.sqrt(s2), districts) - s2 / 2))
    return panel, fresh


@pytest.mark.slow
def test_prediction_interval_covers_a_fresh_replay_of_the_latest_cycle():
    """Over 150 panels with known means, the 95% interval covers a new draw of the changed latest cycle ~95%."""
    hits = []
    for seed in range(150):
        panel, fresh = _known_panel(seed)
        r = next_cycle(fit_signup(panel), {"publicity": 1.3}, reps=1000, seed=seed).table.loc["applicants"]
        hits.append(r["pi_low"] <= fresh(1.3 ** 0.1).sum() <= r["pi_high"])
    assert 0.90 <= np.mean(hits) <= 0.99, np.mean(hits)


def test_cli_without_returns_still_predicts_signups(tmp_path, panel, capsys):
    path = tmp_path / "no_returns.csv"
    panel.assign(returned=0).to_csv(path, index=False)
    code = main(["scenario", "--data", str(path), "--set", "stipend=+20%", "--reps", "200", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert set(json.loads(out.out)["outcomes"]) == {"applicants"}
    assert "returns not predicted" in out.err


def test_tiny_panel_gives_wide_but_finite_intervals():
    """Six districts: t(5) coefficient draws are heavy-tailed; counts stay within the exposure."""
    small = simulate(seed=3, n_cities=2, districts_per_city=3, first_year=2023, last_year=2025,
                     recruits=False).panel
    r = next_cycle(fit_signup(small), {"stipend": 1.2, "publicity": 1.3, "outreach": 2.0},
                   discharge=fit_discharge(small), seed=1, reps=2000, threshold=1)  # the intervals, not disclosure
    assert np.isfinite(r.table[["pi_low", "pi_high"]].to_numpy()).all()
    last = small[(small["year"] == 2025) & (small["half"] == 2)]
    assert r.table.loc["returned", "pi_high"] <= last["enlisted"].sum()
    assert r.table.loc["applicants", "pi_high"] <= last["eligible_youth"].sum()


def _small_returns_city(panel: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The first city with 2 returns in the latest cycle (one district), none in its other districts."""
    out = panel.copy()
    city = out["city"].iloc[0]
    last = (out["year"] == out["year"].max()) & (out["half"] == out.loc[out["year"] == out["year"].max(), "half"].max())
    rows = out.index[last & (out["city"] == city)]
    out.loc[rows, "returned"] = 0
    out.loc[rows[0], "returned"] = 2
    return out, city


def test_a_baseline_count_below_the_threshold_is_not_published(tmp_path, panel, capsys):
    """"退兵人数：预计 1（原 2）" gave the latest returns of the city away."""
    small, city = _small_returns_city(panel)
    path = tmp_path / "panel.csv"
    small.drop(columns=["data_source"], errors="ignore").to_csv(path, index=False)
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--city", city, "--reps", "300",
                 "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "退兵人数" in x)
    assert "*" in line and "原" not in line and "少于5人" in line and "%" in line
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--city", city, "--reps", "300",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ret = data["outcomes"]["returned"]
    assert ret["suppressed"] is True and ret["observed"] is None and ret["baseline"] is None
    assert ret["predicted"] is None and ret["pi_high"] is None and ret["relative_change"] > 0
    assert any("1 to 4" in n for n in data["notes"]) and data["threshold"] == 5
    for row in data["by_district"]:
        if row["outcome"] == "returned" and row["suppressed"]:
            assert row["observed"] is None and row["baseline"] is None and row["predicted"] is None
    hidden = [r for r in data["by_district"] if r["outcome"] == "returned" and r["suppressed"]]
    assert hidden  # the district with 2 returns, and enough others that the total does not give it back
    (tmp_path / "recruitstats.toml").write_text("threshold = 2\n", encoding="utf-8")
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--city", city, "--reps", "300",
                 "--json", "--config", str(tmp_path / "recruitstats.toml")]) == 0
    assert json.loads(capsys.readouterr().out)["outcomes"]["returned"]["observed"] == 2


def test_planning_messages_follow_the_language_and_name_the_district(tmp_path, panel, capsys):
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--city", "某市", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "没有名为“某市”的地市" in err and "no city" not in err
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--city", "某市", "--lang", "en"]) == 2
    assert "no city named '某市'" in capsys.readouterr().err
    code = str(panel["district_code"].iloc[0])
    name = panel.loc[panel["district_code"].astype(str) == code, "district"].iloc[0]
    assert main(["scenario", "--data", str(path), "--set", "publicity=+30%", "--district", code, "--reps", "300",
                 "--lang", "en"]) == 0
    assert f"district {name} ({code})" in capsys.readouterr().out
