"""Model specifications: what a rate model is, as one value that can be written down.

A :class:`ModelSpec` holds the outcome, exposure, levers (names in the lever
registry, :mod:`recruitstats.levers`), controls, fixed effects, cluster, family,
covariance and trends. It is read from and written to TOML tables (so a project
config holds it), or built from a fixest-style formula that pyfixest users know::

    applicants ~ publicity + stipend + outreach | district + cycle

The sign-up and early-discharge models of SCHEMA.md are two default specs,
:data:`SIGNUP` and :data:`DISCHARGE`, not two copies of a signature.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, Mapping

from recruitstats.errors import InputError
from recruitstats.levers import DEFAULT_LEVERS, LEVERS

__all__ = ["ModelSpec", "SIGNUP", "DISCHARGE", "DEFAULT_SPECS", "spec_for", "spec_from_config"]

Family = Literal["poisson", "binomial"]
Vcov = Literal["auto", "cluster", "jackknife", "hetero", "iid"]
_FAMILIES = ("poisson", "binomial")
_VCOVS = ("auto", "cluster", "jackknife", "hetero", "iid")


@dataclass(frozen=True)
class ModelSpec:
    """One rate model: ``E[outcome] = exposure * exp(FE + levers + controls)`` (or a logit of the share).

    Attributes
    ----------
    name : what the model is called in results and tables (``signup``, ``discharge``, ...).
    outcome, exposure : count columns (exposure: people at risk, or trials for binomial).
    levers : names in the lever registry (``recruitstats.levers.LEVERS``).
    controls : other numeric columns, entered as they are.
    fixed_effects : columns absorbed as fixed effects (``cycle`` is made from year and half).
    cluster : column to cluster errors by, or None (heteroskedasticity-robust errors).
    family : ``"poisson"`` (quasi-likelihood) or ``"binomial"`` (logit, exposure = trials).
    vcov : ``"auto"`` (CRV1, or the CRV3 jackknife below 40 clusters), ``"cluster"``,
        ``"jackknife"``, ``"hetero"`` or ``"iid"``.
    trends : district-specific linear trends in cycles.
    level : confidence level of reported intervals.
    """

    name: str = "signup"
    outcome: str = "applicants"
    exposure: str = "eligible_youth"
    levers: tuple[str, ...] = DEFAULT_LEVERS
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ("district", "cycle")
    cluster: str | None = "district"
    family: Family = "poisson"
    vcov: Vcov = "auto"
    trends: bool = False
    level: float = 0.95

    def __post_init__(self) -> None:
        for name in ("levers", "controls", "fixed_effects"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise InputError(f"model spec: {name} must be a list of names, not the string {value!r}")
            object.__setattr__(self, name, tuple(value))
        unknown = [lv for lv in self.levers if lv not in LEVERS]
        if unknown:
            raise InputError(f"unknown lever(s) {', '.join(unknown)}; choose from {', '.join(LEVERS)}")
        if not self.levers and not self.controls:
            raise InputError("at least one lever (or control) is needed")
        if self.family not in _FAMILIES:
            raise InputError(f"family must be 'poisson' or 'binomial', not {self.family!r}")
        if self.vcov not in _VCOVS:
            raise InputError(f"vcov must be one of {', '.join(_VCOVS)}, not {self.vcov!r}")
        if not 0 < float(self.level) < 1:
            raise InputError(f"level must be between 0 and 1, not {self.level!r}")
        if self.cluster is None and self.vcov in ("cluster", "jackknife"):
            raise InputError(f"vcov {self.vcov!r} needs a cluster column")

    # --- TOML / dict --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists for tuples; cluster "none" for None), as a TOML table holds them."""
        out = asdict(self)
        for key in ("levers", "controls", "fixed_effects"):
            out[key] = list(out[key])
        out["cluster"] = "none" if self.cluster is None else self.cluster
        return out

    @classmethod
    def from_dict(cls, table: Mapping[str, Any], *, base: "ModelSpec | None" = None) -> "ModelSpec":
        """A spec from a TOML table; keys not given come from ``base`` (or the class defaults).

        A ``formula`` key is read with :meth:`from_formula` first; other keys override it.
        """
        table = dict(table)
        known = {f.name for f in fields(cls)} | {"formula"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise InputError(f"model spec: unknown key(s) {', '.join(unknown)}; known keys: "
                             f"{', '.join(sorted(known))}")
        start = base or cls()
        if "formula" in table:
            start = cls.from_formula(table.pop("formula"), base=start)
        if str(table.get("cluster", "")).lower() == "none":
            table["cluster"] = None
        return replace(start, **table)

    @classmethod
    def from_toml(cls, path, *, table: str | None = None, base: "ModelSpec | None" = None) -> "ModelSpec":
        """A spec from a TOML file: its ``[models.NAME]`` table when ``table`` is given and the file
        has one, else the whole file. Keys not given come from ``base`` (default: the spec of
        the file's ``name``, or of ``table``)."""
        import tomllib

        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML ({exc})", file=str(path)) from None
        if table is not None and "models" in data:
            if table not in data["models"]:
                raise InputError(f"{path}: no [models.{table}] table", file=str(path))
            data = data["models"][table]
        base = base or spec_for(data.get("name", table or "signup"))
        return cls.from_dict(data, base=base)

    def to_toml(self) -> str:
        """The spec as a TOML table body (``key = value`` lines)."""
        lines = []
        for key, value in self.to_dict().items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, (int, float)):
                text = repr(value)
            elif isinstance(value, list):
                text = "[" + ", ".join(f'"{v}"' for v in value) + "]"
            else:
                text = f'"{value}"'
            lines.append(f"{key} = {text}")
        return "\n".join(lines) + "\n"

    # --- formulas -------------------------------------------------------------------
    @classmethod
    def from_formula(cls, formula: str, *, base: "ModelSpec | None" = None, **options: Any) -> "ModelSpec":
        """Read ``outcome ~ terms | fixed effects`` (fixest style).

        Terms that are lever names become levers, others controls; ``offset(log(col))``
        or ``exposure(col)`` names the exposure (default: the base spec's); no bar, or
        ``| 0``, means no fixed effects.
        """
        m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*~\s*([^|]*?)\s*(?:\|\s*(.*?)\s*)?", formula or "")
        if not m:
            raise InputError(f"cannot read the formula {formula!r}; write it as "
                             "'applicants ~ publicity + stipend | district + cycle'")
        outcome, rhs, fes = m.group(1), m.group(2), m.group(3)
        terms = [t.strip() for t in rhs.split("+") if t.strip()]
        exposure = None
        levers, controls = [], []
        for t in terms:
            e = re.fullmatch(r"(?:offset\(\s*log\(\s*(\w+)\s*\)\s*\)|exposure\(\s*(\w+)\s*\))", t)
            if e:
                exposure = e.group(1) or e.group(2)
            elif t in ("1", "0"):
                continue
            elif not re.fullmatch(r"[A-Za-z_]\w*", t):
                raise InputError(f"formula term {t!r} is not a column name; transforms of levers live in "
                                 "the lever registry (recruitstats.levers)")
            elif t in LEVERS:
                levers.append(t)
            else:
                controls.append(t)
        fe_list = [] if fes in (None, "", "0") else [f.strip() for f in fes.split("+") if f.strip()]
        start = base or spec_for(_model_for(outcome))
        out = replace(start, outcome=outcome, levers=tuple(levers), controls=tuple(controls),
                      fixed_effects=tuple(fe_list), **options)
        return replace(out, exposure=exposure) if exposure else out

    def formula(self) -> str:
        """The spec as a fixest-style formula."""
        rhs = " + ".join([*self.levers, *self.controls, f"offset(log({self.exposure}))"])
        fe = " + ".join(self.fixed_effects) or "0"
        return f"{self.outcome} ~ {rhs} | {fe}"


