"""What the reform and planning analyses need (notebooks 05 and 06), checked before anything is fitted.

Each check is tested on small panels cut from the bundled sample: the analysis runs when the data
support it, and otherwise it is skipped with a sentence in Chinese and in English that names what
is missing. (The notebooks themselves are run on such panels in tests/test_run_inputs.py.)
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import recruitstats as rs
from recruitstats.requirements import ADSTOCK_CYCLES, FEW_CLUSTERS, assess

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def panel():
    return rs.load_panel(SAMPLE / "panel.csv")


def _districts(panel: pd.DataFrame, n: int) -> pd.DataFrame:
    return panel[panel["district"].isin(panel["district"].unique()[:n])]


def _both(check) -> bool:
    """A reason is said in both languages (Chinese text in zh, none in en)."""
    has_zh = any("\u4e00" <= ch <= "\u9fff" for ch in check.zh)
    return bool(check.zh and check.en) and has_zh and not any("\u4e00" <= ch <= "\u9fff" for ch in check.en)


def test_the_sample_supports_every_reform_and_planning_analysis(panel):
    checks = assess(panel)
    for analysis in ("reforms", "reforms.return", "planning.power", "planning.scenario", "planning.budget",
                     "planning.adstock", "planning.adstock.hill"):
        assert checks.can(analysis), analysis
    assert checks.levers("planning.budget") == ["publicity", "stipend", "outreach"]
    assert not [c for c in checks.problems() if c.analysis.startswith(("reforms", "planning"))]


def test_reforms_need_a_reform_and_a_comparison_group(panel):
    one_year = assess(panel[panel["year"] == 2025])
    check = one_year.get("reforms")
    assert not one_year.can("reforms") and not one_year.can("reforms.return") and _both(check)
    assert "no district's allowance" in check.en and "10%" in check.en and "2025" in check.en
    assert "2025 年没有区县" in check.zh
    one_cycle = assess(panel[(panel["year"] == 2025) & (panel["half"] == 1)]).get("reforms")
    assert "only one call-up cycle" in one_cycle.en and _both(one_cycle)
    stricter = assess(panel, min_rise=5.0).get("reforms")  # no allowance rose 500%
    assert not stricter.runs and "500%" in stricter.en
    no_allowance = assess(panel.drop(columns=["family_allowance"])).get("reforms")
    assert "family_allowance" in no_allowance.en and "family_allowance" in no_allowance.zh


def test_reforms_in_one_cycle_with_no_district_left_unreformed_have_no_comparison(panel):
    reformed = rs.reform_cohorts(panel)
    same = reformed.index[reformed["reform_cycle"] == "2020H1"]
    sub = panel[panel["district_code"].isin(same) & (panel["year"] <= 2021)]
    checks = assess(sub)
    assert not checks.can("reforms") and "no comparison group" in checks.get("reforms").en
    assert f"{len(same)} 个改革区县都在同一批次改革" in checks.get("reforms").zh


def test_reform_effect_on_returns_needs_returns(panel):
    checks = assess(panel.assign(returned=0))
    assert checks.can("reforms") and not checks.can("reforms.return")
    assert "return rate" in checks.get("reforms.return").en and _both(checks.get("reforms.return"))
    few = assess(_districts(panel, 3))
    assert few.can("reforms") and few.get("reforms.inference").status == "caution"
    assert "only 3 districts" in few.say("reforms", lang="en")


def test_planning_without_door_visits_prices_the_other_levers_and_keeps_carry_over(panel):
    checks = assess(panel.drop(columns=["door_visits"]))
    assert checks.can("planning.scenario") and checks.can("planning.budget")
    assert checks.levers("planning.budget") == ["publicity", "stipend"]
    assert checks.can("planning.adstock")  # door visits are a control of it only when the data have them
    assert checks.can("planning.power")  # needs nothing from the data
    none = assess(panel.drop(columns=["publicity_spend"]))
    assert not none.can("planning.adstock") and "publicity_spend" in none.get("planning.adstock").en


def test_a_lever_without_a_unit_cost_is_left_out_of_the_budget(panel):
    roles = {"outreach": "counselors_trained"}
    unpriced = assess(panel, levers=roles, unit_costs={"door_visits": 50.0})
    assert unpriced.measures("signup") == ["publicity", "stipend", "counselors_trained"]
    assert unpriced.levers("planning.budget") == ["publicity", "stipend"]
    check = unpriced.get("planning.budget.outreach")
    assert check.status == "skipped" and "counselors_trained" in check.en and "[unit_costs]" in check.zh
    assert [s["analysis"] for s in unpriced.skipped()] == ["planning.budget.outreach", "survival"]
    priced = assess(panel, levers=roles, unit_costs={"door_visits": 50.0, "counselors_trained": 800.0})
    assert priced.levers("planning.budget") == ["publicity", "stipend", "outreach"]
    unknown = assess(panel, levers=roles)  # no unit costs given: not judged on them
    assert unknown.levers("planning.budget") == ["publicity", "stipend", "outreach"]
    no_bill = assess(panel.assign(enlisted=0.0))  # the allowance is paid to recruits: no recruit, no price
    assert "stipend" not in no_bill.levers("planning.budget")
    assert "enlisted" in no_bill.get("planning.budget.stipend").en


def test_planning_follows_the_sign_up_model_and_the_length_of_the_panel(panel):
    no_signup = assess(panel.drop(columns=["applicants"]))
    for analysis in ("planning.scenario", "planning.budget", "planning.adstock"):
        assert not no_signup.can(analysis) and "sign-up model" in no_signup.get(analysis).en
    assert no_signup.levers("planning.budget") == [] and no_signup.can("planning.power")
    short = assess(panel[panel["year"] >= 2025])
    assert short.can("planning.budget") and not short.can("planning.adstock")
    assert f"at least {ADSTOCK_CYCLES} cycles" in short.get("planning.adstock").en
    few = assess(_districts(panel, FEW_CLUSTERS - 1))
    assert few.can("planning.adstock") and not few.can("planning.adstock.hill")
    assert f"only {FEW_CLUSTERS - 1} districts" in few.get("planning.adstock.hill").en


def test_the_power_module_is_reachable_and_rs_power_is_the_function():
    pw = importlib.import_module("recruitstats.planning.power")
    import recruitstats.planning.power as by_import  # noqa: PLC0415 - the form that gave the function before

    assert by_import is pw and callable(pw.power_panel) and hasattr(pw, "_draw")
    assert rs.power is pw.power and rs.PowerResult is pw.PowerResult
    from recruitstats.planning import power

    assert power is pw and power(6, 4, 0.1, 3, 1, progress=False).sims == 3  # older calls still work


def test_reading_the_sample_gives_no_future_warning():
    code = ("import recruitstats.io.privacy, recruitstats as rs; "
            f"rs.load_panel({str(SAMPLE / 'panel.csv')!r}); rs.load_recruits({str(SAMPLE / 'recruits.csv')!r})")
    done = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
