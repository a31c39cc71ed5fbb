"""The policy brief: findings written from result objects, in Chinese and English.

The brief is built in three steps, so that each number is computed by a model or
policy function, formatted once, and laid out by three renderers:

1. :func:`collect` fits the models and computes the policy quantities, scorecard
   and league table once (:class:`BriefInputs`: result objects and their tables);
2. :func:`compose` turns the inputs into a :class:`Brief` in one language: sections
   of paragraphs, tables and figures whose numbers are :class:`Num` runs (the
   unrounded value, where it came from, and its text, formatted here only);
3. :mod:`recruitstats.report.brief_render` lays a Brief out as HTML, PDF (typst)
   and DOCX (python-docx) without formatting a number.

:func:`build_brief` does all three for every language and writes
``brief.<lang>.{html,pdf,docx}`` and ``tables.xlsx``.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import string
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Sequence, Union

import numpy as np
import pandas as pd

from recruitstats.errors import InputError
from recruitstats.report.style import check_lang, text

__all__ = ["Num", "Para", "Bullets", "Subheading", "Table", "Figure", "Section", "Brief", "BriefInputs", "Reason",
           "Planning", "planning_evidence", "collect", "inputs_from_results", "compose", "build_brief", "fmt",
           "cycle_text", "period_text"]


# --- the structure -------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    """A number in the brief: ``key`` names its source, ``value`` is unrounded, ``text`` is shown."""

    key: str
    value: float
    text: str

    def __str__(self) -> str:
        return self.text


Run = Union[str, Num, "Para"]


@dataclass(frozen=True)
class Para:
    """A paragraph: text and numbers in order."""

    runs: tuple[Run, ...]

    @property
    def plain(self) -> str:
        return "".join(str(r) for r in self.runs)

    def __str__(self) -> str:
        return self.plain

    def nums(self) -> list[Num]:
        """The numbers of the paragraph (also inside cells made of several runs)."""
        out: list[Num] = []
        for r in self.runs:
            if isinstance(r, Num):
                out.append(r)
            elif isinstance(r, Para):
                out += r.nums()
        return out


@dataclass(frozen=True)
class Bullets:
    items: tuple[Para, ...]


@dataclass(frozen=True)
class Subheading:
    text: str


@dataclass(frozen=True)
class Table:
    """A table whose cells are already formatted (and already through disclosure control)."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[Run, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Figure:
    caption: str
    png: bytes


Block = Union[Para, Bullets, Table, Figure, Subheading]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Brief:
    """A brief in one language, ready to render."""

    lang: str
    title: str
    subtitle: str
    synthetic: bool
    sections: tuple[Section, ...]
    provenance: tuple[str, ...]

    def numbers(self) -> dict[str, Num]:
        """Every number of the brief by key (tests compare them with the results)."""
        out: dict[str, Num] = {}
        for sec in self.sections:
            for block in sec.blocks:
                for para in _paras(block):
                    out.update({r.key: r for r in para.nums()})
        return out

    def plain_text(self) -> str:
        """All words of the brief, for checks (synthetic labels, small counts)."""
        parts = [self.title, self.subtitle, *self.provenance]
        for sec in self.sections:
            parts.append(sec.title)
            for block in sec.blocks:
                parts += [p.plain for p in _paras(block)]
                if isinstance(block, Subheading):
                    parts.append(block.text)
                if isinstance(block, (Table, Figure)):
                    parts += [block.caption, getattr(block, "note", "")]
                if isinstance(block, Table):
                    parts += list(block.header)
        return "\n".join(parts)


def _paras(block: Block) -> list[Para]:
    if isinstance(block, Para):
        return [block]
    if isinstance(block, Bullets):
        return list(block.items)
    if isinstance(block, Table):
        return [Para(tuple(row)) for row in block.rows]
    return []


# --- formatting: the one place numbers become text ---------------------------------

