"""Presentation of results: regression tables and figures (functions of results; they never refit)."""

from recruitstats.report.figures import coef_plot, dose_response
from recruitstats.report.tables import (
    compare_table,
    format_compare_table,
    format_regression_table,
    regression_table,
)

__all__ = ["regression_table", "format_regression_table", "compare_table", "format_compare_table",
           "coef_plot", "dose_response"]
