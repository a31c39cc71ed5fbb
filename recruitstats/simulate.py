"""Synthetic recruitment data with known truth.

:func:`simulate` draws a district x call-up-cycle panel in the canonical schema
and, optionally, one record per enlisted recruit, from a model whose
coefficients are known and returned in ``Simulation.truth``. It exists to test
the estimators (do they recover the truth?) and to give the notebooks and
documentation data to show. Everything it makes is labelled
:data:`recruitstats.schema.SYNTHETIC_LABEL`.

The model (see ``docs/simulator.md`` for the calibration):

- sign-ups: ``applicants ~ Poisson(eligible_youth * exp(alpha_d + gamma_t +
  b . levers) * G)`` with ``G ~ Gamma(shape, 1/shape)`` (negative binomial);
- early discharge: each recruit's hazard of being returned is
  ``h0(t) * exp(delta_d + tau_t + c . levers + beta . z_i)`` for ``t`` within 90
  days of enlistment; the panel's ``returned`` counts the recruits returned by
  the extract date.

The levers are the transforms of :func:`recruitstats.measures.lever_values`
(defaults), centred at fixed reference values so district effects keep their
meaning; publicity may carry over between cycles (geometric adstock).
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.measures import LEVER_TRANSFORMS, LEVERS, lever_values
from recruitstats.schema import EDUCATION_LEVELS, PANEL_COLUMNS, RECRUIT_COLUMNS, SYNTHETIC_LABEL

__all__ = [
    "Simulation",
    "simulate",
    "write_simulation",
    "DEFAULT_EFFECTS",
    "RECRUIT_LOG_HAZARD_RATIOS",
    "REFORM_YEAR",
    "staggered_effect",
]

#: From this year on there are two call-ups a year (spring, autumn); before it, autumn only.
REFORM_YEAR = 2020

#: True lever coefficients (elasticities for publicity and stipend).
DEFAULT_EFFECTS: dict[str, dict[str, float]] = {
    "signup": {"publicity": 0.10, "stipend": 0.40, "outreach": 0.15},
    "discharge": {"publicity": 0.05, "stipend": -0.20, "outreach": -0.30},
}

#: True log hazard ratios of recruit-level covariates (pretrain_score: per point).
RECRUIT_LOG_HAZARD_RATIOS: dict[str, float] = {
    "door_visit": -0.30,
    "followup_contact": -0.40,
    "college_status[student]": -0.20,
    "college_status[graduate]": -0.35,
    "pretrain_score": -0.025,
}

# Reference lever levels: the district effects are log rates at these levels.
_LEVER_REF = {"publicity": math.log(22.0), "stipend": math.log(0.40), "outreach": math.log1p(20.0)}
_SIGNUP_RATE = 0.30         # applicants per eligible youth per year at reference levers
_QUOTA_RATE = 0.05          # yearly quota per eligible youth at an average district
_SIGNUP_SHAPE = 40.0        # gamma shape of the sign-up overdispersion (CV ~ 0.16)
_RETURN_SCALE = 0.010       # 90-day return probability at reference levels and z = 0
_PRETRAIN_CENTRE = 75.0
_RETURN_WINDOW = 90         # days after enlistment in which a recruit may be returned
_MEDICAL_WINDOW = 45
_EXTRACT_LAG = 60           # extract date = last cycle's enlistment date + this many days
# Baseline hazards per day (H0(90) = 1): medical on (0, 45], other causes on (0, 90].
_H_MEDICAL = 2.0 / 180.0
_H_OTHER = 1.0 / 180.0
_OTHER_CAUSES = ("ideological", "political", "disciplinary", "other")
_OTHER_SHARES = (0.45, 0.10, 0.25, 0.20)
_EXEMPLARY_SHIFT = -4.0     # log shift of the few districts that almost never return anyone
_WAGE_GROWTH = 0.055
_NEVER = 9999               # reform year of districts that never reform (staggered option)


@dataclass
class Simulation:
    """A synthetic data set and the truth it was drawn from.

    Attributes
    ----------
    panel : canonical panel, one row per district and call-up cycle, plus ``data_source``.
    recruits : canonical recruit records plus ``data_source``, or None when not simulated.
    truth : the true coefficients, transforms and settings (what ``truth.json`` holds).
    """

    panel: pd.DataFrame
    recruits: pd.DataFrame | None
    truth: dict[str, Any] = field(default_factory=dict)


# --- checks ---------------------------------------------------------------

def _check_options(seed, n_cities, districts_per_city, first_year, last_year, carryover, effects):
    problems: list[Problem] = []

    def bad(option: str, message: str, expected: str) -> None:
        problems.append(Problem(message, file="simulate options", column=option, expected=expected))

    def is_int(x) -> bool:
        return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

    if not is_int(seed) or seed < 0:
        bad("seed", f"seed must be a non-negative integer, got {seed!r}", "0, 1, 2, ...")
    if not is_int(n_cities) or not 1 <= n_cities <= 89 * 99:
        bad("n_cities", f"n_cities must be a whole number from 1 to {89 * 99}, got {n_cities!r}", "1 to 8811")
    if not is_int(districts_per_city) or not 1 <= districts_per_city <= 99:
        bad("districts_per_city", f"districts_per_city must be from 1 to 99 (two code digits), "
            f"got {districts_per_city!r}", "1 to 99")
    if not is_int(first_year) or not is_int(last_year) or not 2000 <= first_year <= last_year <= 2100:
        bad("first_year", f"need 2000 <= first_year <= last_year <= 2100, got {first_year!r}..{last_year!r}",
            "e.g. 2016..2025")
    try:
        ok = 0.0 <= float(carryover) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        bad("carryover", f"carryover is the share of publicity carried to the next cycle, in [0, 1); "
            f"got {carryover!r}", "0 (off) to 0.9")
    if effects is not None:
        if not isinstance(effects, dict):
            bad("effects", "effects must be a dict like {'signup': {'publicity': 0.1}}", "a dict")
        else:
            for model, levers in effects.items():
                if model not in DEFAULT_EFFECTS or not isinstance(levers, dict):
                    bad("effects", f"unknown model {model!r} in effects", "'signup' or 'discharge' with a dict")
                    continue
                for lever, value in levers.items():
                    if lever not in LEVERS:
                        bad("effects", f"unknown lever {lever!r} in effects[{model!r}]", ", ".join(LEVERS))
                    elif not isinstance(value, (int, float)) or isinstance(value, bool) \
                            or not math.isfinite(value) or abs(value) > 3:
                        bad("effects", f"effects[{model!r}][{lever!r}] must be a number in [-3, 3], got {value!r}",
                            "an elasticity such as 0.1")
    if problems:
        raise InputError(problems)


# --- building blocks --------------------------------------------------------

def _cycles(first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    years, halves = [], []
    for y in range(first_year, last_year + 1):
        for h in ((2,) if y < REFORM_YEAR else (1, 2)):
            years.append(y)
            halves.append(h)
    return np.array(years, dtype=np.int64), np.array(halves, dtype=np.int64)


def _geography(n_cities: int, per_city: int) -> dict[str, np.ndarray]:
    cities_per_province = 10 if n_cities <= 890 else math.ceil(n_cities / 89)
    city = np.repeat(np.arange(n_cities), per_city)
    within = np.tile(np.arange(per_city), n_cities)
    province = city // cities_per_province
    city_in_province = city % cities_per_province
    code = (11 + province) * 10000 + (city_in_province + 1) * 100 + (within + 1)
    return {
        "city_index": city,
        "province": np.array([f"模拟省{p + 1}" for p in province], dtype=object),
        "city": np.array([f"模拟市{c + 1}" for c in city], dtype=object),
        "district": np.array([f"模拟区{c + 1}-{j + 1}" for c, j in zip(city, within)], dtype=object),
        "district_code": np.array([f"{c:06d}" for c in code], dtype=object),
    }


def _adstock(spend: np.ndarray, rate: float) -> np.ndarray:
    """Geometric carry-over along cycles (axis 1), normalised so a constant spend maps to itself."""
    if rate == 0:
        return spend.astype(float)
    stock = np.empty_like(spend, dtype=float)
    stock[:, 0] = spend[:, 0] / (1 - rate)  # start at the steady state
    for t in range(1, spend.shape[1]):
        stock[:, t] = spend[:, t] + rate * stock[:, t - 1]
    return (1 - rate) * stock


def _transforms(carryover: float) -> dict[str, str]:
    out = {k: LEVER_TRANSFORMS[k] for k in LEVERS}
    if carryover > 0:
        out["publicity"] = (
            f"log(adstock(publicity_spend) / eligible_youth) with adstock_t = (1 - L) * S_t, "
            f"S_t = publicity_spend_t + L * S_(t-1) along the district's cycles, S at the first cycle = "
            f"publicity_spend / (1 - L) (steady state), L = carryover = {carryover!r}; the plain "
            f"log(publicity_spend / eligible_youth) of the panel is then a mis-specified proxy")
    return out


# --- the simulator ----------------------------------------------------------
#
# simulate() runs the steps below in a fixed order. Every step draws from the one
# generator, so the order of the steps (and of the draws inside each) IS the data:
# reordering them changes every number simulated from a seed, data/sample included.

def simulate(
    *,
    seed: int,
    n_cities: int = 3,
    districts_per_city: int = 8,
    first_year: int = 2016,
    last_year: int = 2025,
    carryover: float = 0.0,
    recruits: bool = True,
    effects: dict | None = None,
    staggered: bool = False,
) -> Simulation:
    """Draw a synthetic panel (and recruit records) with known true effects.

    Parameters
    ----------
    seed : seed of ``numpy.random.default_rng``; the same seed and options give the same data.
    n_cities : number of synthetic cities (10 per synthetic province).
    districts_per_city : districts in each city (at most 99: two digits of the 6-digit code).
    first_year, last_year : years simulated; one autumn cycle (half 2) a year before 2020,
        spring and autumn cycles (half 1 and 2) from 2020.
    carryover : geometric carry-over rate of publicity between cycles (0 = none). The true
        effect then applies to the adstocked spend, stated in ``truth["transforms"]``.
    recruits : also build the recruit records (the panel is the same either way).
    effects : overrides of :data:`DEFAULT_EFFECTS`, e.g. ``{"signup": {"publicity": 0.2}}``.
    staggered : add known, cohort-specific and growing effects of the districts' allowance
        reforms on sign-ups (see :func:`staggered_effect`), with larger reform steps so the
        reforms are easy to find; ``truth["staggered"]`` then holds each district's reform
        year and the true ATT(g,t) on log sign-up rates. Off: the data are unchanged.

    Returns
    -------
    Simulation
        ``panel`` (canonical, float64 counts), ``recruits`` (or None) and ``truth``.

    Raises
    ------
    InputError
        If an option is out of range.
    """
    carryover, eff = _settings(seed, n_cities, districts_per_city, first_year, last_year,
                               carryover, effects, staggered)
    rng = np.random.default_rng(seed)
    geo = _geography(n_cities, districts_per_city)
    g = _grid(n_cities, districts_per_city, first_year, last_year, geo["city_index"])

    # District propensities: a = sign-up propensity (standardised).
    a = _normal(rng)(g.n_d)
    alpha = 0.30 * a
    cols = _population(rng, g, alpha)
    youth = cols["eligible_youth"]
    cols.update(_publicity(rng, g, a, youth))
    stipend_cols, adopt, step = _stipend(rng, g, a, staggered)
    cols.update(stipend_cols)
    cols.update(_outreach(rng, g, a, youth))
    cols["unemployment_rate"] = _unemployment(rng, g)

    centred = _centred_levers(g, cols, carryover)
    cols["applicants"] = _applicants(rng, g, alpha, youth, centred, eff["signup"],
                                     adopt if staggered else None)
    cols.update(_funnel(rng, g, cols["quota"], cols["applicants"]))
    discharge_index, exemplary = _discharge_index(rng, g, a, centred, eff["discharge"])

    enlist_day = pd.to_datetime([f"{y}-{'03' if h == 1 else '09'}-01" for y, h in zip(g.cyc_year, g.cyc_half)])
    observed_until = enlist_day[-1] + pd.Timedelta(days=_EXTRACT_LAG)
    rec = _draw_recruits(rng, cols["enlisted"], cols["enlisted_college"], cols["enlisted_graduates"],
                         discharge_index, enlist_day, observed_until)
    cols["returned"] = rec.pop("returned_per_cell").reshape(g.n_d, g.n_t)
    cols["followup_contacts"] = rec.pop("followup_contacts_per_cell").reshape(g.n_d, g.n_t)
    panel = _panel_frame(geo, g, cols)

    recruit_frame = None
    if recruits:
        recruit_frame = _recruit_frame(rec, geo, g.cyc_year, g.cyc_half, g.n_t, observed_until)

    settings = {"n_cities": n_cities, "districts_per_city": districts_per_city, "n_districts": g.n_d,
                "first_year": first_year, "last_year": last_year, "n_cycles": int(g.n_t),
                "carryover": carryover, "recruits": bool(recruits)}
    truth = _truth(seed, settings, eff, carryover, observed_until, exemplary, geo)
    if staggered:
        settings["staggered"] = True
        truth["staggered"] = _staggered_truth(adopt, step, eff, geo, g.cyc_year, g.cyc_half,
                                              first_year, last_year)
    return Simulation(panel=panel, recruits=recruit_frame, truth=truth)


def _settings(seed, n_cities, districts_per_city, first_year, last_year, carryover, effects,
              staggered) -> tuple[float, dict[str, dict[str, float]]]:
    """Check the options; return the carry-over rate as float and the true effects (defaults + overrides)."""
    _check_options(seed, n_cities, districts_per_city, first_year, last_year, carryover, effects)
    if not isinstance(staggered, (bool, np.bool_)):
        raise InputError([Problem(f"staggered must be True or False, got {staggered!r}",
                                  file="simulate options", column="staggered", expected="True or False")])
    eff = copy.deepcopy(DEFAULT_EFFECTS)
    for model, levers in (effects or {}).items():
        eff[model].update({k: float(v) for k, v in levers.items()})
    return float(carryover), eff


@dataclass(frozen=True, eq=False)
class _Grid:
    """Shape and calendar of the district x cycle panel (arrays are districts x cycles)."""

    n_cities: int
    n_d: int                 # districts
    n_t: int                 # call-up cycles
    n_y: int                 # calendar years
    first_year: int
    last_year: int
    city: np.ndarray         # city index of each district
    cyc_year: np.ndarray     # year of each cycle
    cyc_half: np.ndarray     # half (1 spring, 2 autumn) of each cycle
    years: np.ndarray        # first_year..last_year
    yidx: np.ndarray         # year index of each cycle
    since: np.ndarray        # years since 2016 of each cycle, shape (1, n_t)
    share: np.ndarray        # share of the year's quota and campaign in each cycle, shape (1, n_t)


def _grid(n_cities, per_city, first_year, last_year, city_index) -> _Grid:
    cyc_year, cyc_half = _cycles(first_year, last_year)
    years = np.arange(first_year, last_year + 1)
    return _Grid(
        n_cities=n_cities, n_d=n_cities * per_city, n_t=cyc_year.size, n_y=years.size,
        first_year=first_year, last_year=last_year, city=city_index,
        cyc_year=cyc_year, cyc_half=cyc_half, years=years, yidx=cyc_year - first_year,
        # trends are anchored at 2016, whatever first_year
        since=(cyc_year - 2016).astype(float)[None, :],
        share=np.where(cyc_year < REFORM_YEAR, 1.0, np.where(cyc_half == 1, 0.45, 0.55))[None, :],
    )


def _normal(rng: np.random.Generator):
    """``std(*shape)``: standard normal draws of that shape from ``rng``."""
    return lambda *shape: rng.standard_normal(shape)


def _population(rng, g: _Grid, alpha) -> dict[str, np.ndarray]:
    """Eligible youth and quota, districts x cycles."""
    std = _normal(rng)
    n_d, n_y, yidx, cyc_year, cyc_half = g.n_d, g.n_y, g.yidx, g.cyc_year, g.cyc_half
    # Eligible youth: registered once a year, so both cycles of a year share the figure.
    youth0 = 2200.0 * np.exp(0.45 * std(n_d))
    youth_y = np.rint(youth0[:, None] * np.exp(-0.015 * (g.years - 2016)[None, :] + 0.02 * std(n_d, n_y)))
    youth = youth_y[:, yidx]

    # Quota: yearly, split about 45/55 between spring and autumn from 2020.
    quota_y = youth_y * _QUOTA_RATE * np.exp(0.6 * alpha)[:, None] * np.exp(0.05 * std(n_d, n_y))
    quota_y = np.maximum(np.rint(quota_y), 4)
    spring = np.rint(quota_y * np.clip(0.45 + 0.02 * std(n_d, n_y), 0.38, 0.52))
    quota = np.where(cyc_year[None, :] < REFORM_YEAR, quota_y[:, yidx],
                     np.where(cyc_half[None, :] == 1, spring[:, yidx], (quota_y - spring)[:, yidx]))
    return {"eligible_youth": youth, "quota": quota}


def _publicity(rng, g: _Grid, a, youth) -> dict[str, np.ndarray]:
    """Publicity spend and its detail measures; low-propensity districts spend more (confounds a pooled model)."""
    std = _normal(rng)
    n_d, n_t = g.n_d, g.n_t
    pub_d = -0.35 * a + 0.20 * std(n_d)
    per_youth = 22.0 * np.exp(0.04 * g.since + pub_d[:, None] + 0.30 * std(n_d, n_t))
    publicity_spend = np.maximum(np.rint(per_youth * youth * 2 * g.share / 100) * 100, 100)
    brochures = rng.poisson(publicity_spend / 15 * np.exp(0.15 * std(n_d, n_t))).astype(float)
    sms = rng.poisson(publicity_spend * 0.8 * np.exp(0.20 * std(n_d, n_t))).astype(float)
    online_posts = rng.poisson(publicity_spend / 1500 * np.exp(0.20 * std(n_d, n_t))).astype(float)
    posters = rng.poisson(publicity_spend / 400 * np.exp(0.20 * std(n_d, n_t))).astype(float)
    return {"publicity_spend": publicity_spend, "brochures": brochures, "sms": sms,
            "online_posts": online_posts, "posters": posters}


def _stipend(rng, g: _Grid, a, staggered) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Wages, family allowance and college bonus; also each district's reform year and log step."""
    std = _normal(rng)
    n_d, n_y, n_cities, city, years = g.n_d, g.n_y, g.n_cities, g.city, g.years
    # Wages (yuan/year) grow about 5.5% a year from 55-80k in 2016.
    wage_c = rng.uniform(55_000, 80_000, n_cities)
    wage_d = wage_c[city] * np.exp(0.04 * std(n_d))
    wage_y = np.rint(wage_d[:, None] * (1 + _WAGE_GROWTH) ** (years - 2016)[None, :]
                     * np.exp(0.01 * std(n_d, n_y)))

    # Stipend: allowance ~36% of the wage, raised by a step in a district-specific year
    # (staggered; low-propensity districts tend to raise it earlier).
    ratio0 = 0.36 * np.exp(0.06 * std(n_cities)[city] + 0.04 * std(n_d) - 0.03 * a)
    mid, span = (g.first_year + g.last_year) / 2, g.last_year - g.first_year + 1
    adopt = np.rint(mid + 0.25 * span * (-0.8 * a + 0.6 * std(n_d)))
    step = rng.uniform(0.15, 0.30, n_d) if staggered else rng.uniform(0.12, 0.28, n_d)
    if staggered:  # every fourth district never reforms: a never-treated comparison group
        adopt = np.where(np.arange(n_d) % 4 == 3, _NEVER, np.maximum(adopt, g.first_year + 1))
    raised = years[None, :] >= adopt[:, None]
    ratio_y = ratio0[:, None] * np.exp(step[:, None] * raised + 0.015 * std(n_d, n_y))
    family_allowance = (np.rint(ratio_y * wage_y / 10) * 10)[:, g.yidx]
    bonus0 = rng.integers(4, 13, n_d) * 500.0                 # 2,000 to 6,000 yuan
    college_bonus = np.minimum(bonus0[:, None] + 1000.0 * raised, 8000.0)[:, g.yidx]
    cols = {"family_allowance": family_allowance, "college_bonus": college_bonus, "avg_wage": wage_y[:, g.yidx]}
    return cols, adopt, step


