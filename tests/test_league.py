"""League tables: funnel limits, beta-binomial shrinkage, rank intervals, zero runs, disclosure."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from recruitstats.errors import InputError
from recruitstats.io import load_panel
from recruitstats.report.league import (
    BetaPrior, binomial_limit, fit_beta_binomial, funnel_limits, league_table, longest_zero_run,
    overdispersion, rank_intervals, zero_run_probability)
from recruitstats.report.suppression import find_disclosures

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"  # synthetic


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return load_panel(SAMPLE)


# --- funnel limits -----------------------------------------------------------

def _limit_by_hand(p: float, n: int, theta: float) -> float:
    """Spiegelhalter (2005) A.1.1, from scipy's cdf by a plain search for the quantile."""
    r = 0
    while stats.binom.cdf(r, n, theta) < p:
        r += 1
    f_r, f_before = stats.binom.cdf(r, n, theta), stats.binom.cdf(r - 1, n, theta)
    return (r - (f_r - p) / (f_r - f_before)) / n


@pytest.mark.parametrize("n", [20, 57, 300, 1234, 5000])
@pytest.mark.parametrize("theta", [0.006, 0.18])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.975, 0.999])
def test_binomial_limits_match_scipy_quantiles(n, theta, p):
    limit = float(binomial_limit(p, n, theta))
    assert limit == pytest.approx(max(0.0, _limit_by_hand(p, n, theta)), abs=1e-12)
    q = stats.binom.ppf(p, n, theta)  # the interpolated limit lies on the step below the quantile
    assert (q - 1) / n - 1e-12 <= limit <= q / n + 1e-12


def test_limits_flag_about_the_nominal_share_of_units_under_the_null():
    rng = np.random.default_rng(8)
    n = rng.integers(50, 3000, 4000)
    rate = rng.binomial(n, 0.01) / n
    lim = funnel_limits(n, 0.01)
    outside95 = ((rate > lim["high_95"]) | (rate < lim["low_95"])).mean()
    outside998 = ((rate > lim["high_99.8"]) | (rate < lim["low_99.8"])).mean()
    assert 0.03 <= outside95 <= 0.065 and outside998 <= 0.006


def test_limits_narrow_with_size_and_approach_the_normal_ones():
    lim = funnel_limits([100, 1000, 10_000, 1_000_000], 0.2)
    width = lim["high_99.8"] - lim["low_99.8"]
    assert (np.diff(width) < 0).all() and (lim["low_95"] > lim["low_99.8"]).all()
    normal = 0.2 + stats.norm.ppf(0.975) * np.sqrt(0.2 * 0.8 / 1_000_000)
    assert lim["high_95"].iloc[-1] == pytest.approx(normal, abs=2e-5)
    widened = funnel_limits([1000], 0.2, phi=4.0)
    assert widened["high_95"].iloc[0] - 0.2 == pytest.approx(2 * stats.norm.ppf(0.975) * np.sqrt(0.16 / 1000))


def test_overdispersion_by_hand_and_for_binomial_data():
    y, n = np.array([2.0, 10.0, 30.0]), np.array([100.0, 200.0, 300.0])
    rate = y.sum() / n.sum()
    od = overdispersion(y, n, rate, winsor=0)
    z = (y / n - rate) / np.sqrt(rate * (1 - rate) / n)
    assert od.phi == pytest.approx(np.mean(z ** 2))
    w = n / (rate * (1 - rate))
    assert od.tau2 == pytest.approx((3 * od.phi - 2) / (w.sum() - (w ** 2).sum() / w.sum()))
    rng = np.random.default_rng(1)
    n = rng.integers(200, 2000, 400).astype(float)
    phis = overdispersion(rng.binomial(n.astype(int), 0.1), n, 0.1, winsor=0).phi
    assert phis == pytest.approx(1.0, abs=0.2)


# --- empirical Bayes -------------------------------------------------------------

def test_moment_estimates_equal_a_hand_calculation():
    y, n = np.array([1.0, 8.0, 30.0]), np.array([100.0, 200.0, 300.0])
    prior = fit_beta_binomial(y, n, method="moments")
    mu = 39 / 600                      # pooled rate
    pearson = sum(ni * (yi / ni - mu) ** 2 for yi, ni in zip(y, n)) / (mu * (1 - mu))
    rho = (pearson - 2) / (600 - (100 ** 2 + 200 ** 2 + 300 ** 2) / 600 - 2)
    precision = 1 / rho - 1
    assert prior.mean == pytest.approx(mu)
    assert prior.a + prior.b == pytest.approx(precision)
    assert prior.shrink(np.array([1.0]), np.array([100.0]))[0] == pytest.approx((1 + mu * precision) / (100 + precision))


