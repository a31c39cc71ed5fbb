"""Figures of staggered-reform DiD results: the event study and the weights of naive TWFE.

Functions return matplotlib Figures drawn in the house style (embedded CJK font), with
Chinese (``lang="zh"``) or English (``lang="en"``) labels; they never show or save.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from recruitstats.report.style import COLOURS, PALETTE, TEXTS, check_lang, house_style, text

__all__ = ["plot_event_study", "plot_twfe_weights"]

def _t(key: str, lang: str, **values: object) -> str:
    """A DiD figure string (``did.<key>`` of the house catalogue, :data:`recruitstats.report.style.TEXTS`)."""
    return text(f"did.{key}", lang, **values)


def _has(key: str) -> bool:
    return f"did.{key}" in TEXTS


def _outcome_text(did, lang: str) -> str:
    key = f"outcome.{did.outcome}"
    return _t(key, lang) if _has(key) else did.outcome


def _footnote(fig, show: bool, lang: str) -> None:
    if show:
        fig.text(0.01, 0.005, text("synthetic_footnote", lang), fontsize=7, color=COLOURS["synthetic"],
                 ha="left", va="bottom")


def plot_event_study(results, *, lang: str = "zh", level: float = 0.95, truth: Mapping[int, float] | None = None,
                     ax=None, title: str | None = None, pretrend: bool = True):
    """Event-study plot: effects by cycles since the reform, intervals and the uniform band.

    Parameters
    ----------
    results : a :class:`StaggeredResult` or :class:`EventStudyResult`, or a mapping name -> result
        (drawn side by side, slightly offset).
    lang : ``"zh"`` or ``"en"``.
    level : level of the pointwise intervals (the band has the level it was fitted with).
    truth : event time -> true effect (simulated data), drawn as crosses.
    ax : axes to draw on (a new figure otherwise).
    title : overrides the default title.
    pretrend : print the first result's pre-trend test under the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    if not isinstance(results, Mapping):
        results = {_t(results.model, lang) if _has(results.model) else results.model: results}
    with house_style():
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 4.5))
        offsets = np.linspace(-0.15, 0.15, len(results)) if len(results) > 1 else [0.0]
        for i, (name, res) in enumerate(results.items()):
            _draw_one(ax, res, name, offsets[i], PALETTE[i % len(PALETTE)], lang, level)
        if truth:
            ks = sorted(truth)
            ax.plot(ks, [truth[k] for k in ks], "x", color="black", label=text("truth", lang))
        first = next(iter(results.values()))
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
        ax.set_xlabel(_t("event_x", lang))
        ax.set_ylabel(_t("effect_on", lang, outcome=_outcome_text(first.did, lang)))
        head = title or _t("event_title", lang)
        test = first.pretrend_test() if pretrend else None
        if test and test.get("df"):
            head += "\n" + _t("pretrend", lang, df=test["df"], stat=f"{test['statistic']:.2f}",
                              p=f"{test['p_value']:.3f}")
        ax.set_title(head, fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        _footnote(fig, any(r.synthetic for r in results.values()), lang)
        fig.tight_layout()
    return fig


def _draw_one(ax, res, name: str, offset: float, colour: str, lang: str, level: float) -> None:
    ev = res.event_study
    ci = res.conf_int(level).loc[ev["term"]]
    x = ev["event_time"].to_numpy() + offset
    pct = f"{100 * level:g}"
    if "band_low" in ev:
        band = f"{100 * res.options['level']:g}"
        ax.fill_between(ev["event_time"], ev["band_low"], ev["band_high"], color=colour, alpha=0.15, lw=0,
                        label=f"{name}: {_t('uniform', lang, level=band)}")
    ax.errorbar(x, ev["estimate"], yerr=[ev["estimate"] - ci["low"].to_numpy(), ci["high"].to_numpy() - ev["estimate"]],
                fmt="o", ms=4, color=colour, capsize=2, lw=1, label=f"{name} ({_t('pointwise', lang, level=pct)})")


def plot_twfe_weights(bacon: pd.DataFrame, *, weights: pd.DataFrame | None = None, lang: str = "zh",
                      synthetic: bool = False):
    """The naive TWFE estimate taken apart: Goodman-Bacon 2x2 comparisons and, optionally, cell weights.

    Parameters
    ----------
    bacon : :func:`bacon_decomposition` output (its ``attrs["twfe"]`` is drawn as a line).
    weights : :func:`twfe_weights` output; adds a panel of the weights summed by event time,
        negative ones in the alert colour.
    lang : ``"zh"`` or ``"en"``.
    synthetic : add the synthetic-data footnote.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    check_lang(lang)
    with house_style():
        n = 1 if weights is None else 2
        fig, axes = plt.subplots(1, n, figsize=(6 * n, 4.2), squeeze=False)
        ax = axes[0, 0]
        for i, (kind, rows) in enumerate(bacon.groupby("type", sort=False)):
            ax.scatter(rows["weight"], rows["estimate"], s=28, color=PALETTE[i], label=_t(kind, lang))
        twfe = bacon.attrs.get("twfe")
        if twfe is not None:
            ax.axhline(twfe, color="black", lw=1, label=_t("twfe_line", lang, value=f"{twfe:.3f}"))
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xlabel(_t("bacon_x", lang))
        ax.set_ylabel(_t("bacon_y", lang))
        ax.set_title(_t("bacon_title", lang), fontsize=10)
        ax.legend(fontsize=8)
        if weights is not None:
            _draw_cell_weights(axes[0, 1], weights, lang)
        _footnote(fig, synthetic, lang)
        fig.tight_layout()
    return fig


def _draw_cell_weights(ax, weights: pd.DataFrame, lang: str) -> None:
    by_e = weights.groupby("event_time")["weight"]
    pos = by_e.apply(lambda w: w[w > 0].sum())
    neg = by_e.apply(lambda w: w[w < 0].sum())
    ax.bar(pos.index, pos.to_numpy(), color=COLOURS["estimate"])
    ax.bar(neg.index, neg.to_numpy(), color=COLOURS["alert"])
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel(_t("event_x", lang))
    ax.set_ylabel(_t("bacon_x", lang))
    note = _t("dcdh_note", lang, share=f"{weights.attrs['negative_share']:.0%}",
              total=f"{weights.attrs['negative_sum']:.3f}")
    ax.set_title(_t("dcdh_title", lang) + "\n" + note, fontsize=10)
