"""The piecewise-exponential cell model: DuckDB cells, the Poisson fit, agreement with Cox.

Authorities: statsmodels GLM with explicit interval dummies and cluster-robust
errors; statsmodels PHReg (the Breslow Cox likelihood is the piecewise model with
one interval per event day, so the two must agree to numerical precision);
the simulator's true log hazard ratios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from recruitstats.errors import InputError
from recruitstats.models.piecewise import collapse_to_cells, fit_piecewise
from recruitstats.models.cox import fit_cox
from recruitstats.models.survival import covariate_matrix, discharge_durations

COV = ["door_visit", "followup_contact", "college_status"]


def make_recruits(n=8000, n_districts=30, seed=2, base=0.004):
    """Recruits with integer exit days (many ties), a baseline that drops after day 30, district frailty."""
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, n_districts, n)
    frail = np.exp(rng.normal(0, 0.3, n_districts))[dist]
    door = rng.random(n) < 0.45
    follow = rng.random(n) < 0.6
    cs = rng.choice(["none", "student", "graduate"], n, p=[0.5, 0.3, 0.2])
    lp = -0.3 * door - 0.4 * follow - 0.2 * (cs == "student") - 0.35 * (cs == "graduate")
    h = base * frail * np.exp(lp)
    first = rng.exponential(1 / (2 * h))
    t = np.where(first < 30, first, 30 + rng.exponential(1 / h))
    days = np.floor(t).astype(int) + 1
    enlist = pd.Timestamp("2023-09-01")
    exited = days < 90
    return pd.DataFrame({
        "recruit_id": [f"R{i}" for i in range(n)], "district": [f"D{d:02d}" for d in dist],
        "year": 2023, "half": rng.choice([1, 2], n),
        "door_visit": pd.array(door, dtype="boolean"), "followup_contact": pd.array(follow, dtype="boolean"),
        "college_status": cs, "enlist_date": enlist,
        "exit_date": pd.Series(enlist + pd.to_timedelta(days, "D")).where(exited).to_numpy(),
        "exit_reason": np.where(exited, "medical", None), "observed_until": pd.Timestamp("2024-01-31")})


@pytest.fixture(scope="module")
def durations():
    return discharge_durations(make_recruits())


@pytest.fixture(scope="module")
def simulated():
    from recruitstats.simulate import simulate

    sim = simulate(seed=11, n_cities=6, districts_per_city=10)
    return sim, discharge_durations(sim.recruits)


def test_cells_keep_every_day_and_event(durations):
    cells = collapse_to_cells(durations, covariates=COV)
    assert cells["events"].sum() == durations["event"].sum()
    assert cells["person_days"].sum() == pytest.approx(np.minimum(durations["duration"], 90).sum())
    first = cells[cells["interval_start"] == 0]
    assert first["recruits"].sum() == len(durations)
    # one interval by hand: recruits at risk after day 30 contribute min(t, 45) - 30 days
    d = durations["duration"]
    mid = cells[cells["interval"] == "30-45"]
    assert mid["person_days"].sum() == pytest.approx((np.minimum(d[d > 30], 45) - 30).sum())
    assert mid["events"].sum() == ((d > 30) & (d <= 45) & (durations["event"] == 1)).sum()
    assert set(cells.columns) >= {"district", "year", "half", *COV, "interval", "events", "person_days"}


def test_cells_from_recruits_and_parquet_agree(durations, tmp_path):
    raw = make_recruits()
    from_raw = collapse_to_cells(raw, covariates=COV)
    path = tmp_path / "durations.parquet"
    durations.drop(columns=["exit_reason"]).to_parquet(path)
    from_file = collapse_to_cells(path, covariates=COV)
    from_frame = collapse_to_cells(durations, covariates=COV)
    for other in (from_raw, from_file):
        pd.testing.assert_frame_equal(
            other[["events", "person_days", "recruits"]].reset_index(drop=True),
            from_frame[["events", "person_days", "recruits"]].reset_index(drop=True))


def test_daily_intervals_reproduce_breslow_cox_exactly(durations):
    """One interval per day: the Poisson likelihood with day effects is the Breslow partial likelihood."""
    cells = collapse_to_cells(durations, covariates=COV, intervals=range(0, 91), by=("district",))
    pw = fit_piecewise(cells, covariates=COV, vcov="cluster")
    cox = fit_cox(durations, covariates=COV, ties="breslow", cluster=None)
    np.testing.assert_allclose(pw.params[cox.params.index], cox.params, atol=1e-6)


def test_fit_matches_glm_with_explicit_dummies(durations):
    cells = collapse_to_cells(durations, covariates=COV)
    pw = fit_piecewise(cells, covariates=COV, vcov="cluster")
    X = covariate_matrix(cells, COV)
    D = pd.get_dummies(cells["interval"], dtype=float)
    glm = sm.GLM(cells["events"], pd.concat([X, D], axis=1), family=sm.families.Poisson(),
                 offset=np.log(cells["person_days"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cells["district"])[0], "use_correction": False},
        tol=1e-12)
    np.testing.assert_allclose(pw.params[X.columns], glm.params[X.columns], atol=1e-7)
    g, n, k = pw.n_clusters, len(cells), X.shape[1] + D.shape[1]
    factor = np.sqrt(g / (g - 1) * (n - 1) / (n - k))  # the engine's CRV1 (fixest) factor
    np.testing.assert_allclose(pw.se[X.columns], glm.bse[X.columns] * factor, rtol=1e-5)
    # baseline hazard: events over exposure at the reference level, per interval
    base = glm.params[D.columns].to_numpy()
    np.testing.assert_allclose(np.log(pw.baseline["hazard"]), base, atol=1e-6)


def test_piecewise_agrees_with_cox_on_simulated_records(simulated):
    """Stated tolerance: log-HR within 0.02 and within 10% of the Cox SE (simulator's baseline is
    piecewise constant with a knot at day 45, an edge of the default intervals)."""
    sim, d = simulated
    covs = ["door_visit", "followup_contact", "college_status"]
    cox = fit_cox(d, covariates=covs)
    pw = fit_piecewise(collapse_to_cells(d, covariates=covs), covariates=covs)
    diff = (pw.params[cox.params.index] - cox.params).abs()
    assert (diff < 0.02).all(), diff
    assert (diff < 0.10 * cox.se).all(), diff / cox.se
    assert "CRV1" in pw.inference and "sandwich" in cox.inference  # 60 clusters: both sandwiches
    np.testing.assert_allclose(pw.se[cox.se.index], cox.se, rtol=0.05)
    # and both cover the truth (3 SE) for the recruit covariates
    truth = sim.truth["recruit_log_hazard_ratios"]
    for name in cox.params.index:
        assert abs(pw.params[name] - truth[name]) < 3.5 * pw.se[name], name


def test_piecewise_with_district_effects_close_to_stratified_cox(durations):
    cells = collapse_to_cells(durations, covariates=COV, by=("district",))
    pw = fit_piecewise(cells, covariates=COV, fixed_effects=("interval", "district"), vcov="cluster")
    cox = fit_cox(durations, covariates=COV, strata="district", cluster=None)
    assert pw.baseline is None
    assert ((pw.params[cox.params.index] - cox.params).abs() < 0.25 * cox.se).all()


def test_cumulative_share(durations):
    cells = collapse_to_cells(durations, covariates=COV)
    pw = fit_piecewise(cells, covariates=COV)
    ref = pw.cumulative_share()
    treated = pw.cumulative_share({"door_visit": 1.0})
    assert (treated["share"] < ref["share"]).all()
    assert ref["share"].is_monotonic_increasing
    with pytest.raises(InputError, match="unknown design"):
        pw.cumulative_share({"nonsense": 1})


def test_bad_input(durations):
    with pytest.raises(InputError, match="start at 0"):
        collapse_to_cells(durations, covariates=COV, intervals=(5, 10))
    with pytest.raises(InputError, match="not in the data"):
        collapse_to_cells(durations, covariates=["nonexistent"])
    bad = durations.copy()
    bad.loc[bad.index[:2], "door_visit"] = pd.NA
    with pytest.raises(InputError, match="missing in 2 row"):
        collapse_to_cells(bad, covariates=COV)
    cells = collapse_to_cells(durations, covariates=COV, by=("year",))
    with pytest.raises(InputError, match="district"):
        fit_piecewise(cells, covariates=COV, cluster="district")
    with pytest.raises(InputError, match="no such parquet"):
        collapse_to_cells("/nonexistent/file.parquet", covariates=COV)


def test_bad_parquet_input(durations, tmp_path):
    bad = durations[["district", "year", "half", *COV, "duration", "event"]].copy()
    bad.loc[bad.index[:4], "district"] = None
    bad.loc[bad.index[5], "duration"] = -1.0
    path = tmp_path / "it's bad.parquet"  # a quote in the name must not break the SQL
    bad.to_parquet(path)
    with pytest.raises(InputError) as info:
        collapse_to_cells(path, covariates=COV)
    text = str(info.value)
    assert "district is missing in 4 row" in text and "1 row(s) where duration" in text
    short = tmp_path / "short.parquet"
    bad.drop(columns="followup_contact").to_parquet(short)
    with pytest.raises(InputError, match="column followup_contact is not in the file"):
        collapse_to_cells(short, covariates=COV)


@pytest.mark.slow
def test_monte_carlo_cell_model_is_unbiased():
    """Over 200 simulated data sets (60 districts, about 400 returns each) the cell model's mean
    estimate is within 3 Monte Carlo SE of the truth and 95% intervals cover 88-99% of the time
    (measured: bias under 0.012, coverage 0.91-0.95)."""
    from recruitstats.simulate import simulate

    est, cover = [], []
    for seed in range(200):
        sim = simulate(seed=100 + seed, n_cities=6, districts_per_city=10)
        d = discharge_durations(sim.recruits)
        pw = fit_piecewise(collapse_to_cells(d, covariates=COV, by=("district",)), covariates=COV)
        truth = pd.Series(sim.truth["recruit_log_hazard_ratios"])[pw.params.index]
        ci = pw.conf_int()
        est.append(pw.params)
        cover.append((ci["low"] <= truth) & (truth <= ci["high"]))
    est = pd.DataFrame(est)
    mc_se = est.std() / np.sqrt(len(est))
    assert ((est.mean() - truth).abs() < 3 * mc_se).all(), est.mean() - truth
    assert pd.DataFrame(cover).mean().between(0.88, 0.99).all(), pd.DataFrame(cover).mean()
