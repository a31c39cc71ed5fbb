"""Sections of the policy brief, each a function of :class:`~recruitstats.report.brief.BriefInputs`.

Every number here is read from a result object or a table computed from one and
formatted by :func:`recruitstats.report.brief.num`; nothing is estimated here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recruitstats.report.brief import (
    BriefInputs, Bullets, Figure, Para, Reason, Section, Subheading, Table, cycle_text, finite, joined, num,
    period_text, sentence)
from recruitstats.report.figures import _registry_key, term_label
from recruitstats.report.style import text

__all__ = ["lever_frame", "headline", "planning_section", "scorecard_section",
           "figures_section", "cannot_tell", "methods", "provenance"]

def _row(table: pd.DataFrame | None, lever: str) -> pd.Series | None:
    if table is None or lever not in table.index:
        return None
    return table.loc[lever]


def _est(row: pd.Series, old: str) -> float:
    """The estimate of a policy row: ``estimate`` (result protocol) or the older column name."""
    return float(row["estimate"] if "estimate" in row.index else row[old])


def _level(result) -> str:
    return f"{float(getattr(result, 'level', 0.95)) * 100:g}"


def _lever_kind(result, lever: str) -> str:
    try:
        from recruitstats.levers import get_lever

        return get_lever(_registry_key(result, lever)).kind
    except Exception:
        return "log" if lever in ("publicity", "stipend") else "log1p"


# --- headline findings ---------------------------------------------------------------

def _signup_lever(inputs: BriefInputs, lever: str, lang: str) -> list[Para]:
    res = inputs.signup
    name = term_label(lever, lang, result=res)
    effects = res.to_dict()["effects"]
    if lever not in effects:
        return [sentence("f.not_identified", lang, lever=name, reason=_why_not_identified(res, lever, lang))]
    e = effects[lever]
    k = f"signup.{lever}"
    vals = dict(lever=name, level=_level(res), coef=num(f"{k}.coef", e["coef"], "coef", lang),
                low=num(f"{k}.ci_low", e["ci_low"], "coef", lang), high=num(f"{k}.ci_high", e["ci_high"], "coef", lang))
    if _lever_kind(res, lever) == "log":
        out = [sentence("f.elasticity", lang, **vals)]
    else:
        el = _row(inputs.elasticities, lever)
        vals.update(elasticity=num(f"{k}.elasticity", _est(el, "elasticity"), "coef", lang),
                    el_low=num(f"{k}.elasticity_low", el["ci_low"], "coef", lang),
                    el_high=num(f"{k}.elasticity_high", el["ci_high"], "coef", lang))
        out = [sentence("f.coef_log1p", lang, **vals)]
    out += _plus(inputs.signup_effects, inputs.signup_costs, lever, k, name, inputs.pct, res, lang,
                 effect_key="f.plus_applicants", cost_key="f.cost_applicant", cost_old="cost_per_applicant")
    return out + _unit_cost(inputs, inputs.signup_costs, res, lever, "cost_per_applicant", lang)


def _unit_cost(inputs: BriefInputs, costs, res, lever: str, cost_old: str, lang: str) -> list[Para]:
    """Where a quoted cost's unit price comes from: the project config's assumption (or the built-in default)."""
    from recruitstats.levers import get_lever

    row = _row(costs, lever)
    if row is None or not finite(_est(row, cost_old)):
        return []
    try:
        entry = get_lever(_registry_key(res, lever))
    except Exception:
        return []
    if entry.cost != "per_unit" or entry.column not in inputs.unit_costs:
        return []
    price, default = inputs.unit_costs[entry.column]
    per = text(f"per_item.{entry.column}", lang) if f"per_item.{entry.column}" in _texts() \
        else text("per_item", lang, column=_column_label(entry.column, lang))
    out = [sentence("f.unit_cost", lang, per=per, price=num(f"unit_cost.{entry.column}", price, "price", lang))]
    return out + ([sentence("f.unit_cost_default", lang, name=entry.column)] if default else [])


def _texts() -> dict:
    from recruitstats.report.style import TEXTS

    return TEXTS


def _why_not_identified(res, lever: str, lang: str) -> str:
    """Why a lever has no estimate, in the reader's language (the model's reasons are in English)."""
    import re

    why = str(res.not_identified.get(lever, ""))
    m = re.search(r"collinear with (.+) given the fixed effects", why)
    if m:
        others = [term_label(o.strip(), lang, result=res) for o in m.group(1).split(",") if o.strip()]
        return text("ni.collinear", lang, others=("、" if lang == "zh" else ", ").join(others))
    for pattern, key in (("absorbed by the fixed effects", "ni.absorbed"), ("same value in every row", "ni.constant")):
        if pattern in why:
            return text(key, lang)
    return text("ni.other", lang)


def _plus(effects, costs, lever, k, name, pct, res, lang, *, effect_key, cost_key, cost_old) -> list[Para]:
    out = []
    add = _row(effects, lever)
    if add is not None:
        kind = "flow" if abs(_est(add, "additional")) >= 10 else "flow2"
        out.append(sentence(effect_key, lang, lever=name, pct=f"{pct:g}", level=_level(res),
                            add=num(f"{k}.additional", _est(add, "additional"), kind, lang),
                            low=num(f"{k}.additional_low", add["ci_low"], kind, lang),
                            high=num(f"{k}.additional_high", add["ci_high"], kind, lang)))
    cost = _row(costs, lever)
    if cost is not None and finite(_est(cost, cost_old)):
        open_ended = not finite(cost["ci_high"])  # the gain's interval reaches zero: no upper bound
        out.append(sentence(cost_key + ("_open" if open_ended else ""), lang, level=_level(res),
                            cost=num(f"{k}.cost", _est(cost, cost_old), "yuan", lang),
                            low=num(f"{k}.cost_low", cost["ci_low"], "yuan", lang),
                            high=num(f"{k}.cost_high", cost["ci_high"], "yuan", lang)))
    elif cost is not None:
        out.append(_no_cost(str(cost.get("note", "") or ""), res, lever, lang))
    return out


def _no_cost(note: str, res, lever: str, lang: str) -> Para:
    """Why a cost per unit is not given, in the reader's language."""
    if note.startswith("no unit cost"):
        from recruitstats.levers import get_lever

        column = get_lever(_registry_key(res, lever)).column
        return sentence("f.cost_no_unit", lang, column=_column_label(column, lang), name=column)
    if "no gain" in note:
        return sentence("f.cost_no_gain", lang)
    import re

    # the policy module's notes are English: the reader gets them in the brief's language
    for pattern, key in ((r"^(\w+) is missing in the rows used", "cost.missing"),
                         (r"^the data have no complete (\w+) column", "cost.no_payees"),
                         (r"^effect not identified", "cost.not_identified")):
        m = re.match(pattern, note)
        if m:
            column = _column_label(m.group(1), lang) if m.groups() else ""
            return sentence("f.cost_unknown", lang, reason=text(key, lang, column=column))
    return sentence("f.cost_unknown", lang, reason=note if lang == "en" and note else text("cost.other", lang))


