"""Cell values as offices write them: numbers, percentages, cycles, codes, dates, yes/no.

Every parser here takes the raw cells of one column (strings from a CSV, or the
str/float/date/bool cells of an Excel sheet) and returns the parsed values with a
status per cell, so the reader can report each doubtful cell by row and column.
Nothing here raises on bad cells and nothing here prints.

Exactness matters: the same figure written as ``123456`` yuan, ``12.3456`` 万元 or
the Excel double 12.3456 must give the same float, so scaled values (万元, %) go
through :class:`decimal.Decimal` on the shortest decimal text of the cell.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from recruitstats.schema import HALF_VALUES, PLACEHOLDERS, YES_NO_VALUES

__all__ = [
    "EMPTY", "OK", "APPROX", "PLACEHOLDER", "BAD", "AMBIGUOUS",
    "ParsedColumn", "nfkc", "is_placeholder", "unit_scale", "unit_is_percent",
    "parse_number", "parse_numbers", "parse_number_text", "parse_percent", "parse_cycle", "parse_halves",
    "parse_codes", "parse_dates", "parse_yes_no", "parse_categories", "cell_text", "is_missing",
]

# Status codes of a parsed cell.
EMPTY, OK, APPROX, PLACEHOLDER, BAD, AMBIGUOUS = 0, 1, 2, 3, 4, 5

_PLAIN = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_NUMBER_WORDS = re.compile(
    r"^(?P<pre>约|大约|近|将近|超过|逾|~|≈)?"
    r"(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)"
    r"(?P<mult>万|亿|千)?"
    r"(?P<post1>余|多|左右|以上|上下|\+)?"
    r"(?P<unit>元|人次|人|名|份|条|次|场次|场|幅|个|%)?"
    r"(?P<post2>余|多|左右|以上)?$"
)
_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "千": Decimal(1_000)}
_DASHES = re.compile(r"^[-—–―─~～_]+$")
_XS = re.compile(r"^[xX×*]+$")


@dataclass
class ParsedColumn:
    """Parsed cells of one column.

    values : parsed values (float64 array, or an object/datetime array for dates and text).
    status : one of EMPTY, OK, APPROX, PLACEHOLDER, BAD, AMBIGUOUS per cell.
    """

    values: np.ndarray
    status: np.ndarray

    def rows(self, code: int) -> np.ndarray:
        """Positions of the cells with this status."""
        return np.flatnonzero(self.status == code)


@functools.lru_cache(maxsize=1 << 16)
def nfkc(text: str) -> str:
    """NFKC-normalised text without surrounding or inner white space (１２ ３ -> 123)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@functools.lru_cache(maxsize=1 << 12)
def is_placeholder(text: str) -> bool:
    """True for the text offices write for a figure not yet known ("XX", "—", "/", "待定")."""
    t = nfkc(text).lower()
    return t in PLACEHOLDERS or bool(_DASHES.match(t)) or bool(_XS.match(t))


def unit_scale(unit: str) -> Decimal | None:
    """Multiplier a header unit implies for money (万元 -> 10000), or None when it is not money."""
    u = nfkc(unit).lower()
    if not u:
        return None
    if u.startswith(("万元", "万")) or u in {"10kyuan", "10,000yuan", "wanyuan", "tenthousandyuan"}:
        return Decimal(10_000)
    if u.startswith(("亿元", "亿")):
        return Decimal(100_000_000)
    if u.startswith(("千元", "千")) or u in {"1000yuan", "thousandyuan"}:
        return Decimal(1_000)
    if u.startswith("元") or u.startswith("yuan") or u in {"rmb", "cny"}:
        return Decimal(1)
    return None


def unit_is_percent(unit: str) -> bool:
    """True when a header's unit says the values are percentages (5.2 means 5.2%)."""
    return nfkc(unit) in {"%", "百分比", "percent", "pct"}


