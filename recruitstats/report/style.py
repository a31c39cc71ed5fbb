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
    # --- notebooks (the analysts' reports): headings are bilingual markdown, these sentences follow LANG
    "nb.synthetic": _t("本报告使用模拟数据（SYNTHETIC，由 recruitstats.simulate 按已知的真实效应生成），不描述任何真实区县、单位或个人，"
                       "其中的数字不得作为征兵工作的事实引用。",
                       "These data are SYNTHETIC (drawn by recruitstats.simulate with known true effects): they "
                       "describe no real district, office or person; do not quote any number below as a fact."),
    "nb.coverage": _t("{districts} 个区县，{cycles} 个征集批次（{first} 至 {last}），{rows} 行。",
                      "{districts} districts, {cycles} call-up cycles ({first} to {last}), {rows} rows."),
    "nb.all_supported": _t("这些数据支持全部分析。", "The data support every analysis."),
    "nb.truth": _t("真实值（模拟设定）：{values}", "True values (simulation settings): {values}"),
    "nb.truth_signup": _t("报名的真实效应（模拟设定，true sign-up effects）：{values}",
                          "true sign-up effects (simulation): {values}"),
    "nb.truth_discharge": _t("退兵的真实效应（模拟设定，true early-discharge effects）：{values}",
                             "true early-discharge effects (simulation): {values}"),
    "nb.not_identified": _t("这些数据无法识别的杠杆：{levers}", "Levers these data cannot identify: {levers}"),
    "nb.none": _t("无", "none"),
    "nb.not_estimated": _t("未估计：{reason}", "Not estimated: {reason}"),
    "nb.unit_costs": _t("单位成本（项目配置，元）：{costs}；优待金按 {years} 年计。",
                        "Unit costs (project config, yuan): {costs}; the allowance is paid for {years} years."),
    "nb00.intro": _t("本报告读取区县面板（每个区县每个征集批次一行），给出征集漏斗（应征报名、上站体检、政治考核、批准入伍、退兵）"
                     "和一个地市各批次的派生比率。后续报告估计模型：哪些措施能增加报名、减少退兵。",
                     "This report reads the district panel (one row per district and call-up cycle) and shows the "
                     "recruitment funnel (applicants, examination, political check, enlistment, returns) and one "
                     "city's derived rates over time. The later reports fit the models: what raises sign-ups and "
                     "what keeps recruits from being returned."),
    "nb00.cycles": _t("2020 年以前每年征集一次（秋季，记为下半年）；2020 年改革后每年两次（上半年 H1、下半年 H2），批次记为 2021H1、2021H2……",
                      "Before 2020 there was one call-up a year (autumn, recorded as half 2); since the 2020 reform "
                      "there are two (spring H1 and autumn H2). Cycles are labelled 2021H1, 2021H2, ..."),
    "nb00.funnel": _t("下表为全部区县、全部批次各环节的人数，以及占上一环节和占报名人数的比例。",
                      "Each stage's total over all districts and cycles, its share of the previous stage and of "
                      "applicants."),
    "nb00.city": _t("地市：{city}。下表为该市各区县逐批次的合计，比率按合计计算（合计之比，而非各区县比率的平均）；"
                    "少于 {threshold} 人的数字显示为“<{threshold}”，公开表格不得指向个人。",
                    "City: {city}. Totals of the city's districts per cycle; rates are computed on the totals (a "
                    "rate of sums, not an average of district rates). Counts of fewer than {threshold} people are "
                    "shown as <{threshold}: published tables must not point at individuals."),
    "nb00.figure": _t("左：各环节人数（对数坐标）；右：报名人数/任务数与退兵率。2020 年以前的批次为全年，人数约为半年的两倍。"
                      "最近一批的退兵尚不完整：入伍后 90 天内都可能退兵，而数据在此之前提取。",
                      "Left: the funnel stages per cycle (persons, log scale). Right: applicants per quota place "
                      "and the share of recruits returned. Cycles before 2020 are whole years, so their counts are "
                      "about twice a half-year's. Returns of the latest cycle are incomplete: recruits can be "
                      "returned for up to 90 days, and the data are extracted before that."),
    "nb00.persons": _t("人数", "persons"),
    "nb00.funnel_title": _t("各批次征集漏斗", "Recruitment funnel by call-up cycle"),
    "nb00.rates_title": _t("报名倍数与退兵率", "Quota multiple and early discharge"),
    "nb00.returned_pct": _t("退兵率（%）", "returned (% of recruits)"),
    "nb00.all_districts": _t("全部区县", "all districts"),
    "nb00.checks": _t("读取时已检查每个有效面板都应满足的关系（批准入伍 ≤ 报名 ≤ 适龄青年，退兵 ≤ 批准入伍，每个区县每批次一行）；"
                      "违反者会被拒绝并指明行号，因此上表均基于满足这些关系的面板。",
                      "The reader checks the facts every valid panel keeps (enlisted <= applicants <= eligible "
                      "youth, returned <= enlisted, one row per district and cycle) and refuses a panel that breaks "
                      "them, naming the rows: every table above rests on a panel that keeps them."),
    "nb00.next": _t("下一步：docs/data_dictionary.md 列出每一列及其中文名、类型和单位；后续报告在同一数据上估计报名和退兵模型。",
                    "Next: docs/data_dictionary.md lists every column, its Chinese aliases, type and unit; the "
                    "next reports fit the sign-up and early-discharge models on the same data."),
    "nb03.intro": _t("哪些措施能增加报名（应征报名人数占适龄青年的比例）？本报告估计报名模型（泊松拟似然，区县与批次固定效应，"
                     "按区县聚类的标准误），给出系数、剂量-反应曲线、政策量（弹性、各措施增加 10% 的新增报名、每名新增报名者的费用、情景）"
                     "以及不同设定下的稳健性。",
                     "What moves sign-ups (applicants out of eligible youth)? This report fits the sign-up model "
                     "(Poisson quasi-likelihood, district and cycle fixed effects, errors clustered by district) and "
                     "shows its coefficients, dose-response curves, policy quantities (elasticities, extra applicants "
                     "from +10% on a lever, yuan per extra applicant, a scenario) and robustness to the specification."),
    "nb03.read_table": _t("读法：宣传和优待金的系数即弹性，即该投入（每名适龄青年的宣传经费；优待金相对当地平均工资）增加 1% 时"
                          "预期报名人数变化的百分比。入户动员的系数乘以 log(1+每百名青年的走访次数)，其在现有水平的弹性小于系数（见下文政策量）。",
                          "Read the coefficients as elasticities: for publicity and the stipend, the percentage change "
                          "in expected applicants for 1% more of the lever (yuan per eligible youth; allowance relative "
                          "to the local wage). Outreach multiplies log(1 + visits per 100 youth); its elasticity at the "
                          "data is below the coefficient (see the policy quantities)."),
    "nb03.dose": _t("若在每个区县把某一杠杆的原始投入乘以横轴上的倍数（其他杠杆不变），每批次预期报名人数（全部区县合计）如何变化；"
                    "阴影为 delta 方法区间。远离 1 的部分是函数形式的外推。",
                    "Expected applicants per call-up (all districts together) if one lever's raw amount were "
                    "multiplied by the factor on the x axis in every district, other levers as they are; the band "
                    "is the delta-method interval. Far from 1 the curve extrapolates the functional form."),
    "nb03.dose_title": _t("单一杠杆变化时每批次的预测报名人数", "Predicted applicants per cycle as one lever changes"),
    "nb03.elasticities": _t("弹性：某杠杆原始投入增加 1% 时，全部区县合计的预期报名人数变化的百分比（delta 方法区间）。",
                            "Elasticities: the percentage change in expected applicants, all districts together, for "
                            "+1% of the lever's raw amount (delta-method intervals)."),
    "nb03.increase": _t("各杠杆单独增加 10%：每批次新增报名人数（全部区县合计），为模型有无该变化时预测之差；delta 方法与模拟法两种区间。",
                        "+10% on each lever alone: extra applicants per call-up, summed over districts, the difference "
                        "of the model's predictions with and without the change; delta-method and simulation intervals."),
    "nb03.cost": _t("每名新增报名者的费用（现有水平下）：宣传按新增宣传经费计；优待金按全部入伍新兵的增发额计（入伍人数 × 增幅 × 年数），"
                    "不只计边际新增者；入户动员按新增走访次数 × 项目配置的单位成本（由本单位设定的假设）计。区间上限为无穷表示数据不能排除该杠杆不增加报名。",
                    "Yuan per extra applicant at current levels: publicity counts the extra spending; the stipend "
                    "counts the raise paid to all recruits (enlisted x raise x years), not only the marginal ones; "
                    "outreach counts the extra visits x the unit cost in the project config (an assumption the "
                    "office sets). An upper bound of infinity means the data cannot rule out no gain."),
    "nb03.scenario": _t("情景 {plan}：每批次预计 {predicted} 名报名者（{level} 区间 {low} 至 {high}），现为 {baseline}：变化 {change}（{change_low} 至 {change_high}）。",
                        "Scenario {plan}: {predicted} applicants per call-up ({level} interval {low} to {high}) "
                        "against {baseline} now: {change} ({change_low} to {change_high})."),
    "nb.baseline_note": _t("注意基线的不同：rs.scenario 的基线是全部批次的平均每批次报名人数，而 recruitstats scenario 命令和 rs.next_cycle "
                           "（下一批次情景）以最近一批为基线，因此同一变化的基线和新增人数会不同。",
                           "Mind the baseline: rs.scenario averages over all cycles (applicants per call-up in an "
                           "average cycle), while the recruitstats scenario command and rs.next_cycle (next-cycle "
                           "scenarios) start from the latest cycle, so the same change has a different baseline and "
                           "gain."),
    "nb03.robustness": _t("同一组杠杆在其他设定下的估计：无固定效应（区县间比较，易受选择偏误影响）；区县线性趋势（防止杠杆恰在报名本已上升的区县增加）；"
                          "logit（报名比例的二项模型）；加入城镇调查失业率控制变量。",
                          "The same levers under other specifications: no fixed effects (compares districts with each "
                          "other, exposed to selection); district trends (guards against levers rising where sign-ups "
                          "were rising anyway); logit (a binomial model of the sign-up share); with the unemployment "
                          "rate as a control."),
    "nb03.spec.default": _t("默认（泊松，区县+批次固定效应）", "default (Poisson, district + cycle FE)"),
    "nb03.spec.no_fe": _t("无固定效应", "no fixed effects"),
    "nb03.spec.trends": _t("区县线性趋势", "district trends"),
    "nb03.spec.logit": _t("logit 模型", "logit"),
    "nb03.spec.controls": _t("加入失业率控制", "with unemployment control"),
    "nb03.robust_title": _t("不同设定下的杠杆系数", "Lever coefficients across specifications"),
    "nb03.finding": _t("{lever}：系数 {coef}（{level} 置信区间 {low} 至 {high}）；增加 10% 约使每批次报名{direction} {add} 人（{add_low} 至 {add_high}）{sure}。",
                       "{lever}: coefficient {coef} ({level} CI {low} to {high}); +10% on it means about {add} "
                       "{direction} applicants per call-up ({add_low} to {add_high}){sure}."),
    "nb03.more": _t("增加", "more"),
    "nb03.fewer": _t("减少", "fewer"),
    "nb03.unsure": _t("（区间包含零效应）", " (the interval includes no effect)"),
    "nb03.finding_cost": _t("通过{lever}每增加一名报名者约需 {cost} 元（{low} 至 {high}）。",
                            "Cost per extra applicant via {lever}: {cost} yuan ({low} to {high})."),
    "nb03.finding_no_cost": _t("通过{lever}每增加一名报名者的费用未计算（{note}）。",
                               "Cost per extra applicant via {lever}: not computed ({note})."),
    "nb.synthetic_finding": _t("以上数字来自模拟数据，不描述任何真实区县。",
                               "These numbers come from SYNTHETIC data and describe no real district."),
    "nb03.claims": _t("这些估计能说明什么：在区县与批次固定效应下，效应来自同一区县内随时间的变化（相对同一批次的全样本变化）。"
                      "只有当区县内这些变化没有与其他影响报名的因素同时发生（新校区、地方活动、局部经济冲击），且报名不反过来驱动投入"
                      "（因报名下降而加大宣传会使宣传看似无效）时，才可作因果解读。不能说明什么：远离现有水平的曲线是外推；未建模宣传的跨批次延续；"
                      "报名不等于合格新兵。区县少于 40 个时标准误采用留一区县刀切法（CRV3），依赖 p 值前请用 recruitstats fit signup --bootstrap 999 复核。",
                      "What these estimates can claim: with district and cycle fixed effects the lever effects come "
                      "from changes within a district over time, relative to the sample-wide change in the same "
                      "call-up. They are causal only if those changes are not timed with something else that moves "
                      "sign-ups (a new campus, a local campaign, a local economic shock) and if sign-ups do not drive "
                      "the levers (spending more because sign-ups fell makes publicity look weaker). What they cannot "
                      "claim: curves far from current levels are extrapolations; publicity carry-over is not modelled "
                      "here; applicants are not qualified recruits. With fewer than 40 districts the errors are the "
                      "CRV3 jackknife; check recruitstats fit signup --bootstrap 999 before relying on a p-value."),
    "nb04.intro": _t("新兵入伍后一段时间内可能被退回（退兵）：因身体原因约在 45 天内，因政治原因最长约 90 天。本报告跟踪每名新兵自入伍至退兵或观察窗口结束，"
                     "回答：45 天和 90 天内退兵的比例是多少（总体及按走访情况）？入伍前入户动员和入伍后回访与退兵风险有何关联（Cox 模型与分段指数模型）？"
                     "不同退兵原因是否不同？个人层面的走访并非随机分配，因此这些是关联而非因果效应。",
                     "A recruit may be returned within a window after enlistment: about 45 days on medical grounds "
                     "and up to about 90 days on political grounds. This report follows each recruit from enlistment "
                     "to a return or the end of the window, and asks: what share is returned within 45 and 90 days, "
                     "overall and by contact? How do door visits before enlistment and follow-up contacts after it "
                     "go with the hazard of return (Cox and piecewise-exponential models)? Does it differ by exit "
                     "cause? Contacts are not randomised: these are associations, not effects."),
    "nb04.records": _t("{recruits} 条新兵记录，来自 {districts} 个区县，{first}–{last} 年。",
                       "{recruits} recruit records from {districts} districts, {first}-{last}."),
    "nb04.at_risk": _t("{recruits} 名新兵；{events} 人在 {window} 天内退兵（粗比例 {crude}）；{full} 的新兵被观察满整个窗口。"
                       "窗口内退兵为事件；仍在服役者在观察日或窗口末删失；窗口后离队不算早期退兵。日期不一致的记录会使分析停止并指明行号，不会被悄悄剔除。"
                       "下表为各退兵原因的人数。",
                       "{recruits} recruits; {events} returned within {window} days ({crude}, crude); {full} followed "
                       "for the whole window. A return within the window is an event; a recruit still serving is "
                       "censored at the observation date or the window's end; an exit after the window is not an "
                       "early discharge. Inconsistent dates stop the analysis with the rows named; nothing is dropped "
                       "silently. The table gives the returns by cause."),
    "nb04.km": _t("曲线为累计退兵比例 1 - S(t) 及 95% 逐点区间（Greenwood 方差，log(-log) 尺度）；虚线标出第 45 天（身体原因退兵截止）和第 90 天。",
                  "The curves show the cumulative share returned, 1 - S(t), with 95% pointwise bands (Greenwood "
                  "variance on the log(-log) scale); dotted lines mark day 45 (end of medical returns) and day 90."),
    "nb04.km_table": _t("下表：每组在第 45 天和第 90 天以内的退兵人数（期内退兵数）与 Kaplan-Meier 退兵比例及其区间。"
                        "少于 {threshold} 人的数字以及可据以推算的比例已隐去（*）。",
                        "Below: each group's returns within 45 and within 90 days and the Kaplan-Meier share "
                        "returned with its interval. Counts under {threshold} people, and the shares that would "
                        "reveal them, are hidden (*)."),
    "nb04.door_yes": _t("入伍前有入户动员", "door visit"),
    "nb04.door_no": _t("入伍前无入户动员", "no door visit"),
    "nb04.follow_yes": _t("入伍后有回访", "follow-up contact"),
    "nb04.follow_no": _t("入伍后无回访", "no follow-up"),
    "nb04.km_door": _t("按入伍前入户动员分组的退兵", "Returns by door visit before enlistment"),
    "nb04.km_follow": _t("按入伍后回访分组的退兵", "Returns by follow-up contact after enlistment"),
    "nb04.models": _t("两种模型都估计风险比：某协变量使仍在服役者的每日退兵率变为原来的多少倍。Cox 模型不限定基线风险（Efron 处理结点）；"
                      "分段指数模型把记录合并为单元格（区县、协变量水平、天数区间），用泊松率模型估计，每个区间一个基线水平。"
                      "两者都按区县聚类（少于 40 个区县时为 CRV3 刀切法，否则 CRV1），采用 t(G-1) 区间。",
                      "Both estimate hazard ratios: how much a covariate multiplies the daily rate of return among "
                      "recruits still serving. Cox leaves the baseline hazard free (Efron ties); the cell model "
                      "collapses records into cells (district, covariate levels, interval of days) and fits a "
                      "Poisson rate model with one baseline level per interval. Both cluster by district (CRV3 "
                      "jackknife below 40 districts, else CRV1) with t(G-1) intervals."),
    "nb04.fits": _t("Cox：{recruits} 名新兵，{events} 次退兵；分段指数模型：由同一记录合并的 {cells} 个单元格。",
                    "Cox: {recruits} recruits, {events} returns; piecewise: {cells} cells from the same records."),
    "nb04.agree": _t("两模型对数风险比的最大差异为 {diff}（{se} 个 Cox 标准误）。",
                     "Largest difference in log hazard ratio between the models: {diff} ({se} Cox SE)."),
    "nb04.baseline": _t("分段模型的各区间水平即基线：参照新兵（无走访、非大学生）每 1,000 名在役者每日的退兵数。"
                        "下方累计比例把入户动员的风险比换算为窗口内退兵比例的百分点。",
                        "The cell model's interval levels are the baseline: daily returns per 1,000 recruits still "
                        "serving for the reference recruit (no contacts, not a college student). The cumulative "
                        "shares below turn the hazard ratio of a door visit into points of recruits returned."),
    "nb04.ph": _t("比例风险检验（Grambsch-Therneau，按事件时间秩）：p 值小说明该协变量的风险比在窗口内变化（例如只在前 45 天起作用），"
                  "此时 Cox 和分段模型的估计是窗口内的平均。",
                  "Proportional-hazards check (Grambsch-Therneau, against the rank of event time): a small p-value "
                  "says the covariate's hazard ratio drifts over the window (e.g. acting only in the first 45 days); "
                  "the Cox and piecewise estimates are then averages over the window."),
    "nb04.causes": _t("每种退兵原因一个 Cox 模型（其他原因视为删失）；退兵少于 10 人的原因不拟合。未拟合：{skipped}",
                      "One Cox model per exit cause (other causes censored); causes with fewer than 10 returns are "
                      "not fitted. Not fitted: {skipped}"),
    "nb04.district": _t("区县层面的同一问题：各区县各批次的退兵人数/入伍人数，含区县与批次固定效应和区县杠杆。它回答的是区县整体的动员力度对退兵率的作用，"
                        "而不是某次走访对被走访新兵的作用。",
                        "The same question on the panel: returned out of enlisted per district and cycle, with "
                        "district and cycle fixed effects and the district levers. It answers what district-wide "
                        "effort does to the district's return rate, not what a contact does to the recruit who got it."),
    "nb04.size": _t("规模：{share45} 的新兵在 45 天内退兵，{share90} 在 90 天内退兵（{level} 区间 {low} 至 {high}），共 {events} 次退兵。",
                    "Size: {share45} of recruits returned within 45 days and {share90} within 90 days ({level} "
                    "interval {low} to {high}), from {events} returns."),
    "nb04.hr": _t("{label}：退兵风险{word}（风险比 {hr}，{level} 区间 {low} 至 {high}）；{clear}。",
                  "{label}: hazard of return {word} (HR {hr}, {level} interval {low} to {high}); {clear}."),
    "nb04.lower": _t("低 {pct}%", "{pct}% lower"),
    "nb04.higher": _t("高 {pct}%", "{pct}% higher"),
    "nb04.clear": _t("区间不含 1（无差异）", "the interval excludes 1 (no difference)"),
    "nb04.unclear": _t("但区间包含无差异，数据无法判断", "but the interval includes no difference, so the data cannot tell"),
    "nb04.agree_finding": _t("Cox 与分段模型的对数风险比相差不超过 {diff}：结论不取决于基线风险的形状。",
                             "Cox and the cell model agree to {diff} in log hazard ratio: the result does not hinge "
                             "on the shape of the baseline hazard."),
    "nb04.caveats": _t("事件稀少：退兵不足新兵的 1% 时，单个区县批次常无退兵，应比较多个批次或区县，看区间而非点估计。"
                       "非因果：走访并非随机分配，单位可能走访其认为积极（或有风险）的家庭，被走访者也可能在记录未包含的方面不同。"
                       "回访发生在入伍之后：第 10 天退兵的新兵无法接受第 20 天的回访，入伍时固定的回访标记会把回访前的时间记在回访名下"
                       "（不朽时间偏误），使其看似有保护作用；因果解读需要回访日期（作为时变协变量）或随机推行。"
                       "要作因果结论：随机安排入户动员或回访（按家庭或按区县批次），或利用与新兵无关原因的分批推行，用区县层面模型分析。",
                       "Rare events: with returns under 1% of recruits a district-cycle cell often has none; compare "
                       "over several cycles or districts and read the intervals. Not causal: contacts are not "
                       "assigned at random; offices may visit families they judge keen (or at risk), and visited "
                       "recruits may differ in ways the records do not hold. Follow-up contacts happen after "
                       "enlistment: a recruit returned on day 10 cannot get a day-20 call, so a yes/no flag fixed at "
                       "enlistment credits the contact with the time before it (immortal-time bias); a causal reading "
                       "needs the contact date as a time-varying covariate or a randomised roll-out. A causal claim "
                       "needs randomised visits or calls (by household, or district and cycle), or a staggered "
                       "roll-out for reasons unrelated to the recruits, analysed with the district-level model."),
    "nb05.intro": _t("各区县在不同年份提高义务兵家庭优待金。本报告估计改革对报名和退兵的作用，所用方法在改革分批推行、效应因区县而异并随时间增长时仍然有效："
                     "Callaway–Sant'Anna（2021）分组-时期效应及其汇总（总体、按改革批次、按日历批次、按改革后批次数即事件研究）；"
                     "Sun–Abraham（2021）交互加权事件研究作为回归复核；以及传统双向固定效应估计及其分解（Goodman-Bacon 分解和 de Chaisemartin–D'Haultfœuille 权重）。"
                     "改革定义为优待金相对当地平均工资较上一批次提高超过 {rise} 的第一个批次。结果：报名率的对数（效应约为百分比变化）和退兵率。",
                     "Districts raise the family allowance in different years. This report estimates what a reform "
                     "did to sign-ups and returns with estimators that stay valid when reforms are staggered and "
                     "effects differ between districts and grow: Callaway-Sant'Anna (2021) group-time effects and "
                     "their averages (overall, by cohort, by cycle, by cycles since the reform: the event study); "
                     "the Sun-Abraham (2021) interaction-weighted event study as a regression check; and the naive "
                     "two-way fixed-effects estimate, taken apart (Goodman-Bacon decomposition, de Chaisemartin-"
                     "D'Haultfoeuille weights). A reform is the first cycle in which the allowance relative to the "
                     "local wage rose by more than {rise} over the previous cycle. Outcomes: the log sign-up rate "
                     "(effects are roughly percentage changes) and the return rate."),
    "nb05.cohorts": _t("各改革批次的区县数；对照组：{control}。", "Districts per reform cycle; comparison group: {control}."),
    "nb05.control.never": _t("从未改革的区县", "districts never reformed"),
    "nb05.control.not_yet": _t("从未改革及尚未改革的区县", "districts never or not yet reformed"),
    "nb05.cs": _t("ATT 为全部改革后区县批次的平均效应；ATT:group 先在各改革批次内平均；ATT:calendar 按日历批次；"
                  "ATT:dynamic 为窗口内改革当批及之后各事件时间效应的平均。标准误按区县聚类。",
                  "ATT averages every reformed district-cycle; ATT:group first averages within each reform cohort; "
                  "ATT:calendar by calendar cycle; ATT:dynamic averages the event-time effects from the reform on "
                  "(within the window). Errors are clustered by district."),
    "nb05.event": _t("改革前（负的事件时间）的效应应接近零，预趋势检验检验它们是否同时为零；p 值小说明改革组与对照组在改革前已经分化，"
                     "改革后的估计混入了这种分化。阴影为一致置信带：以给定概率同时覆盖全部事件时间效应，适合解读整条路径。",
                     "Before the reform (negative event times) the effects should be near zero; the pre-trend test "
                     "asks whether they are jointly zero. A small p-value says reformed and comparison districts were "
                     "already moving apart, and the post-reform estimates mix the reform with that divergence. The "
                     "shaded band is uniform: it covers all event-time effects at once, the band for reading the whole path."),
    "nb05.pretrend": _t("改革前趋势检验（pre-trend test）：χ²({df}) = {stat}，p = {p}", "pre-trend test: chi2({df}) = {stat}, p = {p}"),
    "nb05.no_pretrend": _t("改革前趋势检验：改革前没有可检验的批次", "pre-trend test: no cycle before a reform to test"),
    "nb05.twfe": _t("“晚改革组 vs 已改革的早组”的比较以已经改革的区县为对照；效应随改革后时间增长时，这些比较减去了早改革组的部分效应，"
                    "使双向固定效应估计低于平均效应，其负权重（早改革组的后期批次）是同一问题的另一面。应报告 Callaway–Sant'Anna 估计。"
                    "下表为各估计及双向固定效应估计中各类比较的权重。",
                    "The later-vs-earlier comparisons use districts that had already reformed as controls. When "
                    "effects grow after a reform those comparisons subtract part of the early reformers' effect and "
                    "the TWFE estimate falls below the average effect; its negative weights (late cycles of early "
                    "reformers) are the same problem from the other side. Report the Callaway-Sant'Anna estimates. "
                    "Below: the estimates, and the weight of each kind of comparison in the TWFE estimate."),
    "nb05.est.cs": _t("Callaway–Sant'Anna ATT", "Callaway-Sant'Anna ATT"),
    "nb05.est.sa_dyn": _t("Sun–Abraham，改革后平均", "Sun-Abraham, mean after reform"),
    "nb05.est.cs_dyn": _t("Callaway–Sant'Anna，改革后平均", "Callaway-Sant'Anna, mean after reform"),
    "nb05.est.twfe": _t("传统双向固定效应（naive TWFE）", "naive TWFE"),
    "nb05.negative": _t("{share} 的改革后区县批次权重为负（合计 {total}）。",
                        "Negative weights on {share} of treated district-cycles (sum {total})."),
    "nb05.return": _t("对退兵率的效应以新兵的比例计（0.001 = 0.1 个百分点）。退兵稀少，在这样规模的面板中这些效应很不精确。",
                      "Effects on the return rate are shares of recruits (0.001 = 0.1 points). Returns are rare, "
                      "so these effects are imprecise in a panel this size."),
    "nb06.intro": _t("编制下一年预算前规划部门会问：（1）功效：这样规模的数据能否检测到杠杆效应？（2）宣传的延续与饱和：宣传经费在后续批次是否仍起作用，回报是否递减？"
                     "（3）情景：若某市下一批次优待金提高 20%、宣传经费提高 30%、入户动员加倍，预计报名和退兵多少（含预测区间）？"
                     "（4）预算：追加预算如何在宣传、优待金和入户动员之间分配？所有数字都来自拟合模型自身的预测，方法见 docs/planning.md。",
                     "Questions a planning office asks before next year's budget: (1) Power: could data of our size "
                     "detect a lever's effect? (2) Publicity dynamics: does publicity money keep working in later "
                     "cycles, and do returns diminish? (3) Scenarios: if a city raises the allowance 20%, publicity "
                     "30% and doubles door visits next cycle, how many applicants and returns should it expect, with "
                     "prediction intervals? (4) Budget: how to split an extra budget between publicity, the "
                     "allowance and door visits? Every number comes from the fitted models' own predictions; see "
                     "docs/planning.md for the methods."),
    "nb06.setting": _t("单位成本 {costs}，优待金按 {years} 年计。", "Unit costs {costs}; the allowance is paid for {years} years."),
    "nb06.power": _t("按本单位数据规模（区县 × 批次）用模拟器多次生成面板，并像真实模型一样拟合（区县与批次效应，按区县聚类），设定若干宣传弹性真值。"
                     "功效是效应在 5% 水平显著的模拟比例；效应为 0 时该比例即检验的水平，应接近 5%。最小可检测效应（MDE）是 80% 功效下可检测到的效应。",
                     "Panels of this office's size (districts x cycles) are simulated many times and fitted like the "
                     "real model (district and cycle effects, clustered by district) for several true publicity "
                     "elasticities. Power is the share of simulations in which the effect is significant at 5%; at "
                     "effect 0 it is the test's size and should be near 5%. The minimal detectable effect (MDE) is "
                     "detected with 80% power."),
    "nb06.power_x": _t("宣传弹性真值", "true publicity elasticity"),
    "nb06.power_y": _t("检验功效", "power"),
    "nb06.power_title": _t("模拟功效：{districts} 个区县 × {cycles} 个批次", "Simulated power, {districts} districts x {cycles} cycles"),
    "nb06.adstock": _t("某一批次的宣传可能在下一批次仍起作用（几何延续，延续比例 L），回报也可能递减。在延续比例的网格上重新拟合报名模型，"
                       "取拟偏差最小者并给出剖面似然区间。递减的两种形式：对数（弹性不变）和 Hill 曲线（有上限，在每名适龄青年 K 元处达到一半）。",
                       "Publicity spent in one cycle may still work in the next (geometric carry-over with decay L), "
                       "and returns may diminish. The sign-up model is refitted for a grid of decays; the decay with "
                       "the smallest quasi-deviance is chosen, with its profile-likelihood interval. Two shapes: log "
                       "(a constant elasticity) and Hill (a ceiling, half reached at K yuan per eligible youth)."),
    "nb06.adstock_fit": _t("--- {key}：{shape}，拟偏差 {deviance}；半衰期 {half_life} 个批次",
                           "--- {key}: {shape}, deviance {deviance}; half-life {half_life} cycles"),
    "nb06.adstock_loose": _t("{shape}：数据无法确定其参数，不予显示", "{shape}: the data cannot pin its parameters down; not shown"),
    "nb06.decay_x": _t("延续比例（宣传经费延续到下一批次的比例）", "decay (share of publicity carried to the next cycle)"),
    "nb06.decay_y": _t("高于最小值的拟偏差", "quasi-deviance above its minimum"),
    "nb06.build_up": _t("持续将宣传经费提高 30% 后，各批次预期报名人数的倍数（对数形式）：有延续效应时要逐步才达到长期效应。",
                        "Publicity kept 30% higher: the multiplier of expected applicants in each cycle after the "
                        "increase (log form); with carry-over the long-run effect is reached only gradually."),
    "nb06.scenario": _t("下一批次以最近一批为基准预测（沿用其批次效应、适龄青年和入伍人数），杠杆按设定变化。预期报名的变化有置信区间；"
                        "下一批次的人数有更宽的预测区间，另计入参数不确定性和批次间的随机波动。",
                        "Next cycle is predicted as the latest cycle with the levers changed (its cycle effect, "
                        "eligible youth and recruits carried forward). The change in expected applicants has a "
                        "confidence interval; next cycle's count has a wider prediction interval, adding parameter "
                        "uncertainty and cycle-to-cycle noise."),
    "nb06.not_identified": _t("{lever}：这些数据无法识别其效应（被固定效应吸收或与其他变量共线）",
                              "{lever}: not identified by these data ({why})"),
    "nb06.no_returns": _t("未预测退兵：这些数据无法识别 {levers} 对退兵的影响",
                          "early returns not predicted: the discharge model cannot identify {levers} in these data"),
    "nb06.no_scenario": _t("情景涉及的杠杆均无法由这些数据识别，未做情景预测",
                           "none of the scenario's levers is identified by these data"),
    "nb06.budget": _t("每批次追加预算在各杠杆间分配以使预期报名最多（宣传按其经费计；优待金发给每名入伍新兵并按配置年数计；入户动员按配置的单位成本计）。"
                      "在估计值处求解，并对 100 次系数抽样分别求解（最优组合有多确定）。最优时每个获得资金的杠杆的边际成本相同；"
                      "“饱和点”为该杠杆每元产出降到现在 10% 时的追加金额。",
                      "An extra budget per cycle is split between the levers to maximise expected applicants "
                      "(publicity costs its spend; the allowance is paid to every recruit for the configured years; "
                      "door visits cost the config's unit cost), at the estimates and for each of 100 coefficient "
                      "draws (how sure is the mix?). At the optimum every funded lever buys its last applicant at the "
                      "same marginal cost; a lever saturates where its yield per yuan has fallen to 10% of today's."),
    "nb06.no_budget": _t("没有既有效应估计又能定价的杠杆，未做预算分配", "no lever has both an estimated effect and a price"),
    "nb06.not_allocated": _t("追加 {budget} 元：未分配（{reason}）", "budget {budget}: not allocated ({reason})"),
    "nb06.budget_x": _t("每批次追加预算（元）", "extra budget per cycle (yuan)"),
    "nb06.budget_y": _t("占预算比例", "share of the budget"),
    "nb06.budget_title": _t("估计值处的最优组合", "Best mix at the estimates"),
    "nb06.carryover": _t("有延续效应时，每批次持续投入的宣传经费会一直起作用；下表用延续模型（对数形式）的稳态报名代替普通模型重新分配。",
                         "With carry-over, publicity money kept every cycle keeps working; below, the allocation "
                         "takes sign-ups from the carry-over model (log form) in steady state instead of the plain model."),
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
    "pl.few_districts": _t("只有 {districts} 个区县，改革效果的聚类标准误和置信区间不可靠，请勿据此判断显著性。",
                           "With only {districts} districts the reform effects' clustered errors and intervals are "
                           "unreliable: do not judge significance from them."),
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
    "cost.missing": _t("所用记录中缺少{column}", "{column} is missing in the rows used"),
    "cost.no_payees": _t("数据中的{column}不完整，无法算出总支出", "the data's {column} is incomplete, so the bill cannot be worked out"),
    "cost.not_identified": _t("该措施的效应无法识别", "its effect is not identified"),
    "cost.other": _t("数据不足以计算成本", "the data do not allow it"),
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
                              "把 {name} 改为本单位的实际成本。",
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
