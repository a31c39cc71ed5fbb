"""Generator of the messy and bad files the io tests read (written into temporary folders only).

Each writer takes a canonical panel and writes it the way some office might:
English CSV, Chinese-header GBK CSV with 万元 and ％, an Excel sheet with a title
row, merged group headers, a combined cycle column and a 合计 row. Values are
written as exact decimal text, so a correct reader recovers the same floats.
Nothing here uses the package's readers: only the contract (schema) for names.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from recruitstats.schema import PANEL, PANEL_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SAMPLE_PANEL = REPO / "data" / "sample" / "panel.csv"

RARE_DISTRICT = "䶮城区"  # 䶮 is in GB18030 but not in GBK
FULLWIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


def small_panel(seed: int = 3) -> pd.DataFrame:
    """A small canonical panel (4 districts, 2019H2-2021H1) built here, independent of the package."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(4):
        for year, half in ((2019, 2), (2020, 1), (2020, 2), (2021, 1)):
            eligible = int(rng.integers(2000, 9000))
            applicants = int(eligible * rng.uniform(0.1, 0.4))
            enlisted = int(applicants * rng.uniform(0.1, 0.3))
            college = int(enlisted * rng.uniform(0.3, 0.7))
            rows.append({
                "province": "某省", "city": "某市", "district": f"第{d + 1}区", "district_code": f"3201{d + 1:02d}",
                "year": year, "half": half, "eligible_youth": eligible, "quota": max(1, enlisted - 2),
                "applicants": applicants, "enlisted": enlisted, "enlisted_college": college,
                "enlisted_graduates": college // 2, "returned": int(rng.integers(0, 3)),
                "publicity_spend": round(float(rng.uniform(10_000, 90_000)), 2),
                "family_allowance": float(rng.integers(15_000, 25_000)),
                "door_visits": int(rng.integers(100, 900)), "avg_wage": float(rng.integers(60_000, 90_000)),
                "unemployment_rate": round(float(rng.uniform(0.03, 0.07)), 3),
            })
    df = pd.DataFrame(rows)
    for col in df.columns:
        if PANEL[col].kind in ("count", "money", "percent"):
            df[col] = df[col].astype(float)
    return df


def base_panel() -> pd.DataFrame:
    """The sample panel (data/sample/panel.csv) if it exists, else :func:`small_panel`.

    Read with plain pandas (not the package), codes as text.
    """
    if SAMPLE_PANEL.exists():
        df = pd.read_csv(SAMPLE_PANEL, dtype={"district_code": str}, encoding="utf-8-sig")
        for col in df.columns:
            if col in PANEL and PANEL[col].kind in ("count", "money", "percent"):
                df[col] = df[col].astype(float)
        return df
    return small_panel()


def dec(x: float) -> Decimal:
    """The shortest decimal of a float (what a person would type)."""
    return Decimal(repr(float(x)))