def _discharge_lever(inputs: BriefInputs, lever: str, lang: str) -> list[Para]:
    res = inputs.discharge
    name = term_label(lever, lang, result=res)
    effects = res.to_dict()["effects"]
    if lever not in effects:
        return [sentence("f.not_identified", lang, lever=name, reason=_why_not_identified(res, lever, lang))]
    e = effects[lever]
    k = f"discharge.{lever}"
    out = [sentence("f.discharge_coef", lang, lever=name, level=_level(res),
                    coef=num(f"{k}.coef", e["coef"], "coef", lang),
                    low=num(f"{k}.ci_low", e["ci_low"], "coef", lang),
                    high=num(f"{k}.ci_high", e["ci_high"], "coef", lang))]
    out += _plus(inputs.discharge_effects, inputs.discharge_costs, lever, k, name, inputs.pct, res, lang,
                 effect_key="f.plus_returns", cost_key="f.cost_avoided", cost_old="cost_per_avoided_return")
    return out + _unit_cost(inputs, inputs.discharge_costs, res, lever, "cost_per_avoided_return", lang)


def _discharge_levers(result) -> list[str]:
    """The outreach-type levers of the discharge model (door visits, follow-up contacts)."""
    out = []
    for lever in result.levers:
        try:
            from recruitstats.levers import get_lever

            group = get_lever(_registry_key(result, lever)).group
        except Exception:
            group = lever
        if group == "outreach":
            out.append(lever)
    return out


def _beyond(lg, side: str) -> list[str]:
    pts = lg.funnel_points()
    return [str(d) for d in pts.loc[pts["flag"] == f"{side}_99.8", "district"]]


