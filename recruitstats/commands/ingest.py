"""``recruitstats ingest``: add files to the store and rebuild its processed tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recruitstats.errors import InputError, format_problems
from recruitstats.io.store import ingest


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ingest", help="add files to a store and rebuild the processed panel",
        description="Check each file like `recruitstats validate`, keep a copy in DIR/raw/ (the CSV as "
                    "sent when nothing personal is in it, otherwise the table without personal columns "
                    "and with pseudonymised ids), record it in DIR/manifest.json (name, sha256 of the "
                    "file as sent, time, kind, rows, warnings) and rebuild DIR/processed/panel.parquet "
                    "(and recruits.parquet), in the order files were added. The files given are only "
                    "read. A file already held (same sha256) is a no-op. A file with errors or personal "
                    "data, or with district-cycles already held, is refused and nothing is written (use "
                    "--drop-personal, or --replace to let its rows replace the held ones). The store is "
                    "swapped in atomically: an interrupted ingest leaves the previous store intact.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="panel or recruit files")
    p.add_argument("--store", type=Path, required=True, metavar="DIR", help="the store folder")
    p.add_argument("--replace", action="store_true",
                   help="rows of these files replace held rows for the same district and cycle")
    p.add_argument("--drop-personal", action="store_true",
                   help="drop personal-data columns instead of refusing the file")
    p.add_argument("--kind", choices=("panel", "recruits"), help="what the files hold (default: from headers)")
    p.add_argument("--key-file", type=Path,
                   help="pseudonym key file for ID-like recruit ids, kept outside the store and the data "
                        "folder (default $RECRUITSTATS_KEY_FILE or ~/.config/recruitstats/pseudonym.key; "
                        "created by the first ingest that needs it)")
    p.add_argument("--rekey", action="store_true",
                   help="accept a key other than the store's; files whose ids were pseudonymised with the "
                        "old key leave the store (ingest their originals again)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        report = ingest(args.files, args.store, replace=args.replace, drop_personal=args.drop_personal,
                        kind=args.kind, key=args.key_file, rekey=args.rekey)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        print(f"ingest refused: nothing was written and the store {args.store} is unchanged", file=sys.stderr)
        return 2
    if report.problems:
        print(format_problems(report.problems), file=sys.stderr)
    for path, held in report.unchanged:
        print(f"{path}: already held as {held} (same sha256); nothing to do")
    for name in report.added:
        print(f"added {name}")
    for name in report.replaced:
        print(f"rows from {name} replaced by the new file(s)")
    for name in report.dropped:
        print(f"{name} removed: its ids were pseudonymised with the previous key (ingest the original again)")
    if report.key_created is not None:
        print(f"pseudonym key created: {report.key_created} (fingerprint {report.key_fingerprint}); keep it "
              "outside the store and back it up: the same key gives the same pseudonyms")
    for kind, n in report.rows.items():
        print(f"{args.store}/processed/{kind}.parquet: {n} rows")
    return 0
