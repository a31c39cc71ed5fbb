"""Planning: power of a planned evaluation, publicity carry-over and saturation,
scenarios for next cycle and budget allocation, all built on fitted results.

Names are imported on first use (PEP 562), like the package's own ``__init__``, so
``recruitstats power`` loads neither the optimiser nor the policy code.

``recruitstats.planning.power`` is the *module* (``import recruitstats.planning.power as
pw`` gives it, with ``pw.power``, ``pw.power_panel``, ...); the function is
``recruitstats.power`` or ``recruitstats.planning.power.power``. So that older code doing
``from recruitstats.planning import power; power(12, 6, 0.1, 100, 1)`` keeps working, the
module is callable and calling it calls the function.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    """A module that, called, calls its function of the same name (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.power(*args, **kwargs)


importlib.import_module("recruitstats.planning.power")  # binds the module here, as an import would
sys.modules["recruitstats.planning.power"].__class__ = _CallableModule

_EXPORTS: dict[str, str] = {
    "AllocationResult": "recruitstats.planning.budget",
    "allocate": "recruitstats.planning.budget",
    "AdstockResult": "recruitstats.planning.adstock",
    "fit_adstock": "recruitstats.planning.adstock",
    "geometric_adstock": "recruitstats.planning.adstock",
    "hill": "recruitstats.planning.adstock",
    "PowerResult": "recruitstats.planning.power",
    "power_panel": "recruitstats.planning.power",
    "ScenarioResult": "recruitstats.planning.scenarios",
    "next_cycle": "recruitstats.planning.scenarios",
    "parse_change": "recruitstats.planning.scenarios",
    "planning_findings": "recruitstats.planning.findings",
}

__all__ = [*_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recruitstats.planning' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