def _league_paras(inputs: BriefInputs, lang: str) -> list[Para]:
    lg = inputs.league
    if lg is None:
        return []
    sep = "、" if lang == "zh" else ", "
    out = [sentence("f.return_rate", lang, rate=num("league.pooled_rate", lg.pooled_rate, "pct2", lang),
                    period=period_text(lg.period, lang))]
    above, below = _beyond(lg, "above"), _beyond(lg, "below")
    if above:
        out.append(sentence("f.outliers_above", lang, names=sep.join(above)))
    if below:
        out.append(sentence("f.outliers_below", lang, names=sep.join(below)))
    if not above and not below:
        out.append(sentence("f.no_outliers", lang))
    return out


def lever_frame(inputs: BriefInputs, lang: str) -> pd.DataFrame:
    """The sign-up levers' numbers, unrounded: coefficient, elasticity, +x% in applicants, cost per applicant
    (with intervals)."""
    res = inputs.signup
    effects = res.to_dict()["effects"]
    rows = []
    for lever in res.levers:
        e = effects.get(lever, {})
        add = _row(inputs.signup_effects, lever)
        cost = _row(inputs.signup_costs, lever)
        el = _row(inputs.elasticities, lever)
        rows.append({"lever": lever, "label": term_label(lever, lang, result=res),
                     "coef": e.get("coef", np.nan), "ci_low": e.get("ci_low", np.nan),
                     "ci_high": e.get("ci_high", np.nan),
                     "elasticity": np.nan if el is None else _est(el, "elasticity"),
                     "elasticity_low": np.nan if el is None else float(el["ci_low"]),
                     "elasticity_high": np.nan if el is None else float(el["ci_high"]),
                     "additional": np.nan if add is None else _est(add, "additional"),
                     "additional_low": np.nan if add is None else float(add["ci_low"]),
                     "additional_high": np.nan if add is None else float(add["ci_high"]),
                     "cost": np.nan if cost is None else _est(cost, "cost_per_applicant"),
                     "cost_low": np.nan if cost is None else float(cost["ci_low"]),
                     "cost_high": np.nan if cost is None else float(cost["ci_high"])})
    return pd.DataFrame(rows)


def _lever_table(inputs: BriefInputs, lang: str) -> Table:
    frame = lever_frame(inputs, lang)
    level = _level(inputs.signup)
    header = tuple(text(k, lang, level=level) for k in
                   ("col.lever", "col.coef", "col.interval", "col.add_applicants", "col.interval",
                    "col.cost_applicant", "col.interval"))
    rows = []
    for _, r in frame.iterrows():
        k = f"signup.{r['lever']}"

        def cell(field: str, kind: str):
            # an infinite end prints as unbounded; only a missing value is "—"
            return num(f"{k}.{field}", r[field], kind, lang) if pd.notna(r[field]) else text("na", lang)

        def interval(lo: str, hi: str, kind: str):
            return Para((cell(lo, kind), " – ", cell(hi, kind)))

        flow = "flow" if finite(r["additional"]) and abs(r["additional"]) >= 10 else "flow2"
        rows.append((r["label"], cell("coef", "coef"), interval("ci_low", "ci_high", "coef"),
                     cell("additional", flow), interval("additional_low", "additional_high", flow),
                     cell("cost", "yuan"), interval("cost_low", "cost_high", "yuan")))
    # the costs in the table rest on the same unit prices as the sentences above: said under it too
    prices = [_unit_cost(inputs, inputs.signup_costs, inputs.signup, lv, "cost_per_applicant", lang)
              for lv in frame["lever"]]
    note = joined([para for ps in prices for para in ps[:1]], lang).plain if any(prices) else ""
    return Table(text("tab.levers", lang, pct=f"{inputs.pct:g}"), header, tuple(rows), note=note)


