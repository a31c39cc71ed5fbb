"""Budget allocation: the mix of publicity, stipend and outreach that buys the most applicants.

Given an extra budget (yuan per cycle) and unit costs, :func:`allocate` chooses the
extra spend ``s_k >= 0`` on each lever (``sum s_k <= budget``) that maximises the
expected applicants of next cycle (or applicants minus expected early returns when
a discharge model is given). Spending ``s_k`` multiplies the lever's column in every
district by ``1 + s_k / C_k``, where ``C_k`` is what doubling the lever costs per
cycle as priced by :func:`recruitstats.policy.lever_cost` (publicity: its spend; the
allowance: paid to every recruit for ``allowance_years``; door visits: ``unit_costs``).
Expected outcomes come from the models' own predictions (``predict``'s design and
link, fixed effects held at their estimates), as in :mod:`recruitstats.planning.scenarios`.

Uncertainty: coefficients are drawn from their covariance (multivariate t, explicit
seed). The allocation is solved for each draw (the distribution of the best mix),
and once for the expected outcome over all draws (the Bayes allocation; with
``risk_aversion > 0``, mean minus that many standard deviations). The expected loss
of an allocation is the average, over draws, of what the draw's own best allocation
would have gained beyond it.

Each lever's marginal cost per applicant is ``1 / (d applicants / d yuan)`` at the
chosen allocation; at an interior optimum it is the same for every lever that gets
money (the KKT condition). A lever "saturates" at the extra spend where its marginal
applicants per yuan have fallen to ``saturation_share`` (default 10%) of their value
at current levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from recruitstats.errors import InputError
from recruitstats.levers import LEVERS
from recruitstats.planning.scenarios import _select, where_text
from recruitstats.results import json_safe
from recruitstats.schema import SYNTHETIC_LABEL

__all__ = ["AllocationResult", "allocate"]


# --- the response surface on arrays ---------------------------------------------------

@dataclass
class _Response:
    """Expected outcome of some rows as a function of extra spend per lever, at coefficient draws."""

    X: np.ndarray            # regressors of the rows (rows x k)
    base: np.ndarray         # base of the linear predictor (rows)
    n: np.ndarray            # trials (rows)
    dbase: np.ndarray | None
    b0: np.ndarray
    cols: list[int]          # column of each allocated lever in X (-1: not in this model)
    levers: list[str]
    link: Any
    sign: float              # +1 for applicants, -weight for returns
    draws: np.ndarray        # coefficients: row 0 the estimates, then the draws

    @classmethod
    def of(cls, result, rows: pd.DataFrame, levers: Sequence[str], sign: float,
           draws: np.ndarray) -> "_Response":
        d = result._design(rows)
        terms = list(result.params.index)
        cols = [terms.index(lv) if lv in terms else -1 for lv in levers]
        coefs = np.vstack([result.params.to_numpy(float), draws])
        return cls(d.X, d.base, d.n, d.dbase, d.b0, cols, list(levers), result.link, sign, coefs)

    def value(self, factors: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """Signed total expected outcome at lever factors for the coefficient rows ``sel``."""
        draws = self.draws[sel]
        X1 = self.X.copy()
        for lv, j, f in zip(self.levers, self.cols, factors):
            if j >= 0:
                X1[:, j] = LEVERS[lv].scaled(self.X[:, j], max(float(f), 1e-12))
        eta = self.base[None, :] + draws @ X1.T
        if self.dbase is not None:
            eta = eta + (draws - self.b0) @ self.dbase.T
        return self.sign * self.link.mean(eta, self.n[None, :]).sum(axis=1)


@dataclass
class _CarryoverResponse:
    """Expected sign-ups in steady state under the carry-over model (:func:`~recruitstats.fit_adstock`).

    Spend kept ``f`` times higher every cycle multiplies the adstocked spend by ``f``, so the
    publicity term becomes ``b h(a f)`` (log or Hill); the allowance and door visits scale as in
    the lever registry. Fixed effects are held at the model's estimates.
    """

    base: np.ndarray         # fixed effects + log exposure, per row
    a: np.ndarray            # adstocked spend per eligible youth, per row
    x: dict                  # stipend / outreach regressor values, per row
    levers: list[str]
    result: Any
    draws: np.ndarray        # row 0 the estimates, then draws (columns as result.params)

    @classmethod
    def of(cls, result, rows: pd.Index, levers: Sequence[str], draws: np.ndarray) -> "_CarryoverResponse":
        fe = getattr(result.fit, "fe_part", None)
        if fe is None or result.spend_per_youth is None:
            raise InputError("this carry-over result cannot predict (refit it with fit_adstock)")
        frame = result.fit.data.loc[rows]
        base = fe.loc[rows].to_numpy(float) + np.log(frame["eligible_youth"].to_numpy(float))
        x = {lv: frame[lv].to_numpy(float) for lv in ("stipend", "outreach") if lv in result.params.index}
        coefs = np.vstack([result.params.to_numpy(float), draws])
        return cls(base, result.spend_per_youth.loc[rows].to_numpy(float), x, list(levers), result, coefs)

    def value(self, factors: np.ndarray, sel: np.ndarray) -> np.ndarray:
        p = self.draws[sel]
        f = dict(zip(self.levers, factors))
        eta = self.base[None, :] + self.result.publicity_term(p, self.a * max(f.get("publicity", 1.0), 1e-12))
        for lv, x in self.x.items():  # the carry-over model's other levers, when the data had them
            j = list(self.result.params.index).index(lv)
            eta = eta + p[:, [j]] * LEVERS[lv].scaled(x, max(f.get(lv, 1.0), 1e-12))[None, :]
        return np.exp(np.clip(eta, -700, 700)).sum(axis=1)


@dataclass
class _Problem:
    responses: list[_Response]
    costs: np.ndarray        # C_k: yuan per cycle that doubling lever k costs
    budget: float

    def value(self, spend: np.ndarray, sel: np.ndarray) -> np.ndarray:
        factors = 1 + np.maximum(spend, 0) / self.costs
        return sum(r.value(factors, sel) for r in self.responses)

    def gradient(self, spend: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """d value / d yuan per lever (len(sel) x k), central differences."""
        h = max(self.budget, 1.0) * 1e-5
        out = np.empty((len(sel), len(spend)))
        for k in range(len(spend)):
            up, down = spend.copy(), spend.copy()
            up[k] += h
            down[k] = max(down[k] - h, 0.0)
            out[:, k] = (self.value(up, sel) - self.value(down, sel)) / (up[k] - down[k])
        return out

    def solve(self, sel: np.ndarray, risk_aversion: float = 0.0) -> np.ndarray:
        """Best spend per lever (yuan) for the mean (minus risk_aversion x sd) over coefficient rows ``sel``."""
        k, B = len(self.costs), self.budget
        scale = max(abs(float(np.mean(self.value(np.zeros(k), sel)))), 1.0)

        def objective(share):
            v = self.value(share * B, sel)
            crit = v.mean() - (risk_aversion * v.std(ddof=1) if risk_aversion and len(v) > 1 else 0.0)
            return -crit / scale

        best = None
        for start in [np.full(k, 1.0 / k), *np.eye(k)]:
            res = optimize.minimize(objective, start, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                                    constraints=[{"type": "ineq", "fun": lambda s: 1.0 - s.sum()}],
                                    options={"ftol": 1e-12, "maxiter": 500})
            if best is None or res.fun < best.fun:
                best = res
        share = np.clip(best.x, 0.0, 1.0)
        return np.where(share < 1e-9, 0.0, share) * B   # solver noise around a corner is no allocation


# --- result --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AllocationResult:
    """The best mix of an extra budget across levers, with its uncertainty.

    ``table`` is indexed by lever: ``cost_of_doubling`` (yuan per cycle), ``spend`` and
    ``share`` of the point allocation (at the estimates), ``factor`` (new level / current),
    ``spend_bayes`` (best for the expected outcome over the draws), ``share_p05``,
    ``share_p50``, ``share_p95`` (the best share across draws), ``marginal_cost`` (yuan
    per additional applicant at the point allocation) with ``marginal_cost_ci_low`` /
    ``_high`` over draws, and ``saturation_spend`` (extra yuan at which the lever's
    yield per yuan has fallen to ``saturation_share`` of its current value).
    """

    table: pd.DataFrame
    budget: float
    objective: str
    gain: dict[str, float]
    expected_loss_point: float
    expected_loss_bayes: float
    risk_aversion: float
    saturation_share: float
    unit_costs: dict[str, float]
    allowance_years: float
    where: str
    cycle: str
    draws: int
    seed: int
    level: float
    synthetic: bool
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out = {"budget": self.budget, "objective": self.objective, "where": self.where,
               "based_on_cycle": self.cycle, "allocation": self.table.reset_index().to_dict(orient="records"),
               "gain": self.gain, "expected_loss_point": self.expected_loss_point,
               "expected_loss_bayes": self.expected_loss_bayes, "risk_aversion": self.risk_aversion,
               "saturation_share": self.saturation_share, "unit_costs": self.unit_costs,
               "allowance_years": self.allowance_years, "draws": self.draws, "seed": self.seed,
               "level": self.level, "notes": list(self.notes), "synthetic": self.synthetic}
        if self.synthetic:
            out["data_label"] = SYNTHETIC_LABEL
        return json_safe(out)

    def summary(self, lang: str = "en") -> str:
        t = self.table
        if lang == "zh":
            lines = [f"预算分配（每批次追加 {self.budget:,.0f} 元，{where_text(self.where, 'zh')}）："]
            for lv, r in t.iterrows():
                lines.append(f"  {LEVERS[lv].label('zh')}：{r['spend']:,.0f} 元（{r['share']:.0%}；各参数抽样下的"
                             f"最优份额 {r['share_p05']:.0%}–{r['share_p95']:.0%}），边际成本 "
                             f"{r['marginal_cost']:,.0f} 元/名报名者")
            lines.append(f"  预计增加 {self.gain['point']:,.1f}（{self.level:.0%} 区间 {self.gain['ci_low']:,.1f} 至 "
                         f"{self.gain['ci_high']:,.1f}）；点分配的期望损失 {self.expected_loss_point:,.2f}")
        else:
            lines = [f"Budget allocation ({self.budget:,.0f} extra yuan per cycle, {self.where}):"]
            for lv, r in t.iterrows():
                lines.append(f"  {LEVERS[lv].label('en')}: {r['spend']:,.0f} yuan ({r['share']:.0%}; best share "
                             f"across parameter draws {r['share_p05']:.0%} to {r['share_p95']:.0%}), "
                             "marginal cost "
                             f"{r['marginal_cost']:,.0f} yuan per applicant")
            lines.append(f"  expected gain {self.gain['point']:,.1f} ({self.level:.0%} interval "
                         f"{self.gain['ci_low']:,.1f} to {self.gain['ci_high']:,.1f}); expected loss of the point "
                         f"allocation {self.expected_loss_point:,.2f}")
        if self.synthetic:
            lines.append("  模拟数据（SYNTHETIC）" if lang == "zh" else "  (synthetic data)")
        return "\n".join(lines)


# --- the public entry point --------------------------------------------------------------

def _costs(levers, rows, unit_costs, allowance_years) -> np.ndarray:
    from recruitstats.policy import lever_cost

    out = []
    for lv in levers:
        cost, note = lever_cost(LEVERS[lv], rows, pct=100, unit_costs=unit_costs,
                                allowance_years=allowance_years, n_cycles=1)
        if not (np.isfinite(cost) and cost > 0):
            raise InputError(f"{lv} cannot be priced: {note or 'its current level is zero'}")
        out.append(cost)
    return np.array(out, float)


def _saturation(problem: _Problem, k: int, share: float) -> float:
    """Extra yuan on lever k alone at which its yield per yuan falls to ``share`` of the current yield."""
    def g(s: float) -> float:
        spend = np.zeros(len(problem.costs))
        spend[k] = s
        return float(problem.gradient(spend, np.array([0]))[0, k])

    g0 = g(0.0)
    if not g0 > 0:
        return math.nan
    hi = float(problem.costs[k])
    while g(hi) > share * g0:
        hi *= 4
        if hi > 1e6 * problem.costs[k]:
            return math.inf
    return float(optimize.brentq(lambda s: g(s) - share * g0, 0.0, hi, xtol=1e-6 * hi))


def _carryover_response(result, rows: pd.DataFrame, levers, draws: int, seed: int, cov) -> _CarryoverResponse:
    from recruitstats.planning.scenarios import coefficient_draws

    if getattr(result, "model", None) != "signup_adstock":
        raise InputError("carryover must be a result of fit_adstock")
    if any(lv not in ("publicity", *(t for t in ("stipend", "outreach") if t in result.params.index))
           for lv in levers):
        raise InputError("with the carry-over model the levers are publicity and those of stipend and outreach "
                         f"it holds ({', '.join(result.params.index[:3])})")
    missing = rows.index.difference(result.fit.data.index)
    if len(missing):
        raise InputError(f"{len(missing)} row(s) of the latest cycle are not in the carry-over model: "
                         "fit both models on the same panel")
    terms = result.params.index
    if cov is not None and not set(terms) <= set(cov.index):
        raise InputError(f"with the carry-over model cov must cover its terms ({', '.join(terms)})")
    cov = result.cov.fillna(0.0) if cov is None else cov   # a term without a standard error is held fixed
    return _CarryoverResponse.of(result, rows.index, levers, coefficient_draws(result, draws, seed, cov=cov))


def _check(budget, draws, level, risk_aversion, saturation_share, return_weight) -> None:
    if not isinstance(budget, (int, float)) or not math.isfinite(budget) or budget <= 0:
        raise InputError(f"the budget must be a positive number of yuan per cycle, not {budget!r}")
    if not isinstance(draws, int) or draws < 20:
        raise InputError(f"draws must be a whole number of at least 20, not {draws!r}")
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, not {level!r}")
    if not risk_aversion >= 0 or not 0 < saturation_share < 1 or not return_weight >= 0:
        raise InputError("risk_aversion and return_weight must be >= 0 and saturation_share in (0, 1)")


def allocate(
    signup,
    budget: float,
    *,
    unit_costs: Mapping[str, float] | None = None,
    levers: Sequence[str] | None = None,
    discharge=None,
    return_weight: float = 1.0,
    district: str | None = None,
    city: str | None = None,
    allowance_years: float | None = None,
    draws: int = 200,
    seed: int,
    level: float = 0.95,
    risk_aversion: float = 0.0,
    saturation_share: float = 0.1,
    cov: pd.DataFrame | None = None,
    carryover=None,
) -> AllocationResult:
    """Split an extra budget (yuan per cycle) across levers to maximise expected applicants.

    Parameters
    ----------
    signup : fitted sign-up model.
    budget : extra yuan per cycle to spend (over the selected districts).
    unit_costs : yuan per unit of a raw column (e.g. ``{"door_visits": 50}``); default:
        the project config's ``unit_costs``.
    levers : levers to allocate across (default: the model's identified default levers).
    discharge : fitted discharge model: maximise applicants minus ``return_weight`` x returns.
    district, city : allocate for one district or city (default: all districts).
    allowance_years : years of allowance a recruit's household receives (default: config).
    draws : coefficient draws for the uncertainty; seed : their seed.
    risk_aversion : the Bayes allocation maximises mean - risk_aversion x sd over draws.
    saturation_share : yield per yuan, relative to now, at which a lever counts as saturated.
    cov : covariance to draw the sign-up coefficients from instead of the model's.
    carryover : a :class:`~recruitstats.planning.adstock.AdstockResult` fitted on the same
        panel: sign-ups then come from it, in steady state (spend kept at the new level every
        cycle, so carry-over has built up), with its log or Hill saturation of publicity.

    Returns
    -------
    AllocationResult
    """
    from recruitstats.config import load_config
    from recruitstats.planning.scenarios import coefficient_draws

    _check(budget, draws, level, risk_aversion, saturation_share, return_weight)
    cfg = load_config()
    unit_costs = dict(cfg.unit_costs if unit_costs is None else unit_costs)
    years = cfg.allowance_years if allowance_years is None else float(allowance_years)
    levers = list(levers or [lv for lv in ("publicity", "stipend", "outreach") if lv in signup.params.index])
    missing = [lv for lv in levers if lv not in signup.params.index]
    if missing or not levers:
        raise InputError(f"lever(s) {', '.join(missing) or '(none)'} have no estimated effect "
                         "in the sign-up model")
    rows, where, cycle = _select(signup, district, city)
    costs = _costs(levers, rows, unit_costs, years)
    objective, notes = "expected applicants", []
    if carryover is None:
        responses = [_Response.of(signup, rows, levers, 1.0, coefficient_draws(signup, draws, seed, cov=cov))]
    else:
        responses = [_carryover_response(carryover, rows, levers, draws, seed, cov)]
        objective = f"expected applicants in steady state (carry-over, {carryover.saturation} saturation)"
    if discharge is not None:
        d_rows = discharge.data.loc[discharge.data.index.intersection(rows.index)]
        d_rows = d_rows.loc[d_rows.index.isin(discharge.rows_used)]
        responses.append(_Response.of(discharge, d_rows, levers, -float(return_weight),
                                      coefficient_draws(discharge, draws, seed + 1)))
        objective = f"expected applicants minus {return_weight:g} x expected early returns"
        notes.append("sign-up and discharge coefficients are drawn independently")
    problem = _Problem(responses, costs, float(budget))
    return _solve(problem, levers, rows=rows, draws=draws, level=level, risk_aversion=risk_aversion,
                  saturation_share=saturation_share, meta=dict(
                      budget=float(budget), objective=objective, unit_costs=unit_costs, allowance_years=years,
                      where=where, cycle=cycle, draws=draws, seed=seed, level=level,
                      synthetic=bool(getattr(signup, "synthetic", False)), notes=tuple(notes)))


def _solve(problem: _Problem, levers, *, rows, draws, level, risk_aversion, saturation_share, meta):
    point, every = np.array([0]), np.arange(1, draws + 1)
    zero = np.zeros(len(levers))
    s_point = problem.solve(point)
    s_bayes = problem.solve(every, risk_aversion)
    per_draw = np.array([problem.solve(np.array([r])) for r in every])
    own = np.array([problem.value(per_draw[i], np.array([r]))[0] for i, r in enumerate(every)])
    base, v_point, v_bayes = (problem.value(s, every) for s in (zero, s_point, s_bayes))
    q = [0.5 - level / 2, 0.5 + level / 2]
    gain_draws = v_point - base
    g_point = problem.gradient(s_point, point)[0]
    g_draws = problem.gradient(s_point, every)
    g_lo, g_hi = np.quantile(g_draws, q, axis=0)   # yield per yuan; its interval maps to 1 / yield
    shares = per_draw / problem.budget
    table = pd.DataFrame({
        "cost_of_doubling": problem.costs, "spend": s_point, "share": s_point / problem.budget,
        "factor": 1 + s_point / problem.costs, "spend_bayes": s_bayes,
        "share_p05": np.quantile(shares, 0.05, axis=0), "share_p50": np.quantile(shares, 0.5, axis=0),
        "share_p95": np.quantile(shares, 0.95, axis=0),
        "marginal_cost": np.where(g_point > 0, 1 / np.where(g_point > 0, g_point, 1), np.inf),
        "marginal_cost_ci_low": np.where(g_hi > 0, 1 / np.where(g_hi > 0, g_hi, 1), np.inf),
        "marginal_cost_ci_high": np.where(g_lo > 0, 1 / np.where(g_lo > 0, g_lo, 1), np.inf),
        "saturation_spend": [_saturation(problem, k, saturation_share) for k in range(len(levers))],
    }, index=pd.Index(levers, name="lever"))
    gain = {"point": float(problem.value(s_point, point)[0] - problem.value(zero, point)[0]),
            "mean": float(gain_draws.mean()), "ci_low": float(np.quantile(gain_draws, q[0])),
            "ci_high": float(np.quantile(gain_draws, q[1])), "bayes_mean": float((v_bayes - base).mean())}
    return AllocationResult(table=table, gain=gain, expected_loss_point=float(np.mean(own - v_point)),
                            expected_loss_bayes=float(np.mean(own - v_bayes)), risk_aversion=float(risk_aversion),
                            saturation_share=float(saturation_share), **meta)
