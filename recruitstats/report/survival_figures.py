"""Figures of the early-discharge survival models: Kaplan-Meier curves and hazard ratios.

Functions return matplotlib Figures and never show or save them. They draw in the
house style of :mod:`recruitstats.report.style`, in Chinese or English (``lang``),
and add a synthetic-data footnote when ``synthetic=True``.
"""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np

from recruitstats.report.figures import _footnote, term_label
from recruitstats.report.style import check_lang, house_style, text

__all__ = ["plot_km", "plot_hazard_ratios"]


def _new_axes(ax, size=(6.4, 4.2)):
    import matplotlib.pyplot as plt

    if ax is None:
        with house_style():
            fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def plot_km(
    km,
    ax=None,
    *,
    kind: Literal["returned", "serving"] = "returned",
    groups: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    bands: bool = True,
    percent: bool = True,
    marks: Sequence[float] = (45, 90),
    title: str | None = None,
    synthetic: bool = False,
    lang: str = "en",
):
    """Kaplan-Meier curves with pointwise Greenwood bands, one per group.

    Parameters
    ----------
    km : a :class:`~recruitstats.models.kaplan_meier.KMResult`.
    ax : axes to draw on (a new figure otherwise).
    kind : ``"returned"`` draws the cumulative share returned, 1 - S(t) (readable
        when returns are rare); ``"serving"`` the share still serving, S(t).
    groups : which groups to draw (default all); labels : group -> legend text.
    bands : shade the pointwise interval of ``km.level``.
    marks : days to mark with a dotted line (the 45-day medical and 90-day windows).
    synthetic : add the synthetic-data footnote.
    lang : ``"zh"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    check_lang(lang)
    fig, ax = _new_axes(ax)
    labels = dict(labels or {})
    end = km.window_days or float(km.table["time"].max())
    with house_style():
        for g in (groups or km.groups):
            _km_curve(ax, km, g, kind=kind, end=end, bands=bands, scale=100.0 if percent else 1.0,
                      name=labels.get(g, _group_name(km, g, lang)))
        for m in marks:
            if m <= end:
                ax.axvline(m, color="grey", linestyle=":", linewidth=0.8)
        unit = " (%)" if percent else ""
        ax.set_xlabel(text("km_xlabel", lang))
        ax.set_ylabel(text(f"km_ylabel.{kind}", lang) + unit)
        ax.set_xlim(0, end)
        if kind == "returned":
            ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
        band_text = "\n" + text("km_bands", lang, level=f"{round(km.level * 100)}") if bands else ""
        ax.set_title(title or text(f"km_title.{kind}", lang) + band_text, fontsize=10)
        if synthetic:  # room for the footnote below the axis labels
            fig.tight_layout(rect=(0, 0.05, 1, 1))
        _footnote(fig, synthetic, lang)
    return fig


def _group_name(km, g, lang: str) -> str:
    if not km.by:
        return text("all_recruits", lang)
    return f"{', '.join(term_label(b, lang) for b in km.by)} = {g}"


def _km_curve(ax, km, g, *, kind: str, end: float, bands: bool, scale: float, name: str) -> None:
    t = km.table[km.table["group"] == g]
    times = np.concatenate([[0.0], t["time"].to_numpy(), [end]])
    s = np.concatenate([[1.0], t["survival"].to_numpy(), [t["survival"].to_numpy()[-1]]])
    lo = np.concatenate([[1.0], t["low"].to_numpy(), [t["low"].to_numpy()[-1]]])
    hi = np.concatenate([[1.0], t["high"].to_numpy(), [t["high"].to_numpy()[-1]]])
    y, ylo, yhi = (1 - s, 1 - hi, 1 - lo) if kind == "returned" else (s, lo, hi)
    line, = ax.step(times, y * scale, where="post", label=f"{name} (n={int(km.n[g]):,})")
    if bands:
        ax.fill_between(times, ylo * scale, yhi * scale, step="post", alpha=0.2, color=line.get_color(),
                        linewidth=0)


def plot_hazard_ratios(
    results: Mapping[str, object] | object,
    ax=None,
    *,
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    truth: Mapping[str, float] | None = None,
    title: str | None = None,
    synthetic: bool = False,
    lang: str = "en",
):
    """Hazard ratios with intervals, several models side by side (e.g. Cox and piecewise).

    Parameters
    ----------
    results : a result with ``hazard_ratios(level)`` (CoxResult, PiecewiseResult)
        or a mapping name -> result, e.g. ``{"Cox": cox, "piecewise": pw}``.
    covariates : design columns to show (default: those of the first result).
    truth : design column -> true log hazard ratio (synthetic data), drawn as a cross.
    synthetic : add the synthetic-data footnote.
    lang : ``"zh"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    check_lang(lang)
    if not isinstance(results, Mapping):
        results = {text("estimate", lang): results}
    tables = {name: r.hazard_ratios(level) for name, r in results.items()}
    rows = list(covariates or next(iter(tables.values())).index)
    fig, ax = _new_axes(ax, size=(6.4, 0.55 * len(rows) + 1.6))
    k = len(tables)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.5 / max(k, 1))
    y = np.arange(len(rows))[::-1].astype(float)
    with house_style():
        for off, (name, tab) in zip(offsets, tables.items()):
            tab = tab.reindex(rows)
            err = np.vstack([tab["hr"] - tab["low"], tab["high"] - tab["hr"]])
            ax.errorbar(tab["hr"], y + off, xerr=err, fmt="o", capsize=3, markersize=4, label=name)
        if truth is not None:
            tv = [np.exp(truth[r]) if r in truth else np.nan for r in rows]
            ax.plot(tv, y, "x", color="black", label=text("truth", lang))
        ax.axvline(1.0, color="grey", linewidth=0.8)
        ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        nice = [t for t in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10) if lo <= t <= hi]
        ax.xaxis.set_major_locator(FixedLocator(nice))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_yticks(y)
        ax.set_yticklabels([term_label(r, lang) for r in rows])
        ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
        ax.set_xlabel(text("hr_xlabel", lang, level=f"{round(level * 100)}"))
        ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=k + (truth is not None))
        ax.set_title(title or text("hr_title", lang), fontsize=10, pad=22)
        fig.tight_layout(rect=(0, 0.04 if synthetic else 0, 1, 1))
        _footnote(fig, synthetic, lang)
    return fig
