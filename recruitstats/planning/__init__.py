"""Planning: power of a planned evaluation, publicity carry-over and saturation,
scenarios for next cycle and budget allocation, all built on fitted results."""

from recruitstats.planning.budget import AllocationResult, allocate
from recruitstats.planning.adstock import AdstockResult, fit_adstock, geometric_adstock, hill
from recruitstats.planning.power import PowerResult, power, power_panel
from recruitstats.planning.scenarios import ScenarioResult, next_cycle, parse_change

__all__ = ["AllocationResult", "allocate", "AdstockResult", "fit_adstock", "geometric_adstock", "hill", "PowerResult", "power", "power_panel",
           "ScenarioResult", "next_cycle", "parse_change"]