def is_missing(value: object) -> bool:
    """True for an empty cell: None, NaN, NaT, pd.NA or blank text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    if isinstance(value, str):
        return not value.strip()
    return False


def cell_text(value: object) -> str:
    """A cell as the text a user would see (Excel whole doubles without ``.0``)."""
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _decimal_of(value: object) -> Decimal | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else Decimal(repr(float(value)))
    return None


def parse_number(value: object) -> tuple[Decimal | None, int, bool]:
    """Parse one cell: (decimal value, status, had a percent sign).

    Accepts plain and full-width digits, thousands separators, ``12万`` (x 10,000),
    ``约120`` / ``12万余`` (approximate), ``5.2%`` / ``5.2％``, a trailing unit word
    (人, 元, 份 ...). Placeholders give PLACEHOLDER; anything else BAD.
    """
    if is_missing(value):
        return None, EMPTY, False
    if isinstance(value, (bool, np.bool_, _dt.date, _dt.time, _dt.timedelta)):
        return None, BAD, False
    if isinstance(value, (int, float, np.integer, np.floating)):
        dec = _decimal_of(value)
        return dec, (EMPTY if dec is None else OK), False
    text = nfkc(str(value))
    if not text:
        return None, EMPTY, False
    if is_placeholder(text):
        return None, PLACEHOLDER, False
    m = _NUMBER_WORDS.match(text)
    if not m:
        return None, BAD, False
    try:
        dec = Decimal(m["num"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return None, BAD, False
    if m["mult"]:
        dec *= _MULTIPLIERS[m["mult"]]
    approx = bool(m["pre"] or m["post1"] or m["post2"])
    return dec, (APPROX if approx else OK), m["unit"] == "%"


def _split_cells(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Masks of (numeric cells, text cells, other cells) of an object column."""
    types = values.map(type)
    numeric = types.isin([float, int, np.float64, np.int64])
    text = types.isin([str, np.str_])
    return numeric, text, ~(numeric | text | values.isna())


def _numeric_cells(s: pd.Series, idx: np.ndarray, out: np.ndarray, status: np.ndarray,
                   scale: Decimal | None) -> None:
    vals = s.iloc[idx].astype(float).to_numpy()
    good = ~np.isnan(vals)
    if scale is not None and scale != 1:  # exact: through the shortest decimal of the double
        vals = np.array([float(Decimal(repr(float(v))) * scale) if g else np.nan for v, g in zip(vals, good)],
                        dtype=float)
    out[idx] = vals
    status[idx[good]] = OK


def _text_cells(s: pd.Series, idx: np.ndarray, out: np.ndarray, status: np.ndarray, percent: np.ndarray,
                scale: Decimal | None) -> None:
    # plain ASCII numbers (most cells of most files) in one pass before the NFKC/regex path
    raw = s.iloc[idx].astype(str)
    quick = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    plain = np.isfinite(quick) & ~raw.str.contains(r"[^0-9.\-]", regex=True).to_numpy(dtype=bool)
    if plain.any():
        p_idx = idx[plain]
        out[p_idx] = ([float(Decimal(x) * scale) for x in raw[plain]] if scale is not None and scale != 1
                      else quick[plain])
        status[p_idx] = OK
        idx = idx[~plain]
        if not len(idx):
            return
    t = s.iloc[idx].astype(str).str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    thousands = t.str.fullmatch(_THOUSANDS)
    t = t.where(~thousands, t.str.replace(",", "", regex=False))
    fast = (t.str.fullmatch(_PLAIN) | thousands).to_numpy()
    empty = (t == "").to_numpy()
    f_idx = idx[fast]
    if len(f_idx):
        if scale is not None and scale != 1:
            out[f_idx] = [float(Decimal(x) * scale) for x in t[fast]]
        else:
            out[f_idx] = pd.to_numeric(t[fast], errors="coerce").to_numpy(dtype=float)
        status[f_idx] = OK
    cache: dict[str, tuple[Decimal | None, int, bool]] = {}
    slow = ~fast & ~empty
    for pos, raw in zip(idx[slow], t[slow]):
        if raw not in cache:
            cache[raw] = parse_number(raw)
        dec, code, pct = cache[raw]
        status[pos] = code
        percent[pos] = pct
        if dec is not None:
            out[pos] = float(dec * scale) if scale is not None else float(dec)


