"""The result protocol for difference-in-differences estimators.

Every DiD result has ``params``, ``se``, ``cov``, ``nobs``, ``n_clusters``, ``df_t``,
``inference``, ``synthetic``, ``model``, ``warnings`` and the methods ``conf_int``,
``pvalues``, ``tidy``, ``summary``, ``to_dict`` and ``predict`` (which refuses: a DiD
estimate is an average effect on the treated, not a model of the outcome to predict
from). The mixin computes everything from ``params`` and ``cov``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from recruitstats.errors import InputError, Problem
from recruitstats.results import ResultBase

__all__ = ["DidResultMixin", "cluster_covariance_from_if", "uniform_critical_value", "wald_test"]


def _clean(x: Any) -> Any:
    """JSON-safe: NaN and inf become None, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    return x


def _cluster_sums(psi: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    out = np.zeros((len(uniques), psi.shape[1]))
    np.add.at(out, codes, psi)
    return out


def cluster_covariance_from_if(psi: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Covariance of estimators with unit-level influence functions ``psi`` (n x k), clustered.

    ``sum_c (sum_{i in c} psi_i)(...)' / n^2`` with no small-sample factor, as R ``did``'s
    analytic errors (each district its own cluster) and its clustered multiplier bootstrap.
    """
    n = psi.shape[0]
    sums = _cluster_sums(psi, clusters)
    cov = sums.T @ sums / n**2
    return (cov + cov.T) / 2


def uniform_critical_value(psi: np.ndarray, clusters: np.ndarray, se: np.ndarray, *, level: float,
                           reps: int, seed: int) -> float:
    """Sup-t critical value of a multiplier bootstrap (Rademacher weights by cluster).

    The quantile ``level`` of ``max_k |sum_c w_c psi_ck / n| / se_k`` over ``reps`` draws: a
    band ``estimate +- c * se`` covers all ``k`` effects at once with probability ``level``.
    """
    ok = se > 0
    if not ok.any():
        return float("nan")
    sums = _cluster_sums(psi[:, ok], clusters) / psi.shape[0]
    rng = np.random.default_rng(seed)
    draws = np.empty(reps)
    for start in range(0, reps, 500):  # chunks keep memory small for large panels
        w = rng.choice(np.array([-1.0, 1.0]), size=(min(500, reps - start), sums.shape[0]))
        draws[start:start + len(w)] = np.abs(w @ sums / se[ok]).max(axis=1)
    return float(np.quantile(draws, level))


def wald_test(params: pd.Series, cov: pd.DataFrame, terms: list[str]) -> dict[str, Any]:
    """Joint Wald test that ``terms`` are all zero (chi-squared, df = rank of their covariance)."""
    if not terms:
        return {"statistic": None, "df": 0, "p_value": None, "terms": []}
    b = params[terms].to_numpy(float)
    v = cov.loc[terms, terms].to_numpy(float)
    rank = int(np.linalg.matrix_rank(v))
    stat = float(b @ np.linalg.pinv(v) @ b)
    return {"statistic": stat, "df": rank, "p_value": float(stats.chi2.sf(stat, rank)), "terms": list(terms)}


class DidResultMixin(ResultBase):
    """The package's result protocol (:class:`~recruitstats.results.ResultBase`) for DiD results.

    Inference is normal (``df_t`` infinite); ``predict`` refuses with an input error.
    """

    df_t: float = math.inf

    @property
    def nobs(self) -> int:
        return len(self.did.frame)

    @property
    def n_clusters(self) -> int:
        return self.did.n_clusters

    @property
    def synthetic(self) -> bool:
        return self.did.synthetic

    def predict(self, data: pd.DataFrame | None = None, *, kind: str = "response", interval: str | None = None,
                level: float | None = None, params=None) -> pd.Series:
        """Not available: a DiD result estimates average effects on the treated, not outcomes."""
        raise InputError([Problem(f"{self.model} estimates average effects of a reform on the districts that "
                                  "made it; it does not predict outcomes (use fit_signup or fit_discharge for "
                                  "predictions and scenarios)", expected="tidy(), event_study or aggregations")])

    def _base_dict(self) -> dict[str, Any]:
        out = ResultBase.to_dict(self)
        out["cov"] = {"terms": list(self.params.index), "matrix": self.cov.to_numpy().tolist()}
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dictionary (NaN as null)."""
        return _clean(self._base_dict())
