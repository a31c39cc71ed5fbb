"""Inference: cluster-robust covariances, small-sample factors, the wild score bootstrap.

Convention (documented in docs/models.md and tested against pyfixest): CRV1 with
the fixest default small-sample factor

    G / (G - 1) * (N - 1) / (N - K)

where G is the number of clusters, N the observations used and K the number of
estimated parameters with fixest's "nested" rule: regressors, plus the levels of
fixed effects not nested in the cluster variable, plus one for a fixed effect that
is nested in it (a district effect with errors clustered by district counts once). Critical
values come from t(G - 1), as in Stata and fixest, so that inference with few
clusters is not over-confident. statsmodels counts every dummy in K and so
gives slightly larger errors when fixed effects are nested in clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError

__all__ = [
    "FEW_CLUSTERS",
    "VCOV_CHOICES",
    "Covariance",
    "resolve_vcov",
    "choose_covariance",
    "jackknife_covariance",
    "cluster_meat",
    "cluster_covariance",
    "multiway_cluster_covariance",
    "hetero_covariance",
    "small_sample_factor",
    "critical_value",
    "two_sided_p",
    "score_test_bootstrap",
]

#: Below this many clusters the package says so and recommends the bootstrap.
FEW_CLUSTERS = 40


def _cluster_sums(scores: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, scores.shape[1]))
    np.add.at(out, codes, scores)
    return out


def cluster_meat(scores: np.ndarray, clusters: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum over clusters of the outer products of cluster score sums; returns (meat, G)."""
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster variable has missing values")
    sums = _cluster_sums(np.asarray(scores, float), codes, len(uniques))
    return sums.T @ sums, len(uniques)


def small_sample_factor(n_obs: int, n_params: int, n_clusters: int) -> float:
    """fixest's default CRV1 factor G/(G-1) * (N-1)/(N-K)."""
    return n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - n_params)


def cluster_covariance(
    scores: np.ndarray,
    bread: np.ndarray,
    clusters: np.ndarray,
    *,
    n_params: int,
    adjust: bool = True,
) -> tuple[np.ndarray, int]:
    """CRV1 covariance ``bread @ meat @ bread`` with the small-sample factor; returns (cov, G).

    Parameters
    ----------
    scores : (n, k) per-observation score contributions (fixed effects partialled out).
    bread : (k, k) inverse of the Hessian (for OLS, inverse of X'X).
    clusters : (n,) cluster labels.
    n_params : K in the small-sample factor (parameters not nested in the clusters).
    adjust : apply the small-sample factor (False gives the plain sandwich).
    """
    meat, g = cluster_meat(scores, clusters)
    if g < 2:
        raise ValueError("cluster-robust errors need at least two clusters")
    cov = bread @ meat @ bread
    if adjust:
        cov = cov * small_sample_factor(len(scores), n_params, g)
    return (cov + cov.T) / 2, g


def multiway_cluster_covariance(
    scores: np.ndarray,
    bread: np.ndarray,
    clusters: list[np.ndarray],
    *,
    n_params: int,
) -> tuple[np.ndarray, int]:
    """Multiway clustering (Cameron, Gelbach and Miller 2011), as R sandwich's ``vcovCL``.

    Sums the one-way CRV1 covariances of every non-empty combination of the
    cluster variables with alternating signs (two-way: firm + year - firm x year),
    each with its own G/(G-1) and the common (N-1)/(N-K). Returns (cov, smallest G).
    """
    from itertools import combinations

    n = len(scores)
    frames = [pd.Series(c).astype(str).to_numpy() for c in clusters]
    total = np.zeros_like(bread)
    for r in range(1, len(frames) + 1):
        for combo in combinations(frames, r):
            key = combo[0] if r == 1 else np.char.add.reduce([np.char.add(c, "|") for c in combo])
            meat, g = cluster_meat(scores, key)
            total += (-1) ** (r + 1) * g / (g - 1) * (bread @ meat @ bread)
    total *= (n - 1) / (n - n_params)
    g_min = min(pd.Series(c).nunique() for c in clusters)
    return (total + total.T) / 2, g_min