def parse_numbers(values: pd.Series | list, *, scale: Decimal | None = None) -> tuple[ParsedColumn, np.ndarray]:
    """Parse a column of number cells; return the parsed column and a percent-sign mask.

    ``scale`` multiplies every value (10000 for a 万元 header) exactly.
    Plain cells take a vectorised fast path; the rest are parsed one by one.
    """
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    out = np.full(len(s), np.nan)
    status = np.zeros(len(s), dtype=np.int8)
    percent = np.zeros(len(s), dtype=bool)
    numeric, text, other = _split_cells(s)
    status[other.to_numpy()] = BAD
    num_idx = np.flatnonzero(numeric.to_numpy())
    if len(num_idx):
        _numeric_cells(s, num_idx, out, status, scale)
    txt_idx = np.flatnonzero(text.to_numpy())
    if len(txt_idx):
        _text_cells(s, txt_idx, out, status, percent, scale)
    return ParsedColumn(out, status), percent


_INTEGER_LIMIT = 2**53  # integers a double holds exactly
#: A plain ASCII number as the per-cell fast path takes it (digits, one sign, one point), or nothing.
ASCII_NUMBER = r"^(-?[0-9]+(\.[0-9]+)?)?$"


def parse_number_text(text, *, shape: str, scale: Decimal | None = None, empty: np.ndarray | None = None
                      ) -> tuple[ParsedColumn, np.ndarray] | None:
    """The fast path of :func:`parse_numbers` for a pyarrow string column read from a CSV.

    ``shape`` is "whole" when every cell is empty or ASCII digits, "plain" when every cell
    is empty or matches :data:`ASCII_NUMBER` (``123``, ``-4.5``). Returns what
    :func:`parse_numbers` returns on the same cells, or None when a whole number needs
    more than 53 bits (the caller parses the cells one by one). Whole numbers are cast in
    C; decimals go through the same pandas conversion the per-cell path uses, and scaled
    values (万元) through Decimal.
    """
    import pyarrow.compute as pc

    if empty is None:
        empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    filled_mask = ~empty
    filled = pc.filter(text, filled_mask) if empty.any() else text
    if shape == "whole":
        values = _whole_numbers(filled, scale)
    else:
        values = _decimals(filled.to_numpy(zero_copy_only=False), scale)
    if values is None:
        return None
    if not empty.any():
        return ParsedColumn(values, np.full(len(values), OK, dtype=np.int8)), np.zeros(len(values), dtype=bool)
    out = np.full(len(text), np.nan)
    out[filled_mask] = values
    return ParsedColumn(out, np.where(filled_mask, OK, EMPTY).astype(np.int8)), np.zeros(len(text), dtype=bool)




def _whole_numbers(filled, scale: Decimal | None) -> np.ndarray | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        ints = pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, OverflowError):  # more digits than int64 holds
        return None
    top = int(ints.max()) if len(ints) else 0
    factor = Decimal(1) if scale is None else scale
    if factor != factor.to_integral_value() or top * int(factor) >= _INTEGER_LIMIT:
        return None if top >= _INTEGER_LIMIT else _scaled([str(v) for v in ints.tolist()], factor)
    return ints.astype(float) * float(factor)  # exact: whole numbers below 2**53


def _decimals(strings: np.ndarray, scale: Decimal | None) -> np.ndarray:
    if scale is not None and scale != 1:
        return _scaled(strings, scale)
    return np.array(pd.to_numeric(pd.Series(strings, dtype=object)), dtype=float)


