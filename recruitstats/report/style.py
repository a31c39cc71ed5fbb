"""House style for everything the package draws or publishes: font, colours, texts.

- Font: Noto Sans CJK SC (SIL Open Font License), shipped in the ``mplfonts``
  wheel, registered with matplotlib's font manager and embedded in every PDF as
  TrueType/CID (``pdf.fonttype = 42``), so Chinese never shows as tofu boxes and
  a PDF reader can extract the text. The proprietary SimHei is never used.
- Colours: the Okabe-Ito palette, distinguishable with the common colour-vision
  deficiencies.
- Texts: :func:`text` is the one catalogue of figure and brief strings in
  Chinese (``zh``) and English (``en``). Numbers are formatted by the caller and
  passed in as strings, so a number is formatted in exactly one place.
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Literal

from recruitstats.errors import InputError

__all__ = ["use_house_style", "house_style", "house_rc", "cjk_font_path", "FONT_FAMILY", "PALETTE",
           "LANGS", "check_lang", "text", "figure_png", "Lang"]

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

#: Family name of the embedded CJK font (it also covers Latin letters and digits).
FONT_FAMILY = "Noto Sans CJK SC"
_FONT_FILE = "NotoSansCJKsc-Regular.otf"

#: Okabe & Ito (2008) colour-blind-safe palette, most contrasting first.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7",
                            "#F0E442", "#000000")
#: Named roles, so figures agree on what a colour means.
COLOURS = {"estimate": PALETTE[0], "alert": PALETTE[1], "good": PALETTE[2], "band": PALETTE[4],
           "limit95": "#7F7F7F", "limit998": "#3F3F3F", "synthetic": PALETTE[1]}


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file shipped with the ``mplfonts`` package.

    Raises
    ------
    RuntimeError
        When ``mplfonts`` is not installed (it is a dependency of recruitstats).
    """
    try:
        import mplfonts
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError("the mplfonts package (Noto Sans CJK SC) is missing; "
                           "reinstall recruitstats: pip install recruitstats") from exc
    path = Path(mplfonts.__file__).parent / "fonts" / _FONT_FILE
    if not path.is_file():  # pragma: no cover - a broken install
        raise RuntimeError(f"the font file {path} is missing; reinstall mplfonts")
    return path


@lru_cache(maxsize=1)
def _register_font() -> str:
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def house_rc() -> dict:
    """The matplotlib settings of the house style (fonts registered first)."""
    family = _register_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [family, "DejaVu Sans"],
        "axes.unicode_minus": False,  # a hyphen-minus renders in every font
        "pdf.fonttype": 42, "ps.fonttype": 42,  # embed TrueType/CID, never Type 3
        "svg.fonttype": "path",
        "axes.prop_cycle": __import__("cycler").cycler(color=list(PALETTE)),
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.color": "#E5E5E5", "grid.linewidth": 0.6,
        "axes.titlesize": 11, "axes.labelsize": 9.5, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5,
        "legend.fontsize": 8, "legend.frameon": False,
        "figure.dpi": 100, "savefig.dpi": 200, "savefig.bbox": "tight",
    }


def use_house_style() -> None:
    """Apply the house style to matplotlib globally (e.g. at the top of a notebook)."""
    import matplotlib as mpl

    mpl.rcParams.update(house_rc())


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """The house style for the figures drawn inside the ``with`` block only."""
    import matplotlib.pyplot as plt

    with plt.rc_context(house_rc()):
        yield


def figure_png(fig, *, dpi: int = 200) -> bytes:
    """A figure as PNG bytes, drawn in the house style."""
    buf = io.BytesIO()
    with house_style():
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def check_lang(lang: str) -> str:
    """``lang`` if it is ``"zh"`` or ``"en"``; an :class:`InputError` otherwise."""
    if lang not in LANGS:
        raise InputError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def text(key: str, lang: str, /, **values: object) -> str:
    """The catalogue string ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Values are inserted as given: format numbers before passing them.
    """
    check_lang(lang)
    try:
        template = TEXTS[key][lang]
    except KeyError:
        raise KeyError(f"no {lang} text for {key!r} in the catalogue") from None
    return template.format(**values) if values else template


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


