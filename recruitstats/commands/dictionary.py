"""``recruitstats dictionary``: print or write the data dictionary."""

from __future__ import annotations

import argparse
from pathlib import Path

from recruitstats.schema import data_dictionary_markdown


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dictionary", help="print the data dictionary (columns, Chinese aliases, units, rules)",
        description="Print the data dictionary generated from the data contract, "
                    "or write it to a file with --out (docs/data_dictionary.md is made this way).")
    p.add_argument("--out", type=Path, help="write the page here instead of printing it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = data_dictionary_markdown()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0
