"""Policy quantities against Stata ``margins`` (values stored in statsmodels' own test results).

- Logit on Spector and Mazzeo's data (GRADE ~ GPA + TUCE + PSI), Stata ``margins,
  dydx(*)``, ``eyex(*)``, ``eydx(*)`` and ``dyex(*)``: average over observations,
  delta-method standard errors from the model-based covariance.
- Poisson on the RAND health insurance experiment (mdvis ~ 9 regressors), Stata
  ``margins, dydx(*)``.

Our slopes come from the rate engine's predictions through the logistic and log
links (no family formula), so matching Stata here checks the one code path that
every model uses.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from recruitstats.models.rates import fit_model
from recruitstats.policy import scenario, slopes
from recruitstats.specs import ModelSpec

results = importlib.import_module("statsmodels.discrete.tests.results.results_discrete")


@pytest.fixture(scope="module")
def spector():
    data = sm.datasets.spector.load_pandas().data.assign(trials=1.0)
    spec = ModelSpec(name="spector", outcome="GRADE", exposure="trials", levers=(),
                     controls=("GPA", "TUCE", "PSI"), fixed_effects=(), cluster=None, family="binomial",
                     vcov="iid")
    return fit_model(spec, data), results.Spector.logit


@pytest.mark.parametrize("slope", ["dydx", "eyex", "eydx", "dyex"])
def test_logit_slopes_equal_stata_margins(spector, slope):
    res, stata = spector
    np.testing.assert_allclose(res.params[["GPA", "TUCE", "PSI"]], stata.params[:3], rtol=1e-6)
    ours = slopes(res, terms=["GPA", "TUCE", "PSI"], slope=slope)
    np.testing.assert_allclose(ours["estimate"], getattr(stata, f"margeff_nodummy_{slope}"), atol=1e-5)
    np.testing.assert_allclose(ours["se"], getattr(stata, f"margeff_nodummy_{slope}_se"), atol=1e-5)


def test_logit_plus_ten_percent_is_the_difference_of_logistic_predictions(spector):
    res, _ = spector
    data = res.data
    s = scenario(res, changes={"GPA": 1.1})
    b = res.params
    eta0 = b["(intercept)"] + data[["GPA", "TUCE", "PSI"]].to_numpy() @ b[["GPA", "TUCE", "PSI"]].to_numpy()
    eta1 = eta0 + 0.1 * b["GPA"] * data["GPA"].to_numpy()
    expit = lambda e: 1 / (1 + np.exp(-e))  # noqa: E731
    assert s["change"] == pytest.approx(np.sum(expit(eta1) - expit(eta0)), rel=1e-10)
    # and it is not the Poisson formula exp(b dx) applied to the fitted values
    poisson_like = np.sum(expit(eta0) * (np.exp(0.1 * b["GPA"] * data["GPA"].to_numpy()) - 1))
    assert abs(s["change"] - poisson_like) > 0.05 * abs(poisson_like)


def test_predict_returns_fitted_values_and_link(spector):
    res, _ = spector
    pd.testing.assert_series_equal(res.predict(), res.fitted.rename("estimate"), check_names=False)
    p = res.predict(interval="confidence")
    assert (p["ci_low"] < p["estimate"]).all() and (p["estimate"] < p["ci_high"]).all()
    assert (p["ci_high"] <= 1).all()  # the band stays on the probability scale
    np.testing.assert_allclose(res.predict(kind="link"), np.log(res.fitted / (1 - res.fitted)), atol=1e-10)


def test_poisson_dydx_equals_stata_margins():
    data = sm.datasets.randhie.load_pandas()
    frame = data.exog.assign(mdvis=data.endog, one=1.0)
    terms = tuple(data.exog.columns)
    spec = ModelSpec(name="randhie", outcome="mdvis", exposure="one", levers=(), controls=terms,
                     fixed_effects=(), cluster=None, family="poisson", vcov="iid")
    res = fit_model(spec, frame)
    stata = results.RandHIE.poisson
    np.testing.assert_allclose(res.params[list(terms)], stata.params[:-1], rtol=1e-6)
    ours = slopes(res, slope="dydx")
    np.testing.assert_allclose(ours.loc[list(terms), "estimate"], stata.margeff_nodummy_overall, atol=1e-5)
    np.testing.assert_allclose(ours.loc[list(terms), "se"], stata.margeff_nodummy_overall_se, atol=1e-5)
