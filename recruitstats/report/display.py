"""Tables as readers see them in a report: thousands separators, the digits the data support, Chinese labels.

:func:`format_table` turns a numeric table into a table of text, so that the report
never prints a raw data frame (``0.123456789``, ``1.2e+04``) and reads the same
every time it is rendered. Column labels (and index labels that are column names,
such as funnel stages) are shown in Chinese when the report language is ``zh``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["format_table", "format_protected", "label", "auto_decimals", "ReportTable"]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")

# labels of words that are not panel columns (derived rates, table headings)
_WORDS: dict[str, tuple[str, str]] = {
    "signup_rate": ("报名率", "sign-up rate"),
    "quota_multiple": ("报名人数/任务数", "applicants per quota place"),
    "fill_rate": ("任务完成率", "fill rate"),
    "college_share": ("大学生占比", "college share"),
    "graduate_share": ("大学毕业生占比", "graduate share"),
    "exam_multiple": ("上站体检人数/任务数", "examined per quota place"),
    "double_pass_multiple": ("双合格人数/任务数", "double-qualified per quota place"),
    "return_rate": ("退兵率", "return rate"),
    "stage": ("环节", "stage"), "count": ("人数", "persons"),
    "share_of_previous": ("占上一环节比例", "share of previous stage"),
    "share_of_applicants": ("占报名人数比例", "share of applicants"),
    "cycle": ("批次", "cycle"), "term": ("变量", "term"), "estimate": ("估计值", "estimate"),
    "se": ("标准误", "standard error"), "ci_low": ("区间下限", "interval low"),
    "ci_high": ("区间上限", "interval high"), "p_value": ("p 值", "p-value"),
    "low": ("区间下限", "interval low"), "high": ("区间上限", "interval high"),
    "hr": ("风险比", "hazard ratio"), "n": ("人数", "n"), "events": ("退兵数", "returns"),
    "days": ("天数", "days"), "share": ("比例", "share"), "group": ("组别", "group"),
    "split": ("分组依据", "split"), "publicity": ("宣传", "publicity"), "stipend": ("优待金", "stipend"),
    "outreach": ("入户动员", "outreach"), "lever": ("杠杆", "lever"),
    "additional": ("新增报名人数", "additional applicants"), "baseline": ("基线", "baseline"),
    "extra_cost": ("新增费用（元）", "extra cost (yuan)"),
    "additional_applicants": ("新增报名人数", "additional applicants"),
    "cost_per_applicant": ("每名新增报名者费用（元）", "yuan per extra applicant"),
    "note": ("说明", "note"), "at": ("计算方式", "averaging"), "cause": ("退兵原因", "exit cause"),
    "covariate": ("协变量", "covariate"), "log_hr": ("对数风险比", "log hazard ratio"),
    "test_statistic": ("检验统计量", "test statistic"), "rho": ("相关系数", "rho"),
    "% returned": ("退兵比例（%）", "% returned"), "% low": ("区间下限（%）", "% low"),
    "% high": ("区间上限（%）", "% high"), "% reference": ("参照组退兵比例（%）", "% reference"),
    "% door visit": ("入户动员者（%）", "% door visit"),
    "% door visit + follow-up": ("入户动员并回访者（%）", "% door visit + follow-up"),
    "delta method": ("delta 方法", "delta method"), "simulation": ("模拟法", "simulation"),
    "piecewise": ("分段指数模型", "piecewise"), "all recruits": ("全部新兵", "all recruits"),
    "all": ("全部", "all"), "True": ("是", "yes"), "False": ("否", "no"),
    "medical": ("身体原因", "medical"), "ideological": ("思想原因", "ideological"),
    "political": ("政治原因", "political"), "disciplinary": ("纪律原因", "disciplinary"),
    "other": ("其他原因", "other"),
    "events_within": ("期内退兵数", "returns within"),
    # next-cycle scenarios (recruitstats.planning.scenarios)
    "outcome": ("结果", "outcome"), "predicted": ("预测值", "predicted"), "change": ("变化", "change"),
    "change_ci_low": ("变化区间下限", "change, interval low"),
    "change_ci_high": ("变化区间上限", "change, interval high"),
    "baseline_pi_low": ("基线预测区间下限", "baseline, prediction low"),
    "baseline_pi_high": ("基线预测区间上限", "baseline, prediction high"),
    "pi_low": ("预测区间下限", "prediction low"), "pi_high": ("预测区间上限", "prediction high"),
    "all districts": ("全部区县", "all districts"),
    "observed": ("最近一批实际值", "observed (latest cycle)"), "relative_change": ("相对变化", "relative change"),
    "suppressed": ("已隐去（人数过少）", "hidden (too few people)"),
    # budget allocation (recruitstats.planning.budget)
    "cost_of_doubling": ("投入翻倍所需费用（元）", "cost of doubling (yuan)"),
    "spend": ("分配金额（元）", "allocated (yuan)"), "factor": ("新水平/现水平", "new / current level"),
    "spend_bayes": ("按期望最优的金额（元）", "allocated, best in expectation (yuan)"),
    "share_p05": ("最优份额（5% 分位）", "best share, 5th percentile"),
    "share_p50": ("最优份额（中位数）", "best share, median"),
    "share_p95": ("最优份额（95% 分位）", "best share, 95th percentile"),
    "marginal_cost": ("边际成本（元/名报名者）", "marginal cost (yuan per applicant)"),
    "marginal_cost_ci_low": ("边际成本区间下限", "marginal cost, interval low"),
    "marginal_cost_ci_high": ("边际成本区间上限", "marginal cost, interval high"),
    "saturation_spend": ("饱和点追加金额（元）", "saturating extra spend (yuan)"),
    "plain model": ("不含延续效应", "plain model"), "with carry-over": ("含延续效应", "with carry-over"),
    "budget": ("追加预算（元）", "extra budget (yuan)"),
    # publicity carry-over (recruitstats.planning.adstock)
    "parameter": ("参数", "parameter"), "decay": ("延续比例", "carry-over (decay)"),
    "half_saturation": ("半饱和点", "half-saturation"), "shape": ("形状参数", "shape"),
    "interval": ("区间", "interval"), "person_days": ("在役人日", "person-days"),
    "per_1000_days": ("每千名在役者每日退兵数", "returns per 1,000 per day"), "multiplier": ("报名人数倍数", "multiplier of applicants"),
    "share_of_long_run": ("占长期效应比例", "share of long-run effect"), "long run": ("长期", "long run"),
    "saturation": ("递减形式", "saturation"), "log": ("对数", "log"), "hill": ("Hill 曲线", "Hill"),
    # staggered reforms (recruitstats.models.did)
    "type": ("比较类型", "comparison"), "weight": ("权重", "weight"),
    "treated vs never": ("改革组 vs 从未改革组", "treated vs never treated"),
    "earlier vs later": ("早改革组 vs 尚未改革的晚组", "earlier vs later (not yet treated)"),
    "later vs earlier": ("晚改革组 vs 已改革的早组", "later vs earlier (already treated)"),
    "reform_cycle": ("改革批次", "reform cycle"), "districts": ("区县数", "districts"),
    "never (in this panel)": ("未改革（本面板内）", "never (in this panel)"),
    # recruit covariates and the robustness comparison (report.tables.compare_table)
    "college_status[student]": ("在校大学生", "college student"),
    "college_status[graduate]": ("大学毕业生", "college graduate"),
    "student": ("在校大学生", "college student"), "graduate": ("大学毕业生", "college graduate"),
    "none": ("无", "none"), "truth": ("真实值（模拟）", "truth (simulation)"), "N": ("观测数", "N"),
    "clusters": ("聚类数", "clusters"), "fixed effects": ("固定效应", "fixed effects"),
    "family": ("分布族", "family"), "synthetic": ("模拟数据", "synthetic"),
}


def label(name: object, lang: str = "zh") -> str:
    """The reader's label of a column or term name: Chinese for ``zh``, readable English otherwise."""
    from recruitstats.schema import PANEL, RECRUITS

    key = str(name)
    if key in _WORDS:
        return _WORDS[key][0 if lang == "zh" else 1]
    col = PANEL.get(key) or RECRUITS.get(key)
    if lang == "zh" and col is not None and col.label_zh:
        return col.label_zh
    return key.replace("_", " ") if col is not None else key