def _outreach(rng, g: _Grid, a, youth) -> dict[str, np.ndarray]:
    """Door visits (per 100 eligible youth, more where propensity is low), counselors and talks."""
    std = _normal(rng)
    n_d, n_t = g.n_d, g.n_t
    out_d = -0.25 * a + 0.20 * std(n_d)
    per100 = 20.0 * np.exp(0.03 * g.since + out_d[:, None] + 0.30 * std(n_d, n_t))
    door_visits = rng.poisson(per100 / 100 * youth * 2 * g.share).astype(float)
    counselors_trained = rng.poisson(youth / 300 * np.exp(0.3 * std(n_d))[:, None]).astype(float)
    exemplar_talks = rng.poisson(door_visits / 100 + 2).astype(float)
    return {"door_visits": door_visits, "counselors_trained": counselors_trained,
            "exemplar_talks": exemplar_talks}


def _unemployment(rng, g: _Grid) -> np.ndarray:
    """Unemployment (fraction): city level with common shocks in 2020 and 2022."""
    std = _normal(rng)
    years = g.years
    shock = np.select([years == 2020, years == 2022, years == 2021], [0.007, 0.005, 0.002], 0.0)
    unemp_y = 0.05 + 0.004 * std(g.n_cities)[g.city][:, None] + shock[None, :] + 0.002 * std(g.n_d, g.n_y)
    return np.round(np.clip(unemp_y, 0.035, 0.065), 3)[:, g.yidx]


