"""Simulated power and minimal detectable effect for a planned lever evaluation.

Before an office asks "does publicity raise sign-ups?", :func:`power` answers
"could our data tell?": it draws many simulated panels of the planned size (a
planning simulation, not the user's data) from the simulator's data-generating
process (:mod:`recruitstats.simulate`: district propensities that confound the
levers, publicity and door visits varying around district levels with a trend,
stipends raised in a staggered year, Poisson sign-ups with multiplicative noise), fits each with the package's rate engine
(district fixed effect absorbed, cycle dummies, errors clustered by district)
and counts how often the lever's coefficient is significant.

Differences from :func:`recruitstats.simulate.simulate`, all for speed or design:
cycles are consecutive half-year call-ups (no pre-2020 annual cycles); levers are
drawn as continuous values (no rounding of spend, no Poisson door visits); the
sign-up noise is a log-normal frailty with the simulator's variance that may be
serially correlated within a district (``rho``; the simulator has ``rho = 0``).

Each simulation calls the engine's numerical core (``_irls``) on arrays, with no
pandas per simulation; a test checks that it gives exactly what
:func:`recruitstats.models.engine.fit_rate` gives on the same panel.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.inference import FEW_CLUSTERS, small_sample_factor
from recruitstats.measures import LEVERS
from recruitstats.models.engine import _Absorber, _irls, _mean_and_weight
from recruitstats.schema import SYNTHETIC_LABEL
from recruitstats.simulate import DEFAULT_EFFECTS, _LEVER_REF, _SIGNUP_RATE, _SIGNUP_SHAPE

__all__ = ["PowerResult", "power", "power_panel"]

Family = Literal["poisson", "binomial"]
Vcov = Literal["auto", "cluster", "jackknife"]

_TARGET_POWER = 0.80


@dataclass(frozen=True)
class PowerResult:
    """Simulated power of the test of one lever's coefficient.

    Attributes
    ----------
    power : share of simulations rejecting ``b = 0`` at ``alpha`` when the truth is ``effect``.
    size : share rejecting when the truth is 0 (the same panels, effect set to 0).
    mde : minimal detectable effect at 80% power, ``(t(1-alpha/2) + t(0.8)) * se`` with
        ``se`` the root mean square of the estimated standard errors under effect 0.
    power_mc_se, size_mc_se : Monte Carlo standard errors ``sqrt(p (1 - p) / sims)``.
    mean_estimate, sd_estimate, mean_se : of the coefficient under ``effect``.
    estimates, ses : per-simulation estimate and standard error under ``effect``.
    """

    power: float
    size: float
    mde: float
    alpha: float
    sims: int
    districts: int
    cycles: int
    effect: float
    lever: str
    family: str
    vcov: str
    rho: float
    seed: int
    clusters: int
    cluster: str
    city_sd: float
    design: str
    inference: str
    inference_zh: str
    power_mc_se: float
    size_mc_se: float
    mean_estimate: float
    sd_estimate: float
    mean_se: float
    failed: int
    estimates: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    ses: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the SCHEMA.md keys and the design and method."""
        keys = ["power", "mde", "alpha", "sims", "districts", "cycles", "effect", "size", "lever",
                "family", "vcov", "rho", "seed", "clusters", "cluster", "city_sd", "design", "inference",
                "power_mc_se", "size_mc_se",
                "mean_estimate", "sd_estimate", "mean_se", "failed"]
        out = {k: getattr(self, k) for k in keys}
        out = {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in out.items()}
        out = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}
        out.update(synthetic=True, data_label=SYNTHETIC_LABEL,
                   mde_rule="(t(1-alpha/2, G-1) + t(0.8, G-1)) * rms of estimated se under effect 0")
        return out

    def summary(self, lang: str = "en") -> str:
        """Two or three lines in Chinese (``zh``) or English (``en``)."""
        if lang == "zh":
            return (f"功效模拟（计划用的模拟面板，并非您的数据；{self.sims} 次模拟，{self.districts} 个区县 × "
                    f"{self.cycles} 个征集批次）：\n"
                    f"  {self.lever} 系数真值 {self.effect:g} 时检验功效 {self.power:.1%}"
                    f"（蒙特卡洛标准误 {self.power_mc_se:.1%}）；真值为 0 时拒绝率 {self.size:.1%}"
                    f"（名义 {self.alpha:.0%}）\n"
                    f"  80% 功效下的最小可检测效应 {self.mde:.3f}；推断：{self.inference_zh}")
        return (f"Simulated power (simulated panels: planning simulation, not your data; {self.sims} simulations, "
                f"{self.districts} districts x {self.cycles} cycles):\n"
                f"  power {self.power:.1%} (Monte Carlo se {self.power_mc_se:.1%}) to detect a {self.lever} "
                f"coefficient of {self.effect:g}; rejection rate at effect 0: {self.size:.1%} "
                f"(nominal {self.alpha:.0%})\n"
                f"  minimal detectable effect at 80% power: {self.mde:.3f}; inference: {self.inference}")


