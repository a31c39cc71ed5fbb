"""Figures of rate model results: coefficient plots and dose-response curves with bands.

Functions return matplotlib Figures and never show or save them. Labels are in
English; a synthetic-data footnote is added when the data are synthetic.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["coef_plot", "dose_response", "SYNTHETIC_FOOTNOTE"]

#: The synthetic label without its Chinese part, so default (Latin) fonts render it.
SYNTHETIC_FOOTNOTE = SYNTHETIC_LABEL.replace(" (模拟数据)", "")

_OUTCOME_LABEL = {"signup": "applicants per cycle", "discharge": "recruits returned per cycle"}


def _footnote(fig, show: bool) -> None:
    if show:
        fig.text(0.01, 0.005, SYNTHETIC_FOOTNOTE, fontsize=7, color="firebrick", ha="left", va="bottom")


def coef_plot(
    results,
    *,
    level: float | None = None,
    truth: Mapping[str, float] | None = None,
    levers: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    synthetic: bool | None = None,
):
    """Point estimates with confidence intervals, one row per lever, several models side by side.

    Parameters
    ----------
    results : a result or a mapping name -> result.
    level : interval level (default: each result's).
    truth : lever -> true coefficient (synthetic data), drawn as a cross.
    levers : which levers to show (default: all in any result).
    ax : axes to draw on (a new figure otherwise).
    synthetic : add the synthetic-data footnote (default: when any result is synthetic).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(results, Mapping):
        results = {"estimate": results}
    names = list(results)
    if levers is None:
        levers = []
        for r in results.values():
            levers += [lv for lv in r.levers if lv not in levers]
    if ax is None:
        width = 6.5 if len(names) == 1 else 10.0
        fig, ax = plt.subplots(figsize=(width, 1.2 + 0.25 * len(names) + 0.9 * len(levers)))
    else:
        fig = ax.figure
    k = len(names)
    offsets = np.linspace(-0.25, 0.25, k) if k > 1 else np.zeros(1)
    for j, (name, res) in enumerate(results.items()):
        lev = res.level if level is None else level
        ci = res.conf_int(lev)
        ys, xs, lo, hi = [], [], [], []
        for i, lv in enumerate(levers):
            if lv in res.params.index:
                ys.append(i + offsets[j])
                xs.append(res.params[lv])
                lo.append(ci.loc[lv, "low"])
                hi.append(ci.loc[lv, "high"])
            elif lv in res.levers:
                ax.annotate("not identified", (0, i + offsets[j]), fontsize=7, color="grey", va="center")
        xs, lo, hi = map(np.asarray, (xs, lo, hi))
        ax.errorbar(xs, ys, xerr=[xs - lo, hi - xs], fmt="o", capsize=3,
                    label=f"{name} ({lev * 100:g}% CI)")
    if truth:
        ty = [i for i, lv in enumerate(levers) if lv in truth]
        ax.scatter([truth[levers[i]] for i in ty], ty, marker="x", color="black", zorder=5, s=50,
                   label="true value (simulation)")
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(range(len(levers)), levers)
    ax.invert_yaxis()
    ax.set_xlabel("coefficient (elasticity for logged levers)")
    ax.set_title(title or "Lever effects")
    if len(names) > 1:  # several models: keep the legend off the estimates
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend(fontsize=8, loc="best")
    show = any(r.synthetic for r in results.values()) if synthetic is None else synthetic
    fig.tight_layout(rect=(0, 0.04 if show else 0, 1, 1))
    _footnote(fig, show)
    return fig


def dose_response(
    result,
    lever: str,
    *,
    factors: Sequence[float] | None = None,
    level: float | None = None,
    ax=None,
    title: str | None = None,
    synthetic: bool | None = None,
):
    """Predicted outcome per cycle as one lever is scaled from its current level, with a band.

    The x axis is the multiple of the current level of the lever's raw measure in
    every district (1 = today); the curve is :func:`recruitstats.policy.scenario`
    and the band its delta-method interval.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from recruitstats.policy import scenario

    factors = np.linspace(0.5, 2.0, 31) if factors is None else np.asarray(factors, float)
    level = result.level if level is None else level
    rows = [scenario(result, changes={lever: float(f)}, level=level) for f in factors]
    pred = np.array([r["predicted"] for r in rows])
    lo = np.array([r["ci_low"] for r in rows])
    hi = np.array([r["ci_high"] for r in rows])
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
    else:
        fig = ax.figure
    ax.fill_between(factors, lo, hi, alpha=0.25, label=f"{level * 100:g}% interval")
    ax.plot(factors, pred, lw=2, label="predicted")
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.axhline(rows[0]["baseline"], color="grey", lw=0.8, ls=":", label="current (fitted)")
    ax.set_xlabel(f"{lever}: multiple of current level ({result.measures[lever]})")
    ax.set_ylabel(_OUTCOME_LABEL.get(result.model, "outcome per cycle"))
    ax.set_title(title or f"Dose-response: {lever}")
    ax.legend(fontsize=8)
    show = result.synthetic if synthetic is None else synthetic
    fig.tight_layout(rect=(0, 0.05 if show else 0, 1, 1))
    _footnote(fig, show)
    return fig
