"""Regression tables for any result of the protocol: as DataFrames and as text an economist recognises.

Precision follows the standard error: it is shown to two significant digits and the
coefficient and interval to the same decimal place. Levers that the design cannot
identify are listed as such, never given a number.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from recruitstats.levers import LEVERS
from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["decimals_for", "regression_table", "format_regression_table", "format_tidy", "compare_table",
           "format_compare_table", "format_pvalue", "term_label"]



def decimals_for(se: float, *, digits: int = 2) -> int:
    """Decimal places that show ``se`` to ``digits`` significant digits (never negative)."""
    if se is None or not np.isfinite(se) or se <= 0:
        return 3
    return max(0, digits - 1 - int(math.floor(math.log10(se))))


def _num(x: float, d: int) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{d}f}"  # a negative value that rounds to zero keeps its sign: -0.00


def format_pvalue(p: float) -> str:
    """p-values as ``0.034`` or ``<0.001``."""
    if p is None or not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _terms(result) -> list[str]:
    """Terms in display order: intercept, levers, controls (not-identified ones included), then the rest."""
    params = list(result.params.index)
    listed = [t for t in ("(intercept)",) if t in params]
    listed += [t for t in (*getattr(result, "levers", ()), *getattr(result, "controls", ())) if t not in listed]
    return listed + [t for t in params if t not in listed]


def term_label(term: str, lang: str = "en") -> str:
    """A lever's label from the registry (``宣传经费``), other terms as they are."""
    lever = LEVERS.get(term)
    return lever.label(lang) if lever is not None else term


def _one_table(result, level: float) -> pd.DataFrame:
    tidy = result.tidy(level).set_index("term")
    boot = getattr(result, "bootstrap", None)
    not_identified = getattr(result, "not_identified", {}) or {}
    rows = {}
    for term in _terms(result):
        if term in tidy.index:
            t = tidy.loc[term]
            row = {"coef": float(t["estimate"]), "se": float(t["se"]), "ci_low": float(t["ci_low"]),
                   "ci_high": float(t["ci_high"]), "p_value": float(t["p_value"]), "note": ""}
            if boot is not None and term in boot.index:
                row.update(boot_p_value=float(boot.loc[term, "p_value"]),
                           boot_ci_low=float(boot.loc[term, "ci_low"]),
                           boot_ci_high=float(boot.loc[term, "ci_high"]))
        else:
            row = {"coef": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                   "note": not_identified.get(term, "not identified")}
        rows[term] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "term"
    out.attrs.update(level=level, model=result.model, n_obs=result.nobs,
                     n_clusters=getattr(result, "n_clusters", None), inference=result.inference,
                     synthetic=bool(result.synthetic))
    return out


def _named(results) -> dict[str, object]:
    if isinstance(results, Mapping):
        return dict(results)
    if isinstance(results, (list, tuple)):
        names: dict[str, object] = {}
        for res in results:
            name, k = res.model, 2
            while name in names:
                name, k = f"{res.model} ({k})", k + 1
            names[name] = res
        return names
    return {}


def regression_table(results, *, level: float | None = None) -> pd.DataFrame:
    """Estimates of one result, or of several side by side, as numbers (nothing rounded).

    Parameters
    ----------
    results : any result of the protocol (rate models of every family, Cox, event
        studies...), or a list or dict (name -> result) of them.

    Returns
    -------
    For one result: one row per term with coef, se, ci_low, ci_high, p_value, note
    (the reason a term is not identified) and bootstrap columns if any. For several:
    columns ``(model, statistic)``, one row per term of any model (empty where a model
    has no such term). ``attrs`` carry N, clusters and inference of each model.
    """
    named = _named(results)
    if not named:
        return _one_table(results, getattr(results, "level", 0.95) if level is None else level)
    tables = {name: _one_table(res, getattr(res, "level", 0.95) if level is None else level)
              for name, res in named.items()}
    order = list(dict.fromkeys(t for table in tables.values() for t in table.index))
    out = pd.concat({name: table.reindex(order) for name, table in tables.items()}, axis=1)
    out.index.name = "term"
    out.attrs["models"] = {name: dict(table.attrs) for name, table in tables.items()}
    return out


