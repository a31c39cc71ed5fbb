"""``recruitstats ingest``: add files to the store and rebuild its processed tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from recruitstats.errors import InputError, format_problems, register_messages, tr
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
                   help="drop personal-data columns instead of refusing the file; the store then holds "
                        "a clean copy that fit, run, scorecard and brief read with --data DIR (they have no "
                        "--drop-personal of their own)")
    p.add_argument("--kind", choices=("panel", "recruits"), help="what the files hold (default: from headers)")
    p.add_argument("--key-file", type=Path,
                   help="pseudonym key file for ID-like recruit ids, kept outside the store and the data "
                        "folder (default $RECRUITSTATS_KEY_FILE or ~/.config/recruitstats/pseudonym.key; "
                        "created by the first ingest that needs it)")
    p.add_argument("--rekey", action="store_true",
                   help="accept a key other than the store's; files whose ids were pseudonymised with the "
                        "old key leave the store (ingest their originals again)")
    p.set_defaults(func=run)


register_messages({
    "i.refused": {"en": "ingest refused: nothing was written and the store {store} is unchanged",
                  "zh": "ingest 被拒绝：未写入任何内容，数据仓库 {store} 保持不变"},
    "i.unchanged": {"en": "{path}: already held as {held} (same sha256); nothing to do",
                    "zh": "{path}：已作为 {held} 收存（sha256 相同）；无需处理"},
    "i.added": {"en": "added {name}", "zh": "已加入 {name}"},
    "i.replaced": {"en": "rows from {name} replaced by the new file(s)", "zh": "{name} 中的行已被新文件替换"},
    "i.dropped": {"en": "{name} removed: its ids were pseudonymised with the previous key (ingest the original "
                        "again)", "zh": "已移除 {name}：其编号是用旧密钥生成的假名（请重新 ingest 原文件）"},
    "i.key": {"en": "pseudonym key created: {path} (fingerprint {fp}); keep it outside the store and back it up: "
                    "the same key gives the same pseudonyms",
              "zh": "已生成假名密钥：{path}（指纹 {fp}）；请放在数据仓库之外并备份：同一密钥给出同样的假名"},
    "i.rows": {"en": "{path}: {n} rows", "zh": "{path}：{n} 行"},
})


def run(args: argparse.Namespace) -> int:
    try:
        report = ingest(args.files, args.store, replace=args.replace, drop_personal=args.drop_personal,
                        kind=args.kind, key=args.key_file, rekey=args.rekey)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        print(tr("i.refused", store=args.store), file=sys.stderr)
        return 2
    if report.problems:
        print(format_problems(report.problems), file=sys.stderr)
    for path, held in report.unchanged:
        print(tr("i.unchanged", path=path, held=held))
    for name in report.added:
        print(tr("i.added", name=name))
    for name in report.replaced:
        print(tr("i.replaced", name=name))
    for name in report.dropped:
        print(tr("i.dropped", name=name))
    if report.key_created is not None:
        print(tr("i.key", path=report.key_created, fp=report.key_fingerprint))
    for kind, n in report.rows.items():
        print(tr("i.rows", path=f"{args.store}/processed/{kind}.parquet", n=n))
    return 0
