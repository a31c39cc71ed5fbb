"""The 五率 scorecard: scheme files, values, targets, the JSON contract, disclosure control."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.io import load_panel
from recruitstats.report.scorecard import FUNNEL_STAGES, load_scheme, parse_scheme, scorecard
from recruitstats.report.suppression import find_disclosures
from recruitstats.schema import DERIVED_RATES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "panel.csv"  # synthetic


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return load_panel(SAMPLE)


@pytest.fixture(scope="module")
def card(panel):
    return scorecard(panel)


def test_default_scheme_is_the_one_of_schema_md():
    text = (ROOT / "docs" / "SCHEMA.md").read_text(encoding="utf-8")
    paragraph = text[text.index("The default scheme is"):].split("\n\n")[0].replace("\n", " ")
    targets = {k: (op, float(v)) for k, op, v in re.findall(r"(\w+) (>=|<=) ([\d.]+)", paragraph)}
    untargeted = re.search(r"with (\w+) and (\w+) shown beside them without a target", paragraph).groups()
    scheme = load_scheme()
    assert scheme.name == "default" and scheme.keys == list(targets) + list(untargeted)
    for ind in scheme.indicators:
        assert (ind.numerator, ind.denominator) == DERIVED_RATES[ind.key][:2]
        if ind.key in targets:
            assert (ind.direction, ind.target) == targets[ind.key]
        else:
            assert ind.direction == "none" and ind.target is None
        assert ind.zh and ind.en and ind.zh != ind.en


def test_values_and_targets_equal_a_hand_calculation(panel, card):
    rows = card.rows.set_index(["district_key", "year", "half"])
    data = panel.set_index([panel["district_code"].astype(str), "year", "half"])
    checked = 0
    for (key, year, half), row in rows.iterrows():
        raw = data.loc[(key, year, half)]
        for ind in card.scheme.indicators:
            value = row[ind.key]
            if ind.key in row["suppressed"]:
                assert np.isnan(value) and row[f"met_{ind.key}"] is None
                continue
            expected = raw[ind.numerator] / raw[ind.denominator]
            assert value == pytest.approx(expected, rel=1e-12)
            met = row[f"met_{ind.key}"]
            if ind.direction == ">=":
                assert met is bool(expected >= ind.target)
            elif ind.direction == "<=":
                assert met is bool(expected <= ind.target)
            else:
                assert met is None
            checked += 1
    assert checked > 1500  # most cells are shown


def test_small_return_counts_are_suppressed_and_listed(panel, card):
    small = ((panel["returned"] > 0) & (panel["returned"] < 5)).sum()
    listed = sum("return_rate" in s for s in card.rows["suppressed"])
    assert small > 50 and listed >= small
    assert card.rows["return_rate"].isna().sum() == listed


def test_no_published_figure_reveals_a_small_count(panel, card):
    """Rates x true denominators, funnel counts and their differences: never 1 to 4 people."""
    data = panel.sort_values(["year", "half", "district"], kind="stable").reset_index(drop=True)
    people = {"eligible_youth", "applicants", "medical_examined", "medical_passed", "political_passed",
              "enlisted", "enlisted_college", "returned"}
    for i, row in card.rows.iterrows():
        for ind in card.scheme.indicators:
            value = row[ind.key]
            if np.isnan(value):
                continue
            revealed = value * data.loc[i, ind.denominator]  # a reader knows every denominator
            if ind.numerator in people:
                assert not 0 < round(revealed) < 5, (i, ind.key)
            if ind.numerator in people and ind.denominator in people:
                assert not 0 < data.loc[i, ind.denominator] - round(revealed) < 5, (i, ind.key)
    published = pd.concat([card.funnel[list(FUNNEL_STAGES)], card.rows[card.scheme.keys]], axis=1)
    ratios = {i.key: (i.numerator, i.denominator) for i in card.scheme.indicators}
    assert find_disclosures(published, counts=sorted(people & set(published) | {"enlisted_college"}),
                            ratios=ratios, chains=[FUNNEL_STAGES, ("enlisted", "enlisted_college")]) == []
    assert card.funnel_mask.to_numpy().sum() > 0


def test_json_contract_through_the_command(capsys, panel, card):
    assert main(["scorecard", "--data", str(SAMPLE), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert set(out) == {"scheme", "threshold", "indicators", "rows"}
    assert out["scheme"] == "default" and out["threshold"] == 5 and "SYNTHETIC" in captured.err
    assert set(out["indicators"]["college_share"]) == {"zh", "en", "numerator", "denominator", "target",
                                                       "direction"}
    assert out["indicators"]["quota_multiple"]["target"] is None
    assert len(out["rows"]) == len(panel)
    row = out["rows"][1]
    assert set(row) == {"district", "district_key", "year", "half", "values", "met", "suppressed"}
    assert set(row["values"]) == set(out["indicators"]) == set(row["met"])
    for r in out["rows"]:
        for key in r["suppressed"]:
            assert r["values"][key] is None and r["met"][key] is None
    assert out["rows"][0]["values"]["college_share"] == card.rows.loc[0, "college_share"]  # unrounded


def _scheme(tmp_path: Path, body: str, name: str = "prov.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


PROVINCE = """\
name = "province"
columns = ["registered_men"]