def _centred_levers(g: _Grid, cols, carryover: float) -> dict[str, np.ndarray]:
    """Lever values exactly as the default transforms compute them from the panel columns,
    minus the reference values (so district effects are log rates at the reference levels)."""
    raw = pd.DataFrame({
        "publicity_spend": cols["publicity_spend"].ravel(), "eligible_youth": cols["eligible_youth"].ravel(),
        "family_allowance": cols["family_allowance"].ravel(), "avg_wage": cols["avg_wage"].ravel(),
        "door_visits": cols["door_visits"].ravel()})
    lev = {k: v.to_numpy().reshape(g.n_d, g.n_t) for k, v in lever_values(raw).items()}
    if carryover > 0:
        lev["publicity"] = np.log(_adstock(cols["publicity_spend"], carryover) / cols["eligible_youth"])
    return {k: lev[k] - _LEVER_REF[k] for k in LEVERS}


def _applicants(rng, g: _Grid, alpha, youth, centred, effects, adopt) -> np.ndarray:
    """Sign-ups: gamma-Poisson around eligible_youth * exp(alpha + gamma + b . levers), capped at youth.

    ``adopt``: reform years when the staggered reform effects are on, else None.
    """
    cyc_year, since = g.cyc_year, g.since
    # Before the reform a cycle is a whole year's campaign (twice the spend and visits): offset it.
    gamma = (np.log(g.share) - 0.25 * (cyc_year < REFORM_YEAR)[None, :] - 0.02 * since
             + 0.05 * _normal(rng)(1, g.n_t))
    eta = math.log(_SIGNUP_RATE) + alpha[:, None] + gamma + sum(effects[k] * centred[k] for k in LEVERS)
    if adopt is not None:
        eta = eta + staggered_effect(adopt[:, None], cyc_year[None, :], g.first_year, g.last_year)
    mean_applicants = youth * np.exp(eta)
    frailty = rng.gamma(_SIGNUP_SHAPE, 1 / _SIGNUP_SHAPE, (g.n_d, g.n_t))
    return np.minimum(rng.poisson(mean_applicants * frailty), youth).astype(float)


