"""A small corpus of SYNTHETIC personal data hidden in office files, for the personal-data tests.

Every name, ID number, phone number and address here is made up by this module
(seeded generator): the ID numbers carry valid GB 11643 check digits and real
birth dates so that they look exactly like real ones to the scanner, but they
belong to nobody. They are put where offices put them: free-text remarks
(备注, 情况说明), oddly named columns (联系人, 应征青年姓名, 家长手机, 现住址,
户籍所在地, an unnamed or English-named column), numbers Excel stored as floats,
and recruit ids written as old 15-digit IDs, spaced IDs or phone numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

LABEL = "SYNTHETIC personal data (模拟个人信息) for tests, belongs to nobody"
_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_AREAS = ["110101", "320102", "440305", "510104", "420106", "610113"]
_SURNAMES = "赵钱孙李周吴郑王冯陈"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "杰", "娟"]


def check_digit(body17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, _WEIGHTS)) % 11]


def national_id(rng: np.random.Generator) -> str:
    """A synthetic 18-digit ID with a valid check digit and a real birth date."""
    born = dt.date(1995, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3650)))
    body = f"{_AREAS[int(rng.integers(len(_AREAS)))]}{born:%Y%m%d}{int(rng.integers(0, 1000)):03d}"
    return body + check_digit(body)


def old_id(rng: np.random.Generator) -> str:
    """A synthetic 15-digit (pre-1999) ID: area, YYMMDD, sequence."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=int(rng.integers(0, 9000)))
    return f"{_AREAS[int(rng.integers(len(_AREAS)))]}{born:%y%m%d}{int(rng.integers(0, 1000)):03d}"


def mobile(rng: np.random.Generator) -> str:
    return f"1{int(rng.integers(3, 10))}{int(rng.integers(0, 10**9)):09d}"


def landline(rng: np.random.Generator) -> str:
    return f"0{int(rng.integers(10, 99))}-{int(rng.integers(2, 10))}{int(rng.integers(0, 10**7)):07d}"


def name(rng: np.random.Generator) -> str:
    return _SURNAMES[int(rng.integers(10))] + _GIVEN[int(rng.integers(10))] + _GIVEN[int(rng.integers(10))]


def spaced(idn: str) -> str:
    return f"{idn[:6]} {idn[6:14]} {idn[14:]}"


def dashed_mobile(m: str) -> str:
    return f"+86-{m[:3]}-{m[3:7]}-{m[7:]}"


class Corpus:
    """Synthetic personal values, remembered so a test can grep every output for them."""

    def __init__(self, seed: int = 20261201) -> None:
        self.rng = np.random.default_rng(seed)
        self.values: list[str] = []

    def keep(self, *values: str) -> str:
        self.values += list(values)
        return values[0]

    def digits_forms(self) -> list[str]:
        """Each remembered number also as bare digits (what a copy might hold after normalising)."""
        out = set(self.values)
        for v in self.values:
            d = "".join(c for c in v if c.isdigit() or c in "Xx")
            if len(d) >= 10:
                out.add(d[2:] if d.startswith("86") and len(d) == 13 else d)
        return sorted(out)


def panel_with_free_text(path: Path, corpus: Corpus) -> Path:
    """A panel whose remarks and oddly named columns hide IDs, phones, names and addresses."""
    rng = corpus.rng
    head = ["区县", "年度", "征集批次", "应征报名人数", "备注", "情况说明", "联系人", "col7", "现住址"]
    rows = []
    for i in range(6):
        idn = corpus.keep(national_id(rng))
        phone = corpus.keep(mobile(rng))
        who = corpus.keep(name(rng))
        remark = f"核查对象身份证{spaced(idn) if i % 2 else idn}，已走访" if i < 3 else ""
        note = f"联系家长 {dashed_mobile(phone)}" if i in (1, 4) else ("座机 " + corpus.keep(landline(rng)) if i == 5 else "")
        col7 = corpus.keep(old_id(rng)) if i == 2 else ""
        addr = corpus.keep(f"某市某区幸福路{int(rng.integers(1, 99))}号") if i == 0 else ""
        rows.append([f"第{i + 1}区", "2021", "1", str(100 + i), remark, note, who if i == 3 else "", col7, addr])
    text = "\r\n".join(",".join(r) for r in [head] + rows) + "\r\n"
    path.write_text(f"{LABEL}\r\n" + text, encoding="utf-8")
    return path


def recruits_with_odd_columns(path: Path, corpus: Corpus) -> Path:
    """Recruit records: ids as 15-digit, spaced and phone forms; personal data under odd headers."""
    rng = corpus.rng
    head = ["新兵编号", "区县", "年度", "征集批次", "入伍日期", "应征青年姓名", "家长手机", "户籍所在地", "其他"]
    ids = [corpus.keep(old_id(rng)), spaced(corpus.keep(national_id(rng))), corpus.keep(mobile(rng)),
           dashed_mobile(corpus.keep(mobile(rng)))]
    rows = []
    for i, rid in enumerate(ids):
        other = f"电话{corpus.keep(mobile(rng))}" if i == 0 else ""
        rows.append([rid, "第1区", "2021", "1", "2021-03-01", corpus.keep(name(rng)), corpus.keep(mobile(rng)),
                     corpus.keep(f"某省某县和平街{i + 1}号"), other])
    text = "\r\n".join(",".join(r) for r in [head] + rows) + "\r\n"
    path.write_text(text, encoding="utf-8")
    return path


def workbook_with_numeric_id(path: Path, corpus: Corpus) -> Path:
    """An .xlsx whose 'remarks' column holds an ID typed as a number (Excel keeps 1.1e17)."""
    from openpyxl import Workbook

    idn = national_id(corpus.rng)
    while idn.endswith("X"):  # only an all-digit ID can be typed as a number
        idn = national_id(corpus.rng)
    corpus.keep(idn, idn[:15])  # Excel keeps only the first 15 digits

    wb = Workbook()
    ws = wb.active
    ws.append(["区县", "年度", "征集批次", "应征报名人数", "编码"])
    ws.append(["第7区", 2021, 1, 120, float(idn)])
    ws.append(["第8区", 2021, 1, 130, None])
    wb.save(path)
    return path