def test_marginal_ml_matches_a_grid_search_on_scipy_betabinom():
    rng = np.random.default_rng(3)
    n = rng.integers(100, 800, 30)
    y = rng.binomial(n, rng.beta(3, 300, 30))
    prior = fit_beta_binomial(y, n, method="mle")

    def loglik(a, b):
        return stats.betabinom.logpmf(y, n, a, b).sum()
    best = max(((loglik(m * s, (1 - m) * s), m, s) for m in np.linspace(0.004, 0.02, 81)
                for s in np.geomspace(20, 20_000, 121)))
    assert loglik(prior.a, prior.b) >= best[0] - 1e-6
    assert prior.mean == pytest.approx(best[1], abs=4e-4)


def test_beta_binomial_recovers_known_prior_and_caps_no_variation():
    rng = np.random.default_rng(5)
    n = rng.integers(300, 900, 600)
    y = rng.binomial(n, rng.beta(4, 196, 600))
    for method in ("mle", "moments"):
        prior = fit_beta_binomial(y, n, method=method)
        assert prior.mean == pytest.approx(0.02, rel=0.05)
        assert prior.a + prior.b == pytest.approx(200, rel=0.35)
    flat = fit_beta_binomial([10, 10, 10, 10], [500, 500, 500, 500], method="moments")
    assert flat.a + flat.b >= 1e6  # no variation beyond chance: everyone shrinks to the pooled rate
    with pytest.raises(InputError):
        fit_beta_binomial([0, 0], [10, 10])


def test_small_districts_shrink_more():
    prior = BetaPrior(2.0, 198.0, "test")
    shrunk = prior.shrink(np.array([3.0, 300.0]), np.array([50.0, 5000.0]))  # both raw 6%
    assert abs(shrunk[0] - 0.01) < abs(shrunk[1] - 0.01)
    assert 0.01 < shrunk[0] < 0.06 and shrunk[1] == pytest.approx(302 / 5200)


# --- ranks -------------------------------------------------------------------

