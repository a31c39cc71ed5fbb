"""`recruitstats run`: parameters injected, analyses guarded, failures recorded, outputs written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.pipeline import _progress, data_files, export_html

PANEL = "district,year,half,applicants,eligible_youth\nA,2021,1,10,100\nB,2021,1,12,90\n"


def _notebook(path: Path, *bodies: str, tags: dict[int, list[str]] | None = None, needs=None) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('DATA_DIR = "../data/sample"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# Title of {path.stem}"), params]
    for i, body in enumerate(bodies):
        cell = nbformat.v4.new_code_cell(body)
        cell.metadata["tags"] = (tags or {}).get(i, [])
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if needs:
        nb.metadata["recruitstats"] = {"needs": needs}
    nbformat.write(nb, path)


@pytest.fixture
def workspace(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "panel.csv").write_text(PANEL, encoding="utf-8")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    return tmp_path, data, nbs


def _run(tmp, data, nbs, *extra) -> int:
    return main(["run", "--data", str(data), "--out", str(tmp / "reports"), "--notebooks", str(nbs), *extra])


def test_run_injects_parameters_and_writes_reports(workspace, monkeypatch):
    tmp, data, nbs = workspace
    monkeypatch.chdir(tmp)  # ./recruitstats.toml is read when no --config is given
    (tmp / "recruitstats.toml").write_text("threshold = 7\nlanguages = ['en']\n", encoding="utf-8")
    _notebook(nbs / "01_a.ipynb", "import pandas as pd\nprint(sorted(p.name for p in Path(DATA_DIR).iterdir()), "
              "len(pd.read_parquet(Path(DATA_DIR) / 'panel.parquet')), CONFIG, LANG)".replace(
                  "import pandas", "from pathlib import Path\nimport pandas"))
    assert _run(tmp, data, nbs) == 0
    out = tmp / "reports"
    assert {p.name for p in out.iterdir()} == {"01_a.ipynb", "01_a.html", "run.json", "run.log"}
    executed = nbformat.read(out / "01_a.ipynb", as_version=4)
    config = (tmp / "recruitstats.toml").resolve()
    assert executed.cells[-1].outputs[0]["text"].strip() == f"['panel.parquet'] 2 {config} en"
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["data"] == [str(data.resolve())] and run["notebooks"] == ["01_a.ipynb"]
    assert isinstance(run["skipped"], list) and run["synthetic"] is False and run["config"]["threshold"] == 7
    assert not list(tmp.glob(".recruitstats-run-*"))


def test_a_failing_notebook_is_recorded_as_skipped_and_the_run_goes_on(workspace, capsys):
    tmp, data, nbs = workspace
    _notebook(nbs / "01_bad.ipynb", "raise ValueError('boom')")
    _notebook(nbs / "02_ok.ipynb", "print('fine')")
    assert _run(tmp, data, nbs) == 0
    run = json.loads((tmp / "reports" / "run.json").read_text(encoding="utf-8"))
    failed = [s for s in run["skipped"] if s["analysis"] == "01_bad"]
    # readers get one sentence naming the exception's type; the full text is only in run.log
    assert failed and "ValueError" in failed[0]["reason"] and "boom" not in failed[0]["reason"]
    assert "意外错误（ValueError）" in failed[0]["reason_zh"] and "unexpected" in failed[0]["reason_en"]
    err = capsys.readouterr().err
    assert "ValueError" in err and "boom" not in err
    assert "ValueError: boom" in (tmp / "reports" / "run.log").read_text(encoding="utf-8")
    html = (tmp / "reports" / "01_bad.html").read_text(encoding="utf-8")
    assert "ValueError" in html and "boom" not in html and "Traceback" not in html
    assert nbformat.read(tmp / "reports" / "02_ok.ipynb", as_version=4).cells[-1].outputs[0]["text"] == "fine\n"


def test_cells_of_an_analysis_the_data_cannot_support_are_replaced_by_the_reason(workspace):
    tmp, data, nbs = workspace
    _notebook(nbs / "01_guarded.ipynb", "print('panel work')", "raise RuntimeError('needs recruits')",
              "raise RuntimeError('truth only')", tags={1: ["needs:survival"], 2: ["needs:truth"]})
    _notebook(nbs / "02_recruits.ipynb", "raise RuntimeError('should not run')", needs=["recruits"])
    cfg = tmp / "en.toml"
    cfg.write_text('languages = ["en"]\n', encoding="utf-8")
    assert _run(tmp, data, nbs, "--config", str(cfg)) == 0
    out = tmp / "reports"
    nb = nbformat.read(out / "01_guarded.ipynb", as_version=4)
    notes = [c.source for c in nb.cells if "recruitstats-note" in c.metadata.get("tags", [])]
    assert len(notes) == 1 and "no recruit records" in notes[0]
    assert not any("RuntimeError" in c.source for c in nb.cells if c.cell_type == "code")
    stub = (out / "02_recruits.html").read_text(encoding="utf-8")
    assert "no recruit records" in stub and "Title of 02_recruits" in stub and '<html lang="en">' in stub
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert {"survival", "02_recruits"} <= {s["analysis"] for s in run["skipped"]}
    assert run["config"]["source"] == str(cfg.resolve())
    assert "no recruit records" in (out / "run.log").read_text(encoding="utf-8")


def test_html_is_offline_titled_and_without_code():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 报名效果\n\ntext $x^2$"), nbformat.v4.new_code_cell("secret_code = 1")]
    html = export_html(nb, title="报名效果", lang="zh")
    assert "<title>报名效果 (中文)</title>" in html and '<html lang="zh">' in html
    assert "secret_code" not in html
    assert "<script src" not in html and "https://" not in html and "http://" not in html
    assert not [m for m in __import__("re").findall(r'(?:src|href)="([^"]+)"', html) if m.startswith("http")]


def test_data_files_prefers_the_processed_store(tmp_path):
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "panel.parquet").write_bytes(b"")
    (tmp_path / "panel.csv").write_text("x")
    assert data_files(tmp_path).panel == tmp_path / "processed" / "panel.parquet"
    with pytest.raises(InputError, match="not found"):
        data_files(tmp_path / "processed" / "empty")


def test_missing_data_exits_2_and_writes_nothing(tmp_path, capsys):
    assert main(["run", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not list(tmp_path.glob(".recruitstats-run-*"))


def test_progress_bar_is_quiet_when_stderr_is_not_a_terminal(capsys):
    with _progress(2, None) as bar:  # pytest captures stderr: not a terminal
        bar.update(2)
    assert bar.disable and capsys.readouterr().err == ""
    with _progress(2, True) as bar:
        bar.update(2)
    assert "2/2" in capsys.readouterr().err


def test_run_writes_the_brief_beside_the_reports(tmp_path):
    """make report's promise: the bundled data give the six brief files and the tables workbook."""
    from recruitstats.cli import main

    out = tmp_path / "reports"
    assert main(["run", "--data", "data/sample", "--out", str(out), "--only", "brief"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {f"brief.{lang}.{f}" for lang in ("zh", "en") for f in ("html", "pdf", "docx")} <= names
    assert "tables.xlsx" in names and not any(n.endswith(".ipynb") for n in names)
    assert "模拟数据" in (out / "brief.zh.html").read_text(encoding="utf-8")


def test_a_cell_failing_on_bad_data_is_said_by_its_problems_in_the_report_language(workspace):
    tmp, data, nbs = workspace
    (tmp / "zh.toml").write_text("languages = ['zh']\n", encoding="utf-8")
    _notebook(nbs / "01_thin.ipynb", "from recruitstats.errors import InputError, Problem\n"
              "raise InputError([Problem('no comparison group', column='cohort')])", "print('after')")
    assert _run(tmp, data, nbs, "--config", str(tmp / "zh.toml")) == 0
    run = json.loads((tmp / "reports" / "run.json").read_text(encoding="utf-8"))
    reason = next(s for s in run["skipped"] if s["analysis"] == "01_thin")
    assert reason["reason"] == "01_thin.ipynb: 数据不支持此部分。cohort 列：no comparison group。"
    assert reason["reason_en"] == ("01_thin.ipynb: the data do not support this part. "
                                   "column cohort: no comparison group.")
    html = (tmp / "reports" / "01_thin.html").read_text(encoding="utf-8")
    assert "此部分未能完成" in html and "cohort 列：no comparison group" in html
    assert "InputError" not in html and "&lt;data&gt;" not in html and ": error: " not in html
    assert "InputError: <data>: column 'cohort': error: no comparison group" in (
        tmp / "reports" / "run.log").read_text(encoding="utf-8")


def test_cell_error_reads_input_errors_in_either_language():
    from recruitstats.errors import Problem, language
    from recruitstats.pipeline import cell_error

    problems = [Problem("no comparison group", column="cohort"), Problem("too few rows", expected="10")]
    for lang in ("en", "zh"):
        with language(lang):
            text = str(InputError(problems))
        error = cell_error("InputError", text)
        assert error.sentence_en == ("the data do not support this part. column cohort: no comparison group; "
                                     + ("too few rows (expected 10)." if lang == "en" else "too few rows（应为：10）."))
        assert error.detail == "InputError: " + text
    assert cell_error("KeyError", "'x'").sentence_zh == "程序出现意外错误（KeyError），详细信息已写入 run.log，请告知维护人员。"
    assert cell_error("InputError", "no located problem").sentence_en.startswith("an unexpected error (InputError)")
