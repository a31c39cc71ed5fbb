"""Planning: power of a planned evaluation, publicity carry-over and saturation,
scenarios for next cycle and budget allocation, all built on fitted results.

Names are imported on first use (PEP 562), like the package's own ``__init__``, so
``recruitstats power`` loads neither the optimiser nor the policy code. ``power`` is the
exception: the function shares its module's name, and once the module is imported the
package attribute would be the module, so the function is bound here eagerly.
"""

from __future__ import annotations

import importlib
from typing import Any

from recruitstats.planning.power import power  # noqa: E402  (see the docstring)

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

__all__ = ["power", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'recruitstats.planning' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
