"""The contract in code agrees with the contract on paper (SCHEMA.md) and with the generated dictionary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recruitstats.schema import PANEL, RECRUITS, canonical_name, data_dictionary_markdown

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_MD = ROOT.parent / "shared" / "SCHEMA.md"

# SCHEMA.md's tables, copied so the check runs where SCHEMA.md is not at hand.
PANEL_ALIASES: dict[str, list[str]] = {
    "province": ["省份", "省"],
    "city": ["地市", "市"],
    "district": ["区县", "区(县)", "单位"],
    "district_code": ["行政区划代码", "区划代码"],
    "year": ["年度", "年份"],
    "half": ["征集批次", "批次", "半年"],
    "eligible_youth": ["适龄青年数", "兵役登记人数"],
    "quota": ["征集任务数", "任务数"],
    "applicants": ["应征报名人数", "报名人数"],
    "medical_examined": ["上站体检人数"],
    "medical_passed": ["体检合格人数"],
    "political_passed": ["政治考核合格人数", "政考合格人数", "双合格人数"],
    "pretrain_eliminated": ["役前训练淘汰人数"],
    "enlisted": ["批准入伍人数", "征集人数", "入伍人数"],
    "enlisted_college": ["大学生新兵数", "大学生征集数"],
    "enlisted_graduates": ["大学毕业生新兵数", "大学毕业生征集数"],
    "returned": ["退兵人数", "退兵数"],
    "publicity_spend": ["宣传经费"],
    "brochures": ["宣传册发放份数", "宣传册"],
    "sms": ["短信推送条数", "手机短信"],
    "online_posts": ["网络推送条数", "新媒体发布条数"],
    "posters": ["标语海报幅数", "标语", "海报"],
    "family_allowance": ["义务兵家庭优待金", "优待金"],
    "college_bonus": ["大学生一次性奖励金", "大学生士兵一次性奖励金"],
    "door_visits": ["入户动员人次", "走访动员人次"],
    "counselors_trained": ["培训高校辅导员人数", "辅导员"],
    "exemplar_talks": ["榜样宣讲场次", "宣讲场次"],
    "followup_contacts": ["新兵回访人次", "回访人次"],
    "avg_wage": ["城镇单位在岗职工平均工资", "平均工资"],
    "unemployment_rate": ["城镇调查失业率", "失业率"],
}
RECRUIT_ALIASES: dict[str, list[str]] = {
    "recruit_id": ["编号", "新兵编号"],
    "age": ["年龄"],
    "birth_date": ["出生日期"],
    "sex": ["性别"],
    "education": ["文化程度", "学历"],
    "college_status": ["学籍状态"],
    "door_visit": ["是否入户动员"],
    "counselor_contact": ["是否辅导员动员"],
    "exemplar_talk": ["是否参加榜样宣讲"],
    "followup_contact": ["是否新兵回访"],
    "pretrain_score": ["役前训练成绩"],
    "enlist_date": ["入伍日期", "批准入伍日期"],
    "exit_date": ["退兵日期", "离队日期"],
    "exit_reason": ["退兵原因"],
    "observed_until": ["观察截止日期"],
}
EXPLICIT = {**PANEL_ALIASES, **RECRUIT_ALIASES}

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _schema_md_aliases(text: str) -> dict[str, list[str]]:
    """Column -> Chinese aliases from every markdown table whose second header is 中文 (aliases)."""
    found: dict[str, list[str]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(line) <= set("|-: "):
            continue
        if len(header) < 2 or not header[1].startswith("中文"):
            continue
        name, zh = cells[0], cells[1]
        if not re.fullmatch(r"[a-z_]+", name):
            continue                      # "district, district_code, year, half | as in the panel"
        aliases = [a.strip() for a in re.split(r"[,，]", zh) if _CJK.search(a)]
        # "男/女, M/F" style value lists are not in the 中文 column, but be safe
        found.setdefault(name, []).extend(a for a in aliases if "/" not in a)
    if "出生日期" in text and "birth_date" not in found:
        found["birth_date"] = ["出生日期"]  # named in the age row: "or birth_date / 出生日期"
    return found


def _cases() -> list[tuple[str, str, str]]:
    table = dict(EXPLICIT)
    if SCHEMA_MD.exists():
        for name, aliases in _schema_md_aliases(SCHEMA_MD.read_text(encoding="utf-8")).items():
            table[name] = sorted(set(table.get(name, [])) | set(aliases))
    return [(name, alias, _kind(name)) for name, aliases in table.items() for alias in aliases]


def _kind(name: str) -> str:
    col = PANEL.get(name) or RECRUITS.get(name)
    return col.kind if col else "?"


_UNITS = {"count": "人", "money": "万元", "percent": "%", "number": "分"}


def _variants(alias: str, kind: str) -> list[tuple[str, str]]:
    """(header as written, unit expected) for the usual ways an office writes a header."""
    full_width = alias.replace("(", "（").replace(")", "）")
    out = [(alias, ""), (f"  {alias} ", ""), (full_width, ""), (f"\u3000{full_width}\t", "")]
    unit = "岁" if alias == "年龄" else _UNITS.get(kind)
    if unit:  # text, codes, dates and categories carry no unit
        out += [(f"{alias}({unit})", unit), (f"{alias}（{unit}）", unit), (f" {alias} （{unit}） ", unit),
                (f"{alias}[{unit}]", unit), (f"{alias}【{unit}】", unit)]
    return out


def test_schema_md_tables_are_parsed():
    if not SCHEMA_MD.exists():
        pytest.skip(f"{SCHEMA_MD} not present")
    parsed = _schema_md_aliases(SCHEMA_MD.read_text(encoding="utf-8"))
    assert set(PANEL_ALIASES) <= set(parsed)
    assert parsed["applicants"] == ["应征报名人数", "报名人数"]
    assert set(parsed) <= set(EXPLICIT), "SCHEMA.md has columns the explicit list lacks: update it"
    for name, aliases in parsed.items():
        assert set(aliases) == set(EXPLICIT[name]), name


@pytest.mark.parametrize(("name", "alias", "kind"), _cases())
def test_alias_maps_to_canonical_name(name, alias, kind):
    assert name in PANEL or name in RECRUITS, f"{name} is in SCHEMA.md but not in schema.py"
    for header, unit in _variants(alias, kind):
        got, got_unit = canonical_name(header)
        assert got == name, f"{header!r} -> {got!r}, expected {name!r}"
        assert got_unit == unit, f"{header!r}: unit {got_unit!r}, expected {unit!r}"


@pytest.mark.parametrize("name", sorted(set(PANEL) | set(RECRUITS)))
def test_canonical_names_map_to_themselves(name):
    assert canonical_name(name)[0] == name
    assert canonical_name(f" {name.upper()} ")[0] == name


def test_money_header_in_wan_yuan_keeps_its_unit():
    assert canonical_name("宣传经费（万元）") == ("publicity_spend", "万元")
    assert canonical_name("城镇调查失业率(%)") == ("unemployment_rate", "%")
    assert canonical_name("区（县）") == ("district", "")
    assert canonical_name("no such column")[0] is None


def test_data_dictionary_page_is_generated_from_the_schema():
    page = ROOT / "docs" / "data_dictionary.md"
    assert page.exists(), "run: recruitstats dictionary --out docs/data_dictionary.md"
    assert page.read_text(encoding="utf-8") == data_dictionary_markdown(), \
        "docs/data_dictionary.md is stale: run recruitstats dictionary --out docs/data_dictionary.md"


def test_bracketed_alias_with_a_unit():
    assert canonical_name("区(县)(个)") == ("district", "个")
    assert canonical_name("区（县）（个）") == ("district", "个")


def test_repository_copy_of_the_contract_is_current():
    """docs/SCHEMA.md is the contract as shared with the project; it must not drift from the original."""
    shared = ROOT.parent / "shared" / "SCHEMA.md"
    if not shared.exists():
        pytest.skip("the shared contract is not beside this checkout")
    assert (ROOT / "docs" / "SCHEMA.md").read_text(encoding="utf-8") == shared.read_text(encoding="utf-8"), \
        "docs/SCHEMA.md differs from ../shared/SCHEMA.md: copy the shared contract into docs/"
