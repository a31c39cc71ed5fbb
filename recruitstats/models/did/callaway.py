"""Callaway and Sant'Anna (2021) group-time effects of staggered reforms, via moderndid.

moderndid is a Python port of R ``did``; :func:`fit_staggered` calls its ``att_gt``
and ``aggte`` for the estimates and their influence functions (checked in
``tests/test_did.py`` against R ``did``'s mpdta numbers to 4 decimals), then builds
one joint covariance of all group-time effects and aggregations from those
influence functions, clustered by district (or a coarser cluster), and sup-t
critical values for uniform bands from a seeded multiplier bootstrap.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.models.did.data import DidPanel, prepare_did
from recruitstats.models.did.result import (
    DidResultMixin, _clean, cluster_covariance_from_if, uniform_critical_value, wald_test,
)

__all__ = ["StaggeredResult", "fit_staggered", "AGGREGATIONS"]

AGGREGATIONS = ("simple", "group", "calendar", "dynamic")
_CONTROL = {"never": "nevertreated", "not_yet": "notyettreated"}


@dataclass(frozen=True)
class StaggeredResult(DidResultMixin):
    """Callaway-Sant'Anna group-time effects, their aggregations and an event study.

    Terms of ``params``: ``ATT`` (simple average over treated cells), ``ATT:group``,
    ``ATT:calendar``, ``ATT:dynamic`` (overall effects of each aggregation), ``e=k`` (event
    study: cycles since the reform), ``g=2021H1`` (by cohort), ``t=2022H1`` (by cycle) and
    ``ATT(2021H1,2022H2)`` (group-time cells). ``cov`` is their joint covariance.
    """

    params: pd.Series
    cov: pd.DataFrame
    att_gt: pd.DataFrame
    event_study: pd.DataFrame
    critical_values: dict[str, float]
    did: DidPanel
    options: dict[str, Any]
    inference: str
    warnings: tuple[str, ...] = ()
    model: str = "callaway_santanna"

    def aggregation(self, kind: str = "dynamic", *, level: float = 0.95) -> pd.DataFrame:
        """The tidy rows of one aggregation (``simple``, ``group``, ``calendar``, ``dynamic``)."""
        prefix = {"simple": None, "group": "g=", "calendar": "t=", "dynamic": "e="}
        if kind not in prefix:
            raise InputError([Problem(f"unknown aggregation {kind!r}", expected=", ".join(AGGREGATIONS))])
        tidy = self.tidy(level)
        overall = "ATT" if kind == "simple" else f"ATT:{kind}"
        mask = tidy["term"].eq(overall)
        if prefix[kind]:
            mask |= tidy["term"].str.startswith(prefix[kind])
        return tidy[mask].reset_index(drop=True)

    def pretrend_test(self) -> dict[str, Any]:
        """Joint Wald test that all pre-reform event-time effects are zero (chi-squared)."""
        terms = [t for t, e in zip(self.event_study["term"], self.event_study["event_time"])
                 if e < -self.options["anticipation"] and self.se[t] > 0]
        return wald_test(self.params, self.cov, terms)

    def to_dict(self) -> dict[str, Any]:
        out = self._base_dict()
        out.update({"outcome": self.did.outcome, "outcome_label": self.did.outcome_label,
                    "district_key": self.did.unit_key, "options": self.options,
                    "critical_values": self.critical_values, "pretrend_test": self.pretrend_test(),
                    "dropped": self.did.dropped,
                    "att_gt": self.att_gt.to_dict(orient="records"),
                    "event_study": self.event_study.to_dict(orient="records")})
        return _clean(out)


def _check_options(control, method, base_period, anticipation, level, reps, seed) -> None:
    problems = []
    if control not in _CONTROL:
        problems.append(Problem(f"control must be 'never' or 'not_yet', got {control!r}", column="control"))
    if method not in ("dr", "reg", "ipw"):
        problems.append(Problem(f"method must be 'dr', 'reg' or 'ipw', got {method!r}", column="method"))
    if base_period not in ("varying", "universal"):
        problems.append(Problem(f"base_period must be 'varying' or 'universal', got {base_period!r}"))
    if not isinstance(anticipation, int) or isinstance(anticipation, bool) or anticipation < 0:
        problems.append(Problem(f"anticipation must be a whole number >= 0, got {anticipation!r}"))
    if not isinstance(level, float) or not 0 < level < 1:
        problems.append(Problem(f"level must be in (0, 1), got {level!r}", expected="e.g. 0.95"))
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 99:
        problems.append(Problem(f"reps must be a whole number >= 99, got {reps!r}", column="reps"))
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        problems.append(Problem(f"seed must be a non-negative integer, got {seed!r}", column="seed"))
    if problems:
        raise InputError(problems)


def _check_design(dp: DidPanel, control: str) -> None:
    groups = dp.frame.drop_duplicates("unit")["group"]
    if not (groups > 0).any():
        raise InputError([Problem("no district is treated within the panel (no reform found): nothing to estimate",
                                  column="cohort", expected="districts reforming after the first cycle")])
    if control == "never" and not (groups == 0).any():
        raise InputError([Problem("no never-treated district to compare with; use control='not_yet'",
                                  column="control")])
    if control == "not_yet" and groups.nunique() < 2:
        raise InputError([Problem("all treated districts reform in the same cycle and none never does: "
                                  "no comparison group", column="cohort")])


def _small_cohorts(dp: DidPanel, n_covariates: int) -> list[str]:
    sizes = dp.frame.drop_duplicates("unit")["group"].value_counts().sort_index()
    small = [dp.label(g) for g, n in sizes.items() if g > 0 and n < 5 + n_covariates]
    if not small:
        return []
    return [f"cohort(s) {', '.join(small)} have fewer than {5 + n_covariates} districts: their group-time effects "
            "rest on very few districts and their errors are understated; read the aggregations and the event "
            "study near the reform (min_e, max_e) rather than single cells"]


def _moderndid(dp: DidPanel, *, control, method, anticipation, base_period, window) -> tuple[Any, dict, list[str]]:
    """Group-time effects and the four aggregations from moderndid, its warnings recorded."""
    import moderndid as md

    xformla = "~ " + " + ".join(dp.covariates) if dp.covariates else None
    data = dp.frame.drop(columns=["key", "cluster"])
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        mp = md.att_gt(data=data, yname="y", tname="period", idname="unit", gname="group", xformla=xformla,
                       est_method=method, control_group=_CONTROL[control], anticipation=anticipation,
                       base_period=base_period, boot=False, cband=False)
        aggs = {kind: md.aggte(mp, type=kind, boot=False, cband=False, **(window if kind == "dynamic" else {}))
                for kind in AGGREGATIONS}
    # moderndid's notes on small groups and its own pre-test are replaced by ours
    skip = ("bootstrap", "small groups", "pre-test")
    notes = sorted({str(w.message) for w in caught if not any(k in str(w.message).lower() for k in skip)})
    return mp, aggs, notes


def _columns(dp: DidPanel, mp, aggs) -> tuple[list[str], list[float], list[np.ndarray]]:
    """Term names, estimates and influence functions of every reported quantity."""
    names, est, psi = [], [], []

    def add(name, value, inf):
        names.append(name)
        est.append(float(value))
        psi.append(np.nan_to_num(np.asarray(inf, float)))

    add("ATT", aggs["simple"].overall_att, aggs["simple"].influence_func_overall)
    for kind in ("group", "calendar", "dynamic"):
        add(f"ATT:{kind}", aggs[kind].overall_att, aggs[kind].influence_func_overall)
    for kind, prefix in (("dynamic", "e="), ("group", "g="), ("calendar", "t=")):
        a = aggs[kind]
        inf = np.asarray(a.influence_func, float)
        for j, k in enumerate(a.event_times):
            label = f"{int(k)}" if kind == "dynamic" else dp.label(k)
            add(prefix + label, a.att_by_event[j], inf[:, j])
    inf = np.asarray(mp.influence_func, float)
    for j, (g, t) in enumerate(zip(mp.groups, mp.times)):
        add(f"ATT({dp.label(g)},{dp.label(t)})", mp.att_gt[j], inf[:, j])
    return names, est, psi


def _window(min_e, max_e) -> dict[str, int]:
    out = {}
    for name, value in (("min_e", min_e), ("max_e", max_e)):
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool):
                raise InputError([Problem(f"{name} must be a whole number of cycles or None, got {value!r}",
                                          column=name)])
            out[name] = value
    if min_e is not None and max_e is not None and min_e > max_e:
        raise InputError([Problem(f"min_e ({min_e}) is above max_e ({max_e})", column="min_e")])
    return out


def fit_staggered(
    panel: pd.DataFrame,
    *,
    seed: int,
    outcome: str = "signup",
    cohort: str | None = None,
    min_rise: float = 0.1,
    control: Literal["never", "not_yet"] = "never",
    covariates: Sequence[str] = (),
    method: Literal["dr", "reg", "ipw"] = "dr",
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    cluster: str | None = None,
    min_e: int | None = None,
    max_e: int | None = None,
    level: float = 0.95,
    reps: int = 999,
) -> StaggeredResult:
    """Callaway and Sant'Anna group-time average effects of staggered allowance reforms.

    Parameters
    ----------
    panel : canonical panel, one row per district and call-up cycle.
    seed : seed of the multiplier bootstrap behind the uniform bands (the only random step).
    outcome : ``"signup"`` (log sign-up rate), ``"return"`` (return rate) or a numeric column.
    cohort : column with each district's first treated cycle or year; None finds the first
        allowance rise above ``min_rise`` with :func:`reform_cohorts`.
    min_rise : reform threshold when ``cohort`` is None.
    control : ``"never"`` (never-treated districts) or ``"not_yet"`` (also those not yet treated).
    covariates : numeric columns; with ``method="dr"`` (as R ``did``'s default) the doubly-robust
        estimator of Sant'Anna and Zhao (2020): outcome regression plus a logit propensity score,
        covariates taken in the base period.
    method : ``"dr"``, ``"reg"`` (outcome regression) or ``"ipw"`` (inverse probability weighting).
    anticipation : cycles before the reform in which districts may already react.
    base_period : ``"varying"`` (pre-reform effects are cycle-on-cycle changes, R's default) or
        ``"universal"`` (all relative to the cycle before the reform).
    cluster : cluster column (default: the district); districts must be nested in it.
    min_e, max_e : event-time window of the event study (and so of ``ATT:dynamic``, the mean of
        its effects from 0 to ``max_e``); None keeps every event time.
    level : level of the uniform bands.
    reps : multiplier-bootstrap draws for the uniform bands.

    Returns
    -------
    StaggeredResult
    """
    _check_options(control, method, base_period, anticipation, level, reps, seed)
    dp = prepare_did(panel, outcome=outcome, cohort=cohort, min_rise=min_rise, covariates=covariates,
                     cluster=cluster)
    _check_design(dp, control)
    try:
        mp, aggs, notes = _moderndid(dp, control=control, method=method, anticipation=anticipation,
                                     base_period=base_period, window=_window(min_e, max_e))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise InputError([Problem(f"the group-time effects cannot be estimated: {exc}",
                                  expected="more districts per cohort, fewer covariates")]) from None
    names, est, psi = _columns(dp, mp, aggs)
    psi_m = np.column_stack(psi)
    clusters = dp.frame.drop_duplicates("unit").sort_values("unit")["cluster"].to_numpy()
    cov = pd.DataFrame(cluster_covariance_from_if(psi_m, clusters), index=names, columns=names)
    params = pd.Series(est, index=names, name="estimate")
    se = np.sqrt(np.clip(np.diag(cov.to_numpy()), 0, None))
    crit = {}
    for part, prefix in (("event_study", "e="), ("att_gt", "ATT(")):
        cols = [i for i, n in enumerate(names) if n.startswith(prefix)]
        crit[part] = uniform_critical_value(psi_m[:, cols], clusters, se[cols], level=level, reps=reps,
                                            seed=int(seed))
    options = {"control": control, "method": method, "covariates": list(covariates), "anticipation": anticipation,
               "base_period": base_period, "min_e": min_e, "max_e": max_e, "cluster": dp.cluster, "level": level, "reps": reps, "seed": int(seed),
               "cohort": cohort or f"reform_cohorts(min_rise={min_rise})"}
    inference = (f"analytic from influence functions, clustered by {dp.cluster} ({dp.n_clusters} clusters); "
                 f"uniform {level:.0%} bands from a multiplier bootstrap ({reps} Rademacher draws, seed {seed})")
    tables = _tables(dp, mp, params, cov, crit)
    return StaggeredResult(params=params, cov=cov, att_gt=tables[0], event_study=tables[1], critical_values=crit,
                           did=dp, options=options, inference=inference,
                           warnings=tuple(dp.warnings) + tuple(_small_cohorts(dp, len(covariates))) + tuple(notes))


def _tables(dp: DidPanel, mp, params: pd.Series, cov: pd.DataFrame, crit: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    se = np.sqrt(np.clip(np.diag(cov.to_numpy()), 0, None))
    se = pd.Series(se, index=params.index)
    sizes = dp.frame.drop_duplicates("unit")["group"].value_counts()
    rows = []
    for g, t in zip(mp.groups, mp.times):
        term = f"ATT({dp.label(g)},{dp.label(t)})"
        rows.append({"term": term, "group": dp.label(g), "time": dp.label(t), "event_time": int(t - g),
                     "estimate": params[term], "se": se[term], "n_districts": int(sizes.get(g, 0))})
    att = pd.DataFrame(rows)
    att["band_low"] = att["estimate"] - crit["att_gt"] * att["se"]
    att["band_high"] = att["estimate"] + crit["att_gt"] * att["se"]
    terms = [t for t in params.index if t.startswith("e=")]
    ev = pd.DataFrame({"term": terms, "event_time": [int(t[2:]) for t in terms],
                       "estimate": params[terms].to_numpy(), "se": se[terms].to_numpy()})
    ev["band_low"] = ev["estimate"] - crit["event_study"] * ev["se"]
    ev["band_high"] = ev["estimate"] + crit["event_study"] * ev["se"]
    return att, ev