def _model_for(outcome: str) -> str:
    return "discharge" if outcome == "returned" else "signup"


#: Sign-ups (SCHEMA.md "Default model"): applicants out of eligible youth.
SIGNUP = ModelSpec()
#: Early discharge: recruits returned out of recruits enlisted.
DISCHARGE = ModelSpec(name="discharge", outcome="returned", exposure="enlisted")
DEFAULT_SPECS: dict[str, ModelSpec] = {"signup": SIGNUP, "discharge": DISCHARGE}


def spec_for(name: str) -> ModelSpec:
    """The default spec of a model name (``signup`` or ``discharge``); other names start from sign-ups."""
    base = DEFAULT_SPECS.get(name, SIGNUP)
    return base if base.name == name else replace(base, name=name)


def spec_from_config(name: str, config: Any = None) -> ModelSpec:
    """The spec of model ``name`` under a project config (:class:`recruitstats.config.ProjectConfig`).

    Starts from the default spec, puts the config's lever roles in (``[levers]
    outreach = "exemplar_talks"``), then applies the config's ``[models.NAME]`` table.
    """
    spec = spec_for(name)
    if config is None:
        return spec
    roles = dict(getattr(config, "levers", {}) or {})
    if roles:
        spec = replace(spec, levers=tuple(roles.get(lv, lv) for lv in spec.levers))
    table = (getattr(config, "models", {}) or {}).get(name)
    return ModelSpec.from_dict(table, base=spec) if table else spec