def _coverage(reps: int, units: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    hits = total = 0
    for rep in range(reps):
        n = rng.integers(200, 2000, units)
        p = rng.beta(3, 500, units)
        y = rng.binomial(n, p)
        prior = fit_beta_binomial(y, n)
        ranks = rank_intervals(y, n, prior, draws=1000, seed=rep)
        true = stats.rankdata(p)
        hits += int(((ranks["rank_low"] <= true) & (true <= ranks["rank_high"])).sum())
        total += units
    return hits / total


def test_rank_intervals_cover_the_true_ranks():
    assert 0.88 <= _coverage(20, 24, seed=11) <= 1.0


@pytest.mark.slow
def test_rank_interval_coverage_long():
    assert 0.93 <= _coverage(300, 24, seed=12) <= 0.985


def test_ranks_are_reproducible_and_point_the_right_way():
    y, n = np.array([0, 5, 20, 40]), np.array([1000, 1000, 1000, 1000])
    prior = BetaPrior(2.0, 200.0, "test")
    low = rank_intervals(y, n, prior, better="lower", seed=1)
    assert low["rank"].tolist() == [1, 2, 3, 4]
    assert rank_intervals(y, n, prior, better="higher", seed=1)["rank"].tolist() == [4, 3, 2, 1]
    assert low.equals(rank_intervals(y, n, prior, better="lower", seed=1))


# --- zero runs -------------------------------------------------------------

def _zero_run_by_enumeration(sizes, rate, k):
    q = [(1 - rate) ** s for s in sizes]
    total = 0.0
    for pattern in itertools.product([0, 1], repeat=len(sizes)):  # 1 = a cycle with no return
        prob = np.prod([qt if z else 1 - qt for z, qt in zip(pattern, q)])
        if longest_zero_run([0 if z else 1 for z in pattern]) >= k:
            total += prob
    return total


@pytest.mark.parametrize("k", [1, 2, 3, 5, 9])
def test_zero_run_probability_is_exact(k):
    sizes = [40, 75, 12, 90, 33, 60, 25, 48]
    assert zero_run_probability(sizes, 0.01, k) == pytest.approx(_zero_run_by_enumeration(sizes, 0.01, k), abs=1e-12)


def test_zero_run_probability_agrees_with_simulation_and_gaps_break_runs():
    rng = np.random.default_rng(2)
    sizes = rng.integers(20, 120, 16)
    sims = rng.binomial(sizes, 0.006, size=(40_000, 16))
    runs = np.array([longest_zero_run(row) for row in sims[:8000]])
    assert zero_run_probability(sizes, 0.006, 6) == pytest.approx((runs >= 6).mean(), abs=0.02)
    assert zero_run_probability([50, np.nan, 50], 0.001, 2) == 0.0
    assert longest_zero_run([0, 0, np.nan, 0, 1, 0, 0, 0]) == 3


# --- the league table on the bundled (synthetic) sample -------------------------

def test_league_table_on_the_sample(panel):
    lt = league_table(panel, "return")
    full = lt.unsuppressed()
    assert len(full) == 24 and lt.synthetic
    assert lt.pooled_rate == pytest.approx(panel["returned"].sum() / panel["enlisted"].sum())
    assert (full["rate"] == full["returned"] / full["enlisted"]).all()
    m = lt.prior.mean  # each shrunken rate lies between the raw rate and the prior mean
    assert ((full["shrunken_rate"] - m) * (full["rate"] - m) >= 0).all()
    assert ((full["shrunken_rate"] - m).abs() <= (full["rate"] - m).abs()).all()
    limits = funnel_limits(full["enlisted"], lt.pooled_rate)
    above = full["rate"] > limits["high_95"]
    assert (full.loc[above, "flag"].str.startswith("above")).all()
    shown = lt.table.dropna(subset=["rate"])
    assert sorted(shown["rank"].astype(int)) == list(range(1, len(shown) + 1))
    assert len(lt.funnel_points()) == len(shown) == 24 - lt.n_hidden


def test_published_league_table_reveals_no_small_count(panel):
    for measure, num, den in (("return", "returned", "enlisted"), ("signup", "applicants", "eligible_youth")):
        lt = league_table(panel, measure)
        table = lt.table
        full = lt.unsuppressed().set_index("district_key")
        assert find_disclosures(table, counts=[num, den], ratios={"rate": (num, den)},
                                totals={num: full[num].sum(), den: full[den].sum()}) == []
        for _, row in table.iterrows():  # shrunken rates invert to the count with a, b known
            if not np.isnan(row["shrunken_rate"]):
                y = row["shrunken_rate"] * (full.loc[row["district_key"], den] + lt.prior.a + lt.prior.b) - lt.prior.a
                assert not 0 < round(y) < 5
        hidden = table[table["rate"].isna()]
        assert hidden[["shrunken_rate", "rank", "rank_low", "rank_high", "flag"]].isna().all().all()
        assert lt.n_hidden == len(hidden)
    formatted = league_table(panel, "return").formatted("zh")
    assert (formatted["退兵率"] == "*").sum() == league_table(panel, "return").n_hidden > 0


def test_statements_in_both_languages_say_what_the_ranking_supports(panel):
    lt = league_table(panel, "return")
    en, zh = " ".join(lt.statements("en")), " ".join(lt.statements("zh"))
    assert "wider than half the table" in en and "synthetic" in en
    assert "排名区间" in zh and "模拟数据" in zh and "控制限" in zh
    hidden = set(lt.unsuppressed()["district"]) - set(lt.funnel_points()["district"])
    for name in hidden:  # a district that cannot be shown is never named in a ranking sentence
        assert all(name not in s for s in lt.statements("en")[:-1])


def test_options_and_bad_input(panel):
    early = league_table(panel, "return", period=(2016, "2020H2"), overdispersion_model="multiplicative",
                         shrinkage="moments")
    assert early.period.startswith("2016") and early.period.endswith("2020H2") and early.phi >= 1
    assert early.unsuppressed()["enlisted"].sum() == panel.loc[panel["year"] <= 2020, "enlisted"].sum()
    with pytest.raises(InputError):
        league_table(panel, "fill")
    with pytest.raises(InputError):
        league_table(panel, period=("2016Q1", 2020))
    with pytest.raises(InputError, match="too few"):
        league_table(panel.assign(returned=0.0).assign(returned=lambda d: (d.index < 3).astype(float)))


def _one_hidden_cycle(panel: pd.DataFrame) -> pd.DataFrame:
    """District 1-2 with 6 returns in one cycle, 3 in another, none otherwise."""
    out = panel.copy()
    rows = out.index[out["district"] == "模拟区1-2"]
    out.loc[rows, "returned"] = 0.0
    out.loc[rows[4], "returned"], out.loc[rows[9], "returned"] = 6.0, 3.0
    return out


def _complement_hidden(panel: pd.DataFrame) -> pd.DataFrame:
    """District 1-2 with 6 of 8 recruits returned in one cycle (2 stayed), none returned otherwise."""
    out = panel.copy()
    rows = out.index[out["district"] == "模拟区1-2"]
    out.loc[rows, "returned"] = 0.0
    out.loc[rows[4], ["returned", "enlisted", "enlisted_college", "enlisted_graduates"]] = [6.0, 8.0, 3.0, 1.0]
    return out


@pytest.mark.parametrize("change", [lambda p: p, _one_hidden_cycle, _complement_hidden])
def test_league_totals_and_scorecard_cycles_together_reveal_no_small_count(panel, change):
    """A district's total in the league table minus its cycles shown in the scorecard is never 1 to 4."""
    from recruitstats.report.scorecard import scorecard

    panel = change(panel)
    card = scorecard(panel)
    for measure, num, den, rate in (("return", "returned", "enlisted", "return_rate"),
                                    ("signup", "applicants", "eligible_youth", None)):
        table = league_table(panel, measure).table.set_index("district_key")
        funnel = card.funnel.copy()
        if rate is not None:  # rate x enlisted recovers what the funnel hides
            funnel[num] = funnel[num].fillna(card.rows[rate] * card.funnel[den]).round()
        for key, cycles in funnel.groupby("district_key"):
            for col in (num, den):
                total = table.loc[key, col]
                if np.isnan(total) or cycles[col].notna().all():
                    continue
                rest = total - cycles[col].sum()
                assert not 0 < rest < 5, (measure, key, col, rest)
                lone = cycles[col].isna()
                if col == num and lone.sum() == 1 and not np.isnan(cycles.loc[lone, den].iloc[0]):
                    assert not 0 < cycles.loc[lone, den].iloc[0] - rest < 5, (measure, key, "complement")


def test_a_missing_cycle_breaks_a_run_of_zero_returns(panel):
    gap = panel.drop(index=panel.index[(panel["district"] == "模拟区2-2") & (panel["year"] == 2020)])
    full = league_table(panel).unsuppressed().set_index("district").loc["模拟区2-2"]
    cut = league_table(gap).unsuppressed().set_index("district").loc["模拟区2-2"]
    assert full["longest_zero_run"] == 16 and cut["cycles"] == 14 and cut["longest_zero_run"] == 10
    assert cut["p_zero_run"] > full["p_zero_run"]


def test_first_place_is_claimed_only_with_a_one_to_one_interval():
    from recruitstats.report.league import _first_sentence

    one = pd.DataFrame({"district": ["东区"], "rank_low": [1], "rank_high": [1]})
    wide = one.assign(rank_high=[3])
    assert "can be called first" in _first_sentence(one, "95%", "en")
    assert "not surely" in _first_sentence(wide, "95%", "en") and "可能排名第一" in _first_sentence(wide, "95%", "zh")
    assert "cannot say" in _first_sentence(pd.concat([one, wide]), "95%", "en")


def test_checking_a_boast_of_zero_returns(panel):
    lt = league_table(panel)
    rows = panel[panel["district"] == "模拟区1-3"].sort_values(["year", "half"])
    expected = zero_run_probability(rows["enlisted"].to_numpy(), lt.pooled_rate, 3)
    assert lt.zero_run_chance("模拟区1-3", 3) == pytest.approx(expected)
    assert lt.zero_run_chance(str(rows["district_code"].iloc[0]), 3) == pytest.approx(expected)
    assert lt.zero_run_chance("模拟区1-3", 3) > lt.zero_run_chance("模拟区1-3", 6)
    with pytest.raises(InputError):
        lt.zero_run_chance("nowhere", 3)


def test_one_shown_district_is_not_ranked_and_hidden_districts_show_no_zero_run(panel):
    """Three districts, two hidden: rank 3 of the one shown would say both hidden ones do better."""
    three = panel[panel["district"].isin(["模拟区1-2", "模拟区1-4", "模拟区2-2"])].copy()
    rows = three.index[three["district"] == "模拟区1-2"]
    three.loc[rows, "returned"] = 0.0
    three.loc[rows[:3], "returned"] = [1.0, 1.0, 2.0]  # 4 returns: hidden
    rows = three.index[three["district"] == "模拟区1-4"]
    three.loc[rows, "returned"] = 0.0
    three.loc[rows[:4], "returned"] = 10.0  # 40 returns: shown, the highest rate
    rows = three.index[three["district"] == "模拟区2-2"]
    three.loc[rows[-1], "returned"] = 2.0  # 2 returns in one of 16 cycles: hidden
    lt = league_table(three, "return")
    full = lt.unsuppressed().set_index("district")
    assert full.loc["模拟区1-4", "rank"] == 3  # what the table would have shown
    table = lt.table.set_index("district")
    assert not np.isnan(table.loc["模拟区1-4", "rate"])
    assert table[["rank", "rank_low", "rank_high"]].isna().all().all()
    hidden = table[table["rate"].isna()]
    assert len(hidden) == 2 and hidden[["longest_zero_run", "p_zero_run"]].isna().all().all()
    shown = lt.formatted("en").set_index("District")
    assert (shown.loc[["模拟区1-2", "模拟区2-2"], "Longest run of zero-return cycles"] == "*").all()
    assert shown.loc["模拟区1-4", "Rank"] == "*"
    text = " ".join(lt.statements("en"))
    assert "none is ranked" in text and "模拟区2-2" not in text and "15" not in text
    assert "不排名" in " ".join(lt.statements("zh"))
