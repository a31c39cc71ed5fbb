"""Honest league tables: funnel-plot limits, shrunken rates, rank intervals, runs of zeros.

The claims a district report makes ("first in the city", "zero returns for three
cycles") are checked here the way Spiegelhalter (2005, *Statistics in Medicine*
24) and Goldstein and Spiegelhalter (1996, *JRSS A* 159) recommend:

* **funnel-plot control limits** at 95% and 99.8% around the pooled rate, as a
  function of the unit's size: exact binomial quantiles with Spiegelhalter's
  interpolation (his Appendix A.1.1), or, when the rates are overdispersed and
  the user asks, normal limits widened by a multiplicative factor (phi) or an
  additive random effect (tau^2), with phi estimated from 10%-winsorised z-scores;
* **empirical-Bayes shrunken rates** from a beta-binomial fitted by marginal
  maximum likelihood (default) or the method of moments, beside the raw rates;
* **ranks with intervals** from draws of each district's posterior
  Beta(a + y, b + n - y) (explicit seed);
* **runs of zero-return cycles**: the exact probability that a district with its
  own cycle sizes shows a run at least as long by chance alone at the pooled rate.

:func:`league_table` returns a :class:`LeagueTable`; its ``table`` and
``funnel_points`` have been through disclosure control, ``unsuppressed()`` is for
the analyst's own checks only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from recruitstats.errors import InputError
from recruitstats.report.scorecard import FUNNEL_STAGES, district_key, people_columns
from recruitstats.report.suppression import (
    SUPPRESSED_MARK, check_threshold, protect, remainder_safe, suppression_note)
from recruitstats.schema import DERIVED_RATES, PANEL_ORDERINGS, SUPPRESSION_THRESHOLD

__all__ = ["binomial_limit", "funnel_limits", "overdispersion", "fit_beta_binomial", "BetaPrior",
           "rank_intervals", "zero_run_probability", "longest_zero_run", "league_table", "LeagueTable",
           "MEASURES"]

Measure = Literal["return", "signup"]
#: measure -> (numerator, denominator, which direction is better)
MEASURES: dict[str, tuple[str, str, str]] = {
    "return": ("returned", "enlisted", "lower"),
    "signup": ("applicants", "eligible_youth", "higher"),
}
LEVELS = (0.95, 0.998)


# --- funnel-plot limits ------------------------------------------------------

def binomial_limit(p: float, n: np.ndarray | float, rate: float) -> np.ndarray:
    """The p-quantile of a binomial proportion, interpolated (Spiegelhalter 2005, Appendix A.1.1).

    With r the smallest count whose binomial cdf reaches p, and
    alpha = (F(r) - p) / (F(r) - F(r - 1)), the limit is (r - alpha) / n, which
    makes the limits a smooth curve in n instead of a staircase.
    """
    n = np.asarray(n, dtype=float)
    r = stats.binom.ppf(p, n, rate)
    upper, lower = stats.binom.cdf(r, n, rate), stats.binom.cdf(r - 1, n, rate)
    step = np.where(upper - lower > 0, upper - lower, 1.0)
    alpha = np.where(upper - lower > 0, (upper - p) / step, 0.0)
    return np.clip((r - alpha) / np.where(n > 0, n, np.nan), 0.0, 1.0)


def funnel_limits(n: Sequence[float] | np.ndarray, rate: float, *, levels: Sequence[float] = LEVELS,
                  phi: float = 1.0, tau2: float = 0.0) -> pd.DataFrame:
    """Control limits around ``rate`` for units of size ``n``.

    Parameters
    ----------
    n : unit sizes (denominators).
    rate : the target (pooled) rate.
    levels : two-sided coverage of each pair of limits (default 95% and 99.8%).
    phi, tau2 : overdispersion; with the defaults (1, 0) the limits are exact
        binomial, otherwise normal: rate +- z * sqrt(phi * rate(1-rate)/n + tau2).

    Returns
    -------
    DataFrame with ``n`` and ``low_95``, ``high_95``, ``low_99.8``, ``high_99.8``.
    """
    if not 0 < rate < 1:
        raise InputError(f"funnel limits need a pooled rate strictly between 0 and 1, not {rate!r}")
    n = np.asarray(n, dtype=float)
    out = pd.DataFrame({"n": n})
    for level in levels:
        tail = (1 - level) / 2
        name = f"{100 * level:g}"
        if phi == 1.0 and tau2 == 0.0:
            out[f"low_{name}"] = binomial_limit(tail, n, rate)
            out[f"high_{name}"] = binomial_limit(1 - tail, n, rate)
        else:
            half = stats.norm.ppf(1 - tail) * np.sqrt(phi * rate * (1 - rate) / n + tau2)
            out[f"low_{name}"] = np.clip(rate - half, 0, 1)
            out[f"high_{name}"] = np.clip(rate + half, 0, 1)
    return out


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's overdispersion check: phi, its chi-square test, and the additive tau^2."""

    phi: float
    p_value: float
    tau2: float
    n_units: int


