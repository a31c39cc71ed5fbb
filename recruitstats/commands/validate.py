"""``recruitstats validate``: check files against the data contract, change nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recruitstats.errors import InputError, format_problems
from recruitstats.io.readers import read_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="check panel or recruit files and list every problem (writes nothing)",
        description="Read each file (CSV in UTF-8/GBK/GB18030, Excel, or parquet; Chinese or English "
                    "headers), print one line per problem on standard error (file, row as seen in the "
                    "spreadsheet, column as written, what is wrong, what was expected) and 'OK: N rows' "
                    "for each file without errors. Warnings (placeholders, approximate figures, dropped "
                    "totals rows) do not block. Exit 0 when every file is usable, 2 otherwise.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to check")
    p.add_argument("--kind", choices=("panel", "recruits"),
                   help="what the files hold (default: decided from the headers)")
    p.add_argument("--sheet", help="Excel sheet name or 0-based index (default: first sheet with headers)")
    p.add_argument("--drop-personal", action="store_true",
                   help="drop columns of personal data (names, ID numbers, phones, addresses) "
                        "instead of refusing the file")
    p.add_argument("--key-file", type=Path,
                   help="pseudonym key file for ID-like recruit ids (default $RECRUITSTATS_KEY_FILE "
                        "or ~/.config/recruitstats/pseudonym.key)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    failed = False
    for path in args.files:
        try:
            result = read_table(path, kind=args.kind, sheet=args.sheet, drop_personal=args.drop_personal,
                                key=args.key_file)
        except InputError as exc:
            print(format_problems(exc.problems), file=sys.stderr)
            failed = True
            continue
        if result.problems:
            print(format_problems(result.problems), file=sys.stderr)
        if result.errors:
            failed = True
            print(f"{path}: {len(result.errors)} errors, {len(result.warnings)} warnings", file=sys.stderr)
        else:
            label = " (SYNTHETIC DATA)" if result.synthetic else ""
            print(f"{path}: OK: {len(result.data)} rows, {result.kind}, "
                  f"{len(result.warnings)} warnings{label}")
    return 2 if failed else 0
