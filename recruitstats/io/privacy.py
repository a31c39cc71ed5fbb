"""The personal-data guard: find personal data by header and by value; pseudonymise ID-like ids.

Names, national ID numbers, phone numbers and addresses never enter processed
data or the store (SCHEMA.md, "Personal data"). A column is personal when its
header says so (姓名, 联系人, 家长手机, 现住址, 户籍所在地 ... also inside longer
headers such as 应征青年姓名) or when any of its values holds a national ID
(18 digits with a valid GB 11643 check digit, or a 15-digit old ID with a
plausible birth date, also written with spaces or dashes, or as the number
Excel makes of it), a mobile number (1[3-9] + 9 digits, optionally +86) or a
landline number (0 + area code, then 7-8 digits). Such a file is refused with
the column and the count of hits, unless the caller asks for the columns to be
dropped.

A ``recruit_id`` that looks like a national ID or a phone number (in any of
those forms) is replaced by a keyed HMAC-SHA256 pseudonym. The key lives outside
the data folder and the store, so a copy of the data alone cannot be linked
back by hashing known IDs. Reading never creates the key: without one, the
pseudonyms are temporary and the reader says so; the first successful ingest
creates it (:mod:`recruitstats.io.store`).

No function here ever puts a personal value into a message.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.schema import canonical_name, normalise_header, personal_data_column

__all__ = [
    "KEY_ENV",
    "default_key_file",
    "load_key",
    "read_key_file",
    "new_key",
    "write_key_file",
    "key_fingerprint",
    "key_inside",
    "refuse_key_inside",
    "personal_header",
    "personal_columns",
    "personal_problems",
    "value_problems",
    "scan_values",
    "scan_columns",
    "is_national_id",
    "looks_like_personal_id",
    "normalise_id",
    "pseudonymise",
]

#: Environment variable naming the pseudonym key file.
KEY_ENV = "RECRUITSTATS_KEY_FILE"

register_messages({
    "p.kind.name": {"en": "names", "zh": "姓名"},
    "p.kind.national_id": {"en": "national ID numbers", "zh": "身份证号"},
    "p.kind.phone": {"en": "phone numbers", "zh": "电话号码"},
    "p.kind.address": {"en": "addresses", "zh": "住址"},
    "p.cells": {"en": "{what} in {n} cells", "zh": "{n} 个单元格含{what}"},
    "p.cell": {"en": "{what} in 1 cell", "zh": "1 个单元格含{what}"},
    "p.refused": {"en": "personal data ({what}): the file is refused", "zh": "个人信息（{what}）：拒绝接收该文件"},
    "p.dropped": {"en": "personal data ({what}): column dropped", "zh": "个人信息（{what}）：已删除该列"},
    "p.expected": {"en": "no names, ID numbers, phones or addresses; delete the column, or run `recruitstats "
                         "ingest FILE --store DIR --drop-personal` to keep a clean copy without it and give the "
                         "other commands --data DIR (`validate --drop-personal` shows what would be kept; in "
                         "Python: drop_personal=True)",
                   "zh": "不含姓名、身份证号、电话或住址；删除该列，或运行 `recruitstats ingest 文件 --store 目录 "
                         "--drop-personal` 保存去掉该列的副本，其他命令再用 --data 目录（`validate --drop-personal` "
                         "可预览保留的内容；Python 中为 drop_personal=True）"},
    "p.where.data": {"en": "data folder", "zh": "数据文件夹"},
    "p.where.store": {"en": "store", "zh": "数据仓库"},
    "p.key.inside": {"en": "the pseudonym key file is inside the {where}; keep it elsewhere",
                     "zh": "假名密钥文件位于{where}内；请放在别处"},
    "p.key.inside.expected": {"en": "a key file outside {folder} (--key-file, or set {env})",
                              "zh": "{folder} 之外的密钥文件（--key-file，或设置 {env}）"},
    "p.key.unreadable": {"en": "the pseudonym key file cannot be read", "zh": "无法读取假名密钥文件"},
    "p.key.unreadable.expected": {"en": "the key file recruitstats wrote (64 hexadecimal characters)",
                                  "zh": "recruitstats 写入的密钥文件（64 个十六进制字符）"},
    "p.key.short": {"en": "the pseudonym key file is too short", "zh": "假名密钥文件太短"},
    "p.key.short.expected": {"en": "at least 32 hexadecimal characters", "zh": "至少 32 个十六进制字符"},
    "p.key.bytes": {"en": "the pseudonym key must be at least 16 bytes", "zh": "假名密钥至少需要 16 个字节"},
    "p.ids": {"en": "recruit ids looked like national ID or phone numbers; replaced by keyed pseudonyms",
              "zh": "新兵编号形如身份证号或电话号码，已替换为带密钥的假名"},
    "p.ids.temporary": {"en": "no pseudonym key yet: these pseudonyms hold for this read only (the first ingest "
                              "creates the key)",
                        "zh": "尚无假名密钥：这些假名只在本次读取有效（首次 ingest 时生成密钥）"},
    "p.ids.numbers": {"en": "recruit ids were stored as numbers (Excel keeps 15 digits): two ids may share a "
                            "pseudonym", "zh": "新兵编号被存为数字（Excel 只保留 15 位）：两个编号可能得到同一假名"},
    "p.ids.numbers.expected": {"en": "the id column formatted as text", "zh": "编号列设为文本格式"},
})


def _kind_text(kind: str) -> str:
    return tr(f"p.kind.{kind}")

# --- keys ---------------------------------------------------------------------------


def default_key_file() -> Path:
    """``$RECRUITSTATS_KEY_FILE`` if set, else ``~/.config/recruitstats/pseudonym.key``."""
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".config" / "recruitstats" / "pseudonym.key"


def new_key() -> bytes:
    """A fresh random key (64 hexadecimal characters), not yet written anywhere."""
    return secrets.token_hex(32).encode("ascii")


def key_fingerprint(key: bytes) -> str:
    """First 16 hex digits of the key's sha256: names a key without revealing it."""
    return hashlib.sha256(key).hexdigest()[:16]