def format_tidy(result, *, level: float | None = None) -> str:
    """A plain-text summary of any result: estimate (se) [interval] p, then N and inference."""
    level = getattr(result, "level", 0.95) if level is None else level
    table = _one_table(result, level)
    pct = f"{level * 100:g}%"
    head = f"{'':<22}{'estimate':>12}  {pct + ' CI':^26}{'p':>9}"
    lines = [str(result.model), head, "-" * len(head)]
    for term, row in table.iterrows():
        if np.isnan(row["coef"]):
            lines.append(f"{term:<22}{'not identified':>12}  ({row['note']})")
            continue
        d = decimals_for(row["se"])
        ci = f"[{_num(row['ci_low'], d)}, {_num(row['ci_high'], d)}]"
        lines += [f"{term:<22}{_num(row['coef'], d):>12}  {ci:^26}{format_pvalue(row['p_value']):>9}",
                  f"{'':<22}{'(' + _num(row['se'], d) + ')':>12}"]
    lines += ["-" * len(head), f"Observations: {result.nobs:,}. Inference: {result.inference}."]
    lines += [f"Warning: {w}" for w in getattr(result, "warnings", ())]
    if result.synthetic:
        lines.append(SYNTHETIC_LABEL)
    return "\n".join(lines)


def _format_many(named: Mapping[str, object], level: float | None) -> str:
    table = regression_table(named, level=level)
    cells: dict[str, list[str]] = {}
    width = max(12, *(len(n) + 2 for n in named))
    for name, res in named.items():
        col = []
        for term in table.index:
            row = table[name].loc[term]
            if np.isnan(row["coef"]):
                col += ["n.i." if isinstance(row["note"], str) and row["note"] else "", ""]
                continue
            d = decimals_for(row["se"])
            col += [_num(row["coef"], d), f"({_num(row['se'], d)})"]
        col += [f"{res.nobs:,}", "" if getattr(res, "n_clusters", None) is None else f"{res.n_clusters:,}"]
        cells[name] = col
    labels = [x for term in table.index for x in (term, "")] + ["Observations", "Clusters"]
    head = f"{'':<22}" + "".join(f"{n:>{width}}" for n in named)
    lines = [head, "-" * len(head)]
    lines += [f"{lab:<22}" + "".join(f"{cells[n][i]:>{width}}" for n in named) for i, lab in enumerate(labels)]
    lines += ["-" * len(head), "Standard errors in parentheses; n.i.: not identified. Inference:"]
    lines += [f"  {n}: {res.inference}" for n, res in named.items()]
    if any(res.synthetic for res in named.values()):
        lines.append(SYNTHETIC_LABEL)
    return "\n".join(lines)


_WORDS = {
    "signup": ("Sign-up model: applicants out of eligible youth", "报名模型：应征报名人数 / 适龄青年数"),
    "discharge": ("Early-discharge model: recruits returned out of recruits enlisted",
                  "退兵模型：退兵人数 / 批准入伍人数"),
    "poisson": ("Poisson quasi-likelihood, log link", "泊松拟似然，对数连接"),
    "binomial": ("binomial logit", "二项 logit"),
    "exposure": ("exposure", "暴露量"), "outcome": ("outcome", "结果"), "coef": ("coef", "系数"),
    "ci": ("CI", "置信区间"), "not_identified": ("not identified", "无法识别"),
    "observations": ("Observations", "观测数"), "clusters": ("Clusters", "聚类数"),
    "fixed_effects": ("Fixed effects", "固定效应"), "none": ("none", "无"),
    "trends": (" + district linear trends", " + 区县线性趋势"),
    "se_note": ("Standard errors in parentheses. Inference: ", "括号内为标准误。推断方法："),
    "levers": ("Levers: ", "杠杆定义："), "dropped": ("Dropped: ", "剔除："), "warning": ("Warning: ", "警告："),
}


def _w(key: str, lang: str) -> str:
    en, zh = _WORDS[key]
    return zh if lang == "zh" else en