# --- checks -----------------------------------------------------------------

register_messages({
    "pw.file": {"en": "power options", "zh": "功效模拟选项"},
    "pw.eg": {"en": "e.g. {x}", "zh": "例如 {x}"},
    "pw.districts": {"en": "districts must be a whole number from 3 to 10000, got {value!r}",
                     "zh": "区县数 districts 须为 3 到 10000 之间的整数，而不是 {value!r}"},
    "pw.cycles": {"en": "cycles must be a whole number from 3 to 200, got {value!r}",
                  "zh": "批次数 cycles 须为 3 到 200 之间的整数，而不是 {value!r}"},
    "pw.sims": {"en": "sims must be a whole number from 1 to 1000000, got {value!r}",
                "zh": "模拟次数 sims 须为 1 到 1000000 之间的整数，而不是 {value!r}"},
    "pw.seed": {"en": "seed must be a non-negative integer, got {value!r}", "zh": "随机种子 seed 须为非负整数，而不是 {value!r}"},
    "pw.effect": {"en": "effect must be a number in [-3, 3] (a log-rate coefficient), got {value!r}",
                  "zh": "效应 effect 须为 -3 到 3 之间的数（对数率系数），而不是 {value!r}"},
    "pw.alpha": {"en": "alpha must be between 0 and 0.5, got {value!r}", "zh": "显著性水平 alpha 须在 0 与 0.5 之间，而不是 {value!r}"},
    "pw.lever": {"en": "unknown lever {value!r}", "zh": "杠杆“{value}”不存在"},
    "pw.family": {"en": "unknown family {value!r}", "zh": "模型族“{value}”不存在"},
    "pw.family.expected": {"en": "poisson or binomial", "zh": "poisson 或 binomial"},
    "pw.vcov": {"en": "unknown vcov {value!r}", "zh": "标准误方法“{value}”不存在"},
    "pw.vcov.expected": {"en": "auto, cluster or jackknife", "zh": "auto、cluster 或 jackknife"},
    "pw.rho": {"en": "rho (serial correlation of the noise) must be in (-1, 1), got {value!r}",
               "zh": "rho（噪声的序列相关）须在 -1 与 1 之间，而不是 {value!r}"},
    "pw.cities": {"en": "cities must be a whole number from 2 to the number of districts, got {value!r}",
                  "zh": "地市数 cities 须为 2 到区县数之间的整数，而不是 {value!r}"},
    "pw.city_sd": {"en": "city_sd must be in [0, 2), got {value!r}", "zh": "city_sd 须在 0（含）与 2 之间，而不是 {value!r}"},
    "pw.city_sd_needs": {"en": "a city shock needs the number of cities (cities=...)",
                         "zh": "地市冲击需要给出地市数（cities=...）"},
    "pw.treated_share": {"en": "treated_share must be in (0, 1], got {value!r}",
                         "zh": "treated_share 须大于 0 且不超过 1，而不是 {value!r}"},
    "pw.start_cycle": {"en": "start_cycle must be a cycle from 1 to cycles - 1, got {value!r}",
                       "zh": "start_cycle 须为 1 到 cycles - 1 之间的批次，而不是 {value!r}"},
    "pw.change_pct": {"en": "change_pct must be a non-zero change above -100%, got {value!r}",
                      "zh": "change_pct 须为大于 -100% 的非零变化，而不是 {value!r}"},
    "pw.unfitted": {"en": "no simulated panel could be fitted; the design is too small to estimate the model",
                    "zh": "没有一个模拟面板能够拟合：设计规模太小，无法估计模型"},
})


