"""The data store: raw files kept unmodified, processed tables rebuilt from all of them.

Layout of a store folder ``DIR``::

    DIR/raw/<file>                 copies of the files as sent (read-only, never modified)
    DIR/manifest.json              one entry per raw file: name, sha256, time, kind, rows, warnings
    DIR/processed/panel.parquet    the canonical panel rebuilt from every raw panel file
    DIR/processed/recruits.parquet the recruit table (when recruit files are held)

Every ingest builds the complete new state of the store in a temporary folder
beside ``DIR`` and swaps it in with one atomic rename (``renameat2`` exchange on
Linux; elsewhere two renames, undone on the next run if interrupted between
them), so an interruption at any point leaves the previous store as it was.
Processed tables are concatenated in manifest order, so adding next year's file
never changes the rows earlier files contributed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from recruitstats.errors import InputError, Problem
from recruitstats.io.readers import ReadResult, read_table
from recruitstats.schema import PANEL, RECRUITS

__all__ = ["IngestReport", "ingest", "read_manifest", "sha256_of", "MANIFEST_FORMAT"]

MANIFEST_FORMAT = "recruitstats-store/1"
_PROCESSED = {"panel": "panel.parquet", "recruits": "recruits.parquet"}


@dataclass
class IngestReport:
    """What an ingest did.

    added : raw file names added to the store.
    unchanged : input files already held (same sha256), with the raw name holding them.
    problems : warnings of the added files.
    rows : rows of each processed table after the ingest.
    """

    store: Path
    added: list[str] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(store: str | os.PathLike) -> dict:
    """The store's manifest (an empty one for a store not created yet)."""
    path = Path(store) / "manifest.json"
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "files": []}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("the store's manifest is damaged", file=str(path)) from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise InputError([Problem("not a recruitstats store manifest", file=str(path),
                                  expected=f"format {MANIFEST_FORMAT}")])
    return manifest


# --- atomic swap -------------------------------------------------------------------

_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with Linux renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _old_copies(store: Path) -> list[Path]:
    return sorted(store.parent.glob(f".{store.name}.old-*"))


def _swap_in(new: Path, store: Path) -> None:
    """Make ``new`` the store; the previous state is removed only once the new one is in place."""
    if not store.exists():
        os.rename(new, store)
        return
    if _exchange(new, store):
        shutil.rmtree(new)  # now holds the previous state
        return
    old = store.parent / f".{store.name}.old-{os.getpid()}"
    os.rename(store, old)
    os.rename(new, store)  # an interruption before this line is undone by _recover()
    shutil.rmtree(old)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _recover(store: Path) -> None:
    """Undo a swap interrupted between its two renames; drop leftover temporary folders."""
    if not store.parent.exists():
        return
    olds = _old_copies(store)
    if olds and not store.exists():
        os.rename(olds[-1], store)
        olds = olds[:-1]
    for path in olds + sorted(store.parent.glob(f".{store.name}.tmp-*")):
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _locked(store: Path):
    """Hold an exclusive lock on the store's nearest existing parent folder (no lock file is written)."""
    import fcntl

    folder = store.absolute().parent
    while not folder.exists():
        folder = folder.parent
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError("another ingest is writing beside this store; try again when it ends",
                             file=str(store)) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- building ------------------------------------------------------------------------

def _row_keys(df: pd.DataFrame, kind: str) -> np.ndarray:
    """One key per row: the district (code when given, else name) and cycle; the id for recruits."""
    if df.empty:
        return np.array([], dtype=object)
    if kind == "recruits":
        return df["recruit_id"].astype(str).to_numpy()
    unit = "name:" + df["district"].astype(str)
    if "district_code" in df:
        unit = ("code:" + df["district_code"].astype(str)).where(df["district_code"].notna(), unit)
    return (unit + "|" + df["year"].astype(str) + "|" + df["half"].astype(str)).to_numpy()


def _describe(key: str) -> str:
    unit, year, half = (key.split("|") + ["", ""])[:3]
    return f"{unit.split(':', 1)[-1]} {year}H{half}" if year else "a recruit id"


