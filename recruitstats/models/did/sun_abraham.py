"""Sun and Abraham (2021) interaction-weighted event study, a cross-check of Callaway-Sant'Anna.

One OLS of the outcome on cohort x event-time dummies (event time -1 left out) with district
and cycle fixed effects, never-treated districts (or, without any, the last cohort before its
reform) as the comparison; each event-time effect is the average of the cohort effects
weighted by the cohorts' shares of districts, the weights treated as fixed (as fixest's
``sunab``). Errors CRV1 clustered by district.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.models.did.data import DidPanel
from recruitstats.models.did.result import DidResultMixin, _clean, wald_test
from recruitstats.models.did.twfe import _did, fe_ols

__all__ = ["EventStudyResult", "event_study"]


@dataclass(frozen=True)
class EventStudyResult(DidResultMixin):
    """Interaction-weighted event study: terms ``e=k`` (k != -1) and ``ATT:dynamic`` (mean of k >= 0)."""

    params: pd.Series
    cov: pd.DataFrame
    cells: pd.DataFrame
    event_study: pd.DataFrame
    did: DidPanel
    control: str
    inference: str
    warnings: tuple[str, ...] = ()
    model: str = "sun_abraham"

    @property
    def nobs(self) -> int:
        return int(self.cells.attrs.get("nobs", len(self.did.frame)))

    def pretrend_test(self) -> dict[str, Any]:
        """Joint Wald test that the event-time effects before -1 are all zero."""
        return wald_test(self.params, self.cov, [t for t in self.event_study["term"] if int(t[2:]) < -1])

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update({"outcome": self.did.outcome, "control": self.control, "pretrend_test": self.pretrend_test(),
                    "event_study": self.event_study.to_dict(orient="records"),
                    "cells": self.cells.to_dict(orient="records")})
        return _clean(out)


def _sample(dp: DidPanel) -> tuple[pd.DataFrame, int, str]:
    f = dp.frame
    groups = sorted(g for g in f["group"].unique() if g > 0)
    if not groups:
        raise InputError([Problem("no district is treated within the panel", column="cohort")])
    if (f["group"] == 0).any():
        return f, 0, "never treated"
    if len(groups) < 2:
        raise InputError([Problem("one cohort and no never-treated district: no comparison", column="cohort")])
    last = groups[-1]
    return f[f["period"] < last], last, f"last cohort ({dp.label(last)}) before its reform"


def event_study(panel: pd.DataFrame | DidPanel, *, outcome: str = "signup", cohort: str | None = None,
                min_rise: float = 0.1, cluster: str | None = None, min_e: int | None = None,
                max_e: int | None = None) -> EventStudyResult:
    """Sun-Abraham interaction-weighted event study of staggered reforms.

    Parameters are as :func:`fit_staggered`'s (a prepared :class:`DidPanel` may be passed);
    ``min_e``/``max_e`` limit the event times reported and averaged into ``ATT:dynamic`` (the
    regression keeps every cohort x event-time dummy).

    Returns
    -------
    EventStudyResult
        ``event_study`` (event_time, estimate, se), ``cells`` (cohort x event-time effects).
    """
    dp = _did(panel, outcome=outcome, cohort=cohort, min_rise=min_rise, cluster=cluster)
    f, control_group, control = _sample(dp)
    treated = f["group"].where(f["group"] != control_group, 0)
    rel = (f["period"] - treated).where(treated > 0)
    keys = sorted({(int(g), int(e)) for g, e in zip(treated, rel) if g > 0 and e != -1})
    index = {k: j for j, k in enumerate(keys)}
    x = np.zeros((len(f), len(keys)))
    for row, (g, e) in enumerate(zip(treated.to_numpy(), rel.to_numpy())):
        if g > 0 and e != -1:
            x[row, index[(int(g), int(e))]] = 1.0
    periods = pd.get_dummies(f["period"], drop_first=True, dtype=float).to_numpy()
    delta, v, _ = fe_ols(f["y"].to_numpy(), x, f["unit"].to_numpy(), f["cluster"].to_numpy(), periods)
    size = f.drop_duplicates("unit")["group"].value_counts()
    cells = pd.DataFrame({"group": [dp.label(g) for g, _ in keys], "event_time": [e for _, e in keys],
                          "estimate": delta, "se": np.sqrt(np.diag(v)),
                          "n_districts": [int(size[g]) for g, _ in keys]})
    cells.attrs["nobs"] = len(f)
    lo, hi = (-np.inf if min_e is None else min_e), (np.inf if max_e is None else max_e)
    events = sorted({e for _, e in keys if lo <= e <= hi})
    if not events:
        raise InputError([Problem(f"no event time in the window [{min_e}, {max_e}]", column="min_e")])
    w = np.zeros((len(events) + 1, len(keys)))
    for j, (g, e) in enumerate(keys):
        if e in events:
            w[events.index(e), j] = size[g]
    w[:-1] /= w[:-1].sum(axis=1, keepdims=True)
    post = [i for i, e in enumerate(events) if e >= 0]
    w[-1] = w[post].mean(axis=0) if post else np.nan
    terms = [f"e={e}" for e in events] + ["ATT:dynamic"]
    params = pd.Series(w @ delta, index=terms, name="estimate")
    cov = pd.DataFrame(w @ v @ w.T, index=terms, columns=terms)
    ev = pd.DataFrame({"term": terms[:-1], "event_time": events, "estimate": params.iloc[:-1].to_numpy(),
                       "se": np.sqrt(np.diag(cov))[:-1]})
    inference = f"CRV1 clustered by {dp.cluster} ({dp.n_clusters} clusters), cohort shares as fixed weights"
    return EventStudyResult(params=params, cov=cov, cells=cells, event_study=ev, did=dp, control=control,
                            inference=inference, warnings=dp.warnings)
