"""``recruitstats run``: execute every notebook on a data folder and write the reports."""

from __future__ import annotations

import argparse
import sys

from recruitstats.pipeline import NotebookFailed, run_notebooks

HELP = """\
Run the whole analysis on a data folder: every notebook in --notebooks is executed
top to bottom with its DATA_DIR parameter pointed at --data, and the executed
notebooks (.ipynb), their HTML exports and run.json (package version, data hash)
are written to --out. Nothing is written unless every notebook succeeds (exit 2
and the failing notebook's last error line otherwise). Notebooks that need recruit
records (04_early_discharge) are skipped when the data have none.

--data is an ingest store (its processed/panel.parquet and recruits.parquet are
used), a folder holding panel.csv / recruits.csv (the bundled sample), or a
single panel file. When a new year of data arrives:

  recruitstats ingest office_2026.xlsx --store data/store
  recruitstats run --data data/store --out reports
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="execute the notebooks on a data folder and write reports/",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="data/sample", help="data folder or store (default: data/sample)")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--notebooks", default=None,
                   help="folder of notebooks (default: the checkout's notebooks/ folder)")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks (by name)")
    p.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default: 900)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        written = run_notebooks(data=args.data, out=args.out, notebooks=args.notebooks,
                                timeout=args.timeout, only=args.only)
    except NotebookFailed as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0
