"""The policy brief: both languages, three formats, numbers from results, honest labels, no small counts."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from recruitstats.report.brief import build_brief, collect, compose, fmt, inputs_from_results, period_text  # noqa: E402,E501
from recruitstats.report.brief import Bullets, Table  # noqa: E402
from recruitstats.report.brief_render import render_html  # noqa: E402
from recruitstats.report.style import text  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "panel.csv"
LANGS = ("zh", "en")


@pytest.fixture(scope="session")
def panel():
    from recruitstats.io import load_panel

    return load_panel(SAMPLE)


@pytest.fixture(scope="session")
def inputs(panel):
    return collect(panel, files=[SAMPLE])


@pytest.fixture(scope="session")
def built(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    paths = build_brief(SAMPLE, out, inputs=inputs)
    return out, paths


class _Spans(HTMLParser):
    """Collects the numbers of the brief: data-key -> (data-value, shown text)."""

    def __init__(self):
        super().__init__()
        self.nums: dict[str, tuple[float, str]] = {}
        self._key = None
        self._val = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and a.get("class") == "num":
            self._key, self._val = a["data-key"], float(a["data-value"])

    def handle_data(self, data):
        if self._key is not None:
            self.nums[self._key] = (self._val, data)
            self._key = None


def _two(value: float) -> str:
    """A number to two decimals as the brief shows it: as `fit --json` rounds it, no sign on a zero."""
    out = f"{value:.2f}"
    return "0.00" if out == "-0.00" else out


def _html(built, lang):
    return (built[0] / f"brief.{lang}.html").read_text(encoding="utf-8")


def _numbers(html: str) -> dict[str, tuple[float, str]]:
    p = _Spans()
    p.feed(html)
    return p.nums


def test_six_files_and_xlsx_are_written(built):
    out, paths = built
    names = sorted(p.name for p in paths)
    assert names == sorted([f"brief.{lang}.{ext}" for lang in LANGS for ext in ("html", "pdf", "docx")]
                           + ["tables.xlsx"])
    assert all((out / n).stat().st_size > 1000 for n in names)
    assert zipfile.is_zipfile(out / "tables.xlsx")


def test_html_is_self_contained(built):
    for lang in LANGS:
        html = _html(built, lang)
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
        assert "<link" not in html and "<script" not in html
        assert html.count('src="data:image/png;base64,') >= 3  # coefficient, funnel and rank plots
    assert '<html lang="zh-CN">' in _html(built, "zh")


def test_pdf_embeds_the_cjk_font_and_gives_back_the_chinese(built, inputs):
    from pypdf import PdfReader

    reader = PdfReader(built[0] / "brief.zh.pdf")
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    fonts = set()
    for page in reader.pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            desc = f["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in f else {}
            if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                fonts.add(str(f["/BaseFont"]))
    assert any("NotoSansCJK" in f for f in fonts), fonts
    extracted = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    for phrase in ("征兵工作政策简报（模拟数据）", "主要发现", "宣传经费", "数据无法回答的问题", "方法与数据说明"):
        assert phrase in extracted
    assert "\x00" not in extracted
    # every Chinese character of the brief comes back from the PDF (no glyph without its character)
    cjk = {c for c in compose(inputs, "zh", figures=False).plain_text() if "\u4e00" <= c <= "\u9fff"}
    assert cjk and not cjk - set(extracted)


def test_docx_sets_the_east_asian_font(built):
    import docx

    doc = docx.Document(built[0] / "brief.zh.docx")
    rfonts = doc.styles["Normal"].element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "Noto Sans CJK SC"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "征兵工作政策简报（模拟数据）" in text and "宣传经费" in text
    sec = doc.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297


def test_numbers_in_the_brief_equal_those_of_the_results(built, inputs):
    d = inputs.signup.to_dict()["effects"]
    for lang in LANGS:
        nums = _numbers(_html(built, lang))
        for lever, e in d.items():
            for field in ("coef", "ci_low", "ci_high"):
                value, shown = nums[f"signup.{lever}.{field}"]
                assert value == e[field]
                assert shown == _two(e[field])  # as `fit signup --json` gives it, to two decimals
        for lever, row in inputs.signup_effects.iterrows():
            value, shown = nums[f"signup.{lever}.additional"]
            assert value == row["additional"] and float(shown.replace(",", "")) == pytest.approx(value, abs=0.05)
        for lever, row in inputs.signup_costs.iterrows():
            if np.isfinite(row["cost_per_applicant"]):
                assert nums[f"signup.{lever}.cost"][0] == row["cost_per_applicant"]
        assert nums["league.pooled_rate"][0] == inputs.league.pooled_rate
        dis = inputs.discharge.to_dict()["effects"]
        for lever in ("outreach", "followup_contacts"):  # the levers the brief reports for returns
            assert nums[f"discharge.{lever}.coef"][0] == dis[lever]["coef"]
            assert nums[f"discharge.{lever}.additional"][0] == inputs.discharge_effects.loc[lever, "additional"]
        costs = inputs.discharge_costs
        assert np.isfinite(costs.loc["outreach", "cost_per_avoided_return"])
        assert nums["discharge.outreach.cost"][0] == costs.loc["outreach", "cost_per_avoided_return"]
    # the prediction check passes on the sample (a lever named after its column predicts right), so the
    # discharge +10% and cost per avoided return are quoted
    assert not [part for part, _ in inputs.skipped if part.startswith("policy.")]


def test_a_changed_result_changes_the_text(inputs, panel, monkeypatch):
    signup = inputs.signup
    before = compose(inputs, "en", figures=False).numbers()["signup.publicity.coef"]
    monkeypatch.setitem(signup.fit.params, "publicity", 0.7731)
    changed = inputs_from_results(signup, inputs.discharge, panel=panel, scorecard=inputs.scorecard,
                                  league=inputs.league)
    brief = compose(changed, "en", figures=False)
    after = brief.numbers()["signup.publicity.coef"]
    assert before.text != "0.77" and after.text == "0.77"
    assert "elasticity 0.77" in render_html(brief).replace('</span>', '').replace(
        '<span class="num" data-key="signup.publicity.coef" data-value="0.7731">', "")


@pytest.fixture(scope="session")
def real_inputs(panel):
    """The sample as if it were an office's real file: no data_source, ordinary names."""
    real = panel.drop(columns=["data_source"]).copy()
    for col in ("province", "city", "district"):
        real[col] = real[col].str.replace("模拟", "", regex=False)
    real.attrs = {}
    return collect(real)


