"""The one covariance chooser and the warm-started CRV3 jackknife.

The jackknife reuses the converged fit (first Newton steps of every cluster at
once when the absorbed effect is nested in the clusters, then warm-started IRLS);
here it is checked against the definition: G fits from scratch through the public
``fit_rate``, one without each cluster, to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.inference import (
    FEW_CLUSTERS,
    choose_covariance,
    jackknife_covariance,
    resolve_vcov,
    small_sample_factor,
)
from recruitstats.models.engine import fit_rate


def _panel(seed: int, n_districts: int = 12, n_cycles: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = np.repeat(np.arange(n_districts), n_cycles)
    t = np.tile(np.arange(n_cycles), n_districts)
    a = rng.normal(0, 0.5, n_districts)[d]
    x1 = rng.normal(size=d.size) + a
    x2 = rng.normal(size=d.size)
    exposure = rng.integers(200, 3000, d.size).astype(float)
    mu = exposure * np.exp(-3 + a + 0.1 * t / n_cycles + 0.2 * x1 - 0.1 * x2)
    y = rng.negative_binomial(5, 5 / (5 + mu)).astype(float)
    return pd.DataFrame({"y": y, "E": exposure, "x1": x1, "x2": x2, "district": [f"D{i:02d}" for i in d],
                         "city": [f"C{i // 3}" for i in d], "cycle": t, "t": t.astype(float),
                         "batch": rng.integers(0, 5, d.size)})


def _from_scratch(df: pd.DataFrame, fit, **kw) -> np.ndarray:
    """CRV3 by its definition: one fit from scratch without each cluster."""
    data, cluster = fit.data, kw["cluster"]
    draws = []
    for g in sorted(data[cluster].unique()):
        sub = fit_rate(data[data[cluster] != g], **{**kw, "vcov": "iid"})
        assert list(sub.params.index) == list(fit.params.index)
        draws.append(sub.params.to_numpy())
    return jackknife_covariance(np.asarray(draws), fit.params.to_numpy())


CASES = {
    "district effect, clustered by district (nested)":
        dict(fixed_effects=["district", "cycle"], cluster="district"),
    "district effect, clustered by city (nested)":
        dict(fixed_effects=["district", "cycle"], cluster="city"),
    "district effect, clustered by batch (not nested)":
        dict(fixed_effects=["district", "cycle"], cluster="batch"),
    "district trends": dict(fixed_effects=["district", "cycle"], cluster="district", trends="district", time="t"),
    "no fixed effect (intercept)": dict(fixed_effects=[], cluster="district"),
    "binomial": dict(fixed_effects=["district", "cycle"], cluster="district", family="binomial"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_warm_jackknife_equals_fits_from_scratch(case):
    df = _panel(1)
    kw = dict(outcome="y", exposure="E", regressors=["x1", "x2"], **CASES[case])
    if kw.get("family") == "binomial":
        df["E"] = np.round(df["E"] / 20)
        df["y"] = np.minimum(df["y"], df["E"])
    fit = fit_rate(df, vcov="jackknife", **kw)
    assert fit.vcov == "jackknife" and "CRV3" in fit.inference
    ref = _from_scratch(df, fit, **kw)
    np.testing.assert_allclose(fit.cov.to_numpy(), ref, rtol=1e-8, atol=1e-12)


def test_jackknife_rechecks_what_leaving_a_cluster_can_change():
    df = _panel(2)
    # cycle 7 is observed in district D03 only; district D05's cycle 0 is its only event-bearing cycle 0 row
    df = df[(df["cycle"] != 7) | (df["district"] == "D03")].copy()
    df.loc[(df["cycle"] == 0) & (df["district"] != "D05"), "y"] = 0
    kw = dict(outcome="y", exposure="E", regressors=["x1", "x2"], fixed_effects=["district", "cycle"],
              cluster="district")
    fit = fit_rate(df, vcov="jackknife", **kw)
    np.testing.assert_allclose(fit.cov.to_numpy(), _from_scratch(df, fit, **kw), rtol=1e-8, atol=1e-12)


def test_a_lever_identified_by_one_cluster_only_falls_back_to_crv1_with_a_warning():
    df = _panel(3)
    df["z"] = np.where(df["district"] == "D04", df["x2"], 0.0)
    fit = fit_rate(df, outcome="y", exposure="E", regressors=["x1", "z"], fixed_effects=["district", "cycle"],
                   cluster="district", vcov="jackknife")
    assert fit.vcov == "cluster" and "CRV1" in fit.inference
    assert any("jackknife failed" in w for w in fit.warnings)


def test_the_rule_and_its_words():
    assert resolve_vcov(None, cluster=None) == "hetero"
    assert resolve_vcov(None, cluster="district") == "auto"
    assert resolve_vcov("auto", cluster="district", n_clusters=FEW_CLUSTERS - 1) == "jackknife"
    assert resolve_vcov("auto", cluster="district", n_clusters=FEW_CLUSTERS) == "cluster"
    with pytest.raises(InputError, match="cluster column"):
        resolve_vcov("cluster", cluster=None)
    with pytest.raises(InputError, match="unknown vcov"):
        resolve_vcov("HC3", cluster=None)

    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(200), rng.normal(size=200)])
    y = X @ [1.0, 0.5] + rng.normal(size=200)
    bread = np.linalg.inv(X.T @ X)
    scores = X * (y - X @ (bread @ X.T @ y))[:, None]
    groups = np.repeat(np.arange(50), 4)
    sums = np.vstack([scores[groups == g].sum(axis=0) for g in range(50)])
    plain = bread @ sums.T @ sums @ bread
    crv1 = choose_covariance("auto", bread=bread, scores=scores, clusters=groups, cluster_name="g", n_params=2)
    assert crv1.method == "cluster" and crv1.df_t == 49 and crv1.n_clusters == 50 and not crv1.warnings
    np.testing.assert_allclose(crv1.cov, plain * small_sample_factor(200, 2, 50), rtol=1e-12)
    cox_like = choose_covariance("cluster", bread=bread, scores=scores, clusters=groups, cluster_name="g")
    np.testing.assert_allclose(cox_like.cov, plain * 50 / 49, rtol=1e-12)
    r_like = choose_covariance("cluster", bread=bread, scores=scores, clusters=groups, small_sample=False)
    assert r_like.df_t is None and "without a small-sample factor" in r_like.description
    few = choose_covariance("auto", bread=bread, scores=scores, clusters=groups % 12, cluster_name="g",
                            n_params=2, jackknife=lambda: np.eye(2))
    assert few.method == "jackknife" and "few clusters (12 < 40)" in few.description and few.df_t == 11
    assert "聚类" in few.description_zh and few.warnings
    hc1 = choose_covariance("hetero", bread=bread, scores=scores, n_params=2, keep=[1])
    np.testing.assert_allclose(hc1.cov, (bread @ scores.T @ scores @ bread * 200 / 198)[1:, 1:], rtol=1e-12)
    with pytest.raises(InputError, match="two clusters"):
        choose_covariance("cluster", bread=bread, scores=scores, clusters=np.zeros(200), cluster_name="g",
                          n_params=2)


def test_cox_uses_the_same_chooser():
    from recruitstats.models import cox

    assert cox.choose_covariance is choose_covariance
