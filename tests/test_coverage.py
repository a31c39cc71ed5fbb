"""Does the sign-up model recover the simulator's truth, with intervals that cover it?

The simulator (:mod:`recruitstats.simulate`) draws applicants from a gamma-Poisson
model with district and cycle effects and known lever elasticities, which is the
model ``fit_signup`` estimates. Over replications the estimates should centre on
the truth and the 95% intervals (CRV1 by district, t(G-1)) should cover it about
95% of the time.

The default run is short (30 replications: bias within Monte Carlo error, coverage
not absurd). ``pytest -m slow tests/test_coverage.py`` runs 1,000 replications at
45 and at 12 districts with the default inference (CRV1 at 45 clusters, the CRV3
jackknife below 40) and asks for coverage within 93-97% and no bias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.models.rates import fit_signup
from recruitstats.simulate import simulate

LEVERS = ("publicity", "stipend", "outreach")


def replicate(reps: int, *, n_cities: int, districts_per_city: int, first_seed: int = 1000,
              first_year: int = 2016, last_year: int = 2025,
              vcov: str | None = None) -> tuple[pd.DataFrame, dict[str, float]]:
    """Estimates, SEs and coverage indicators for ``reps`` simulated panels (seeds first_seed, ...)."""
    rows = []
    truth = None
    for r in range(reps):
        sim = simulate(seed=first_seed + r, n_cities=n_cities, districts_per_city=districts_per_city,
                       first_year=first_year, last_year=last_year, recruits=False)
        truth = sim.truth["signup"]
        res = fit_signup(sim.panel, vcov=vcov)
        ci = res.conf_int(0.95)
        for lv in LEVERS:
            rows.append({"rep": r, "lever": lv, "coef": res.params[lv], "se": res.se[lv],
                         "covered": ci.loc[lv, "low"] <= truth[lv] <= ci.loc[lv, "high"]})
    return pd.DataFrame(rows), dict(truth)


def summarise(draws: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    g = draws.groupby("lever")
    out = pd.DataFrame({"truth": pd.Series(truth), "mean": g["coef"].mean(), "sd": g["coef"].std(),
                        "mean_se": g["se"].mean(), "coverage": g["covered"].mean(), "reps": g.size()})
    out["bias"] = out["mean"] - out["truth"]
    out["mc_se_bias"] = out["sd"] / np.sqrt(out["reps"])
    return out


def test_short_monte_carlo_recovers_truth():
    draws, truth = replicate(30, n_cities=5, districts_per_city=9)
    s = summarise(draws, truth)
    for lv in LEVERS:
        # mean within 4 Monte Carlo standard errors of the truth
        assert abs(s.loc[lv, "bias"]) < 4 * s.loc[lv, "mc_se_bias"], s
        # clustered SEs track the sampling spread (within the noise of 30 draws)
        assert 0.6 < s.loc[lv, "mean_se"] / s.loc[lv, "sd"] < 1.6, s
        # coverage not absurd: 30 draws at 95% give 26 or more 99% of the time
        assert s.loc[lv, "coverage"] >= 24 / 30, s


@pytest.mark.slow
@pytest.mark.parametrize("n_cities, per_city", [(5, 9), (2, 6)], ids=["45 districts", "12 districts"])
def test_long_monte_carlo_coverage(n_cities, per_city):
    # the default inference: CRV1 at 45 districts, the CRV3 jackknife at 12 (fewer than 40 clusters)
    reps = 1000
    draws, truth = replicate(reps, n_cities=n_cities, districts_per_city=per_city, first_seed=50_000)
    s = summarise(draws, truth)
    print(f"\n{n_cities * per_city} districts, {reps} replications (default inference)\n"
          f"{s.round(4).to_string()}")
    pooled = draws["covered"].mean()
    print(f"pooled coverage {pooled:.4f}")
    for lv in LEVERS:
        assert 0.93 <= s.loc[lv, "coverage"] <= 0.97, s
        assert abs(s.loc[lv, "bias"]) < 3 * s.loc[lv, "mc_se_bias"] + 0.01 * abs(truth[lv]), s


@pytest.mark.slow
def test_discharge_model_coverage_with_rare_returns():
    """Returns are a few per mille: the district discharge model still covers the truth (24 districts)."""
    from recruitstats.models.rates import fit_discharge

    hits, errors = [], []
    for r in range(200):
        sim = simulate(seed=5000 + r, n_cities=3, districts_per_city=8, recruits=False)
        res = fit_discharge(sim.panel)
        ci = res.conf_int()
        truth = sim.truth["discharge"]
        hits.append([ci.loc[k, "low"] <= truth[k] <= ci.loc[k, "high"] for k in truth])
        errors.append([res.params[k] - truth[k] for k in truth])
    coverage = np.mean(hits, axis=0)
    bias, sd = np.mean(errors, axis=0), np.std(errors, axis=0)
    assert ((coverage >= 0.92) & (coverage <= 0.98)).all(), coverage
    assert (np.abs(bias) < 3 * sd / np.sqrt(200)).all(), (bias, sd)
