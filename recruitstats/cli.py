"""The ``recruitstats`` command.

Each subcommand lives in ``recruitstats/commands/<name>.py`` with a
``register(subparsers)`` function that adds its parser and sets ``func``.
Bad input ends with one line per problem on standard error and exit code 2.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import os
import re
import sys
from typing import Sequence

# Before numpy loads: the models solve k x k systems on tall N x k arrays, where BLAS threads cost
# more in start-up and contention than they gain (national fit: 0.3-0.4 s of CPU on two busy cores).
# A user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from recruitstats import __version__  # noqa: E402
from recruitstats.errors import LANGUAGES, InputError, add_language_option, language  # noqa: E402

#: Commands whose messages follow --lang zh|en (default: the locale).
LANG_COMMANDS = ("validate", "ingest", "fit")

COMMANDS = ("validate", "ingest", "template", "simulate", "fit", "dictionary", "run", "init", "power", "scenario", "brief", "scorecard")

DESCRIPTION = """\
recruitstats: clean, validate and model military recruitment data.

Typical session:
  recruitstats template --lang zh panel_template.xlsx   # what an office fills in
  recruitstats validate office_2025.xlsx                 # check a file, change nothing
  recruitstats ingest office_2025.xlsx --store data/store
  recruitstats fit signup --data data/store/processed/panel.parquet
  recruitstats simulate --out /tmp/sim --seed 7          # synthetic data with known truth

Every command reads CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) or Excel with
English or Chinese headers, exits 0 on success and 2 on bad input (one line per
problem: file, row, column, what is wrong), and writes nothing when it refuses.
Messages are in Chinese when LANG/LC_ALL starts with zh, else English
(`--lang zh|en` on validate, ingest and fit).
Run `recruitstats COMMAND --help` for each command's manual.
"""


def build_parser(command: str | None = None, *, lazy: bool = False) -> argparse.ArgumentParser:
    """The command line's parser.

    With ``lazy``, only ``command``'s module is imported (none for ``--help``): the
    other commands get a placeholder parser whose one-line help is read from their
    source, so ``recruitstats --help`` loads neither pandas nor the models.
    """
    parser = argparse.ArgumentParser(
        prog="recruitstats", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"recruitstats {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        summary = _summary(name) if lazy and name != command else None
        if summary is not None:
            sub.add_parser(name, help=summary, add_help=False)
            continue
        try:
            module = importlib.import_module(f"recruitstats.commands.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name != f"recruitstats.commands.{name}":
                raise
            continue
        module.register(sub)
    for name in LANG_COMMANDS:
        if name in sub.choices and (not lazy or name == command):
            add_language_option(sub.choices[name])
    return parser


_HELP = re.compile(r"""add_parser\(\s*["'](\w+)["']\s*,\s*help\s*=\s*("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")


def _summary(name: str) -> str | None:
    """A command's one-line help read from its source without importing it (None: import it)."""
    spec = importlib.util.find_spec(f"recruitstats.commands.{name}")
    if spec is None or not spec.origin:
        return None
    with open(spec.origin, encoding="utf-8") as fh:
        match = _HELP.search(fh.read())
    if match is None or match.group(1) != name:
        return None
    return ast.literal_eval(match.group(2))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command, lazy=True)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    lang = getattr(args, "lang", None)
    with language(lang if lang in LANGUAGES else None):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"{exc.filename}: error: {exc.strerror}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