def headline(inputs: BriefInputs, lang: str) -> Section:
    """Sign-up levers (elasticity, +x%, cost) and early discharge (rates, outliers, levers, cost)."""
    blocks: list = []
    if inputs.synthetic:
        blocks.append(Para((text("brief.synthetic_warning", lang),)))
    # few districts: said first, before any interval is read
    blocks += [joined([sentence("h.caution", lang), c], lang) for c in cluster_cautions(inputs, lang)]
    signup = [joined(_signup_lever(inputs, lever, lang), lang) for lever in inputs.signup.levers]
    signup += _left_out(inputs, "signup", lang)
    blocks += [Subheading(text("sec.signup", lang)), Bullets(tuple(signup)), _lever_table(inputs, lang)]
    if inputs.discharge is not None:
        items = _league_paras(inputs, lang)
        items += [joined(_discharge_lever(inputs, lv, lang), lang) for lv in _discharge_levers(inputs.discharge)]
        items += _left_out(inputs, "discharge", lang)
        blocks += [Subheading(text("sec.discharge", lang)), Bullets(tuple(items))]
    return Section(text("sec.headline", lang), tuple(blocks))


def _left_out(inputs: BriefInputs, model: str, lang: str) -> list[Para]:
    """One line per lever the data cannot measure: which, and why (the requirement check's words)."""
    return [sentence("f.left_out", lang, lever=term_label(lever, lang), reason=why.say(lang))
            for m, lever, why in inputs.left_out if m == model]


#: Fewer districts than this: cluster-robust intervals (even CRV3) cannot be relied on at all.
UNRELIABLE_CLUSTERS = 10
#: Fewer districts than this: the errors are the CRV3 jackknife with t(G-1) critical values.
FEW_CLUSTERS = 40


def _fell_back(res) -> bool:
    """The jackknife (CRV3) could not be computed and the model used CRV1 instead."""
    return any("CRV1 is used instead" in str(w) for w in (getattr(res, "warnings", ()) or ()))


def cluster_cautions(inputs: BriefInputs, lang: str) -> list[Para]:
    """How far the intervals can be trusted with few districts, per model (nothing with 40 or more)."""
    groups: dict[tuple[int, bool], list[str]] = {}  # models with the same districts and errors: one sentence
    for model, res in _models(inputs):
        g = res.to_dict().get("n_clusters")
        if g is not None and g < FEW_CLUSTERS:
            groups.setdefault((int(g), _fell_back(res)), []).append(model)
    out = []
    for (g, fell_back), models in groups.items():
        names = [text(f"model.{m}", lang) for m in models]
        vals = dict(model="和".join(names) if lang == "zh" else _and(names, lang),
                    clusters=num(f"{models[0]}.n_clusters", g, "int", lang),
                    df=num(f"{models[0]}.df_t", g - 1, "int", lang))
        parts = [sentence("c.crv1_fallback" if fell_back else "c.few_clusters", lang, **vals)]
        if g < UNRELIABLE_CLUSTERS:
            parts.append(sentence("c.unreliable", lang, **vals))
        out.append(joined(parts, lang))
    return out


# --- planning evidence (issue #12) --------------------------------------------------------------

def _reform_paras(pl, lang: str) -> list[Para]:
    """The staggered-reform estimate beside the naive TWFE one, the pre-trend test, small cohorts."""
    rise = f"{pl.min_rise * 100:g}"
    if pl.reform is None:
        key = "pl.no_reform" if pl.reform_note == "none" else "pl.reform_failed"
        return [sentence(key, lang, rise=rise, reason=_say(pl.reform_note, lang))]
    cs, tw = pl.reform, pl.twfe
    level = f"{float(cs.options.get('level', 0.95)) * 100:g}"
    att, naive = cs.tidy().set_index("term").loc["ATT"], tw.tidy().set_index("term").loc["treated"]
    units = cs.did.frame.drop_duplicates("unit")
    sizes = units.loc[units["group"] > 0, "group"].value_counts()
    k = "planning.reform"
    out = [sentence("pl.reform", lang, rise=rise, level=level,
                    treated=num(f"{k}.treated", int((units["group"] > 0).sum()), "int", lang),
                    districts=num(f"{k}.districts", cs.did.n_units, "int", lang),
                    cohorts=num(f"{k}.cohorts", len(sizes), "int", lang),
                    att=num(f"{k}.att", att["estimate"], "coef", lang),
                    low=num(f"{k}.att_low", att["ci_low"], "coef", lang),
                    high=num(f"{k}.att_high", att["ci_high"], "coef", lang),
                    twfe=num(f"{k}.twfe", naive["estimate"], "coef", lang),
                    twfe_low=num(f"{k}.twfe_low", naive["ci_low"], "coef", lang),
                    twfe_high=num(f"{k}.twfe_high", naive["ci_high"], "coef", lang))]
    test = cs.pretrend_test()
    if test.get("df"):
        p = num(f"{k}.pretrend_p", test["p_value"], "p", lang)
        out.append(sentence("pl.pretrend_bad" if test["p_value"] < 0.05 else "pl.pretrend_ok", lang, p=p))
    if cs.did.n_units < UNRELIABLE_CLUSTERS:  # as the requirement check's reforms.inference caution
        out.append(sentence("pl.few_districts", lang, districts=num(f"{k}.districts", cs.did.n_units, "int", lang)))
    small = int((sizes < 5).sum())
    if small:
        out.append(sentence("pl.small_cohorts_all" if small == len(sizes) else "pl.small_cohorts", lang,
                            small=num(f"{k}.small_cohorts", small, "int", lang),
                            cohorts=num(f"{k}.cohorts", len(sizes), "int", lang)))
    return out