def _check(districts, cycles, effect, sims, seed, alpha, lever, family, vcov, rho, cities=None,
           city_sd=0.0, plan=None) -> None:
    problems: list[Problem] = []

    def bad(option: str, value: object, expected: str, key: str | None = None) -> None:
        message = tr(key or f"pw.{option}", value=value)
        problems.append(Problem(message, file=tr("pw.file"), column=option, expected=expected))

    def eg(x: str) -> str:
        return tr("pw.eg", x=x)

    def is_int(x) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if not is_int(districts) or not 3 <= districts <= 10_000:
        bad("districts", districts, eg("45"))
    if not is_int(cycles) or not 3 <= cycles <= 200:
        bad("cycles", cycles, eg("10"))
    if not is_int(sims) or not 1 <= sims <= 1_000_000:
        bad("sims", sims, eg("1000"))
    if not is_int(seed) or seed < 0:
        bad("seed", seed, "0, 1, 2, ...")
    if not isinstance(effect, (int, float)) or isinstance(effect, bool) or not math.isfinite(effect) \
            or abs(effect) > 3:
        bad("effect", effect, eg("0.1"))
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        bad("alpha", alpha, eg("0.05"))
    if lever not in LEVERS:
        bad("lever", lever, ", ".join(LEVERS))
    if family not in ("poisson", "binomial"):
        bad("family", family, tr("pw.family.expected"))
    if vcov not in ("auto", "cluster", "jackknife"):
        bad("vcov", vcov, tr("pw.vcov.expected"))
    if not isinstance(rho, (int, float)) or not -1 < rho < 1:
        bad("rho", rho, eg("0.3"))
    if cities is not None and (not is_int(cities) or not 2 <= cities <= (districts if is_int(districts) else 0)):
        bad("cities", cities, eg("8"))
    if not isinstance(city_sd, (int, float)) or not 0 <= city_sd < 2:
        bad("city_sd", city_sd, eg("0.05"))
    if city_sd and cities is None:
        bad("city_sd", city_sd, "cities=8", key="pw.city_sd_needs")
    if plan is not None:
        _, share, start, change = plan
        if not isinstance(share, (int, float)) or not 0 < share <= 1:
            bad("treated_share", share, eg("0.5"))
        if not is_int(start) or not 1 <= start <= (cycles - 1 if is_int(cycles) else 0):
            bad("start_cycle", start, eg("cycles // 2"))
        if not isinstance(change, (int, float)) or not math.isfinite(change) or not -1 < change <= 10 \
                or change == 0:
            bad("change_pct", change * 100 if isinstance(change, (int, float)) else change, eg("20"))
    if problems:
        raise InputError(problems)


# --- one synthetic panel (arrays: districts x cycles) -----------------------

def _city_of(n_d: int, cities: int | None) -> np.ndarray:
    """City of each district: consecutive blocks of (nearly) equal size; each its own without cities."""
    return np.arange(n_d) if cities is None else np.arange(n_d) * cities // n_d


