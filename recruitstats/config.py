"""The project configuration: one TOML file read by ``run``, ``fit``, ``brief`` and ``scorecard``.

``recruitstats init`` writes a commented default (``recruitstats.toml``). Every key
is optional; :func:`load_config` fills in the defaults, refuses unknown keys and
wrong types with an :class:`~recruitstats.errors.InputError` that names the key,
and returns a frozen :class:`ProjectConfig`. Model specifications are kept as the
raw TOML tables (``recruitstats.specs`` turns them into ``ModelSpec``), so this
module imports no model code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from recruitstats.errors import InputError, Problem

__all__ = ["ProjectConfig", "load_config", "find_config", "default_config_text", "CONFIG_NAME",
           "LANGUAGES", "LEVER_ROLES"]

#: The file name ``init`` writes and ``run`` looks for in the current folder.
CONFIG_NAME = "recruitstats.toml"
#: Report languages the package can write.
LANGUAGES = ("zh", "en")
#: The roles a lever can play (``[levers]`` keys).
LEVER_ROLES = ("publicity", "stipend", "outreach")


def _default_levers() -> dict[str, str]:
    return {role: role for role in LEVER_ROLES}


@dataclass(frozen=True)
class ProjectConfig:
    """Settings of one project (see ``recruitstats/data/project_default.toml`` for each key).

    Attributes
    ----------
    threshold : published tables suppress cells counting fewer people than this.
    languages : report languages, the first being the main one.
    unit_costs : yuan per unit of a raw panel column (e.g. ``{"door_visits": 50.0}``).
    scorecard : scorecard scheme name or the path of a scheme TOML file.
    models : model specifications as raw tables, by model name.
    levers : lever role -> lever-registry entry.
    allowance_years : years of family allowance a recruit's household receives.
    title : report title, or None for each notebook's own heading.
    source : the file read, or None for the built-in defaults.
    """

    threshold: int = 5
    languages: tuple[str, ...] = ("zh", "en")
    unit_costs: dict[str, float] = field(default_factory=lambda: {"door_visits": 50.0})
    scorecard: str = "default"
    models: dict[str, dict] = field(default_factory=dict)
    levers: dict[str, str] = field(default_factory=_default_levers)
    allowance_years: float = 2.0
    title: str | None = None
    source: str | None = None

    @property
    def language(self) -> str:
        """The main report language."""
        return self.languages[0]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe copy (for ``run.json``)."""
        out = asdict(self)
        out["languages"] = list(self.languages)
        return out


def default_config_text() -> str:
    """The commented default configuration that ``recruitstats init`` writes."""
    return resources.files("recruitstats").joinpath("data/project_default.toml").read_text(encoding="utf-8")


def find_config(folder: str | os.PathLike = ".") -> Path | None:
    """``recruitstats.toml`` in ``folder`` if it exists, else None."""
    path = Path(folder) / CONFIG_NAME
    return path if path.is_file() else None


# --- checking ---------------------------------------------------------------------