def _scenario_paras(pl, lang: str) -> list[Para]:
    sc = pl.scenario
    if sc is None:
        return [sentence("pl.scenario_failed", lang, reason=_say(pl.scenario_note, lang))]
    lever, factor = next(iter(sc.changes.items()))
    r, k = sc.table.loc["applicants"], "planning.scenario"
    change = (factor - 1) * 100
    pct = (f"{'增加' if change > 0 else '减少'} {abs(change):g}%" if lang == "zh" else f"{change:+g}%")
    name = term_label(lever, lang)
    name = name if lang == "zh" else name[:1].lower() + name[1:]
    vals = {f: num(f"{k}.{f}", r[col], kind, lang) for f, col, kind in (
        ("change", "change", "count"), ("low", "change_ci_low", "count"), ("high", "change_ci_high", "count"),
        ("predicted", "predicted", "count"), ("pi_low", "pi_low", "count"), ("pi_high", "pi_high", "count"),
        ("base_low", "baseline_pi_low", "count"), ("base_high", "baseline_pi_high", "count"))}
    return [sentence("pl.scenario", lang, lever=name, pct=pct, cycle=cycle_text(sc.cycle, lang),
                     level=f"{sc.level * 100:g}", **vals)]


def _say(reason, lang: str) -> str:
    """A reason in the reader's language; an old plain-text note only in English."""
    if isinstance(reason, Reason):
        return reason.say(lang)
    return str(reason or "") if lang == "en" else text("ni.other", lang)


def planning_section(inputs: BriefInputs, lang: str) -> Section | None:
    """Allowance reforms (staggered DiD, TWFE beside it) and one next-cycle scenario, or why not."""
    pl = inputs.planning
    if pl is None:
        return None
    items = [joined(_reform_paras(pl, lang), lang), joined(_scenario_paras(pl, lang), lang)]
    return Section(text("sec.planning", lang), (Bullets(tuple(items)),))


# --- scorecard ---------------------------------------------------------------------------

def _indicator_kind(ind) -> str:
    if ind.denominator == "quota":
        return "multiple"
    return "pct2" if (ind.target is not None and ind.target < 0.05) else "pct"


def scorecard_section(inputs: BriefInputs, lang: str) -> Section | None:
    """The scorecard of the latest cycle: one row per district, hidden cells marked."""
    card = inputs.scorecard
    if card is None:
        return None
    from recruitstats.report.suppression import SUPPRESSED_MARK, suppression_note

    rows = card.rows
    last = rows.sort_values(["year", "half"]).iloc[-1][["year", "half"]]
    latest = rows[(rows["year"] == last["year"]) & (rows["half"] == last["half"])]
    header = [text("col.district", lang)] + [_ind_header(i, lang) for i in card.scheme.indicators]
    body = []
    for _, r in latest.iterrows():
        cells: list = [str(r["district"])]
        for ind in card.scheme.indicators:
            if ind.key in r["suppressed"]:
                cells.append(SUPPRESSED_MARK)
                continue
            v = r[ind.key]
            cell = num(f"scorecard.{r['district_key']}.{ind.key}", v, _indicator_kind(ind), lang) if finite(v) \
                else text("na", lang)
            met = r[f"met_{ind.key}"]
            cells.append(cell if met is None else Para((cell, " ✓" if met else " ✗")))
        body.append(tuple(cells))
    cycle = cycle_text(f"{int(last['year'])}H{int(last['half'])}", lang)
    table = Table(text("tab.scorecard", lang, cycle=cycle), tuple(header), tuple(body),
                  note=suppression_note(card.threshold, lang))
    lacking = [Para((line,)) for line in card.notes(lang)]  # indicators the data cannot score
    return Section(text("sec.scorecard", lang), (table, *([Bullets(tuple(lacking))] if lacking else [])))