def _funnel(rng, g: _Grid, quota, applicants) -> dict[str, np.ndarray]:
    """Exams to enlistment: offices examine enough people to reach ~1.2-1.6x quota double-qualified."""
    std = _normal(rng)
    n_d, n_t = g.n_d, g.n_t
    p_med = np.clip(rng.uniform(0.38, 0.52, n_d)[:, None] + 0.03 * std(n_d, n_t), 0.33, 0.57)
    p_pol = rng.uniform(0.90, 0.97, (n_d, n_t))
    target = rng.uniform(1.25, 1.55, (n_d, n_t))
    medical_examined = np.minimum(np.rint(quota * target / (p_med * p_pol)), applicants)
    medical_passed = rng.binomial(medical_examined.astype(np.int64), p_med).astype(float)
    political_passed = rng.binomial(medical_passed.astype(np.int64), p_pol).astype(float)
    pretrain_eliminated = rng.binomial(political_passed.astype(np.int64), 0.02).astype(float)
    fill = rng.uniform(0.90, 1.0, (n_d, n_t))
    enlisted = np.minimum(np.rint(quota * fill), political_passed - pretrain_eliminated)
    college_base = rng.uniform(0.30, 0.50, n_d)
    logit = np.log(college_base / (1 - college_base))[:, None] + 0.08 * g.since + 0.15 * std(n_d, n_t)
    enlisted_college = rng.binomial(enlisted.astype(np.int64), 1 / (1 + np.exp(-logit))).astype(float)
    enlisted_graduates = rng.binomial(enlisted_college.astype(np.int64),
                                      rng.uniform(0.35, 0.60, n_d)[:, None]).astype(float)
    return {"medical_examined": medical_examined, "medical_passed": medical_passed,
            "political_passed": political_passed, "pretrain_eliminated": pretrain_eliminated,
            "enlisted": enlisted, "enlisted_college": enlisted_college, "enlisted_graduates": enlisted_graduates}


