"""recruitstats: cleaning and modelling of military recruitment data.

The public API, by layer (each uses only the ones listed after it)::

    run_notebooks, data_files                      the one-command pipeline
    regression_table, coef_plot, plot_km, ...      presentation (functions of results)
    elasticities, cost_per_applicant, scenario     policy quantities
    fit_signup, fit_discharge, fit_cox, ...        models (one rate engine: fit_rate)
    simulate                                       synthetic data with known truth
    funnel, derived_rates, lever_values            measures
    load_panel, load_recruits, ingest, ...         reading, validation, store
"""

__version__ = "0.1.0"

from recruitstats.errors import InputError, Problem
from recruitstats.io import (
    ReadResult,
    ingest,
    load_panel,
    load_recruits,
    read_table,
    validate_panel,
    write_template,
)
from recruitstats.measures import add_cycle, derived_rates, funnel, lever_values
from recruitstats.simulate import Simulation, simulate, write_simulation
from recruitstats.models.engine import RateFit, fit_rate
from recruitstats.models.rates import RateModelResult, fit_discharge, fit_signup
from recruitstats.models.survival import discharge_durations
from recruitstats.models.kaplan_meier import kaplan_meier
from recruitstats.models.cox import fit_cause_specific, fit_cox, ph_check
from recruitstats.models.piecewise import collapse_to_cells, fit_piecewise
from recruitstats.models.did import (
    bacon_decomposition, event_study, fit_staggered, fit_twfe, reform_cohorts, twfe_weights,
)
from recruitstats.policy import cost_per_applicant, effect_of_increase, elasticities, scenario
from recruitstats.report.tables import compare_table, format_compare_table, format_regression_table, regression_table
from recruitstats.report.figures import coef_plot, dose_response
from recruitstats.report.suppression import suppress_small_counts
from recruitstats.report.survival_figures import plot_hazard_ratios, plot_km
from recruitstats.report.event_study import plot_event_study, plot_twfe_weights
from recruitstats.pipeline import data_files, run_notebooks

__all__ = [
    "__version__", "InputError", "Problem",
    "ReadResult", "ingest", "load_panel", "load_recruits", "read_table", "validate_panel", "write_template",
    "add_cycle", "derived_rates", "funnel", "lever_values",
    "Simulation", "simulate", "write_simulation",
    "RateFit", "fit_rate", "RateModelResult", "fit_discharge", "fit_signup",
    "discharge_durations", "fit_cause_specific", "fit_cox", "kaplan_meier", "ph_check",
    "collapse_to_cells", "fit_piecewise",
    "bacon_decomposition", "event_study", "fit_staggered", "fit_twfe", "reform_cohorts", "twfe_weights",
    "plot_event_study", "plot_twfe_weights",
    "cost_per_applicant", "effect_of_increase", "elasticities", "scenario",
    "compare_table", "format_compare_table", "format_regression_table", "regression_table",
    "coef_plot", "dose_response", "suppress_small_counts", "plot_hazard_ratios", "plot_km",
    "data_files", "run_notebooks",
]