def hetero_covariance(scores: np.ndarray, bread: np.ndarray, *, n_params: int) -> np.ndarray:
    """Heteroskedasticity-robust (HC1) covariance: each observation its own cluster."""
    n = len(scores)
    cov = bread @ (scores.T @ scores) @ bread * n / (n - n_params)
    return (cov + cov.T) / 2


def critical_value(level: float, df: float | None) -> float:
    """Two-sided critical value: t(df) when df is given (finite), normal otherwise."""
    from scipy.special import ndtri, stdtrit  # scipy.special, not scipy.stats: a fifth of the import time

    q = 0.5 + level / 2
    return float(stdtrit(df, q)) if df and np.isfinite(df) else float(ndtri(q))


def two_sided_p(t: np.ndarray | pd.Series | float, df: float | None) -> np.ndarray:
    """Two-sided p-values of t statistics: t(df) when df is given (finite), normal otherwise."""
    from scipy.special import ndtr, stdtr

    a = -np.abs(np.asarray(t, float))
    return 2 * (stdtr(df, a) if df and np.isfinite(df) else ndtr(a))


# --- the one covariance chooser (rate models and Cox alike) -----------------

Vcov = Literal["auto", "cluster", "jackknife", "hetero", "iid"]
VCOV_CHOICES: tuple[str, ...] = ("auto", "cluster", "jackknife", "hetero", "iid")


@dataclass(frozen=True)
class Covariance:
    """A chosen covariance of the reported parameters and how it was computed.

    ``method`` is what was used in the end ("cluster" = CRV1, "jackknife" = CRV3,
    "hetero" = HC1, "iid" = model-based); ``description``/``description_zh`` say so
    in words for tables and briefs; ``warnings`` are for the result's warnings.
    """

    cov: np.ndarray
    method: str
    df_t: int | None
    n_clusters: int | None
    description: str
    description_zh: str
    warnings: tuple[str, ...] = ()


def resolve_vcov(vcov: str | None, *, cluster: str | None, n_clusters: int | None = None) -> str:
    """The covariance to use: None is "auto" with a cluster, "hetero" without; "auto" is CRV3 below FEW_CLUSTERS.

    With ``n_clusters`` None, "auto" is returned unresolved (the count is not known yet).
    """
    vcov = vcov or ("auto" if cluster else "hetero")
    if vcov not in VCOV_CHOICES:
        raise InputError(f"unknown vcov {vcov!r}: use one of {', '.join(VCOV_CHOICES)}")
    if vcov in ("cluster", "jackknife", "auto") and not cluster:
        raise InputError("clustered errors need a cluster column")
    if vcov == "auto" and n_clusters is not None:
        return "jackknife" if n_clusters < FEW_CLUSTERS else "cluster"
    return vcov


def jackknife_covariance(estimates: np.ndarray, full: np.ndarray) -> np.ndarray:
    """CRV3: (G-1)/G * sum over clusters of (b_without_g - b)(b_without_g - b)'; one row of ``estimates`` per cluster."""
    dev = np.asarray(estimates, float) - np.asarray(full, float)
    g = len(dev)
    cov = (g - 1) / g * dev.T @ dev
    return (cov + cov.T) / 2


def _crv1(scores, bread, codes, g, n_params, small_sample):
    sums = _cluster_sums(np.asarray(scores, float), codes, g)
    cov = bread @ (sums.T @ sums) @ bread
    if small_sample:
        cov = cov * (small_sample_factor(len(scores), n_params, g) if n_params is not None else g / (g - 1))
    return (cov + cov.T) / 2


