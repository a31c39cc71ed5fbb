"""Figures of the early-discharge survival models: Kaplan-Meier curves and hazard ratios.

Functions return matplotlib Figures and never show or save them. Labels are in
English; a synthetic-data footnote is added when ``synthetic=True``.
"""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np

from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["plot_km", "plot_hazard_ratios"]

#: The synthetic label without its Chinese part, so default (Latin) fonts render it.
_FOOTNOTE = SYNTHETIC_LABEL.replace(" (模拟数据)", "")


def _footnote(fig, synthetic: bool) -> None:
    if synthetic:
        fig.text(0.01, 0.005, _FOOTNOTE, fontsize=7, color="firebrick", ha="left", va="bottom")


def _new_axes(ax, size=(6.4, 4.2)):
    import matplotlib.pyplot as plt

    if ax is None:
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

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _new_axes(ax)
    scale = 100.0 if percent else 1.0
    labels = dict(labels or {})
    by = ", ".join(km.by) if km.by else ""
    end = km.window_days or float(km.table["time"].max())
    for g in (groups or km.groups):
        t = km.table[km.table["group"] == g]
        times = np.concatenate([[0.0], t["time"].to_numpy(), [end]])
        s = np.concatenate([[1.0], t["survival"].to_numpy(), [t["survival"].to_numpy()[-1]]])
        lo = np.concatenate([[1.0], t["low"].to_numpy(), [t["low"].to_numpy()[-1]]])
        hi = np.concatenate([[1.0], t["high"].to_numpy(), [t["high"].to_numpy()[-1]]])
        if kind == "returned":
            y, ylo, yhi = 1 - s, 1 - hi, 1 - lo
        else:
            y, ylo, yhi = s, lo, hi
        name = labels.get(g, f"{by} = {g}" if by else "all recruits")
        line, = ax.step(times, y * scale, where="post", label=f"{name} (n={int(km.n[g]):,})")
        if bands:
            ax.fill_between(times, ylo * scale, yhi * scale, step="post", alpha=0.2, color=line.get_color(),
                            linewidth=0)
    for m in marks:
        if m <= end:
            ax.axvline(m, color="grey", linestyle=":", linewidth=0.8)
    unit = " (%)" if percent else ""
    ax.set_xlabel("days since enlistment")
    ax.set_ylabel(("share returned" if kind == "returned" else "share still serving") + unit)
    ax.set_xlim(0, end)
    if kind == "returned":
        ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(title or ("Kaplan-Meier: cumulative share returned" if kind == "returned"
                           else "Kaplan-Meier: share still serving")
                 + f"\n{int(round(km.level * 100))}% pointwise bands (Greenwood, log-log)" * bands,
                 fontsize=10)
    if synthetic:  # room for the footnote below the axis labels
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    _footnote(fig, synthetic)
    return fig


def plot_hazard_ratios(
    results: Mapping[str, object] | object,
    ax=None,
    *,
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    truth: Mapping[str, float] | None = None,
    title: str | None = None,
    synthetic: bool = False,
):
    """Hazard ratios with intervals, several models side by side (e.g. Cox and piecewise).

    Parameters
    ----------
    results : a result with ``hazard_ratios(level)`` (CoxResult, PiecewiseResult)
        or a mapping name -> result, e.g. ``{"Cox": cox, "piecewise": pw}``.
    covariates : design columns to show (default: those of the first result).
    truth : design column -> true log hazard ratio (synthetic data), drawn as a cross.
    synthetic : add the synthetic-data footnote.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    if not isinstance(results, Mapping):
        results = {"estimate": results}
    tables = {name: r.hazard_ratios(level) for name, r in results.items()}
    rows = list(covariates or next(iter(tables.values())).index)
    fig, ax = _new_axes(ax, size=(6.4, 0.55 * len(rows) + 1.6))
    k = len(tables)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.5 / max(k, 1))
    y = np.arange(len(rows))[::-1].astype(float)
    for off, (name, tab) in zip(offsets, tables.items()):
        tab = tab.reindex(rows)
        err = np.vstack([tab["hr"] - tab["low"], tab["high"] - tab["hr"]])
        ax.errorbar(tab["hr"], y + off, xerr=err, fmt="o", capsize=3, markersize=4, label=name)
    if truth is not None:
        tv = [np.exp(truth[r]) if r in truth else np.nan for r in rows]
        ax.plot(tv, y, "x", color="black", label="truth (simulated)")
    ax.axvline(1.0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    nice = [t for t in (0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 10) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(nice))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(y)
    ax.set_yticklabels(rows)
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    ax.set_xlabel(f"hazard ratio of return ({int(round(level * 100))}% interval, log scale)")
    ax.legend(frameon=False, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=k + (truth is not None))
    ax.set_title(title or "Hazard ratios of early discharge", fontsize=10, pad=22)
    fig.tight_layout(rect=(0, 0.04 if synthetic else 0, 1, 1))
    _footnote(fig, synthetic)
    return fig
