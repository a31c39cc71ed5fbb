"""``recruitstats init``: write the commented default project configuration."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from recruitstats.config import CONFIG_NAME, default_config_text
from recruitstats.errors import InputError, Problem

HELP = f"""\
Write the commented default project configuration to PATH (default: ./{CONFIG_NAME}).
Edit it, then `recruitstats run` (and fit, brief, scorecard) read it with
--config PATH, or by themselves when it is ./{CONFIG_NAME}. An existing file is
kept unless --force is given.

写出带注释的默认项目配置文件（默认 ./{CONFIG_NAME}）。已有文件不会被覆盖，除非加 --force。
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help=f"write a commented default {CONFIG_NAME}",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="?", default=CONFIG_NAME, help=f"file to write (default: {CONFIG_NAME})")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=run)


def write_default_config(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Write the default configuration atomically; refuse to overwrite unless ``force``."""
    target = Path(path)
    if target.is_dir():
        target = target / CONFIG_NAME
    if target.exists() and not force:
        raise InputError([Problem("already exists; nothing was written (use --force to overwrite) / "
                                  "文件已存在，未写入（加 --force 覆盖）", file=str(target))])
    if not target.parent.is_dir():
        raise InputError("the folder does not exist; nothing was written", file=str(target.parent))
    fd, tmp = tempfile.mkstemp(prefix=".recruitstats-init-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(default_config_text())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a config is not secret
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def run(args: argparse.Namespace) -> int:
    target = write_default_config(args.path, force=args.force)
    print(target)
    return 0
