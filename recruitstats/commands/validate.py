"""``recruitstats validate``: check files against the data contract, change nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recruitstats.errors import (InputError, Problem, add_language_option, group_problems, format_problems,
                                 language, register_messages, tr)
from recruitstats.io.readers import ReadResult, read_table
from recruitstats.io.validate import coverage_problems

#: Where the whole report goes (problems, warnings and each file's summary line, in order).
#: Standard error, as for every command's messages (SCHEMA.md); standard output stays empty.
REPORT_STREAM_NAME = "stderr"

register_messages({
    "validate.ok": {"en": "{path}: OK: {n} rows, {kind}, {warnings} warnings{label}",
                    "zh": "{path}：通过：{n} 行，{kind}，{warnings} 条警告{label}"},
    "validate.failed": {"en": "{path}: {errors} errors, {warnings} warnings",
                        "zh": "{path}：{errors} 个错误，{warnings} 条警告"},
    "validate.no_rows": {"en": "no data rows: the table has its headers and nothing under them, so nothing can "
                               "be analysed (run refuses it too)",
                         "zh": "没有数据行：表格只有表头，下面没有数据，无法分析（run 同样拒绝）"},
    "validate.no_rows.expected": {"en": "one row per district and call-up cycle under the headers",
                                  "zh": "表头下每个区县每个征集批次填一行"},
    "validate.synthetic": {"en": " (SYNTHETIC DATA)", "zh": "（模拟数据）"},
    "kind.panel": {"en": "panel", "zh": "区县面板数据"},
    "kind.recruits": {"en": "recruits", "zh": "新兵名册"},
})

DESCRIPTION = """\
Read each file (CSV in UTF-8/GBK/GB18030, Excel, or parquet; Chinese or English
headers) and report on it, changing nothing.

The report goes to standard error, all of it in one stream and in order: one line
per kind of problem (file, row as seen in the spreadsheet, column as written, what
is wrong, what was expected; the same mistake in many rows is one line with the
count and the first rows), then a summary line per file, "OK: N rows" or
"N errors, M warnings". Standard output stays empty; `2> report.txt` keeps the report.

Warnings do not block: placeholders, approximate figures, dropped totals rows,
columns not in the data contract (listed once, with "did you mean" for a header
near a known one), and columns the default models need
(e.g. "door_visits missing: the outreach lever cannot be estimated; publicity and
stipend can"). Hostile or broken files (a sheet reaching XFD1048576, a zip bomb, a
million columns, formulas without saved values, mixed encodings, years outside
1990..next year) are errors, found before the file is read whole; so is a file
with headers and no data rows (a blank template): nothing in it can be analysed.

Messages are in Chinese when LANG/LC_ALL starts with zh, else English; --lang
chooses. Exit 0 when every file is usable, 2 otherwise.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="check panel or recruit files and list every problem (writes nothing)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to check")
    p.add_argument("--kind", choices=("panel", "recruits"),
                   help="what the files hold (default: decided from the headers)")
    p.add_argument("--sheet", help="Excel sheet name or 0-based index (default: first sheet with headers)")
    p.add_argument("--drop-personal", action="store_true",
                   help="drop columns of personal data (names, ID numbers, phones, addresses) "
                        "instead of refusing the file, to see what `recruitstats ingest --drop-personal` "
                        "would keep (validate writes nothing)")
    p.add_argument("--key-file", type=Path,
                   help="pseudonym key file for ID-like recruit ids (default $RECRUITSTATS_KEY_FILE "
                        "or ~/.config/recruitstats/pseudonym.key)")
    add_language_option(p)
    p.set_defaults(func=run)


def _report(path: Path, result: ReadResult) -> tuple[list[Problem], str, bool]:
    """Every problem of one readable file, its summary line, and whether the file failed."""
    problems = list(result.problems)
    if result.kind == "panel":
        problems += coverage_problems(result.data.columns, file=str(path))
    if len(result.data) == 0 and not result.errors:
        problems.append(Problem(tr("validate.no_rows"), file=str(path),  # an error, as run says (SCHEMA.md)
                                expected=tr("validate.no_rows.expected")))
    groups = group_problems(problems)
    n_errors = sum(g[0].severity == "error" for g in groups)
    n_warnings = len(groups) - n_errors
    if n_errors:
        return problems, tr("validate.failed", path=path, errors=n_errors, warnings=n_warnings), True
    label = tr("validate.synthetic") if result.synthetic else ""
    return problems, tr("validate.ok", path=path, n=len(result.data), kind=tr(f"kind.{result.kind}"),
                        warnings=n_warnings, label=label), False


def run(args: argparse.Namespace) -> int:
    stream = getattr(sys, REPORT_STREAM_NAME)
    failed = False
    with language(getattr(args, "lang", None)):
        for path in args.files:
            try:
                result = read_table(path, kind=args.kind, sheet=args.sheet, drop_personal=args.drop_personal,
                                    key=args.key_file)
            except InputError as exc:
                print(format_problems(exc.problems), file=stream)
                failed = True
                continue
            problems, summary, bad = _report(path, result)
            if problems:
                print(format_problems(problems), file=stream)
            print(summary, file=stream)
            failed = failed or bad
    return 2 if failed else 0
