"""Problems found in input, and the error that carries them to the command line.

Every reader, validator and model reports bad input as :class:`Problem` lines
(file, row as the user sees it in the spreadsheet, column as written, what is
wrong, what was expected) and raises :class:`InputError` when any is an error.
The command line prints one line per problem and exits 2; it never shows a
traceback for bad input. A problem never carries a personal value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal, NamedTuple

__all__ = ["Problem", "InputError", "format_problems"]


class Problem(NamedTuple):
    """One located problem in one input file (a tuple, so it survives JSON and ``to_parquet``)."""

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    expected: str = ""
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = [self.file or "<data>"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        text = f"{': '.join(where)}: {self.severity}: {self.message}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


@dataclass
class InputError(Exception):
    """Bad input: carries the problems; the CLI prints them and exits 2."""

    problems: list[Problem] = field(default_factory=list)

    def __init__(self, problems: Iterable[Problem] | str, *, file: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))

    def __str__(self) -> str:
        return format_problems(self.problems)


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem, errors first."""
    items = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.row or 0))
    return "\n".join(str(p) for p in items)
