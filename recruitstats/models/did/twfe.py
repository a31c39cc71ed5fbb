"""Two-way fixed-effects regressions on the DiD frame, and what the naive TWFE estimate averages.

- :func:`fit_twfe`: the naive ``y ~ treated + district FE + cycle FE`` estimate, CRV1 errors.
- :func:`bacon_decomposition`: Goodman-Bacon (2021): the TWFE estimate as a weighted average of
  all 2x2 DiDs (treated vs never, earlier vs later, later vs earlier); balanced panel, no
  covariates. The "later vs earlier" comparisons use already-treated districts as controls.
- :func:`twfe_weights`: de Chaisemartin and D'Haultfoeuille (2020) weights the TWFE estimate puts
  on each treated district-cycle's effect; negative weights mean the estimate can have the
  wrong sign even when every effect is positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.inference import cluster_covariance
from recruitstats.models.did.data import DidPanel, prepare_did
from recruitstats.models.did.result import DidResultMixin

__all__ = ["TwfeResult", "fit_twfe", "bacon_decomposition", "twfe_weights", "fe_ols", "two_way_demean"]


def two_way_demean(x: np.ndarray, unit: np.ndarray, period: np.ndarray) -> np.ndarray:
    """``x - mean by unit - mean by period + grand mean`` (exact two-way FE on a balanced panel)."""
    x = np.asarray(x, float)
    out = x.copy()
    for ids in (unit, period):
        codes, uniq = pd.factorize(ids)
        sums = np.zeros((len(uniq),) + x.shape[1:])
        np.add.at(sums, codes, x)
        out = out - (sums / np.bincount(codes)[(slice(None),) + (None,) * (x.ndim - 1)])[codes]
    return out + x.mean(axis=0)


def fe_ols(y: np.ndarray, x: np.ndarray, unit: np.ndarray, clusters: np.ndarray,
           period_dummies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS of ``y`` on ``x`` with unit fixed effects (within by unit) and, optionally, period dummies.

    On a balanced panel without ``period_dummies`` both effects are removed by two-way demeaning.
    Returns coefficients of ``x``, their CRV1 covariance (fixest's small-sample factor, unit
    effects nested in the clusters so not counted) and the residuals.
    """
    x = np.asarray(x, float).reshape(len(y), -1)
    design = x if period_dummies is None else np.column_stack([x, period_dummies])
    codes, uniq = pd.factorize(unit)
    counts = np.bincount(codes)[:, None]

    def within(a):
        a = np.asarray(a, float).reshape(len(y), -1)
        sums = np.zeros((len(uniq), a.shape[1]))
        np.add.at(sums, codes, a)
        return a - (sums / counts)[codes]

    xd, yd = within(design), within(y)[:, 0]
    bread = np.linalg.pinv(xd.T @ xd)
    beta = bread @ xd.T @ yd
    resid = yd - xd @ beta
    cov, _ = cluster_covariance(xd * resid[:, None], bread, clusters, n_params=xd.shape[1] + 1)
    k = x.shape[1]
    return beta[:k], cov[:k, :k], resid


@dataclass(frozen=True)
class TwfeResult(DidResultMixin):
    """The naive two-way fixed-effects DiD estimate (one term, ``treated``)."""

    params: pd.Series
    cov: pd.DataFrame
    did: DidPanel
    inference: str
    warnings: tuple[str, ...] = ()
    model: str = "twfe"


def _did(panel: pd.DataFrame | DidPanel, **kwargs) -> DidPanel:
    return panel if isinstance(panel, DidPanel) else prepare_did(panel, **kwargs)


def fit_twfe(panel: pd.DataFrame | DidPanel, *, outcome: str = "signup", cohort: str | None = None,
             min_rise: float = 0.1, cluster: str | None = None) -> TwfeResult:
    """Naive TWFE DiD: ``y ~ treated + district FE + cycle FE``, errors clustered by district (CRV1).

    Parameters are as :func:`fit_staggered`'s; a prepared :class:`DidPanel` may be passed instead
    of a panel (the options are then ignored). Valid only when effects are equal across cohorts
    and constant over time; shown beside the Callaway-Sant'Anna estimates with its weights.
    """
    dp = _did(panel, outcome=outcome, cohort=cohort, min_rise=min_rise, cluster=cluster)
    f = dp.frame
    if f["treated"].nunique() < 2:
        raise InputError([Problem("no district changes treatment within the panel", column="cohort")])
    periods = pd.get_dummies(f["period"], drop_first=True, dtype=float).to_numpy()
    beta, cov, _ = fe_ols(f["y"].to_numpy(), f["treated"].to_numpy(), f["unit"].to_numpy(),
                          f["cluster"].to_numpy(), periods)
    inference = f"CRV1 clustered by {dp.cluster} ({dp.n_clusters} clusters), fixest small-sample factor"
    return TwfeResult(params=pd.Series(beta, index=["treated"], name="estimate"),
                      cov=pd.DataFrame(cov, index=["treated"], columns=["treated"]), did=dp,
                      inference=inference, warnings=dp.warnings)


