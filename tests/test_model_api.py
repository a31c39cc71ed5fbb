"""The model API of issue #9: lever registry, model specs, one result protocol, predictions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recruitstats.cli import main
from recruitstats.levers import LEVERS, Lever
from recruitstats.models.rates import fit_discharge, fit_model, fit_signup
from recruitstats.policy import effect_of_increase, elasticities, scenario
from recruitstats.report.tables import format_regression_table, regression_table, term_label
from recruitstats.results import Result
from recruitstats.specs import DISCHARGE, SIGNUP, ModelSpec
from test_rates import make_panel


@pytest.fixture(scope="module")
def panel():
    p = make_panel(seed=5, n_districts=45)
    rng = np.random.default_rng(1)
    return p.assign(exemplar_talks=rng.poisson(p["eligible_youth"] / 2000).astype(float))


@pytest.fixture(scope="module")
def logit(panel):
    return fit_signup(panel, family="binomial")


def test_logit_plus_ten_percent_is_the_difference_of_logistic_predictions(panel, logit):
    """+10% publicity spending through predict on the changed data, not exp(b dx)."""
    used = panel.loc[logit.rows_used]
    more = used.assign(publicity_spend=used["publicity_spend"] * 1.1)
    n_cycles = used.groupby(["year", "half"]).ngroups
    by_prediction = (logit.predict(more).sum() - logit.predict(used).sum()) / n_cycles
    s = scenario(logit, changes={"publicity": 1.1})
    assert s["change"] == pytest.approx(by_prediction, rel=1e-10)
    b = logit.params["publicity"]
    poisson_formula = logit.fitted.sum() * (1.1 ** b - 1) / n_cycles
    p = (logit.fitted / used["eligible_youth"]).to_numpy()
    assert abs(s["change"] - poisson_formula) > 0  # differs by the factor (1 - p)
    # the logit elasticity of expected sign-ups is b (1 - p) per row (SCHEMA.md), averaged per row
    el = elasticities(logit, averaging="mean")
    assert el.loc["publicity", "estimate"] == pytest.approx(np.mean(b * (1 - p)), rel=1e-10)
    assert el.loc["publicity", "estimate"] != pytest.approx(b, rel=1e-6)


def test_poisson_elasticities_are_the_coefficients_of_logged_levers(panel):
    res = fit_signup(panel)
    el = elasticities(res)
    for lever in ("publicity", "stipend"):
        assert el.loc[lever, "estimate"] == pytest.approx(res.params[lever], rel=1e-10)
        assert el.loc[lever, "se"] == pytest.approx(res.se[lever], rel=1e-8)
    assert "weighted by the fitted outcome" in el.attrs["averaging"]


def test_predict_returns_the_fitted_values_and_known_levels_out_of_sample(panel):
    res = fit_signup(panel)
    np.testing.assert_allclose(res.predict().to_numpy(), res.fitted.to_numpy(), rtol=1e-10)
    # the same rows under new labels go through the fixed effects' per-level table
    fresh = panel.loc[res.rows_used].reset_index(drop=True)
    fresh.index = fresh.index + 10_000
    np.testing.assert_allclose(res.predict(fresh).to_numpy(), res.fitted.to_numpy(), rtol=1e-8)
    ci = res.predict(interval="confidence")
    assert (ci["ci_low"] < ci["estimate"]).all() and (ci["estimate"] < ci["ci_high"]).all()
    link = res.predict(kind="link")
    np.testing.assert_allclose(np.exp(link), res.fitted, rtol=1e-10)


def test_every_result_answers_the_protocol_and_shares_one_table(panel):
    from recruitstats.models.cox import fit_cox
    from recruitstats.models.survival import discharge_durations
    from recruitstats.simulate import simulate

    sim = simulate(seed=3, n_cities=2, districts_per_city=6, first_year=2021, last_year=2023)
    cox = fit_cox(discharge_durations(sim.recruits), covariates=["door_visit", "followup_contact"])
    signup, discharge = fit_signup(panel), fit_discharge(panel)
    for res in (signup, discharge, cox):
        assert isinstance(res, Result)
        tidy = res.tidy()
        assert list(tidy.columns) == ["term", "estimate", "se", "ci_low", "ci_high", "p_value", "inference"]
        json.dumps(res.to_dict())
        assert isinstance(res.summary(), str)
        assert res.nobs > 0
    table = regression_table([signup, discharge, cox])
    assert {"signup", "discharge", "cox"} == set(table.columns.get_level_values(0))
    assert table.loc["door_visit", ("cox", "coef")] == pytest.approx(cox.params["door_visit"])
    assert np.isnan(table.loc["door_visit", ("signup", "coef")])
    text = format_regression_table([signup, discharge, cox])
    assert "followup_contact" in text and "Observations" in text and "SYNTHETIC" in text
    # Cox predictions are relative hazards exp(x b)
    d = discharge_durations(sim.recruits)
    np.testing.assert_allclose(cox.predict(d.iloc[:5]), np.exp(
        d.iloc[:5][["door_visit", "followup_contact"]].astype(float).to_numpy() @ cox.params.to_numpy()))


def test_models_without_fixed_effects_report_their_intercept(panel):
    res = fit_signup(panel, fixed_effects=(), cluster=None)
    assert "(intercept)" in res.params.index
    assert "intercept" in res.to_dict()
    assert "(intercept)" in format_regression_table(res)
    np.testing.assert_allclose(res.predict().to_numpy(), res.fitted.to_numpy(), rtol=1e-10)


def test_a_new_lever_is_one_registry_entry(panel, monkeypatch, capsys, tmp_path):
    entry = Lever("talks_per_youth", "outreach", "exemplar_talks", "eligible_youth", "log1p", 1000.0,
                  "宣讲密度", "Talk density", "场/千名适龄青年", "talks per 1,000 eligible youth", "per_unit")
    monkeypatch.setitem(LEVERS, entry.name, entry)
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    assert main(["fit", "signup", "--data", str(path), "--levers", "publicity", "talks_per_youth",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["effects"]) == {"publicity", "talks_per_youth"}
    assert out["transforms"]["talks_per_youth"].startswith("log(1 + 1000 * exemplar_talks / eligible_youth)")
    res = fit_signup(panel, levers=["publicity", "talks_per_youth"])
    assert "talks_per_youth" in regression_table(res).index
    assert term_label("talks_per_youth", "zh") == "宣讲密度"
    assert "talks_per_youth" in effect_of_increase(res).index


def test_specs_round_trip_through_toml_and_formulas(panel, tmp_path):
    spec = ModelSpec.from_formula("returned ~ publicity + outreach + unemployment_rate | district + cycle")
    assert spec.name == "discharge" and spec.exposure == "enlisted"
    assert spec.levers == ("publicity", "outreach") and spec.controls == ("unemployment_rate",)
    path = tmp_path / "model.toml"
    path.write_text(spec.to_toml(), encoding="utf-8")
    assert ModelSpec.from_toml(path) == spec
    a = fit_model(spec, panel)
    b = fit_discharge(panel, levers=["publicity", "outreach"], controls=["unemployment_rate"])
    pd.testing.assert_series_equal(a.params, b.params)
    assert fit_model(SIGNUP, panel).params.equals(fit_signup(panel).params)
    assert DISCHARGE.outcome == "returned"
    with pytest.raises(Exception, match="unknown key"):
        ModelSpec.from_dict({"leverz": ["publicity"]})


def test_fit_reads_a_spec_file_and_the_project_config(panel, tmp_path, capsys, monkeypatch):
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    spec = tmp_path / "spec.toml"
    spec.write_text('formula = "applicants ~ publicity + exemplar_talks | district + cycle"\n', encoding="utf-8")
    assert main(["fit", "signup", "--data", str(path), "--spec", str(spec), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["effects"]) == {"publicity", "exemplar_talks"}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recruitstats.toml").write_text('[levers]\noutreach = "exemplar_talks"\n', encoding="utf-8")
    assert main(["fit", "signup", "--data", str(path), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["effects"]) == {"publicity", "stipend", "exemplar_talks"}


def test_a_lever_named_after_its_column_predicts_its_fitted_values():
    """exemplar_talks and followup_contacts are both a lever and the raw column it is made of."""
    from recruitstats.io import load_panel

    panel = load_panel("data/sample/panel.csv")
    for fit, levers in ((fit_discharge, ["publicity", "followup_contacts"]),
                        (fit_signup, ["publicity", "stipend", "counselors_trained", "exemplar_talks"])):
        res = fit(panel, levers=levers)
        np.testing.assert_allclose(res.predict().to_numpy(), res.fitted.to_numpy(), rtol=1e-9)
        assert (res.data["exemplar_talks" if "exemplar_talks" in levers else "followup_contacts"]
                == panel.loc[res.data.index, levers[-1]]).all()
        eff = effect_of_increase(res)
        assert np.isfinite(eff["additional"]).all()


def test_the_regression_table_speaks_chinese(panel):
    res = fit_signup(panel)
    zh = format_regression_table(res, lang="zh")
    assert zh.startswith("报名模型") and "宣传经费" in zh and "观测数" in zh and "括号内为标准误" in zh
    assert f"{res.params['publicity']:.{2}f}"[:4] in zh
    assert format_regression_table(res).startswith("Sign-up model")