#: The catalogue: key -> {"zh": ..., "en": ...}. Figures first, then the brief.
TEXTS: dict[str, dict[str, str]] = {
    # --- figures ---------------------------------------------------------------
    "synthetic_footnote": _t("模拟数据：由 recruitstats.simulate 生成，并非真实记录",
                             "SYNTHETIC DATA - generated by recruitstats.simulate, not real records"),
    "estimate": _t("估计值", "estimate"),
    "not_identified": _t("无法识别", "not identified"),
    "coef_legend": _t("{name}（{level}% 置信区间）", "{name} ({level}% CI)"),
    "truth": _t("真实值（模拟）", "true value (simulation)"),
    "coef_xlabel": _t("系数（连接尺度）", "coefficient (link scale)"),
    "coef_xlabel.signup": _t("系数（对数化杠杆即为弹性）", "coefficient (elasticity for logged levers)"),
    "coef_xlabel.discharge": _t("系数（对数退兵率）", "coefficient (log return rate)"),
    "coef_xlabel.cox": _t("对数风险比", "log hazard ratio"),
    "coef_title": _t("估计效应", "Estimated effects"),
    "coef_title.signup": _t("报名模型：各杠杆的效应", "Sign-up model: lever effects"),
    "coef_title.discharge": _t("退兵模型：各杠杆的效应", "Early-discharge model: lever effects"),
    "interval": _t("{level}% 区间", "{level}% interval"),
    "predicted": _t("预测值", "predicted"),
    "current_fitted": _t("现有水平（拟合值）", "current (fitted)"),
    "dose_xlabel": _t("{lever}：相对现有水平的变化（%）", "{lever}: change from current level (%)"),
    "dose_title": _t("剂量-反应：{lever}", "Dose-response: {lever}"),
    "outcome_per_cycle": _t("每批次结果", "outcome per cycle"),
    "outcome_per_cycle.signup": _t("每批次报名人数", "applicants per cycle"),
    "outcome_per_cycle.discharge": _t("每批次退兵人数", "recruits returned per cycle"),
    "funnel_inside": _t("区县（控制限内）", "district (within limits)"),
    "funnel_outside": _t("区县（超出 99.8% 控制限）", "district (beyond 99.8% limits)"),
    "limit95": _t("95% 控制限", "95% control limits"),
    "limit998": _t("99.8% 控制限", "99.8% control limits"),
    "overall_rate": _t("总体水平", "overall rate"),
    "funnel_xlabel": _t("批准入伍人数（各批次合计）", "recruits enlisted (all cycles)"),
    "funnel_ylabel": _t("退兵率（%）", "return rate (%)"),
    "funnel_title": _t("退兵率漏斗图", "Funnel plot of return rates"),
    "rank_xlabel": _t("排名（1 = 最好）及 95% 区间", "rank (1 = best) with 95% interval"),
    "rank_title": _t("区县排名及其不确定性", "District ranks and their uncertainty"),
    "km_xlabel": _t("入伍后天数", "days since enlistment"),
    "km_ylabel.returned": _t("累计退兵比例", "share returned"),
    "km_ylabel.serving": _t("仍在服役比例", "share still serving"),
    "km_bands": _t("{level}% 逐点区间（Greenwood，log-log）", "{level}% pointwise bands (Greenwood, log-log)"),
    "km_title.returned": _t("Kaplan-Meier：累计退兵比例", "Kaplan-Meier: cumulative share returned"),
    "km_title.serving": _t("Kaplan-Meier：仍在服役比例", "Kaplan-Meier: share still serving"),
    "all_recruits": _t("全部新兵", "all recruits"),
    "hr_xlabel": _t("退兵风险比（{level}% 区间，对数尺度）", "hazard ratio of return ({level}% interval, log scale)"),
    "hr_title": _t("早期退兵的风险比", "Hazard ratios of early discharge"),
    "term.door_visit": _t("入户动员", "door visit"),
    "term.followup_contact": _t("新兵回访", "follow-up contact"),
    "term.counselor_contact": _t("辅导员动员", "counsellor contact"),
    "term.exemplar_talk": _t("参加榜样宣讲", "exemplar talk"),
    "term.pretrain_score": _t("役前训练成绩", "pre-training score"),
    "term.age": _t("年龄", "age"),
    "term.college_status[student]": _t("在校大学生", "college student"),
    "term.college_status[graduate]": _t("大学毕业生", "college graduate"),
    "term.unemployment_rate": _t("城镇调查失业率", "unemployment rate"),
    # --- staggered-reform DiD figures (report/event_study.py) -----------------
    "did.event_x": _t("距改革的征集批次数（0 = 改革当批）", "call-up cycles since the reform (0 = first reformed cycle)"),
    "did.event_title": _t("优待金改革的事件研究", "Event study of the allowance reforms"),
    "did.effect_on": _t("对{outcome}的效应", "effect on the {outcome}"),
    "did.pointwise": _t("{level}% 逐点置信区间", "{level}% pointwise CI"),
    "did.uniform": _t("{level}% 一致置信带", "{level}% uniform band"),
    "did.callaway_santanna": _t("Callaway-Sant'Anna", "Callaway-Sant'Anna"),
    "did.sun_abraham": _t("Sun-Abraham", "Sun-Abraham"),
    "did.pretrend": _t("改革前趋势检验：χ²({df}) = {stat}，p = {p}", "pre-trend test: chi2({df}) = {stat}, p = {p}"),
    "did.bacon_title": _t("双向固定效应估计由哪些 2×2 比较构成", "What the naive TWFE estimate averages"),
    "did.bacon_x": _t("权重", "weight"),
    "did.bacon_y": _t("2×2 双重差分估计", "2x2 DiD estimate"),
    "did.twfe_line": _t("双向固定效应估计 = {value}", "TWFE estimate = {value}"),
    "did.treated vs never": _t("改革组 vs 从未改革组", "treated vs never treated"),
    "did.earlier vs later": _t("早改革组 vs 尚未改革的晚组", "earlier vs later (not yet treated)"),
    "did.later vs earlier": _t("晚改革组 vs 已改革的早组", "later vs earlier (already treated)"),
    "did.dcdh_title": _t("各处理单元格的权重（按改革后批次汇总）", "Weights on treated cells, by cycles since reform"),
    "did.dcdh_note": _t("负权重单元格占 {share}，合计 {total}", "negative weights: {share} of cells, sum {total}"),
    "did.outcome.signup": _t("报名率的对数", "log sign-up rate"),
    "did.outcome.return": _t("退兵率", "return rate"),
    # --- the brief -------------------------------------------------------------
    "brief.title": _t("征兵工作政策简报", "Recruitment policy brief"),
    "brief.title_synthetic": _t("（模拟数据）", " (SYNTHETIC DATA, 模拟数据)"),
    "brief.coverage": _t("数据范围：{districts} 个区县，{first}至{last}共 {cycles} 个征集批次。",
                         "Data: {districts} districts, {cycles} call-up cycles, {first}–{last}."),
    "brief.synthetic_warning": _t("本简报所用数据为模拟数据，不描述任何真实区县、单位或个人，不得作为事实引用。",
                                  "The data in this brief are synthetic: they describe no real district, office "
                                  "or person and must not be cited as facts."),
    "sec.headline": _t("主要发现", "Headline findings"),
    "sec.signup": _t("报名：各项措施的效果与成本", "Sign-ups: what each lever does and costs"),
    "sec.discharge": _t("退兵：区县差异与措施效果", "Early discharge: districts and levers"),
    "sec.planning": _t("规划依据：优待金改革与下一批次情景", "Planning evidence: allowance reforms and next cycle"),
    "pl.reform": _t("优待金改革：{districts} 个区县中有 {treated} 个在样本期内将优待金（相对当地平均工资）一次提高 {rise}% "
                    "以上，分属 {cohorts} 个改革批次。按 Callaway–Sant'Anna 方法（以尚未改革的区县为对照），改革使报名率的对数"
                    "平均变化 {att}（{level}% 置信区间 {low} 至 {high}；0.10 约相当于报名率提高 10%）。传统双向固定效应估计为 "
                    "{twfe}（{twfe_low} 至 {twfe_high}），在各批次改革效应不同时可能有偏，仅供对照。",
                    "Allowance reforms: {treated} of {districts} districts raised the family allowance (relative to "
                    "the local wage) by more than {rise}% at once, in {cohorts} reform cycles. Callaway–Sant'Anna "
                    "(districts not yet reformed as controls) puts the average effect on the log sign-up rate at "
                    "{att} ({level}% CI {low} to {high}; 0.10 is about +10% in the rate). The naive two-way "
                    "fixed-effects estimate, {twfe} ({twfe_low} to {twfe_high}), can be biased when effects differ "
                    "between reform cycles and is shown only for comparison."),
    "pl.pretrend_bad": _t("但改革前各批次的差异已显著（改革前趋势检验 p {p}）：平行趋势假设不成立，该估计不能视为改革的效果。",
                          "But districts already differed before their reforms (pre-trend test p {p}): parallel "
                          "trends fail, so the estimate cannot be read as the reforms' effect."),
    "pl.pretrend_ok": _t("改革前趋势检验未发现差异（p {p}），但这不能证明平行趋势成立。",
                         "The pre-trend test finds no difference before the reforms (p {p}), which does not prove "
                         "parallel trends."),
    "pl.small_cohorts": _t("{cohorts} 个改革批次中有 {small} 个不足 5 个区县，其标准误可能偏小。",
                           "{small} of the {cohorts} reform cycles have fewer than 5 districts each; their errors "
                           "may be understated."),
    "pl.small_cohorts_all": _t("全部 {cohorts} 个改革批次均不足 5 个区县，标准误可能偏小。",
                               "Every one of the {cohorts} reform cycles has fewer than 5 districts, so the errors "
                               "may be understated."),
    "pl.no_reform": _t("优待金改革：没有区县在样本期内将优待金（相对当地平均工资）一次提高 {rise}% 以上，无法评估改革效果。",
                       "Allowance reforms: no district raised the family allowance (relative to the local wage) by "
                       "more than {rise}% at once, so no reform can be evaluated."),
    "pl.reform_failed": _t("优待金改革的评估无法进行：{reason}",
                           "The allowance reforms cannot be evaluated from these data: {reason}"),
    "pl.scenario": _t("情景：下一批次全部区县{lever}{pct}（以{cycle}批次为基准）：报名人数预计增加 {change} 人"
                      "（{level}% 置信区间 {low} 至 {high}），合计约 {predicted} 人；计入参数不确定性和随机波动，"
                      "{level}% 预测区间为 {pi_low} 至 {pi_high} 人（不变时为 {base_low} 至 {base_high} 人）。",
                      "Scenario: {lever} {pct} in every district next cycle (based on {cycle}): about {change} more "
                      "applicants ({level}% CI {low} to {high}), {predicted} in all; with parameter uncertainty and "
                      "chance, the {level}% prediction interval for next cycle's applicants is {pi_low} to "
                      "{pi_high} ({base_low} to {base_high} without the change)."),
    "pl.scenario_failed": _t("下一批次的情景预测无法进行：{reason}",
                             "No next-cycle scenario can be predicted from these data: {reason}"),
    "sec.scorecard": _t("“五率”记分卡", "The 五率 scorecard"),
    "sec.figures": _t("关键图表", "Key figures"),
    "sec.league_support": _t("排名能说明什么、不能说明什么", "Which rankings the data can and cannot support"),
    "sec.league": _t("区县排名（含区间）", "District league table with rank intervals"),
    "sec.cannot_tell": _t("数据无法回答的问题", "What the data cannot tell"),
    "sec.methods": _t("方法与数据说明", "Method and data notes"),
    "sec.provenance": _t("数据来源与版本", "Provenance"),
    "f.elasticity": _t("{lever}：弹性 {coef}（{level}% 置信区间 {low} 至 {high}）：该投入增加 1%，报名人数约变化 {coef}%。",
                       "{lever}: elasticity {coef} ({level}% CI {low} to {high}): 1% more of it goes with "
                       "about {coef}% more applicants."),
    "f.coef_log1p": _t("{lever}：系数 {coef}（{level}% 置信区间 {low} 至 {high}；按 log(1+每百人数量) 计），"
                       "在现有水平下的弹性约为 {elasticity}（{level}% 置信区间 {el_low} 至 {el_high}）。",
                       "{lever}: coefficient {coef} ({level}% CI {low} to {high}; on log(1 + amount per 100)), "
                       "an elasticity of about {elasticity} at current levels ({level}% CI {el_low} to {el_high})."),
    "f.not_identified": _t("{lever}：数据无法识别其效应（{reason}）。",
                           "{lever}: its effect cannot be identified from these data ({reason})."),
    "f.plus_applicants": _t("增加 {pct}%，每批次预计多 {add} 名报名者（{level}% 区间 {low} 至 {high}）。",
                             "+{pct}% buys {add} more applicants per cycle ({level}% interval {low} to {high})."),
    "f.cost_applicant": _t("每增加一名报名者约需 {cost} 元（{level}% 区间 {low} 至 {high} 元）。",
                            "Each additional applicant costs about {cost} yuan "
                            "({level}% interval {low} to {high} yuan)."),
    "f.cost_unknown": _t("成本无法计算（{reason}）。", "Its cost is not computed ({reason})."),
    "f.cost_no_unit": _t("成本未计算：项目配置未给出{column}的单位成本（unit_costs 中的 {name}）。",
                         "Its cost is not computed: the project config gives no unit cost for {column} "
                         "({name} under unit_costs)."),
    "f.cost_no_gain": _t("点估计显示没有改善，无法给出单位成本。",
                         "The point estimate shows no gain, so there is no cost per unit."),
    "f.cost_applicant_open": _t("每增加一名报名者约需 {cost} 元（{level}% 区间自 {low} 元起，无上限：增幅可能为零）。",
                                "Each additional applicant costs about {cost} yuan ({level}% interval from "
                                "{low} yuan, with no upper bound: the gain may be zero)."),
    "f.cost_avoided_open": _t("每减少一名退兵约需 {cost} 元（{level}% 区间自 {low} 元起，无上限：可能并不减少退兵）。",
                              "Each avoided return costs about {cost} yuan ({level}% interval from {low} yuan, "
                              "with no upper bound: returns may not fall at all)."),
    "f.return_rate": _t("{period}，全部区县合计退兵率为 {rate}。",
                        "In {period}, {rate} of all recruits returned (all districts together)."),
    "f.outliers_above": _t("退兵率高于 99.8% 控制限（超出随机波动）的区县：{names}。",
                           "Districts whose return rate lies above the 99.8% control limit (beyond chance): {names}."),
    "f.outliers_below": _t("退兵率低于 99.8% 控制限的区县：{names}。",
                           "Districts whose return rate lies below the 99.8% control limit: {names}."),
    "f.no_outliers": _t("没有区县超出 99.8% 控制限：各区县退兵率之差均在随机波动范围内。",
                        "No district lies beyond the 99.8% control limits: the differences between districts are "
                        "within what chance alone produces."),
    "f.plus_returns": _t("增加 {pct}%，每批次退兵人数预计变化 {add}（{level}% 区间 {low} 至 {high}）。",
                          "+{pct}% changes returns per cycle by {add} ({level}% interval {low} to {high})."),
    "f.cost_avoided": _t("每减少一名退兵约需 {cost} 元（{level}% 区间 {low} 至 {high} 元）。",
                          "Each avoided return costs about {cost} yuan ({level}% interval {low} to {high} yuan)."),
    "unbounded": _t("无上限", "unbounded"),
    "h.caution": _t("注意：", "Caution:"),
    "c.few_clusters": _t("{model}只有 {clusters} 个区县（聚类），少于 40 个：置信区间采用逐一剔除区县的刀切法（CRV3）"
                         "标准误和 t({df}) 临界值，较宽，结论应谨慎。",
                         "{model}: only {clusters} districts (clusters), fewer than 40, so its intervals use the "
                         "leave-one-district-out jackknife (CRV3) and t({df}) critical values; they are wide and "
                         "conclusions tentative."),
    "c.crv1_fallback": _t("{model}只有 {clusters} 个区县（聚类），本应采用刀切法（CRV3）标准误，但刀切法无法计算"
                          "（剔除某个区县后有措施无法识别），改用 CRV1 聚类稳健标准误和 t({df}) 临界值；"
                          "聚类这么少时 CRV1 区间往往偏窄，不能视为明确的结论。",
                          "{model}: only {clusters} districts (clusters); the jackknife (CRV3) it should use could "
                          "not be computed (a lever is not identified without some district), so CRV1 "
                          "cluster-robust errors with t({df}) critical values are used instead. With so few "
                          "clusters CRV1 intervals tend to be too narrow: do not read them as clear findings."),
    "c.unreliable": _t("区县不足 10 个，标准误、置信区间和 p 值都不可靠：点估计仅供参考，请勿据此判断显著性。",
                       "With fewer than 10 districts its standard errors, intervals and p-values are unreliable: "
                       "read the estimates as indications only and do not judge significance from them."),
    "f.left_out": _t("{lever}：{reason}", "{lever}: {reason}"),
    "c.left_out": _t("{model}未包含{lever}：{reason}", "{model}, {lever}: {reason}"),
    "f.unit_cost": _t("成本按项目配置{per} {price} 元计算（假设）。",
                      "Costed at {price} yuan {per}, the project config's assumption."),
    "f.unit_cost_default": _t("该单价是内置默认值，并非本单位的数据：请在 recruitstats.toml 的 [unit_costs] 中"
                              "（{name}）换成本单位的实际成本。",
                              "That price is the built-in default, not the office's figure: replace it with the "
                              "office's own cost ({name} under [unit_costs] in recruitstats.toml)."),
    "per_item": _t("每单位{column}", "per unit of {column}"),
    "per_item.door_visits": _t("每次入户动员", "per door visit"),
    "per_item.followup_contacts": _t("每次新兵回访", "per follow-up contact"),
    "per_item.brochures": _t("每份宣传册", "per brochure"),
    "per_item.sms": _t("每条短信", "per SMS"),
    "per_item.online_posts": _t("每条网络推送", "per online post"),
    "per_item.posters": _t("每张标语海报", "per poster"),
    "per_item.counselors_trained": _t("每培训一名高校辅导员", "per counsellor trained"),
    "per_item.exemplar_talks": _t("每场榜样宣讲", "per exemplar talk"),
    "ni.absorbed": _t("被区县和批次固定效应吸收，各区县内没有变化", "absorbed by the fixed effects: no variation within them"),
    "ni.constant": _t("所用各行取值相同，没有变化", "the same value in every row used: no variation"),
    "ni.collinear": _t("在固定效应下与{others}共线", "collinear with {others} given the fixed effects"),
    "ni.other": _t("数据中没有足够的变化", "the data do not vary enough"),
    "c.wide": _t("{model}中{lever}的区间包含零：数据无法确定其效应的方向。",
                 "{model}, {lever}: the interval includes zero, so the data cannot tell the direction of its effect."),
    "c.not_identified": _t("{model}中{lever}无法识别：{reason}。", "{model}, {lever}: not identified ({reason})."),
    "c.causal": _t("估计来自区县和批次固定效应模型，反映的是同一区县内投入变化与结果变化的关联；未观测到的同期变化可能造成偏误。",
                   "Estimates come from district and cycle fixed-effects models: they compare changes within a "
                   "district over time; unobserved changes at the same time can bias them."),
    "c.skipped": _t("本简报未包含{part}：{reason}", "The brief has no {part}: {reason}"),
    "c.prediction_check": _t("本简报未引用{part}：模型在现有数据上的预测与拟合值不一致（{reason}），这些数字不可靠。",
                             "The brief does not quote {part}: the model's predictions at the data do not reproduce "
                             "its fitted values ({reason})."),
    "part.policy.signup": _t("报名模型“增加 10%”的效果与成本", "the +10% effects and costs of the sign-up model"),
    "part.policy.discharge": _t("退兵模型“增加 10%”的效果与成本",
                                "the +10% effects and costs of the discharge model"),
    "part.scorecard": _t("“五率”记分卡", "scorecard"),
    "part.discharge": _t("区县退兵模型", "district early-discharge model"),
    "part.league": _t("区县退兵率排名和漏斗图", "league table and funnel plot of return rates"),
    "model.signup": _t("报名模型", "Sign-up model"),
    "model.discharge": _t("退兵模型", "Discharge model"),
    "m.model": _t("{model}：{outcome}以{exposure}为暴露量的泊松拟似然模型，含区县与批次固定效应；{n_obs} 个观测，{clusters} 个聚类；推断：{inference}。",
                  "{model}: Poisson quasi-likelihood of {outcome} with exposure {exposure}, district and cycle "
                  "fixed effects; {n_obs} observations, {clusters} clusters; inference: {inference}."),
    "m.transform": _t("{lever}按 {transform} 计入模型。", "{lever}: measured as {transform}."),
    "m.dropped": _t("{model}剔除的观测或区县（原始记录）：{what}。", "{model}, rows or districts dropped: {what}."),
    "inf.crv3": _t("按区县聚类（{clusters} 个，少于 40 个），采用 CRV3 留一聚类刀切法标准误及 t({df}) 临界值",
                   "cluster-robust by district ({clusters} clusters): CRV3 jackknife with t({df}) critical values"),
    "inf.crv1": _t("按区县聚类（{clusters} 个）的 CRV1 稳健标准误", "cluster-robust (CRV1) by district ({clusters} clusters)"),
    "inf.hc1": _t("异方差稳健标准误（HC1），正态临界值", "heteroskedasticity-robust (HC1), normal critical values"),
    "m.elasticity_log": _t("弹性指某项投入增加 1% 时预期报名人数变化的百分比。{levers}以对数进入模型，"
                           "其系数即弹性，与 recruitstats fit signup --json 给出的系数相同。",
                           "An elasticity is the percentage change in expected applicants for 1% more of a lever. "
                           "{levers} enter the model in logs, so their coefficients are their elasticities, as "
                           "recruitstats fit signup --json gives them."),
    "m.elasticity_log1p": _t("{lever}以 log(1+v) 进入模型（v 为{unit}），其系数 b = {coef} 不是弹性：某一区县批次的弹性为 "
                             "b·v/(1+v)，按拟合报名人数加权平均后为 {elasticity}；它小于 b，v 越大越接近 b。",
                             "The model takes {lever} as log(1 + v), v in {unit}, so its coefficient b = {coef} is "
                             "not an elasticity: a district-cycle's elasticity is b·v/(1 + v); weighted by fitted "
                             "applicants it averages {elasticity}, below b and nearer b where v is large."),
    "column.applicants": _t("应征报名人数", "applicants"),
    "column.eligible_youth": _t("适龄青年数", "eligible youth"),
    "column.enlisted": _t("批准入伍人数", "recruits enlisted"),
    "column.returned": _t("退兵人数", "recruits returned"),
    "column.publicity_spend": _t("宣传经费", "publicity spending"),
    "column.family_allowance": _t("义务兵家庭优待金", "family allowance"),
    "column.avg_wage": _t("当地平均工资", "local average wage"),
    "column.door_visits": _t("入户动员人次", "door-to-door visits"),
    "column.followup_contacts": _t("新兵回访人次", "follow-up contacts"),
    "column.district_code": _t("区县", "district"),
    "column.cycle": _t("批次", "cycle"),
    "drop.missing": _t("缺少{column}的记录", "rows missing {column}"),
    "drop.lever": _t("无法计算措施取值的记录", "rows where a lever value cannot be computed"),
    "drop.total": _t("因缺值剔除的记录合计", "rows dropped in total (any missing value)"),
    "drop.zero": _t("{column}为 0 的记录", "rows with no {column}"),
    "drop.no_variation.district": _t("{column}在各批次均为零（如从未退兵）的区县",
                                     "districts with no {column} in any cycle"),
    "drop.no_variation.cycle": _t("{column}在全部区县均为零的批次", "cycles with no {column} in any district"),
    "drop.no_variation.other": _t("{column}均为零的{fe}组", "{fe} groups with no {column}"),
    "drop.in_groups.district": _t("这些区县的观测", "observations in those districts"),
    "drop.in_groups.cycle": _t("这些批次的观测", "observations in those cycles"),
    "drop.in_groups.other": _t("这些区县或批次的观测", "observations in those districts or cycles"),
    "m.policy": _t("“增加 {pct}%”指各区县各批次的原始投入乘以 {factor}，结果为模型自身的预测（每批次、全部区县合计）。",
                   "\"+{pct}%\" multiplies each district's raw amount in every cycle by {factor}; results are the "
                   "model's own predictions per cycle, summed over districts."),
    "m.suppression": _t("公开表格中少于 {threshold} 人的数字，以及可据以推算出这些数字的比率和合计，均已隐去。",
                        "Published tables hide counts of fewer than {threshold} people and any rate or total from "
                        "which such a count could be worked out."),
    "p.file": _t("输入文件 {name}：SHA-256 {sha}", "Input file {name}: SHA-256 {sha}"),
    "p.version": _t("recruitstats 版本 {version}；生成日期 {date}", "recruitstats {version}; built {date}"),
    "p.config": _t("配置：{config}", "Configuration: {config}"),
    "p.scheme": _t("记分卡方案：{scheme}", "Scorecard scheme: {scheme}"),
    "p.default_config": _t("默认配置", "defaults"),
    "fig.coef": _t("报名模型各杠杆的效应及其置信区间", "Lever effects in the sign-up model, with intervals"),
    "fig.funnel": _t("各区县退兵率漏斗图（控制限）", "Funnel plot of district return rates (control limits)"),
    "fig.rank": _t("区县退兵率排名及其区间", "District ranks of the return rate with intervals"),
    "tab.scorecard": _t("{cycle}批次“五率”记分卡（✓ 达标，✗ 未达标）",
                        "The 五率 scorecard of cycle {cycle} (✓ target met, ✗ not met)"),
    "fig.coef_discharge": _t("退兵模型各杠杆的效应及其置信区间",
                             "Lever effects in the early-discharge model, with intervals"),
    "f.discharge_coef": _t("{lever}对退兵率的系数 {coef}（{level}% 置信区间 {low} 至 {high}；负值表示退兵减少）。",
                           "{lever}: coefficient on the return rate {coef} ({level}% CI {low} to {high}; negative "
                           "means fewer returns)."),
    "col.district": _t("区县", "District"),
    "col.rate": _t("退兵率", "Return rate"),
    "col.shrunk": _t("收缩估计", "Shrunken rate"),
    "col.rank": _t("排名", "Rank"),
    "col.rank_ci": _t("排名 95% 区间", "95% rank interval"),
    "tab.league": _t("{period} 区县退兵率排名（1 = 退兵率最低，含 95% 区间）",
                     "District league table of return rates, {period} (1 = lowest, with 95% intervals)"),
    "tab.levers": _t("各项措施增加 {pct}% 的效果与成本", "Effect and cost of +{pct}% of each lever"),
    "col.lever": _t("措施", "Lever"),
    "col.estimate": _t("估计值", "Estimate"),
    "col.coef": _t("系数（对数化措施即弹性）", "Coefficient (elasticity if logged)"),
    "col.coef_low": _t("系数 {level}% 区间下限", "Coefficient, {level}% low"),
    "col.coef_high": _t("系数 {level}% 区间上限", "Coefficient, {level}% high"),
    "col.elasticity": _t("弹性（按拟合报名人数加权）", "Elasticity (weighted by fitted applicants)"),
    "col.el_low": _t("弹性 {level}% 区间下限", "Elasticity, {level}% low"),
    "col.el_high": _t("弹性 {level}% 区间上限", "Elasticity, {level}% high"),
    "col.add_low": _t("新增报名 {level}% 区间下限", "Extra applicants, {level}% low"),
    "col.add_high": _t("新增报名 {level}% 区间上限", "Extra applicants, {level}% high"),
    "col.cost_low": _t("成本 {level}% 区间下限（元）", "Yuan per extra applicant, {level}% low"),
    "col.cost_high": _t("成本 {level}% 区间上限（元；空 = 无上限）", "Yuan per extra applicant, {level}% high (empty: unbounded)"),
    "col.interval": _t("{level}% 区间", "{level}% interval"),
    "col.add_applicants": _t("每批次新增报名", "Extra applicants per cycle"),
    "col.cost_applicant": _t("每名新增报名者成本（元）", "Yuan per extra applicant"),
    "sheet.scorecard": _t("五率记分卡", "Scorecard"),
    "sheet.funnel": _t("征集漏斗", "Funnel"),
    "sheet.league": _t("退兵率排名", "League table"),
    "sheet.levers": _t("措施效果与成本", "Levers"),
    "yes": _t("是", "yes"),
    "no": _t("否", "no"),
    "na": _t("—", "—"),
}
