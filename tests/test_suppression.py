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
