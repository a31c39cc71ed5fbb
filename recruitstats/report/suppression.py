"""Small-cell suppression for published tables (SCHEMA.md, "Personal data").

A published count of fewer than ``SUPPRESSION_THRESHOLD`` people (default 5) can
point at individuals (three returned recruits in one district and cycle), so
tables meant for a report show such cells as ``<5`` instead of the number.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from recruitstats.schema import SUPPRESSION_THRESHOLD

__all__ = ["suppress_small_counts"]


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
) -> pd.DataFrame:
    """A copy of ``table`` with counts from 1 to ``threshold - 1`` shown as ``"<threshold"``.

    Parameters
    ----------
    table : counts of people (one column per count).
    columns : which columns hold counts of people (default: every numeric column).
    threshold : smallest count that may be shown.

    Returns
    -------
    DataFrame whose suppressed columns are text; ``attrs["suppressed"]`` counts the cells hidden.
    """
    cols = list(columns) if columns is not None else list(table.select_dtypes("number").columns)
    out = table.copy()
    hidden = 0
    for col in cols:
        values = pd.to_numeric(out[col], errors="coerce")
        small = (values > 0) & (values < threshold)
        hidden += int(small.sum())
        shown = values.astype("Int64").astype(str).where(values.notna(), "")
        out[col] = shown.where(~small, f"<{threshold}")
    out.attrs["suppressed"] = hidden
    return out
