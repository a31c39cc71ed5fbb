"""The personal-data guard: refuse personal columns, pseudonymise ID-like recruit ids.

Names, national ID numbers, phone numbers and addresses never enter processed
data (SCHEMA.md, "Personal data"). A file carrying such columns is refused with a
message naming the columns as written, unless the caller asks for them to be
dropped. A ``recruit_id`` that looks like a national ID or a mobile number is
replaced by a keyed HMAC-SHA256 pseudonym; the key lives outside the data folder
so a copy of the data alone cannot be linked back by hashing known IDs.

No function here ever puts a personal value into a message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from recruitstats.errors import InputError, Problem
from recruitstats.schema import personal_data_column

__all__ = [
    "KEY_ENV",
    "default_key_file",
    "load_key",
    "personal_columns",
    "personal_problems",
    "looks_like_personal_id",
    "pseudonymise",
]

#: Environment variable naming the pseudonym key file.
KEY_ENV = "RECRUITSTATS_KEY_FILE"

_NATIONAL_ID = re.compile(r"^\d{17}[\dXx]$")
_MOBILE = re.compile(r"^1\d{10}$")
_KIND_TEXT = {"name": "names", "national_id": "national ID numbers", "phone": "phone numbers",
              "address": "addresses"}


def default_key_file() -> Path:
    """``$RECRUITSTATS_KEY_FILE`` if set, else ``~/.config/recruitstats/pseudonym.key``."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".config" / "recruitstats" / "pseudonym.key"


def _create_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def load_key(key: bytes | str | os.PathLike | None = None, *, data_dir: str | os.PathLike | None = None) -> bytes:
    """The HMAC key: ``key`` itself if bytes, else read from a key file (created 0600 on first use).

    Parameters
    ----------
    key : bytes, path-like or None
        The key itself (bytes), or the path of a key file; None uses :func:`default_key_file`.
    data_dir : path-like, optional
        The folder the data came from; a key file inside it is refused, since a key
        kept beside the data protects nothing.
    """
    if isinstance(key, bytes):
        if len(key) < 16:
            raise InputError("the pseudonym key must be at least 16 bytes")
        return key
    path = Path(key).expanduser() if key is not None else default_key_file()
    if data_dir is not None:
        try:
            path.resolve().relative_to(Path(data_dir).resolve())
            raise InputError([Problem(
                "the pseudonym key file is inside the data folder; keep it elsewhere",
                file=str(path), expected=f"a key file outside {data_dir} (set {KEY_ENV})")])
        except ValueError:
            pass
    if not path.exists():
        _create_key(path)
    text = path.read_text(encoding="ascii").strip()
    if len(text) < 32:
        raise InputError([Problem("the pseudonym key file is too short", file=str(path),
                                  expected="at least 32 hexadecimal characters")])
    return text.encode("ascii")


def personal_columns(labels: Iterable[str]) -> dict[str, str]:
    """Headers (as written) that carry personal data, mapped to what they carry."""
    found = {}
    for label in labels:
        kind = personal_data_column(label)
        if kind:
            found[label] = kind
    return found


def personal_problems(found: dict[str, str], *, file: str, row: int | None, drop: bool) -> list[Problem]:
    """One problem per personal column: an error (refused) or, when dropped, a warning."""
    out = []
    for label, kind in found.items():
        if drop:
            out.append(Problem(f"personal data ({_KIND_TEXT.get(kind, kind)}) dropped", file=file, row=row,
                               column=label, severity="warning"))
        else:
            out.append(Problem(
                f"personal data ({_KIND_TEXT.get(kind, kind)}): the file is refused", file=file, row=row,
                column=label, expected="no names, ID numbers, phones or addresses; "
                                       "drop the column or use --drop-personal (drop_personal=True)"))
    return out


def looks_like_personal_id(values: Sequence[object]) -> np.ndarray:
    """Mask of values shaped like an 18-character national ID or an 11-digit mobile number."""
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str):
            t = v.strip()
            out[i] = bool(_NATIONAL_ID.match(t) or _MOBILE.match(t))
    return out


def pseudonymise(values: Sequence[object], key: bytes) -> list[object]:
    """Keyed HMAC-SHA256 pseudonyms (``p`` + 20 hex digits); missing values stay missing."""
    out: list[object] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(v)
            continue
        digest = hmac.new(key, str(v).strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()
        out.append("p" + digest[:20])
    return out
