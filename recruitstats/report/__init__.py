"""Presentation: regression tables, figures and small-cell suppression (functions of results; they never refit)."""

from recruitstats.report.figures import coef_plot, dose_response
from recruitstats.report.suppression import suppress_small_counts
from recruitstats.report.tables import (
    compare_table,
    format_compare_table,
    format_regression_table,
    regression_table,
)

__all__ = ["regression_table", "format_regression_table", "compare_table", "format_compare_table",
           "coef_plot", "dose_response", "suppress_small_counts"]
