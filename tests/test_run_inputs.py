"""`run` on the inputs offices actually send (issue #11, "Done when").

Each case: exit 0 with a report that says what could not be estimated and why, or exit 2
with a clear message; never a traceback. The skip logic is tested on the requirement
function directly; the command runs only the quick-start notebook (or a notebook that
is skipped without running) to stay fast, plus one sign-up run on three districts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import recruitstats as rs
from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.pipeline import combine_data
from recruitstats.requirements import assess

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    panel = pd.read_csv(SAMPLE / "panel.csv", dtype={"district_code": str})
    recruits = pd.read_csv(SAMPLE / "recruits.csv", dtype={"district_code": str})
    return panel, recruits


@pytest.fixture(scope="module")
def files(tmp_path_factory, sample):
    """Office-like files: real data carry no synthetic label."""
    panel, recruits = sample
    d = tmp_path_factory.mktemp("inputs")
    real = panel.drop(columns=["data_source"])
    real.drop(columns=["door_visits"]).to_csv(d / "no_door_visits.csv", index=False)
    real[real["district"].isin(real["district"].unique()[:3])].to_csv(d / "three_districts.csv", index=False)
    real[real["year"] <= 2024].to_csv(d / "panel_2024.csv", index=False)
    real[real["year"] == 2025].to_csv(d / "panel_2025.csv", index=False)
    real[real["year"] >= 2024].to_csv(d / "panel_2024_again.csv", index=False)
    few = pd.concat([recruits[recruits["exit_reason"].notna()].head(5), recruits[recruits["exit_reason"].isna()].head(45)])
    few.drop(columns=["data_source"]).to_csv(d / "recruits_50.csv", index=False)
    rs.write_template(d / "blank.xlsx")
    return d


def _load(path):
    return rs.load_panel(path)


# --- the requirement function ------------------------------------------------------------

def test_panel_without_recruit_records_skips_only_the_survival_analysis(files):
    checks = assess(_load(files / "panel_2024.csv"))
    assert not checks.can("survival") and not checks.can("survival.models")
    assert checks.can("signup") and checks.can("discharge") and checks.levers() == ["publicity", "stipend", "outreach"]
    skipped = checks.skipped("zh")
    assert [s["analysis"] for s in skipped] == ["survival"]
    assert "新兵" in skipped[0]["reason"] and "recruit records" in skipped[0]["reason_en"]


def test_panel_without_door_visits_leaves_out_outreach_only(files):
    checks = assess(_load(files / "no_door_visits.csv"))
    assert checks.can("signup") and not checks.can("signup.outreach")
    assert checks.levers("signup") == ["publicity", "stipend"] and checks.levers("discharge") == ["publicity", "stipend"]
    assert "door_visits" in checks.get("signup.outreach").reason("en")
    assert "door_visits" in checks.get("signup.outreach").reason("zh")
    fit = rs.fit_signup(_load(files / "no_door_visits.csv"), levers=checks.levers("signup"))
    assert set(fit.params.index) >= {"publicity", "stipend"}


def test_three_districts_are_too_few_clusters_but_the_estimates_are_kept(files):
    checks = assess(_load(files / "three_districts.csv"))
    assert checks.can("signup") and checks.get("signup.inference").status == "caution"
    assert "3 districts" in checks.say("signup", lang="en") and "3 个区县" in checks.say("signup", lang="zh")
    assert [s["analysis"] for s in checks.skipped()] == ["planning.adstock.hill", "survival"]


def test_fifty_recruit_records_give_shares_but_no_hazard_models(files, sample):
    recruits = rs.load_recruits(files / "recruits_50.csv")
    checks = assess(_load(files / "panel_2024.csv"), recruits)
    assert checks.can("survival") and not checks.can("survival.models") and not checks.can("survival.causes")
    assert "only 5 returns" in checks.get("survival.models").reason("en")
    no_returns = recruits[recruits["exit_date"].isna()]
    assert "none of the 45 recruits" in assess(_load(files / "panel_2024.csv"), no_returns).get("survival").en


def test_other_thin_data_are_said_not_failed(sample):
    panel = sample[0]
    one_cycle = assess(panel[(panel["year"] == 2025) & (panel["half"] == 1)])
    assert not one_cycle.can("signup") and "one call-up cycle" in one_cycle.get("signup").en
    one_district = assess(panel[panel["district"] == panel["district"].iloc[0]])
    assert not one_district.can("signup") and "only 1 district" in one_district.get("signup").en
    zero_spend = panel.assign(publicity_spend=panel["publicity_spend"].where(panel.index > 0, 0))
    assert "zero or negative in 1 row" in assess(zero_spend).get("signup.publicity").en
    no_returns = assess(panel.assign(returned=0))
    assert not no_returns.can("discharge") and no_returns.can("signup")
    no_levers = assess(panel.drop(columns=["publicity_spend", "family_allowance", "door_visits"]))
    assert not no_levers.can("signup") and no_levers.can("funnel")


def test_blank_template_has_no_data_rows(files):
    with pytest.raises(InputError, match="no data rows"):
        combine_data([files / "blank.xlsx"])
    with pytest.raises(InputError, match="no data rows"):
        assess(pd.DataFrame(columns=["district", "year", "half"]))


def test_several_files_are_combined_and_duplicates_refused(files):
    both = combine_data([files / "panel_2024.csv", files / "panel_2025.csv", files / "recruits_50.csv"])
    alone = combine_data([files / "panel_2024.csv"])
    assert len(both.panel) == len(alone.panel) + len(_load(files / "panel_2025.csv"))
    assert len(both.recruits) == 50 and not both.synthetic and both.truth is None
    # a new cycle's file adds its rows and changes none of the old ones
    old = both.panel[both.panel["year"] <= 2024].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, alone.panel.reset_index(drop=True), check_like=True)
    with pytest.raises(InputError) as err:
        combine_data([files / "panel_2024.csv", files / "panel_2024_again.csv"])
    text = str(err.value)
    assert len(err.value.problems) == 1 and "48 district and cycle(s) given more than once" in text
    assert "panel_2024.csv and" in text and "panel_2024_again.csv" in text and "2024H1" in text
    # the district by its name beside its code, not "110102 2024H1" alone
    assert re.search(r"模拟区\d+-\d+ \(\d{6}\) 2024H[12]", text) and not re.search(r"(?<!\()\b\d{6} 2024H", text)
    with pytest.raises(InputError, match="no panel"):
        combine_data([files / "recruits_50.csv"])


# --- the command -------------------------------------------------------------------------

def _run(out: Path, *args: str) -> int:
    return main(["run", "--out", str(out), *args])


def _offline(html: str) -> bool:
    remote = [m for m in re.findall(r'(?:src|href)\s*=\s*"([^"]+)"', html) if m.startswith(("http:", "https:", "//"))]
    return not remote and "<script src" not in html and "https://" not in html and "http://" not in html


def _text_outputs(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o.get("text") or o.get("data", {}).get("text/plain", "") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", [])]


def test_run_on_real_panel_without_recruits_or_door_visits(files, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(out, "--data", str(files / "no_door_visits.csv"), "--only", "00_quickstart",
                "04_early_discharge") == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "door_visits" in err
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert isinstance(run["skipped"], list) and run["synthetic"] is False
    assert {"signup.outreach", "survival", "04_early_discharge"} <= {s["analysis"] for s in run["skipped"]}
    assert all(s["reason"] for s in run["skipped"])
    stub = (out / "04_early_discharge.html").read_text(encoding="utf-8")
    assert "新兵个人记录" in stub and "<title>04 Early discharge" in stub and _offline(stub)
    html = (out / "00_quickstart.html").read_text(encoding="utf-8")
    assert _offline(html) and "<title>00 Quick start (中文)</title>" in html
    assert "import recruitstats as rs" not in html  # no code cells
    assert "SYNTHETIC" not in html and "模拟数据" not in html and "true sign-up effects" not in html
    assert "应征报名人数" in html and "156,418" in html  # Chinese labels, thousands separators
    assert "door_visits" in (out / "run.log").read_text(encoding="utf-8")


def test_run_on_the_blank_template_exits_2_with_no_data_rows(files, tmp_path, capsys):
    assert _run(tmp_path / "r", "--data", str(files / "blank.xlsx"), "--only", "00_quickstart") == 2
    err = capsys.readouterr().err
    assert "no data rows" in err and "Traceback" not in err and not (tmp_path / "r").exists()


def test_run_on_several_files_with_an_english_config(files, tmp_path):
    cfg = tmp_path / "project.toml"
    cfg.write_text('languages = ["en", "zh"]\ntitle = "City office"\n', encoding="utf-8")
    out = tmp_path / "r"
    assert _run(out, "--data", str(files / "panel_2024.csv"), str(files / "panel_2025.csv"),
                str(files / "recruits_50.csv"), "--config", str(cfg), "--only", "00_quickstart") == 0
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert len(run["data"]) == 3 and run["language"] == "en" and run["config"]["title"] == "City office"
    assert [s["analysis"] for s in run["skipped"]] == ["survival.models", "survival.causes"]
    assert "only 5 returns" in run["skipped"][0]["reason"]
    html = (out / "00_quickstart.html").read_text(encoding="utf-8")
    assert "<title>City office: 00 Quick start (English)</title>" in html and '<html lang="en">' in html


def test_run_twice_gives_identical_tables(tmp_path):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert _run(out, "--data", str(SAMPLE), "--only", "00_quickstart") == 0
    a, b = (json.loads((o / "run.json").read_text(encoding="utf-8")) for o in outs)
    assert {k: v for k, v in a.items()} == b
    assert _text_outputs(outs[0] / "00_quickstart.ipynb") == _text_outputs(outs[1] / "00_quickstart.ipynb")
    text = "".join(_text_outputs(outs[0] / "00_quickstart.ipynb"))
    assert "SYNTHETIC" in text and "true sign-up effects" in text  # the sample is labelled, with its truth


def test_sign_up_report_on_three_districts_shows_estimates_and_says_why_not_to_trust_intervals(files, tmp_path):
    out = tmp_path / "r"
    assert _run(out, "--data", str(files / "three_districts.csv"), "--only", "03_signup_effects") == 0
    text = "".join(_text_outputs(out / "03_signup_effects.ipynb"))
    assert "只有 3 个区县" in text and "publicity" in text and "报名模型" in text
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "03_signup_effects" not in {s["analysis"] for s in run["skipped"]}
    assert [n["analysis"] for n in run["notes"]] == ["signup.inference", "discharge.inference", "reforms.inference"]


def test_report_tables_are_text_with_separators_digits_and_chinese_labels():
    from recruitstats.report.display import auto_decimals, format_table

    df = pd.DataFrame({"applicants": [156418.0, 97470.0], "share_of_previous": [float("nan"), 0.62314],
                       "return_rate": [0.00512, 0.0041], "group": [True, False]},
                      index=pd.Index(["publicity", "stipend"], name="lever"))
    zh = format_table(df, lang="zh", percent=["share_of_previous"])
    assert list(zh.columns) == ["应征报名人数", "占上一环节比例", "退兵率", "组别"]
    assert zh.index.name == "杠杆" and list(zh.index) == ["宣传", "优待金"]
    assert zh.iloc[0].tolist() == ["156,418", "—", "0.0051", "是"] and zh.iloc[1, 1] == "62.3%"
    en = format_table(df, lang="en")
    assert list(en.columns)[:2] == ["applicants", "share of previous stage"] and en.iloc[1, 3] == "no"
    assert auto_decimals(pd.Series([1.0, 2.0])) == 0 and auto_decimals(pd.Series([123.456])) == 0
    assert auto_decimals(pd.Series([0.1234])) == 3 and format_table(df, digits=1).iloc[0, 0] == "156,418"


def test_the_configured_lever_measure_is_the_one_checked(files):
    panel = _load(files / "no_door_visits.csv")
    checks = assess(panel, levers={"outreach": "counselors_trained"})
    assert checks.can("signup.outreach") and checks.levers() == ["publicity", "stipend", "outreach"]
    missing = assess(panel.drop(columns=["counselors_trained"]), levers={"outreach": "counselors_trained"})
    assert "counselors_trained" in missing.get("signup.outreach").en


# --- notebooks 05 (allowance reforms) and 06 (planning) on thin data --------------------------

PLANNING = ("05_stipend_reforms", "06_planning")


@pytest.fixture(scope="module")
def planning_inputs(tmp_path_factory, sample):
    """Small office-like panels (no data_source column, names without 模拟) for the two notebooks."""
    panel = sample[0]
    d = tmp_path_factory.mktemp("planning")
    real = panel.drop(columns=["data_source"])
    for col in ("province", "city", "district"):
        real[col] = real[col].str.replace("模拟", "城东", regex=False)
    names = real["district"].unique()
    real[real["district"].isin(names[:10]) & (real["year"] >= 2019)].to_csv(d / "real.csv", index=False)
    few = real[real["district"].isin(names[:6]) & (real["year"] >= 2019)]
    few.drop(columns=["door_visits"]).to_csv(d / "no_door_visits.csv", index=False)
    real[real["district"].isin(names[:3]) & (real["year"] >= 2019)].to_csv(d / "three_districts.csv", index=False)
    real[real["district"].isin(names[:8]) & (real["year"] == 2025)].to_csv(d / "one_year.csv", index=False)
    return d


def _planning_run(out: Path, data: Path, capsys) -> tuple[dict, dict[str, str], dict[str, str]]:
    """Run both notebooks; check what every case shares; return run.json, the outputs' text and the HTML."""
    assert _run(out, "--data", str(data), "--only", *PLANNING, "--no-brief") == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert isinstance(run["skipped"], list) and all(s["reason"] for s in run["skipped"])
    assert not set(PLANNING) & {s["analysis"] for s in run["skipped"]}  # no notebook failed, even in part
    text, html = {}, {}
    for name in PLANNING:
        raw = (out / f"{name}.ipynb").read_text(encoding="utf-8")
        assert '"output_type": "error"' not in raw and "could not be completed" not in raw and "未能完成" not in raw
        assert "Traceback" not in raw
        text[name] = "\n".join(_text_outputs(out / f"{name}.ipynb"))
        html[name] = (out / f"{name}.html").read_text(encoding="utf-8")
        assert _offline(html[name])
    return run, text, html