def _scaled(strings, scale: Decimal) -> np.ndarray:
    return np.array([float(Decimal(x) * scale) for x in strings], dtype=float)


def parse_percent(values: pd.Series | list, *, header_percent: bool = False) -> ParsedColumn:
    """Parse a percent column to fractions: 0.052, 5.2, "5.2%", "5.2％" -> 0.052.

    A cell with a percent sign, or any cell when the header's unit is %, is
    divided by 100. Otherwise the column decides: all values <= 1 are fractions,
    all values > 1 are percentages; a column mixing both leaves the cells <= 1
    (other than 0) AMBIGUOUS rather than guess.
    """
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    decs: list[Decimal | None] = []
    status = np.zeros(len(s), dtype=np.int8)
    signs = np.zeros(len(s), dtype=bool)
    cache: dict[tuple, tuple[Decimal | None, int, bool]] = {}
    for i, v in enumerate(s):
        key = (type(v), v)
        if key not in cache:
            cache[key] = parse_number(v)
        dec, code, pct = cache[key]
        decs.append(dec)
        status[i] = code
        signs[i] = pct
    usable = np.array([d is not None for d in decs], dtype=bool) & ~signs
    plain = np.array([float(d) if d is not None else np.nan for d in decs], dtype=float)
    above = usable & (plain > 1)
    at_most = usable & (plain <= 1) & (plain != 0)
    if header_percent or (above.any() and not at_most.any()):
        points = usable.copy()
    else:
        points = np.zeros(len(s), dtype=bool)
        if above.any():  # mixed: refuse to guess the small ones
            status[at_most] = AMBIGUOUS
            points = above
    out = np.full(len(s), np.nan)
    for i, dec in enumerate(decs):
        if dec is None or status[i] == AMBIGUOUS:
            continue
        out[i] = float(dec / 100) if (signs[i] or points[i]) else float(dec)
    return ParsedColumn(out, status)


_CYCLE = re.compile(
    r"^(?P<year>(?:19|20)\d{2})(?:年度?|[-/.]|\s)?(?P<half>上半年|下半年|春季|秋季|春|秋|上|下|h1|h2|[12])?(?:征兵|征集|批次|批)?$",
    re.IGNORECASE,
)


def parse_cycle(value: object) -> tuple[int | None, int | None]:
    """Year and half of a cycle cell: ``2021年上半年``, ``2021H1``, ``2021春季``, ``上半年``, ``2``.

    Returns (year or None, half or None); (None, None) when the cell is not a cycle.
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        if np.isnan(value) or not float(value).is_integer():
            return None, None
        value = str(int(value))
    text = nfkc(str(value)).lower()
    if re.fullmatch(r"\d+\.0+", text):  # 2.0, 2021.0 as pandas writes a float column
        text = text.split(".")[0]
    if text in HALF_VALUES:
        return None, HALF_VALUES[text]
    m = _CYCLE.match(text)
    if not m:
        return None, None
    half = HALF_VALUES.get(m["half"].lower()) if m["half"] else None
    return int(m["year"]), half


def parse_halves(values: pd.Series | list) -> tuple[ParsedColumn, np.ndarray]:
    """Parse a half (or combined cycle) column: (halves as float, years found in the cells)."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    halves = np.full(len(s), np.nan)
    years = np.full(len(s), np.nan)
    status = np.zeros(len(s), dtype=np.int8)
    cache: dict[object, tuple[int | None, int | None]] = {}
    for i, v in enumerate(s):
        if is_missing(v) or (isinstance(v, str) and not nfkc(v)):
            continue
        if isinstance(v, str) and is_placeholder(v):
            status[i] = PLACEHOLDER
            continue
        key = (type(v), v)
        if key not in cache:
            cache[key] = parse_cycle(v)
        year, half = cache[key]
        if year is None and half is None:
            status[i] = BAD
            continue
        status[i] = OK
        years[i] = np.nan if year is None else year
        halves[i] = np.nan if half is None else half
    return ParsedColumn(halves, status), years


