"""Disclosure control for published tables (SCHEMA.md, "Personal data"; docs/publishing.md).

A published count of fewer than ``threshold`` people (default 5, counts 1 to 4)
can point at individuals ("three recruits returned in district X in 2021H2"), and
so can any number from which such a count can be worked out:

* **primary**: a count cell from 1 to ``threshold - 1`` is hidden (0 is shown:
  "nobody" points at nobody);
* **rates**: a rate beside its denominator reveals its numerator
  (rate x denominator), so a rate is hidden whenever its numerator or its
  denominator is hidden. Rates are *suppressed*, never rounded to a band;
* **nested counts** (a chain such as applicants >= examined >= passed, or a
  share's numerator inside its denominator): the difference of two shown counts
  is itself a count of people (those who failed the medical), so when it is from
  1 to ``threshold - 1`` one of the two is hidden (the one fewer published figures
  depend on, given by ``priority``);
* **secondary suppression for totals**: where a total over a group of cells is
  published (``column_totals``, ``row_totals``), total minus the shown cells
  reveals the hidden ones; while a group has exactly one hidden cell, or hidden
  cells whose sum leaves none of them possibly ``threshold`` or more (each holds at
  least one person: see :func:`remainder_safe`), the next smallest shown cell of
  the group is hidden too. A total published in another table or sheet counts
  (the league table's district totals over the funnel's cycles).

Every published table of the package (scorecard, league tables, xlsx/csv export
and the brief) goes through :func:`suppression_mask` / :func:`protect`.
:func:`find_disclosures` is the attacker's view, for tests: it works out every
count a reader can recover from a published table and lists the small ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError
from recruitstats.schema import SUPPRESSION_THRESHOLD

__all__ = [
    "suppress_small_counts", "check_threshold", "suppression_mask", "ratio_mask", "protect",
    "Protected", "find_disclosures", "SUPPRESSED_MARK", "suppression_note", "protect_blocks",
    "Sheet", "remainder_safe",
]

#: What a hidden cell shows in a formatted table (the same mark for primary and
#: secondary suppression, so a reader cannot tell which cells are the small ones).
SUPPRESSED_MARK = "*"

Chain = Sequence[str]


def check_threshold(threshold: object) -> int:
    """The threshold as a positive whole number, or an InputError saying what is wrong."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer, float)):
        raise InputError(f"the suppression threshold must be a whole number of people, not {threshold!r}")
    if float(threshold) != int(threshold) or int(threshold) < 1:
        raise InputError(f"the suppression threshold must be a whole number of at least 1, not {threshold!r}")
    return int(threshold)


def suppression_note(threshold: int, lang: str = "en") -> str:
    """The footnote that explains the mark, in Chinese or English."""
    if lang == "zh":
        return f"{SUPPRESSED_MARK} 为保护个人信息，少于{threshold}人的数字及可据以推算出该数字的比率、合计已隐去。"
    return (f"{SUPPRESSED_MARK} hidden to protect individuals: counts of fewer than {threshold} people, and rates "
            "or totals from which such a count could be worked out.")


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(pd.to_numeric, errors="coerce").astype(float)


def _small(values: pd.DataFrame | pd.Series | np.ndarray, threshold: int):
    return (values > 0) & (values < threshold)


def _hide_in_chains(values: np.ndarray, hidden: np.ndarray, chains: Sequence[Sequence[int]],
                    threshold: int, priority: Sequence[int]) -> None:
    """Hide one of two consecutive shown stages of a chain whose difference is a small count (in place)."""
    finite = np.isfinite(values)
    for chain in chains:
        for i in range(values.shape[0]):
            changed = True
            while changed:
                changed = False
                shown = [c for c in chain if finite[i, c] and not hidden[i, c]]
                for a, b in zip(shown, shown[1:]):
                    if 0 < abs(values[i, a] - values[i, b]) < threshold:
                        hidden[i, b if priority[b] <= priority[a] else a] = True
                        changed = True
                        break


def remainder_safe(rest: float, n_hidden: int, threshold: int) -> bool:
    """Whether ``rest`` people spread over ``n_hidden`` hidden positive cells of a published total stay hidden.

    A reader subtracts the shown cells from the total and knows each hidden cell
    holds at least one person (0 is always shown), so each holds from 1 to
    ``rest - (n_hidden - 1)``: one hidden cell is recovered exactly, five hidden
    cells of a remainder of 5 are each 1, and when that upper end is below the
    threshold every hidden cell is known to be a small count.
    """
    return n_hidden == 0 or (n_hidden >= 2 and rest - (n_hidden - 1) >= threshold)


