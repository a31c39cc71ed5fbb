"""`recruitstats run`: parameters injected, outputs written only when every notebook succeeds."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from recruitstats.cli import main
from recruitstats.errors import InputError
from recruitstats.pipeline import data_files


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('DATA_DIR = "../data/sample"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture
def workspace(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "panel.csv").write_text("district,year,half\nA,2021,1\n", encoding="utf-8")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    return tmp_path, data, nbs


def test_run_injects_data_dir_and_writes_reports(workspace):
    tmp, data, nbs = workspace
    _notebook(nbs / "01_a.ipynb", "from pathlib import Path\nprint(sorted(p.name for p in Path(DATA_DIR).iterdir()))")
    out = tmp / "reports"
    assert main(["run", "--data", str(data), "--out", str(out), "--notebooks", str(nbs)]) == 0
    assert {p.name for p in out.iterdir()} == {"01_a.ipynb", "01_a.html", "run.json"}
    executed = nbformat.read(out / "01_a.ipynb", as_version=4)
    assert "panel.csv" in executed.cells[-1].outputs[0]["text"]


def test_failed_notebook_writes_nothing(workspace, capsys):
    tmp, data, nbs = workspace
    _notebook(nbs / "01_ok.ipynb", "x = 1")
    _notebook(nbs / "02_bad.ipynb", "raise ValueError('boom')")
    out = tmp / "reports"
    assert main(["run", "--data", str(data), "--out", str(out), "--notebooks", str(nbs)]) == 2
    assert not out.exists()
    assert "02_bad.ipynb failed" in capsys.readouterr().err
    assert not list(tmp.glob(".recruitstats-run-*"))


def test_data_files_prefers_the_processed_store(tmp_path):
    (tmp_path / "processed").mkdir()
    (tmp_path / "processed" / "panel.parquet").write_bytes(b"")
    (tmp_path / "panel.csv").write_text("x")
    assert data_files(tmp_path).panel == tmp_path / "processed" / "panel.parquet"
    with pytest.raises(InputError, match="not found"):
        data_files(tmp_path / "processed" / "empty")


def test_missing_data_folder_exits_2(tmp_path, capsys):
    assert main(["run", "--data", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]) == 2
    assert "not found" in capsys.readouterr().err


def test_notebooks_needing_recruits_are_skipped_without_them(workspace):
    import json

    tmp, data, nbs = workspace
    _notebook(nbs / "01_panel.ipynb", "x = 1")
    _notebook(nbs / "02_recruits.ipynb", "raise RuntimeError('should not run')")
    nb = nbformat.read(nbs / "02_recruits.ipynb", as_version=4)
    nb.metadata["recruitstats"] = {"needs": ["recruits"]}
    nbformat.write(nb, nbs / "02_recruits.ipynb")
    out = tmp / "reports"
    assert main(["run", "--data", str(data), "--out", str(out), "--notebooks", str(nbs)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["notebooks"] == ["01_panel.ipynb"] and "02_recruits.ipynb" in run["skipped"]