def read_key_file(path: str | os.PathLike) -> bytes | None:
    """The key held in ``path``, or None when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise InputError([Problem(tr("p.key.unreadable"), file=str(path),
                                  expected=tr("p.key.unreadable.expected"))]) from None
    if len(text) < 32:
        raise InputError([Problem(tr("p.key.short"), file=str(path), expected=tr("p.key.short.expected"))])
    return text.encode("ascii")


def write_key_file(path: str | os.PathLike, key: bytes) -> bytes:
    """Write ``key`` to a new file (mode 0600); if the file appeared meanwhile, return what it holds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        held = read_key_file(path)
        return held if held is not None else key
    with os.fdopen(fd, "w") as fh:
        fh.write(key.decode("ascii") + "\n")
    return key


def key_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """True when ``path`` (resolved, symlinks followed) lies inside ``folder``."""
    try:
        Path(path).expanduser().resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def refuse_key_inside(path: Path, folder: Path, where: str) -> None:
    """Raise when the key file ``path`` lies inside ``folder`` (``where``: "data" or "store")."""
    if key_inside(path, folder):
        raise InputError([Problem(tr("p.key.inside", where=tr(f"p.where.{where}")), file=str(path),
                                  expected=tr("p.key.inside.expected", folder=folder, env=KEY_ENV))])


def load_key(key: bytes | str | os.PathLike | None = None, *, data_dir: str | os.PathLike | None = None
             ) -> tuple[bytes, bool]:
    """The HMAC key for reading, and whether it is temporary; never creates a key file.

    Parameters
    ----------
    key : bytes, path-like or None
        The key itself (bytes, at least 16), or a key file; None uses :func:`default_key_file`.
    data_dir : path-like, optional
        The folder the data came from; a key file inside it is refused.

    Returns
    -------
    (bytes, bool)
        The key, and True when no key file exists yet so a random key valid for
        this read only was used (the first ingest creates the key file).
    """
    if isinstance(key, bytes):
        if len(key) < 16:
            raise InputError(tr("p.key.bytes"))
        return key, False
    path = Path(key).expanduser() if key is not None else default_key_file()
    if data_dir is not None:
        refuse_key_inside(path, Path(data_dir), "data")
    held = read_key_file(path)
    return (held, False) if held is not None else (new_key(), True)


# --- headers ------------------------------------------------------------------------

# Parts of a header that mark personal data, checked in this order (家长手机 is a phone).
_HEADER_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("national_id", ("身份证", "身份号码", "证件号", "公民身份", "idcard", "id_card", "idnumber", "id_number",
                     "national_id", "nationalid")),
    ("phone", ("电话", "手机", "联系方式", "微信", "qq号", "phone", "mobile", "telephone")),
    ("address", ("住址", "地址", "户籍所在地", "户籍地", "户口所在地", "居住地", "现居", "门牌", "address")),
    ("name", ("姓名", "名字", "联系人", "监护人", "家长", "户主", "父亲", "母亲", "fullname", "full_name",
              "guardian")),
)
_ENGLISH_EXACT = {"name": "name", "names": "name", "tel": "phone", "contact": "name", "parent": "name"}
_NOT_PERSONAL = ("短信",)  # 手机短信条数 counts messages, not phones


