"""Problems found in input, the error that carries them, and the messages' two languages.

Every reader, validator and model reports bad input as :class:`Problem` lines
(file, row as the user sees it in the spreadsheet, column as written, what is
wrong, what was expected) and raises :class:`InputError` when any is an error.
The command line prints them and exits 2; it never shows a traceback for bad
input. A problem never carries a personal value.

:func:`format_problems` prints one line per problem *kind*: the same mistake in
312 rows of one column is one line with the count and the first few rows.

Messages are in English or Chinese. The text of each message lives once, in the
catalogue :data:`MESSAGES` (id -> {"en": ..., "zh": ...}); modules add theirs with
:func:`register_messages` and render them with :func:`tr` in the language of
:func:`current_language`: the one set by :func:`set_language` (the command line's
``--lang``), else Chinese when the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``)
starts with ``zh``, else English.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Literal, NamedTuple

__all__ = ["Problem", "InputError", "format_problems", "group_problems", "MESSAGES", "LANGUAGES", "register_messages", "tr",
           "column_text", "needs_columns_text",
           "set_language", "current_language", "language", "language_from_env", "add_language_option"]

Language = Literal["zh", "en"]
LANGUAGES: tuple[str, ...] = ("zh", "en")

#: Rows shown in a grouped line before the ellipsis.
SHOWN_ROWS = 5

#: Message id -> {"en": text, "zh": text}; texts are ``str.format`` templates.
MESSAGES: dict[str, dict[str, str]] = {
    "severity.error": {"en": "error", "zh": "错误"},
    "severity.warning": {"en": "warning", "zh": "警告"},
    "where.row": {"en": "row {row}", "zh": "第 {row} 行"},
    "where.column": {"en": "column '{column}'", "zh": "列“{column}”"},
    "where.sep": {"en": ": ", "zh": "："},
    "expected": {"en": " (expected {expected})", "zh": "（应为：{expected}）"},
    "group.rows": {"en": "{kind} in {n} rows: {rows}", "zh": "{kind}，共 {n} 行：第 {rows} 行"},
    "more_rows": {"en": "{kind}: {n} more rows (rows {rows})", "zh": "{kind}：另有 {n} 行（第 {rows} 行）"},
    "list.sep": {"en": ", ", "zh": "、"},
    "data": {"en": "<data>", "zh": "<数据>"},
    "lever.needs": {"en": "the {lever} lever needs column(s) {columns}",
                    "zh": "{lever}杠杆需要以下列：{columns}"},
    "model.needs": {"en": "the {what} needs column(s) {columns}, which the data do not have",
                    "zh": "{what}需要以下列，而数据中没有：{columns}"},
    "model.what.model": {"en": "{name} model", "zh": "{name}模型"},
    "model.what.list of controls": {"en": "list of controls", "zh": "控制变量"},
    "model.what.list of fixed effects": {"en": "list of fixed effects", "zh": "固定效应"},
    "model.what.cluster option": {"en": "cluster option", "zh": "聚类选项"},
    "model.name.signup": {"en": "signup", "zh": "应征报名"},
    "model.name.discharge": {"en": "discharge", "zh": "退兵"},
}

_language: str | None = None


def register_messages(messages: dict[str, dict[str, str]]) -> None:
    """Add message ids to the catalogue; each needs an "en" and a "zh" text."""
    for key, texts in messages.items():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise ValueError(f"message {key!r} has no {'/'.join(missing)} text")
        MESSAGES[key] = dict(texts)


def language_from_env(environ: dict[str, str] | None = None) -> Language:
    """"zh" when the locale says Chinese (LC_ALL, then LC_MESSAGES, then LANG), else "en"."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def current_language() -> Language:
    """The language messages are rendered in now."""
    return _language or language_from_env()  # type: ignore[return-value]


def set_language(lang: str | None) -> None:
    """Render messages in ``lang`` ("zh" or "en"); None goes back to the locale's choice."""
    global _language
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected zh or en")
    _language = lang


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[None]:
    """Render messages in ``lang`` inside the block (None: leave the current choice)."""
    previous = _language
    if lang is not None:
        set_language(lang)
    try:
        yield
    finally:
        set_language(previous)


def tr(key: str, /, **values: object) -> str:
    """The message ``key`` in the current language, with ``values`` filled in."""
    texts = MESSAGES[key]
    return texts[current_language()].format(**values)