def _notes(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if "recruitstats-note" in c.metadata.get("tags", [])]


def _real(run: dict, html: dict[str, str]) -> None:
    """Office data are never called synthetic and carry no truth."""
    assert run["synthetic"] is False
    for page in html.values():
        assert "SYNTHETIC" not in page and "以上数字来自模拟数据" not in page and "模拟市" not in page
        assert "true carry-over" not in page and "true ATT" not in page


def test_planning_notebooks_on_the_sample_show_everything(tmp_path, capsys):
    out = tmp_path / "r"
    run, text, _ = _planning_run(out, SAMPLE, capsys)
    assert run["synthetic"] is True
    assert not [s for s in run["skipped"] if s["analysis"].startswith(("reforms", "planning"))]
    assert not _notes(out / "05_stipend_reforms.ipynb") and not _notes(out / "06_planning.ipynb")
    reforms, planning = text["05_stipend_reforms"], text["06_planning"]
    assert "ATT:dynamic" in reforms and "naive TWFE" in reforms and "pre-trend test" in reforms
    assert "true ATT" in reforms and "SYNTHETIC" in reforms  # the demonstration with known effects
    assert "--- log" in planning and "--- hill" in planning and "true carry-over (simulation): 0" in planning
    assert "情景" in planning and "预算分配" in planning and "入户动员" in planning and "SYNTHETIC" in planning