def _draw(rng: np.random.Generator, n_d: int, n_t: int, rho: float, cities: int | None = None,
          city_sd: float = 0.0, plan: tuple | None = None) -> dict[str, np.ndarray]:
    """Design and noise of one panel, from the calibration of :func:`recruitstats.simulate.simulate`.

    ``city_sd`` adds a shock common to a city's districts in each cycle (``cities`` blocks).
    ``plan`` = (lever, treated share, first cycle, change): a planned change of the lever's
    column in randomly chosen districts from a given cycle on.
    """
    std = lambda *shape: rng.standard_normal(shape)  # noqa: E731
    a = std(n_d)
    years = np.arange(n_t) // 2                       # two call-ups a year
    since = (np.arange(n_t) / 2.0)[None, :]
    youth_y = np.rint(2200.0 * np.exp(0.45 * std(n_d))[:, None]
                      * np.exp(-0.015 * np.arange(years[-1] + 1)[None, :] + 0.02 * std(n_d, years[-1] + 1)))
    youth = youth_y[:, years]
    pub = 22.0 * np.exp(0.04 * since + (-0.35 * a + 0.20 * std(n_d))[:, None] + 0.30 * std(n_d, n_t))
    out100 = 20.0 * np.exp(0.03 * since + (-0.25 * a + 0.20 * std(n_d))[:, None] + 0.30 * std(n_d, n_t))
    ratio0 = 0.36 * np.exp(0.07 * std(n_d) - 0.03 * a)
    adopt = np.rint((n_t - 1) / 2 + 0.25 * n_t * (-0.8 * a + 0.6 * std(n_d)))
    raised = np.arange(n_t)[None, :] >= adopt[:, None]
    ratio = ratio0[:, None] * np.exp(rng.uniform(0.12, 0.28, n_d)[:, None] * raised + 0.015 * std(n_d, n_t))
    levers = {"publicity": np.log(pub) - _LEVER_REF["publicity"],
              "stipend": np.log(ratio) - _LEVER_REF["stipend"],
              "outreach": np.log1p(out100) - _LEVER_REF["outreach"]}
    if plan is not None:
        _planned(rng, levers, plan, n_d, n_t, ratio0=ratio0, out100=out100, noise=0.015 * std(n_d, n_t))
    # frailty: log-normal with the simulator's gamma variance, AR(1) along cycles within a district
    s2 = math.log1p(1 / _SIGNUP_SHAPE)
    e = std(n_d, n_t) * math.sqrt(s2)
    u = np.empty_like(e)
    u[:, 0] = e[:, 0]
    for t in range(1, n_t):
        u[:, t] = rho * u[:, t - 1] + math.sqrt(1 - rho**2) * e[:, t]
    base = (math.log(_SIGNUP_RATE * 0.5) + 0.30 * a[:, None] - 0.01 * since + 0.05 * std(1, n_t)
            + u - s2 / 2)
    if city_sd:
        base = base + city_sd * std(int(cities), n_t)[_city_of(n_d, cities)] - city_sd**2 / 2
    return {"youth": youth, "levers": levers, "base": base}


def _planned(rng, levers, plan, n_d, n_t, *, ratio0, out100, noise) -> None:
    """Apply a planned change to the lever values in place (see :func:`_draw`)."""
    lever, share, start, change = plan
    treated = rng.permutation(n_d) < max(1, round(share * n_d))
    factor = np.where(treated[:, None] & (np.arange(n_t)[None, :] >= start), 1 + change, 1.0)
    if lever == "stipend":  # the planned reform replaces the simulator's own staggered raises
        levers["stipend"] = np.log(ratio0[:, None] * np.exp(noise) * factor) - _LEVER_REF["stipend"]
    elif lever == "publicity":
        levers["publicity"] = levers["publicity"] + np.log(factor)
    else:
        levers["outreach"] = np.log1p(out100 * factor) - _LEVER_REF["outreach"]


def _applicants(rng: np.random.Generator, draw: dict, coefs: dict[str, float]) -> np.ndarray:
    eta = draw["base"] + sum(coefs[k] * draw["levers"][k] for k in LEVERS)
    return np.minimum(rng.poisson(draw["youth"] * np.exp(eta)), draw["youth"]).astype(float)