def _discharge_index(rng, g: _Grid, a, centred, effects) -> tuple[np.ndarray, np.ndarray]:
    """Log return hazard scale per cell (district and cycle effects plus the district levers)
    and the "exemplary" districts that almost never return anyone."""
    std = _normal(rng)
    delta = 0.35 * std(g.n_d) + 0.15 * a
    exemplary = rng.choice(g.n_d, size=max(1, round(0.1 * g.n_d)), replace=False)
    delta[exemplary] += _EXEMPLARY_SHIFT
    tau = 0.10 * std(1, g.n_t)
    discharge_index = (math.log(_RETURN_SCALE) + delta[:, None] + tau
                       + sum(effects[k] * centred[k] for k in LEVERS))
    return discharge_index, exemplary


# Simulated panel columns, in the order they are added to the frame (then put in contract order).
_PANEL_VALUE_COLUMNS = (
    "eligible_youth", "quota", "applicants", "medical_examined", "medical_passed", "political_passed",
    "pretrain_eliminated", "enlisted", "enlisted_college", "enlisted_graduates", "returned",
    "publicity_spend", "brochures", "sms", "online_posts", "posters", "family_allowance", "college_bonus",
    "door_visits", "counselors_trained", "exemplar_talks", "followup_contacts", "avg_wage",
    "unemployment_rate",
)