def add_language_option(parser: argparse.ArgumentParser) -> None:
    """Give a command ``--lang zh|en`` for its messages (if it has no --lang of its own)."""
    if "--lang" in parser._option_string_actions:
        return
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="language of messages, zh or en (default: zh when the locale "
                             "LANG/LC_ALL starts with zh, else en)")


class Problem(NamedTuple):
    """One located problem in one input file (a tuple, so it survives JSON and ``to_parquet``).

    ``kind`` names the problem without the row's values (``applicants > eligible_youth``);
    problems of one kind in one column print as one line. ``count`` is how many rows a
    summary problem (``row`` None) stands for.
    """

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    expected: str = ""
    severity: Literal["error", "warning"] = "error"
    kind: str = ""
    count: int = 1

    def __str__(self) -> str:
        return _line(self, self.message, rows=None)


def column_text(column: str) -> str:
    """A column (or ", "-separated columns) as a message shows it: in Chinese a canonical name gets its
    Chinese name, 年度（year）; anything else, and every name in English, is shown as it is."""
    if current_language() != "zh" or not column.isascii():
        return column
    from recruitstats.schema import PANEL, RECRUITS  # imported late: schema must not be needed to load errors

    def one(name: str) -> str:
        col = PANEL.get(name) or RECRUITS.get(name)
        return f"{col.label_zh}（{name}）" if col is not None and col.label_zh else name

    names = column.split(", ")
    return "、".join(one(n) for n in names) if len(names) > 1 else one(column)


def needs_columns_text(what: str, columns: Iterable[str]) -> str:
    """"the {what} needs column(s) ..." in the current language (a model's check of its columns).

    ``what`` is "<name> model", "list of controls", "list of fixed effects" or "cluster option";
    another ``what`` is shown as it is.
    """
    shown = column_text(", ".join(columns))
    if f"model.what.{what}" in MESSAGES:
        label = tr(f"model.what.{what}")
    elif what.endswith(" model"):
        name = what[:-len(" model")]
        label = tr("model.what.model", name=tr(f"model.name.{name}") if f"model.name.{name}" in MESSAGES else name)
    else:
        label = what
    return tr("model.needs", what=label, columns=shown)


def _line(p: Problem, message: str, *, rows: str | None) -> str:
    where = [p.file or tr("data")]
    if p.row is not None and rows is None:
        where.append(tr("where.row", row=p.row))
    if p.column:
        where.append(tr("where.column", column=column_text(p.column)))
    where.append(tr(f"severity.{p.severity}"))
    sep = tr("where.sep")
    text = sep.join(where) + sep + message
    if p.expected:
        text += tr("expected", expected=p.expected)
    return text


@dataclass
class InputError(Exception):
    """Bad input: carries the problems; the CLI prints them and exits 2."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(self, problems: Iterable[Problem] | str, *, file: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))

    def __str__(self) -> str:
        return format_problems(self.problems)


_QUOTED = re.compile(r" ?'[^']*'")


def _kind_of(p: Problem) -> str:
    """What groups a problem with others: its kind, else its message without quoted values."""
    if p.kind:
        return p.kind
    return _QUOTED.sub("", p.message) if p.row is not None else p.message


def _group_line(group: list[Problem]) -> str:
    first = group[0]
    if len(group) == 1 and first.count == 1:
        return str(first)
    located = sorted({p.row for p in group if p.row is not None})
    n = sum(p.count for p in group)
    shown = [str(r) for r in located[:SHOWN_ROWS]]
    if n > len(shown):
        shown.append("…")
    head = first._replace(row=None)
    return _line(head, tr("group.rows", kind=_kind_of(first), n=n, rows=", ".join(shown)), rows="")


def group_problems(problems: Iterable[Problem]) -> list[list[Problem]]:
    """Problems grouped by (severity, file, column, kind), errors first, then by file and first row."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.severity != "error", p.file, p.column, _kind_of(p)), []).append(p)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                     min((p.row or 0) for p in kv[1])))
    return [g for _, g in ordered]


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per kind of problem (file, column, severity, kind), errors first.

    A kind met once prints as its own located line; a kind met in several rows prints
    once, with the number of rows and the first few of them.
    """
    return "\n".join(_group_line(g) for g in group_problems(problems))
