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

from recruitstats.errors import Problem, current_language, register_messages, tr
from recruitstats.schema import (LEVER_COLUMNS, MODEL_COLUMNS, PANEL, PANEL_KEY, PANEL_ORDERINGS, PANEL_RULES,
                                 column_label)

__all__ = ["validate_panel", "validate_recruits", "locate", "coverage_problems", "MAX_LOCATED"]

#: Problems of one kind in one column kept row by row; the rest are one summary problem.
MAX_LOCATED = 20

register_messages({
    "rule.count_whole_nonnegative": {"en": "counts are whole numbers and not negative",
                                     "zh": "人数、次数等为不小于 0 的整数"},
    "rule.unique_key": {"en": "at most one row per district and cycle (district, year, half)",
                        "zh": "每个区县每个征集批次（区县、年度、批次）只有一行"},
    "rule.applicants_le_eligible": {"en": "applicants <= eligible_youth", "zh": "应征报名人数不大于适龄青年数"},
    "rule.enlisted_le_applicants": {"en": "enlisted <= applicants", "zh": "批准入伍人数不大于应征报名人数"},
    "rule.returned_le_enlisted": {"en": "returned <= enlisted", "zh": "退兵人数不大于批准入伍人数"},
    "rule.graduates_le_college": {"en": "enlisted_graduates <= enlisted_college",
                                  "zh": "大学毕业生新兵数不大于大学生新兵数"},
    "rule.college_le_enlisted": {"en": "enlisted_college <= enlisted", "zh": "大学生新兵数不大于批准入伍人数"},
    "rule.half_1_or_2": {"en": "half is 1 (spring, 上半年) or 2 (autumn, 下半年)",
                         "zh": "批次为 1（上半年）或 2（下半年）"},
    "rule.money_nonnegative": {"en": "money is not negative", "zh": "金额不为负"},
    "rule.required_present": {"en": "district, year and half are present in every row",
                              "zh": "每行都有区县、年度和批次"},
    "v.missing": {"en": "missing value", "zh": "缺少数值"},
    "v.not_number": {"en": "not a number", "zh": "不是数字"},
    "v.negative_count": {"en": "negative count", "zh": "人数（次数）为负"},
    "v.not_whole": {"en": "not a whole number", "zh": "不是整数"},
    "v.negative_money": {"en": "negative amount of money", "zh": "金额为负"},
    "v.half": {"en": "half is not 1 or 2", "zh": "批次不是 1 或 2"},
    "v.order": {"en": "{small} {a} is more than {big} {b} (column '{big_label}')",
                "zh": "{small_zh} {a} 大于{big_zh} {b}（列“{big_label}”）"},
    "v.order.kind": {"en": "{small} > {big}", "zh": "{small_zh}大于{big_zh}"},
    "v.duplicate": {"en": "a second row for {unit} in {cycle} (first in row {first})",
                    "zh": "{unit} {cycle} 有第二行（第一行在第 {first} 行）"},
    "v.duplicate.kind": {"en": "a second row for the same district and cycle", "zh": "同一区县同一批次有多行"},
    "v.recruit_dup": {"en": "a second record with the same recruit id", "zh": "新兵编号重复"},
    "v.recruit_dup.expected": {"en": "one row per recruit", "zh": "每名新兵一行"},
    "v.exit_before_enlist": {"en": "exit date before the enlistment date", "zh": "退兵日期早于入伍日期"},
    "v.observed_before_enlist": {"en": "observation date before the enlistment date",
                                 "zh": "观察截止日期早于入伍日期"},
    "v.observed_before_exit": {"en": "observation date before the exit date", "zh": "观察截止日期早于退兵日期"},
    "v.on_or_after": {"en": "{late} on or after {early}", "zh": "{late}不早于{early}"},
    "cov.model": {"en": "{missing} missing: the {model} model cannot be estimated (it needs {needs})",
                  "zh": "缺少{missing}：无法估计{model}模型（需要{needs}）"},
    "cov.lever": {"en": "{missing} missing: the {levers} lever cannot be estimated; {others} can",
                  "zh": "缺少{missing}：无法估计{levers}杠杆；{others}可以估计"},
    "cov.lever_none": {"en": "{missing} missing: the {levers} lever cannot be estimated",
                       "zh": "缺少{missing}：无法估计{levers}杠杆"},
    "cov.expected": {"en": "a column {label}", "zh": "一列“{label}”"},
    "model.signup": {"en": "sign-up", "zh": "报名"},
    "model.discharge": {"en": "early-discharge", "zh": "退兵"},
    "lever.publicity": {"en": "publicity", "zh": "宣传"},
    "lever.stipend": {"en": "stipend", "zh": "优待金"},
    "lever.outreach": {"en": "outreach", "zh": "入户动员"},
    "and": {"en": " and ", "zh": "和"},
})