[[indicators]]
key = "registration_rate"
zh = "网上兵役登记率"
en = "Online registration"
numerator = "registered_men"
denominator = "兵役登记人数"
target = 0.95
direction = ">="

[[indicators]]
key = "college_share"
zh = "大学生占比"
en = "College share"
numerator = "大学生新兵数"
denominator = "enlisted"
target = 0.5
direction = ">="
"""


def test_a_province_scheme_with_its_own_column_and_chinese_names(tmp_path, panel):
    path = _scheme(tmp_path, PROVINCE)
    scheme = load_scheme(path)
    assert scheme["registration_rate"].denominator == "eligible_youth"
    assert scheme["college_share"].numerator == "enlisted_college"
    partial = scorecard(panel, path)  # what the data cannot score is said, the rest is scored
    assert partial.missing == {"registration_rate": ("registered_men",)}
    assert partial.rows["registration_rate"].isna().all() and partial.rows["college_share"].notna().any()
    assert "registered_men" in partial.notes("en")[0] and "无法计算" in partial.notes("zh")[0]
    with pytest.raises(InputError, match="registered_men"):
        scorecard(panel.drop(columns=["enlisted_college"]), path)
    data = panel.assign(registered_men=np.floor(panel["eligible_youth"] * 0.97))
    card = scorecard(data, path)
    assert card.scheme.keys == ["registration_rate", "college_share"]
    assert card.rows["met_registration_rate"].all()
    assert (card.rows["met_college_share"].dropna() == (card.rows["college_share"].dropna() >= 0.5)).all()


@pytest.mark.parametrize("body, text", [
    ("name = 'x'\n[[indicators]\n", "line 2"),
    (PROVINCE.replace('columns = ["registered_men"]', "columns = []"),
     "line 8: indicator 'registration_rate' numerator: unknown column 'registered_men'"),
    (PROVINCE.replace('"大学生新兵数"', '"enlisted_colege"'), "line 17: indicator 'college_share' numerator: "
                                                            "unknown column 'enlisted_colege'; did you mean "
                                                            "'enlisted_college'"),
    (PROVINCE.replace('direction = ">="', 'direction = "at least"', 1), "line 11: indicator 'registration_rate': "
                                                                       "direction"),
    (PROVINCE.replace("target = 0.95\n", ""), "needs a target"),
    (PROVINCE.replace('key = "college_share"', 'key = "registration_rate"'), "used twice"),
    (PROVINCE.replace('denominator = "enlisted"', 'denominator = "quota"'), "derived rate of SCHEMA.md"),
    (PROVINCE + "\n[colours]\nred = 1\n", "unknown setting"),
    ("name = 'x'\n", "at least one [[indicators]]"),
    (PROVINCE.replace('"大学生新兵数"', "'enlisted_colege'").replace("# ", ""), "line 17: "),
    ("# numerator = 'returnd'\n" + PROVINCE.replace('"大学生新兵数"', "'returnd'"), "line 18: "),
    (PROVINCE.replace('key = "college_share"', 'key = "college share"'), "line 14: indicator key must be"),
    (PROVINCE.replace("direction = \">=\"\n\n[[", "\n\n[["), "line 5: indicator 'registration_rate' has a "
                                                               "target but direction"),
])
def test_bad_schemes_are_refused_naming_the_line_or_key(tmp_path, body, text):
    with pytest.raises(InputError) as err:
        load_scheme(_scheme(tmp_path, body))
    assert text in str(err.value)


def test_command_reads_scheme_and_threshold_from_the_project_config(tmp_path, capsys):
    _scheme(tmp_path, PROVINCE.split("[[indicators]]")[0].replace('["registered_men"]', "[]")
            + "[[indicators]]" + PROVINCE.split("[[indicators]]")[2])
    config = tmp_path / "recruitstats.toml"
    config.write_text('threshold = 10\nscorecard = "prov.toml"\n', encoding="utf-8")
    assert main(["scorecard", "--data", str(SAMPLE), "--config", str(config), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threshold"] == 10 and out["scheme"] == "province" and list(out["indicators"]) == ["college_share"]


def test_command_writes_xlsx_and_refuses_bad_input(tmp_path, capsys):
    target = tmp_path / "card.xlsx"
    assert main(["scorecard", "--data", str(SAMPLE), "--xlsx", str(target), "--lang", "en"]) == 0
    from openpyxl import load_workbook

    wb = load_workbook(target)
    assert wb.sheetnames == ["Scorecard", "Funnel"]
    cells = [c for row in wb["Scorecard"].iter_rows(values_only=True) for c in row]
    assert "College share of recruits" in cells and any("SYNTHETIC" in str(c) for c in cells)
    assert main(["scorecard", "--data", str(SAMPLE), "--scheme", str(tmp_path / "nope.toml")]) == 2
    assert "scheme not found" in capsys.readouterr().err
    assert main(["scorecard", "--data", str(SAMPLE), "--xlsx", str(tmp_path / "card.csv")]) == 2


def test_text_output_says_synthetic(capsys):
    assert main(["scorecard", "--data", str(SAMPLE), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "模拟数据" in out and "大学生占比" in out and "*" in out


def test_values_not_computable_are_null_but_not_listed_as_suppressed(panel):
    data = panel.copy()
    data.loc[0, "quota"] = 0
    data.loc[1, "enlisted_college"] = np.nan
    card = scorecard(data)
    rows = {(r["district_key"], r["year"], r["half"]): r for r in card.to_dict()["rows"]}
    key = lambda i: (str(data.loc[i, "district_code"]), int(data.loc[i, "year"]), int(data.loc[i, "half"]))  # noqa: E731
    assert rows[key(0)]["values"]["exam_multiple"] is None and rows[key(0)]["met"]["exam_multiple"] is None
    assert "exam_multiple" not in rows[key(0)]["suppressed"]
    assert rows[key(1)]["values"]["college_share"] is None and "college_share" not in rows[key(1)]["suppressed"]


def test_threshold_is_checked_and_changes_what_is_hidden(panel):
    with pytest.raises(InputError):
        scorecard(panel, threshold=0)
    strict = scorecard(panel, threshold=10)
    assert strict.rows["suppressed"].map(len).sum() > scorecard(panel).rows["suppressed"].map(len).sum()


def test_two_shares_of_nested_counts_do_not_reveal_their_difference(tmp_path):
    """college_share and graduate_share side by side: college - graduates (students) is a count too."""
    body = "".join(f'[[indicators]]\nkey = "{k}"\nnumerator = "{n}"\ndenominator = "enlisted"\n\n'
                   for k, n in (("college_share", "enlisted_college"), ("graduate_share", "enlisted_graduates")))
    path = _scheme(tmp_path, 'name = "two"\n\n' + body)
    data = pd.DataFrame({"district": ["A", "B"], "year": [2021, 2021], "half": [2, 2],
                         "enlisted": [100.0, 100.0], "enlisted_college": [40.0, 40.0],
                         "enlisted_graduates": [37.0, 20.0]})
    card = scorecard(data, path)
    assert card.rows.loc[0, "suppressed"] and not card.rows.loc[1, "suppressed"]
    college = card.rows["college_share"] * 100
    graduates = card.rows["graduate_share"] * 100
    gap = (college - graduates).dropna()
    assert not ((gap.round() > 0) & (gap.round() < 5)).any()


def test_text_and_xlsx_show_percentages_multiples_and_halves(tmp_path, capsys, card):
    """40.4% not 0.404, 2.1× not 2.1, 上半年/下半年 (H1/H2) not 1/2; the JSON keeps unrounded ratios."""
    assert main(["scorecard", "--data", str(SAMPLE), "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    first = card.rows.iloc[0]
    assert f"{100 * first['college_share']:.1f}%" in out and f"{first['exam_multiple']:.1f}×" in out
    assert "下半年" in out and not re.search(r"\b0\.\d{3}\b", out)
    assert main(["scorecard", "--data", str(SAMPLE), "--lang", "en"]) == 0
    assert re.search(r"\bH2\b", capsys.readouterr().out)
    assert main(["scorecard", "--data", str(SAMPLE), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["values"]["college_share"] == pytest.approx(first["college_share"], rel=0, abs=0)
    assert rows[0]["half"] == int(first["half"])
    target = tmp_path / "card.xlsx"
    assert main(["scorecard", "--data", str(SAMPLE), "--xlsx", str(target), "--lang", "zh"]) == 0
    from openpyxl import load_workbook

    ws = load_workbook(target)["五率"]
    header = [c.value for c in ws[1]]
    share, multiple, rate = (ws.cell(row=2, column=header.index(k) + 1) for k in
                             ("大学生占比", "上站体检率（体检人数/任务数）", "退兵率"))
    assert share.number_format == "0.0%" and multiple.number_format == '0.0"×"'
    assert rate.number_format == "0.00%" and isinstance(share.value, float)
    assert ws.cell(row=2, column=header.index("批次") + 1).value == "下半年"
    assert load_workbook(target)["征集漏斗"].cell(row=2, column=3).value == "下半年"
