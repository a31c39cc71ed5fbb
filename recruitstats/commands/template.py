"""``recruitstats template``: write the Excel form offices fill in."""

from __future__ import annotations

import argparse
from pathlib import Path

from recruitstats.io.template import write_template


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "template", help="write the Excel panel template (headers, units, checks, data dictionary)",
        description="Write an .xlsx workbook with the panel headers and their units in Chinese or "
                    "English, Excel data validation (half 1 or 2, whole non-negative counts, money not "
                    "negative) and a data-dictionary sheet. `recruitstats validate` reads the blank "
                    "template as an empty, valid panel. An existing file is not replaced without --force.")
    p.add_argument("out", type=Path, metavar="OUT.xlsx", help="the workbook to write")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="header language (default zh)")
    p.add_argument("--rows", type=int, default=1000, help="rows carrying data validation (default 1000)")
    p.add_argument("--force", action="store_true", help="replace OUT.xlsx if it exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = write_template(args.out, lang=args.lang, rows=args.rows, overwrite=args.force)
    print(f"wrote {path}")
    return 0