def personal_header(label: object) -> str | None:
    """What personal data a header carries ("name", "national_id", "phone", "address"), or None.

    Known contract columns are never personal by header (their values are still scanned).
    """
    kind = personal_data_column(label)
    if kind:
        return kind
    if canonical_name(label)[0] is not None:
        return None
    text = unicodedata.normalize("NFKC", str(label)).lower()
    text = re.sub(r"[\s\-]+", "", text)
    if not text or any(part in text for part in _NOT_PERSONAL):
        return None
    if normalise_header(label)[0] in _ENGLISH_EXACT:
        return _ENGLISH_EXACT[normalise_header(label)[0]]
    for kind, parts in _HEADER_PARTS:
        if any(part in text for part in parts):
            return kind
    return None


def personal_columns(labels: Iterable[str]) -> dict[str, str]:
    """Headers (as written) that carry personal data, mapped to what they carry."""
    found = {}
    for label in labels:
        kind = personal_header(label)
        if kind:
            found[label] = kind
    return found


def personal_problems(found: dict[str, str], *, file: str, row: int | None, drop: bool) -> list[Problem]:
    """One problem per column named as personal: an error (refused) or, when dropped, a warning."""
    out = []
    for label, kind in found.items():
        what = _kind_text(kind)
        if drop:
            out.append(Problem(tr("p.dropped", what=what), file=file, row=row, column=label, severity="warning"))
        else:
            out.append(Problem(tr("p.refused", what=what), file=file, row=row, column=label,
                               expected=tr("p.expected")))
    return out


def value_problems(hits: dict[str, dict[str, int]], *, file: str, drop: bool) -> list[Problem]:
    """One problem per column whose values hold personal data: counts of hits, never the values."""
    out = []
    for label, counts in hits.items():
        what = tr("list.sep").join(tr("p.cell" if n == 1 else "p.cells", what=_kind_text(k), n=n)
                                   for k, n in counts.items())
        if drop:
            out.append(Problem(tr("p.dropped", what=what), file=file, column=label, severity="warning"))
        else:
            out.append(Problem(tr("p.refused", what=what), file=file, column=label, expected=tr("p.expected")))
    return out


# --- values -------------------------------------------------------------------------

_SEP = r"[ \-\u2010-\u2015\u2212]?"  # a space or dash people put inside long numbers
# Digits inside a longer number, or the fraction of a decimal (45123.13912345678, as programs write
# money), are not a phone or an ID.
_NOT_AFTER = r"(?<![0-9A-Za-z])(?<!\d\.)"
_NOT_BEFORE = r"(?![0-9A-Za-z])(?!\.\d)"
_ID18 = re.compile(_NOT_AFTER + r"[1-9]\d{5}" + "".join(_SEP + r"\d" for _ in range(11)) + _SEP
                   + r"[0-9Xx]" + _NOT_BEFORE)
_ID15 = re.compile(_NOT_AFTER + r"[1-9]\d{5}" + "".join(_SEP + r"\d" for _ in range(9)) + _NOT_BEFORE)
_MOBILE = re.compile(_NOT_AFTER + r"(?:\+?86[ \-]?)?1[3-9]\d" + "".join(_SEP + r"\d" for _ in range(8))
                     + _NOT_BEFORE)
_LANDLINE = re.compile(_NOT_AFTER + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ \-]?[2-9]\d{2,3}[ \-]?\d{4}"
                       + _NOT_BEFORE)
_SCIENTIFIC = re.compile(r"^\s*[1-9](?:\.\d+)?[eE]\+?(\d+)\s*$")
_STRIP = re.compile(r"[^0-9Xx]")
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = "10X98765432"


def _plausible_date(year: int, month: int, day: int) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def is_national_id(text: str) -> bool:
    """18 characters with a valid GB 11643 (ISO 7064 MOD 11-2) check digit and a real birth date,
    or 15 digits (the old form) with a real birth date in 19xx."""
    t = text.upper()
    if len(t) == 18 and t[:17].isdigit():
        total = int(np.dot(_WEIGHTS, [int(c) for c in t[:17]]))
        return _CHECK[total % 11] == t[17] and _plausible_date(int(t[6:10]), int(t[10:12]), int(t[12:14]))
    if len(t) == 15 and t.isdigit():
        return _plausible_date(1900 + int(t[6:8]), int(t[8:10]), int(t[10:12]))
    return False


def _number_kind(value: float) -> str | None:
    """A cell Excel holds as a number: an ID (its last digits lost beyond 15) or a phone."""
    if not np.isfinite(value) or value != int(value) or value < 1e9:
        return None
    digits = str(int(value))
    if len(digits) == 18:  # the check digit cannot be read back from a double: the birth date decides
        return "national_id" if _plausible_date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14])) else None
    return _text_kind(digits)


