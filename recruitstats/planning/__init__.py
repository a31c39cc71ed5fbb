"""Planning: power of a planned evaluation, publicity carry-over and saturation,
scenarios for next cycle and budget allocation, all built on fitted results."""

from recruitstats.planning.power import PowerResult, power, power_panel

__all__ = ["PowerResult", "power", "power_panel"]