def test_real_data_are_never_called_synthetic(real_inputs):
    assert not real_inputs.synthetic
    for lang in LANGS:
        brief = compose(real_inputs, lang, figures=False)
        words = brief.plain_text() + render_html(brief)
        assert not re.search(r"synthetic|simulat|模拟", words, re.IGNORECASE), lang


def test_synthetic_data_say_so_in_the_title(inputs):
    assert inputs.synthetic
    assert "模拟数据" in compose(inputs, "zh", figures=False).title
    assert "SYNTHETIC" in compose(inputs, "en", figures=False).title


def test_no_small_count_and_no_personal_data(built, inputs, panel):
    """A return rate is shown only where its count of returns is 0 or at least the threshold."""
    for lang in LANGS:
        html = _html(built, lang)
        shown = re.sub(r"<footer>.*?</footer>|<[^>]+>", " ", html, flags=re.S)  # the words a reader sees
        assert not re.search(r"SIM\d{6,}|\d{17}[\dXx]", shown)  # recruit ids, national ids
        nums = _numbers(html)
        last = panel.sort_values(["year", "half"]).iloc[-1][["year", "half"]]
        latest = panel[(panel["year"] == last["year"]) & (panel["half"] == last["half"])]
        for _, r in latest.iterrows():
            key = f"scorecard.{r['district_code']}.return_rate"
            if 0 < r["returned"] < inputs.threshold:
                assert key not in nums
            elif r["returned"] == 0:
                assert nums[key][1] in ("0.00%",)  # nobody points at nobody: shown
        totals = panel.groupby("district_code")["returned"].sum()
        for code, returned in totals.items():
            if 0 < returned < inputs.threshold:
                assert f"league.{code}.rate" not in nums
    # small counts exist in the sample, so the checks above are not empty
    assert ((latest["returned"] > 0) & (latest["returned"] < inputs.threshold)).any()