class _RuleText(dict):
    """Rule id -> its description in the current language."""

    def __missing__(self, rule: str) -> str:
        return tr(f"rule.{rule}")


_RULE_TEXT = _RuleText()
_MESSAGE_ID = {"negative count": "v.negative_count", "not a whole number": "v.not_whole",
               "negative amount of money": "v.negative_money", "half is not 1 or 2": "v.half"}
_COUNT = [n for n, c in PANEL.items() if c.kind == "count"]
_MONEY = [n for n, c in PANEL.items() if c.kind == "money"]


def locate(items: Iterable[tuple[int, str]], *, file: str, column: str, expected: str = "",
           severity: Literal["error", "warning"] = "error", limit: int = MAX_LOCATED,
           kind: str = "") -> list[Problem]:
    """Problems for (row, message) items of one kind in one column.

    The first ``limit`` are located one by one, the rest are one summary problem
    (``row`` None, ``count`` the rows it stands for); all carry ``kind`` (default:
    the first message without its quoted value), so they print as one line.
    """
    items = list(items)
    if not items:
        return []
    kind = kind or items[0][1].split(" '")[0]
    out = [Problem(msg, file=file, row=row, column=column, expected=expected, severity=severity, kind=kind)
           for row, msg in items[:limit]]
    rest = items[limit:]
    if rest:
        shown = ", ".join(str(r) for r, _ in rest[:10]) + (", ..." if len(rest) > 10 else "")
        out.append(Problem(tr("more_rows", kind=kind, n=len(rest), rows=shown), file=file, column=column,
                           expected=expected, severity=severity, kind=kind, count=len(rest)))
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


