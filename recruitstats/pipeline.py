"""Rerun everything with one command: execute the notebooks on a data folder, write ``reports/``.

Each notebook has a cell tagged ``parameters`` (``DATA_DIR = "../data/sample"``);
the run inserts a cell after it that points ``DATA_DIR`` at the data given, runs
the notebook top to bottom in the ``notebooks/`` folder, and writes the executed
notebook and its HTML export. Outputs are first written to a temporary folder
beside the destination and moved into place only when every notebook has run,
so a failed run never leaves half a report.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recruitstats import __version__
from recruitstats.errors import InputError

__all__ = ["DataFiles", "data_files", "run_notebooks", "NotebookFailed"]

_TABLE_SUFFIXES = (".parquet", ".csv", ".xlsx")


@dataclass(frozen=True)
class DataFiles:
    """Where the panel, recruit records and (for synthetic data) the truth live in a data folder."""

    panel: Path
    recruits: Path | None
    truth: Path | None


def _first(folder: Path, stem: str) -> Path | None:
    for suffix in _TABLE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def data_files(path: str | os.PathLike) -> DataFiles:
    """Find the data in a folder: an ingest store (``processed/panel.parquet``) or ``panel.csv`` and friends.

    A single file is taken as the panel.
    """
    path = Path(path)
    if path.is_file():
        return DataFiles(path, None, None)
    if not path.is_dir():
        raise InputError(f"data folder not found: {path}", file=str(path))
    for folder in (path / "processed", path):
        panel = _first(folder, "panel")
        if panel is not None:
            truth = folder / "truth.json" if (folder / "truth.json").is_file() else None
            return DataFiles(panel, _first(folder, "recruits"), truth)
    raise InputError(f"no panel.parquet, panel.csv or panel.xlsx in {path} (or its processed/ folder)",
                     file=str(path))


class NotebookFailed(RuntimeError):
    """A notebook raised an error while running; the message names the notebook and the cell."""


def _inject(nb, parameters: dict) -> None:
    import nbformat

    lines = [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell("# Parameters injected by `recruitstats run`\n" + "\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells.insert(at, cell)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _needs(path: Path) -> list[str]:
    """What a notebook needs beyond the panel (``metadata.recruitstats.needs``, e.g. ["recruits"])."""
    meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    return list(meta.get("recruitstats", {}).get("needs", []))


def default_notebooks() -> Path:
    """The repository's ``notebooks/`` folder when the package is installed from a checkout, else ./notebooks."""
    repo = Path(__file__).resolve().parents[1] / "notebooks"
    return repo if repo.is_dir() else Path("notebooks")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        data = f.read_bytes()
        rel = f.relative_to(path).as_posix() if path.is_dir() else f.name
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def run_notebooks(
    *,
    data: str | os.PathLike,
    out: str | os.PathLike,
    notebooks: str | os.PathLike | None = None,
    timeout: int = 900,
    only: list[str] | None = None,
) -> list[Path]:
    """Execute every notebook in ``notebooks`` on ``data`` and write executed copies and HTML to ``out``.

    Notebooks whose metadata say they need recruit records are skipped (and listed
    in ``run.json``) when the data have none. Returns the files written. Raises :class:`NotebookFailed` if a notebook fails
    (nothing is written then) and :class:`InputError` if the data folder is unusable.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    nb_dir = Path(notebooks or default_notebooks()).resolve()
    data_path = Path(data).resolve()
    found = data_files(data_path)  # fail early with a clear message
    paths = sorted(nb_dir.glob("*.ipynb"))
    if only:
        paths = [p for p in paths if p.stem in only or p.name in only]
    if not paths:
        raise InputError(f"no notebooks found in {nb_dir}", file=str(nb_dir))
    skipped = [p for p in paths if "recruits" in _needs(p) and found.recruits is None]
    paths = [p for p in paths if p not in skipped]
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".recruitstats-run-", dir=out.parent))
    try:
        exporter = HTMLExporter()
        written = []
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            _inject(nb, {"DATA_DIR": str(data_path)})
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(nb_dir)}})
            try:
                client.execute()
            except CellExecutionError as exc:
                lines = [ln for ln in _ANSI.sub("", str(exc)).strip().splitlines() if ln.strip()]
                raise NotebookFailed(f"{path.name} failed: {lines[-1] if lines else 'an error'}") from None
            nbformat.write(nb, staging / path.name)
            html, _ = exporter.from_notebook_node(nb)
            (staging / f"{path.stem}.html").write_text(html, encoding="utf-8")
            written += [path.name, f"{path.stem}.html"]
        manifest = {"recruitstats_version": __version__, "data": str(data_path),
                    "data_sha256": _digest(data_path), "notebooks": [p.name for p in paths],
                    "skipped": {p.name: "no recruit records in the data" for p in skipped},
                    "outputs": written}
        (staging / "run.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        written.append("run.json")
        out.mkdir(parents=True, exist_ok=True)
        for name in written:
            os.replace(staging / name, out / name)
        return [out / name for name in written]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