def test_format_is_the_one_place_numbers_become_text():
    assert fmt(0.1002, "coef", "en") == "0.10" and fmt(-0.0046, "coef", "zh") == "0.00"
    assert fmt(2094.4, "yuan", "zh") == "2,094" and fmt(0.00549, "pct2", "en") == "0.55%"
    assert fmt(float("inf"), "yuan", "zh") == "无上限" and fmt(float("nan"), "coef", "en") == "—"


def test_cli_refuses_bad_language(tmp_path, capsys):
    from recruitstats.cli import main

    assert main(["brief", "--data", str(SAMPLE), "--out", str(tmp_path), "--lang", "fr"]) == 2
    assert "--lang" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
    assert isinstance(pd.DataFrame(), pd.DataFrame)


def test_an_office_file_in_gbk_with_chinese_headers_is_never_called_synthetic(panel, tmp_path):
    """The sample written as an office would send it: Chinese headers, GBK, no data_source, real-looking names."""
    from recruitstats.schema import PANEL_COLUMNS

    zh = {c.name: c.label_zh for c in PANEL_COLUMNS}
    office = panel.drop(columns=["data_source"]).copy()
    office["province"], office["city"] = "某省", "某市"
    office["district"] = "第" + office["district_code"].astype(str) + "区"
    path = tmp_path / "office_2025.csv"
    office.rename(columns=zh).to_csv(path, index=False, encoding="gbk")
    out = tmp_path / "out"
    paths = build_brief(path, out, formats=("html",), xlsx=False, figures=False)
    assert [p.name for p in paths] == ["brief.zh.html", "brief.en.html"]
    for p in paths:
        html = p.read_text(encoding="utf-8")
        assert not re.search(r"synthetic|simulat|模拟", html, re.IGNORECASE), p.name
        assert "第110101区" in html  # districts by name, as the office wrote them
        value, shown = _numbers(html)["signup.publicity.coef"]
        assert shown == _two(value)


def test_parts_the_data_cannot_give_are_left_out_and_said(panel):
    thin = panel.drop(columns=["returned", "enlisted_college"])
    inputs = collect(thin)
    assert inputs.discharge is None and inputs.league is None
    assert [p for p, _ in inputs.skipped] == ["league"]
    brief = compose(inputs, "en", figures=False)
    words = brief.plain_text()
    assert "The brief has no league table" in words and "no returned and enlisted" in words
    assert inputs.scorecard.notes("en")[0] in words  # the scorecard's own note on what it cannot score
    assert "College share of recruits: not computed" in words and "enlisted_college" in words
    assert inputs.scorecard.notes("zh")[0] in compose(inputs, "zh", figures=False).plain_text()
    assert "signup.publicity.coef" in brief.numbers()