def _text_kind(text: str) -> str | None:
    """The first kind of personal number found in a text, or None."""
    t = unicodedata.normalize("NFKC", text)
    if len(t) < 9:
        return None
    sci = _SCIENTIFIC.match(t)
    if sci:  # how Excel shows (and CSV exports keep) a long number: 1.10101E+17
        return "national_id" if 14 <= int(sci.group(1)) <= 17 else None
    for m in _ID18.finditer(t):
        if is_national_id(_STRIP.sub("", m.group())):
            return "national_id"
    for m in _ID15.finditer(t):
        if is_national_id(_STRIP.sub("", m.group())):
            return "national_id"
    if _MOBILE.search(t) or _LANDLINE.search(t):
        return "phone"
    return None


def _cell_kind(value: object) -> str | None:
    if isinstance(value, str):
        return _text_kind(value)
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return _text_kind(str(int(value))) if abs(int(value)) >= 10**8 else None
    if isinstance(value, (float, np.floating)):
        return _number_kind(float(value))
    return None


def scan_values(values: Sequence[object]) -> dict[str, int]:
    """Cells holding a national ID or a phone number, counted by kind (each distinct value checked once)."""
    if len(values) == 0:
        return {}
    arr = values if isinstance(values, np.ndarray) and values.dtype != object else None
    if arr is not None and arr.dtype.kind in "biuMm":
        if arr.dtype.kind not in "iu" or not len(arr) or np.abs(arr).max() < 10**8:
            return {}
    if arr is None:  # an ASCII text under 9 characters cannot hold an ID or a phone (NFKC keeps its length)
        values = [v for v in values if not (isinstance(v, str) and len(v) < 9 and v.isascii())]
        if not values:
            return {}
    series = pd.Series(values, dtype=object)
    out: dict[str, int] = {}
    for value in pd.unique(series.to_numpy()):  # each distinct value once; counted only when it is a hit
        kind = _cell_kind(value)
        if kind:
            out[kind] = out.get(kind, 0) + int((series == value).sum())
    return out


def scan_columns(labels: Sequence[str], columns: Sequence[Sequence[object]], *, skip: Iterable[int] = ()
                 ) -> dict[str, dict[str, int]]:
    """Columns whose values hold personal numbers: header as written -> counts by kind."""
    skip = set(skip)
    found: dict[str, dict[str, int]] = {}
    for j, (label, values) in enumerate(zip(labels, columns)):
        if j in skip:
            continue
        hits = scan_values(values)
        if hits:
            found[label or f"column {j + 1}"] = hits
    return found


# --- pseudonyms ---------------------------------------------------------------------

def normalise_id(value: object) -> str | None:
    """The digits of an ID-like value (national ID, phone in any form, a number Excel made of an ID),
    or None when the value does not look like one."""
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if np.isfinite(value) and value == int(value) and value >= 1e9 else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value)) if int(value) >= 10**9 else None
    if not isinstance(value, str):
        return None
    t = unicodedata.normalize("NFKC", value).strip()
    sci = _SCIENTIFIC.match(t)
    if sci:
        return str(int(float(t))) if int(sci.group(1)) >= 9 else None
    if not re.fullmatch(r"[0-9Xx+()（）\s\-\u2010-\u2015\u2212]+", t):
        return None
    digits = _STRIP.sub("", t).upper()
    if "X" in digits[:-1] or len(digits) < 10:
        return None
    if len(digits) == 13 and digits.startswith("86") and digits[2] == "1":
        digits = digits[2:]  # +86 138 ... is the same mobile number as 138 ...
    return digits


_ID_CHARS = r"^[\s0-9Xx+()（）.eE\-\u2010-\u2015\u2212]+$"  # all an ID or phone can be written with


def looks_like_personal_id(values: Sequence[object]) -> np.ndarray:
    """Mask of values shaped like a national ID or a phone number, in any of the forms offices write."""
    s = pd.Series(list(values), dtype=object)
    text = s.where(s.map(type).eq(str))
    maybe = text.str.contains(_ID_CHARS, regex=True, na=False).to_numpy() | (s.notna() & text.isna()).to_numpy()
    out = np.zeros(len(s), dtype=bool)
    for i in np.flatnonzero(maybe):  # only cells made of digits and separators (or numbers) are looked at
        digits = normalise_id(s.iat[i])
        out[i] = digits is not None and (len(digits) in (15, 17, 18) or _cell_kind(digits) is not None)
    return out


def pseudonymise(values: Sequence[object], key: bytes) -> list[object]:
    """Keyed HMAC-SHA256 pseudonyms (``p`` + 20 hex digits); missing values stay missing.

    ID-like values are hashed in one normal form (digits only, ``X`` upper case, no
    +86), so ``138 1234 5678`` and ``+86-138-1234-5678`` get the same pseudonym.
    """
    out: list[object] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(v)
            continue
        text = normalise_id(v) or str(v).strip().upper()
        digest = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        out.append("p" + digest[:20])
    return out
