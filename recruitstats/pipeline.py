"""Rerun everything with one command: execute the notebooks on the data, write ``reports/``.

``recruitstats run --data PATH... --out DIR`` reads every data path given (ingest
stores, data folders, panel files, recruit-record files), combines them into one
canonical panel and one set of recruit records (refusing a district and cycle
given twice), and checks once what each analysis needs
(:func:`recruitstats.requirements.assess`). Each notebook in ``notebooks/`` (in
name order) then runs in a temporary folder with ``DATA_DIR = "data"`` (the
combined tables as parquet), ``CONFIG`` (the project configuration file or None)
and ``LANG`` (the report language) injected after its ``parameters`` cell:

- a notebook whose ``metadata.recruitstats.needs`` lists an analysis the data
  cannot support is not executed; its report says why in a sentence;
- a cell tagged ``needs:<analysis>`` is replaced by that sentence when the
  analysis cannot run; a cell tagged ``synthetic-only`` is dropped for real data;
- a notebook that fails anyway is reported as skipped with the error's last line.

Every reason is printed, written to ``run.log`` and to ``run.json``'s ``skipped``
list. Reports are HTML without code cells and without any script or link to the
internet (offices read them on offline intranets). Outputs are written to a
temporary folder beside the destination and moved into place at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from recruitstats import __version__
from recruitstats.errors import InputError, Problem

__all__ = ["DataFiles", "data_files", "combine_data", "CombinedData", "run_notebooks", "NotebookFailed",
           "export_html", "RunResult"]

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


# --- combining several data paths ------------------------------------------------------

@dataclass
class CombinedData:
    """The panel and recruit records of every ``--data`` path, combined."""

    panel: pd.DataFrame
    recruits: pd.DataFrame | None
    synthetic: bool
    truth: Path | None
    sources: list[str]
    warnings: list[Problem] = field(default_factory=list)


def _read(path: Path, kind: str | None):
    from recruitstats.io.readers import read_table

    result = read_table(path, kind=kind)
    if kind is None and result.kind == "panel" and {"recruit_id", "enlist_date"} & set(result.data):
        result = read_table(path, kind="recruits")
    result.raise_for_errors()
    return result


def _results_of(path: Path) -> tuple[list, Path | None]:
    """Read results of one ``--data`` path (a folder: its panel and recruits; a file: whichever it holds)."""
    if path.is_dir():
        found = data_files(path)
        results = [_read(found.panel, "panel")]
        if found.recruits is not None:
            results.append(_read(found.recruits, "recruits"))
        return results, found.truth
    if not path.exists():
        raise InputError("no such file or folder", file=str(path))
    return [_read(path, None)], None


def _key_text(key: tuple, keys: list[str]) -> str:
    values = dict(zip(keys, key))
    if "year" in values and "half" in values:
        half = {1: "H1", 2: "H2"}.get(int(values["half"]), str(values["half"])) if values["half"] == values["half"] else "?"
        return f"{values[keys[0]]} {int(values['year'])}{half}"
    return " ".join(str(v) for v in key)


def _refuse_duplicates(frames: list[pd.DataFrame], sources: list[str], keys: list[str], what: str) -> None:
    """One line per pair of files that share rows: how many, and the first few."""
    both = pd.concat([f[keys].assign(_source=s) for f, s in zip(frames, sources)], ignore_index=True)
    dup = both[both.duplicated(keys, keep=False)]
    if dup.empty:
        return
    files = dup.groupby(keys, sort=True, dropna=False)["_source"].agg(lambda s: tuple(dict.fromkeys(s)))
    label = {}  # district code -> "name (code)", so a reader sees which district, not only its code
    if keys[0] == "district_code":
        named = pd.concat([f[["district_code", "district"]] for f in frames if "district" in f], ignore_index=True)
        label = {c: f"{n} ({c})" for c, n in zip(named["district_code"], named["district"])
                 if pd.notna(n) and str(n) != str(c)}
    problems = []
    for names, group in files.groupby(files, sort=False):
        shown = ", ".join(_key_text((label.get(k[0], k[0]), *k[1:]), keys) for k in group.index[:5]) \
            + (", ..." if len(group) > 5 else "")
        where = " and ".join(names) if len(names) > 1 else f"{names[0]} (twice)"
        problems.append(Problem(f"{len(group)} {what}(s) given more than once, in {where}: {shown}; keep one row "
                                f"each / {len(group)} 个{_ZH_WHAT.get(what, what)}重复出现，请各保留一行",
                                file=names[0]))
    raise InputError(problems)


_ZH_WHAT = {"district and cycle": "区县批次", "recruit": "新兵编号"}


def _concat(results: list, keys: list[str], what: str) -> pd.DataFrame | None:
    if not results:
        return None
    frames = [r.data for r in results]
    key_cols = [k for k in keys if all(k in f for f in frames)]
    if len(frames) > 1 and key_cols:
        _refuse_duplicates(frames, [r.source for r in results], key_cols, what)
    out = pd.concat(frames, ignore_index=True, sort=False)
    out.attrs = {}
    return out


def combine_data(paths: list[str | os.PathLike]) -> CombinedData:
    """Read and combine every ``--data`` path: stores, data folders, panel files and recruit files.

    Panels are stacked (last year's file and this year's); a district and cycle given
    twice is refused, naming both files. Recruit records are stacked the same way
    (a recruit id given twice is refused). Raises :class:`InputError` for unreadable
    or invalid input; the combined panel has no rows only when every file is empty.
    """
    results, truths = [], []
    for path in paths:
        got, truth = _results_of(Path(path))
        results += got
        truths.append(truth)
    panels = [r for r in results if r.kind == "panel"]
    recruits = [r for r in results if r.kind == "recruits"]
    if not panels:
        raise InputError([Problem("no panel among the data given (only recruit records); add the panel file "
                                  "/ 未提供面板数据（每区县每批次一行）", file=", ".join(map(str, paths)))])
    coded = all("district_code" in r.data and r.data["district_code"].notna().all() for r in panels)
    panel = _concat(panels, ["district_code" if coded else "district", "year", "half"], "district and cycle")
    if all(len(r.data) == 0 for r in panels):
        raise InputError([Problem("no data rows: the panel is empty (a blank template?); fill in at least one "
                                  "district and cycle / 没有数据行：面板为空（空白模板？），请至少填写一个区县和批次",
                                  file=r.source) for r in panels])
    rec = _concat(recruits, ["recruit_id"], "recruit")
    synthetic = all(r.synthetic or _labelled(r.data) for r in results)
    truth = next((t for t in truths if t is not None), None) if synthetic and len(set(truths) - {None}) == 1 else None
    warnings = [p for r in results for p in r.warnings]
    return CombinedData(panel, rec, synthetic, truth, [r.source for r in results], warnings)


def _labelled(df: pd.DataFrame) -> bool:
    from recruitstats.schema import SYNTHETIC_LABEL

    return "data_source" in df and len(df) > 0 and df["data_source"].astype(str).eq(SYNTHETIC_LABEL).all()


def _write_data(data: CombinedData, folder: Path) -> None:
    """The combined tables as parquet (canonical columns; pseudonymised ids only) for the notebooks."""
    from recruitstats.schema import SYNTHETIC_LABEL

    folder.mkdir(parents=True)
    for name, df in (("panel", data.panel), ("recruits", data.recruits)):
        if df is not None:
            df = _parquet_safe(df)
            # the parquet reader calls data synthetic when its attrs say so: never for real data
            df.attrs = {"label": SYNTHETIC_LABEL} if data.synthetic else {}
            df.to_parquet(folder / f"{name}.parquet", index=False)
    if data.truth is not None:
        shutil.copyfile(data.truth, folder / "truth.json")


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Text for object columns holding mixed values (extra columns kept as written), so parquet can store them."""
    out = df.copy()
    for col in out.columns[out.dtypes == object]:
        kinds = {type(v) for v in out[col].dropna()}
        if len(kinds) > 1 or (kinds and not kinds <= {str}):
            out[col] = out[col].map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v))
    return out


