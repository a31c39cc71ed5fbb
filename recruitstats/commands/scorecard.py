"""``recruitstats scorecard``: the 五率 indicators of a scheme for every district and cycle."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from recruitstats.errors import InputError

DESCRIPTION = """\
Score every district and cycle of a panel on the indicators of a scorecard
scheme (the default 五率 scheme of SCHEMA.md, or a province's own TOML file):
each indicator's value, whether its target is met, and the funnel (eligible
youth -> applicants -> examined -> passed -> double-qualified -> enlisted ->
returned). Counts of fewer than the threshold (default 5) people are hidden, and
so is any rate that would reveal one (shown as * or null; see docs/publishing.md).

The scheme comes from --scheme FILE, else from `scorecard` in the project config
(--config FILE, else ./recruitstats.toml when present; a relative path there is read
from the config's folder), else the default. The threshold comes from the config
(default 5).

Examples:
  recruitstats scorecard --data data/sample/panel.csv
  recruitstats scorecard --data data/store --json
  recruitstats scorecard --data panel.xlsx --scheme my_province.toml --xlsx scorecard.xlsx --lang zh
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scorecard", help="the 五率 scorecard per district and cycle",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, type=Path, help="panel file or data folder / ingest store")
    p.add_argument("--config", type=Path,
                   help="project config: scorecard scheme, threshold (default: ./recruitstats.toml if present)")
    p.add_argument("--scheme", help="scheme TOML file or 'default' (overrides the config)")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON (the data contract)")
    p.add_argument("--xlsx", type=Path, metavar="FILE", help="also write the scorecard and funnel to FILE")
    p.add_argument("--lang", choices=["zh", "en"], default=None,
                   help="language of labels (default: the config's first language, else zh)")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> tuple[str, int, str]:
    """Scheme, threshold and language from the options and the project config."""
    from recruitstats.config import find_config, load_config

    config = load_config(args.config or find_config("."))  # ./recruitstats.toml, as fit and run
    if args.scheme:  # a path on the command line is relative to the working folder
        scheme = args.scheme
    else:
        scheme = config.scorecard
        if scheme != "default" and config.source and not Path(scheme).is_absolute():
            scheme = str(Path(config.source).parent / scheme)  # a path in the config: relative to the config
    lang = args.lang or (config.languages[0] if config.languages else "zh")
    return scheme, config.threshold, lang


def _print_table(card, lang: str) -> None:
    table = card.text_table(lang)  # 40.4%, 2.1×, 上半年/下半年 (the JSON keeps unrounded ratios)
    if card.synthetic:
        print("模拟数据（SYNTHETIC DATA），非真实记录" if lang == "zh" else "SYNTHETIC DATA: not real records")
    title = card.scheme.zh if lang == "zh" else card.scheme.en
    print(title or card.scheme.name)
    print(table.to_string(index=False, na_rep=""))
    print(table.attrs["note"])


def run(args: argparse.Namespace) -> int:
    from recruitstats.commands.fit import _load
    from recruitstats.report.export import write_xlsx
    from recruitstats.report.scorecard import load_scheme, scorecard

    scheme, threshold, lang = _settings(args)
    scheme = load_scheme(scheme)  # a bad scheme is reported before the data are read
    panel = _load(args.data)
    card = scorecard(panel, scheme, threshold=threshold)
    for note in card.notes(lang):  # an indicator the data cannot score; the rest still is
        print(f"{args.data}: warning: {note}", file=sys.stderr)
    if args.xlsx is not None:
        if args.xlsx.suffix.lower() != ".xlsx":
            raise InputError("--xlsx takes a file name ending in .xlsx", file=str(args.xlsx))
        sheets = {"五率" if lang == "zh" else "Scorecard": card.table(lang),
                  "征集漏斗" if lang == "zh" else "Funnel": card.funnel_table(lang)}
        write_xlsx(sheets, args.xlsx, lang=lang, synthetic=card.synthetic, threshold=threshold)
        print(f"wrote {args.xlsx}", file=sys.stderr)
    if args.json:
        if card.synthetic:  # the JSON keeps the contract's shape; the label goes beside it
            print(f"{args.data}: note: SYNTHETIC DATA (模拟数据), not real records", file=sys.stderr)
        print(json.dumps(card.to_dict(), ensure_ascii=False, indent=1))
    elif args.xlsx is None:
        _print_table(card, lang)
    return 0