def _coefs(lever: str, effect: float) -> dict[str, float]:
    coefs = dict(DEFAULT_EFFECTS["signup"])
    coefs[lever] = float(effect)
    return coefs


def power_panel(*, districts: int, cycles: int, effect: float, seed: int, lever: str = "publicity",
                rho: float = 0.3, cities: int | None = None, city_sd: float = 0.0) -> pd.DataFrame:
    """One synthetic panel of the kind :func:`power` simulates (for inspection and tests).

    Columns: ``city``, ``district``, ``cycle_index``, ``eligible_youth``, ``applicants``,
    the three lever values (already transformed and centred) and ``data_source``.
    """
    _check(districts, cycles, effect, 1, seed, 0.05, lever, "poisson", "auto", rho, cities, city_sd)
    rng = np.random.default_rng(seed)
    draw = _draw(rng, districts, cycles, rho, cities, city_sd)
    y = _applicants(rng, draw, _coefs(lever, effect))
    frame = pd.DataFrame({"city": np.repeat([f"模拟市{c + 1}" for c in _city_of(districts, cities)], cycles),
                          "district": np.repeat([f"模拟区{i + 1}" for i in range(districts)], cycles),
                          "cycle_index": np.tile(np.arange(cycles), districts),
                          "eligible_youth": draw["youth"].ravel(), "applicants": y.ravel()})
    for k in LEVERS:
        frame[k] = draw["levers"][k].ravel()
    frame["data_source"] = SYNTHETIC_LABEL
    return frame


# --- fitting one panel with the engine's core --------------------------------

class _Fitter:
    """The sign-up model of the panels: district effect absorbed, cycle dummies, three levers."""

    def __init__(self, n_d: int, n_t: int, lever: str, family: Family, vcov: Vcov,
                 cities: int | None = None) -> None:
        self.n_d, self.n_t, self.family = n_d, n_t, family
        self.k = LEVERS.index(lever)
        self.absorber = _Absorber(np.repeat(np.arange(n_d), n_t), n_d, None)
        self.dummies = np.tile(np.eye(n_t)[:, 1:], (n_d, 1))
        self.cluster = "district" if cities is None else "city"
        self.group = _city_of(n_d, cities)            # cluster of each district
        self.n_g = int(self.group.max()) + 1
        self.jackknife = vcov == "jackknife" or (vcov == "auto" and self.n_g < FEW_CLUSTERS)
        if self.jackknife:  # leave one cluster out: rows kept and the absorber of the remaining districts
            self.leave_out = []
            for g in range(self.n_g):
                kept = np.nonzero(self.group != g)[0]
                self.leave_out.append((np.repeat(self.group != g, n_t),
                                       _Absorber(np.repeat(np.arange(len(kept)), n_t), len(kept), None)))

    def describe(self, lang: str = "en") -> str:
        g, by = self.n_g, self.cluster
        if lang == "zh":
            unit = "区县" if by == "district" else "地市"
            method = f"CRV3 逐一剔除{unit}刀切法" if self.jackknife else "CRV1（fixest 小样本校正）"
            return f"按{unit}聚类稳健标准误（{g} 个聚类），{method}，t({g - 1}) 临界值"
        if self.jackknife:
            return (f"cluster-robust by {by} ({g} clusters): CRV3 leave-one-cluster-out jackknife, "
                    f"t({g - 1}) critical values (the package default below {FEW_CLUSTERS} clusters)")
        return (f"cluster-robust by {by} ({g} clusters): CRV1 with the fixest small-sample factor, "
                f"t({g - 1}) critical values")

    def fit(self, y: np.ndarray, n: np.ndarray, levers: dict[str, np.ndarray]) -> tuple[float, float]:
        """(estimate, se) of the lever's coefficient; NaN when the fit fails."""
        X = np.column_stack([np.column_stack([levers[k].ravel() for k in LEVERS]), self.dummies])
        y, n = y.ravel(), n.ravel()
        offset = np.log(n) if self.family == "poisson" else np.zeros_like(n)
        try:
            beta, eta, converged, _ = _irls(y, n, offset, X, self.absorber, self.family)
        except InputError:
            return math.nan, math.nan
        if not converged:
            return math.nan, math.nan
        if self.jackknife:
            var = self._jackknife(y, n, offset, X, beta[self.k], eta)
        else:
            mu, w = _mean_and_weight(eta, n, self.family)
            Xt = self.absorber.demean(X, w)
            bread = np.linalg.pinv(Xt.T @ (Xt * w[:, None]))
            by_district = (Xt * (y - mu)[:, None]).reshape(self.n_d, self.n_t, -1).sum(axis=1)
            sums = np.zeros((self.n_g, X.shape[1]))
            np.add.at(sums, self.group, by_district)
            row = bread[self.k] @ sums.T          # the lever's row of bread @ scores, per cluster
            # K counts the regressors and dummies plus one for the district effect nested in the clusters
            var = float(row @ row) * small_sample_factor(len(y), X.shape[1] + 1, self.n_g)
        return float(beta[self.k]), math.sqrt(var) if var >= 0 else math.nan

    def _jackknife(self, y, n, offset, X, b: float, eta: np.ndarray) -> float:
        draws = np.empty(self.n_g)
        for g, (keep, absorber) in enumerate(self.leave_out):
            try:  # each leave-one-district-out fit starts from the full-sample linear predictor
                beta, _, converged, _ = _irls(y[keep], n[keep], offset[keep], X[keep], absorber, self.family,
                                              eta0=eta[keep])
            except InputError:
                return math.nan
            draws[g] = beta[self.k] if converged else math.nan
        return float((self.n_g - 1) / self.n_g * np.sum((draws - b) ** 2))


