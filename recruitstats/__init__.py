"""recruitstats: cleaning and modelling of military recruitment data.

The public API, by layer (each uses only the ones listed after it)::

    run_notebooks, data_files                      the one-command pipeline
    regression_table, coef_plot, plot_km, ...      presentation (functions of results)
    elasticities, cost_per_applicant, scenario     policy quantities
    fit_signup, fit_discharge, fit_cox, ...        models (one rate engine: fit_rate)
    simulate                                       synthetic data with known truth
    funnel, derived_rates, lever_values            measures
    load_panel, load_recruits, ingest, ...         reading, validation, store

Names are imported on first use (PEP 562 ``__getattr__``), so ``import recruitstats``
and the command line's ``--help`` load neither scipy, statsmodels, pandera nor
matplotlib. To export a name, add one line ``"name": "module",`` to ``_EXPORTS``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"

#: public name -> module that defines it (one per line; add new names here).
_EXPORTS: dict[str, str] = {
    "InputError": "recruitstats.errors",
    "Problem": "recruitstats.errors",
    "ReadResult": "recruitstats.io",
    "ingest": "recruitstats.io",
    "load_panel": "recruitstats.io",
    "load_recruits": "recruitstats.io",
    "read_table": "recruitstats.io",
    "validate_panel": "recruitstats.io",
    "write_template": "recruitstats.io",
    "add_cycle": "recruitstats.measures",
    "derived_rates": "recruitstats.measures",
    "funnel": "recruitstats.measures",
    "lever_values": "recruitstats.measures",
    "Simulation": "recruitstats.simulate",
    "simulate": "recruitstats.simulate",
    "write_simulation": "recruitstats.simulate",
    "RateFit": "recruitstats.models.engine",
    "fit_rate": "recruitstats.models.engine",
    "RateModelResult": "recruitstats.models.rates",
    "fit_discharge": "recruitstats.models.rates",
    "fit_signup": "recruitstats.models.rates",
    "fit_model": "recruitstats.models.rates",
    "ModelSpec": "recruitstats.specs",
    "SIGNUP": "recruitstats.specs",
    "DISCHARGE": "recruitstats.specs",
    "LEVERS": "recruitstats.levers",
    "Lever": "recruitstats.levers",
    "get_lever": "recruitstats.levers",
    "Result": "recruitstats.results",
    "discharge_durations": "recruitstats.models.survival",
    "kaplan_meier": "recruitstats.models.kaplan_meier",
    "fit_cause_specific": "recruitstats.models.cox",
    "fit_cox": "recruitstats.models.cox",
    "ph_check": "recruitstats.models.cox",
    "collapse_to_cells": "recruitstats.models.piecewise",
    "fit_piecewise": "recruitstats.models.piecewise",
    "fit_staggered": "recruitstats.models.did",
    "event_study": "recruitstats.models.did",
    "fit_twfe": "recruitstats.models.did",
    "bacon_decomposition": "recruitstats.models.did",
    "twfe_weights": "recruitstats.models.did",
    "reform_cohorts": "recruitstats.models.did",
    "plot_event_study": "recruitstats.report.event_study",
    "plot_twfe_weights": "recruitstats.report.event_study",
    "cost_per_applicant": "recruitstats.policy",
    "effect_of_increase": "recruitstats.policy",
    "elasticities": "recruitstats.policy",
    "scenario": "recruitstats.policy",
    "slopes": "recruitstats.policy",
    "cost_per_avoided_return": "recruitstats.policy",
    "compare_table": "recruitstats.report.tables",
    "format_compare_table": "recruitstats.report.tables",
    "format_regression_table": "recruitstats.report.tables",
    "regression_table": "recruitstats.report.tables",
    "coef_plot": "recruitstats.report.figures",
    "dose_response": "recruitstats.report.figures",
    "funnel_plot": "recruitstats.report.figures",
    "rank_plot": "recruitstats.report.figures",
    "use_house_style": "recruitstats.report.style",
    "build_brief": "recruitstats.report.brief",
    "suppress_small_counts": "recruitstats.report.suppression",
    "protect": "recruitstats.report.suppression",
    "find_disclosures": "recruitstats.report.suppression",
    "scorecard": "recruitstats.report.scorecard",
    "load_scheme": "recruitstats.report.scorecard",
    "Scorecard": "recruitstats.report.scorecard",
    "league_table": "recruitstats.report.league",
    "LeagueTable": "recruitstats.report.league",
    "zero_run_probability": "recruitstats.report.league",
    "write_xlsx": "recruitstats.report.export",
    "write_csv": "recruitstats.report.export",
    "plot_hazard_ratios": "recruitstats.report.survival_figures",
    "plot_km": "recruitstats.report.survival_figures",
    "data_files": "recruitstats.pipeline",
    "run_notebooks": "recruitstats.pipeline",
    "combine_data": "recruitstats.pipeline",
    "assess": "recruitstats.requirements",
    "load_config": "recruitstats.config",
    "ProjectConfig": "recruitstats.config",
    "format_table": "recruitstats.report.display",
    "power": "recruitstats.planning.power",
    "PowerResult": "recruitstats.planning.power",
    "fit_adstock": "recruitstats.planning.adstock",
    "geometric_adstock": "recruitstats.planning.adstock",
    "AdstockResult": "recruitstats.planning.adstock",
    "next_cycle": "recruitstats.planning.scenarios",
    "parse_change": "recruitstats.planning.scenarios",
    "ScenarioResult": "recruitstats.planning.scenarios",
    "allocate": "recruitstats.planning.budget",
    "AllocationResult": "recruitstats.planning.budget",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and cache the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recruitstats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """Keeps an exported function when its same-named submodule is imported (``recruitstats.simulate``).

    The import system binds a loaded submodule on its package; an eager
    ``from recruitstats.simulate import simulate`` used to rebind the function after it.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__
                and value.__name__ == f"{__name__}.{name}"):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