def test_planning_notebooks_on_a_real_panel_do_not_call_it_synthetic(planning_inputs, tmp_path, capsys):
    out = tmp_path / "r"
    run, text, html = _planning_run(out, planning_inputs / "real.csv", capsys)
    _real(run, html)
    assert [s["analysis"] for s in run["skipped"]] == ["survival"]
    assert "ATT:dynamic" in text["05_stipend_reforms"] and "--- hill" in text["06_planning"]
    assert "预算分配" in text["06_planning"] and "城东市1" in text["06_planning"]


def test_planning_notebooks_without_door_visits(planning_inputs, tmp_path, capsys):
    out = tmp_path / "r"
    run, text, html = _planning_run(out, planning_inputs / "no_door_visits.csv", capsys)
    _real(run, html)
    skipped = {s["analysis"]: s["reason"] for s in run["skipped"]}
    assert "signup.outreach" in skipped and "planning.adstock" not in skipped  # carry-over without door visits
    planning = text["06_planning"]
    assert "预算分配" in planning and "宣传经费" in planning and "入户动员" not in planning.split("预算分配")[1]
    assert "情景" in planning and "ATT:dynamic" in text["05_stipend_reforms"]


def test_planning_notebooks_on_three_districts(planning_inputs, tmp_path, capsys):
    out = tmp_path / "r"
    run, text, _ = _planning_run(out, planning_inputs / "three_districts.csv", capsys)
    assert "planning.adstock.hill" in {s["analysis"] for s in run["skipped"]}
    assert {"signup.inference", "reforms.inference"} <= {n["analysis"] for n in run["notes"]}
    assert "只有 3 个区县" in text["05_stipend_reforms"] and "ATT" in text["05_stipend_reforms"]
    assert "--- log" in text["06_planning"] and "--- hill" not in text["06_planning"]
    assert "希尔（Hill）" in text["06_planning"] and "预算分配" in text["06_planning"]


