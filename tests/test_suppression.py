"""Published counts of fewer than five people are hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recruitstats.report.suppression import suppress_small_counts


def test_counts_below_the_threshold_are_hidden_and_counted():
    table = pd.DataFrame({"cycle": ["2021H1", "2021H2"], "enlisted": [120.0, 80.0],
                          "returned": [3.0, 0.0], "medical_passed": [np.nan, 7.0]})
    out = suppress_small_counts(table, columns=["enlisted", "returned", "medical_passed"])
    assert list(out["returned"]) == ["<5", "0"]
    assert list(out["enlisted"]) == ["120", "80"]
    assert list(out["medical_passed"]) == ["", "7"]
    assert out.attrs["suppressed"] == 1
    assert table.loc[0, "returned"] == 3.0  # input untouched


def test_threshold_and_default_columns():
    table = pd.DataFrame({"a": [9, 10], "label": ["x", "y"]})
    out = suppress_small_counts(table, threshold=10)
    assert list(out["a"]) == ["<10", "10"] and list(out["label"]) == ["x", "y"]


# --- disclosure control: primary, rates, nested counts, totals -------------------

import pytest

from recruitstats.errors import InputError
from recruitstats.report.suppression import (
    SUPPRESSED_MARK, check_threshold, find_disclosures, protect, ratio_mask, suppression_mask)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "5", True, None])
def test_threshold_must_be_a_positive_whole_number(bad):
    with pytest.raises(InputError):
        check_threshold(bad)


def test_primary_hides_one_to_threshold_minus_one_but_not_zero():
    counts = pd.DataFrame({"returned": [0, 1, 4, 5, np.nan, 12]})
    mask = suppression_mask(counts, threshold=5)
    assert mask["returned"].tolist() == [False, True, True, False, False, False]


def test_rate_hidden_with_its_numerator_or_people_denominator_but_not_a_quota():
    counts = pd.DataFrame({"returned": [3, 0, 9], "enlisted": [80, 3, 90]})
    mask = suppression_mask(counts)
    rates = ratio_mask(mask, {"return_rate": ("returned", "enlisted"), "fill_rate": ("enlisted", "quota")})
    assert rates["return_rate"].tolist() == [True, True, False]
    assert rates["fill_rate"].tolist() == [False, True, False]


def test_nested_counts_hide_the_stage_fewer_figures_depend_on():
    # 4 people failed the political check: passed (102) - political (98)
    counts = pd.DataFrame({"medical_examined": [234], "medical_passed": [102], "political_passed": [98]})
    chain = [("medical_examined", "medical_passed", "political_passed")]
    raw = find_disclosures(counts, counts=list(counts), chains=chain)
    assert raw == ["row 0: medical_passed - political_passed = 4"]
    mask = suppression_mask(counts, chains=chain, priority={"political_passed": 2, "medical_passed": 1})
    assert mask.iloc[0].tolist() == [False, True, False]
    published = counts.where(~mask)
    assert find_disclosures(published, counts=list(counts), chains=chain) == []


def test_secondary_suppression_when_a_column_total_is_published():
    counts = pd.DataFrame({"returned": [3.0, 0.0, 7.0, 12.0, 30.0]})
    mask = suppression_mask(counts, column_totals=True)
    # the 3 alone would be total - others; the next smallest positive cell (7) goes too
    assert mask["returned"].tolist() == [True, False, True, False, False]
    total = {"returned": counts["returned"].sum()}
    assert find_disclosures(counts.where(~mask), counts=["returned"], totals=total) == []
    leak = counts.copy().astype(float)
    leak.loc[0, "returned"] = np.nan  # primary only
    assert find_disclosures(leak, counts=["returned"], totals=total) == ["total of returned minus the cells shown = 3"]


def test_secondary_suppression_goes_on_until_hidden_cells_sum_to_the_threshold():
    counts = pd.DataFrame({"returned": [1.0, 2.0, 0.0, 6.0, 40.0]})
    mask = suppression_mask(counts, column_totals=True)
    assert mask["returned"].tolist() == [True, True, False, True, False]


def test_row_totals_protect_each_row():
    counts = pd.DataFrame({"a": [2.0, 10.0], "b": [8.0, 11.0], "c": [20.0, 12.0]})
    mask = suppression_mask(counts, row_totals=[("a", "b", "c")])
    assert mask.iloc[0].tolist() == [True, True, False] and not mask.iloc[1].any()


def test_protect_hides_rates_and_derived_columns_and_formats_with_one_mark():
    table = pd.DataFrame({"district": ["A", "B"], "returned": [2.0, 8.0], "enlisted": [300.0, 400.0]})
    table["rate"] = table["returned"] / table["enlisted"]
    table["shrunken"] = [0.006, 0.019]
    out = protect(table, counts=["returned", "enlisted"], ratios={"rate": ("returned", "enlisted")},
                  derived={"shrunken": ["returned"]})
    assert out.n_hidden == 3
    assert np.isnan(out.values.loc[0, "rate"]) and np.isnan(out.values.loc[0, "shrunken"])
    shown = out.formatted()
    assert shown.loc[0, "returned"] == SUPPRESSED_MARK and shown.loc[1, "returned"] == 8.0
    assert shown.loc[0, "district"] == "A"


def test_find_disclosures_sees_rate_times_denominator():
    published = pd.DataFrame({"returned": [np.nan], "enlisted": [300.0], "rate": [3 / 300]})
    found = find_disclosures(published, counts=["returned", "enlisted"], ratios={"rate": ("returned", "enlisted")})
    assert found == ["row 0: returned = 3"]


def test_random_tables_leak_no_small_count():
    rng = np.random.default_rng(7)
    chain = ("applicants", "examined", "passed", "enlisted", "returned")
    ratios = {"return_rate": ("returned", "enlisted"), "pass_share": ("passed", "examined")}
    for _ in range(60):
        n = 8
        applicants = rng.integers(0, 60, n).astype(float)
        examined = np.floor(applicants * rng.uniform(0.7, 1, n))
        passed = np.floor(examined * rng.uniform(0.8, 1, n))
        enlisted = np.floor(passed * rng.uniform(0.85, 1, n))
        returned = rng.binomial(enlisted.astype(int), 0.05).astype(float)
        table = pd.DataFrame({"applicants": applicants, "examined": examined, "passed": passed,
                              "enlisted": enlisted, "returned": returned})
        for name, (num, den) in ratios.items():
            table[name] = table[num] / table[den].where(table[den] > 0)
        out = protect(table, counts=list(chain), ratios=ratios, chains=[chain], column_totals=list(chain))
        totals = {c: table[c].sum() for c in chain if c not in out.unsafe_totals}
        assert set(out.unsafe_totals) >= {c for c in chain if 0 < table[c].sum() < 5}
        assert find_disclosures(out.values, counts=list(chain), ratios=ratios, chains=[chain], totals=totals) == []


def test_blocks_with_a_published_total_get_secondary_suppression():
    """Shares by group beside all recruits: group A's 3 returns are hidden, and so is group B's count,
    because all recruits' 40 minus B's 37 would give A's back; their shares go with them."""
    from recruitstats.report.display import format_protected
    from recruitstats.report.suppression import protect_blocks

    table = pd.DataFrame({"split": ["all", "visit", "visit"], "group": ["all", "yes", "no"],
                          "n": [500, 60, 440], "events": [40, 3, 37], "share": [0.08, 0.05, 0.084]})
    safe = protect_blocks(table, block="split", counts=["n", "events"], derived={"share": ["events"]})
    assert safe.mask.loc[1, "events"] and safe.mask.loc[2, "events"]
    assert safe.mask.loc[1, "share"] and safe.mask.loc[2, "share"]
    assert not safe.mask.loc[0].any()
    shown = format_protected(safe, lang="en")
    assert shown.iloc[1, 3] == "*" and shown.iloc[0, 3] == "40"