def test_any_text_is_shown_verbatim_in_every_format():
    """Markup characters in names or messages never break a renderer or turn into markup."""
    import docx
    from pypdf import PdfReader

    from recruitstats.report.brief import Brief, Bullets, Num, Para, Section, Table
    from recruitstats.report.brief_render import render_docx, render_pdf

    nasty = 'a "quote" \\ #set <5 $x$ *b* _c_ @ref [x] = 区'
    para = Para((nasty, Num("k", 1.0, "1.00")))
    brief = Brief("zh", "标题 #title", "sub <b>", False,
                  (Section("节 = 1", (para, Bullets((para,)), Table("表 <5", ("列*",), ((nasty,),)))),), ("footer \\",))
    pdf = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(brief))).pages))
    assert re.sub(r"\s+", "", nasty) + "1.00" in pdf
    html = render_html(brief)
    assert "&lt;5" in html and "<b>" not in html
    assert nasty in "\n".join(p.text for p in docx.Document(io.BytesIO(render_docx(brief))).paragraphs)


def test_cli_writes_one_language_under_a_config(tmp_path, capsys):
    from recruitstats.cli import main
    from recruitstats.config import default_config_text

    cfg = tmp_path / "recruitstats.toml"
    cfg.write_text(re.sub(r"(?m)^#?\s*threshold\s*=.*$", "threshold = 10", default_config_text()), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["brief", "--data", str(SAMPLE), "--out", str(out), "--lang", "en", "--config", str(cfg)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["brief.en.docx", "brief.en.html", "brief.en.pdf", "tables.xlsx"]
    html = (out / "brief.en.html").read_text(encoding="utf-8")
    assert "fewer than 10 people" in html and "recruitstats.toml (SHA-256" in html
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_policy_numbers_that_do_not_reproduce_the_fit_are_not_quoted(inputs, panel, monkeypatch):
    """A "+10%" number is a difference of predictions; if the prediction at the data misses the fit, none is quoted."""
    from recruitstats import policy

    real = policy.effect_of_increase

    def off(result, **kw):
        out = real(result, **kw)
        out["baseline"] += 1.0
        return out

    monkeypatch.setattr(policy, "effect_of_increase", off)
    changed = inputs_from_results(inputs.signup, None, panel=panel, scorecard=inputs.scorecard, league=None)
    assert [p for p, _ in changed.skipped] == ["policy.signup"]
    brief = compose(changed, "en", figures=False)
    assert not any(k.endswith(".additional") or k.endswith(".cost") for k in brief.numbers())
    assert "The brief does not quote the +10% effects and costs of the sign-up model" in brief.plain_text()
    assert brief.numbers()["signup.publicity.coef"].value == inputs.signup.to_dict()["effects"]["publicity"]["coef"]


def test_league_section_says_which_rankings_the_data_support(inputs):
    for lang in LANGS:
        brief = compose(inputs, lang, figures=False)
        figures = next(s for s in brief.sections if s.title == text("sec.figures", lang))
        said = "\n".join(p.plain for b in figures.blocks if isinstance(b, Bullets) for p in b.items)
        statements = inputs.league.statements(lang)  # in the league table's words, periods as the brief says them
        assert statements and all(period_text(line, lang) in said for line in statements)


def test_a_relative_scheme_path_is_read_from_the_config_folder(panel, tmp_path, monkeypatch):
    from importlib import resources

    from recruitstats.config import default_config_text, load_config

    folder = tmp_path / "project"
    folder.mkdir()
    scheme = resources.files("recruitstats").joinpath("data/scorecard_default.toml").read_text("utf-8")
    (folder / "my_scheme.toml").write_text(scheme.replace('en = "College share of recruits"',
                                                          'en = "Students among recruits"'), encoding="utf-8")
    cfg = folder / "recruitstats.toml"
    cfg.write_text(re.sub(r'(?m)^scorecard\s*=.*$', 'scorecard = "my_scheme.toml"', default_config_text()),
                   encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the scheme is found beside the config, not in the working folder
    inputs = collect(panel, config=load_config(cfg))
    assert inputs.scorecard.scheme["college_share"].label("en") == "Students among recruits"
    footer = compose(inputs, "en", figures=False).provenance
    assert any(line.startswith("Scorecard scheme: my_scheme.toml (SHA-256 ") for line in footer)


def test_headline_quotes_fit_signup_json(built, inputs, tmp_path, monkeypatch, capsys):
    """Each sign-up lever's coefficient and interval as `recruitstats fit signup --json` gives it, to two decimals."""
    import json

    from recruitstats import policy
    from recruitstats.cli import main

    monkeypatch.chdir(tmp_path)  # no project config in the working folder: defaults, as the brief's
    assert main(["fit", "signup", "--data", str(SAMPLE.parent), "--json"]) == 0
    effects = json.loads(capsys.readouterr().out)["effects"]
    assert set(effects) == {"publicity", "stipend", "outreach"}
    el = policy.elasticities(inputs.signup)
    for lang in LANGS:
        html = _html(built, lang)
        nums = _numbers(html)
        for lever, e in effects.items():
            for field in ("coef", "ci_low", "ci_high"):
                value, shown = nums[f"signup.{lever}.{field}"]
                assert value == e[field] and shown == _two(e[field])
        for lever in ("publicity", "stipend"):  # logged levers: the coefficient is the elasticity
            assert el.loc[lever, "estimate"] == pytest.approx(effects[lever]["coef"], rel=1e-8)
            assert el.loc[lever, "ci_low"] == pytest.approx(effects[lever]["ci_low"], rel=1e-6)
        for field, col in (("elasticity", "estimate"), ("elasticity_low", "ci_low"), ("elasticity_high", "ci_high")):
            value, shown = nums[f"signup.outreach.{field}"]
            assert value == el.loc["outreach", col] and shown == _two(value)
        assert 0 < el.loc["outreach", "estimate"] < effects["outreach"]["coef"]  # b v / (1 + v) < b
    words = compose(inputs, "en", figures=False).plain_text()
    assert f"coefficient b = {effects['outreach']['coef']:.3f} is not an elasticity" in words
    assert f"averages {el.loc['outreach', 'estimate']:.3f}" in words


def test_html_embeds_the_font_subset_the_page_needs(built):
    """Chinese shows on a machine without a CJK font, offline: every character of the page is in an embedded font."""
    import base64

    from fontTools.ttLib import TTFont

    for lang in LANGS:
        html = _html(built, lang)
        faces = re.findall(r'@font-face \{ font-family: "([^"]+)";.*?src: url\(data:font/(woff2|otf|ttf);base64,'
                           r'([A-Za-z0-9+/=]+)\)', html)
        assert faces and faces[0][0] == "Noto Sans CJK SC Embedded", "no embedded font"
        assert re.search(r'body \{ font-family: "Noto Sans CJK SC Embedded"', html)  # used first
        cmap = set()
        for _, _, data in faces:
            cmap |= set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap())
        body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S)
        shown = {ord(c) for c in body if not c.isspace()}
        assert not shown - cmap, sorted(chr(c) for c in shown - cmap)[:20]
        assert 5_000 < sum(len(d) for _, _, d in faces) < 400_000  # a subset, not the 16 MB font
        if lang == "zh":
            assert {ord(c) for c in "征兵工作政策简报退兵率✓✗"} <= cmap


def _planning_words(brief) -> str:
    sec = next(s for s in brief.sections if s.title == text("sec.planning", brief.lang))
    return "\n".join(p.plain for b in sec.blocks for p in b.items)


def test_planning_evidence_is_quoted_from_its_results(built, inputs):
    pl = inputs.planning
    att = pl.reform.tidy().set_index("term").loc["ATT"]
    naive = pl.twfe.tidy().set_index("term").loc["treated"]
    row = pl.scenario.table.loc["applicants"]
    assert pl.scenario.seed == pl.reform.options["seed"]  # explicit seeds
    for lang in LANGS:
        nums = _numbers(_html(built, lang))
        for key, value in (("att", att["estimate"]), ("att_low", att["ci_low"]), ("att_high", att["ci_high"]),
                           ("twfe", naive["estimate"]), ("twfe_low", naive["ci_low"]), ("twfe_high", naive["ci_high"])):
            assert nums[f"planning.reform.{key}"] == (value, _two(value))
        for key, col in (("change", "change"), ("pi_low", "pi_low"), ("pi_high", "pi_high")):
            assert nums[f"planning.scenario.{key}"] == (row[col], f"{row[col]:,.0f}")
        if pl.reform.pretrend_test()["p_value"] < 0.05:  # said when the pre-trends fail
            assert "planning.reform.pretrend_p" in nums
    assert "Callaway–Sant'Anna" in _planning_words(compose(inputs, "en", figures=False))
    assert "+30%" in _planning_words(compose(inputs, "en", figures=False))
    assert "宣传经费增加 30%" in _planning_words(compose(inputs, "zh", figures=False))


def test_planning_evidence_the_data_cannot_give_is_said(inputs, panel):
    from dataclasses import replace

    from recruitstats.report.brief import planning_evidence

    flat = panel.assign(family_allowance=0.4 * panel["avg_wage"])  # nobody reforms
    none = planning_evidence(flat, inputs.signup)
    assert none.reform is None and none.reform_note == "none" and none.scenario is not None
    for lang, words in (("en", "no district raised the family allowance"), ("zh", "没有区县")):
        assert words in _planning_words(compose(replace(inputs, planning=none), lang, figures=False))
    broken = planning_evidence(panel.drop(columns=["avg_wage"]), inputs.signup)
    assert broken.reform is None and "avg_wage" in broken.reform_note.en and "avg_wage" in broken.reform_note.zh
    said = _planning_words(compose(replace(inputs, planning=broken), "en", figures=False))
    assert "cannot be evaluated" in said and "Scenario:" in said  # the brief goes on
    said_zh = _planning_words(compose(replace(inputs, planning=broken), "zh", figures=False))
    assert broken.reform_note.zh in said_zh and "no avg_wage" not in said_zh


# --- the new-user walkthrough: levers, few districts, config, costs, provenance, periods, signs, reasons ---------

def _section(brief, key: str) -> str:
    sec = next(s for s in brief.sections if s.title == text(key, brief.lang))
    out = []
    for b in sec.blocks:
        out += [p.plain for p in getattr(b, "items", ())] + ([b.plain] if hasattr(b, "runs") else [])
    return "\n".join(out)


def test_cli_brief_without_door_visits_leaves_outreach_out_and_reads_the_project_config(panel, tmp_path,
                                                                                       monkeypatch, capsys):
    """No door_visits column: the brief fits publicity and the allowance and says why outreach is missing;
    without --config it reads ./recruitstats.toml, as `run` does, and names it in the footer."""
    from recruitstats.cli import main
    from recruitstats.config import default_config_text

    data = tmp_path / "no_visits.csv"
    panel.drop(columns=["door_visits"]).to_csv(data, index=False)
    project = tmp_path / "project"
    project.mkdir()
    (project / "recruitstats.toml").write_text(
        re.sub(r"(?m)^#?\s*threshold\s*=.*$", "threshold = 10", default_config_text()), encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["brief", "--data", str(data), "--out", str(tmp_path / "out"), "--lang", "en"]) == 0, \
        capsys.readouterr().err
    html = (tmp_path / "out" / "brief.en.html").read_text(encoding="utf-8")
    assert "recruitstats.toml (SHA-256" in html and "fewer than 10 people" in html
    assert "no door_visits values in the data: the outreach lever is left out" in html
    nums = _numbers(html)
    assert "signup.publicity.coef" in nums and "signup.stipend.coef" in nums and "signup.outreach.coef" not in nums


def test_levers_left_out_are_said_in_both_languages(panel):
    inputs = collect(panel.drop(columns=["door_visits"]), files=[SAMPLE])
    assert "outreach" not in inputs.signup.levers and "publicity" in inputs.signup.levers
    assert {(m, lv) for m, lv, _ in inputs.left_out} == {("signup", "outreach"), ("discharge", "outreach")}
    for lang, words in (("zh", "缺少 door_visits 列"), ("en", "no door_visits values")):
        brief = compose(inputs, lang, figures=False)
        assert words in _section(brief, "sec.headline") and words in _section(brief, "sec.cannot_tell")


@pytest.fixture(scope="module")
def few(panel):
    """Three districts: too few for cluster-robust intervals."""
    codes = sorted(panel["district_code"].unique())[:3]
    return collect(panel[panel["district_code"].isin(codes)])


def test_few_districts_are_cautioned_in_the_headline(few):
    assert few.signup.n_clusters == 3
    fell_back = any("CRV1 is used instead" in w for w in few.discharge.warnings)
    assert fell_back  # the discharge model on these districts cannot have the jackknife: the case is exercised
    for lang, words in (("zh", ("3 个区县", "刀切法", "t(2)", "不可靠", "请勿据此判断显著性", "改用 CRV1")),
                        ("en", ("only 3 districts", "jackknife", "t(2)", "unreliable", "do not judge significance",
                                "CRV1 cluster-robust errors"))):
        brief = compose(few, lang, figures=False)
        head, limits = _section(brief, "sec.headline"), _section(brief, "sec.cannot_tell")
        for w in words:
            assert w in head and w in limits, (lang, w)
        assert few.planning.reform is not None  # the reform estimate says the same of its intervals
        assert ("3 个区县，改革效果" if lang == "zh" else "only 3 districts the reform") in _planning_words(brief)


def test_many_districts_get_no_cluster_caution(inputs):
    from recruitstats.report.brief_sections import cluster_cautions

    assert inputs.signup.n_clusters >= 10
    assert all("unreliable" not in p.plain for p in cluster_cautions(inputs, "en"))
    assert not any("CRV1" in p.plain for p in cluster_cautions(inputs, "en"))


def test_dropped_groups_are_named_districts_or_cycles(few):
    from recruitstats.report.brief_sections import _dropped_text

    assert few.discharge.to_dict()["dropped"]["cycle groups with no variation in returned"] > 0
    words = _section(compose(few, "zh", figures=False), "sec.methods")
    assert "退兵人数在全部区县均为零的批次" in words and "这些批次的观测" in words and "均无变化（如从未退兵）的区县" not in words
    assert "cycles with no recruits returned in any district" in _section(compose(few, "en", figures=False),
                                                                          "sec.methods")
    by_district = {"district_code groups with no variation in returned": 2, "observations in those groups": 9}
    assert _dropped_text("district_code groups with no variation in returned", "en", by_district) == \
        "districts with no recruits returned in any cycle"
    assert _dropped_text("observations in those groups", "zh", by_district) == "这些区县的观测"


def test_unit_costs_are_said_to_be_assumptions(inputs, panel, tmp_path):
    from recruitstats.config import default_config_text, load_config

    for lang, words in (("zh", "按项目配置每次入户动员 50 元计算（假设）"),
                        ("en", "at 50 yuan per door visit, the project config's assumption")):
        brief = compose(inputs, lang, figures=False)
        head = _section(brief, "sec.headline")
        assert words in head and ("内置默认值" if lang == "zh" else "built-in default") in head
        table = next(b for b in brief.sections[0].blocks if isinstance(b, Table))
        assert words in table.note  # the table's costs too
    cfg = tmp_path / "recruitstats.toml"
    cfg.write_text(re.sub(r"(?m)^door_visits\s*=.*$", "door_visits = 80", default_config_text()), encoding="utf-8")
    own = inputs_from_results(inputs.signup, inputs.discharge, panel=panel, config=load_config(cfg))
    head = _section(compose(own, "en", figures=False), "sec.headline")
    assert "at 80 yuan per door visit, the project config's assumption" in head and "built-in default" not in head


def test_provenance_names_the_original_files_not_runs_temporary_copy(panel, tmp_path):
    import hashlib

    work = tmp_path / "work" / "data"
    work.mkdir(parents=True)
    panel.to_parquet(work / "panel.parquet")  # what `run` hands the brief
    paths = build_brief(work, tmp_path / "out", langs=("zh",), panel=panel, sources=[SAMPLE], formats=("html",),
                        xlsx=False, figures=False)
    html = paths[0].read_text(encoding="utf-8")
    footer = re.search(r"<footer>.*?</footer>", html, re.S).group(0)
    assert "panel.parquet" not in footer
    assert f"panel.csv：SHA-256 {hashlib.sha256(SAMPLE.read_bytes()).hexdigest()}" in footer


def test_periods_are_said_in_words(inputs):
    zh, en = (compose(inputs, lang, figures=False) for lang in LANGS)
    assert "2016年下半年至2025年下半年" in zh.subtitle and "2016 H2–2025 H2" in en.subtitle
    assert not re.search(r"\d{4}\s*H[12]", zh.plain_text())
    assert "2025年下半年批次“五率”记分卡" in zh.plain_text()


def test_no_number_is_shown_as_minus_zero(built, inputs):
    for v, kind, shown in ((-0.004, "coef", "0.00"), (-0.0004, "coef3", "0.000"), (-0.3, "count", "0"),
                           (-0.00001, "pct", "0.0%"), (-0.01, "flow", "0.0"), (-0.01, "flow2", "-0.01")):
        assert fmt(v, kind, "en") == shown
    for lang in LANGS:
        assert not re.search(r"(?<![\d.])-0(\.0+)?(?!\.?\d)", re.sub(r"<[^>]+>", " ", _html(built, lang)))
        for n in compose(inputs, lang, figures=False).numbers().values():
            assert not re.fullmatch(r"-[0.,]*[%×]?", n.text), n


def test_skipped_analyses_are_sentences_in_the_briefs_language(inputs, panel, monkeypatch):
    from dataclasses import replace

    import recruitstats.models.did as did
    import recruitstats.planning as planning
    from recruitstats.report.brief import planning_evidence

    def broken_did(*a, **k):
        raise __import__("recruitstats.errors").errors.InputError("column 'cohort': not found")

    def broken_scenario(*a, **k):
        raise ValueError("shapes (3,) and (4,) not aligned")

    monkeypatch.setattr(did, "fit_staggered", broken_did)
    monkeypatch.setattr(planning, "next_cycle", broken_scenario)
    pl = planning_evidence(panel, inputs.signup)
    assert pl.reform is None and pl.scenario is None and "cohort" in pl.reform_note.detail
    for lang in LANGS:
        said = _planning_words(compose(replace(inputs, planning=pl), lang, figures=False))
        assert not re.search(r"Error|cohort|<data>|shapes|aligned", said), said
    assert "这些数据不满足这项分析的要求" in _planning_words(compose(replace(inputs, planning=pl), "zh", figures=False))
    thin = collect(panel.drop(columns=["returned", "enlisted_college"]))
    zh = compose(thin, "zh", figures=False).plain_text()
    assert "本简报未包含区县退兵率排名和漏斗图：数据中没有退兵人数（returned）" in zh and "the data have no" not in zh


def test_a_cost_that_cannot_be_computed_is_said_in_the_briefs_language(inputs):
    from dataclasses import replace

    costs = inputs.signup_costs.copy()
    costs.loc["stipend", "cost_per_applicant"] = np.nan
    costs.loc["stipend", "note"] = "the data have no complete enlisted column: the bill cannot be computed"
    zh = _section(compose(replace(inputs, signup_costs=costs), "zh", figures=False), "sec.headline")
    assert "数据中的批准入伍人数不完整" in zh and "the bill" not in zh