def _panel_frame(geo, g: _Grid, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """The canonical panel (contract column order, float64 counts) plus ``data_source``."""
    n_t, n_d = g.n_t, g.n_d
    panel = pd.DataFrame({
        "province": np.repeat(geo["province"], n_t), "city": np.repeat(geo["city"], n_t),
        "district": np.repeat(geo["district"], n_t), "district_code": np.repeat(geo["district_code"], n_t),
        "year": np.tile(g.cyc_year, n_d), "half": np.tile(g.cyc_half, n_d),
    })
    for name in _PANEL_VALUE_COLUMNS:
        panel[name] = np.asarray(cols[name], dtype=np.float64).ravel()
    panel = panel[[c.name for c in PANEL_COLUMNS]]
    panel["data_source"] = SYNTHETIC_LABEL
    return panel


def staggered_effect(adopt, year, first_year: int, last_year: int) -> np.ndarray:
    """Extra log sign-up effect of an allowance reform in year ``adopt`` at ``year`` (staggered option).

    ``scale(adopt) * (0.04 + 0.04 * min(e, 3))`` for ``e = year - adopt >= 0`` years since the
    reform (0 before it), with ``scale`` falling linearly from 1.5 for a reform in ``first_year``
    to 1.0 for one in ``last_year``: effects grow for three years and are larger for early
    reformers, the case in which two-way fixed effects are biased.
    """
    adopt = np.asarray(adopt, dtype=float)
    e = np.asarray(year, dtype=float) - adopt
    scale = 1.5 - 0.5 * (adopt - first_year) / max(last_year - first_year, 1)
    return np.where(e >= 0, scale * (0.04 + 0.04 * np.minimum(e, 3)), 0.0)


def _staggered_truth(adopt, step, eff, geo, cyc_year, cyc_half, first_year, last_year) -> dict[str, Any]:
    """Reform years and the true ATT(g,t) on log sign-up rates, averaged over each cohort's districts."""
    from recruitstats.measures import cycle_label

    adopt = adopt.astype(int)
    labels = [cycle_label(y, h) for y, h in zip(cyc_year, cyc_half)]
    rows = []
    for year_g in sorted(set(adopt[(adopt > first_year) & (adopt <= last_year)].tolist())):
        members = adopt == year_g
        g_label = labels[int(np.flatnonzero(cyc_year == year_g)[0])]
        for t, (y, label) in enumerate(zip(cyc_year, labels)):
            dyn = staggered_effect(year_g, y, first_year, last_year)
            att = float(np.mean(eff["signup"]["stipend"] * step[members] * (y >= year_g) + dyn))
            rows.append({"group": g_label, "time": label, "att": round(att, 10),
                         "n_districts": int(members.sum())})
    return {
        "outcome": "log(applicants / eligible_youth)",
        "reform_year": {str(c): (None if a == _NEVER else int(a)) for c, a in zip(geo["district_code"], adopt)},
        "reform_rule": "family_allowance / avg_wage steps up by a factor exp(step), step ~ U(0.15, 0.30), "
                       "in the reform year and stays up; every fourth district never reforms (null); the others "
                       "reform after first_year (a reform after last_year is never treated in the panel)",
        "effect": "stipend elasticity * step (the lever, constant) + scale(g) * (0.04 + 0.04 * min(e, 3)), "
                  "e = years since the reform, scale from 1.5 (reform in first_year) to 1.0 (last_year)",
        "att_gt": rows,
        "notes": ["att is the average over the cohort's districts of the true effect on the log of the "
                  "expected sign-up rate; group and time are call-up cycles (group = the first cycle of "
                  "the reform year)",
                  "returns respond to the reform only through the stipend lever's log hazard ratio "
                  "(discharge['stipend'] * step)"],
    }


def _draw_recruits(rng, enlisted, college, graduates, discharge_index, enlist_day, observed_until):
    """Recruit-level draws as numpy arrays; returns and follow-ups also counted per cell."""
    n_cells = enlisted.size
    n = enlisted.ravel().astype(np.int64)
    total = int(n.sum())
    cell = np.repeat(np.arange(n_cells), n)
    start = np.repeat(np.cumsum(n) - n, n)
    pos = np.arange(total) - start
    status = np.where(pos < np.repeat(graduates.ravel().astype(np.int64), n), 2,
                      np.where(pos < np.repeat(college.ravel().astype(np.int64), n), 1, 0))
    status = status[np.argsort(cell + rng.random(total))].astype(np.int8)   # shuffle within cell

    # Recruit covariates: drawn independently of the district levers (see the module notes).
    u = rng.random(total)
    edu = np.select(
        [status == 0, status == 1],
        [np.searchsorted([0.12, 0.67], u, side="right"),            # 初中, 高中, 中专
         3 + np.searchsorted([0.55], u, side="right")],             # 大专, 本科
        3 + np.searchsorted([0.40, 0.94], u, side="right"))         # 大专, 本科, 研究生
    age = np.select([status == 0, status == 1],
                    [18 + rng.binomial(2, 0.3, total), 18 + rng.integers(0, 5, total)],
                    21 + rng.integers(0, 4, total))
    female = rng.random(total) < 0.04
    door = rng.random(total) < 0.45
    counselor = rng.random(total) < np.where(status > 0, 0.5, 0.1)
    talk = rng.random(total) < 0.30
    followup = rng.random(total) < 0.60
    score = np.clip(np.rint(rng.normal(_PRETRAIN_CENTRE, 8.0, total) * 2) / 2, 40, 100)

    hr = RECRUIT_LOG_HAZARD_RATIOS
    lp = (discharge_index.ravel()[cell] + hr["door_visit"] * door + hr["followup_contact"] * followup
          + np.select([status == 1, status == 2],
                      [hr["college_status[student]"], hr["college_status[graduate]"]], 0.0)
          + hr["pretrain_score"] * (score - _PRETRAIN_CENTRE))
    # Exit time by inverting the cumulative baseline hazard (piecewise constant).
    e = rng.exponential(1.0, total) / np.exp(lp)
    h_early = _H_MEDICAL + _H_OTHER
    knot = h_early * _MEDICAL_WINDOW
    t = np.where(e <= knot, e / h_early, _MEDICAL_WINDOW + (e - knot) / _H_OTHER)
    leaves = t < _RETURN_WINDOW
    medical = leaves & (t < _MEDICAL_WINDOW) & (rng.random(total) < _H_MEDICAL / h_early)
    other = rng.choice(len(_OTHER_CAUSES), size=total, p=_OTHER_SHARES)
    reason = np.where(leaves, np.where(medical, 0, 1 + other), -1).astype(np.int8)
    exit_day = np.where(leaves, np.floor(np.minimum(t, _RETURN_WINDOW - 1)) + 1, 0).astype(np.int64)
    cell_day = enlist_day.values.astype("datetime64[D]")[np.arange(n_cells) % len(enlist_day)]
    enlist = cell_day[cell]
    exit_date = enlist + exit_day.astype("timedelta64[D]")
    returned = leaves & (exit_date <= observed_until.to_datetime64().astype("datetime64[D]"))
    reason[~returned] = -1
    contacts = followup * (1 + rng.poisson(0.8, total))

    return {
        "cell": cell, "status": status, "education": edu, "age": age, "female": female,
        "door_visit": door, "counselor_contact": counselor, "exemplar_talk": talk,
        "followup_contact": followup, "pretrain_score": score, "enlist": enlist,
        "exit": np.where(returned, exit_date, np.datetime64("NaT")), "reason": reason,
        "birth_offset": rng.integers(0, 365, total),
        "returned_per_cell": np.bincount(cell[returned], minlength=n_cells).astype(float),
        "followup_contacts_per_cell": np.bincount(cell, weights=contacts, minlength=n_cells).astype(float),
    }


def _boolean(x: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(x, dtype=bool), np.zeros(len(x), dtype=bool))


def _recruit_frame(rec, geo, cyc_year, cyc_half, n_t, observed_until) -> pd.DataFrame:
    cell = rec["cell"]
    d, t = cell // n_t, cell % n_t
    total = cell.size
    enlist = rec["enlist"]                      # datetime64[D], always the 1st of a month
    # Birth date: the age-th birthday falls within the year up to the enlistment date.
    birth = ((enlist.astype("datetime64[M]") - (12 * rec["age"]).astype("timedelta64[M]")).astype("datetime64[D]")
             - rec["birth_offset"].astype("timedelta64[D]"))
    reasons = np.array([None, "medical", *_OTHER_CAUSES], dtype=object)
    ns = lambda x: x.astype("datetime64[ns]")   # noqa: E731
    columns = {
        "recruit_id": _recruit_ids(total),
        "district": geo["district"][d],
        "district_code": geo["district_code"][d],
        "year": cyc_year[t].astype(np.int64),
        "half": cyc_half[t].astype(np.int64),
        "age": rec["age"].astype(np.float64),  # float like the reader (age may be missing)
        "birth_date": ns(birth),
        "sex": np.array(["M", "F"], dtype=object)[rec["female"].astype(np.int8)],
        "education": np.array(EDUCATION_LEVELS, dtype=object)[rec["education"]],
        "college_status": np.array(["none", "student", "graduate"], dtype=object)[rec["status"]],
        "door_visit": _boolean(rec["door_visit"]),
        "counselor_contact": _boolean(rec["counselor_contact"]),
        "exemplar_talk": _boolean(rec["exemplar_talk"]),
        "followup_contact": _boolean(rec["followup_contact"]),
        "pretrain_score": rec["pretrain_score"].astype(np.float64),
        "enlist_date": ns(enlist),
        "exit_date": ns(rec["exit"]),
        "exit_reason": reasons[rec["reason"] + 1],
        "observed_until": np.full(total, observed_until.to_datetime64().astype("datetime64[ns]")),
    }
    assert list(columns) == [c.name for c in RECRUIT_COLUMNS]  # built in contract order: no reindexing copy
    columns["data_source"] = np.full(total, SYNTHETIC_LABEL, dtype=object)
    return pd.DataFrame(columns, copy=False)


def _recruit_ids(n: int) -> np.ndarray:
    """``SIM00000001``, ``SIM00000002``, ... (pseudonyms, numbered in row order)."""
    return np.array([f"SIM{i:08d}" for i in range(1, n + 1)], dtype=object)


def _truth(seed, settings, eff, carryover, observed_until, exemplary, geo) -> dict[str, Any]:
    return {
        "synthetic": True,
        "label": SYNTHETIC_LABEL,
        "seed": int(seed),
        "settings": settings,
        "signup": dict(eff["signup"]),
        "discharge": dict(eff["discharge"]),
        "recruit_log_hazard_ratios": dict(RECRUIT_LOG_HAZARD_RATIOS),
        "transforms": _transforms(carryover),
        "lever_reference_values": {k: round(v, 6) for k, v in _LEVER_REF.items()},
        "signup_model": {
            "mean": "eligible_youth * exp(district effect + cycle effect + sum(signup[lever] * lever))",
            "distribution": "Poisson with gamma frailty (negative binomial), "
                            f"gamma shape {_SIGNUP_SHAPE} (variance = mean + mean^2 / shape); "
                            "applicants capped at eligible_youth",
            "confounding": "publicity spend, door visits and early stipend rises are higher where the "
                           "district's sign-up propensity is low, so a pooled model without district "
                           "effects is biased",
        },
        "discharge_model": {
            "hazard": "h0(t) * exp(district effect + cycle effect + sum(discharge[lever] * lever) "
                      "+ sum(recruit_log_hazard_ratios[x] * x))",
            "baseline_hazard_per_day": {"medical": {"from_day": 0, "to_day": _MEDICAL_WINDOW,
                                                    "rate": _H_MEDICAL * _RETURN_SCALE},
                                        "other causes": {"from_day": 0, "to_day": _RETURN_WINDOW,
                                                         "rate": _H_OTHER * _RETURN_SCALE}},
            "return_window_days": _RETURN_WINDOW,
            "medical_window_days": _MEDICAL_WINDOW,
            "non_medical_cause_shares": dict(zip(_OTHER_CAUSES, _OTHER_SHARES)),
            "pretrain_score_centre": _PRETRAIN_CENTRE,
            "observed_until": observed_until.strftime("%Y-%m-%d"),
            "exemplary_districts": sorted(str(geo["district_code"][i]) for i in exemplary),
        },
        "notes": [
            "All data are synthetic: no real district, office or person is described.",
            "Lever coefficients are log-rate coefficients on the transforms above; for publicity and "
            "stipend they are elasticities.",
            "The discharge coefficients are log hazard ratios of the district levers. Recruit-level "
            "covariates are drawn independently of the levers, so the district-level Poisson model of "
            "returned with exposure enlisted (district and cycle effects) estimates the same "
            "coefficients (returns are rare, so the 90-day probability is proportional to the hazard).",
            "returned in the panel is exactly the number of recruits of that district and cycle with an "
            "exit_date on or before observed_until; the last cycle is observed for "
            f"{_EXTRACT_LAG} days only (censored), which the cycle effects absorb.",
            "A recruit's hazard does not depend on age, sex, education within college status, "
            "counselor_contact or exemplar_talk; unemployment_rate has no effect on sign-ups.",
        ],
    }


# --- writing ----------------------------------------------------------------

_INTEGER_PANEL = [c.name for c in PANEL_COLUMNS if c.kind in ("count", "money")]


def write_simulation(sim: Simulation, out_dir: str | Path) -> list[Path]:
    """Write ``panel.csv``, ``recruits.csv`` (if simulated), ``truth.json`` and ``README.txt``.

    Files are UTF-8 with canonical English headers, district codes as 6-digit text,
    dates as ``YYYY-MM-DD`` and yes/no columns as ``yes``/``no``. The same simulation
    always gives byte-identical files. Returns the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    panel = sim.panel.copy()
    for name in _INTEGER_PANEL:
        if name in panel:
            panel[name] = panel[name].round().astype("Int64")
    path = out / "panel.csv"
    panel.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    written.append(path)

    if sim.recruits is not None:
        rec = sim.recruits.copy()
        rec["age"] = rec["age"].round().astype("Int64")
        for name in ("door_visit", "counselor_contact", "exemplar_talk", "followup_contact"):
            rec[name] = rec[name].map({True: "yes", False: "no"}).astype(object)
        path = out / "recruits.csv"
        rec.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", date_format="%Y-%m-%d")
        written.append(path)

    path = out / "truth.json"
    path.write_text(json.dumps(sim.truth, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    written.append(path)

    path = out / "README.txt"
    path.write_text(_readme(sim), encoding="utf-8")
    written.append(path)
    return written


def _readme(sim: Simulation) -> str:
    s = sim.truth["settings"]
    files = ["panel.csv     one row per district and call-up cycle (canonical panel columns)"]
    if sim.recruits is not None:
        files.append("recruits.csv  one row per enlisted recruit (no personal data; ids are SIM########)")
    files += ["truth.json    the true coefficients, transforms and settings the data were drawn from",
              "README.txt    this file"]
    lines = [
        SYNTHETIC_LABEL,
        "",
        "THESE DATA ARE SYNTHETIC (模拟数据). They describe no real district, office or person",
        "and must not be cited as facts about recruitment.",
        "",
        "Files:",
        *("  " + f for f in files),
        "",
        f"Regenerate: recruitstats simulate --out DIR --seed {sim.truth['seed']} --cities {s['n_cities']} "
        f"--districts-per-city {s['districts_per_city']} --first-year {s['first_year']} "
        f"--last-year {s['last_year']} --carryover {s['carryover']}" + ("" if s["recruits"] else " --no-recruits"),
        "",
        "Every row carries the column data_source with the label above.",
        "",
    ]
    return "\n".join(lines)