def format_regression_table(results, *, level: float | None = None, lang: str = "en") -> str:
    """The regression table as plain text: one result in full (``lang`` "zh" or "en"), or several side by side."""
    named = _named(results)
    if named:
        return _format_many(named, level)
    result = results
    if not hasattr(result, "fit"):
        return format_tidy(result, level=level)
    level = result.level if level is None else level
    table = regression_table(result, level=level)
    has_boot = "boot_p_value" in table
    pct = f"{level * 100:g}%"
    family = result.fit.family
    title = _w(result.model, lang) if result.model in ("signup", "discharge") else result.model
    lines = [title, f"({_w(family, lang) if family in _WORDS else family}; "
                    f"{_w('exposure', lang)}: {result.exposure}; {_w('outcome', lang)}: {result.outcome})", ""]
    head = f"{'':<20}{_w('coef', lang):>12}  {pct + ' ' + _w('ci', lang):^26}{'p':>9}"
    if has_boot:
        head += f"  {'bootstrap ' + pct + ' CI':^26}{'boot p':>8}"
    lines += [head, "-" * len(head)]
    for term, row in table.iterrows():
        name = term_label(term, lang) if lang == "zh" else term
        if np.isnan(row["coef"]):
            lines.append(f"{name:<20}{_w('not_identified', lang):>12}  ({row['note']})")
            continue
        d = decimals_for(row["se"])
        ci_text = f"[{_num(row['ci_low'], d)}, {_num(row['ci_high'], d)}]"
        line = f"{name:<20}{_num(row['coef'], d):>12}  {ci_text:^26}{format_pvalue(row['p_value']):>9}"
        if has_boot and not np.isnan(row.get("boot_p_value", np.nan)):
            bci = f"[{_num(row['boot_ci_low'], d)}, {_num(row['boot_ci_high'], d)}]"
            line += f"  {bci:^26}{format_pvalue(row['boot_p_value']):>8}"
        lines.append(line)
        lines.append(f"{'':<20}{'(' + _num(row['se'], d) + ')':>12}")
    lines.append("-" * len(head))
    fe = ", ".join(result.fit.fixed_effects) or _w("none", lang)
    trend = _w("trends", lang) if getattr(result, "trends", False) else ""
    lines += [f"{_w('observations', lang):<20}{result.n_obs:>12,}"]
    if result.n_clusters is not None:
        lines.append(f"{_w('clusters', lang):<20}{result.n_clusters:>12,}  ({result.fit.cluster})")
    inference = getattr(result.fit, "inference_zh", None) if lang == "zh" else None
    lines += [f"{_w('fixed_effects', lang):<20}{fe:>12}{trend}", "",
              _w("se_note", lang) + (inference or result.fit.inference) + "."]
    if has_boot:
        boot = result.bootstrap
        lines.append(f"Bootstrap: wild score cluster bootstrap (Kline-Santos), null imposed, "
                     f"{boot.attrs.get('reps', '?')} replications, seed {boot.attrs.get('seed', '?')}.")
    lines.append(_w("levers", lang) + "; ".join(f"{k} = {LEVERS[k].transform_text(lang) if k in LEVERS else v}"
                                                for k, v in result.transforms.items()) + ".")
    if result.dropped:
        lines.append(_w("dropped", lang) + "; ".join(f"{k}: {v:,}" for k, v in result.dropped.items()) + ".")
    lines += [_w("warning", lang) + w for w in result.warnings]
    if result.synthetic:
        lines += ["", SYNTHETIC_LABEL]
    return "\n".join(lines)


def compare_table(
    results: Mapping[str, object],
    *,
    truth: Mapping[str, float] | None = None,
    level: float | None = None,
) -> pd.DataFrame:
    """Side-by-side comparison of several results (robustness), as text cells.

    Each lever row shows ``coef (se)`` to the precision its SE supports; the last rows
    give N, clusters, fixed effects, family and inference. With ``truth`` (lever ->
    true coefficient, for synthetic data) a ``truth`` column is added.
    """
    cols = {}
    levers: list[str] = []
    for res in results.values():
        levers += [lv for lv in res.levers if lv not in levers]
    for name, res in results.items():
        lev = res.level if level is None else level
        ci = res.conf_int(lev)
        cells = {}
        for lv in levers:
            if lv in res.params.index:
                d = decimals_for(float(res.se[lv]))
                cells[lv] = (f"{_num(float(res.params[lv]), d)} ({_num(float(res.se[lv]), d)}) "
                             f"[{_num(float(ci.loc[lv, 'low']), d)}, {_num(float(ci.loc[lv, 'high']), d)}]")
            elif lv in res.levers:
                cells[lv] = "not identified"
            else:
                cells[lv] = ""
        cells["N"] = f"{res.n_obs:,}"
        cells["clusters"] = "" if res.n_clusters is None else f"{res.n_clusters:,}"
        cells["fixed effects"] = (", ".join(res.fit.fixed_effects) or "none") + \
            (" + district trends" if getattr(res, "trends", False) else "")
        cells["family"] = res.fit.family
        cells["synthetic"] = "yes" if res.synthetic else "no"
        cols[name] = cells
    out = pd.DataFrame(cols)
    if truth is not None:
        out["truth"] = [f"{truth[i]:g}" if i in truth else "" for i in out.index]
    out.attrs["note"] = "coef (clustered SE) [confidence interval]"
    return out


def format_compare_table(results: Mapping[str, object], *, truth: Mapping[str, float] | None = None,
                         level: float | None = None) -> str:
    """:func:`compare_table` as plain text, with a synthetic-data line when any input is synthetic."""
    table = compare_table(results, truth=truth, level=level)
    text = table.to_string()
    text += "\n\nCells: coef (SE) [CI]; SE and CI as each model's inference reports them."
    if any(r.synthetic for r in results.values()):
        text += "\n" + SYNTHETIC_LABEL
    return text
