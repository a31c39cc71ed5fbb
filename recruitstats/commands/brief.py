"""``recruitstats brief``: write the policy brief in Chinese and English (HTML, PDF, DOCX) and tables.xlsx."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recruitstats.errors import InputError

DESCRIPTION = """\
Write the policy brief of a panel: for each language brief.<lang>.html (one
self-contained file), brief.<lang>.pdf and brief.<lang>.docx (A4), and
tables.xlsx with the scorecard and league table for Excel/WPS.

The brief holds the headline findings (each sign-up lever's elasticity with its
interval, what +10% of each lever buys in applicants and what it costs per
additional applicant; district early discharge: rates, districts beyond the
funnel-plot control limits, the effect of outreach and follow-up contacts and the
cost per avoided return), the 五率 scorecard, key figures, what the data cannot
tell, method and data notes, and a provenance footer (input file SHA-256, package
version, date, config). Every number comes from a fitted model. Counts of fewer
than the threshold (default 5) people, and rates that would reveal them, are hidden.
Synthetic data are labelled synthetic (模拟数据) in the title.

Examples:
  recruitstats brief --data data/sample --out reports/brief
  recruitstats brief --data panel.xlsx --out out --lang zh --config recruitstats.toml
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("brief", help="write the policy brief (zh/en; HTML, PDF, DOCX) and tables.xlsx",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="panel file, data folder or ingest store")
    p.add_argument("--out", required=True, type=Path, help="output folder (created)")
    p.add_argument("--lang", default=None,
                   help="languages, comma-separated: zh,en (default: the config's, else zh,en)")
    p.add_argument("--config", default=None, type=Path,
                   help="project config (default: ./recruitstats.toml if present, else the built-in defaults)")
    p.set_defaults(func=run)


def _langs(value: str | None, config) -> tuple[str, ...]:
    if value is None:
        return tuple(getattr(config, "languages", ("zh", "en")))
    langs = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in langs if v not in ("zh", "en")]
    if bad or not langs:
        raise InputError(f"--lang takes zh, en or zh,en, not {value!r}")
    return langs


def run(args: argparse.Namespace) -> int:
    from recruitstats.config import find_config, load_config
    from recruitstats.report.brief import build_brief

    if args.config is not None and not args.config.is_file():
        raise InputError(f"config file not found: {args.config}", file=str(args.config))
    if not args.data.exists():
        raise InputError(f"data not found: {args.data}", file=str(args.data))
    # as `run`: without --config, ./recruitstats.toml when there is one (the footer names it)
    config = load_config(args.config if args.config is not None else find_config())
    langs = _langs(args.lang, config)
    for path in build_brief(args.data, args.out, langs=langs, config=config):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    from recruitstats.cli import main

    sys.exit(main(["brief", *sys.argv[1:]]))
