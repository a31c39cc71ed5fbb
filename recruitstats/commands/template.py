"""``recruitstats template``: write the Excel form offices fill in."""

from __future__ import annotations

import argparse
from pathlib import Path

from recruitstats.io.template import write_template


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "template", help="write the Excel panel template (headers, units, checks, instructions, dictionary)",
        description="Write an .xlsx workbook for offices to fill in, entirely in Chinese (--lang zh, the "
                    "default) or English: a data sheet with the panel headers and their units, a comment on "
                    "each header (meaning, unit, use), one example row (its district starts with 示例 / "
                    "Example, so readers skip it until it is overwritten) and Excel data validation (a "
                    "drop-down 上半年/下半年 for the half, whole numbers >= 0 for counts, amounts >= 0 for "
                    "money, years from 1990); an instructions sheet (说明); and the data dictionary. "
                    "`recruitstats validate` reads the blank template as a panel with no data rows. An "
                    "existing file is not replaced without --force.")
    p.add_argument("out", type=Path, metavar="OUT.xlsx", help="the workbook to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="language of the whole workbook and of messages (default zh)")
    p.add_argument("--rows", type=int, default=1000, help="rows carrying data validation (default 1000)")
    p.add_argument("--force", action="store_true", help="replace OUT.xlsx if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = write_template(args.out, lang=args.lang, rows=args.rows, overwrite=args.force)
    print(f"wrote {path}")
    return 0
