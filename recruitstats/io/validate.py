"""The validity rules of a panel (``schema.PANEL_RULES``), one located Problem per violation.

Single-column rules (counts whole and not negative, money not negative, half 1 or
2, district/year/half present) are a pandera schema: pandera checks each column
vectorised and returns every failing cell with its index, which maps back to
the spreadsheet row. Rules that compare columns or rows (``PANEL_ORDERINGS``, the
unique district-cycle key) are plain pandas: pandera's frame-level checks report
a failing row but not which of the two columns to point the user at, and the
message must say both values.
"""

from __future__ import annotations

import warnings
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import Problem
from recruitstats.schema import PANEL, PANEL_ORDERINGS, PANEL_RULES

__all__ = ["validate_panel", "validate_recruits", "locate", "MAX_LOCATED"]

#: Problems of one kind in one column listed row by row; the rest are summarised in one line.
MAX_LOCATED = 20
_RULE_TEXT = dict(PANEL_RULES)
_COUNT = [n for n, c in PANEL.items() if c.kind == "count"]
_MONEY = [n for n, c in PANEL.items() if c.kind == "money"]


def locate(items: Iterable[tuple[int, str]], *, file: str, column: str, expected: str = "",
           severity: Literal["error", "warning"] = "error", limit: int = MAX_LOCATED) -> list[Problem]:
    """Problems for (row, message) items in one column: the first ``limit`` located, the rest summarised."""
    items = list(items)
    out = [Problem(msg, file=file, row=row, column=column, expected=expected, severity=severity)
           for row, msg in items[:limit]]
    rest = items[limit:]
    if rest:
        shown = ", ".join(str(r) for r, _ in rest[:10]) + (", ..." if len(rest) > 10 else "")
        first = items[0][1].split(" '")[0]
        out.append(Problem(f"{first}: {len(rest)} more rows (rows {shown})", file=file, column=column,
                           expected=expected, severity=severity))
    return out


def _rows_and_headers(df: pd.DataFrame, rows, headers) -> tuple[np.ndarray, dict[str, str]]:
    if rows is None:
        rows = df.attrs.get("source_rows")
    if rows is None or len(rows) != len(df):
        rows = np.arange(len(df)) + 2  # header in row 1
    return np.asarray(rows), dict(headers if headers is not None else df.attrs.get("headers", {}))


def _column_schema(df: pd.DataFrame):
    import pandera.pandas as pa

    whole = pa.Check(lambda s: s % 1 == 0, error="count_whole_nonnegative:not a whole number")
    cols = {}
    for name in _COUNT:
        cols[name] = pa.Column(checks=[pa.Check.ge(0, error="count_whole_nonnegative:negative count"), whole],
                               nullable=True, required=False)
    for name in _MONEY:
        cols[name] = pa.Column(checks=pa.Check.ge(0, error="money_nonnegative:negative amount of money"),
                               nullable=True, required=False)
    cols["half"] = pa.Column(checks=pa.Check.isin([1, 2], error="half_1_or_2:half is not 1 or 2"),
                             nullable=False, required=False)
    for name in ("district", "year"):
        cols[name] = pa.Column(nullable=False, required=False)
    return pa.DataFrameSchema(cols, strict=False)