def _total_safe(values: np.ndarray, hidden: np.ndarray, threshold: int) -> bool:
    """Whether a published total over ``values`` keeps the hidden ones hidden."""
    finite = np.isfinite(values)
    positive = finite & hidden & (values > 0)
    return remainder_safe(float(values[positive].sum()), int(positive.sum()), threshold)


def _hide_for_total(values: np.ndarray, hidden: np.ndarray, threshold: int) -> bool:
    """Secondary suppression in one group with a published total; True when a cell was hidden.

    Only cells of at least one person are hidden for it (0 is always shown, which is
    what lets a reader count on each hidden cell holding someone); when no such cell
    is left, the total itself must not be published (``Protected.unsafe_totals``).
    """
    if _total_safe(values, hidden, threshold):
        return False
    candidates = np.flatnonzero(np.isfinite(values) & ~hidden & (values > 0))
    if candidates.size == 0:
        return False
    hidden[candidates[np.argmin(values[candidates])]] = True
    return True


def suppression_mask(
    counts: pd.DataFrame,
    *,
    threshold: int = SUPPRESSION_THRESHOLD,
    chains: Sequence[Chain] = (),
    column_totals: bool | Sequence[str] = False,
    row_totals: Sequence[Sequence[str]] = (),
    priority: Mapping[str, int] | None = None,
    hide: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which count cells to hide: primary, nested-difference and secondary suppression.

    Parameters
    ----------
    counts : one column per count of people (other columns must not be passed).
    threshold : smallest count that may be published (default 5).
    chains : sequences of columns, largest first, where each count contains the
        next (a funnel, or ``("enlisted", "enlisted_college")``); the difference
        of two shown counts is a count of people too.
    column_totals : True (or a list of columns) when the table also publishes the
        sum of each (listed) column over its rows.
    row_totals : groups of columns whose sum is published for each row.
    priority : how many published figures depend on a column; of two cells, the
        one with the lower priority is hidden (ties: the later stage).
    hide : cells to hide whatever their value (True), e.g. because another
        published table would reveal them; secondary suppression takes them into account.

    Returns
    -------
    Boolean DataFrame like ``counts``: True where the cell must be hidden.
    """
    t = check_threshold(threshold)
    values = _numeric(counts)
    hidden = _small(values, t).fillna(False).astype(bool)
    if hide is not None:
        extra = hide.reindex(index=hidden.index, columns=hidden.columns).fillna(False).astype(bool)
        hidden = hidden | extra
    cols = list(values.columns)
    at = {c: j for j, c in enumerate(cols)}
    val, mask = values.to_numpy(), hidden.to_numpy().copy()
    order = [[at[c] for c in chain if c in at] for chain in chains]
    rank = [dict(priority or {}).get(c, 0) for c in cols]
    totals = [at[c] for c in (cols if column_totals is True else column_totals or []) if c in at]
    groups = [[at[c] for c in g if c in at] for g in row_totals]
    for _ in range(10 * (val.shape[0] + val.shape[1]) + 10):
        before = mask.copy()
        _hide_in_chains(val, mask, order, t, rank)
        for j in totals:  # mask[:, j] is a view: changed in place
            while _hide_for_total(val[:, j], mask[:, j], t):
                pass
        for g in groups:
            for i in range(val.shape[0]):
                row = mask[i, g]  # a copy (fancy indexing): write it back
                while _hide_for_total(val[i, g], row, t):
                    pass
                mask[i, g] = row
        if np.array_equal(before, mask):
            break
    return pd.DataFrame(mask, index=counts.index, columns=counts.columns)


def ratio_mask(hidden: pd.DataFrame, ratios: Mapping[str, tuple[str, str]]) -> pd.DataFrame:
    """Which rates to hide: those whose numerator or denominator is hidden.

    Parameters
    ----------
    hidden : the mask of :func:`suppression_mask`.
    ratios : rate column -> (numerator, denominator); a part not among the mask's
        columns (a quota, which counts no one) never hides the rate.
    """
    out = pd.DataFrame(index=hidden.index)
    for name, (num, den) in ratios.items():
        flag = pd.Series(False, index=hidden.index)
        for col in (num, den):
            if col in hidden.columns:
                flag |= hidden[col]
        out[name] = flag
    return out


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control.

    Attributes
    ----------
    values : the table with hidden cells set to NaN.
    mask : True where a cell was hidden (False for columns not under control).
    threshold : the threshold used.
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    threshold: int
    unsafe_totals: tuple[str, ...] = ()

    @property
    def n_hidden(self) -> int:
        """How many cells were hidden."""
        return int(self.mask.to_numpy().sum())

    def formatted(self, mark: str = SUPPRESSED_MARK) -> pd.DataFrame:
        """The table with hidden cells shown as ``mark`` (object columns where needed)."""
        out = self.values.astype(object).where(~self.mask, mark)
        return out.where(~(self.values.isna() & ~self.mask), None)


def protect(
    table: pd.DataFrame,
    *,
    counts: Sequence[str],
    ratios: Mapping[str, tuple[str, str]] | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
    chains: Sequence[Chain] = (),
    column_totals: bool | Sequence[str] = False,
    row_totals: Sequence[Sequence[str]] = (),
    priority: Mapping[str, int] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
    hide: pd.DataFrame | None = None,
) -> Protected:
    """Disclosure control of a whole table: counts, the rates built on them, anything derived.

    Parameters
    ----------
    table : the table to publish (other columns, such as names, pass through).
    counts : the columns that count people (a quota or a sum of money is not one).
    ratios : rate column -> (numerator, denominator); numerator and denominator
        may be columns of ``table`` not meant for publication: they are still
        taken into account, because a reader can multiply.
    threshold, chains, column_totals, row_totals, priority, hide : see :func:`suppression_mask`.
    derived : other column -> the count columns it would reveal (a shrunken rate,
        a rank); it is hidden with any of them.

    Returns
    -------
    :class:`Protected` with the values (NaN where hidden) and the mask;
    ``unsafe_totals`` names the columns whose total is itself a small count, or
    would reveal the hidden cells even after secondary suppression (that total,
    and any rate built on it, must not be published).
    """
    counts = [c for c in counts if c in table.columns]
    hidden = suppression_mask(table[counts], threshold=threshold, chains=chains,
                              column_totals=column_totals, row_totals=row_totals, priority=priority, hide=hide)
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    mask[counts] = hidden
    rates = ratio_mask(hidden, {k: v for k, v in (ratios or {}).items() if k in table.columns})
    for col in rates:
        mask[col] = rates[col]
    for col, sources in (derived or {}).items():
        if col in table.columns:
            mask[col] = mask[col] | hidden[[s for s in sources if s in hidden.columns]].any(axis=1)
    values = table.copy()
    for col in table.columns[mask.any(axis=0).to_numpy()]:
        if values[col].dtype == object:
            values[col] = values[col].where(~mask[col], None)
        else:
            values[col] = values[col].astype(float).where(~mask[col])
    cols_total = counts if column_totals is True else [c for c in (column_totals or []) if c in counts]
    sums, t = _numeric(table[cols_total]), check_threshold(threshold)
    unsafe = tuple(c for c in cols_total if 0 < sums[c].sum() < t
                   or not _total_safe(sums[c].to_numpy(), hidden[c].to_numpy(), t))
    return Protected(values, mask, check_threshold(threshold), unsafe)


def protect_blocks(table: pd.DataFrame, *, block: str | Sequence[str], counts: Sequence[str],
                   derived: Mapping[str, Sequence[str]] | None = None,
                   threshold: int = SUPPRESSION_THRESHOLD) -> Protected:
    """:func:`protect` for a long table whose blocks of rows each add up to a published total.

    A table of shares by group (returned within 90 days by door visit yes/no, beside all
    recruits) publishes each block's total elsewhere: a block's counts get secondary
    suppression against it, and a block's values derived from a hidden count (its share
    and interval) are hidden with it.
    """
    parts = [protect(rows, counts=counts, derived=derived, threshold=threshold, column_totals=True)
             for _, rows in table.groupby(block if isinstance(block, str) else list(block), sort=False)]
    values = pd.concat([p.values for p in parts]).reindex(table.index)
    mask = pd.concat([p.mask for p in parts]).reindex(table.index)
    return Protected(values, mask, check_threshold(threshold), ())


def _recover_row(row: dict, ratios: Mapping[str, tuple[str, str]]) -> dict:
    """Counts a reader can recover in one row from the counts and rates shown (closure)."""
    known = {k: v for k, v in row.items() if v is not None and np.isfinite(v)}
    changed = True
    while changed:
        changed = False
        for rate, (num, den) in ratios.items():
            r = known.get(rate)
            if r is None:
                continue
            if num not in known and den in known:
                known[num] = round(r * known[den])
                changed = True
            elif den not in known and num in known and r > 0:
                known[den] = round(known[num] / r)
                changed = True
    return known


def find_disclosures(
    published: pd.DataFrame | Mapping[str, Sheet],
    *,
    counts: Sequence[str] = (),
    ratios: Mapping[str, tuple[str, str]] | None = None,
    chains: Sequence[Chain] = (),
    totals: Mapping[str, float] | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
    zeros_shown: bool = True,
) -> list[str]:
    """Every count of 1 to ``threshold - 1`` people a reader can work out from a published table or workbook.

    The reader sees ``published`` (NaN for a hidden or missing cell) and the
    published column totals ``totals``; they multiply rates by denominators,
    subtract nested counts and subtract shown cells from totals. Returns one line
    per small count found (empty when the table is safe). Meant for tests.

    ``published`` may also be a whole workbook, sheet name -> :class:`Sheet`: the
    sheets are read together (a district's total on one sheet minus its cycles
    shown on another), ``totals`` are then grand totals by count name, and with
    ``zeros_shown`` the reader knows that each hidden cell holds at least one
    person (so a remainder of 5 over 5 hidden cells makes each 1, and a remainder
    that leaves every hidden cell below the threshold is reported too).
    """
    t = check_threshold(threshold)
    if isinstance(published, Mapping):
        return _find_in_workbook(published, totals or {}, t, zeros_shown)
    ratios = dict(ratios or {})
    cols = [c for c in list(counts) + list(ratios) if c in published.columns]
    rows = [_recover_row({c: _float(r[c]) for c in cols}, ratios) for _, r in published.iterrows()]
    found = []
    for i, known in enumerate(rows):
        for col in counts:
            if col in known and 0 < known[col] < t:
                found.append(f"row {i}: {col} = {known[col]:g}")
        for chain in chains:
            shown = [c for c in chain if c in known]
            for a, b in zip(shown, shown[1:]):
                if 0 < abs(known[a] - known[b]) < t:
                    found.append(f"row {i}: {a} - {b} = {abs(known[a] - known[b]):g}")
    for col, total in (totals or {}).items():
        rest = total - sum(k[col] for k in rows if col in k)
        hidden = sum(col not in k for k in rows)
        if hidden and 0 < rest < t:
            found.append(f"total of {col} minus the cells shown = {rest:g}")
        elif hidden and zeros_shown and 0 < rest - (hidden - 1) < t:
            found.append(f"total of {col}: {hidden} hidden cells each hold 1 to {rest - (hidden - 1):g}")
    return found


@dataclass(frozen=True)
class Sheet:
    """One published sheet for :func:`find_disclosures` of a whole workbook.

    Attributes
    ----------
    table : the sheet as a reader sees it (``*`` or NaN where hidden).
    keys : sheet column -> key name (``{"区县": "district", "年度": "year"}``); a row whose
        keys are fewer than the workbook's finest rows is the total of the finest
        rows it matches (a district's row in a league table sums its cycles).
    counts : sheet column -> the count it shows (``{"退兵人数": "returned"}``).
    ratios : sheet column -> (numerator count, denominator count) of a rate.
    chains : nested counts, largest first, by count name.
    """

    table: pd.DataFrame
    keys: Mapping[str, str]
    counts: Mapping[str, str] = field(default_factory=dict)
    ratios: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    chains: Sequence[Sequence[str]] = ()


def _sheet_facts(sheets: Mapping[str, Sheet]):
    """Known values, rates and sum relations of a workbook, over nodes (frozenset of key pairs, count)."""
    finest = max((tuple(sh.keys.values()) for sh in sheets.values()), key=len)
    known: dict = {}
    rates: list = []
    members: dict = {}
    for sh in sheets.values():
        for _, row in sh.table.iterrows():
            key = frozenset((name, _key(row[col])) for col, name in sh.keys.items())
            for col, count in sh.counts.items():
                members.setdefault((key, count), None)
                if col in row and _float(row[col]) is not None:
                    known[(key, count)] = _float(row[col])
            for col, (num, den) in sh.ratios.items():
                members.setdefault((key, num), None)
                members.setdefault((key, den), None)
                if col in row and _float(row[col]) is not None:
                    rates.append((_float(row[col]), (key, num), (key, den)))
    cells = [n for n in members if {k for k, _ in n[0]} == set(finest)]
    sums = {}
    for node in members:
        if {k for k, _ in node[0]} != set(finest):
            sums[node] = [c for c in cells if c[1] == node[1] and node[0] <= c[0]]
    return known, rates, sums, cells


def _key(value: object) -> object:
    number = _float(value)
    return int(number) if number is not None and number == int(number) else str(value)


def _close(known: dict, rates: list, sums: dict, zeros_shown: bool) -> None:
    """Everything a reader can work out (in place): rate x denominator, total minus shown cells."""
    changed = True
    while changed:
        changed = False
        for r, num, den in rates:
            if num not in known and den in known:
                known[num], changed = round(r * known[den]), True
            elif den not in known and num in known and r > 0:
                known[den], changed = round(known[num] / r), True
        for total, cells in sums.items():
            unknown = [c for c in cells if c not in known]
            if total not in known:
                if cells and not unknown:
                    known[total], changed = sum(known[c] for c in cells), True
                continue
            rest = known[total] - sum(known[c] for c in cells if c in known)
            if len(unknown) == 1 or (unknown and rest == 0):
                known.update({c: rest / len(unknown) for c in unknown})
                changed = True
            elif unknown and zeros_shown and rest == len(unknown):  # each hidden cell holds at least one
                known.update({c: 1 for c in unknown})
                changed = True


def _name(node) -> str:
    keys = ", ".join(f"{k}={v}" for k, v in sorted(node[0], key=lambda kv: kv[0]))
    return f"{node[1]} [{keys or 'all'}]"


def _find_in_workbook(sheets: Mapping[str, Sheet], totals: Mapping[str, float], threshold: int,
                      zeros_shown: bool) -> list[str]:
    known, rates, sums, cells = _sheet_facts(sheets)
    for count, value in (totals or {}).items():
        node = (frozenset(), count)
        sums[node] = [c for c in cells if c[1] == count]
        known[node] = float(value)
    _close(known, rates, sums, zeros_shown)
    found = [f"{_name(n)} = {v:g}" for n, v in known.items() if 0 < v < threshold]
    for sh in sheets.values():
        for chain in sh.chains:
            for key in {n[0] for n in known}:
                vals = [known[(key, c)] for c in chain if (key, c) in known]
                found += [f"{_name((key, a))} - {b} = {abs(x - y):g}" for (a, x), (b, y) in
                          zip(zip(chain, vals), zip(chain[1:], vals[1:])) if 0 < abs(x - y) < threshold]
    for total, members in sums.items():  # bounds: each hidden cell holds at least one person
        unknown = [c for c in members if c not in known]
        if total in known and unknown and zeros_shown:
            top = known[total] - sum(known[c] for c in members if c in known) - (len(unknown) - 1)
            if 0 < top < threshold:
                found.append(f"{len(unknown)} hidden cells of {_name(total)} each hold 1 to {top:g}")
    return sorted(set(found))


def _float(value: object) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def suppress_small_counts(
    table: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    threshold: int = SUPPRESSION_THRESHOLD,
) -> pd.DataFrame:
    """A copy of ``table`` with counts from 1 to ``threshold - 1`` shown as ``"<threshold"``.

    Primary suppression only (no rates, totals or nested counts): for a quick
    look in a notebook. Tables meant for publication go through :func:`protect`.

    Parameters
    ----------
    table : counts of people (one column per count).
    columns : which columns hold counts of people (default: every numeric column).
    threshold : smallest count that may be shown.

    Returns
    -------
    DataFrame whose suppressed columns are text; ``attrs["suppressed"]`` counts the cells hidden.
    """
    threshold = check_threshold(threshold)
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
