"""The simulator: reproducible files, calibration, panel/recruit agreement, and known truth.

Estimates are checked with statsmodels directly (explicit district and cycle
dummies), never against stored outputs of our own code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.measures import add_cycle, lever_values
from recruitstats.schema import PANEL_COLUMNS, RECRUIT_COLUMNS, SYNTHETIC_LABEL
from recruitstats.simulate import DEFAULT_EFFECTS, RECRUIT_LOG_HAZARD_RATIOS, simulate, write_simulation

LEVERS = ["publicity", "stipend", "outreach"]
SMALL = ["--cities", "2", "--districts-per-city", "3", "--first-year", "2018", "--last-year", "2021"]


@pytest.fixture(scope="module")
def sample():
    """The bundled sample's settings (seed 20261128, 3 cities x 8 districts, 2016-2025)."""
    return simulate(seed=20261128)


@pytest.fixture(scope="module")
def medium():
    """A medium panel for estimation checks: 60 districts x 16 cycles."""
    return simulate(seed=4242, n_cities=6, districts_per_city=10, recruits=False)


def _poisson(panel: pd.DataFrame, outcome: str, exposure: str, *, fixed_effects: bool,
             levers: pd.DataFrame | None = None):
    """statsmodels Poisson GLM with explicit dummies, errors clustered by district."""
    p = add_cycle(panel)
    X = lever_values(p) if levers is None else levers
    if fixed_effects:
        X = pd.concat([X, pd.get_dummies(p["district"], prefix="d", drop_first=True, dtype=float),
                       pd.get_dummies(p["cycle"], prefix="c", drop_first=True, dtype=float)], axis=1)
    X = sm.add_constant(X)
    keep = (p[exposure] > 0).to_numpy()
    groups = pd.factorize(p.loc[keep, "district"])[0]
    model = sm.GLM(p.loc[keep, outcome], X[keep], family=sm.families.Poisson(),
                   offset=np.log(p.loc[keep, exposure]))
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


# --- files ---------------------------------------------------------------------

def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, capsys):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["simulate", "--out", str(a), "--seed", "11", *SMALL]) == 0
    assert main(["simulate", "--out", str(b), "--seed", "11", *SMALL]) == 0
    assert main(["simulate", "--out", str(c), "--seed", "12", *SMALL]) == 0
    names = ["README.txt", "panel.csv", "recruits.csv", "truth.json"]
    assert sorted(p.name for p in a.iterdir()) == names
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ["panel.csv", "recruits.csv", "truth.json"]:
        assert (a / name).read_bytes() != (c / name).read_bytes(), name


def test_bundled_sample_is_what_the_simulator_draws(sample, tmp_path):
    # Guards refactors of simulate(): every draw comes from one generator in a fixed order,
    # so moving a step changes the data. truth.json's transform texts come from the lever
    # registry (wording, not data), so only its other entries are compared.
    bundled = Path(__file__).resolve().parents[1] / "data" / "sample"
    write_simulation(sample, tmp_path)
    for name in ["panel.csv", "recruits.csv", "README.txt"]:
        assert (tmp_path / name).read_bytes() == (bundled / name).read_bytes(), name
    fresh, stored = (json.loads((d / "truth.json").read_text(encoding="utf-8")) for d in (tmp_path, bundled))
    assert set(fresh) == set(stored)
    for key in set(fresh) - {"transforms"}:
        assert fresh[key] == stored[key], key


