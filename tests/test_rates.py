"""The sign-up and discharge models against independent authorities.

- statsmodels GLM with explicit district and cycle dummies (Poisson with offset
  log(exposure); binomial logit with endog = [successes, failures]): the same
  estimates to 1e-6.
- Clustered errors: statsmodels' cov_type="cluster" uses the factor
  G/(G-1) * (N-1)/(N-K) with K counting every dummy; we follow fixest, where a
  district effect nested in the district clusters counts as ONE parameter, so
  se_ours / se_statsmodels = sqrt((N - K_statsmodels) / (N - K_ours)) exactly.
- pyfixest ``fepois`` with its default small-sample correction
  (ssc(k_adj=True, k_fixef="nonnested", G_adj=True)) gives our errors directly.
- With fewer than 40 clusters the default is the CRV3 leave-one-cluster-out
  jackknife; it is checked against statsmodels refits without each cluster.
  The CRV1 comparisons ask for CRV1 explicitly (vcov="cluster").
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from recruitstats.errors import InputError
from recruitstats.models.rates import fit_discharge, fit_signup

LEVERS = ["publicity", "stipend", "outreach"]


def make_panel(seed: int = 0, *, n_districts: int = 24, n_cities: int = 4, years=range(2018, 2024),
               b=(0.15, 0.6, 0.3), disp: float = 0.3) -> pd.DataFrame:
    """A small overdispersed panel with known lever effects (test data, not the package simulator)."""
    rng = np.random.default_rng(seed)
    cycles = [(y, h) for y in years for h in ((2,) if y < 2020 else (1, 2))]
    rows = []
    for d in range(n_districts):
        a, e0 = rng.normal(-2.5, 0.3), rng.integers(2000, 20000)
        for k, (y, h) in enumerate(cycles):
            e = float(int(e0 * rng.uniform(0.9, 1.1)))
            spend = e * np.exp(rng.normal(1.5, 0.5))
            wage = 60000 * np.exp(0.05 * k + rng.normal(0, 0.05))
            allow = wage * np.exp(rng.normal(np.log(0.4), 0.15))
            visits = float(round(e * rng.uniform(0.005, 0.2)))
            x = np.array([np.log(spend / e), np.log(allow / wage), np.log1p(100 * visits / e)])
            lam = e * np.exp(a + 0.05 * k + x @ np.asarray(b)) * rng.gamma(1 / disp, disp)
            app = float(rng.poisson(lam))
            enl = float(max(1, int(app * 0.2)))
            ret = float(rng.binomial(int(enl), min(0.9, 0.02 * np.exp(-0.3 * x[2]))))
            rows.append(dict(city=f"C{d % n_cities}", district=f"D{d:03d}", year=y, half=h,
                             eligible_youth=e, applicants=app, enlisted=enl, returned=ret,
                             publicity_spend=spend, family_allowance=allow, avg_wage=wage,
                             door_visits=visits, unemployment_rate=rng.uniform(0.03, 0.07)))
    return pd.DataFrame(rows)


def _statsmodels(result, *, family="poisson", extra: str = ""):
    """statsmodels GLM with explicit dummies on the rows our model used."""
    d = result.data.loc[result.rows_used].copy()
    regs = [r for r in result.params.index]
    rhs = " + ".join(regs) + " + C(district) + C(cycle)" + extra
    if family == "poisson":
        model = smf.glm(f"{result.outcome} ~ {rhs}", data=d, family=sm.families.Poisson(),
                        offset=np.log(d[result.exposure]))
    else:
        d["failures"] = d[result.exposure] - d[result.outcome]
        model = smf.glm(f"{result.outcome} + failures ~ {rhs}", data=d, family=sm.families.Binomial())
    groups = pd.factorize(d["district"])[0]
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, tol=1e-12)
    return fit, regs, len(d), len(fit.params)


def _our_k(result) -> int:
    """K in our small-sample factor: regressors + cycle dummies + 1 for the nested district effect."""
    n_cycles = result.data.loc[result.rows_used, "cycle"].nunique()
    return len(result.params) + (n_cycles - 1) + 1


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel()


def test_signup_poisson_matches_statsmodels_dummies(panel):
    res = fit_signup(panel, vcov="cluster")
    ref, regs, n, k_sm = _statsmodels(res)
    np.testing.assert_allclose(res.params[regs], ref.params[regs], rtol=0, atol=1e-6)
    ratio = np.sqrt((n - k_sm) / (n - _our_k(res)))
    np.testing.assert_allclose(res.se[regs], ref.bse[regs] * ratio, rtol=1e-5)
    # and the whole fitted vector
    np.testing.assert_allclose(res.fitted, ref.fittedvalues, rtol=1e-6)


def test_signup_matches_pyfixest_fepois(panel):
    pf = pytest.importorskip("pyfixest")
    res = fit_signup(panel, controls=["unemployment_rate"], vcov="cluster")
    d = res.data.assign(lexp=np.log(res.data["eligible_youth"]))
    ref = pf.fepois("applicants ~ publicity + stipend + outreach + unemployment_rate | district + cycle",
                    data=d, offset="lexp", vcov={"CRV1": "district"})
    names = ["publicity", "stipend", "outreach", "unemployment_rate"]
    # pyfixest's IRLS stops at its own tolerance (about 1e-8 relative in the deviance)
    np.testing.assert_allclose(res.params[names], ref.coef()[names], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.se[names], ref.se()[names], rtol=1e-5)
    assert res.df_t == res.n_clusters - 1 == 23


def test_binomial_logit_matches_statsmodels(panel):
    res = fit_discharge(panel, family="binomial", vcov="cluster")
    ref, regs, n, k_sm = _statsmodels(res, family="binomial")
    np.testing.assert_allclose(res.params[regs], ref.params[regs], rtol=0, atol=1e-6)
    ratio = np.sqrt((n - k_sm) / (n - _our_k(res)))
    np.testing.assert_allclose(res.se[regs], ref.bse[regs] * ratio, rtol=1e-5)


def test_few_clusters_default_is_crv3_jackknife():
    p = make_panel(5, n_districts=12, n_cities=3, years=range(2020, 2024))
    res = fit_signup(p)
    assert "jackknife" in res.fit.inference and "t(11)" in res.fit.inference
    # CRV3 by hand: (G-1)/G * sum_g (b_-g - b)(b_-g - b)', each b_-g from statsmodels with dummies
    d = res.data
    full, regs, _, _ = _statsmodels(res)
    devs = []
    for g in sorted(d["district"].unique()):
        sub = d[d["district"] != g]
        m = smf.glm(f"applicants ~ {' + '.join(regs)} + C(district) + C(cycle)", data=sub,
                    family=sm.families.Poisson(), offset=np.log(sub["eligible_youth"])).fit(tol=1e-12)
        devs.append(m.params[regs].to_numpy() - full.params[regs].to_numpy())
    devs = np.asarray(devs)
    cov = (len(devs) - 1) / len(devs) * devs.T @ devs
    np.testing.assert_allclose(res.cov.loc[regs, regs].to_numpy(), cov, rtol=1e-5, atol=1e-12)
    assert res.df_t == 11


def test_district_trends_match_statsmodels(panel):
    res = fit_signup(panel, trends=True)
    ref, regs, n, _ = _statsmodels(res, extra=" + C(district):cycle_index")
    np.testing.assert_allclose(res.params[regs], ref.params[regs], rtol=0, atol=1e-6)


def test_no_fixed_effects_matches_statsmodels(panel):
    res = fit_signup(panel, fixed_effects=())
    d = res.data
    ref = smf.glm("applicants ~ publicity + stipend + outreach", data=d, family=sm.families.Poisson(),
                  offset=np.log(d["eligible_youth"])).fit(tol=1e-12)
    np.testing.assert_allclose(res.params[LEVERS], ref.params[LEVERS], atol=1e-6)


def test_lever_absorbed_by_fixed_effects_is_reported_not_estimated(panel):
    p = panel.copy()
    # the allowance is a city-wide share of the wage that changes by cycle only: log(allowance/wage)
    # = city effect + cycle effect, which district and cycle fixed effects absorb exactly
    share = {c: s for c, s in zip(sorted(p["city"].unique()), [0.35, 0.4, 0.45, 0.5])}
    step = (p["year"] - 2018) * 2 + p["half"]
    p["family_allowance"] = p["avg_wage"] * p["city"].map(share) * np.exp(0.03 * step)
    res = fit_signup(p)
    assert "stipend" in res.not_identified
    assert "fixed effects" in res.not_identified["stipend"]
    out = res.to_dict()
    assert set(out["effects"]) == {"publicity", "outreach"}
    assert "stipend" in out["not_identified"]
    assert "stipend" not in json.dumps(out["effects"])
    # the identified levers are still right: same as statsmodels without the absorbed lever
    ref, regs, _, _ = _statsmodels(res)
    np.testing.assert_allclose(res.params[regs], ref.params[regs], atol=1e-6)


def test_districts_with_no_return_are_dropped_and_counted(panel):
    p = panel.copy()
    silent = ["D001", "D005", "D009"]
    p.loc[p["district"].isin(silent), "returned"] = 0.0
    n_cycles = p.groupby(["year", "half"]).ngroups
    res = fit_discharge(p)
    assert res.dropped["district groups with no variation in returned"] == 3
    assert res.dropped["observations in those groups"] == 3 * n_cycles
    assert res.n_obs == len(p) - 3 * n_cycles
    assert res.n_clusters == 21
    assert not set(res.data.loc[res.rows_used, "district"]) & set(silent)
    pf = pytest.importorskip("pyfixest")
    d = res.data.assign(lexp=np.log(res.data["enlisted"]))
    ref = pf.fepois("returned ~ publicity + stipend + outreach | district + cycle", data=d, offset="lexp",
                    vcov={"CRV1": "district"})
    assert ref._N == res.n_obs
    np.testing.assert_allclose(res.params[LEVERS], ref.coef()[LEVERS], atol=1e-6)


def test_rows_missing_values_are_dropped_and_counted(panel):
    p = panel.copy()
    p.loc[[3, 10, 50], "publicity_spend"] = np.nan
    p.loc[[10, 70], "applicants"] = np.nan
    res = fit_signup(p)
    assert res.dropped["rows missing publicity_spend"] == 3
    assert res.dropped["rows missing applicants"] == 2
    assert res.dropped["rows dropped in total (any missing value)"] == 4
    assert res.n_obs == len(p) - 4
    assert res.to_dict()["dropped"]["rows dropped in total (any missing value)"] == 4


def test_json_contract_keys_and_types(panel):
    out = fit_signup(panel).to_dict()
    json.dumps(out)  # serialisable
    for key, typ in [("model", str), ("outcome", str), ("exposure", str), ("n_obs", int),
                     ("n_clusters", int), ("fixed_effects", list), ("inference", str), ("effects", dict)]:
        assert isinstance(out[key], typ), key
    assert out["fixed_effects"] == ["district", "cycle"]
    for lever in LEVERS:
        assert set(out["effects"][lever]) == {"coef", "se", "ci_low", "ci_high", "p_value"}
        e = out["effects"][lever]
        assert e["ci_low"] < e["coef"] < e["ci_high"]
    assert "t(23)" in out["inference"]


def test_synthetic_flag(panel):
    p = panel.assign(data_source="SYNTHETIC (recruitstats.simulate)")
    assert fit_signup(p).to_dict()["synthetic"] is True
    assert fit_signup(panel).to_dict()["synthetic"] is False


@pytest.mark.parametrize("kwargs, text", [
    ({"levers": ["advertising"]}, "unknown lever"),
    ({"controls": ["college_students"]}, "college_students"),
    ({"levers": ["publicity", "billboards"]}, "unknown lever.*billboards"),
    ({"vcov": "sandwich"}, "vcov"),
    ({"family": "gamma"}, "family"),
])
def test_bad_options_raise_input_error(panel, kwargs, text):
    with pytest.raises(InputError, match=text):
        fit_signup(panel, **kwargs)


def test_missing_lever_column_is_input_error(panel):
    with pytest.raises(InputError, match="door_visits"):
        fit_signup(panel.drop(columns="door_visits"))


def test_bootstrap_adds_keys(panel):
    res = fit_signup(panel.iloc[:120]).with_bootstrap(reps=99, seed=3, progress=False)
    e = res.to_dict()["effects"]["publicity"]
    assert {"boot_p_value", "boot_ci_low", "boot_ci_high"} <= set(e)
    assert e["boot_ci_low"] < e["coef"] < e["boot_ci_high"]


def test_table_precision_follows_the_standard_error(panel):
    from recruitstats.report.tables import decimals_for, format_regression_table, regression_table

    assert decimals_for(0.0123) == 3 and decimals_for(0.37) == 2 and decimals_for(4.2) == 1
    assert decimals_for(123.0) == 0
    res = fit_signup(panel)
    text = format_regression_table(res)
    for lever in LEVERS:
        d = decimals_for(float(res.se[lever]))
        assert f"{res.params[lever]:.{d}f}" in text and f"({res.se[lever]:.{d}f})" in text
    assert "t(23)" in text and "Observations" in text
    table = regression_table(res)
    assert list(table.index) == LEVERS and table.loc["publicity", "coef"] == res.params["publicity"]


def test_table_lists_not_identified_levers(panel):
    from recruitstats.report.tables import compare_table, format_regression_table

    p = panel.assign(family_allowance=panel["avg_wage"] * 0.4)
    res = fit_signup(p)
    text = format_regression_table(res)
    assert "stipend" in text and "not identified" in text
    both = compare_table({"a": res, "b": fit_signup(panel)}, truth={"stipend": 0.6})
    assert both.loc["stipend", "a"] == "not identified"
    assert both.loc["stipend", "truth"] == "0.6"


def test_district_code_is_the_key_when_present():
    """SCHEMA.md: a district renamed between years is one district when its code is the same."""
    from recruitstats.simulate import simulate

    panel = simulate(seed=3, n_cities=2, districts_per_city=6, first_year=2020, last_year=2024,
                     recruits=False).panel
    renamed = panel.copy()
    first = renamed["district"].iloc[0]
    renamed.loc[(renamed["district"] == first) & (renamed["year"] >= 2023), "district"] = first + "(新)"
    by_code = fit_signup(renamed)
    assert by_code.n_clusters == panel["district_code"].nunique()
    pd.testing.assert_series_equal(by_code.params, fit_signup(panel).params)
    assert by_code.to_dict()["fixed_effects"] == ["district", "cycle"]
