"""``recruitstats run``: execute every notebook on the data and write the reports."""

from __future__ import annotations

import argparse

from recruitstats.config import CONFIG_NAME
from recruitstats.pipeline import run_notebooks

HELP = f"""\
Run the whole analysis: every notebook in --notebooks (in name order) is executed
on the data and the reports are written to --out: for each notebook an HTML report
(no code, nothing loaded from the internet) and the executed notebook (.ipynb), the
policy brief (brief.zh/en.html/.pdf/.docx and tables.xlsx, see `recruitstats brief`;
--no-brief leaves it out), and run.json / run.log (package version, data hash, configuration, and what could not
be estimated and why).

--data takes one or several paths: ingest stores (their processed/ tables), data
folders holding panel.csv / recruits.csv (the bundled sample), panel files and
recruit-record files, e.g. last year's and this year's panel and the recruits:

  recruitstats run --data panel_2024.xlsx panel_2025.xlsx recruits.csv --out reports

A district and cycle given twice is refused. Each analysis first checks what it
needs; what the data cannot support (no recruit records, no door_visits column,
too few returns, too few districts for reliable intervals) is said in a sentence
in the report, in run.json ("skipped") and on standard error, and the run goes on:
exit 0 with a partial report. Exit 2 only for invalid input (unreadable files,
broken rules, a blank template with no data rows), and then nothing is written.

--config reads a project configuration (write one with `recruitstats init`); without
it ./{CONFIG_NAME} is used when present. Its languages set the report language.

用法：recruitstats run --data 数据文件或文件夹... --out 报告文件夹 [--config {CONFIG_NAME}]
数据不足以支持的分析会在报告中说明原因并跳过，运行仍正常结束（退出码 0）。
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run every analysis the data support and write reports/",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", nargs="+", default=["data/sample"], metavar="PATH",
                   help="data files or folders (default: data/sample)")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help=f"project configuration (default: ./{CONFIG_NAME} if present)")
    p.add_argument("--notebooks", default=None,
                   help="folder of notebooks (default: the checkout's notebooks/ folder)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only these notebooks (by name); add 'brief' to write the brief too")
    p.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell (default: 900)")
    p.add_argument("--no-brief", action="store_true",
                   help="do not write the policy brief (brief.<lang>.html/.pdf/.docx and tables.xlsx)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    only = [n for n in args.only if n != "brief"] if args.only else None
    brief = not args.no_brief and (args.only is None or "brief" in args.only)
    result = run_notebooks(data=args.data, out=args.out, notebooks=args.notebooks, timeout=args.timeout,
                           only=only, config=args.config, brief=brief)
    for path in result.written:
        print(path)
    return 0
