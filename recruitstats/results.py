"""The one protocol every model result satisfies, and the links that predictions go through.

Every result (rate models of every family, Cox, event studies, planning estimators)
answers the same names, so that tables, figures, policy quantities and briefs are
written once (as marginaleffects does for every model):

``params``, ``se``, ``cov``, ``nobs``, ``n_clusters``, ``df_t``, ``inference``,
``synthetic``, ``model``, ``warnings``, ``conf_int(level)``, ``tidy(level)``,
``summary()``, ``to_dict()`` and ``predict(data=None, *, kind, interval, level)``.

:class:`ResultBase` implements everything but the attributes and, for results that
predict, the hook :meth:`ResultBase._design`, which returns the design of some rows:
the regressors in the order of ``params``, the part of the linear predictor that
does not depend on ``params`` (offset and fixed effects) and the trials. Predictions
then go through the result's :class:`Link`: ``predict`` and the policy quantities of
:mod:`recruitstats.policy` are right for every family because they never use a
family-specific formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from recruitstats.errors import InputError

__all__ = ["Link", "LOG", "LOGIT", "link_for", "Design", "Result", "ResultBase", "critical_value",
           "json_safe"]

Kind = Literal["response", "link"]


def critical_value(level: float, df: float | None) -> float:
    """Two-sided critical value: t(df) when df is finite, normal otherwise."""
    from recruitstats.inference import critical_value as _critical

    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1, not {level!r}")
    return _critical(level, df)


# --- links ----------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """Mean of the outcome as a function of the linear predictor ``eta`` and trials ``n``.

    ``mean`` is E[y]; ``d1`` and ``d2`` its first and second derivatives in ``eta``.
    Log link (Poisson, negative binomial, Cox relative hazard): ``mu = n exp(eta)``
    where the exposure is already in ``eta`` as an offset, so ``n`` is 1. Logit
    (binomial): ``mu = n / (1 + exp(-eta))`` with ``n`` trials.
    """

    name: str

    def mean(self, eta: np.ndarray, n: np.ndarray) -> np.ndarray:
        if self.name == "log":
            return n * np.exp(np.clip(eta, -700, 700))
        return n / (1 + np.exp(-np.clip(eta, -700, 700)))

    def d1(self, eta: np.ndarray, n: np.ndarray) -> np.ndarray:
        if self.name == "log":
            return self.mean(eta, n)
        p = 1 / (1 + np.exp(-np.clip(eta, -700, 700)))
        return n * p * (1 - p)

    def d2(self, eta: np.ndarray, n: np.ndarray) -> np.ndarray:
        if self.name == "log":
            return self.mean(eta, n)
        p = 1 / (1 + np.exp(-np.clip(eta, -700, 700)))
        return n * p * (1 - p) * (1 - 2 * p)


LOG = Link("log")
LOGIT = Link("logit")


def link_for(family: str) -> Link:
    """The link of a family name: poisson, negative_binomial, cox -> log; binomial -> logit."""
    if family in ("poisson", "negative_binomial", "cox", "log"):
        return LOG
    if family in ("binomial", "logit"):
        return LOGIT
    raise InputError(f"no link is known for family {family!r}")


@dataclass(frozen=True)
class Design:
    """The rows a prediction is made for: ``eta = base + X @ params``, ``mu = link.mean(eta, n)``.

    ``dbase`` is the derivative of ``base`` with respect to ``params`` (rows x k) when
    ``base`` holds estimated fixed effects: they move with the coefficients (profiled
    out, as the fit's score equations for them say), so the linear predictor's
    gradient is ``X + dbase``, the within-transformed regressors. None: ``base`` is
    fixed (offsets only, or rows whose fixed effects were looked up). ``b0`` are the
    coefficients at which ``base`` was estimated; at other coefficients ``base`` moves
    to first order by ``dbase @ (b - b0)``.
    """

    X: np.ndarray
    base: np.ndarray
    n: np.ndarray
    index: pd.Index
    dbase: np.ndarray | None = None
    b0: np.ndarray | None = None

    def eta(self, b: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        """Linear predictor at coefficients ``b`` (with ``X`` in place of the regressors if given)."""
        X = self.X if X is None else X
        eta = self.base + X @ b
        if self.dbase is not None:
            eta = eta + self.dbase @ (np.asarray(b, float) - self.b0)
        return eta

    def jacobian(self, X: np.ndarray | None = None) -> np.ndarray:
        """d eta / d params for the rows (with ``X`` in place of the design's regressors if given)."""
        X = self.X if X is None else X
        return X if self.dbase is None else X + self.dbase


# --- the protocol ------------------------------------------------------------------

@runtime_checkable
class Result(Protocol):
    """What every model result answers (see the module docstring)."""

    model: str
    inference: str
    synthetic: bool

    @property
    def params(self) -> pd.Series: ...
    @property
    def se(self) -> pd.Series: ...
    @property
    def cov(self) -> pd.DataFrame: ...
    @property
    def nobs(self) -> int: ...
    def conf_int(self, level: float = 0.95) -> pd.DataFrame: ...
    def tidy(self, level: float = 0.95) -> pd.DataFrame: ...
    def summary(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def predict(self, data: pd.DataFrame | None = None, *, kind: Kind = "response",
                interval: Literal["confidence"] | None = None, level: float = 0.95): ...


def json_safe(obj: Any) -> Any:
    """Replace NaN and infinities by None and numpy scalars by Python ones, recursively."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


class ResultBase:
    """Mixin implementing the protocol from ``params``, ``cov``, ``df_t`` and ``inference``.

    Subclasses provide the attributes ``params``, ``cov``, ``nobs``, ``inference``,
    ``model``, ``synthetic`` and optionally ``df_t`` (``inf`` for normal critical
    values), ``n_clusters``, ``warnings``, ``level``, ``link`` and ``_design``.
    """

    level: float = 0.95

    # --- inference -----------------------------------------------------------
    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy(float))), index=self.params.index, name="se")

    @property
    def _df(self) -> float:
        df = getattr(self, "df_t", None)
        return float("inf") if df is None else float(df)

    @property
    def pvalues(self) -> pd.Series:
        from recruitstats.inference import two_sided_p

        p = two_sided_p(self.params / self.se, self._df)
        return pd.Series(p, index=self.params.index, name="p_value")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Intervals (columns ``low``, ``high``) with the result's critical values (t(G-1) when clustered)."""
        c = critical_value(self.level if level is None else level, self._df)
        return pd.DataFrame({"low": self.params - c * self.se, "high": self.params + c * self.se})

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """One row per term: term, estimate, se, ci_low, ci_high, p_value, inference."""
        level = self.level if level is None else level
        ci = self.conf_int(level)
        out = pd.DataFrame({"term": self.params.index.astype(str), "estimate": self.params.to_numpy(float),
                            "se": self.se.to_numpy(float), "ci_low": ci["low"].to_numpy(float),
                            "ci_high": ci["high"].to_numpy(float), "p_value": self.pvalues.to_numpy(float),
                            "inference": self.inference})
        out.attrs.update(level=level, model=self.model, nobs=self.nobs, synthetic=bool(self.synthetic))
        return out

    def summary(self) -> str:
        """A plain-text table (estimate, se, interval, p) with the inference method and N."""
        from recruitstats.report.tables import format_tidy

        return format_tidy(self)

    def to_dict(self) -> dict[str, Any]:
        """Estimates and inference as plain JSON-safe values (nothing rounded)."""
        t = self.tidy()
        terms = {r.term: {"coef": r.estimate, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
                          "p_value": r.p_value} for r in t.itertuples()}
        return json_safe({"model": self.model, "n_obs": self.nobs,
                          "n_clusters": getattr(self, "n_clusters", None), "inference": self.inference,
                          "terms": terms, "level": self.level, "warnings": list(getattr(self, "warnings", ())),
                          "synthetic": bool(self.synthetic)})

    # --- prediction ------------------------------------------------------------
    def _design(self, data: pd.DataFrame | None) -> Design:
        raise InputError(f"the {self.model} model does not make predictions")

    def predict(self, data: pd.DataFrame | None = None, *, kind: Kind = "response",
                interval: Literal["confidence"] | None = None, level: float | None = None,
                params: pd.Series | np.ndarray | None = None) -> pd.Series | pd.DataFrame:
        """Predictions through the model's own link.

        Parameters
        ----------
        data : rows to predict (canonical panel columns); None: the rows used by the fit,
            so that ``predict()`` returns the fitted values.
        kind : ``"response"`` (expected outcome: applicants, returns, relative hazard) or
            ``"link"`` (the linear predictor, offset included).
        interval : ``"confidence"`` adds a delta-method interval from the coefficients'
            covariance (fixed effects are held at their estimates, as fixest and
            marginaleffects do); the response interval is the link interval mapped
            through the link, so it stays on the outcome's scale.
        params : coefficients to predict with (same order as ``params``); used by the
            policy quantities' simulation intervals.

        Returns
        -------
        Series named ``estimate``, or with an interval a DataFrame with ``estimate``,
        ``ci_low`` and ``ci_high``.
        """
        if kind not in ("response", "link"):
            raise InputError(f"kind must be 'response' or 'link', not {kind!r}")
        d = self._design(data)
        b = self.params.to_numpy(float) if params is None else np.asarray(params, float)
        eta = d.eta(b)
        link: Link = self.link
        value = eta if kind == "link" else link.mean(eta, d.n)
        if interval is None:
            return pd.Series(value, index=d.index, name="estimate")
        if interval != "confidence":
            raise InputError(f"interval must be None or 'confidence', not {interval!r}")
        cov = self.cov.to_numpy(float)
        J = d.jacobian()
        se = np.sqrt(np.einsum("ij,jk,ik->i", J, cov, J))
        c = critical_value(self.level if level is None else level, self._df)
        lo, hi = eta - c * se, eta + c * se
        if kind == "response":
            lo, hi = link.mean(lo, d.n), link.mean(hi, d.n)
        return pd.DataFrame({"estimate": value, "ci_low": lo, "ci_high": hi}, index=d.index)