# --- the public entry point ---------------------------------------------------

def power(
    districts: int,
    cycles: int,
    effect: float,
    sims: int,
    seed: int,
    *,
    alpha: float = 0.05,
    lever: str = "publicity",
    family: Family = "poisson",
    vcov: Vcov = "auto",
    rho: float = 0.3,
    cities: int | None = None,
    city_sd: float = 0.0,
    treated_share: float | None = None,
    start_cycle: int | None = None,
    change_pct: float = 20.0,
    progress: bool | None = None,
) -> PowerResult:
    """Simulated power, size and minimal detectable effect of the test of one lever.

    Parameters
    ----------
    districts, cycles : planned panel: districts (the clusters) and consecutive call-up cycles.
    effect : true coefficient of ``lever`` (a log-rate coefficient; for publicity and
        stipend an elasticity). The other levers keep the simulator's default effects.
    sims : number of simulated panels.
    seed : seed of the simulations (each simulation gets its own child seed).
    alpha : two-sided significance level.
    lever : ``"publicity"``, ``"stipend"`` (a staggered raise) or ``"outreach"``.
    family : model fitted: ``"poisson"`` (log rate) or ``"binomial"`` (logit of the share).
    vcov : ``"auto"`` (the package default: CRV1, or below 40 clusters the CRV3
        jackknife), ``"cluster"`` (CRV1) or ``"jackknife"`` (CRV3); t(G-1) critical values.
    rho : AR(1) correlation of the sign-up noise along cycles within a district (the
        simulator has 0; 0.3 is a cautious default for real panels).
    cities : group the districts into this many cities and cluster errors by city (the
        evaluation then has ``cities`` clusters); None: clusters are districts.
    city_sd : standard deviation of a shock common to a city's districts in each cycle
        (log scale; needs ``cities``).
    treated_share, start_cycle, change_pct : a planned change instead of the simulator's
        lever variation: the lever's column changes by ``change_pct`` percent in a random
        ``treated_share`` of districts from cycle ``start_cycle`` (0-based; default the middle)
        on. For the stipend it replaces the simulator's staggered raises.
    progress : show a progress bar on standard error; None: only on a terminal.

    Returns
    -------
    PowerResult
        With ``effect != 0`` every panel is drawn twice from the same design, once with
        the effect and once with effect 0 (common random numbers), giving power and size.
    """
    from tqdm import tqdm  # plain: stderr only, and tqdm.auto warns in notebooks without ipywidgets

    plan = None
    if treated_share is not None:
        start = cycles // 2 if start_cycle is None and isinstance(cycles, int) else start_cycle
        plan = (lever, treated_share, start, change_pct / 100 if isinstance(change_pct, (int, float)) else None)
    _check(districts, cycles, effect, sims, seed, alpha, lever, family, vcov, rho, cities, city_sd, plan)
    fitter = _Fitter(districts, cycles, lever, family, vcov, cities)
    alt, null = _coefs(lever, effect), _coefs(lever, 0.0)
    est, se = np.full(sims, np.nan), np.full(sims, np.nan)
    est0, se0 = np.full(sims, np.nan), np.full(sims, np.nan)
    children = np.random.SeedSequence(seed).spawn(sims)
    bar = tqdm(range(sims), desc="power", unit="sim", file=sys.stderr, leave=False,
               disable=None if progress is None else not progress)   # None: only on a terminal
    for i in bar:
        rng = np.random.default_rng(children[i])
        draw = _draw(rng, districts, cycles, rho, cities, city_sd, plan)
        est[i], se[i] = fitter.fit(_applicants(rng, draw, alt), draw["youth"], draw["levers"])
        if effect != 0:
            est0[i], se0[i] = fitter.fit(_applicants(rng, draw, null), draw["youth"], draw["levers"])
    if effect == 0:
        est0, se0 = est, se
    return _summarise(est, se, est0, se0, districts=districts, cycles=cycles, effect=float(effect),
                      sims=sims, seed=seed, alpha=alpha, lever=lever, family=family, vcov=vcov, rho=rho,
                      clusters=fitter.n_g, cluster=fitter.cluster, city_sd=float(city_sd),
                      design=_design_text(plan),
                      inference=fitter.describe(), inference_zh=fitter.describe("zh"))