def overdispersion(y: np.ndarray, n: np.ndarray, rate: float, *, winsor: float = 0.10) -> Overdispersion:
    """Estimate overdispersion from z-scores winsorised at ``winsor`` and ``1 - winsor`` (Spiegelhalter 2005, s. 5.2).

    phi = mean(z^2); I*phi is compared with chi-square on I-1 degrees of freedom;
    tau^2 = (I*phi - (I-1)) / (sum w - sum w^2 / sum w), w = n / (rate(1-rate)), floored at 0.
    """
    y, n = np.asarray(y, float), np.asarray(n, float)
    var = rate * (1 - rate)
    z = (y / n - rate) / np.sqrt(var / n)
    if winsor > 0 and len(z) > 2:
        lo, hi = np.quantile(z, [winsor, 1 - winsor])
        z = np.clip(z, lo, hi)
    units = len(z)
    phi = float(np.mean(z ** 2))
    w = n / var
    tau2 = max(0.0, (units * phi - (units - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    return Overdispersion(phi, float(stats.chi2.sf(units * phi, units - 1)), float(tau2), units)


# --- empirical Bayes ---------------------------------------------------------

@dataclass(frozen=True)
class BetaPrior:
    """A Beta(a, b) prior for district rates; ``a + b`` large means little variation between districts."""

    a: float
    b: float
    method: str

    @property
    def mean(self) -> float:
        """The prior mean a / (a + b)."""
        return self.a / (self.a + self.b)

    def shrink(self, y: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Posterior means (y + a) / (n + a + b)."""
        return (np.asarray(y, float) + self.a) / (np.asarray(n, float) + self.a + self.b)


_MAX_PRECISION = 1e7  # a + b beyond this: no detectable variation between districts


def _moments(y: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Pooled mean and intra-class correlation rho = 1/(a+b+1) by the method of moments.

    E[sum n_i (p_i - mu)^2] = mu(1-mu) [(I-1) + rho (N - sum n_i^2/N - (I-1))], N = sum n_i.
    """
    mu = y.sum() / n.sum()
    big_n, units = n.sum(), len(n)
    pearson = float((n * (y / n - mu) ** 2).sum() / (mu * (1 - mu)))
    rho = (pearson - (units - 1)) / (big_n - (n ** 2).sum() / big_n - (units - 1))
    return float(mu), float(np.clip(rho, 0.0, 0.999))


def _loglik(params: np.ndarray, y: np.ndarray, n: np.ndarray) -> float:
    mu, precision = special.expit(params[0]), math.exp(params[1])
    a, b = mu * precision, (1 - mu) * precision
    return float((special.betaln(y + a, n - y + b) - special.betaln(a, b)).sum())


def fit_beta_binomial(y: Sequence[float], n: Sequence[float], *, method: Literal["mle", "moments"] = "mle"
                      ) -> BetaPrior:
    """Fit the Beta(a, b) prior of district rates from counts ``y`` out of ``n``.

    Parameters
    ----------
    y, n : events and sizes per district.
    method : ``"mle"`` maximises the beta-binomial marginal likelihood (started at
        the moment estimates); ``"moments"`` solves the moment equation of :func:`_moments`.

    Returns
    -------
    :class:`BetaPrior`; when the data show no more variation than binomial
    noise, a + b is capped at 1e7 (every district shrinks to the pooled rate).
    """
    y, n = np.asarray(y, float), np.asarray(n, float)
    if len(y) < 2 or (n <= 0).any() or (y < 0).any() or (y > n).any():
        raise InputError("shrinkage needs at least two districts with 0 <= events <= size and size > 0")
    if y.sum() <= 0 or y.sum() >= n.sum():
        raise InputError("shrinkage needs a pooled rate strictly between 0 and 1")
    mu, rho = _moments(y, n)
    precision = _MAX_PRECISION if rho <= 0 else min(1 / rho - 1, _MAX_PRECISION)
    if method == "mle":
        start = np.array([special.logit(mu), math.log(precision)])
        res = optimize.minimize(lambda p: -_loglik(p, y, n), start, method="Nelder-Mead",
                                options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
        mu, precision = float(special.expit(res.x[0])), float(min(math.exp(res.x[1]), _MAX_PRECISION))
    elif method != "moments":
        raise InputError(f"method must be 'mle' or 'moments', not {method!r}")
    return BetaPrior(mu * precision, (1 - mu) * precision, method)


def rank_intervals(y: np.ndarray, n: np.ndarray, prior: BetaPrior, *, better: str = "lower",
                   level: float = 0.95, draws: int = 4000, seed: int = 20261201) -> pd.DataFrame:
    """Ranks (1 = best) and their intervals from draws of the districts' posteriors.

    Returns a DataFrame with ``rank`` (of the posterior mean), ``rank_mean``,
    ``rank_low`` and ``rank_high`` (the ``level`` interval of the simulated ranks).
    """
    y, n = np.asarray(y, float), np.asarray(n, float)
    rng = np.random.default_rng(seed)
    sign = 1.0 if better == "lower" else -1.0
    ranks = np.empty((draws, len(y)), dtype=np.int32)
    for start in range(0, draws, 500):  # in blocks, to bound memory with thousands of districts
        block = rng.beta(prior.a + y, prior.b + n - y, size=(min(500, draws - start), len(y)))
        ranks[start:start + len(block)] = (sign * block).argsort(axis=1).argsort(axis=1) + 1  # ties have prob. 0
    tail = (1 - level) / 2
    point = stats.rankdata(sign * prior.shrink(y, n), method="min")
    return pd.DataFrame({"rank": point.astype(int), "rank_mean": ranks.mean(axis=0),
                         "rank_low": np.floor(np.quantile(ranks, tail, axis=0)).astype(int),
                         "rank_high": np.ceil(np.quantile(ranks, 1 - tail, axis=0)).astype(int)})


# --- runs of zero-event cycles ---------------------------------------------

def zero_run_probability(sizes: Sequence[float], rate: float, k: int) -> float:
    """Exact probability of at least one run of ``k`` consecutive cycles with no event.

    Cycle t has no event with probability (1 - rate)^n_t, independently; a NaN
    size (a cycle with no data) breaks a run. Dynamic programming over the
    length of the current run.
    """
    if k <= 0:
        return 1.0
    q = np.where(np.isfinite(np.asarray(sizes, float)), (1 - rate) ** np.nan_to_num(sizes), 0.0)
    state = np.zeros(k)  # state[j]: no run of k yet, current run of zeros has length j
    state[0], hit = 1.0, 0.0
    for qt in q:
        new = np.zeros(k)
        new[0] = state.sum() * (1 - qt)
        new[1:] = state[:-1] * qt
        hit += state[-1] * qt
        state = new
    return float(hit)


def longest_zero_run(events: Sequence[float]) -> int:
    """The longest run of consecutive zeros (a NaN breaks a run)."""
    best = run = 0
    for e in events:
        run = run + 1 if e == 0 else 0
        best = max(best, run)
    return best


# --- the league table ------------------------------------------------------

def _cycle_order(panel: pd.DataFrame) -> pd.Series:
    return panel["year"].astype(int) * 2 + panel["half"].astype(int) - 1


def _bound(value: int | str, *, end: bool) -> int:
    text = str(value).strip().upper()
    if text.isdigit():
        return int(text) * 2 + (1 if end else 0)
    if len(text) == 6 and text[:4].isdigit() and text[4] == "H" and text[5] in "12":
        return int(text[:4]) * 2 + int(text[5]) - 1
    raise InputError(f"a period bound is a year (2021) or a cycle (2021H1), not {value!r}")


def _select(panel: pd.DataFrame, measure: str, period) -> tuple[pd.DataFrame, str, str]:
    if measure not in MEASURES:
        raise InputError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    num, den, _ = MEASURES[measure]
    missing = [c for c in (num, den, "district", "year", "half") if c not in panel]
    if missing:
        raise InputError(f"the {measure} league table needs column(s) {', '.join(missing)}")
    data = panel.assign(_order=_cycle_order(panel))
    data.attrs = {}  # the reader's attrs are large and pandas copies them on every step
    if period is not None:
        lo, hi = _bound(period[0], end=False), _bound(period[1], end=True)
        data = data[(data["_order"] >= lo) & (data["_order"] <= hi)]
    data = data.assign(**{c: pd.to_numeric(data[c], errors="coerce").astype(float) for c in (num, den)})
    data = data[data[num].notna() & data[den].notna() & (data[den] > 0)]
    if data.empty:
        raise InputError(f"no rows with {num} and {den} in the period chosen")
    return data, num, den


def _nested_with(col: str) -> set[str]:
    """Counts of people the scorecard nests ``col`` with (funnel, orderings, shares of SCHEMA.md)."""
    people = people_columns()
    pairs = [(a, b) for a in FUNNEL_STAGES for b in FUNNEL_STAGES]
    pairs += [(a, b) for a, b, _ in PANEL_ORDERINGS] + [(a, b) for a, b, _ in DERIVED_RATES.values()]
    return {b if a == col else a for a, b in pairs if col in (a, b) and a != b and {a, b} <= people}


def _unsafe_totals(data: pd.DataFrame, col: str, threshold: int) -> pd.Series:
    """Per district: would its total of ``col``, beside its cycles in the scorecard's funnel, reveal a hidden cycle?

    The funnel hides a cycle's count when it is from 1 to threshold - 1, or when it
    differs from a count of people nested with it in that row by so little
    (:func:`_nested_with`; a scheme's own shares are not known here);
    it never hides a 0. The total minus the cycles shown leaves the hidden ones'
    sum, over cells each holding at least one person (:func:`remainder_safe`).
    Adding a hidden cell of one person or more never makes that easier, so judging
    the small cells alone is safe whatever else the funnel hides; a district with
    no small cell but a cell the funnel may hide alone is hidden too.
    """
    t = threshold
    x = data[col]
    small = (x > 0) & (x < t)
    near = pd.Series(False, index=data.index)
    for other in _nested_with(col):
        if other in data:
            gap = (x - pd.to_numeric(data[other], errors="coerce")).abs()
            near |= (gap > 0) & (gap < t) & (x > 0)
    g = pd.DataFrame({"k": small.astype(int), "rest": x.where(small, 0.0), "alone": near & ~small,
                      "key": data["_key"]}).groupby("key")
    k, rest, alone = g["k"].sum(), g["rest"].sum(), g["alone"].any()
    safe = [remainder_safe(r, int(n), t) for r, n in zip(rest, k)]
    return (~pd.Series(safe, index=k.index, dtype=bool)) | ((k == 0) & alone)


def _by_district(data: pd.DataFrame, num: str, den: str, threshold: int) -> pd.DataFrame:
    key = district_key(data)
    data = data.assign(_key=data[key].astype(str)).sort_values("_order")
    events = data.pivot_table(index="_key", columns="_order", values=num, aggfunc="sum", dropna=False)
    sizes = data.pivot_table(index="_key", columns="_order", values=den, aggfunc="sum", dropna=False)
    names = data.groupby("_key")["district"].last()
    return pd.DataFrame({
        "district": names.reindex(events.index).astype(str).to_numpy(), "district_key": events.index.to_numpy(),
        "events": events.sum(axis=1).to_numpy(), "size": sizes.sum(axis=1).to_numpy(),
        "cycles": data.groupby("_key").size().reindex(events.index).to_numpy(),
        "_sizes": list(sizes.to_numpy()), "_events": list(events.to_numpy()),
        "_hide_events": _unsafe_totals(data, num, threshold).reindex(events.index).to_numpy(),
        "_hide_size": _unsafe_totals(data, den, threshold).reindex(events.index).to_numpy()})


def _flag(rate: np.ndarray, limits: pd.DataFrame) -> list[str]:
    out = []
    for r, (_, lim) in zip(rate, limits.iterrows()):
        if r > lim["high_99.8"]:
            out.append("above_99.8")
        elif r > lim["high_95"]:
            out.append("above_95")
        elif r < lim["low_99.8"]:
            out.append("below_99.8")
        elif r < lim["low_95"]:
            out.append("below_95")
        else:
            out.append("within")
    return out


def league_table(
    panel: pd.DataFrame,
    measure: Measure = "return",
    *,
    period: tuple[int | str, int | str] | None = None,
    overdispersion_model: Literal["none", "multiplicative", "additive"] = "none",
    shrinkage: Literal["mle", "moments"] = "mle",
    level: float = 0.95,
    draws: int = 4000,
    seed: int = 20261201,
    threshold: int = SUPPRESSION_THRESHOLD,
) -> "LeagueTable":
    """A league table of districts for the return rate or the sign-up rate over a period.

    Parameters
    ----------
    panel : canonical panel.
    measure : ``"return"`` (returned / enlisted, lower is better) or ``"signup"``
        (applicants / eligible_youth, higher is better).
    period : (first, last) year or cycle, inclusive, e.g. ``(2021, "2025H1")``; None for all.
    overdispersion_model : ``"none"`` for exact binomial funnel limits; otherwise
        normal limits widened by phi (multiplicative) or tau^2 (additive), estimated
        from the data (reported either way).
    shrinkage : how the beta-binomial prior is fitted (``"mle"`` or ``"moments"``).
    level : coverage of the rank intervals.
    draws, seed : posterior draws for the ranks and their seed.
    threshold : disclosure-control threshold for what is published.

    Returns
    -------
    :class:`LeagueTable`.
    """
    threshold = check_threshold(threshold)
    if not 0 < level < 1 or draws < 100:
        raise InputError("level must be between 0 and 1 and draws at least 100")
    data, num, den = _select(panel, measure, period)
    units = _by_district(data, num, den, threshold)
    if len(units) < 2:
        raise InputError("a league table needs at least two districts")
    y, n = units["events"].to_numpy(), units["size"].to_numpy()
    if 0 < y.sum() < threshold or 0 < n.sum() - y.sum() < threshold:  # the pooled rate would reveal it
        raise InputError(f"fewer than {threshold} {num} (or non-{num}) in all districts together in the period: "
                         "too few for a league table that can be published")
    pooled = float(y.sum() / n.sum())
    od = overdispersion(y, n, pooled)
    phi = max(od.phi, 1.0) if overdispersion_model == "multiplicative" else 1.0
    tau2 = od.tau2 if overdispersion_model == "additive" else 0.0
    limits = funnel_limits(n, pooled, phi=phi, tau2=tau2)
    prior = fit_beta_binomial(y, n, method=shrinkage)
    better = MEASURES[measure][2]
    ranks = rank_intervals(y, n, prior, better=better, level=level, draws=draws, seed=seed)
    units["rate"] = y / n
    units["shrunken_rate"] = prior.shrink(y, n)
    units = pd.concat([units, ranks, limits.drop(columns="n")], axis=1)
    units["flag"] = _flag(units["rate"].to_numpy(), limits)
    if measure == "return":  # runs of zero sign-ups are no boast anyone makes
        units["longest_zero_run"] = [longest_zero_run(e) for e in units["_events"]]
        units["p_zero_run"] = [zero_run_probability(s, pooled, k) for s, k in
                               zip(units["_sizes"], units["longest_zero_run"])]
    sizes = dict(zip(units["district_key"], units["_sizes"]))
    units = units.drop(columns=["_sizes", "_events"]).rename(
        columns={"events": num, "size": den, "_hide_events": f"_hide_{num}", "_hide_size": f"_hide_{den}"})
    return LeagueTable(measure, num, den, better, _period_text(data), pooled, od, overdispersion_model,
                       phi, tau2, prior, level, draws, seed, threshold, units,
                       bool(panel.attrs.get("synthetic", False)), sizes)


def _period_text(data: pd.DataFrame) -> str:
    lo, hi = data["_order"].min(), data["_order"].max()
    return f"{lo // 2}H{lo % 2 + 1}–{hi // 2}H{hi % 2 + 1}"


_DERIVED = ("shrunken_rate", "rank", "rank_mean", "rank_low", "rank_high", "flag", "longest_zero_run", "p_zero_run")
_RANKS = ("rank", "rank_mean", "rank_low", "rank_high")


@dataclass(frozen=True)
class LeagueTable:
    """A league table with its funnel limits, shrinkage, ranks and zero runs.

    ``table`` is what may be published (disclosure control applied, ranks among
    the districts that can be shown); ``unsuppressed()`` is for the analyst only.
    """

    measure: str
    numerator: str
    denominator: str
    better: str
    period: str
    pooled_rate: float
    dispersion: Overdispersion
    overdispersion_model: str
    phi: float
    tau2: float
    prior: BetaPrior
    level: float
    draws: int
    seed: int
    threshold: int
    data: pd.DataFrame = field(repr=False)
    synthetic: bool = False
    sizes: dict = field(default_factory=dict, repr=False)

    def unsuppressed(self) -> pd.DataFrame:
        """Every district with its counts, unprotected: NOT for publication."""
        return self.data.drop(columns=[c for c in self.data if c.startswith("_")])

    @cached_property
    def _protected(self):
        counts = [self.numerator, self.denominator]
        forced = pd.DataFrame({c: self.data[f"_hide_{c}"] for c in counts})
        guarded = protect(self.unsuppressed(), counts=counts, ratios={"rate": (self.numerator, self.denominator)},
                          threshold=self.threshold, column_totals=True, hide=forced,
                          derived={c: counts for c in _DERIVED})
        shown = ~guarded.mask["rate"].to_numpy()
        values, mask = guarded.values, guarded.mask
        if shown.sum() >= 2 and (~shown).any():  # rank only what is shown, so gaps reveal nothing
            sub = self.unsuppressed()[shown]
            ranks = rank_intervals(sub[self.numerator].to_numpy(), sub[self.denominator].to_numpy(), self.prior,
                                   better=self.better, level=self.level, draws=self.draws, seed=self.seed)
            values.loc[shown, ranks.columns] = ranks.to_numpy()
        elif shown.sum() < 2 and (~shown).any():  # "3rd" of one shown would say both hidden ones do worse
            ranks = [c for c in _RANKS if c in values]
            values[ranks] = np.nan
            mask[ranks] = True
        return values, mask

    @property
    def table(self) -> pd.DataFrame:
        """The publishable table: hidden cells NaN/None, sorted by rank (hidden districts last)."""
        values, _ = self._protected
        return values.sort_values(["rank", "district"], na_position="last").reset_index(drop=True)

    @property
    def n_hidden(self) -> int:
        """How many districts' rates cannot be published."""
        return int(self._protected[1]["rate"].sum())

    def formatted(self, lang: str = "zh") -> pd.DataFrame:
        """The publishable table with labelled columns, hidden cells marked ``*``, flags in words."""
        values, mask = self._protected
        order = values.sort_values(["rank", "district"], na_position="last").index
        cols = [c for c in ("district", self.numerator, self.denominator, "rate", "shrunken_rate", "rank",
                            "rank_low", "rank_high", "flag", "longest_zero_run", "p_zero_run") if c in values]
        shown = values.loc[order, cols].astype(object)
        for col in (self.numerator, self.denominator, "rank", "rank_low", "rank_high", "longest_zero_run"):
            if col in shown:
                shown[col] = pd.Series([None if pd.isna(v) else int(v) for v in shown[col]], index=shown.index,
                                       dtype=object)
        out = shown.where(~mask.loc[order, cols], SUPPRESSED_MARK)
        out["flag"] = [_FLAG_TEXT[lang].get(f, f) for f in out["flag"]]
        labels = _labels(self, lang)
        out = out.rename(columns=labels).reset_index(drop=True)
        out.attrs["formats"] = {labels["rate"]: "0.00%", labels["shrunken_rate"]: "0.00%",
                                labels[self.numerator]: "#,##0", labels[self.denominator]: "#,##0",
                                **({labels["p_zero_run"]: "0.000"} if "p_zero_run" in labels else {})}
        out.attrs["note"] = suppression_note(self.threshold, lang)
        return out

    def funnel_curve(self, points: int = 200) -> pd.DataFrame:
        """Control limits along a grid of unit sizes, for drawing the funnel plot."""
        lo = max(1.0, 0.8 * float(self.data[self.denominator].min()))
        hi = 1.2 * float(self.data[self.denominator].max())
        grid = np.unique(np.round(np.geomspace(lo, hi, points)))
        out = funnel_limits(grid, self.pooled_rate, phi=self.phi, tau2=self.tau2)
        out.insert(1, "pooled_rate", self.pooled_rate)
        return out

    def funnel_points(self) -> pd.DataFrame:
        """The districts that may be drawn: name, size (``n``), raw rate and flag (hidden ones left out)."""
        values, mask = self._protected
        keep = ~mask["rate"]
        return values.loc[keep, ["district", "district_key", self.denominator, "rate", "flag"]].rename(
            columns={self.denominator: "n"}).reset_index(drop=True)

    def zero_run_chance(self, district: str, k: int) -> float:
        """Chance that ``district`` (name or key), at the pooled rate and its own cycle sizes, has a
        run of at least ``k`` cycles without an event: to check a boast such as "zero returns for
        three cycles"."""
        keys = self.data.loc[(self.data["district"] == district) | (self.data["district_key"] == district),
                             "district_key"]
        if keys.empty:
            raise InputError(f"no district {district!r} in the league table")
        return zero_run_probability(self.sizes[keys.iloc[0]], self.pooled_rate, int(k))

    def statements(self, lang: str = "zh") -> list[str]:
        """Plain sentences on which rankings and claims the data can support."""
        return _statements(self, lang)

    def to_dict(self) -> dict:
        """JSON-safe summary: settings, pooled rate, prior, dispersion and the publishable rows."""
        rows = self.table.replace({np.nan: None}).to_dict(orient="records")
        return {"measure": self.measure, "numerator": self.numerator, "denominator": self.denominator,
                "better": self.better, "period": self.period, "pooled_rate": self.pooled_rate,
                "overdispersion": {"phi": self.dispersion.phi, "p_value": self.dispersion.p_value,
                                   "tau2": self.dispersion.tau2, "model": self.overdispersion_model},
                "prior": {"a": self.prior.a, "b": self.prior.b, "method": self.prior.method},
                "level": self.level, "draws": self.draws, "seed": self.seed, "threshold": self.threshold,
                "synthetic": self.synthetic, "rows": rows}


_FLAG_TEXT = {
    "zh": {"above_99.8": "高于99.8%控制限", "above_95": "高于95%控制限", "within": "在控制限内",
           "below_95": "低于95%控制限", "below_99.8": "低于99.8%控制限"},
    "en": {"above_99.8": "above 99.8% limit", "above_95": "above 95% limit", "within": "within limits",
           "below_95": "below 95% limit", "below_99.8": "below 99.8% limit"},
}


def _labels(lt: LeagueTable, lang: str) -> dict[str, str]:
    what = {"return": ("退兵率", "Return rate"), "signup": ("报名率", "Sign-up rate")}[lt.measure]
    zh = {"district": "区县", "returned": "退兵人数", "enlisted": "批准入伍人数", "applicants": "应征报名人数",
          "eligible_youth": "适龄青年数", "rate": what[0], "shrunken_rate": f"{what[0]}（收缩估计）",
          "rank": "排名", "rank_low": "排名区间下限", "rank_high": "排名区间上限", "flag": "控制限判断",
          "longest_zero_run": "最长连续零退兵批次", "p_zero_run": "偶然出现该连续零退兵的概率"}
    en = {"district": "District", "returned": "Returned", "enlisted": "Enlisted", "applicants": "Applicants",
          "eligible_youth": "Eligible youth", "rate": what[1], "shrunken_rate": f"{what[1]} (shrunken)",
          "rank": "Rank", "rank_low": "Rank interval low", "rank_high": "Rank interval high",
          "flag": "Funnel plot", "longest_zero_run": "Longest run of zero-return cycles",
          "p_zero_run": "Chance of such a run"}
    if lt.measure == "signup":
        for d in (zh, en):
            d.pop("longest_zero_run"), d.pop("p_zero_run")
    return zh if lang == "zh" else en


def _prob(p: float, *, eq: str = "= ", below: str = "< ") -> str:
    """A probability as people read it: "< 0.001" rather than 1e-05."""
    return f"{below}0.001" if p < 0.001 else f"{eq}{p:.2g}"


def _names(frame: pd.DataFrame, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(frame["district"].astype(str))


def _first_sentence(first: pd.DataFrame, pct: str, lang: str) -> str:
    """Whether any district can be called first: only when its rank interval is 1-1."""
    name = _names(first, lang)
    high = int(first["rank_high"].iloc[0]) if len(first) == 1 else 0
    if lang == "zh":
        if len(first) == 1:
            return (f"只有{name}可以称为第一（{pct}排名区间为第1名）。" if high == 1 else
                    f"只有{name}的{pct}排名区间包含第1名，但区间为1–{high}，只能说它可能排名第一。")
        return f"{len(first)}个区县的{pct}排名区间包含第1名，数据不能说明哪个区县“排名第一”。"
    if len(first) == 1:
        return (f"Only {name} can be called first (its {pct} rank interval is 1–1)." if high == 1 else
                f"Only {name}'s {pct} rank interval includes first place, but it runs 1–{high}: probably, "
                "not surely, first.")
    return (f"{len(first)} districts have {pct} rank intervals that include first place: the data cannot say "
            "which district is first.")


def _rank_sentences(lt: LeagueTable, shown: pd.DataFrame, lang: str) -> list[str]:
    units = len(shown)
    wide = int(((shown["rank_high"] - shown["rank_low"]) >= units / 2).sum())
    first = shown[shown["rank_low"] <= 1]
    top = shown[shown["rank_high"] <= max(1, units // 4)]
    bottom = shown[shown["rank_low"] > units - max(1, units // 4)]
    pct = f"{100 * lt.level:g}%"
    if lang == "zh":
        out = [f"{units}个区县中，{wide}个的{pct}排名区间宽于排名表的一半（{units / 2:g}位），其排名不能据此比较。"]
        out.append(_first_sentence(first, pct, lang))
        if len(top):
            out.append(f"排名区间全在前四分之一的区县：{_names(top, lang)}。")
        if len(bottom):
            out.append(f"排名区间全在后四分之一的区县：{_names(bottom, lang)}。")
        return out
    out = [f"Ranks of {wide} of {units} districts have {pct} intervals wider than half the table "
           f"({units / 2:g} places): their ranks cannot be compared."]
    out.append(_first_sentence(first, pct, lang))
    if len(top):
        out.append(f"Districts whose rank interval lies within the best quarter: {_names(top, lang)}.")
    if len(bottom):
        out.append(f"Districts whose rank interval lies within the worst quarter: {_names(bottom, lang)}.")
    return out


def _funnel_sentences(lt: LeagueTable, shown: pd.DataFrame, units: int, lang: str) -> list[str]:
    out95 = shown[shown["flag"] != "within"]
    out998 = shown[shown["flag"].str.endswith("99.8")]
    expected = 0.05 * units
    od = lt.dispersion
    if lang == "zh":
        s = [f"漏斗图：{len(out95)}个区县在95%控制限之外"
             + (f"（{_names(out95, lang)}）" if len(out95) else "")
             + f"，仅凭偶然预计约{expected:.1f}个；{len(out998)}个在99.8%控制限之外"
             + (f"（{_names(out998, lang)}）" if len(out998) else "") + "。"]
        s.append(f"区县间差异{'大于' if od.p_value < 0.05 else '未超出'}二项分布的偶然波动"
                 f"（离散系数φ={od.phi:.2f}，p{_prob(od.p_value, eq='=', below='<')}）；"
                 + ("控制限为精确二项分布限" if lt.phi == 1 and lt.tau2 == 0 else "控制限已按过度离散放宽")
                 + ("；超出控制限说明差异不只是偶然，但未必是工作好坏所致，可改用放宽的控制限。"
                    if od.p_value < 0.05 and lt.phi == 1 and lt.tau2 == 0 else "。"))
        return s
    s = [f"Funnel plot: {len(out95)} districts outside the 95% limits"
         + (f" ({_names(out95, lang)})" if len(out95) else "")
         + f", about {expected:.1f} expected by chance alone; {len(out998)} outside the 99.8% limits"
         + (f" ({_names(out998, lang)})" if len(out998) else "") + "."]
    s.append(f"Districts differ {'more than' if od.p_value < 0.05 else 'no more than'} binomial chance would give "
             f"(phi = {od.phi:.2f}, p {_prob(od.p_value)}); "
             + ("the limits are exact binomial" if lt.phi == 1 and lt.tau2 == 0 else
                "the limits are widened for overdispersion")
             + ("; a district outside them differs by more than chance, not necessarily by its own work, and "
                "limits widened for overdispersion may be the fairer comparison."
                if od.p_value < 0.05 and lt.phi == 1 and lt.tau2 == 0 else "."))
    return s


def _zero_run_sentence(lt: LeagueTable, lang: str) -> list[str]:
    """The district with the least likely run of zero-return cycles, among those that may be shown."""
    if "p_zero_run" not in lt.data:
        return []
    data = lt.data[~lt._protected[1]["longest_zero_run"].to_numpy()]
    if data.empty or data["longest_zero_run"].max() < 1:
        return []
    best = data.sort_values(["p_zero_run", "longest_zero_run"], ascending=[True, False]).iloc[0]
    k, p = int(best["longest_zero_run"]), float(best["p_zero_run"])
    none = np.prod([1 - zero_run_probability(s, lt.pooled_rate, k) for s in lt.sizes.values()])
    anyone = 1 - float(none)
    if lang == "zh":
        return [f"{best['district']}连续{k}个批次零退兵；按全体平均退兵率和该区县各批次人数，仅凭偶然出现这样长的"
                f"连续零退兵的概率{_prob(p, eq='为', below='小于')}；{len(lt.data)}个区县中至少一个仅凭偶然出现的概率{_prob(anyone, eq='为', below='小于')}。"]
    return [f"{best['district']} had {k} consecutive cycles without a return; at the pooled rate and its own cycle "
            f"sizes, a run that long happens by chance alone with probability {_prob(p, eq='')}, and the chance that at least "
            f"one of the {len(lt.data)} districts shows such a run is {_prob(anyone, eq='')}."]


def _statements(lt: LeagueTable, lang: str = "zh") -> list[str]:
    values, mask = lt._protected
    shown = values[~mask["rate"]]
    pct = f"{100 * lt.pooled_rate:.2f}%"
    what = {"return": ("退兵率", "return rate"), "signup": ("报名率", "sign-up rate")}[lt.measure]
    if lang == "zh":
        out = [f"{lt.period}{what[0]}：全体合计{pct}，{len(lt.data)}个区县。"]
        if len(shown) < len(lt.data):
            out.append(f"{len(lt.data) - len(shown)}个区县的数字会暴露少于{lt.threshold}人的计数，按保密规则不公布、不排名；"
                       + (f"排名只在公布的{len(shown)}个区县之间。" if len(shown) >= 2 else "公布的区县不足两个，不排名。"))
    else:
        out = [f"{what[1].capitalize()} {lt.period}: {pct} pooled over {len(lt.data)} districts."]
        if len(shown) < len(lt.data):
            out.append(f"{len(lt.data) - len(shown)} districts are neither shown nor ranked: their figures would "
                       f"reveal counts of fewer than {lt.threshold} people; "
                       + (f"ranks are among the {len(shown)} districts shown." if len(shown) >= 2 else
                          "fewer than two districts can be shown, so none is ranked."))
    if len(shown) >= 2:
        out += _rank_sentences(lt, shown, lang)
    out += _funnel_sentences(lt, shown, len(shown), lang)
    if lt.synthetic:
        out.append("以上为模拟数据。" if lang == "zh" else "These are synthetic data.")
    return out + _zero_run_sentence(lt, lang)