def _crv1_text(cluster, g, n_params, small_sample):
    if not small_sample:
        return (f"cluster-robust by {cluster} ({g} clusters), CRV1 sandwich without a small-sample factor, "
                "normal critical values (as R coxph)",
                f"按{cluster}聚类稳健（{g} 个聚类），CRV1 三明治估计，无小样本校正，正态临界值（同 R coxph）")
    factor = "G/(G-1)*(N-1)/(N-K) (as fixest)" if n_params is not None else "G/(G-1)"
    return (f"cluster-robust by {cluster} ({g} clusters), CRV1 sandwich with the small-sample factor {factor}, "
            f"t({g - 1}) critical values",
            f"按{cluster}聚类稳健（{g} 个聚类），CRV1 三明治估计，小样本校正 {factor}，t({g - 1}) 临界值")


def _crv3_text(cluster, g):
    few = f"; few clusters ({g} < {FEW_CLUSTERS})" if g < FEW_CLUSTERS else ""
    few_zh = f"；聚类较少（{g} < {FEW_CLUSTERS}）" if g < FEW_CLUSTERS else ""
    return (f"cluster-robust by {cluster}{few}: CRV3 leave-one-cluster-out jackknife with t({g - 1}) "
            "critical values",
            f"按{cluster}聚类稳健{few_zh}：CRV3 逐一剔除聚类的刀切法，t({g - 1}) 临界值")


def choose_covariance(
    vcov: str,
    *,
    bread: np.ndarray,
    scores: np.ndarray | None = None,
    clusters: np.ndarray | None = None,
    cluster_name: str | None = None,
    n_params: int | None = None,
    small_sample: bool = True,
    jackknife: Callable[[], np.ndarray | None] | None = None,
    keep: Sequence[int] | None = None,
    iid_note: str = "",
) -> Covariance:
    """Covariance of the reported parameters by the package's one rule, with its description.

    Parameters
    ----------
    vcov : "auto" (CRV3 jackknife below :data:`FEW_CLUSTERS` clusters, CRV1 from there),
        "cluster" (CRV1), "jackknife" (CRV3), "hetero" (HC1) or "iid" (model-based: ``bread``).
    bread : (k, k) inverse Hessian of all estimated parameters (fixed effects partialled out).
    scores : (n, k) per-observation scores; needed for "cluster" and "hetero".
    clusters : (n,) cluster labels or codes; needed for "auto", "cluster" and "jackknife".
    cluster_name : the cluster column, for the description.
    n_params : K of the small-sample factor. CRV1 multiplies by G/(G-1)*(N-1)/(N-K) (fixest)
        when given and by G/(G-1) when None; HC1 by N/(N-K) (K required).
    small_sample : False gives the plain CRV1 sandwich with normal critical values.
    jackknife : returns the CRV3 covariance of the reported parameters, or None when it
        cannot be computed (then CRV1 is used, with a warning).
    keep : indices of the reported parameters among the k (default: all).
    iid_note : words added to the description of model-based errors.
    """
    sel = np.arange(bread.shape[0]) if keep is None else np.asarray(keep, int)
    block = lambda m: m[np.ix_(sel, sel)]  # noqa: E731
    if vcov == "hetero":
        cov = hetero_covariance(scores, bread, n_params=int(n_params))
        return Covariance(block(cov), "hetero", None, None,
                          "heteroskedasticity-robust (HC1), normal critical values",
                          "异方差稳健（HC1），正态临界值")
    if vcov == "iid":
        return Covariance(block(bread), "iid", None, None,
                          f"model-based ({iid_note or 'inverse information'}), normal critical values",
                          "基于模型（信息矩阵之逆），正态临界值")
    codes, uniques = pd.factorize(pd.Series(clusters), sort=True)
    g = len(uniques)
    if g < 2:
        raise InputError(f"clustered errors need at least two clusters; the data have one {cluster_name}")
    method = resolve_vcov(vcov, cluster=cluster_name or "cluster", n_clusters=g)
    notes: list[str] = []
    if method == "jackknife":
        jack = jackknife() if jackknife is not None else None
        if jack is not None:
            text, text_zh = _crv3_text(cluster_name, g)
            return Covariance(jack, "jackknife", g - 1, g, text, text_zh, tuple(_few(g, True)))
        method = "cluster"
        notes.append("the leave-one-cluster-out jackknife failed (a lever is not identified without some "
                     "cluster); CRV1 is used instead")
    cov = _crv1(scores, bread, codes, g, n_params, small_sample)
    text, text_zh = _crv1_text(cluster_name, g, n_params, small_sample)
    df_t = g - 1 if small_sample else None
    return Covariance(block(cov), "cluster", df_t, g, text, text_zh, tuple(notes + _few(g, False)))


