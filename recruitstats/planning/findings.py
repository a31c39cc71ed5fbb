"""Plain-language findings of the planning analyses, in Chinese and English.

One place for the sentences the planning notebook prints and a brief can quote:
each is built from a result object (:class:`~recruitstats.planning.power.PowerResult`,
:class:`~recruitstats.planning.adstock.AdstockResult`,
:class:`~recruitstats.planning.scenarios.ScenarioResult`,
:class:`~recruitstats.planning.budget.AllocationResult`) and never refits anything.
"""

from __future__ import annotations

from typing import Iterable, Literal

from recruitstats.errors import InputError
from recruitstats.levers import LEVERS

__all__ = ["planning_findings"]

Lang = Literal["zh", "en"]


def _power(p, lang: Lang) -> str:
    if lang == "zh":
        return (f"以 {p.districts} 个区县 × {p.cycles} 个批次的规模评估{LEVERS[p.lever].label('zh')}：真实系数为 "
                f"{p.effect:g} 时检验功效约 {p.power:.0%}，80% 功效下的最小可检测系数约 {p.mde:.2f}。")
    return (f"An evaluation with {p.districts} districts x {p.cycles} cycles would detect a "
            f"{LEVERS[p.lever].label('en').lower()} coefficient of {p.effect:g} with power about {p.power:.0%}; "
            f"the smallest coefficient detected with 80% power is about {p.mde:.2f}.")


def _adstock(r, lang: Lang) -> str:
    lo, hi = r.decay_ci
    pct = f"{r.level:.0%}"
    if lang == "zh":
        return (f"宣传经费约有 {r.decay:.0%} 延续到下一批次（{pct} 区间 {lo:.0%} 至 {hi:.0%}），"
                f"半衰期约 {r.half_life:.1f} 个批次。")
    return (f"About {r.decay:.0%} of publicity spending carries over to the next cycle ({pct} interval "
            f"{lo:.0%} to {hi:.0%}); its half-life is about {r.half_life:.1f} cycles.")


def _scenario(s, lang: Lang) -> str:
    from recruitstats.planning.scenarios import where_text

    a = s.table.loc["applicants"]
    changes = "、".join(f"{LEVERS[k].label('zh')} x{v:g}" for k, v in s.changes.items()) if lang == "zh" \
        else ", ".join(f"{LEVERS[k].label('en').lower()} x{v:g}" for k, v in s.changes.items())
    if bool(a.get("suppressed", False)):  # a count below the threshold: only the relative change
        rel = a.get("relative_change", float("nan"))
        if lang == "zh":
            return (f"情景（{where_text(s.where, 'zh')}，{changes}）：报名人数预计变化 {rel:+.1%}"
                    f"（最近批次实际人数少于{s.threshold}人，人数不公布）。")
        return (f"Scenario ({s.where}: {changes}): applicants expected to change by {rel:+.1%} (the latest "
                f"count is below {s.threshold} people and is not published).")
    if lang == "zh":
        return (f"情景（{where_text(s.where, 'zh')}，{changes}）：报名人数预计变化 {a['change']:+,.0f}"
                f"（{a['change_ci_low']:+,.0f} 至 {a['change_ci_high']:+,.0f}），下一批次预测区间 "
                f"{a['pi_low']:,.0f} 至 {a['pi_high']:,.0f} 人。")
    return (f"Scenario ({s.where}: {changes}): expected change in applicants {a['change']:+,.0f} "
            f"({a['change_ci_low']:+,.0f} to {a['change_ci_high']:+,.0f}); next cycle's count is predicted "
            f"between {a['pi_low']:,.0f} and {a['pi_high']:,.0f}.")


def _allocation(a, lang: Lang) -> str:
    best = a.table["share"].idxmax()
    share, mc = a.table.loc[best, "share"], a.table.loc[best, "marginal_cost"]
    if lang == "zh":
        return (f"每批次追加 {a.budget:,.0f} 元时，最优组合以「{LEVERS[best].label('zh')}」为主（{share:.0%}），"
                f"预计增加报名 {a.gain['point']:,.0f} 人（{a.gain['ci_low']:,.0f} 至 {a.gain['ci_high']:,.0f}），"
                f"最后一名报名者的边际成本约 {mc:,.0f} 元。")
    return (f"With {a.budget:,.0f} extra yuan per cycle the best mix puts {share:.0%} into "
            f"{LEVERS[best].label('en').lower()}, for about {a.gain['point']:,.0f} more applicants "
            f"({a.gain['ci_low']:,.0f} to {a.gain['ci_high']:,.0f}); the last applicant costs about "
            f"{mc:,.0f} yuan.")


def planning_findings(
    *,
    power=None,
    adstock=None,
    scenarios: Iterable | None = None,
    allocation=None,
    lang: Lang = "en",
) -> list[str]:
    """Sentences summarising the planning results given (each argument optional).

    Parameters
    ----------
    power : a :class:`PowerResult`.
    adstock : an :class:`AdstockResult`.
    scenarios : :class:`ScenarioResult` objects.
    allocation : an :class:`AllocationResult`.
    lang : ``"zh"`` or ``"en"``.

    Returns
    -------
    list of str, one sentence each, plus a synthetic-data warning when any result is synthetic.
    """
    if lang not in ("zh", "en"):
        raise InputError(f"lang must be 'zh' or 'en', not {lang!r}")
    scenarios = list(scenarios or [])
    lines = [_power(power, lang)] if power is not None else []
    lines += [_adstock(adstock, lang)] if adstock is not None else []
    lines += [_scenario(s, lang) for s in scenarios]
    lines += [_allocation(allocation, lang)] if allocation is not None else []
    results = [r for r in (adstock, allocation, *scenarios) if r is not None]
    if any(bool(getattr(r, "synthetic", False)) for r in results):
        lines.append("以上数字来自模拟数据，不描述任何真实区县。" if lang == "zh" else
                     "These numbers come from SYNTHETIC data and describe no real district.")
    elif power is not None:  # power is simulated whatever the data
        lines.append("检验功效来自功效模拟（计划用的模拟面板，并非您的数据），面板规模与本地相同。" if lang == "zh" else
                     "Power comes from simulated panels of this size (planning simulation, not your data).")
    return lines