class _Checker:
    """Collects one problem per bad key, so a user fixes the file in one go."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def bad(self, key: str, message: str, expected: str = "") -> None:
        self.problems.append(Problem(f"key '{key}': {message}", file=self.file, expected=expected))

    def number(self, key: str, value: object, *, minimum: float = 0.0, strict: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(key, f"{type(value).__name__} where a number belongs", "a number")
            return None
        if value < minimum or (strict and value == minimum) or value != value:
            self.bad(key, f"{value} is out of range", f"a number {'>' if strict else '>='} {minimum:g}")
            return None
        return float(value)

    def text(self, key: str, value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.bad(key, f"{type(value).__name__} where text belongs", "a non-empty string")
            return None
        return value

    def table(self, key: str, value: object) -> dict | None:
        if not isinstance(value, dict):
            self.bad(key, f"{type(value).__name__} where a table belongs", f"a [{key}] table")
            return None
        return value


def _check_threshold(c: _Checker, v: object) -> int | None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        c.bad("threshold", f"{v!r} is not a whole number of people >= 1", "a whole number such as 5")
        return None
    return v


def _check_languages(c: _Checker, v: object) -> tuple[str, ...] | None:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v or any(x not in LANGUAGES for x in v) or len(set(v)) != len(v):
        c.bad("languages", f"{v!r} is not a list of report languages", 'a list from "zh", "en"')
        return None
    return tuple(v)


def _check_unit_costs(c: _Checker, v: object) -> dict[str, float] | None:
    from recruitstats.schema import PANEL

    table = c.table("unit_costs", v)
    if table is None:
        return None
    out = {}
    for col, cost in table.items():
        if col not in PANEL:
            c.bad(f"unit_costs.{col}", "not a panel column", "a canonical panel column such as door_visits")
        elif (x := c.number(f"unit_costs.{col}", cost)) is not None:
            out[col] = x
    return out


def _check_models(c: _Checker, v: object) -> dict[str, dict] | None:
    table = c.table("models", v)
    if table is None:
        return None
    for name, spec in table.items():
        if not isinstance(spec, dict):
            c.bad(f"models.{name}", f"{type(spec).__name__} where a table belongs", f"a [models.{name}] table")
    return {k: dict(s) for k, s in table.items() if isinstance(s, dict)}


def _registry_names() -> set[str] | None:
    try:  # the lever registry is optional here: config must not depend on model code
        from recruitstats.levers import LEVERS
    except ImportError:
        return None
    return set(LEVERS)


def _check_levers(c: _Checker, v: object) -> dict[str, str] | None:
    table = c.table("levers", v)
    if table is None:
        return None
    known = _registry_names()
    out = {}
    for role, entry in table.items():
        if role not in LEVER_ROLES:
            c.bad(f"levers.{role}", "not a lever role", ", ".join(LEVER_ROLES))
        elif c.text(f"levers.{role}", entry) is not None:
            if known is not None and entry not in known:
                c.bad(f"levers.{role}", f"'{entry}' is not in the lever registry", ", ".join(sorted(known)))
            else:
                out[role] = entry
    return out


_CHECKS = {
    "threshold": _check_threshold,
    "languages": _check_languages,
    "unit_costs": _check_unit_costs,
    "scorecard": lambda c, v: c.text("scorecard", v),
    "models": _check_models,
    "levers": _check_levers,
    "allowance_years": lambda c, v: c.number("allowance_years", v, strict=True),
    "title": lambda c, v: c.text("title", v),
}


def _parse(text: str, file: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(f"not valid TOML: {exc}", file=file)]) from None


def load_config(path: str | os.PathLike | None = None) -> ProjectConfig:
    """Read a project configuration file; the defaults when ``path`` is None.

    Parameters
    ----------
    path : a TOML file as written by ``recruitstats init`` (every key optional).

    Returns
    -------
    ProjectConfig

    Raises
    ------
    InputError
        When the file is missing or not TOML, or a key is unknown or has the wrong
        type; one problem per bad key, each naming the key.
    """
    if path is None:
        return ProjectConfig()
    p = Path(path)
    if not p.is_file():
        raise InputError("configuration file not found", file=str(p))
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem("the configuration file is not UTF-8 text", file=str(p))]) from None
    raw = _parse(text, str(p))
    checker = _Checker(str(p))
    values: dict[str, Any] = {}
    for key, value in raw.items():
        check = _CHECKS.get(key)
        if check is None:
            checker.bad(key, "unknown key", ", ".join(_CHECKS))
        elif (checked := check(checker, value)) is not None:
            values[key] = checked
    if checker.problems:
        raise InputError(checker.problems)
    if "levers" in values:  # roles not named keep their default entry
        values["levers"] = {**_default_levers(), **values["levers"]}
    if "unit_costs" in values:  # a cost not named keeps its default
        values["unit_costs"] = {**ProjectConfig().unit_costs, **values["unit_costs"]}
    return ProjectConfig(**values, source=str(p.resolve()))