def _read_entry(path: Path, entry: dict, key) -> ReadResult:
    result = read_table(path, kind=entry["kind"], drop_personal=entry.get("drop_personal", False), key=key)
    if result.errors:
        raise InputError(result.problems)
    return result


def _order_columns(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    table = PANEL if kind == "panel" else RECRUITS
    known = [c for c in table if c in df]
    return df[known + [c for c in df.columns if c not in table]]


def _combine(entries: list[dict], frames: list[pd.DataFrame], kind: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Concatenate in manifest order; a replacing entry removes earlier rows with its keys."""
    parts: list[pd.DataFrame] = []
    part_keys: list[np.ndarray] = []
    problems: list[Problem] = []
    for entry, df in zip(entries, frames):
        keys = _row_keys(df, kind)
        replaced = []
        for i, (held, held_keys) in enumerate(zip(parts, part_keys)):
            clash = np.isin(held_keys, keys)
            if not clash.any():
                continue
            if entry.get("replace"):
                parts[i], part_keys[i] = held[~clash].reset_index(drop=True), held_keys[~clash]
                replaced.append(entries[i]["file"])
            else:
                examples = ", ".join(_describe(k) for k in sorted(set(held_keys[clash]))[:5])
                problems.append(Problem(
                    f"{int(clash.sum())} rows overlap rows already held from {entries[i]['original_name']} "
                    f"({examples})", file=entry["original_name"],
                    expected="new districts or cycles, or --replace to replace them"))
        if entry.get("replace"):
            entry["replaces"] = replaced
        parts.append(df.reset_index(drop=True))
        part_keys.append(keys)
    if not parts:
        return pd.DataFrame(), problems
    combined = pd.concat(parts, ignore_index=True, sort=False)
    combined.attrs = {}
    return _order_columns(combined, kind), problems


def _write_processed(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir()
    for kind, df in tables.items():
        df = df.copy()
        df.attrs = {}
        df.to_parquet(folder / _PROCESSED[kind], index=False)


def _write_manifest(folder: Path, entries: list[dict]) -> None:
    text = json.dumps({"format": MANIFEST_FORMAT, "files": entries}, ensure_ascii=False, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


def _place_raw(source: Path, target: Path, *, link: bool) -> None:
    if link:
        try:
            os.link(source, target)  # raw files are immutable, so sharing the inode is safe
            return
        except OSError:
            pass
    shutil.copyfile(source, target)
    os.chmod(target, 0o444)


def _raw_name(name: str, sha: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}-{sha[:8]}.{ext}" if dot else f"{name}-{sha[:8]}"


def _build(store: Path, tmp: Path, entries: list[dict], new_sources: dict[str, Path], key) -> dict[str, pd.DataFrame]:
    raw = tmp / "raw"
    raw.mkdir()
    frames: list[pd.DataFrame] = []
    for entry in entries:
        target = raw / entry["file"].split("/", 1)[1]
        source = new_sources.get(entry["file"], store / entry["file"])
        _place_raw(source, target, link=entry["file"] not in new_sources)
        if sha256_of(target) != entry["sha256"]:
            raise InputError("a raw file in the store changed since it was ingested", file=str(source))
        frames.append(_read_entry(target, entry, key).data)
    tables, problems = {}, []
    for kind in ("panel", "recruits"):
        chosen = [i for i, e in enumerate(entries) if e["kind"] == kind]
        if chosen:
            tables[kind], found = _combine([entries[i] for i in chosen], [frames[i] for i in chosen], kind)
            problems += found
    if problems:
        raise InputError(problems)
    return tables


def _new_entry(path: Path, sha: str, result: ReadResult, taken: set[str], *, replace: bool,
               drop_personal: bool) -> dict:
    name = _raw_name(path.name, sha, taken)
    taken.add(name)
    return {
        "file": f"raw/{name}", "original_name": path.name, "sha256": sha,
        "ingested_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "kind": result.kind, "rows": int(len(result.data)), "warnings": len(result.warnings),
        "warning_lines": [_relative(str(p), path) for p in result.warnings[:50]],
        "replace": replace, "drop_personal": drop_personal, "synthetic": result.synthetic,
    }


def _relative(line: str, path: Path) -> str:
    """A problem line naming the file by its name only (no local folders in the manifest)."""
    return line.replace(str(path), path.name, 1)


def _check_store(store: Path) -> None:
    if store.exists() and not store.is_dir():
        raise InputError("the store must be a folder", file=str(store))
    if store.is_dir() and any(store.iterdir()) and not (store / "manifest.json").exists():
        raise InputError([Problem("this folder is not a recruitstats store (no manifest.json)", file=str(store),
                                  expected="an empty or new folder, or a store made by recruitstats ingest")])


def ingest(files: Sequence[str | os.PathLike], store: str | os.PathLike, *, replace: bool = False,
           drop_personal: bool = False, kind: Literal["panel", "recruits"] | None = None,
           key: bytes | str | os.PathLike | None = None) -> IngestReport:
    """Add files to a store and rebuild its processed tables from every raw file held.

    Parameters
    ----------
    files : panel or recruit files (.csv, .xlsx, .parquet).
    store : the store folder (created if needed).
    replace : let rows of the new files replace rows already held for the same
        district and cycle (or recruit id); without it such overlap refuses the ingest.
    drop_personal : drop personal-data columns instead of refusing the file.
    kind : "panel" or "recruits" for every file; None decides per file from its headers.
    key : pseudonym key for ID-like recruit ids (see :mod:`recruitstats.io.privacy`).

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        When any file has an error or overlaps held data; nothing is written then.
    """
    store = Path(store)
    with _locked(store):
        _recover(store)
        _check_store(store)
        manifest = read_manifest(store)
        entries = [dict(e) for e in manifest["files"]]
        report = IngestReport(store)
        new_entries, sources = _admit(files, entries, report, replace=replace, drop_personal=drop_personal,
                                      kind=kind, key=key)
        if not new_entries:
            return _finish(report, store)
        entries += new_entries
        store.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{store.name}.tmp-", dir=store.parent))
        os.chmod(tmp, 0o777 & ~_umask())
        try:
            tables = _build(store, tmp, entries, sources, key)
            _write_processed(tables, tmp / "processed")
            _write_manifest(tmp, entries)
            _swap_in(tmp, store)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        report.added = [e["file"] for e in new_entries]
        report.replaced = sorted({r for e in new_entries for r in e.get("replaces", [])})
        return _finish(report, store)


def _admit(files: Iterable, entries: list[dict], report: IngestReport, **options) -> tuple[list[dict], dict]:
    """Read the new files; skip those already held; raise with every error of every file."""
    held = {e["sha256"]: e["file"] for e in entries}
    taken = {e["file"].split("/", 1)[1] for e in entries}
    new_entries, sources, errors = [], {}, []
    for f in files:
        path = Path(f)
        sha = sha256_of(path) if path.is_file() else ""
        if sha in held:
            report.unchanged.append((str(path), held[sha]))
            continue
        try:
            result = read_table(path, kind=options["kind"], drop_personal=options["drop_personal"],
                                key=options["key"])
        except InputError as exc:
            errors += exc.problems
            continue
        if result.errors:
            errors += result.problems
            continue
        report.problems += result.warnings
        entry = _new_entry(path, sha, result, taken, replace=options["replace"],
                           drop_personal=options["drop_personal"])
        held[sha] = entry["file"]
        new_entries.append(entry)
        sources[entry["file"]] = path
    if errors:
        raise InputError(errors)
    return new_entries, sources


def _finish(report: IngestReport, store: Path) -> IngestReport:
    for kind, name in _PROCESSED.items():
        path = store / "processed" / name
        if path.exists():
            import pyarrow.parquet as pq

            report.rows[kind] = pq.ParquetFile(path).metadata.num_rows
    return report