def _numeric_view(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> tuple[dict[str, pd.Series],
                                                                                list[Problem]]:
    """Numeric copies of the checked columns; non-numeric cells (from frames built by hand) reported."""
    view: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    for name in _COUNT + _MONEY + ["half", "year"]:
        if name not in df:
            continue
        raw = df[name].reset_index(drop=True)
        if raw.dtype.kind in "fiu":  # typed by the reader: nothing to convert, nothing non-numeric
            view[name] = raw.astype(float, copy=False)
            continue
        values = pd.to_numeric(raw, errors="coerce").astype(float)
        bad = np.flatnonzero(values.isna().to_numpy() & raw.notna().to_numpy())
        problems += locate([(int(rows[i]), tr("v.not_number")) for i in bad], file=file, column=label(name))
        view[name] = values
    if "district" in df:
        view["district"] = df["district"].reset_index(drop=True)
    return view, problems


def _keeps_column_rules(view: dict[str, pd.Series]) -> bool:
    """True only when the pandera schema of :func:`_column_schema` surely passes (checked with numpy).

    A panel that keeps every rule, as most files do, is then not handed to pandera; any
    doubt returns False and pandera finds and locates the failures.
    """
    with np.errstate(invalid="ignore"):
        for name in _COUNT + _MONEY:
            if name in view:
                v = view[name].to_numpy(dtype=float)
                v = v[~np.isnan(v)]
                if (v < 0).any() or (name in _COUNT and (v % 1 != 0).any()):
                    return False
        if "half" in view and not np.isin(view["half"].to_numpy(dtype=float), (1.0, 2.0)).all():
            return False
    return not any(name in view and view[name].isna().any() for name in ("district", "year"))


def _column_rules(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> list[Problem]:
    view, problems = _numeric_view(df, file, rows, label)
    if _keeps_column_rules(view):
        return problems
    import pandera.pandas as pa

    try:
        with warnings.catch_warnings():  # pandera's own pandas deprecation noise, not the user's concern
            warnings.simplefilter("ignore", FutureWarning)
            frame = pd.DataFrame(view, index=pd.RangeIndex(len(df)))
            _column_schema(frame).validate(frame, lazy=True)
        return problems
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()]
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        check = str(check)
        if check == "not_nullable":
            rule, message = "required_present", tr("v.missing")
        else:
            rule, _, message = check.partition(":")
            message = tr(_MESSAGE_ID[message]) if message in _MESSAGE_ID else message
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
        names = dict(small=small, big=big, small_zh=PANEL[small].label_zh, big_zh=PANEL[big].label_zh)
        items = [(int(rows[i]), tr("v.order", a=_fmt(s[i]), b=_fmt(b[i]), big_label=label(big), **names))
                 for i in bad]
        problems += locate(items, file=file, column=label(small), expected=_RULE_TEXT[rule],
                           kind=tr("v.order.kind", **names))
    return problems


def _key_rule(df: pd.DataFrame, file: str, rows: np.ndarray, label) -> list[Problem]:
    if not {"district", "year", "half"} <= set(df) or df.empty:
        return []
    unit = df["district"].astype(object)
    key_name = "district"
    if "district_code" in df and df["district_code"].notna().any():
        unit = df["district_code"].astype(object).where(df["district_code"].notna(), "name:" + unit.astype(str))
        key_name = "district_code"
    dup = _duplicated(unit.to_numpy(), df["year"].to_numpy(), df["half"].to_numpy())
    if not dup.any():
        return []
    keys = pd.DataFrame({"u": unit.to_numpy(), "y": df["year"].to_numpy(), "h": df["half"].to_numpy()})
    first: dict[tuple, int] = {}
    items = []
    for i in np.flatnonzero(dup):
        k = tuple(keys.iloc[i])
        if k in first:
            items.append((int(rows[i]), tr("v.duplicate", unit=k[0], cycle=_cycle(k[1], k[2]), first=first[k])))
        else:
            first[k] = int(rows[i])
    return locate(items, file=file, column=label(key_name), expected=_RULE_TEXT["unique_key"],
                  kind=tr("v.duplicate.kind"))


def _duplicated(*columns: np.ndarray) -> np.ndarray:
    """Rows whose key (one value per column) occurs more than once, as ``DataFrame.duplicated(keep=False)``
    finds them (missing values equal to each other), from one integer code per row."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, uniques = pd.factorize(values)  # missing values: -1, one code for all of them
        key = pd.factorize(key * (len(uniques) + 1) + (codes + 1))[0].astype(np.int64)  # stays below n rows
    return pd.Series(key).duplicated(keep=False).to_numpy()


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
        problems += locate([(int(rows_arr[i]), tr("v.recruit_dup")) for i in dup],
                           file=file, column=head.get("recruit_id", "recruit_id"),
                           expected=tr("v.recruit_dup.expected"))
    pairs = (("exit_date", "enlist_date", "v.exit_before_enlist"),
             ("observed_until", "enlist_date", "v.observed_before_enlist"),
             ("observed_until", "exit_date", "v.observed_before_exit"))
    for late, early, message in pairs:
        if late in df and early in df:
            bad = np.flatnonzero((df[late] < df[early]).fillna(False).to_numpy())
            problems += locate([(int(rows_arr[i]), tr(message)) for i in bad], file=file,
                               column=head.get(late, late), expected=tr("v.on_or_after", late=late, early=early))
    return problems


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return tr("list.sep").join(items[:-1]) + tr("and") + items[-1]


def coverage_problems(columns: Iterable[str], *, file: str = "") -> list[Problem]:
    """Warnings for columns the default models need but a panel lacks, with what each is needed for.

    ``door_visits missing: the outreach lever cannot be estimated; publicity and stipend can``.
    Nothing is said when the key columns (district, year, half) are missing: the reader
    has refused the file already.
    """
    have = set(columns)
    if not set(PANEL_KEY) <= have:
        return []
    zh = current_language() == "zh"
    name = (lambda c: PANEL[c].label_zh) if zh else (lambda c: c)
    out: list[Problem] = []
    reported: set[str] = set()
    for model, needs in MODEL_COLUMNS.items():
        missing = [c for c in needs if c not in have]
        reported.update(missing)
        if missing:
            out.append(Problem(tr("cov.model", missing=_join(map(name, missing)), model=tr(f"model.{model}"),
                                  needs=_join(map(name, needs))), file=file, severity="warning",
                               expected=tr("cov.expected", label=column_label(missing[0]))))
    if len(out) == len(MODEL_COLUMNS):  # no model at all: no lever to speak of
        return out
    lost = {lever: [c for c in cols if c not in have] for lever, cols in LEVER_COLUMNS.items()}
    able = [tr(f"lever.{lever}") for lever, missing in lost.items() if not missing]
    for lever, missing in lost.items():
        if not missing or set(missing) <= reported:
            continue
        key = "cov.lever" if able else "cov.lever_none"
        out.append(Problem(tr(key, missing=_join(map(name, missing)), levers=tr(f"lever.{lever}"),
                              others=_join(able)), file=file, severity="warning",
                           expected=tr("cov.expected", label=column_label(missing[0]))))
    return out