def _cell_means(f: pd.DataFrame) -> pd.DataFrame:
    """Mean outcome by cohort (rows) and period (columns)."""
    return f.pivot_table(index="group", columns="period", values="y", aggfunc="mean")


def _two_by_two(means: pd.DataFrame, treat: int, control: int, pre: list[int], post: list[int]) -> float:
    m = means
    return float((m.loc[treat, post].mean() - m.loc[treat, pre].mean())
                 - (m.loc[control, post].mean() - m.loc[control, pre].mean()))


def bacon_decomposition(panel: pd.DataFrame | DidPanel, *, outcome: str = "signup", cohort: str | None = None,
                        min_rise: float = 0.1) -> pd.DataFrame:
    """Goodman-Bacon decomposition of the naive TWFE estimate into 2x2 DiDs and their weights.

    Returns
    -------
    pandas.DataFrame
        One row per comparison: ``type`` (``treated vs never``, ``earlier vs later``: the later
        cohort, not yet treated, as control; ``later vs earlier``: the already-treated earlier
        cohort as control), ``treated``, ``control`` (cycle labels), ``estimate`` (the 2x2 DiD) and
        ``weight``. Weights sum to 1 and ``sum(weight * estimate)`` equals the TWFE estimate,
        stored in ``attrs["twfe"]``.
    """
    dp = _did(panel, outcome=outcome, cohort=cohort, min_rise=min_rise)
    f = dp.frame
    n_t = len(dp.periods)
    d_tilde = two_way_demean(f["treated"].to_numpy(), f["unit"].to_numpy(), f["period"].to_numpy())
    var_d = float(np.mean(d_tilde**2))
    if var_d <= 0:
        raise InputError([Problem("no district changes treatment within the panel", column="cohort")])
    share = f.drop_duplicates("unit")["group"].value_counts(normalize=True)
    timing = sorted(g for g in share.index if g > 0)
    dbar = {g: (n_t - g + 1) / n_t for g in timing}
    means = _cell_means(f)
    periods = list(range(1, n_t + 1))
    rows = []
    for k in timing:
        if 0 in share.index:
            nk, nu = share[k], share[0]
            w = (nk + nu) ** 2 * (nk / (nk + nu)) * (nu / (nk + nu)) * dbar[k] * (1 - dbar[k]) / var_d
            est = _two_by_two(means, k, 0, periods[:k - 1], periods[k - 1:])
            rows.append(("treated vs never", k, 0, est, w))
        for l in (g for g in timing if g > k):
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            w_early = (((nk + nl) * (1 - dbar[l])) ** 2 * nkl * (1 - nkl)
                       * (dbar[k] - dbar[l]) / (1 - dbar[l]) * (1 - dbar[k]) / (1 - dbar[l]) / var_d)
            w_late = (((nk + nl) * dbar[k]) ** 2 * nkl * (1 - nkl)
                      * dbar[l] / dbar[k] * (dbar[k] - dbar[l]) / dbar[k] / var_d)
            rows.append(("earlier vs later", k, l,
                         _two_by_two(means, k, l, periods[:k - 1], periods[k - 1:l - 1]), w_early))
            rows.append(("later vs earlier", l, k,
                         _two_by_two(means, l, k, periods[k - 1:l - 1], periods[l - 1:]), w_late))
    out = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    out["treated"] = out["treated"].map(dp.label)
    out["control"] = out["control"].map(dp.label)
    out.attrs["twfe"] = float(np.sum(d_tilde * f["y"].to_numpy()) / np.sum(d_tilde**2))
    return out


def twfe_weights(panel: pd.DataFrame | DidPanel, *, outcome: str = "signup", cohort: str | None = None,
                 min_rise: float = 0.1) -> pd.DataFrame:
    """de Chaisemartin-D'Haultfoeuille weights of the naive TWFE estimate on treated cells.

    Under parallel trends the TWFE coefficient equals ``sum(weight * effect)`` over treated
    district-cycles, with ``weight`` proportional to the two-way demeaned treatment; weights sum
    to 1 and may be negative (typically late cycles of early cohorts).

    Returns
    -------
    pandas.DataFrame
        One row per treated district-cycle: ``district``, ``group``, ``time``, ``event_time``,
        ``weight``; ``attrs`` holds ``negative_share`` (share of cells with a negative weight) and
        ``negative_sum`` (sum of the negative weights).
    """
    dp = _did(panel, outcome=outcome, cohort=cohort, min_rise=min_rise)
    f = dp.frame
    d_tilde = two_way_demean(f["treated"].to_numpy(), f["unit"].to_numpy(), f["period"].to_numpy())
    treated = f["treated"].to_numpy() == 1
    w = d_tilde[treated] / d_tilde[treated].sum()
    cells = f.loc[treated]
    out = pd.DataFrame({"district": cells["key"].to_numpy(), "group": cells["group"].map(dp.label).to_numpy(),
                        "time": cells["period"].map(dp.label).to_numpy(),
                        "event_time": (cells["period"] - cells["group"]).to_numpy(), "weight": w})
    out.attrs["negative_share"] = float(np.mean(w < 0))
    out.attrs["negative_sum"] = float(w[w < 0].sum())
    return out