def _ind_header(ind, lang: str) -> str:
    if ind.direction == "none" or ind.target is None:
        return ind.label(lang)
    sign = "≥" if ind.direction == ">=" else "≤"
    kind = _indicator_kind(ind)
    target = f"{ind.target:g}×" if kind == "multiple" else f"{ind.target * 100:g}%"
    return f"{ind.label(lang)} ({sign}{target})"


# --- figures and league table -------------------------------------------------------------

def figures_section(inputs: BriefInputs, lang: str, *, draw: bool = True) -> Section:
    """Coefficient plot, funnel plot, rank plot and the league table."""
    blocks: list = []
    if draw:
        blocks += _coef_figure(inputs, lang)
    lg = inputs.league
    if lg is not None:
        if draw:
            blocks += _league_figures(lg, inputs, lang)
        blocks.append(_league_table(lg, inputs, lang))
        # which rankings and claims the data support, in the league table's own words
        blocks += [Subheading(text("sec.league_support", lang)),
                   Bullets(tuple(Para((period_text(line, lang),)) for line in lg.statements(lang)))]
    return Section(text("sec.figures", lang), tuple(blocks))


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    from recruitstats.report.style import figure_png

    try:
        return figure_png(fig, dpi=150)
    finally:
        plt.close(fig)


def _coef_figure(inputs: BriefInputs, lang: str) -> list:
    from recruitstats.report.figures import coef_plot

    results = {text("model.signup", lang): inputs.signup}
    fig = coef_plot(results, lang=lang, synthetic=inputs.synthetic, title=text("coef_title.signup", lang))
    out = [Figure(text("fig.coef", lang), _png(fig))]
    if inputs.discharge is not None:
        fig = coef_plot({text("model.discharge", lang): inputs.discharge}, lang=lang, synthetic=inputs.synthetic,
                        title=text("coef_title.discharge", lang))
        out.append(Figure(text("fig.coef_discharge", lang), _png(fig)))
    return out


def _league_figures(lg, inputs: BriefInputs, lang: str) -> list:
    from recruitstats.report.figures import funnel_plot, rank_plot

    fig = funnel_plot(lg.funnel_points(), limits=lg.funnel_curve(), pooled_rate=lg.pooled_rate, lang=lang,
                      synthetic=inputs.synthetic)
    out = [Figure(text("fig.funnel", lang), _png(fig))]
    fig = rank_plot(lg.table, lang=lang, synthetic=inputs.synthetic)
    return out + [Figure(text("fig.rank", lang), _png(fig))]


def _league_table(lg, inputs: BriefInputs, lang: str) -> Table:
    """District, rate, shrunken rate, rank and its interval; a hidden cell shows the mark."""
    from recruitstats.report.suppression import SUPPRESSED_MARK, suppression_note

    def cell(key: str, value, kind: str):
        return num(key, value, kind, lang) if finite(value) else SUPPRESSED_MARK

    header = tuple(text(k, lang) for k in ("col.district", "col.rate", "col.shrunk", "col.rank", "col.rank_ci"))
    rows = []
    for _, r in lg.table.iterrows():
        key = f"league.{r['district_key']}"
        ci = SUPPRESSED_MARK
        if finite(r["rank_low"]):
            ci = Para((cell(f"{key}.rank_low", r["rank_low"], "int"), "–",
                       cell(f"{key}.rank_high", r["rank_high"], "int")))
        rows.append((str(r["district"]), cell(f"{key}.rate", r["rate"], "pct2"),
                     cell(f"{key}.shrunken_rate", r["shrunken_rate"], "pct2"),
                     cell(f"{key}.rank", r["rank"], "int"), ci))
    return Table(text("tab.league", lang, period=period_text(lg.period, lang)), header, tuple(rows),
                 note=suppression_note(inputs.threshold, lang))


# --- limits, methods, provenance -------------------------------------------------------------

def _models(inputs: BriefInputs) -> list[tuple[str, Any]]:
    return [(m, r) for m, r in (("signup", inputs.signup), ("discharge", inputs.discharge)) if r is not None]