def test_five_hidden_ones_under_a_total_of_five_are_not_left_alone():
    """5 - 0 over five hidden cells makes each 1: a total over them needs a larger cell hidden too."""
    from recruitstats.report.suppression import remainder_safe

    counts = pd.DataFrame({"returned": [1, 1, 1, 1, 1, 0, 12, 30]})
    mask = suppression_mask(counts, column_totals=True)
    assert mask["returned"].tolist() == [True] * 5 + [False, True, False]
    published = counts.where(~mask)
    assert find_disclosures(published, counts=["returned"], totals={"returned": 47}) == []
    leak = counts.where(counts["returned"] != 1)
    assert find_disclosures(leak, counts=["returned"], totals={"returned": 47}) != []
    assert not remainder_safe(5, 5, 5) and not remainder_safe(8, 1, 5) and remainder_safe(9, 5, 5)


def test_workbook_audit_reads_a_total_on_one_sheet_against_cells_on_another():
    from recruitstats.report.suppression import Sheet

    cells = pd.DataFrame({"d": ["A"] * 3 + ["B"] * 3, "cycle": [1, 2, 3] * 2,
                          "returned": [1.0, 1.0, 0.0, 12.0, np.nan, 9.0], "enlisted": [50.0] * 6})
    cells.loc[[0, 1], "returned"] = np.nan  # A's two cycles of 1 hidden
    totals = pd.DataFrame({"d": ["A", "B"], "returned": [2.0, 24.0]})
    funnel = Sheet(cells, {"d": "district", "cycle": "cycle"}, counts={"returned": "returned"})
    found = find_disclosures({"f": funnel, "l": Sheet(totals, {"d": "district"}, counts={"returned": "returned"})})
    assert any("district=A" in f for f in found) and any("district=B" in f and "= 3" in f for f in found)
    hidden = totals.assign(returned=np.nan)
    assert find_disclosures({"f": funnel, "l": Sheet(hidden, {"d": "district"}, counts={"returned": "returned"})}) == []
    rates = Sheet(totals.assign(returned=np.nan, enlisted=150.0, rate=[2 / 150, 24 / 150]), {"d": "district"},
                  counts={"enlisted": "enlisted"}, ratios={"rate": ("returned", "enlisted")})
    assert any("district=B" in f for f in find_disclosures({"f": funnel, "r": rates}))