def plain(x: object) -> str:
    """A value as an office would type it: whole numbers without '.0', missing as empty."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    if isinstance(x, (float, np.floating)):
        d = dec(x)
        return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")
    return str(x)


def _wan(x: float) -> str:
    if np.isnan(x):
        return ""
    return format((dec(x) / 10_000).normalize(), "f")


def _pct(x: float, sign: str = "％") -> str:
    if np.isnan(x):
        return ""
    return format((dec(x) * 100).normalize(), "f") + sign


def _thousands(x: float) -> str:
    return "" if np.isnan(x) else f"{int(x):,}" if float(x).is_integer() else plain(x)


def write_english_csv(df: pd.DataFrame, path: Path) -> Path:
    """Canonical headers, UTF-8, plain values."""
    text = ",".join(df.columns) + "\n"
    for row in df.itertuples(index=False):
        text += ",".join(_quote(plain(v)) for v in row) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _quote(s: str) -> str:
    return f'"{s}"' if ("," in s or '"' in s) else s


def _zh_header(name: str) -> str:
    if name not in PANEL:
        return name
    col = PANEL[name]
    if col.kind == "money":
        return f"{col.label_zh}（万元）"
    if col.kind == "count":
        return f"{col.label_zh}(人)" if col.unit == "persons" else col.label_zh
    return col.label_zh


def _zh_cell(name: str, value: object, i: int) -> str:
    if name not in PANEL or (isinstance(value, float) and np.isnan(value)):
        return plain(value)
    kind = PANEL[name].kind
    if kind == "money":
        return _wan(value)  # type: ignore[arg-type]
    if kind == "percent":
        return _pct(value, "％" if i % 2 else "%")  # type: ignore[arg-type]
    if kind == "half":
        return "上半年" if int(value) == 1 else "下半年"  # type: ignore[call-overload]
    if kind == "integer":
        return f"{int(value)}年"  # type: ignore[call-overload]
    if kind == "count":
        text = _thousands(value)  # type: ignore[arg-type]
        return text.translate(FULLWIDTH) if i % 3 == 0 else text
    return plain(value)


def write_chinese_csv(df: pd.DataFrame, path: Path, *, encoding: str = "gbk") -> Path:
    """Chinese headers, money in 万元, percentages with ％/%, 上半年/下半年, thousands separators,
    full-width digits in every third row; GBK (GB18030 if a name needs it)."""
    lines = [",".join(_zh_header(c) for c in df.columns)]
    for i, row in enumerate(df.itertuples(index=False)):
        lines.append(",".join(_quote(_zh_cell(c, v, i)) for c, v in zip(df.columns, row)))
    text = "\r\n".join(lines) + "\r\n"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode("gb18030"))
    return path


def write_messy_excel(df: pd.DataFrame, path: Path) -> Path:
    """Title row, merged group row, Chinese headers, a combined cycle column (2021年上半年),
    money in 万元 as numbers, codes as numbers, a 合计 row and a note row."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "征兵统计"
    cols = [c for c in df.columns if c not in ("year", "half")]
    at = cols.index("district") + 1 if "district" in cols else 0
    cols.insert(at, "__cycle__")
    ws.append(["某市征兵工作情况统计表（2016—2025年）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(cols))
    group = ["基本情况"] + [""] * (at) + ["兵员征集"] + [""] * (len(cols) - at - 2)
    ws.append(group[: len(cols)])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=at + 1)
    ws.merge_cells(start_row=2, start_column=at + 2, end_row=2, end_column=len(cols))
    ws.append(["征集周期" if c == "__cycle__" else _zh_header(c) for c in cols])
    for i, row in enumerate(df.to_dict("records")):
        out = []
        for c in cols:
            if c == "__cycle__":
                out.append(f"{int(row['year'])}年{'上半年' if int(row['half']) == 1 else '下半年'}")
                continue
            v = row[c]
            if isinstance(v, float) and np.isnan(v):
                out.append(None)
            elif c in PANEL and PANEL[c].kind == "money":
                out.append(float(dec(v) / 10_000))
            elif c == "district_code" and str(v).isdigit() and not str(v).startswith("0"):
                out.append(float(v))  # as Excel holds a code typed as a number: 110101.0
            elif c in PANEL and PANEL[c].kind == "count" and i % 4 == 1:
                out.append(plain(v).translate(FULLWIDTH))  # full-width digits typed as text
            elif c in PANEL and PANEL[c].kind == "percent":
                out.append(_pct(v))
            else:
                out.append(v)
        ws.append(out)
    total = ["合计"] + [None] * (len(cols) - 1)
    ws.append(total)
    ws.append(["注：本表由区县人武部填报"])
    wb.save(path)
    return path


# --- bad and special files -------------------------------------------------------

def write_rare_character_csv(path: Path) -> Path:
    """A Chinese CSV in GB18030 whose district name has 䶮 (not encodable in GBK)."""
    text = "区县,年度,征集批次,应征报名人数\r\n" + f"{RARE_DISTRICT},2021,上半年,120\r\n某区,2021,下半年,80\r\n"
    path.write_bytes(text.encode("gb18030"))
    return path


#: rule id -> (column broken, header as written, value written)
RULE_BREAKS: dict[str, tuple[str, str, str]] = {
    "count_whole_nonnegative": ("returned", "退兵人数", "-1"),
    "unique_key": ("district", "区县", "第1区"),
    "applicants_le_eligible": ("applicants", "应征报名人数", "999999"),
    "enlisted_le_applicants": ("enlisted", "批准入伍人数", "500"),
    "returned_le_enlisted": ("returned", "退兵人数", "180"),
    "graduates_le_college": ("enlisted_graduates", "大学毕业生新兵数", "70"),
    "college_le_enlisted": ("enlisted_college", "大学生新兵数", "150"),
    "half_1_or_2": ("half", "征集批次", "3"),
    "money_nonnegative": ("publicity_spend", "宣传经费（元）", "-100"),
    "required_present": ("district", "区县", ""),
}
RULE_HEADERS = ["区县", "年度", "征集批次", "适龄青年数", "应征报名人数", "批准入伍人数", "大学生新兵数",
                "大学毕业生新兵数", "退兵人数", "宣传经费（元）"]
RULE_ROW = 5  # the spreadsheet row broken: title row 1, header row 2, data from row 3


def write_rule_break(path: Path, rule: str | None) -> Path:
    """A valid 4-row Chinese panel under a title row, with one cell breaking ``rule`` in row 5
    (``rule=None``: the valid panel)."""
    rows = [[f"第{d}区", "2021", "上半年", "1000", "300", "100", "60", "30", "2", "50000"] for d in range(1, 5)]
    if rule is not None:
        column, header, value = RULE_BREAKS[rule]
        j = RULE_HEADERS.index(header)
        rows[RULE_ROW - 3][j] = value
    text = "2021年征兵统计\r\n" + ",".join(RULE_HEADERS) + "\r\n" + "\r\n".join(",".join(r) for r in rows) + "\r\n"
    path.write_bytes(text.encode("gbk"))
    return path


#: Personal values the privacy tests look for in every output.
PERSONAL_VALUES = {
    "names": ["张伟", "王芳", "李娜"],
    # synthetic ID-shaped test values (made up, not real people)
    "ids": ["110101200301011234", "32010220040315123X", "440305200212315678"],
    "phones": ["13812345678", "13987654321", "15011112222"],
    "addresses": ["某市某区幸福路12号", "某县某镇和平街3号", "某区光明里5号"],
}


def write_personal_recruits(path: Path, *, ids_as_recruit_id: bool = True) -> Path:
    """Recruit records carrying names, national IDs (also as the recruit id), phones and addresses."""
    pv = PERSONAL_VALUES
    head = "新兵编号,姓名,身份证号,联系电话,家庭住址,区县,年度,征集批次,性别,文化程度,入伍日期,退兵日期,退兵原因\r\n"
    lines = []
    for i in range(3):
        rid = pv["ids"][i] if ids_as_recruit_id else f"R{i:04d}"
        lines.append(f"{rid},{pv['names'][i]},{pv['ids'][i]},{pv['phones'][i]},{pv['addresses'][i]},"
                     f"第1区,2021,上半年,男,高中,2021年3月1日,{'2021/4/15' if i == 0 else ''},{'身体' if i == 0 else ''}")
    path.write_text(head + "\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


def write_bad_files(folder: Path) -> dict[str, Path]:
    """Files no reader can use: empty, binary garbage, garbage named .xlsx, wrong extension, a folder."""
    rng = np.random.default_rng(0)
    files = {
        "empty": folder / "empty.csv",
        "garbage_csv": folder / "garbage.csv",
        "garbage_xlsx": folder / "garbage.xlsx",
        "wrong_extension": folder / "panel.docx",
        "folder": folder / "a_folder.csv",
        "missing": folder / "missing.csv",
        "no_header": folder / "no_header.csv",
    }
    files["empty"].write_bytes(b"")
    files["garbage_csv"].write_bytes(rng.bytes(4096))
    files["garbage_xlsx"].write_bytes(b"PK\x03\x04" + rng.bytes(4096))
    files["wrong_extension"].write_bytes(b"district,year,half\n")
    files["folder"].mkdir()
    files["no_header"].write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    return files


def canonical_zh_headers() -> list[str]:
    """Chinese labels of every panel column (for tests of header mapping)."""
    return [c.label_zh for c in PANEL_COLUMNS]


# --- headers as offices write them (issue #11) ------------------------------------

#: canonical column -> a header as some office writes it (suffixes, units, spaces, variants).
EVERYDAY_HEADERS: dict[str, str] = {
    "province": "省份", "city": " 地市 ", "district": "区县", "district_code": "行政区划代码",
    "year": "年度", "half": "征集批次（上半年/下半年）", "eligible_youth": "适龄青年人数",
    "quota": "征集任务数（人）", "applicants": "报名人数合计", "enlisted": "批准入伍人数(人)",
    "enlisted_college": "大学生新兵人数", "enlisted_graduates": "大学毕业生新兵总数", "returned": "退兵总数",
    "publicity_spend": "宣传经费(万元)", "family_allowance": "义务兵家庭优待金（元/年）", "door_visits": "入户走访次数",
    "avg_wage": "城镇单位在岗职工平均工资 （元）", "unemployment_rate": "城镇调查失业率（％）",
}
#: further everyday headers, each with the column it must map to
MORE_EVERYDAY_HEADERS: dict[str, str] = {
    "应征报名总数": "applicants", "走访人次": "door_visits", "适龄青年数 (人)": "eligible_youth",
    "宣传经费（万元）": "publicity_spend", "入户动员人次": "door_visits", "上站体检人数（人）": "medical_examined",
    "Eligible Youth": "eligible_youth", "退兵人数合计": "returned", "双合格人数": "political_passed",
}
#: headers near a known column that must NOT be read as it, and the column to suggest
NEAR_MISSES: dict[str, str] = {"适龄青年总人口": "eligible_youth", "报名人数（男）": "applicants",
                               "入户走访户数": "door_visits"}


def write_everyday_headers_csv(df: pd.DataFrame, path: Path) -> Path:
    """The panel with EVERYDAY_HEADERS, money in 万元 where the header says so, halves as 上半年/下半年."""
    cols = [c for c in df.columns if c in EVERYDAY_HEADERS]
    lines = [",".join(EVERYDAY_HEADERS[c] for c in cols)]
    for row in df[cols].itertuples(index=False):
        cells = []
        for name, value in zip(cols, row):
            if name == "publicity_spend":
                cells.append(_wan(value))
            elif name == "half":
                cells.append("上半年" if int(value) == 1 else "下半年")
            elif name == "unemployment_rate":
                cells.append(_pct(value, "％"))
            else:
                cells.append(_quote(plain(value)))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


#: The signature rows an office puts under its table (the phone is a made-up number of the mobile form).
FOOTER_PHONE = "13800138000"
FOOTER_ROWS: tuple[tuple[str, ...], ...] = (
    ("填表人：张三", "", "审核人：李四", "", f"联系电话：{FOOTER_PHONE}"),
    ("填报日期：2025年1月5日", "", "制表人：王五"),
)


def write_footer_panel(df: pd.DataFrame, path: Path, *, footer=FOOTER_ROWS, gap: int = 1) -> Path:
    """A Chinese-header panel (Excel or CSV by the suffix) with signature rows after the data.

    The first footer cell sits in the first column (区县), the others spread over the year
    and half columns, as an office's form has them.
    """
    names = [n for n in ("district", "year", "half", "eligible_youth", "applicants", "enlisted")
             if n in df.columns]
    header = [PANEL[n].label_zh for n in names]
    body = [[plain(v) for v in row] for row in df[names].itertuples(index=False)]
    tail = [[""] * len(names) for _ in range(gap)]
    tail += [list(cells) + [""] * (len(names) - len(cells)) for cells in footer]
    rows = [["2021年征兵工作统计表"] + [""] * (len(names) - 1), header, *body, *tail]
    if path.suffix == ".xlsx":
        pd.DataFrame(rows).to_excel(path, header=False, index=False)
    else:
        pd.DataFrame(rows).to_csv(path, header=False, index=False, encoding="utf-8")
    return path