def fmt(value: float, kind: str, lang: str) -> str:
    """Format a number for the brief.

    ``kind``: ``"coef"`` (two decimals, as ``fit --json`` is quoted), ``"coef3"`` (three decimals), ``"count"``
    (whole number, thousands separated), ``"flow"``/``"flow2"`` (one/two decimals), ``"yuan"`` (whole
    yuan), ``"pct"`` (a share as percent, one decimal), ``"pct2"`` (two decimals),
    ``"multiple"`` (two decimals and ×), ``"int"``, ``"price"`` (a unit cost: up to two decimals).
    A value that rounds to zero is shown without a minus sign (``0.00``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return text("na", lang)
    if math.isinf(value):
        return text("unbounded", lang)
    if kind == "coef":
        out = f"{value:.2f}"
    elif kind == "coef3":
        out = f"{value:.3f}"
    elif kind in ("count", "yuan"):
        out = f"{value:,.0f}"
    elif kind == "flow":
        out = f"{value:,.1f}"
    elif kind == "flow2":
        out = f"{value:,.2f}"
    elif kind == "pct":
        out = f"{value * 100:.1f}%"
    elif kind == "pct2":
        out = f"{value * 100:.2f}%"
    elif kind == "multiple":
        out = f"{value:.2f}×"
    elif kind == "p":  # a p-value as people read it
        out = "< 0.001" if value < 0.001 else f"= {value:.3f}"
    elif kind == "int":
        out = f"{int(value)}"
    elif kind == "price":  # a unit cost: whole yuan, or fen when it has them (12.5)
        out = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        raise ValueError(f"unknown number kind {kind!r}")
    if out.startswith("-") and not any(c in "123456789" for c in out):
        out = out[1:]  # a value that rounds to zero is shown without a sign: "0.00", never "-0.00"
    return out


_CYCLE = r"(\d{4})\s*H([12])"


def cycle_text(cycle: str, lang: str) -> str:
    """A call-up cycle as a reader says it: ``2016H2`` -> ``2016年下半年`` (zh), ``2016 H2`` (en)."""
    import re

    def say(m) -> str:
        return f"{m.group(1)}年{'上' if m.group(2) == '1' else '下'}半年" if lang == "zh" \
            else f"{m.group(1)} H{m.group(2)}"

    return re.sub(_CYCLE, say, str(cycle))


def period_text(text_: str, lang: str) -> str:
    """Cycles and periods in a text as a reader says them: ``2016H2–2025H2`` -> ``2016年下半年至2025年下半年``."""
    import re

    out = cycle_text(text_, lang)
    if lang == "zh":
        out = re.sub(r"(半年)\s*[–-]\s*(\d{4}年)", r"\1至\2", out)
    return out


def num(key: str, value: float, kind: str, lang: str) -> Num:
    return Num(key, float(value), fmt(float(value), kind, lang))


def joined(paras: Sequence[Para], lang: str) -> Para:
    """Sentences run together into one paragraph (a space between English sentences)."""
    runs: list[Run] = []
    for i, p in enumerate(paras):
        if i and lang == "en":
            runs.append(" ")
        runs += list(p.runs)
    return Para(tuple(runs))


def sentence(key: str, lang: str, **values: Any) -> Para:
    """The catalogue text ``key`` with its placeholders filled; :class:`Num` values stay numbers."""
    template = text(key, lang)
    runs: list[Run] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            runs.append(literal)
        if name is not None:
            v = values[name]
            runs.append(v if isinstance(v, Num) else format(v, spec or ""))
    return Para(tuple(runs))


@dataclass(frozen=True)
class Reason:
    """Why a part of the brief is missing or limited, in each language.

    ``detail`` keeps the error's own words for logs and tests; the brief never shows it
    (a reader gets a sentence in the brief's language, not an exception).
    """

    zh: str
    en: str
    detail: str = ""

    def say(self, lang: str) -> str:
        """The reason in ``lang``."""
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return self.en


def reason_of(exc: Exception, check=None) -> Reason:
    """An error as a sentence a reader understands: the requirement check's words when it explains it."""
    problems = getattr(exc, "problems", None) or []
    detail = "; ".join(p.message for p in problems) or f"{type(exc).__name__}: {exc}"
    if check is not None and not check.runs:
        return Reason(check.zh, check.en, detail)
    if isinstance(exc, InputError):
        return Reason("这些数据不满足这项分析的要求。", "these data do not meet what this analysis needs.", detail)
    return Reason("计算未能完成（程序内部错误，请报告）。",
                  "the computation failed (an internal error; please report it).", detail)


# --- inputs: results computed once ------------------------------------------------

@dataclass(frozen=True)
class BriefInputs:
    """Everything the brief quotes, computed once for all languages.

    Attributes
    ----------
    signup, discharge : fitted results (``discharge`` None without returns data).
    elasticities, signup_effects, signup_costs : policy tables of the sign-up model.
    discharge_effects, discharge_costs : policy tables of the discharge model (or None).
    scorecard : the :class:`~recruitstats.report.scorecard.Scorecard` (or None).
    league : the league table of return rates (or None).
    coverage : districts, cycles, first and last cycle.
    provenance : files (name, sha256), version, date, config.
    synthetic, threshold, pct : the data's label, the suppression threshold, the "+x%".
    skipped : (part, :class:`Reason`) for each part the data could not give.
    left_out : (model, lever, :class:`Reason`) for each lever the data cannot measure (left out of that model).
    unit_costs : column -> (yuan per unit, True when it is the built-in default) for each unit cost used.
    """

    signup: Any
    discharge: Any
    elasticities: pd.DataFrame
    signup_effects: pd.DataFrame
    signup_costs: pd.DataFrame | None
    discharge_effects: pd.DataFrame | None
    discharge_costs: pd.DataFrame | None
    scorecard: Any
    league: Any
    coverage: dict
    provenance: dict
    synthetic: bool
    threshold: int = 5
    pct: float = 10.0
    skipped: tuple[tuple[str, Reason], ...] = ()
    planning: Planning | None = None
    left_out: tuple[tuple[str, str, Reason], ...] = ()
    unit_costs: dict = field(default_factory=dict)


#: Seed of every random step of the brief (league-table ranks, scenario draws, DiD bands).
SEED = 20261201
#: Lever and factor of the brief's next-cycle scenario (issue #12: publicity +30%).
SCENARIO = ("publicity", 1.3)


@dataclass(frozen=True)
class Planning:
    """Planning evidence (issue #12) the brief quotes, each part a result or why it is missing.

    Attributes
    ----------
    reform : Callaway-Sant'Anna result of the allowance reforms (None when not estimated).
    twfe : the naive two-way fixed-effects estimate beside it.
    reform_note : None, ``"none"`` (no district raised the allowance enough) or why it failed (a :class:`Reason`).
    scenario : a :class:`~recruitstats.planning.scenarios.ScenarioResult` for next cycle.
    scenario_note : why there is no scenario (a :class:`Reason`; None when there is one).
    min_rise : the rise of the allowance (relative to the wage) that counts as a reform.
    """

    reform: Any = None
    twfe: Any = None
    reform_note: str | Reason | None = None
    scenario: Any = None
    scenario_note: Reason | None = None
    min_rise: float = 0.1


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _coverage(panel: pd.DataFrame) -> dict:
    from recruitstats.measures import add_cycle

    cycles = add_cycle(panel[["year", "half"]]).sort_values(["year", "half"])["cycle"]
    key = "district_code" if "district_code" in panel and panel["district_code"].notna().all() else "district"
    return {"districts": int(panel[key].nunique()), "cycles": int(cycles.nunique()),
            "first": str(cycles.iloc[0]), "last": str(cycles.iloc[-1])}


def _is_synthetic(panel: pd.DataFrame) -> bool:
    if "data_source" not in panel:
        return False
    return any("SYNTHETIC" in str(v).upper() for v in pd.unique(panel["data_source"].dropna()))


def assess_panel(panel: pd.DataFrame, config):
    """What the panel supports under the config (:func:`recruitstats.requirements.assess`)."""
    from recruitstats.requirements import assess

    return assess(panel, synthetic=_is_synthetic(panel), levers=dict(getattr(config, "levers", {}) or {}),
                  unit_costs=dict(getattr(config, "unit_costs", {}) or {}))


def _supported(spec, checks, model: str) -> tuple[Any, list[tuple[str, str, Reason]]]:
    """The spec without the levers whose data are missing, and (model, lever, why) for each left out."""
    from recruitstats.levers import DEFAULT_LEVERS

    gone = {checks.lever_entries.get(role, role): checks.get(f"{model}.{role}")
            for role in DEFAULT_LEVERS if role not in checks.levers(model)}
    left = [(model, lever, Reason(c.zh, c.en)) for lever, c in gone.items() if lever in spec.levers]
    return replace(spec, levers=tuple(lv for lv in spec.levers if lv not in gone)), left


def _fit_models(panel: pd.DataFrame, config, checks=None) -> tuple[Any, Any, list, list]:
    """The sign-up and discharge models of the config, on the levers the data support.

    Returns (signup, discharge or None, levers left out, parts skipped). A lever whose
    columns the panel lacks is left out of the model and said; a sign-up model that cannot
    be fitted at all is an :class:`InputError`. Unless the config has its own
    ``[models.discharge]`` table, the discharge model also takes follow-up contacts (per
    100 recruits) when the panel records them.
    """
    from recruitstats.models.rates import fit_model
    from recruitstats.specs import spec_from_config

    checks = checks if checks is not None else assess_panel(panel, config)
    if not checks.can("signup"):
        c = checks.get("signup")
        raise InputError(f"{c.en} / {c.zh}")
    spec, left = _supported(spec_from_config("signup", config), checks, "signup")
    signup = fit_model(spec, panel)
    if not {"returned", "enlisted"} <= set(panel.columns):
        return signup, None, left, []
    if not checks.can("discharge"):
        c = checks.get("discharge")
        return signup, None, left, [("discharge", Reason(c.zh, c.en))]
    spec, left_d = _supported(spec_from_config("discharge", config), checks, "discharge")
    own = "discharge" in (getattr(config, "models", {}) or {})
    if not own and "followup_contacts" in panel and "followup_contacts" not in spec.levers \
            and panel["followup_contacts"].notna().any():
        spec = replace(spec, levers=(*spec.levers, "followup_contacts"))
    return signup, fit_model(spec, panel), left + left_d, []


def _call(func, result, *, panel, config, pct: float):
    """Call a policy function with the options its signature takes (old and new policy API)."""
    params = inspect.signature(func).parameters
    kwargs: dict[str, Any] = {"pct": pct} if "pct" in params else {}
    unit_costs = dict(getattr(config, "unit_costs", {}) or {})
    if "unit_costs" in params:
        kwargs["unit_costs"] = unit_costs
    elif "cost_per_visit" in params:  # the policy API before unit_costs
        kwargs["cost_per_visit"] = unit_costs.get("door_visits")
    if "allowance_years" in params:
        kwargs["allowance_years"] = float(getattr(config, "allowance_years", 2.0))
    if "panel" in params:
        kwargs["panel"] = panel
    return func(result, **kwargs)


def inputs_from_results(signup, discharge, *, panel: pd.DataFrame, config=None, scorecard=None, league=None,
                        files: Sequence[str | Path] = (), pct: float = 10.0) -> BriefInputs:
    """The brief's inputs from fitted results (policy quantities are computed here, once).

    Parameters
    ----------
    signup, discharge : fitted results (``discharge`` may be None).
    panel : the panel they were fitted on (coverage, costs).
    config : a :class:`~recruitstats.config.ProjectConfig` (defaults when None).
    scorecard, league : computed tables, or None to leave those sections out.
    files : input files whose SHA-256 goes into the provenance footer.
    """
    from recruitstats import __version__, policy

    config = _config(config)
    e = policy.elasticities(signup)
    effects = _call(policy.effect_of_increase, signup, panel=panel, config=config, pct=pct)
    costs = _call(policy.cost_per_applicant, signup, panel=panel, config=config, pct=pct)
    skipped = []
    why = _check_predictions(signup, effects)
    if why:  # a prediction that does not reproduce the fit gives no number
        effects, costs = effects.iloc[0:0], None
        skipped.append(("policy.signup", why))
    d_effects = d_costs = None
    if discharge is not None:
        d_effects = _call(policy.effect_of_increase, discharge, panel=panel, config=config, pct=pct)
        if hasattr(policy, "cost_per_avoided_return"):
            d_costs = _call(policy.cost_per_avoided_return, discharge, panel=panel, config=config, pct=pct)
        why = _check_predictions(discharge, d_effects)
        if why:
            d_effects, d_costs = None, None
            skipped.append(("policy.discharge", why))
    prov = {"files": _hashes(files), "version": __version__,
            "date": date.today().isoformat(), "config": _config_text(config), "scheme": _scheme_text(config)}
    return BriefInputs(signup=signup, discharge=discharge, elasticities=e, signup_effects=effects,
                       signup_costs=costs, discharge_effects=d_effects, discharge_costs=d_costs,
                       scorecard=scorecard, league=league, coverage=_coverage(panel), provenance=prov,
                       synthetic=_is_synthetic(panel), threshold=int(getattr(config, "threshold", 5)), pct=pct,
                       skipped=tuple(skipped), unit_costs=_unit_costs(config))


def _unit_costs(config) -> dict[str, tuple[float, bool]]:
    """Column -> (yuan per unit, whether it is the built-in default rather than the office's own figure)."""
    import tomllib

    own: dict = {}
    source = getattr(config, "source", None)
    if source and Path(source).is_file():
        try:
            own = tomllib.loads(Path(source).read_text(encoding="utf-8-sig")).get("unit_costs", {}) or {}
        except (OSError, ValueError):
            own = {}
    return {col: (float(v), col not in own) for col, v in (getattr(config, "unit_costs", {}) or {}).items()}


def _hashes(files: Sequence[str | Path]) -> list[tuple[str, str]]:
    """(name, SHA-256) of each input file, once each, in order."""
    paths = dict.fromkeys(Path(f) for f in files if f is not None and Path(f).is_file())
    return [(p.name, sha256(p)) for p in paths]


def _check_predictions(result, effects: pd.DataFrame) -> Reason | None:
    """Why the policy quantities of a result cannot be quoted, or None when they can.

    "+x%" numbers are differences of the model's predictions. At the data the
    prediction must equal the fitted values (per cycle); when it does not, every
    such number would be wrong, so the brief leaves them out and says why.
    """
    if effects is None or len(effects) == 0 or "baseline" not in effects:
        return None
    rows = result.data.loc[result.rows_used]
    cycles = rows["cycle"].nunique() if "cycle" in rows else rows.groupby(["year", "half"]).ngroups
    fitted = float(result.fitted.sum()) / max(int(cycles), 1)
    predicted = float(effects["baseline"].iloc[0])
    if abs(predicted - fitted) <= 1e-6 * max(1.0, abs(fitted)):
        return None
    p = {lang: (fmt(predicted, "flow2", lang), fmt(fitted, "flow2", lang)) for lang in ("zh", "en")}
    return Reason(f"按估计值预测每批次为 {p['zh'][0]}，而拟合值为 {p['zh'][1]}",
                  f"predictions at the estimates give {p['en'][0]} per cycle but the fitted values {p['en'][1]}",
                  f"predicted {predicted!r}, fitted {fitted!r}")


def _config_text(config) -> str | None:
    """The config file's name and SHA-256 (None for the defaults)."""
    source = getattr(config, "source", None)
    if source and Path(source).is_file():
        return f"{Path(source).name} (SHA-256 {sha256(source)})"
    return source


def _scheme_text(config) -> str | None:
    """The scorecard scheme file's name and SHA-256 (None for the built-in default)."""
    path = scheme_path(config)
    if str(path) == "default" or not Path(path).is_file():
        return None
    return f"{Path(path).name} (SHA-256 {sha256(path)})"


def _config(config):
    if config is not None and not isinstance(config, (str, Path)):
        return config
    from recruitstats.config import load_config

    return load_config(config)


def scheme_path(config) -> str | Path:
    """The config's scorecard scheme: a name, or a TOML path (a relative one is read from the config's folder)."""
    scheme = getattr(config, "scorecard", None) or "default"
    if str(scheme) == "default" or Path(scheme).is_absolute():
        return scheme
    source = getattr(config, "source", None)
    return Path(source).parent / scheme if source else Path(scheme)


_NO_RETURNS = Reason("数据中没有退兵人数（returned）和批准入伍人数（enlisted）两列，无法计算退兵率。",
                     "the data have no returned and enlisted columns, so no return rate can be computed.")


def _league(panel: pd.DataFrame, config) -> Any:
    from recruitstats.report.league import league_table

    if not {"returned", "enlisted"} <= set(panel.columns):
        raise InputError("the data have no returned and enlisted columns")
    return league_table(panel, "return", threshold=int(getattr(config, "threshold", 5)), seed=SEED)


def _try(what: str, func, check=None) -> tuple[Any, tuple[str, Reason] | None]:
    """``func()``, or None and (what, why) when the data cannot give it (the brief says so, in words)."""
    try:
        return func(), None
    except InputError as exc:
        if what == "league" and "no returned and enlisted" in str(exc):
            return None, (what, replace(_NO_RETURNS, detail=str(exc)))
        return None, (what, reason_of(exc, check))


def collect(panel: pd.DataFrame, *, config=None, files: Sequence[str | Path] = ()) -> BriefInputs:
    """Fit the models and compute everything the brief quotes, once.

    A part the data cannot give (a scorecard column missing, no returns for a league
    table, too few districts) is left out and listed in ``skipped``, which the brief
    reports under "what the data cannot tell". A sign-up model that cannot be fitted
    is an :class:`InputError`: without it there is no brief.

    Parameters
    ----------
    panel : canonical panel (``load_panel``).
    config : project config, a path to one, or None for the defaults.
    files : the input files (their hashes go into the provenance footer).
    """
    from recruitstats.report.scorecard import scorecard

    config = _config(config)
    checks = assess_panel(panel, config)
    signup, discharge, left_out, skipped = _fit_models(panel, config, checks)
    card, why_card = _try("scorecard", lambda: scorecard(panel, scheme_path(config), threshold=int(config.threshold)))
    league, why_league = _try("league", lambda: _league(panel, config))
    inputs = inputs_from_results(signup, discharge, panel=panel, config=config, scorecard=card, league=league,
                                 files=files)
    return replace(inputs, skipped=inputs.skipped + tuple(skipped) + tuple(w for w in (why_card, why_league) if w),
                   planning=planning_evidence(panel, signup, checks=checks), left_out=tuple(left_out))


def _reforms(panel: pd.DataFrame, min_rise: float, checks) -> tuple[Any, Any, str | Reason | None]:
    """Staggered allowance reforms: Callaway-Sant'Anna (not-yet-treated controls) and naive TWFE."""
    from recruitstats.models.did import fit_staggered, fit_twfe, reform_cohorts

    try:
        if reform_cohorts(panel, min_rise=min_rise)["reform_cycle"].isna().all():
            return None, None, "none"
        check = checks.get("reforms")
        if not check.runs:  # the requirement check says why, in words
            return None, None, Reason(check.zh, check.en)
        # analytic intervals from influence functions; 99 multiplier draws (the least allowed) only
        # feed the uniform event-study band, which the brief does not quote
        cs = fit_staggered(panel, seed=SEED, control="not_yet", min_rise=min_rise, reps=99)
        return cs, fit_twfe(panel, min_rise=min_rise), None
    except Exception as exc:  # noqa: BLE001 - a supplementary analysis that fails is said, the brief goes on
        return None, None, reason_of(exc, checks.get("reforms"))


def _scenario(signup, checks) -> tuple[Any, Reason | None]:
    """Next cycle with the scenario lever changed, prediction intervals from 1,000 parameter draws."""
    from recruitstats.planning import next_cycle

    lever, factor = SCENARIO
    if lever not in signup.params.index:
        lever = next((lv for lv in signup.levers if lv in signup.params.index), None)
    if lever is None:
        return None, Reason("报名模型中没有可识别的措施。", "no lever of the sign-up model is identified.")
    try:
        return next_cycle(signup, {lever: factor}, seed=SEED, reps=1000), None
    except Exception as exc:  # noqa: BLE001 - as for the reforms
        return None, reason_of(exc, checks.get("planning.scenario"))


def planning_evidence(panel: pd.DataFrame, signup, *, min_rise: float = 0.1, checks=None) -> Planning:
    """The planning evidence of the brief: allowance reforms and a next-cycle scenario.

    An analysis the data cannot support is not an error: its note says why (a
    :class:`Reason`), and the brief says so in one sentence in its language.
    ``checks``: the panel's :func:`recruitstats.requirements.assess` (computed when None).
    """
    if checks is None:
        from recruitstats.requirements import assess

        checks = assess(panel, min_rise=min_rise)
    reform, twfe, note = _reforms(panel, min_rise, checks)
    scenario, why = _scenario(signup, checks)
    return Planning(reform=reform, twfe=twfe, reform_note=note, scenario=scenario, scenario_note=why,
                    min_rise=min_rise)


# --- composing one language ----------------------------------------------------------

def compose(inputs: BriefInputs, lang: str, *, figures: bool = True) -> Brief:
    """The brief in one language, from the inputs (no model is fitted, no quantity computed).

    Parameters
    ----------
    inputs : from :func:`collect` or :func:`inputs_from_results`.
    lang : ``"zh"`` or ``"en"``.
    figures : draw the figures (False for fast checks of the text).
    """
    from recruitstats.report import brief_sections as bs

    check_lang(lang)
    title = text("brief.title", lang) + (text("brief.title_synthetic", lang) if inputs.synthetic else "")
    cov = inputs.coverage
    subtitle = text("brief.coverage", lang, districts=cov["districts"], cycles=cov["cycles"],
                    first=cycle_text(cov["first"], lang), last=cycle_text(cov["last"], lang))
    sections = [bs.headline(inputs, lang), bs.planning_section(inputs, lang), bs.scorecard_section(inputs, lang),
                bs.figures_section(inputs, lang, draw=figures), bs.cannot_tell(inputs, lang),
                bs.methods(inputs, lang)]
    return Brief(lang=lang, title=title, subtitle=subtitle, synthetic=inputs.synthetic,
                 sections=tuple(s for s in sections if s is not None and s.blocks),
                 provenance=bs.provenance(inputs, lang))


# --- files -----------------------------------------------------------------------------

def build_brief(
    data: str | Path,
    out: str | Path,
    *,
    langs: Sequence[str] = ("zh", "en"),
    config=None,
    panel: pd.DataFrame | None = None,
    inputs: BriefInputs | None = None,
    formats: Sequence[str] = ("html", "pdf", "docx"),
    xlsx: bool = True,
    figures: bool = True,
    sources: Sequence[str | Path] = (),
) -> list[Path]:
    """Write ``brief.<lang>.{html,pdf,docx}`` (and ``tables.xlsx``) for a data folder or panel file.

    Parameters
    ----------
    data : a data folder (``panel.csv``), an ingest store or a panel file.
    out : output folder (created).
    langs : languages, each ``"zh"`` or ``"en"``.
    config : project config, a path to one, or None (defaults).
    panel, inputs : already loaded panel / computed inputs (``run`` passes them to avoid refitting).
    formats : which of ``html``, ``pdf``, ``docx`` to write.
    xlsx : also write the tables to ``tables.xlsx``.
    figures : draw the figures (False only for quick checks of the text).
    sources : the original input files (``run`` passes them): their names and SHA-256 go into the
        provenance footer instead of ``data``'s panel file (which for ``run`` is a temporary copy).

    Returns
    -------
    The paths written, in order.
    """
    from recruitstats.report import brief_render as br

    for lang in langs:
        check_lang(lang)
    bad = [f for f in formats if f not in ("html", "pdf", "docx")]
    if bad:
        raise InputError(f"unknown brief format(s) {', '.join(bad)}; choose from html, pdf, docx")
    config = _config(config)
    if inputs is None:
        panel_file = _panel_file(data) if panel is None or not sources else None
        panel = _load(panel_file) if panel is None else panel
        inputs = collect(panel, config=config, files=list(sources) or [panel_file])
    elif sources:
        inputs = replace(inputs, provenance={**inputs.provenance, "files": _hashes(sources)})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for lang in langs:
        brief = compose(inputs, lang, figures=figures)
        for f in formats:
            written.append(br.write(brief, out / f"brief.{lang}.{f}"))
    if xlsx:
        written.append(br.write_tables_xlsx(inputs, out / "tables.xlsx", lang=langs[0]))
    return written


def _panel_file(data: str | Path) -> Path:
    from recruitstats.pipeline import data_files

    return Path(data_files(data).panel)


def _load(path: Path) -> pd.DataFrame:
    from recruitstats.io import load_panel

    return load_panel(path)


def finite(x: object) -> bool:
    try:
        return bool(np.isfinite(float(x)))
    except (TypeError, ValueError):
        return False