def _design_text(plan) -> str:
    if plan is None:
        return "the simulator's lever variation (stipend: staggered raises of 12-28%)"
    lever, share, start, change = plan
    return (f"planned change of {lever}: {change * 100:+g}% in {share:.0%} of districts (random) "
            f"from cycle {start} (0-based)")


def _summarise(est, se, est0, se0, *, districts, cycles, alpha, clusters, **design) -> PowerResult:
    ok, ok0 = np.isfinite(est) & np.isfinite(se) & (se > 0), np.isfinite(est0) & np.isfinite(se0) & (se0 > 0)
    failed = int((~ok).sum()) + (int((~ok0).sum()) if est0 is not est else 0)
    if not ok.any() or not ok0.any():
        raise InputError(tr("pw.unfitted"))
    df = clusters - 1
    crit = float(stats.t.ppf(1 - alpha / 2, df))
    pw = float(np.mean(np.abs(est[ok] / se[ok]) > crit))
    size = float(np.mean(np.abs(est0[ok0] / se0[ok0]) > crit))
    mde = (crit + float(stats.t.ppf(_TARGET_POWER, df))) * float(np.sqrt(np.mean(se0[ok0] ** 2)))
    n_ok, n_ok0 = int(ok.sum()), int(ok0.sum())
    return PowerResult(
        power=pw, size=size, mde=mde, alpha=float(alpha), districts=districts, cycles=cycles, clusters=clusters,
        power_mc_se=math.sqrt(pw * (1 - pw) / n_ok), size_mc_se=math.sqrt(size * (1 - size) / n_ok0),
        mean_estimate=float(np.mean(est[ok])),
        sd_estimate=float(np.std(est[ok], ddof=1)) if n_ok > 1 else math.nan,
        mean_se=float(np.mean(se[ok])), failed=failed, estimates=est, ses=se, **design)
