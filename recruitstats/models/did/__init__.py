"""Difference-in-differences for staggered allowance reforms.

- :func:`reform_cohorts` finds each district's first reform; :func:`prepare_did` builds
  the balanced frame all estimators share.
- :func:`fit_staggered`: Callaway and Sant'Anna group-time effects and aggregations.
- :func:`event_study`: Sun and Abraham interaction-weighted event study (cross-check).
- :func:`fit_twfe`, :func:`bacon_decomposition`, :func:`twfe_weights`: the naive
  two-way fixed-effects estimate and what it averages.
"""

from recruitstats.models.did.data import DidPanel, prepare_did, reform_cohorts
from recruitstats.models.did.callaway import StaggeredResult, fit_staggered
from recruitstats.models.did.sun_abraham import EventStudyResult, event_study
from recruitstats.models.did.twfe import TwfeResult, bacon_decomposition, fit_twfe, twfe_weights

__all__ = ["DidPanel", "prepare_did", "reform_cohorts", "StaggeredResult", "fit_staggered",
           "EventStudyResult", "event_study", "TwfeResult", "fit_twfe", "bacon_decomposition", "twfe_weights"]