def _few(g: int, jackknife: bool) -> list[str]:
    if g >= FEW_CLUSTERS:
        return []
    return [f"only {g} clusters: intervals use t({g - 1})" + (" and the CRV3 jackknife" if jackknife else "")
            + "; the wild score cluster bootstrap is a further check"]


def _webb_weights(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    vals = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    return vals[rng.integers(0, 6, size=size)]


def _score_pvalue(effective: np.ndarray, weights: np.ndarray) -> float:
    """Bootstrap p-value of the cluster score statistic (sum e_g)^2 / sum e_g^2 under sign flips."""
    denom = np.sum(effective**2)
    if denom <= 0:
        return 1.0
    observed = effective.sum() ** 2 / denom
    boot_num = (weights @ effective) ** 2
    boot_den = (weights**2) @ (effective**2)
    boot = boot_num / boot_den
    return float((1 + np.sum(boot >= observed * (1 - 1e-12))) / (1 + len(boot)))


def score_test_bootstrap(
    restricted_scores: Callable[[str, float], np.ndarray],
    *,
    names: list[str],
    estimates: pd.Series,
    se: pd.Series,
    df: int | None,
    n_clusters: int,
    reps: int = 999,
    seed: int = 12345,
    level: float = 0.95,
    weights: str = "webb",
    progress: bool = True,
) -> pd.DataFrame:
    """Wild score cluster bootstrap (Kline and Santos 2012) with the null imposed.

    For each coefficient, ``restricted_scores(name, value)`` refits the model with
    that coefficient held at ``value`` and returns the per-cluster *effective*
    score for it (partialled on the other regressors). The p-value compares the
    score statistic with its distribution under random sign (Webb six-point or
    Rademacher) flips of the cluster scores; the interval inverts the test by
    bisection. Holds up with few clusters where CRV1 is over-confident.

    Returns
    -------
    DataFrame indexed by regressor with ``p_value``, ``ci_low``, ``ci_high``.
    """
    from tqdm.auto import tqdm

    rng = np.random.default_rng(seed)
    if weights == "webb":
        w = _webb_weights(rng, (reps, n_clusters))
    elif weights == "rademacher":
        w = rng.choice([-1.0, 1.0], size=(reps, n_clusters))
    else:
        raise ValueError(f"unknown bootstrap weights {weights!r}")
    alpha = 1 - level
    rows = {}
    width = critical_value(level, df)
    bar = tqdm(names, desc="score bootstrap", disable=not progress, leave=False)
    for name in bar:
        pval = lambda v: _score_pvalue(restricted_scores(name, v), w)  # noqa: E731
        p0 = pval(0.0)
        b, s = float(estimates[name]), float(se[name])

        def bound(direction: int) -> float:
            inside = b
            outside = b + direction * 2 * width * s
            for _ in range(8):  # widen until rejected
                if pval(outside) < alpha:
                    break
                outside = b + direction * (abs(outside - b) * 2)
            else:
                return np.inf * direction
            for _ in range(30):
                mid = (inside + outside) / 2
                if pval(mid) < alpha:
                    outside = mid
                else:
                    inside = mid
                if abs(outside - inside) < 1e-4 * max(s, 1e-8):
                    break
            return (inside + outside) / 2

        rows[name] = {"p_value": p0, "ci_low": bound(-1), "ci_high": bound(+1)}
    return pd.DataFrame.from_dict(rows, orient="index")