# --- preparing and executing one notebook --------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LEGACY_NEEDS = {"recruits": "survival"}


def _needs(nb) -> list[str]:
    """Analyses a notebook needs as a whole (``metadata.recruitstats.needs``, e.g. ["survival"])."""
    needs = nb.metadata.get("recruitstats", {}).get("needs", [])
    return [_LEGACY_NEEDS.get(n, n) for n in needs]


def _title(nb, default: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


_NOT_DONE = {"zh": "**未做：** ", "en": "**Not estimated:** "}
_FAILED = {"zh": "本报告未能完成，以下为出错信息的最后一行（请将其告知维护人员）：",
           "en": "This report could not be completed; the last line of the error (tell the maintainers):"}
_LANG_NAME = {"zh": "中文", "en": "English"}


def _note_cell(text: str):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = ["recruitstats-note"]
    return cell


def _guard_cells(nb, checks, lang: str, synthetic: bool) -> None:
    """Replace cells of analyses the data cannot support by one sentence each; drop synthetic-only cells."""
    cells, said = [], set()
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "synthetic-only" in tags and not synthetic:
            continue
        blocked = [t[6:] for t in tags if t.startswith("needs:") and not checks.can(t[6:])]
        if not blocked:
            cells.append(cell)
            continue
        for analysis in blocked:
            top = _blocking(checks, analysis)
            if top.analysis != "truth" and top.analysis not in said:  # real data simply have no truth
                said.add(top.analysis)
                cells.append(_note_cell(_NOT_DONE[lang] + top.reason(lang)))
    nb.cells = cells


def _blocking(checks, analysis: str):
    """The check that stops ``analysis`` (itself or the analysis it belongs to)."""
    parts = analysis.split(".")
    for i in range(1, len(parts) + 1):
        check = checks.get(".".join(parts[:i]))
        if not check.runs:
            return check
    return checks.get(analysis)


def _stub(nb, lines: list[str], lang: str):
    """A report that says, in a sentence each, why the notebook was not run."""
    import nbformat

    stub = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    title = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("#")), None)
    stub.cells = ([nbformat.v4.new_markdown_cell(title.source.strip().splitlines()[0])] if title else [])
    stub.cells += [_note_cell("\n".join(lines))]
    return stub