def auto_decimals(values: pd.Series, *, significant: int = 3, most: int = 4) -> int:
    """Decimals that show ``significant`` digits of a column's typical value (0 for whole numbers)."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0 or np.all(x == np.round(x)):
        return 0
    typical = float(np.median(np.abs(x[x != 0]))) if np.any(x != 0) else 1.0
    return int(min(most, max(0, significant - 1 - math.floor(math.log10(typical)))))


def _text(v: object, decimals: int) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—" if v is None or v != v else ("∞" if v > 0 else "-∞")
    return f"{v:,.{decimals}f}"


def _labels(index: pd.Index, lang: str) -> pd.Index:
    """Translated labels of an index (each level of a MultiIndex); numbers left as they are."""
    one = lambda v: label(v, lang) if isinstance(v, (str, bool, np.bool_)) else v  # noqa: E731
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(one(x) for x in t) for t in index],
                                         names=[label(n, lang) if n else n for n in index.names])
    return pd.Index([one(v) for v in index], name=label(index.name, lang) if index.name else None)


def _cell(v: object, lang: str) -> str:
    """One cell of a text column (numbers mixed with text such as "<5" keep their separators)."""
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, str) and _NUMBER.fullmatch(v):  # numbers already turned to text (suppressed tables)
        v = float(v)
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return _text(float(v), 0 if float(v).is_integer() else auto_decimals(pd.Series([v])))
    return label(str(v), lang)


class ReportTable(pd.DataFrame):
    """A table of text for a report that leaves out a row numbering (0, 1, ...) carrying no meaning."""

    _metadata = ["show_index"]
    show_index: bool = True

    @property
    def _constructor(self):
        return ReportTable

    def _repr_html_(self) -> str | None:
        if self.show_index:
            return super()._repr_html_()
        return self.to_html(index=False, border=1)

    def __repr__(self) -> str:
        return super().__repr__() if self.show_index else self.to_string(index=False)


def _numbering(index: pd.Index) -> bool:
    """True for a default RangeIndex (0..n-1, unnamed): row numbers, not labels."""
    return (isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0
            and index.step == 1)


def format_table(df: pd.DataFrame | pd.Series, *, lang: str = "zh", digits: Mapping[str, int] | int | None = None,
                 percent: Sequence[str] = ()) -> ReportTable:
    """A table of text for a report.

    Parameters
    ----------
    df : a table (or a Series, shown as one column).
    lang : report language; ``zh`` shows Chinese column labels.
    digits : decimals for every numeric column, or per column; default: whole numbers
        without decimals, others to three significant digits of the column's median.
    percent : columns holding shares, shown as percentages.

    Returns
    -------
    ReportTable
        A DataFrame of strings (missing values as "—"), columns and index labels
        translated; a default RangeIndex (0..n-1) is not shown.
    """
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    out = ReportTable(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            scaled = s.astype(float) * (100 if col in percent else 1)
            whole = auto_decimals(scaled) == 0  # counts keep no decimals unless asked per column
            d = digits.get(col) if isinstance(digits, Mapping) else (0 if whole else digits)
            d = auto_decimals(scaled) if d is None else d
            text = [_text(v, d) for v in scaled]
            out[col] = [t + "%" if col in percent and t != "—" else t for t in text]
        else:
            out[col] = [_cell(v, lang) for v in s]
    out.columns = _labels(frame.columns, lang)
    out.index = _labels(frame.index, lang)
    out.show_index = not _numbering(frame.index)
    return out


def format_protected(protected, *, lang: str = "zh", mark: str = "*", **options) -> ReportTable:
    """:func:`format_table` of a disclosure-controlled table, hidden cells shown as ``mark``."""
    out = format_table(protected.values, lang=lang, **options)
    shown = out.mask(protected.mask.to_numpy(), mark)
    shown.show_index = out.show_index
    return shown