def cannot_tell(inputs: BriefInputs, lang: str) -> Section:
    """Few clusters, intervals that include zero, levers not identified, rankings, causality."""
    items = cluster_cautions(inputs, lang)
    for model, res in _models(inputs):
        d = res.to_dict()
        for lever, e in d["effects"].items():
            if e["ci_low"] <= 0 <= e["ci_high"]:
                items.append(sentence("c.wide", lang, model=text(f"model.{model}", lang),
                                      lever=term_label(lever, lang, result=res)))
        for lever in d.get("not_identified", {}):
            items.append(sentence("c.not_identified", lang, model=text(f"model.{model}", lang),
                                  lever=term_label(lever, lang, result=res),
                                  reason=_why_not_identified(res, lever, lang)))
    for model, lever, why in inputs.left_out:
        items.append(sentence("c.left_out", lang, model=text(f"model.{model}", lang), lever=term_label(lever, lang),
                              reason=why.say(lang)))
    for part, reason in inputs.skipped:
        key = "c.prediction_check" if part.startswith("policy.") else "c.skipped"
        items.append(sentence(key, lang, part=text(f"part.{part}", lang), reason=_say(reason, lang)))
    items.append(sentence("c.causal", lang))
    return Section(text("sec.cannot_tell", lang), (Bullets(tuple(items)),))


def methods(inputs: BriefInputs, lang: str) -> Section:
    """Model, transforms, dropped rows, what "+x%" means, disclosure control."""
    items, transforms = [], {}
    for model, res in _models(inputs):
        d = res.to_dict()
        items.append(sentence("m.model", lang, model=text(f"model.{model}", lang),
                              outcome=_column_label(d["outcome"], lang), exposure=_column_label(d["exposure"], lang),
                              inference=_inference_text(d, lang),
                              n_obs=num(f"{model}.n_obs", d["n_obs"], "count", lang),
                              clusters=num(f"{model}.n_clusters", d["n_clusters"] or 0, "int", lang)))
        for lever in res.levers:  # each lever's measure once, whichever models use it
            transforms.setdefault(term_label(lever, lang, result=res), _transform(res, lever, lang))
        if d.get("dropped"):
            sep = "；" if lang == "zh" else "; "
            what = sep.join(f"{_dropped_text(k, lang, d['dropped'])}{'：' if lang == 'zh' else ': '}{v}"
                            for k, v in d["dropped"].items())
            items.append(sentence("m.dropped", lang, model=text(f"model.{model}", lang), what=what))
    items += [sentence("m.transform", lang, lever=name, transform=words) for name, words in transforms.items()]
    items += _elasticity_notes(inputs, lang)
    items.append(sentence("m.policy", lang, pct=f"{inputs.pct:g}", factor=f"{1 + inputs.pct / 100:g}"))
    items.append(sentence("m.suppression", lang, threshold=inputs.threshold))
    return Section(text("sec.methods", lang), (Bullets(tuple(items)),))


def _elasticity_notes(inputs: BriefInputs, lang: str) -> list[Para]:
    """How each sign-up lever's coefficient relates to its elasticity (equal for logged levers)."""
    res = inputs.signup
    effects = res.to_dict()["effects"]
    logged = [lv for lv in res.levers if lv in effects and _lever_kind(res, lv) == "log"]
    out = [sentence("m.elasticity_log", lang, levers=_and([term_label(lv, lang, result=res) for lv in logged], lang))] \
        if logged else []
    for lever in res.levers:
        el = _row(inputs.elasticities, lever)
        if lever not in effects or el is None or _lever_kind(res, lever) == "log":
            continue
        from recruitstats.levers import get_lever

        name = term_label(lever, lang, result=res)
        out.append(sentence("m.elasticity_log1p", lang, lever=name if lang == "zh" else name[:1].lower() + name[1:],
                            unit=get_lever(_registry_key(res, lever)).unit(lang),
                            coef=num(f"signup.{lever}.coef3", effects[lever]["coef"], "coef3", lang),
                            elasticity=num(f"signup.{lever}.elasticity3", _est(el, "elasticity"), "coef3", lang)))
    return out


def _and(names: list[str], lang: str) -> str:
    """``宣传经费、优待金`` / ``Publicity spending and family allowance``."""
    if lang == "zh" or len(names) < 2:
        return "、".join(names)
    rest = [n[:1].lower() + n[1:] for n in names[1:]]
    return ", ".join([names[0], *rest[:-1]]) + " and " + rest[-1]