def _inject(nb, parameters: dict) -> None:
    import nbformat

    lines = [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell("# Parameters injected by `recruitstats run`\n" + "\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), 0)
    nb.cells.insert(at, cell)


_CELL_FAILED = {"zh": "**此部分未能完成：** ", "en": "**This part could not be completed:** "}
_UNEXPECTED = {"zh": "程序出现意外错误（{name}），详细信息已写入 run.log，请告知维护人员。",
               "en": "an unexpected error ({name}); the details are in run.log for the maintainers."}
_BAD_DATA = {"zh": "数据不支持此部分。{what}。", "en": "the data do not support this part. {what}."}
_IN_COLUMN = {"zh": "{column} 列：", "en": "column {column}: "}
# one line of InputError's text: "<file>: [row N: ][column 'x': ]error: message", in either language
_PROBLEM_LINE = re.compile(r"(?:^|: |：)(?:error|错误)(?:: |：)(?P<message>.*)$")
_PROBLEM_COLUMN = re.compile(r"column '(?P<en>[^']*)'|列“(?P<zh>[^”]*)”")


@dataclass(frozen=True)
class CellError:
    """A failed cell, said once for readers (``sentence_zh``/``sentence_en``) and once in full (``detail``)."""

    sentence_zh: str
    sentence_en: str
    detail: str

    def sentence(self, lang: str) -> str:
        return self.sentence_zh if lang == "zh" else self.sentence_en


def _input_error_messages(evalue: str) -> list[str]:
    """The problems' messages (with their column) from an InputError's text, errors only."""
    messages = []
    for line in evalue.splitlines():
        found = _PROBLEM_LINE.search(line)
        if found is None:
            continue
        column = _PROBLEM_COLUMN.search(line[:found.start()])
        messages.append((found["message"].strip(), (column["en"] or column["zh"]) if column else ""))
    return messages


def _error_sentence(ename: str, evalue: str, lang: str) -> str:
    """One readable sentence for a failed cell: the data's problems for an InputError, else a generic one."""
    problems = _input_error_messages(evalue) if ename == "InputError" else []
    if not problems:
        return _UNEXPECTED[lang].format(name=ename)
    parts = [(_IN_COLUMN[lang].format(column=col) if col and col not in msg else "") + msg.rstrip(".。")
             for msg, col in dict.fromkeys(problems)]
    return _BAD_DATA[lang].format(what=("；" if lang == "zh" else "; ").join(parts))


def cell_error(ename: str, evalue: str) -> CellError:
    """A failed cell's error (the exception's name and text) as readers' sentences and the full detail."""
    ename, evalue = _ANSI.sub("", ename or "Error"), _ANSI.sub("", evalue or "")
    return CellError(_error_sentence(ename, evalue, "zh"), _error_sentence(ename, evalue, "en"),
                     f"{ename}: {evalue}".strip())


def _execute(nb, workdir: Path, timeout: int, lang: str = "en") -> tuple[CellError | None, str | None]:
    """Run the notebook in ``workdir``, going on after a failing cell.

    Returns ``(first_error, fatal)``: the first failing cell's :class:`CellError` (its traceback
    replaced in the notebook by a sentence, as are the cells that failed after it), and
    the reason when the kernel itself died or timed out (then nothing is usable).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter is not for readers
    except (DeadKernelError, TimeoutError, RuntimeError) as exc:
        text = str(exc).strip().splitlines()
        return None, f"{type(exc).__name__}: {_ANSI.sub('', text[-1]) if text else ''}"
    return _replace_errors(nb, lang), None


def _replace_errors(nb, lang: str) -> CellError | None:
    """Tracebacks are for developers: each error output becomes one sentence in ``lang``; returns the first.

    An :class:`InputError` is said by its problems' messages; any other exception by a
    generic sentence naming its type. The full text is kept in the returned ``detail``
    (for run.log), never in the report.
    """
    import nbformat

    first = None
    for cell in nb.cells:
        for j, out in enumerate(cell.get("outputs", [])):
            if out.get("output_type") != "error":
                continue
            error = cell_error(out.get("ename", "Error"), out.get("evalue", ""))
            first = first or error
            said = error.sentence(lang)
            cell.outputs[j] = nbformat.v4.new_output(
                "display_data", data={"text/markdown": _CELL_FAILED[lang] + said,
                                      "text/plain": _CELL_FAILED[lang].replace("*", "") + said})
    return first


_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def export_html(nb, *, title: str, lang: str = "zh") -> str:
    """HTML for offline readers: no code cells or prompts, no script or link to the internet, titled.

    The JupyterLab template without its require.js, MathJax, mermaid and widget
    scripts (all loaded from a CDN); images and styles are inline.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", template_file="offline.html.j2",
                            extra_loaders=[DictLoader({"offline.html.j2": _OFFLINE_TEMPLATE})],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            language_code=lang, embed_images=True)
    nb.metadata["title"] = f"{title} ({_LANG_NAME.get(lang, lang)})"
    html, _ = exporter.from_notebook_node(nb)
    return _STYLE.sub(lambda m: _CSS_COMMENT.sub("", m.group(0)), html)


# the template's style sheets credit their sources in comments with web addresses: not needed offline
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


# --- the run -------------------------------------------------------------------------

@dataclass
class RunResult:
    """What a run wrote, what it could not estimate (``skipped``) and what to read with care (``notes``)."""

    written: list[Path]
    skipped: list[dict]
    notes: list[dict]


def default_notebooks() -> Path:
    """The repository's ``notebooks/`` folder when the package is installed from a checkout, else ./notebooks."""
    repo = Path(__file__).resolve().parents[1] / "notebooks"
    return repo if repo.is_dir() else Path("notebooks")


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for i, path in enumerate(paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            data = f.read_bytes()
            rel = f.relative_to(path).as_posix() if path.is_dir() else f.name
            h.update(f"{i}\0{rel}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def _notebook_paths(nb_dir: Path, only: list[str] | None) -> list[Path]:
    paths = sorted(nb_dir.glob("*.ipynb"))
    if only is not None:  # an empty list: no notebook (``run --only brief``)
        paths = [p for p in paths if p.stem in only or p.name in only]
        if not only:
            return []
    if not paths:
        raise InputError(f"no notebooks found in {nb_dir}" + (f" named {', '.join(only)}" if only else ""),
                         file=str(nb_dir))
    return paths


def _progress(total: int, show: bool | None):
    from tqdm.auto import tqdm

    if show is None:  # a bar for people at a terminal, nothing in logs and pipes
        show = sys.stderr.isatty()
    return tqdm(total=total, desc="recruitstats run", unit="notebook", file=sys.stderr, disable=not show)


@dataclass
class _Run:
    """State shared by the notebooks of one run."""

    work: Path
    checks: object
    lang: str
    synthetic: bool
    parameters: dict
    timeout: int
    skipped: list[dict] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # full error texts, for run.log only


def _one_notebook(path: Path, run: _Run) -> tuple:
    """Prepare, execute (or stub) one notebook; returns the notebook to write and its title."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    title = _title(nb, path.stem)
    blocked = [_blocking(run.checks, a) for a in _needs(nb) if not run.checks.can(a)]
    if blocked:
        lines = list(dict.fromkeys(_NOT_DONE[run.lang] + c.reason(run.lang) for c in blocked))
        run.skipped += [{"analysis": path.stem, "reason": c.reason(run.lang), "because": c.analysis}
                        for c in dict.fromkeys(blocked)]
        return _stub(nb, lines, run.lang), title
    _guard_cells(nb, run.checks, run.lang, run.synthetic)
    _inject(nb, run.parameters)
    error, fatal = _execute(nb, run.work, run.timeout, run.lang)
    if fatal is not None:
        run.skipped.append({"analysis": path.stem, "reason": f"{path.name} failed: {fatal}"})
        return _stub(nb, [_FAILED[run.lang], "", f"`{fatal}`"], run.lang), title
    if error is not None:  # a partial report: the cells that ran are kept; the full error only in run.log
        run.skipped.append({"analysis": path.stem, "reason": f"{path.name}: {error.sentence(run.lang)}",
                            "reason_zh": f"{path.name}: {error.sentence_zh}",
                            "reason_en": f"{path.name}: {error.sentence_en}"})
        run.details.append(f"{path.name}: {error.detail}")
    return nb, title


def _prepare(data, config, work: Path):
    from recruitstats.config import find_config, load_config
    from recruitstats.requirements import assess

    paths = [Path(d).resolve() for d in ([data] if isinstance(data, (str, os.PathLike)) else data)]
    if config is None:
        config = find_config(Path.cwd())
    cfg = load_config(config)
    combined = combine_data(paths)
    checks = assess(combined.panel, combined.recruits, synthetic=combined.synthetic,
                    truth=combined.truth is not None, levers=cfg.levers)
    _write_data(combined, work / "data")
    return paths, cfg, combined, checks


def _manifest(paths, cfg, combined, checks, names, skipped, outputs) -> dict:
    lang = cfg.language
    return {"recruitstats_version": __version__, "data": [str(p) for p in paths],
            "data_sha256": _digest(paths), "synthetic": combined.synthetic,
            "config": cfg.to_dict(), "language": lang, "notebooks": names,
            "skipped": skipped, "notes": [c.to_dict(lang) for c in checks.problems() if c.status == "caution"],
            "outputs": outputs}


def run_notebooks(
    *,
    data: str | os.PathLike | list,
    out: str | os.PathLike,
    notebooks: str | os.PathLike | None = None,
    timeout: int = 900,
    only: list[str] | None = None,
    config: str | os.PathLike | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] | None = None,
    brief: bool = True,
) -> RunResult:
    """Execute every notebook on the data and write executed copies, HTML reports, the policy brief
    (``brief.<lang>.{html,pdf,docx}`` and ``tables.xlsx``), run.json and run.log.

    Parameters
    ----------
    data : one or several data paths (stores, folders, panel or recruit files).
    out : output folder.
    notebooks : folder of notebooks (default: the checkout's ``notebooks/``), run in name order.
    timeout : seconds allowed per cell.
    only : names of the notebooks to run (stems or file names).
    config : project configuration file; None: ``./recruitstats.toml`` if present, else the defaults.
    progress : show a progress bar; None: only when standard error is a terminal.
    log : where each reason is said (default: standard error).
    brief : also write the policy brief in the config's languages.

    Returns
    -------
    RunResult
        Raises :class:`InputError` only for invalid input (nothing is written then);
        an analysis the data cannot support, or a notebook that fails, is in ``skipped``.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    nb_paths = _notebook_paths(Path(notebooks or default_notebooks()).resolve(), only)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise InputError("--out is a file, not a folder; nothing was written", file=str(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".recruitstats-run-", dir=out.parent))
    try:
        work, reports = staging / "work", staging / "reports"
        work.mkdir()
        reports.mkdir()
        paths, cfg, combined, checks = _prepare(data, config, work)
        run = _Run(work, checks, cfg.language, combined.synthetic,
                   {"DATA_DIR": "data", "CONFIG": cfg.source, "LANG": cfg.language}, timeout)
        run.skipped += [{k: v for k, v in c.items() if k in ("analysis", "reason", "reason_zh", "reason_en")}
                        for c in checks.skipped(cfg.language)]
        written = _execute_all(nb_paths, run, reports, cfg, progress)
        if brief:
            written += _write_brief(combined, cfg, work, reports, run)
        manifest = _manifest(paths, cfg, combined, checks, [p.name for p in nb_paths], run.skipped,
                             written + ["run.json", "run.log"])
        _say(manifest, log, reports, combined.warnings, details=run.details)
        (reports / "run.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False),
                                          encoding="utf-8")
        written += ["run.json", "run.log"]
        out.mkdir(parents=True, exist_ok=True)
        for name in written:
            os.replace(reports / name, out / name)
        return RunResult([out / n for n in written], manifest["skipped"], manifest["notes"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _execute_all(nb_paths: list[Path], run: _Run, reports: Path, cfg, progress) -> list[str]:
    import nbformat

    written = []
    with _progress(len(nb_paths), progress) as bar:
        for path in nb_paths:
            bar.set_postfix_str(path.stem)
            nb, title = _one_notebook(path, run)
            if cfg.title:
                title = f"{cfg.title}: {title}"
            html = export_html(nb, title=title, lang=run.lang)
            nbformat.write(nb, reports / path.name)
            (reports / f"{path.stem}.html").write_text(html, encoding="utf-8")
            written += [path.name, f"{path.stem}.html"]
            bar.update(1)
    return written


def _write_brief(combined, cfg, work: Path, reports: Path, run: _Run) -> list[str]:
    """The brief from the combined panel; an analysis it cannot make is said in ``skipped``, never fatal."""
    from recruitstats.report.brief import build_brief

    if combined.panel is None or len(combined.panel) == 0:
        run.skipped.append({"analysis": "brief", "reason": "no panel data: the policy brief needs the panel"
                            if run.lang == "en" else "没有面板数据：政策简报需要区县面板"})
        return []
    try:
        paths = build_brief(work / "data", reports, langs=cfg.languages, config=cfg, panel=combined.panel,
                            sources=combined.sources)
    except InputError as exc:
        run.skipped.append({"analysis": "brief", "reason": str(exc).splitlines()[0]})
        return []
    except Exception as exc:  # noqa: BLE001 - a failed brief leaves the notebooks' report standing
        reason = (f"the policy brief could not be written ({type(exc).__name__}); the other reports stand"
                  if run.lang == "en" else f"政策简报未能生成（{type(exc).__name__}），其余报告不受影响")
        run.skipped.append({"analysis": "brief", "reason": reason, "detail": str(exc)})
        return []
    return [Path(p).name for p in paths]


def _say(manifest: dict, log: Callable[[str], None], reports: Path, warnings: list[Problem], *,
         details: list[str] = ()) -> None:
    """The readers' warnings and every reason, on standard error and in run.log (and there only, ``details``)."""
    lines = [str(p) for p in warnings]
    lines += [f"skipped {s['analysis']}: {s['reason']}" for s in manifest["skipped"]]
    lines += [f"note {n['analysis']}: {n['reason']}" for n in manifest["notes"]]
    for line in lines:
        log(line)
    text = "\n".join([f"recruitstats {manifest['recruitstats_version']} run on {len(manifest['data'])} data "
                      f"path(s); {len(manifest['notebooks'])} notebook(s)", *lines,
                      *(f"error in {d}" for d in details)]) + "\n"
    (reports / "run.log").write_text(text, encoding="utf-8")