def _numeric_view(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> tuple[pd.DataFrame, list[Problem]]:
    """Numeric copies of the checked columns; non-numeric cells (from frames built by hand) reported."""
    view = pd.DataFrame(index=pd.RangeIndex(len(df)))
    problems: list[Problem] = []
    for name in _COUNT + _MONEY + ["half", "year"]:
        if name not in df:
            continue
        raw = df[name].reset_index(drop=True)
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
        problems += locate([(int(rows[i]), "not a number") for i in bad], file=file, column=label(name))
        view[name] = values
    if "district" in df:
        view["district"] = df["district"].reset_index(drop=True)
    return view, problems


def _column_rules(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> list[Problem]:
    import pandera.pandas as pa

    view, problems = _numeric_view(df, file, rows, label)
    try:
        with warnings.catch_warnings():  # pandera's own pandas deprecation noise, not the user's concern
            warnings.simplefilter("ignore", FutureWarning)
            _column_schema(view).validate(view, lazy=True)
        return problems
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        check = str(check)
        if check == "not_nullable":
            rule, message = "required_present", "missing value"
        else:
            rule, _, message = check.partition(":")
        items = [(int(rows[int(i)]), f"{message} ({_fmt(v)})" if check != "not_nullable" else message)
                 for i, v in zip(group["index"], group["failure_case"])]
        problems += locate(sorted(items), file=file, column=label(str(column)), expected=_RULE_TEXT[rule])
    return problems


def _fmt(value: object) -> str:
    try:
        return f"{float(value):,.10g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _ordering_rules(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> list[Problem]:
    problems: list[Problem] = []
    for small, big, rule in PANEL_ORDERINGS:
        if small not in df or big not in df:
            continue
        s = pd.to_numeric(df[small], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(df[big], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(s > b)
        items = [(int(rows[i]), f"{small} {_fmt(s[i])} is more than {big} {_fmt(b[i])} "
                                f"(column '{label(big)}')") for i in bad]
        problems += locate(items, file=file, column=label(small), expected=_RULE_TEXT[rule])
    return problems


def _key_rule(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> list[Problem]:
    if not {"district", "year", "half"} <= set(df) or df.empty:
        return []
    unit = df["district"].astype(object)
    key_name = "district"
    if "district_code" in df and df["district_code"].notna().any():
        unit = df["district_code"].astype(object).where(df["district_code"].notna(), "name:" + unit.astype(str))
        key_name = "district_code"
    keys = pd.DataFrame({"u": unit.to_numpy(), "y": df["year"].to_numpy(), "h": df["half"].to_numpy()})
    dup = keys.duplicated(keep=False).to_numpy()
    if not dup.any():
        return []
    first: dict[tuple, int] = {}
    items = []
    for i in np.flatnonzero(dup):
        k = tuple(keys.iloc[i])
        if k in first:
            items.append((int(rows[i]), f"a second row for {k[0]} in {_cycle(k[1], k[2])} (first in row {first[k]})"))
        else:
            first[k] = int(rows[i])
    return locate(items, file=file, column=label(key_name), expected=_RULE_TEXT["unique_key"])


def _cycle(year: object, half: object) -> str:
    try:
        return f"{int(year)}H{int(half)}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{year}/{half}"


def validate_panel(df: pd.DataFrame, *, file: str = "", rows: Sequence[int] | None = None,
                   headers: dict[str, str] | None = None) -> list[Problem]:
    """Check every rule of ``schema.PANEL_RULES``; one Problem per violation.

    Parameters
    ----------
    df : a canonical panel.
    file : the file name used in messages.
    rows : spreadsheet row number of each row (default ``df.attrs["source_rows"]`` as the
        readers set it, else row 2, 3, ... as if the header were row 1).
    headers : canonical name -> header as written (default ``df.attrs["headers"]``).

    Returns
    -------
    list of Problem
        Errors (warnings are the reader's); empty when the panel keeps every rule.
    """
    file = file or str(df.attrs.get("source", ""))
    rows_arr, head = _rows_and_headers(df, rows, headers)

    def label(name: str) -> str:
        return head.get(name, name)

    df = df.reset_index(drop=True)
    return (_column_rules(df, file, rows_arr, label) + _ordering_rules(df, file, rows_arr, label)
            + _key_rule(df, file, rows_arr, label))


def validate_recruits(df: pd.DataFrame, *, file: str = "", rows: Sequence[int] | None = None,
                      headers: dict[str, str] | None = None) -> list[Problem]:
    """Check recruit records: ids unique, exit not before enlistment nor after the observation date.

    Messages never quote a value (recruit records are personal data).
    """
    rows_arr, head = _rows_and_headers(df, rows, headers)
    df = df.reset_index(drop=True)
    problems: list[Problem] = []
    if "recruit_id" in df:
        dup = np.flatnonzero(df["recruit_id"].notna().to_numpy() & df["recruit_id"].duplicated().to_numpy())
        problems += locate([(int(rows_arr[i]), "a second record with the same recruit id") for i in dup],
                           file=file, column=head.get("recruit_id", "recruit_id"), expected="one row per recruit")
    pairs = (("exit_date", "enlist_date", "exit date before the enlistment date"),
             ("observed_until", "enlist_date", "observation date before the enlistment date"),
             ("observed_until", "exit_date", "observation date before the exit date"))
    for late, early, message in pairs:
        if late in df and early in df:
            bad = np.flatnonzero((df[late] < df[early]).fillna(False).to_numpy())
            problems += locate([(int(rows_arr[i]), message) for i in bad], file=file,
                               column=head.get(late, late), expected=f"{late} on or after {early}")
    return problems