def _column_label(name: str, lang: str) -> str:
    """A panel column as a reader names it: the house catalogue, else its SCHEMA label (zh) or words (en)."""
    from recruitstats.report.style import TEXTS
    from recruitstats.schema import PANEL_COLUMNS

    if f"column.{name}" in TEXTS:
        return text(f"column.{name}", lang)
    if lang == "zh":
        return next((c.label_zh for c in PANEL_COLUMNS if c.name == name), name)
    return name.replace("_", " ")


def _readable(words: str, lang: str) -> str:
    """Model words with panel column names (``door_visits``) replaced by their labels."""
    import re

    from recruitstats.schema import PANEL_COLUMNS

    names = {c.name for c in PANEL_COLUMNS} | {"cycle"}
    return re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\b",
                  lambda m: _column_label(m.group(0), lang) if m.group(0) in names else m.group(0), words)


_DROPPED = (  # the fit's own words -> catalogue key (the rest of the text is a column name)
    (r"^rows missing (\w+)$", "drop.missing"), (r"^rows where a lever value cannot be computed$", "drop.lever"),
    (r"^rows dropped in total \(any missing value\)$", "drop.total"), (r"^rows with (\w+) = 0$", "drop.zero"),
    (r"^observations with (\w+) <= 0$", "drop.zero"),
    (r"^observations with missing or infinite values$", "drop.total"))
#: the engine's "<fixed effect> groups with no variation in <outcome>": district or cycle groups
_NO_VARIATION = r"^(\w+) groups with no variation in (\w+)$"


def _group_kind(fe: str) -> str:
    """``district_code`` -> district, ``cycle`` -> cycle (another fixed effect: its own name)."""
    return "district" if fe.startswith("district") else "cycle" if fe.startswith("cycle") else "other"


def _dropped_text(what: str, lang: str, dropped: dict | None = None) -> str:
    import re

    m = re.match(_NO_VARIATION, what)
    if m:
        kind = _group_kind(m.group(1))
        return text(f"drop.no_variation.{kind}", lang, column=_column_label(m.group(2), lang),
                    fe=_column_label(m.group(1), lang))
    if what == "observations in those groups":  # which groups: the districts, the cycles, or both
        kinds = {_group_kind(m.group(1)) for k in (dropped or {}) if (m := re.match(_NO_VARIATION, k))}
        return text(f"drop.in_groups.{kinds.pop() if len(kinds) == 1 else 'other'}", lang)
    for pattern, key in _DROPPED:
        m = re.match(pattern, what)
        if m:
            return text(key, lang, column=_column_label(m.group(1), lang) if m.groups() else "")
    return _readable(what, lang)


def _inference_text(d: dict, lang: str) -> str:
    """How errors were computed: the result's own words in English, the same facts in Chinese."""
    words = str(d.get("inference") or "")
    if lang == "en":
        return words.replace("district_code", "district")
    g = d.get("n_clusters")
    if "jackknife" in words:
        return text("inf.crv3", lang, clusters=g, df=(g or 1) - 1)
    if "cluster" in words:
        return text("inf.crv1", lang, clusters=g)
    if "hetero" in words:
        return text("inf.hc1", lang)
    return words


def _transform(res, lever: str, lang: str) -> str:
    try:
        from recruitstats.levers import get_lever

        words = get_lever(_registry_key(res, lever)).transform_text(lang)
    except Exception:
        words = str(res.transforms.get(lever, lever))
    words = _readable(words, lang).replace(" * ", " × ")
    return _zh_brackets(words) if lang == "zh" else words.replace("  (", " (")


def _zh_brackets(words: str) -> str:
    """``log(x)  (unit)`` -> ``log(x)（unit）``: the trailing unit in full-width brackets."""
    head, sep, unit = words.partition("  (")
    return f"{head}（{unit[:-1]}）" if sep and unit.endswith(")") else words


def provenance(inputs: BriefInputs, lang: str) -> tuple[str, ...]:
    """Input file hashes, package version, date and config."""
    p = inputs.provenance
    lines = [text("p.file", lang, name=n, sha=s) for n, s in p["files"]]
    lines.append(text("p.version", lang, version=p["version"], date=p["date"]))
    lines.append(text("p.config", lang, config=p["config"] or text("p.default_config", lang)))
    if p.get("scheme"):
        lines.append(text("p.scheme", lang, scheme=p["scheme"]))
    return tuple(lines)