def test_every_file_says_synthetic(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--seed", "3", *SMALL]) == 0
    for name in ["panel.csv", "recruits.csv"]:
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        assert (frame["data_source"] == SYNTHETIC_LABEL).all(), name
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["synthetic"] is True and truth["label"] == SYNTHETIC_LABEL and truth["seed"] == 3
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert SYNTHETIC_LABEL in readme and "SYNTHETIC" in readme and "--seed 3" in readme


def test_csv_headers_codes_and_no_recruits_option(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--seed", "3", "--no-recruits", *SMALL]) == 0
    assert not (out / "recruits.csv").exists()
    raw = (out / "panel.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    panel = pd.read_csv(out / "panel.csv", dtype={"district_code": str})
    assert list(panel.columns) == [c.name for c in PANEL_COLUMNS] + ["data_source"]
    assert panel["district_code"].str.fullmatch(r"\d{6}").all()
    assert panel[[c.name for c in PANEL_COLUMNS if c.kind in ("count", "money")]].notna().all().all()

    sim = simulate(seed=3, n_cities=2, districts_per_city=3, first_year=2018, last_year=2021)
    write_simulation(sim, tmp_path / "api")
    rec = pd.read_csv(tmp_path / "api" / "recruits.csv", dtype={"district_code": str})
    assert list(rec.columns) == [c.name for c in RECRUIT_COLUMNS] + ["data_source"]
    assert set(rec["door_visit"]) <= {"yes", "no"}
    assert rec["enlist_date"].str.fullmatch(r"\d{4}-(03|09)-01").all()
    # what was written reads back as the same numbers
    pd.testing.assert_series_equal(panel["applicants"].astype(float),
                                   simulate(seed=3, **_small_kwargs(), recruits=False).panel["applicants"])


def _small_kwargs():
    return dict(n_cities=2, districts_per_city=3, first_year=2018, last_year=2021)


def test_bad_options_are_input_errors(tmp_path, capsys):
    with pytest.raises(InputError, match="n_cities"):
        simulate(seed=1, n_cities=0)
    with pytest.raises(InputError, match="carryover"):
        simulate(seed=1, carryover=1.0)
    with pytest.raises(InputError, match="first_year"):
        simulate(seed=1, first_year=2025, last_year=2020)
    with pytest.raises(InputError, match="unknown lever"):
        simulate(seed=1, effects={"signup": {"advertising": 0.1}})
    with pytest.raises(InputError, match="seed"):
        simulate(seed=-3)
    assert main(["simulate", "--out", str(tmp_path / "x"), "--districts-per-city", "100"]) == 2
    assert "districts_per_city" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # refused: nothing written


def test_effects_override_reaches_truth():
    sim = simulate(seed=1, n_cities=1, districts_per_city=2, recruits=False,
                   effects={"signup": {"publicity": 0.25}, "discharge": {"stipend": -0.5}})
    assert sim.truth["signup"] == {**DEFAULT_EFFECTS["signup"], "publicity": 0.25}
    assert sim.truth["discharge"] == {**DEFAULT_EFFECTS["discharge"], "stipend": -0.5}
    assert DEFAULT_EFFECTS["signup"]["publicity"] == 0.10  # the default itself is untouched


# --- structure and calibration ------------------------------------------------------

def test_panel_types_and_cycles(sample):
    p = sample.panel
    assert p["year"].dtype == np.int64 and p["half"].dtype == np.int64
    for c in PANEL_COLUMNS:
        if c.kind in ("count", "money", "percent"):
            assert p[c.name].dtype == np.float64, c.name
    assert p["district_code"].map(type).eq(str).all()
    assert not p.duplicated(["district", "year", "half"]).any()
    halves = p.groupby("year")["half"].agg(lambda h: tuple(sorted(set(h))))
    assert all(halves[y] == ((2,) if y < 2020 else (1, 2)) for y in halves.index)
    per_district = p.groupby("district").size()
    assert (per_district == 4 + 2 * 6).all() and len(per_district) == 24
    assert p["province"].str.startswith("模拟").all() and p["district"].str.startswith("模拟区").all()


def test_panel_rules_hold(sample):
    p = sample.panel
    assert (p["applicants"] <= p["eligible_youth"]).all()
    assert (p["medical_examined"] <= p["applicants"]).all()
    assert (p["medical_passed"] <= p["medical_examined"]).all()
    assert (p["political_passed"] <= p["medical_passed"]).all()
    assert (p["enlisted"] <= p["political_passed"] - p["pretrain_eliminated"]).all()
    assert (p["returned"] <= p["enlisted"]).all()
    assert (p["enlisted_graduates"] <= p["enlisted_college"]).all()
    assert (p["enlisted_college"] <= p["enlisted"]).all()
    counts = [c.name for c in PANEL_COLUMNS if c.kind in ("count", "money")]
    assert (p[counts] >= 0).all().all() and (p[counts] % 1 == 0).all().all()


def test_magnitudes_match_references(sample):
    p = sample.panel
    tot = p.sum(numeric_only=True)
    assert 4 <= tot["applicants"] / tot["quota"] <= 8                      # quota multiple
    assert 4 <= (p["applicants"] / p["quota"]).median() <= 8
    assert 0.35 <= tot["medical_passed"] / tot["medical_examined"] <= 0.55
    assert tot["medical_examined"] / tot["quota"] >= 2
    assert 1.2 <= tot["political_passed"] / tot["quota"] <= 1.6
    assert 0.9 <= tot["enlisted"] / tot["quota"] <= 1.0
    by_year = p.groupby("year")[["enlisted_college", "enlisted"]].sum()
    share = by_year["enlisted_college"] / by_year["enlisted"]
    assert share.between(0.30, 0.78).all()
    uncensored = p[p["year"] < p["year"].max()]
    assert 0.002 <= uncensored["returned"].sum() / uncensored["enlisted"].sum() <= 0.009
    assert (p["returned"] == 0).mean() > 0.3                             # many zero district-cycles
    assert (p.groupby("district")["returned"].sum() == 0).any()          # some districts never return
    post = p[p["year"] >= 2020]
    spring = post[post["half"] == 1].set_index(["district", "year"])["quota"]
    yearly = post.groupby(["district", "year"])["quota"].sum()
    assert 0.43 <= spring.sum() / yearly.sum() <= 0.47
    assert (spring / yearly).between(0.35, 0.55).all()
    assert 0.35 <= (p["family_allowance"] / p["avg_wage"]).mean() <= 0.45
    wage = p.groupby("year")["avg_wage"].mean()
    assert wage.is_monotonic_increasing and 55_000 <= wage.iloc[0] and wage.iloc[-1] <= 140_000
    assert p["college_bonus"].between(2000, 8000).all()
    assert p["unemployment_rate"].between(0.03, 0.07).all()
    for channel in ["brochures", "sms", "online_posts", "posters"]:
        r = np.corrcoef(np.log(p["publicity_spend"]), np.log1p(p[channel]))[0, 1]
        assert r > 0.8, channel


def test_stipend_rises_are_staggered(sample):
    p = sample.panel
    yearly = p.groupby(["district", "year"]).apply(
        lambda g: np.log(g["family_allowance"] / g["avg_wage"]).mean(), include_groups=False).unstack()
    jumps = yearly.diff(axis=1).gt(0.08)
    first = jumps.idxmax(axis=1)[jumps.any(axis=1)]
    assert first.nunique() >= 4                         # districts raise in different years
    assert (~jumps.any(axis=1)).sum() + first.size == len(yearly)


# --- panel and recruits agree ----------------------------------------------------------

def test_recruits_agree_with_panel_exactly(sample):
    p, r = sample.panel, sample.recruits
    key = ["district_code", "year", "half"]
    agg = r.groupby(key).agg(
        enlisted=("recruit_id", "size"),
        returned=("exit_date", "count"),
        enlisted_college=("college_status", lambda s: s.isin(["student", "graduate"]).sum()),
        enlisted_graduates=("college_status", lambda s: (s == "graduate").sum()),
        followups=("followup_contact", "sum"),
    )
    merged = p.set_index(key).join(agg, rsuffix="_rec")
    for col in ["enlisted", "returned", "enlisted_college", "enlisted_graduates"]:
        assert (merged[col] == merged[f"{col}_rec"].fillna(0)).all(), col
    assert (merged["followup_contacts"] >= merged["followups"].fillna(0)).all()
    assert len(r) == p["enlisted"].sum()


def test_recruit_records_are_plausible(sample):
    r = sample.recruits
    assert r["recruit_id"].is_unique and r["recruit_id"].str.fullmatch(r"SIM\d{8}").all()
    for c in ["door_visit", "counselor_contact", "exemplar_talk", "followup_contact"]:
        assert r[c].dtype == "boolean", c
    for c in ["birth_date", "enlist_date", "exit_date", "observed_until"]:
        assert r[c].dtype == "datetime64[ns]", c
    spring = r["half"] == 1
    assert (r.loc[spring, "enlist_date"].dt.month == 3).all() and (r.loc[~spring, "enlist_date"].dt.month == 9).all()
    assert (r["enlist_date"].dt.day == 1).all() and (r["enlist_date"].dt.year == r["year"]).all()
    days = (r["exit_date"] - r["enlist_date"]).dt.days
    left = r["exit_date"].notna()
    assert days[left].between(1, 90).all()
    assert days[left & (r["exit_reason"] == "medical")].max() <= 45
    assert (r.loc[left, "exit_date"] <= r.loc[left, "observed_until"]).all()
    assert r.loc[left, "exit_reason"].isin(["medical", "ideological", "political", "disciplinary", "other"]).all()
    assert r.loc[~left, "exit_reason"].isna().all()
    assert r["observed_until"].nunique() == 1
    assert r["observed_until"].iloc[0] == pd.Timestamp("2025-09-01") + pd.Timedelta(days=60)
    # age agrees with the birth date
    e, b = r["enlist_date"], r["birth_date"]
    age = e.dt.year - b.dt.year - ((e.dt.month < b.dt.month) | ((e.dt.month == b.dt.month) & (e.dt.day < b.dt.day)))
    assert (age == r["age"]).all() and r["age"].between(17, 25).all()
    assert set(r["sex"]) == {"M", "F"} and set(r["college_status"]) == {"none", "student", "graduate"}
    college = r["college_status"] != "none"
    assert r.loc[college, "education"].isin(["大专", "本科", "研究生"]).all()
    assert r.loc[~college, "education"].isin(["初中", "高中", "中专"]).all()
    assert r["pretrain_score"].between(40, 100).all()


def test_panel_is_the_same_with_or_without_recruits():
    a = simulate(seed=9, n_cities=2, districts_per_city=3, recruits=True)
    b = simulate(seed=9, n_cities=2, districts_per_city=3, recruits=False)
    pd.testing.assert_frame_equal(a.panel, b.panel)
    assert b.recruits is None and b.truth["settings"]["recruits"] is False


# --- the truth is recoverable --------------------------------------------------------

def test_pooled_poisson_is_biased_and_fixed_effects_recover_signup_truth(medium):
    truth = medium.truth["signup"]
    fe = _poisson(medium.panel, "applicants", "eligible_youth", fixed_effects=True)
    for lever in LEVERS:
        z = (fe.params[lever] - truth[lever]) / fe.bse[lever]
        assert abs(z) < 3.5, (lever, fe.params[lever], fe.bse[lever], truth[lever])
    pooled = _poisson(medium.panel, "applicants", "eligible_youth", fixed_effects=False)
    # the confounded lever: early stipend rises where propensity is low
    z_pooled = (pooled.params["stipend"] - truth["stipend"]) / pooled.bse["stipend"]
    assert z_pooled < -4 and pooled.params["stipend"] < 0 < truth["stipend"]


def test_overridden_effects_are_recovered():
    sim = simulate(seed=77, n_cities=4, districts_per_city=10, first_year=2018, recruits=False,
                   effects={"signup": {"publicity": 0.30, "stipend": 0.0, "outreach": -0.10}})
    fe = _poisson(sim.panel, "applicants", "eligible_youth", fixed_effects=True)
    for lever, value in sim.truth["signup"].items():
        assert abs(fe.params[lever] - value) < 3.5 * fe.bse[lever], lever


def _adstock_by_district(panel: pd.DataFrame, rate: float) -> pd.Series:
    """Independent re-implementation of the documented adstock (loop over each district's cycles)."""
    out = pd.Series(index=panel.index, dtype=float)
    for _, g in panel.sort_values(["district", "year", "half"]).groupby("district"):
        stock = None
        for idx, spend in g["publicity_spend"].items():
            stock = spend / (1 - rate) if stock is None else spend + rate * stock
            out[idx] = (1 - rate) * stock
    return out


def test_carryover_truth_applies_to_adstocked_publicity():
    sim = simulate(seed=5, n_cities=4, districts_per_city=10, recruits=False, carryover=0.6,
                   effects={"signup": {"publicity": 0.3}})
    assert "adstock" in sim.truth["transforms"]["publicity"] and sim.truth["settings"]["carryover"] == 0.6
    p = sim.panel
    levers = lever_values(p)
    levers["publicity"] = np.log(_adstock_by_district(p, 0.6) / p["eligible_youth"])
    fe = _poisson(p, "applicants", "eligible_youth", fixed_effects=True, levers=levers)
    assert abs(fe.params["publicity"] - 0.3) < 3.5 * fe.bse["publicity"]
    plain = _poisson(p, "applicants", "eligible_youth", fixed_effects=True)
    assert plain.params["publicity"] < fe.params["publicity"]  # the plain transform attenuates


def _stratified_cox(r: pd.DataFrame):
    """statsmodels PHReg of the recruit covariates, one stratum per district-cycle, Efron ties."""
    cut = (r["observed_until"] - r["enlist_date"]).dt.days.clip(upper=90)
    time = (r["exit_date"] - r["enlist_date"]).dt.days.fillna(cut).to_numpy(float)
    event = r["exit_date"].notna().to_numpy(int)
    X = pd.DataFrame({
        "door_visit": r["door_visit"].astype(float), "followup_contact": r["followup_contact"].astype(float),
        "student": (r["college_status"] == "student").astype(float),
        "graduate": (r["college_status"] == "graduate").astype(float),
        "pretrain_score": r["pretrain_score"]})
    strata = pd.factorize(r["district_code"] + r["year"].astype(str) + r["half"].astype(str))[0]
    return X.columns, sm.PHReg(time, X, status=event, strata=strata, ties="efron").fit()


def test_recruit_hazard_ratios_recovered_by_stratified_cox(sample):
    _check_cox(sample.recruits, tolerance=4)


def _check_cox(r: pd.DataFrame, *, tolerance: float) -> None:
    columns, res = _stratified_cox(r)
    truth = RECRUIT_LOG_HAZARD_RATIOS
    names = {"door_visit": "door_visit", "followup_contact": "followup_contact",
             "student": "college_status[student]", "graduate": "college_status[graduate]",
             "pretrain_score": "pretrain_score"}
    for i, col in enumerate(columns):
        assert abs(res.params[i] - truth[names[col]]) < tolerance * res.bse[i], (col, res.params[i], res.bse[i])


# --- long checks ---------------------------------------------------------------------

@pytest.mark.slow
def test_monte_carlo_signup_and_discharge_truth():
    """Over 20 seeds the FE estimates centre on the truth and 95% intervals cover it ~95%."""
    est = {m: {k: [] for k in LEVERS} for m in ("signup", "discharge")}
    cover = {m: {k: 0 for k in LEVERS} for m in ("signup", "discharge")}
    n = 20
    for seed in range(n):
        sim = simulate(seed=1000 + seed, n_cities=8, districts_per_city=10, recruits=False)
        for model, y, expo in [("signup", "applicants", "eligible_youth"), ("discharge", "returned", "enlisted")]:
            res = _poisson(sim.panel, y, expo, fixed_effects=True)
            for k in LEVERS:
                est[model][k].append(res.params[k])
                cover[model][k] += abs(res.params[k] - sim.truth[model][k]) < 1.96 * res.bse[k]
    for model in est:
        for k in LEVERS:
            values = np.array(est[model][k])
            mc_se = values.std(ddof=1) / np.sqrt(n)
            assert abs(values.mean() - DEFAULT_EFFECTS[model][k]) < 3.5 * mc_se + 0.01, (model, k)
            assert cover[model][k] >= 14, (model, k, cover[model][k])


@pytest.mark.slow
def test_large_simulation_is_fast():
    import time
    start = time.perf_counter()
    sim = simulate(seed=1, n_cities=95, districts_per_city=10, first_year=2020, last_year=2025)
    assert time.perf_counter() - start < 30
    assert len(sim.recruits) == sim.panel["enlisted"].sum()
    assert re.fullmatch(r"SIM\d{8}", sim.recruits["recruit_id"].iloc[-1])


@pytest.mark.slow
def test_recruit_hazard_ratios_on_a_large_sample():
    sim = simulate(seed=31, n_cities=30, districts_per_city=10, first_year=2020)
    assert sim.recruits["exit_date"].notna().sum() > 1000
    _check_cox(sim.recruits, tolerance=3.5)
