"""What each analysis needs, checked before it runs, with the reason in Chinese and English.

:func:`assess` looks at the data once (panel, optional recruit records) and says,
for every analysis of the reports, whether it can run and, when it cannot (or
only in part), why, in a sentence a reader of the report understands. ``recruitstats
run`` records the answers in ``run.json`` (``"skipped": [{"analysis", "reason"}]``)
and drops the cells of an analysis the data cannot support; the notebooks print
the sentences. Invalid input (no data rows at all) is an :class:`InputError`;
everything else is a skip or a caution, never a failure.

Analyses (keys used in notebook cell tags ``needs:<key>`` and in ``run.json``):

=====================  ==============================================================
funnel                 the recruitment funnel and derived rates (a count of applicants ... returned)
signup                 the sign-up model (applicants, eligible_youth, a lever, 2+ districts, 2+ cycles)
signup.<lever>         one lever of the sign-up model (its columns present and usable)
signup.inference       cluster-robust intervals (reliable with 10+ districts)
signup.controls        the robustness fit with the unemployment_rate control
discharge              the district early-discharge model (returned, enlisted, some returns)
survival               recruit-level Kaplan-Meier shares (recruit records with returns)
survival.models        Cox and piecewise-exponential models (10+ returns per covariate)
survival.causes        cause-specific models (10+ returns of one cause)
reforms                staggered allowance reforms, effect on sign-ups (a reform and a comparison group)
reforms.return         the same reforms' effect on the return rate (returned, enlisted, some returns)
reforms.inference      district-clustered intervals of the reform effects (reliable with 10+ districts)
planning.power         simulated power of an evaluation of the data's size (needs nothing from the data)
planning.scenario      next-cycle scenarios (a sign-up model with a usable lever)
planning.budget        budget allocation (each lever priced; ``levers("planning.budget")``)
planning.adstock       publicity carry-over (publicity in 4+ cycles for 2+ districts)
planning.adstock.hill  the Hill (ceiling) form of diminishing returns (10+ districts)
truth                  the simulation's true values (synthetic data only)
=====================  ==============================================================

:meth:`Assessment.levers` gives the lever *roles* a model can use ("publicity",
"stipend", "outreach"); :meth:`Assessment.measures` the lever-registry entries playing
them under the project config (``[levers] outreach = "counselors_trained"``), which is
what :func:`recruitstats.fit_signup` takes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.levers import DEFAULT_LEVERS, LEVERS

__all__ = ["Check", "Assessment", "assess", "FEW_CLUSTERS", "EVENTS_PER_COVARIATE", "SURVIVAL_COVARIATES",
           "ADSTOCK_CYCLES", "MIN_RISE"]

Status = Literal["ok", "partial", "caution", "skipped"]

#: Below this many districts cluster-robust intervals are not to be relied on
#: (Cameron and Miller 2015; MacKinnon and Webb 2018), even with the CRV3 jackknife.
FEW_CLUSTERS = 10
#: Returns needed per covariate of a hazard model (Peduzzi et al. 1995: 10 events per variable).
EVENTS_PER_COVARIATE = 10
#: Returns of one cause needed to fit that cause's model (as fit_cause_specific's min_events).
MIN_CAUSE_EVENTS = 10
#: Cycles of publicity spending a district needs for the carry-over (adstock) model.
ADSTOCK_CYCLES = 4
#: Rise of the allowance relative to the wage that counts as a reform (notebook 05's MIN_RISE).
MIN_RISE = 0.10
#: Recruit-level covariates of the hazard models, when present and varying.
SURVIVAL_COVARIATES = ("door_visit", "counselor_contact", "exemplar_talk", "followup_contact", "college_status")

# the lever roles (SCHEMA.md's default levers); their columns and labels come from the lever registry
_DEFAULT_LEVERS = DEFAULT_LEVERS
_LEVER_ZH = {role: LEVERS[role].label_zh for role in DEFAULT_LEVERS}


@dataclass(frozen=True)
class Check:
    """Whether one analysis can run, and why not, in both languages.

    ``status``: "ok"; "partial" (runs without a part, e.g. a lever left out);
    "caution" (runs, but a result must be read with care); "skipped" (does not run).
    """

    analysis: str
    status: Status
    zh: str = ""
    en: str = ""

    @property
    def runs(self) -> bool:
        return self.status != "skipped"

    def reason(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self, lang: str = "en") -> dict:
        return {"analysis": self.analysis, "status": self.status, "reason": self.reason(lang),
                "reason_zh": self.zh, "reason_en": self.en}


@dataclass(frozen=True)
class Assessment:
    """The checks of every analysis for one data set (see :func:`assess`)."""

    checks: tuple[Check, ...]
    lever_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    synthetic: bool = False
    lever_entries: dict[str, str] = field(default_factory=dict)

    def get(self, analysis: str) -> Check:
        for c in self.checks:
            if c.analysis == analysis:
                return c
        return Check(analysis, "ok")

    def can(self, analysis: str) -> bool:
        """True when ``analysis`` (and the analysis it belongs to, for "signup.outreach") can run."""
        parts = analysis.split(".")
        return all(self.get(".".join(parts[:i])).runs for i in range(1, len(parts) + 1))

    def levers(self, model: str = "signup") -> list[str]:
        """The lever roles the data support for ``model`` ("signup", "discharge" or "planning.budget")."""
        return list(self.lever_roles.get(model, ()))

    def measures(self, model: str = "signup") -> list[str]:
        """The lever-registry entries playing :meth:`levers` roles (the project config's ``[levers]``)."""
        return [self.lever_entries.get(role, role) for role in self.levers(model)]

    def problems(self) -> list[Check]:
        """Checks that are not "ok", in order (the truth, absent from real data, is not a problem)."""
        return [c for c in self.checks if c.status != "ok" and c.analysis != "truth"]

    def skipped(self, lang: str = "en", analyses: list[str] | None = None) -> list[dict]:
        """``run.json``'s ``skipped`` list: what could not be estimated (wholly or in part) and why."""
        keep = [c for c in self.problems() if c.status in ("skipped", "partial")]
        if analyses is not None:
            keep = [c for c in keep if c.analysis.split(".")[0] in analyses]
        return [c.to_dict(lang) for c in keep]

    def say(self, prefix: str = "", *, lang: str = "en") -> str:
        """Sentences for the checks of analyses starting with ``prefix`` that are not ok ("" when all are)."""
        return "\n".join(f"- {c.reason(lang)}" for c in self.problems()
                         if c.analysis == prefix or c.analysis.startswith(prefix + ".") or not prefix)


# --- helpers ---------------------------------------------------------------------

def _usable(df: pd.DataFrame | None, col: str) -> pd.Series | None:
    """The column as numbers when present with at least one value, else None."""
    if df is None or col not in df:
        return None
    values = pd.to_numeric(df[col], errors="coerce").astype(float)
    return values if values.notna().any() else None


def _district_key(df: pd.DataFrame) -> str:
    return "district_code" if "district_code" in df and df["district_code"].notna().all() else "district"


def _skip(analysis: str, zh: str, en: str) -> Check:
    return Check(analysis, "skipped", zh, en)


# --- panel analyses ----------------------------------------------------------------

def _lever_columns(role: str, entry: str | None) -> tuple[str, str | None, str]:
    """(column, denominator, transform) of the lever-registry entry playing ``role``."""
    lever = LEVERS.get(entry or role, LEVERS[role])
    return lever.column, lever.per, lever.kind


def _lever_check(panel: pd.DataFrame, model: str, role: str, entry: str | None = None) -> Check:
    num, den, kind = _lever_columns(role, entry)
    name = f"{model}.{role}"
    zh_role = _LEVER_ZH[role]
    for col in (num, den):
        if col and _usable(panel, col) is None:
            return Check(name, "skipped",
                         f"缺少 {col} 列（或全部为空），{zh_role}杠杆（{role}）未纳入模型，其余杠杆照常估计。",
                         f"no {col} values in the data: the {role} lever is left out of the {model} model; "
                         "the other levers are still estimated.")
    x = _usable(panel, num) / (_usable(panel, den) if den else 1.0)
    bad = int((x <= 0).sum()) if kind == "log" else int((x < 0).sum())
    if bad:
        return Check(name, "skipped",
                     f"{num} 有 {bad} 行为零或负数，无法取对数，{zh_role}杠杆（{role}）未纳入模型。",
                     f"{num} is zero or negative in {bad} row(s), so its logarithm is undefined: the {role} "
                     f"lever is left out of the {model} model.")
    return Check(name, "ok")


def _rate_model_checks(panel: pd.DataFrame, model: str, outcome: str, exposure: str,
                       zh_model: str, levers: dict[str, str]) -> tuple[list[Check], tuple[str, ...]]:
    missing = [c for c in (outcome, exposure) if _usable(panel, c) is None]
    if missing:
        cols = ", ".join(missing)
        return [_skip(model, f"缺少 {cols} 列（或全部为空），未估计{zh_model}。",
                      f"no {cols} values in the data: the {model} model is not estimated.")], ()
    key = _district_key(panel)
    n_districts = panel[key].nunique()
    n_cycles = panel.groupby(["year", "half"]).ngroups
    if n_districts < 2:
        return [_skip(model, f"只有 {n_districts} 个区县，聚类标准误无法计算，未估计{zh_model}。",
                      f"only {n_districts} district: errors clustered by district need at least 2, so the "
                      f"{model} model is not estimated.")], ()
    if n_cycles < 2:
        return [_skip(model, f"只有 1 个征集批次；在区县固定效应下杠杆效应需要区县内跨批次的变化，未估计{zh_model}。",
                      f"only one call-up cycle: with district fixed effects the levers are identified from "
                      f"changes over time within a district, which needs at least two cycles; the {model} "
                      "model is not estimated.")], ()
    checked = [_lever_check(panel, model, role, levers.get(role)) for role in _DEFAULT_LEVERS]
    roles = tuple(c.analysis.split(".")[1] for c in checked if c.status == "ok")
    if not roles:
        return [_skip(model, f"没有可用的政策杠杆（宣传经费、优待金、入户动员均缺失或不可用），未估计{zh_model}。",
                      f"none of the levers (publicity, stipend, outreach) can be measured in these data; the "
                      f"{model} model is not estimated."), *checked], ()
    checks = [Check(model, "ok"), *checked]
    if n_districts < FEW_CLUSTERS:
        checks.append(Check(f"{model}.inference", "caution",
                            f"只有 {n_districts} 个区县，聚类数太少，{zh_model}的标准误、置信区间和 p 值不可靠；"
                            "点估计照常给出，但请勿据此判断显著性。",
                            f"only {n_districts} districts: too few clusters for reliable inference in the "
                            f"{model} model; the estimates are shown, but their standard errors, intervals and "
                            f"p-values cannot be relied on (at least {FEW_CLUSTERS} districts are needed)."))
    return checks, roles


_FUNNEL = ("applicants", "medical_examined", "medical_passed", "political_passed", "enlisted", "returned")


def _panel_checks(panel: pd.DataFrame, levers: dict[str, str]) -> tuple[list[Check], dict[str, tuple[str, ...]]]:
    if any(_usable(panel, c) is not None for c in _FUNNEL):
        checks = [Check("funnel", "ok")]
    else:
        checks = [_skip("funnel", "没有报名、体检、政考、入伍或退兵人数，未画征集流程（漏斗）。",
                        "no counts of applicants, examinations, enlistment or returns: the recruitment "
                        "funnel is not shown.")]
    signup, roles_s = _rate_model_checks(panel, "signup", "applicants", "eligible_youth", "报名模型", levers)
    checks += signup
    if signup[0].runs and _usable(panel, "unemployment_rate") is None:
        checks.append(Check("signup.controls", "skipped",
                            "缺少 unemployment_rate（失业率），稳健性检验中不含失业率控制变量的设定。",
                            "no unemployment_rate values: the robustness check with the unemployment "
                            "control is left out."))
    discharge, roles_d = _rate_model_checks(panel, "discharge", "returned", "enlisted", "退兵模型", levers)
    if discharge[0].runs and float(_usable(panel, "returned").sum()) == 0:
        discharge = [_skip("discharge", "数据中没有退兵记录（退兵人数全为零），未估计区县退兵模型。",
                           "no recruit was returned in these data (returned is zero throughout): the "
                           "district early-discharge model is not estimated.")]
        roles_d = ()
    return checks + discharge, {"signup": roles_s, "discharge": roles_d}


# --- staggered allowance reforms (notebook 05) -------------------------------------------

def _years(panel: pd.DataFrame) -> str:
    years = pd.to_numeric(panel["year"], errors="coerce").dropna().astype(int)
    return f"{years.min()}" if years.min() == years.max() else f"{years.min()}-{years.max()}"


def _did_design(panel: pd.DataFrame, outcome: str, min_rise: float, analysis: str, zh_what: str,
                en_what: str) -> Check:
    """The reform design for one outcome: a reformed district kept in the balanced frame, and a comparison."""
    from recruitstats.models.did.data import prepare_did

    try:
        dp = prepare_did(panel, outcome=outcome, min_rise=min_rise)
    except InputError as exc:  # e.g. no district with the outcome in every cycle
        why = "; ".join(p.message for p in exc.problems) or str(exc)
        return _skip(analysis, f"{zh_what}无法构成平衡面板（{why}），未估计改革效果。",
                     f"the {en_what} cannot be put in a balanced district x cycle frame ({why}): the reform "
                     "effects are not estimated.")
    groups = dp.frame.drop_duplicates("unit")["group"]
    if not (groups > 0).any():
        return _skip(analysis,
                     f"改革区县均被排除（在首个批次即已改革，或有批次缺少{zh_what}），没有可比较的改革前后，未估计改革效果。",
                     f"every reformed district is left out (reformed in the panel's first cycle, so there is no "
                     f"cycle before to compare, or lacking the {en_what} in some cycle): the reform effects are "
                     "not estimated.")
    if groups.nunique() < 2:
        return _skip(analysis,
                     f"{int((groups > 0).sum())} 个改革区县都在同一批次改革，且没有未改革的区县作对照，未估计改革效果。",
                     f"all {int((groups > 0).sum())} reformed districts reformed in the same cycle and no district "
                     "kept its allowance: there is no comparison group, so the reform effects are not estimated.")
    return Check(analysis, "ok")


def _reform_checks(panel: pd.DataFrame, min_rise: float) -> list[Check]:
    missing = [c for c in ("family_allowance", "avg_wage", "applicants", "eligible_youth")
               if _usable(panel, c) is None]
    if missing:
        cols = ", ".join(missing)
        return [_skip("reforms", f"缺少 {cols} 列（或全部为空），无法识别优待金改革及其对报名的影响，未做改革效果分析。",
                      f"no {cols} values in the data: allowance reforms (a rise of the allowance relative to the "
                      "average wage) and their effect on sign-ups cannot be estimated.")]
    if panel.groupby(["year", "half"]).ngroups < 2:
        return [_skip("reforms", "只有 1 个征集批次；改革是优待金在批次之间的上调，单一批次无法识别，未做改革效果分析。",
                      "only one call-up cycle: a reform is a rise of the allowance from one cycle to the next, "
                      "which one cycle cannot show; the reform effects are not estimated.")]
    from recruitstats.models.did.data import reform_cohorts

    if reform_cohorts(panel, min_rise=min_rise)["reform_cycle"].isna().all():
        return [_skip("reforms", f"{_years(panel)} 年{'间' if '-' in _years(panel) else ''}没有区县的优待金"
                                 "（相对当地平均工资）比上一批次提高 "
                                 f"{min_rise:.0%} 以上，没有可评估的改革。",
                      f"no district's allowance relative to the average wage rose by more than {min_rise:.0%} "
                      f"from one cycle to the next in {_years(panel)}: there is no reform to evaluate.")]
    checks = [_did_design(panel, "signup", min_rise, "reforms", "报名人数或适龄青年数", "sign-up rate")]
    if not checks[0].runs:
        return checks
    key = _district_key(panel)
    if panel[key].nunique() < FEW_CLUSTERS:
        n = panel[key].nunique()
        checks.append(Check("reforms.inference", "caution",
                            f"只有 {n} 个区县，改革效果的聚类标准误和置信区间不可靠；点估计照常给出。",
                            f"only {n} districts: the reform effects' district-clustered errors and intervals "
                            f"cannot be relied on (at least {FEW_CLUSTERS} districts are needed); the estimates "
                            "are shown."))
    returns = _usable(panel, "returned")
    if returns is None or _usable(panel, "enlisted") is None or float(returns.sum()) == 0:
        checks.append(_skip("reforms.return", "缺少退兵或入伍人数（或没有退兵），未估计改革对退兵率的影响。",
                            "no returned or enlisted counts (or no return at all): the reforms' effect on the "
                            "return rate is not estimated."))
    else:
        checks.append(_did_design(panel, "return", min_rise, "reforms.return", "入伍或退兵人数", "return rate"))
    return checks


# --- planning (notebook 06) -------------------------------------------------------------

def _registry(role: str, entry: str | None):
    from recruitstats.levers import get_lever

    try:
        return get_lever(entry or role)
    except (InputError, KeyError):
        return get_lever(role)


def _latest(panel: pd.DataFrame) -> pd.DataFrame:
    order = pd.to_numeric(panel["year"], errors="coerce") * 2 + pd.to_numeric(panel["half"], errors="coerce")
    return panel[order == order.max()]


def _price_check(panel: pd.DataFrame, role: str, lever, unit_costs: Mapping[str, float] | None) -> Check:
    """Whether a change of the lever can be priced in yuan (the allocation needs every lever's price)."""
    name, latest = f"planning.budget.{role}", _latest(panel)
    label = f"{_LEVER_ZH[role]}杠杆（{role}）"
    if lever.cost == "per_unit" and unit_costs is not None and lever.column not in unit_costs:
        return _skip(name, f"项目配置的 [unit_costs] 中没有 {lever.column} 的单价，{label}不参与预算分配。",
                     f"no unit cost for {lever.column} in the project config ([unit_costs]): the {role} lever is "
                     "left out of the budget allocation.")
    cols = [lever.column] + ([lever.payees] if lever.cost == "per_payee" and lever.payees else [])
    for col in cols:
        values = _usable(latest, col)
        if values is None or values.isna().any() or float(values.sum()) <= 0:
            return _skip(name, f"最近一个批次的 {col} 缺失或为零，无法为{label}定价，不参与预算分配。",
                         f"{col} is missing or zero in the latest cycle, so a change of the {role} lever cannot "
                         "be priced: it is left out of the budget allocation.")
    return Check(name, "ok")


def _adstock_checks(panel: pd.DataFrame) -> list[Check]:
    # fit_adstock keeps the allowance and door visits as controls only when the data have them
    if _usable(panel, "publicity_spend") is None:
        return [_skip("planning.adstock", "缺少 publicity_spend 列（或全部为空），宣传延续效应模型未估计。",
                      "no publicity_spend values in the data: the publicity carry-over model is not estimated.")]
    key = _district_key(panel)
    n_cycles = panel.groupby(["year", "half"]).ngroups
    if n_cycles < ADSTOCK_CYCLES:
        return [_skip("planning.adstock", f"只有 {n_cycles} 个征集批次，估计宣传经费的延续效应至少需要 "
                                          f"{ADSTOCK_CYCLES} 个批次。",
                      f"only {n_cycles} call-up cycle(s): the carry-over of publicity from one cycle to the next "
                      f"needs publicity spending in at least {ADSTOCK_CYCLES} cycles.")]
    spend = _usable(panel, "publicity_spend")
    cycles = panel.loc[spend.notna()].groupby(key)[["year", "half"]].apply(lambda d: len(d.drop_duplicates()))
    long = int((cycles >= ADSTOCK_CYCLES).sum())
    if long < 2:
        return [_skip("planning.adstock", f"只有 {long} 个区县有至少 {ADSTOCK_CYCLES} 个批次的宣传经费，"
                                          "无法估计宣传经费的延续效应（至少需要 2 个区县）。",
                      f"only {long} district(s) have publicity spending in {ADSTOCK_CYCLES} or more call-up cycles: "
                      "the carry-over of publicity from one cycle to the next cannot be estimated (2 or more such "
                      "districts are needed).")]
    checks = [Check("planning.adstock", "ok")]
    n = panel[key].nunique()
    if n < FEW_CLUSTERS:
        checks.append(_skip("planning.adstock.hill",
                            f"只有 {n} 个区县，无法确定希尔（Hill）饱和曲线的半饱和点和形状，仅估计对数形式。",
                            f"only {n} districts: the half-saturation point and shape of the Hill curve cannot be "
                            f"pinned down (at least {FEW_CLUSTERS} districts are needed); only the log form is "
                            "fitted."))
    return checks


def _planning_checks(panel: pd.DataFrame, signup: Check, roles: tuple[str, ...], levers: dict[str, str],
                     unit_costs: Mapping[str, float] | None) -> tuple[list[Check], tuple[str, ...]]:
    if not signup.runs:
        why_zh, why_en = "报名模型未估计（原因见上）", "the sign-up model is not estimated (see above)"
        return [_skip("planning.scenario", f"{why_zh}，无法预测下一批次的情景。",
                      f"{why_en}, so there is no model to predict next cycle's scenarios from."),
                _skip("planning.budget", f"{why_zh}，无法做预算分配。",
                      f"{why_en}, so an extra budget cannot be allocated across the levers."),
                _skip("planning.adstock", f"{why_zh}，未估计宣传的延续效应。",
                      f"{why_en}, so the carry-over of publicity is not estimated.")], ()
    checks = [Check("planning.scenario", "ok")]
    priced = [_price_check(panel, role, _registry(role, levers.get(role)), unit_costs) for role in roles]
    ok = tuple(c.analysis.rsplit(".", 1)[1] for c in priced if c.runs)
    if ok:
        checks += [Check("planning.budget", "ok"), *[c for c in priced if not c.runs]]
    else:
        checks.append(_skip("planning.budget", "没有一个可用杠杆能够定价（见下），未做预算分配。",
                            "none of the usable levers can be priced (see below): the budget is not allocated."))
        checks += priced
    return checks + _adstock_checks(panel), ok


# --- recruit-level analyses ----------------------------------------------------------

def _varying(recruits: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c for c in columns if c in recruits and recruits[c].dropna().nunique() > 1)


def _survival_checks(recruits: pd.DataFrame | None, window_days: int) -> tuple[list[Check], tuple[str, ...]]:
    if recruits is None or len(recruits) == 0:
        return [_skip("survival", "没有新兵个人记录，未做个人层面的退兵时间分析（Kaplan-Meier、Cox 模型）。",
                      "no recruit records in the data: the recruit-level analysis of early discharge "
                      "(Kaplan-Meier shares, Cox models) is not done.")], ()
    from recruitstats.models.survival import discharge_durations

    if "enlist_date" not in recruits or recruits["enlist_date"].isna().all():
        return [_skip("survival", "新兵记录中没有入伍日期（enlist_date），无法计算服役天数，未做退兵时间分析。",
                      "the recruit records have no enlistment dates (enlist_date): days at risk cannot be "
                      "counted, so the recruit-level analysis of early discharge is not done.")], ()
    durations = discharge_durations(recruits, window_days=window_days)  # bad dates: InputError
    events = int(durations["event"].sum())
    if events == 0:
        return [_skip("survival", f"{len(recruits):,} 名新兵在 {window_days} 天内无人退兵，无法估计退兵风险。",
                      f"none of the {len(recruits):,} recruits was returned within {window_days} days: there "
                      "is no early discharge to analyse.")], ()
    checks = [Check("survival", "ok")]
    covariates = _varying(recruits, SURVIVAL_COVARIATES)
    need = EVENTS_PER_COVARIATE * max(len(covariates), 1)
    n_districts = recruits[_district_key(recruits)].nunique() if "district" in recruits else 0
    if not covariates:
        checks.append(_skip("survival.models", "新兵记录中没有取值有变化的动员或学籍变量，未估计 Cox 模型。",
                            "no contact or college-status column varies in the recruit records: the Cox and "
                            "piecewise models are not estimated."))
    elif events < need:
        checks.append(_skip("survival.models",
                            f"只有 {events} 例退兵，{len(covariates)} 个协变量至少需要 {need} 例"
                            f"（每个变量 {EVENTS_PER_COVARIATE} 例），未估计 Cox 和分段指数模型；仅给出退兵比例。",
                            f"only {events} returns: {len(covariates)} covariates need at least {need} "
                            f"({EVENTS_PER_COVARIATE} per covariate), so the Cox and piecewise models are not "
                            "estimated; only the shares returned are shown."))
    elif n_districts < 2:
        checks.append(_skip("survival.models", "新兵只来自 1 个区县，无法按区县聚类，未估计 Cox 模型。",
                            "the recruits come from one district: errors clustered by district need at "
                            "least 2, so the Cox and piecewise models are not estimated."))
    by_cause = durations.loc[durations["event"] == 1, "cause"].value_counts()
    if not checks[-1].runs or by_cause.max() < MIN_CAUSE_EVENTS:
        checks.append(_skip("survival.causes",
                            f"各退兵原因的退兵数都少于 {MIN_CAUSE_EVENTS} 例（或未估计 Cox 模型），未分原因建模。",
                            f"no exit cause has {MIN_CAUSE_EVENTS} or more returns (or the Cox model is not "
                            "estimated): the cause-specific models are not fitted."))
    return checks, covariates


# --- entry point ------------------------------------------------------------------

def assess(panel: pd.DataFrame, recruits: pd.DataFrame | None = None, *, synthetic: bool = False,
           truth: bool = False, window_days: int = 90, levers: dict[str, str] | None = None,
           unit_costs: Mapping[str, float] | None = None, min_rise: float = MIN_RISE) -> Assessment:
    """Check what every analysis needs, before anything is fitted.

    Parameters
    ----------
    panel : canonical panel (as :func:`recruitstats.load_panel` returns).
    recruits : canonical recruit records, or None when there are none.
    synthetic : the data are synthetic (simulated); only then is a truth shown.
    truth : the data come with the simulation's true values (``truth.json``).
    window_days : the early-discharge window of the survival analysis.
    levers : lever role -> lever-registry entry (the project config's ``levers``); default:
        the SCHEMA.md levers (publicity_spend, family_allowance / avg_wage, door_visits).
    unit_costs : yuan per unit of a raw column (the project config's ``unit_costs``), to
        price the levers of the budget allocation; None: not known, so a lever priced per
        unit is not judged on its unit cost (only on its data).
    min_rise : rise of the allowance relative to the wage that counts as a reform.

    Returns
    -------
    Assessment
        ``can(analysis)``, ``levers(model)``, ``covariates``, ``say(prefix, lang=)`` and
        ``skipped(lang)`` (run.json's list); ``measures(model)`` the registry entries.

    Raises
    ------
    InputError
        When the panel has no data rows (a blank template): nothing can be reported.
    """
    if panel is None or len(panel) == 0:
        raise InputError([Problem("no data rows: the panel is empty (a blank template?); fill in at least one "
                                  "district and cycle / 没有数据行：面板为空（空白模板？），请至少填写一个区县和批次")])
    levers = dict(levers or {})
    checks, roles = _panel_checks(panel, levers)
    checks += _reform_checks(panel, min_rise)
    signup = next(c for c in checks if c.analysis == "signup")
    planning, priced = _planning_checks(panel, signup, roles["signup"], levers, unit_costs)
    checks += planning
    survival, covariates = _survival_checks(recruits, window_days)
    checks += survival
    if not (synthetic and truth):
        checks.append(Check("truth", "skipped", "真实数据没有“真值”，不显示模拟真值。",
                            "these are not simulated data: there is no true value to compare with."))
    entries = {role: levers.get(role, role) for role in _DEFAULT_LEVERS}
    return Assessment(tuple(checks), {**roles, "planning.budget": priced}, covariates, bool(synthetic), entries)