def test_planning_notebooks_on_a_single_year_say_there_is_no_reform(planning_inputs, tmp_path, capsys):
    out = tmp_path / "r"
    run, text, html = _planning_run(out, planning_inputs / "one_year.csv", capsys)
    _real(run, html)
    skipped = {s["analysis"]: s for s in run["skipped"]}
    assert {"reforms", "planning.adstock"} <= set(skipped)
    assert "2025" in skipped["reforms"]["reason_en"] and "no reform" in skipped["reforms"]["reason_en"]
    assert _notes(out / "05_stipend_reforms.ipynb") == ["**未做：** " + skipped["reforms"]["reason"]]
    assert "ATT" not in text["05_stipend_reforms"] and skipped["reforms"]["reason"] in html["05_stipend_reforms"]
    assert "预算分配" in text["06_planning"]


def test_scorecard_reads_the_project_config_of_the_working_folder(tmp_path, monkeypatch, capsys):
    from importlib import resources

    project = tmp_path / "project"
    (project / "schemes").mkdir(parents=True)
    scheme = resources.files("recruitstats").joinpath("data/scorecard_default.toml").read_text("utf-8")
    (project / "schemes" / "city.toml").write_text(scheme.replace('name = "default"', 'name = "city"'), "utf-8")
    (project / "recruitstats.toml").write_text('threshold = 9\nscorecard = "schemes/city.toml"\n', "utf-8")
    monkeypatch.chdir(project)  # no --config: ./recruitstats.toml
    assert main(["scorecard", "--data", str(SAMPLE / "panel.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threshold"] == 9 and out["scheme"] == "city"
    monkeypatch.chdir(tmp_path)  # the scheme path is read from the config's folder, not the working one
    assert main(["scorecard", "--data", str(SAMPLE / "panel.csv"), "--config", "project/recruitstats.toml",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scheme"] == "city"
    assert main(["scorecard", "--data", str(SAMPLE / "panel.csv"), "--json"]) == 0  # no config here: defaults
    out = json.loads(capsys.readouterr().out)
    assert out["threshold"] == 5 and out["scheme"] == "default"
    # a --scheme path given on the command line is read from the working folder
    assert main(["scorecard", "--data", str(SAMPLE / "panel.csv"), "--config", "project/recruitstats.toml",
                 "--scheme", "schemes/city.toml", "--json"]) == 2
    assert "scheme not found" in capsys.readouterr().err