def parse_codes(values: pd.Series | list) -> ParsedColumn:
    """Administrative codes as text: 110101.0 -> "110101", "０１２３４５" -> "012345"; BAD unless all digits."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    out = np.empty(len(s), dtype=object)
    out[:] = np.nan
    status = np.zeros(len(s), dtype=np.int8)
    for i, v in enumerate(s):
        if type(v) is str and v.isdigit() and v.isascii():
            out[i], status[i] = v, OK
            continue
        if isinstance(v, (float, np.floating)) and not np.isnan(v) and float(v).is_integer():
            text = str(int(v))
        elif isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            text = str(int(v))
        else:
            text = cell_text(v)
            text = nfkc(text)
            if text.endswith(".0") and text[:-2].isdigit():
                text = text[:-2]
        if not text:
            continue
        if is_placeholder(text):
            status[i] = PLACEHOLDER
        elif text.isascii() and text.isdigit():
            out[i], status[i] = text, OK
        else:
            status[i] = BAD
    return ParsedColumn(out, status)


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d%H:%M:%S",
                 "%Y/%m/%d%H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


def _one_date(v: object) -> _dt.datetime | None:
    if isinstance(v, _dt.datetime):
        return v
    if isinstance(v, _dt.date):
        return _dt.datetime(v.year, v.month, v.day)
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
        if 1 <= float(v) < 2_958_466:  # an Excel serial day number
            return _EXCEL_EPOCH + _dt.timedelta(days=float(v))
        return None
    text = nfkc(str(v))
    if re.fullmatch(r"\d{4,5}(\.\d+)?", text):
        return _one_date(float(text))
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_dates(values: pd.Series | list) -> ParsedColumn:
    """Dates as written: 2021-03-01, 2021/3/1, 2021年3月1日, 20210301, Excel serial numbers, Excel dates."""
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    out = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    status = np.zeros(len(s), dtype=np.int8)
    cache: dict[tuple, _dt.datetime | None] = {}
    for i, v in enumerate(s):
        if is_missing(v) or (isinstance(v, str) and not nfkc(v)):
            continue
        if isinstance(v, str) and is_placeholder(v):
            status[i] = PLACEHOLDER
            continue
        key = (type(v), v)
        if key not in cache:
            cache[key] = _one_date(v)
        d = cache[key]
        if d is None:
            status[i] = BAD
        else:
            out[i], status[i] = np.datetime64(d, "ns"), OK
    return ParsedColumn(out, status)


def _vocabulary(values: pd.Series | list, mapping: dict[str, object]) -> ParsedColumn:
    s = pd.Series(values, dtype=object).reset_index(drop=True)
    out = np.empty(len(s), dtype=object)
    out[:] = None
    status = np.zeros(len(s), dtype=np.int8)
    for i, v in enumerate(s):
        text = nfkc(v).lower() if isinstance(v, str) else nfkc(cell_text(v)).lower()
        if not text:
            continue
        if text in mapping:
            out[i], status[i] = mapping[text], OK
        elif is_placeholder(text):
            status[i] = PLACEHOLDER
        else:
            status[i] = BAD
    return ParsedColumn(out, status)


def parse_yes_no(values: pd.Series | list) -> ParsedColumn:
    """是/否, yes/no, 1/0, TRUE/FALSE -> True/False (None when empty)."""
    mapping: dict[str, object] = dict(YES_NO_VALUES)
    return _vocabulary([("true" if v else "false") if isinstance(v, (bool, np.bool_)) else v
                        for v in values], mapping)


def parse_categories(values: pd.Series | list, mapping: dict[str, str]) -> ParsedColumn:
    """Map category cells with a vocabulary (keys compared NFKC-normalised and lower-case)."""
    norm = {nfkc(k).lower(): v for k, v in mapping.items()}
    return _vocabulary(values, norm)
