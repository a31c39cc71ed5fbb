"""The data store: a clean copy of every file sent, typed tables rebuilt from all of them.

Layout of a store folder ``DIR``::

    DIR/.lock                        the lock file (two ingests into one store never run at once)
    DIR/manifest.json                key fingerprint; per file: name, sha256 of the file as sent,
                                     time, kind, rows, warnings, how the copy was made
    DIR/raw/<file>                   a CSV file as sent, when nothing personal was found in it;
    DIR/raw/<file>.sanitised.csv     otherwise the table as found, without personal columns and with
                                     pseudonymised ids (title rows, note rows and other sheets left out)
    DIR/processed/files/<sha>.parquet the typed table read from each file (so old files are not re-read)
    DIR/processed/panel.parquet      the canonical panel from every panel file, in manifest order
    DIR/processed/recruits.parquet   the recruit table (when recruit files are held)

Processed tables are typed parquet with a marker (:func:`~recruitstats.io.readers.write_typed_parquet`)
that :func:`~recruitstats.io.readers.read_table` recognises: loading them does not parse or
validate again. The office's own files are read, never written.

Every ingest builds the complete new state in a temporary folder beside ``DIR``
and swaps it in with one atomic rename (``renameat2`` exchange on Linux;
elsewhere two renames, undone on the next run if interrupted between them), so
an interruption leaves the previous store as it was. A symbolic link ``DIR`` is
followed (the folder it points to is updated; the link stays). Files in ``DIR``
that the store did not make make the ingest refuse, naming them: an ingest would
otherwise drop them.

Pseudonym key: it lives outside the store and outside the data folders; the
first successful ingest creates it; its fingerprint is in the manifest, and an
ingest with another key is refused unless ``rekey=True``.
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

from recruitstats.errors import InputError, Problem, register_messages, tr
from recruitstats.io import privacy
from recruitstats.io.readers import CleanCopy, ReadResult, read_table, typed_parquet_marker, write_typed_parquet
from recruitstats.schema import PANEL, RECRUITS

__all__ = ["IngestReport", "ingest", "read_manifest", "sha256_of", "MANIFEST_FORMAT"]

MANIFEST_FORMAT = "recruitstats-store/2"
_READABLE_FORMATS = {MANIFEST_FORMAT, "recruitstats-store/1"}
_PROCESSED = {"panel": "panel.parquet", "recruits": "recruits.parquet"}
_PARTS = "processed/files"
_LOCK = ".lock"
_VERBATIM_SUFFIXES = {".csv", ".tsv", ".txt"}  # a workbook may hide sheets and author names: never kept as is
_SANITISED = ".sanitised.csv"

register_messages({
    "s.manifest.damaged": {"en": "the store's manifest is damaged", "zh": "数据仓库的清单文件已损坏"},
    "s.manifest.format": {"en": "not a recruitstats store manifest", "zh": "不是 recruitstats 数据仓库的清单文件"},
    "s.manifest.format.expected": {"en": "format {fmt}", "zh": "格式 {fmt}"},
    "s.busy": {"en": "another ingest is writing this store", "zh": "另一个 ingest 正在写入此数据仓库"},
    "s.busy.expected": {"en": "one ingest at a time; try again when it ends", "zh": "一次只运行一个 ingest；请等它结束后重试"},
    "s.lock.changing": {"en": "the store's lock file keeps changing; try again", "zh": "数据仓库的锁文件不断变化；请重试"},
    "s.link.missing": {"en": "the store is a symbolic link to a folder that does not exist",
                       "zh": "数据仓库是指向不存在文件夹的符号链接"},
    "s.link.missing.expected": {"en": "create {target}, or give a folder", "zh": "先创建 {target}，或直接给出文件夹"},
    "s.link.file": {"en": "the store is a symbolic link to a file, not a folder", "zh": "数据仓库是指向文件（而非文件夹）的符号链接"},
    "s.not_folder": {"en": "the store must be a folder", "zh": "数据仓库必须是文件夹"},
    "s.not_store": {"en": "this folder is not a recruitstats store (no manifest.json)",
                    "zh": "此文件夹不是 recruitstats 数据仓库（没有 manifest.json）"},
    "s.not_store.expected": {"en": "an empty or new folder, or a store made by recruitstats ingest",
                             "zh": "空文件夹或新文件夹，或由 recruitstats ingest 建立的数据仓库"},
    "s.foreign": {"en": "the store holds files it did not make: {files}", "zh": "数据仓库中有不是它生成的文件：{files}"},
    "s.foreign.more": {"en": "{shown} and {n} more", "zh": "{shown} 等另外 {n} 个"},
    "s.foreign.expected": {"en": "those files moved out of the store (an ingest would drop them)",
                           "zh": "把这些文件移出数据仓库（ingest 会丢弃它们）"},
    "s.key.race": {"en": "another process created the pseudonym key meanwhile", "zh": "另一进程同时生成了假名密钥"},
    "s.key.race.expected": {"en": "the ingest run again (it will use that key)", "zh": "重新运行 ingest（将使用该密钥）"},
    "s.key.other": {"en": "this pseudonym key (fingerprint {fp}) is not the one the store was built with ({held}): "
                          "the same recruit would get another pseudonym",
                    "zh": "此假名密钥（指纹 {fp}）不是建立数据仓库时所用的密钥（{held}）：同一新兵会得到不同的假名"},
    "s.key.other.expected": {"en": "the same --key-file as before, or --rekey to rebuild the store with this key",
                             "zh": "使用原来的 --key-file，或用 --rekey 以此密钥重建数据仓库"},
    "s.key.missing": {"en": "the pseudonym key this store was built with is not at this path",
                      "zh": "建立此数据仓库时所用的假名密钥不在此路径"},
    "s.key.missing.expected": {"en": "the key file with fingerprint {held} (--key-file), or --rekey to rebuild the "
                                     "store with a new key",
                               "zh": "指纹为 {held} 的密钥文件（--key-file），或用 --rekey 以新密钥重建数据仓库"},
    "s.overlap": {"en": "{n} rows overlap rows already held from {file} ({examples})",
                  "zh": "{n} 行与已收存的 {file} 中的行重复（{examples}）"},
    "s.overlap.expected": {"en": "new districts or cycles (or recruits), or --replace to replace them",
                           "zh": "新的区县或批次（或新兵），或用 --replace 替换已收存的行"},
    "s.a_recruit": {"en": "a recruit id", "zh": "新兵编号"},
    "s.changed": {"en": "a stored file is missing or changed since it was ingested",
                  "zh": "数据仓库中的文件缺失或在收存后被改动"},
})


@dataclass
class IngestReport:
    """What an ingest did.

    added : stored copies of the files added.
    unchanged : input files already held (same sha256), with the stored copy holding them.
    replaced : stored copies whose rows were replaced by the new files.
    dropped : stored copies removed by a rekey (their ids were pseudonymised with the old key).
    problems : warnings of the added files.
    rows : rows of each processed table after the ingest.
    key_fingerprint : fingerprint of the pseudonym key the store is built with.
    key_created : the key file this ingest created, if any.
    """

    store: Path
    added: list[str] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    key_fingerprint: str = ""
    key_created: Path | None = None


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
        raise InputError(tr("s.manifest.damaged"), file=str(path)) from None
    if manifest.get("format") not in _READABLE_FORMATS:
        raise InputError([Problem(tr("s.manifest.format"), file=str(path),
                                  expected=tr("s.manifest.format.expected", fmt=MANIFEST_FORMAT))])
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


def _recover(store: Path, *, clean: bool = True) -> None:
    """Undo a swap interrupted between its two renames; with ``clean`` (only under the lock), also
    drop leftover temporary folders, which another ingest may still be building otherwise."""
    if not store.parent.exists():
        return
    olds = _old_copies(store)
    if olds and not _has_manifest(store):
        if store.exists():
            shutil.rmtree(store)  # only the lock file a later run made
        os.rename(olds[-1], store)
        olds = olds[:-1]
    if clean:
        for path in olds + sorted(store.parent.glob(f".{store.name}.tmp-*")):
            shutil.rmtree(path, ignore_errors=True)


def _has_manifest(store: Path) -> bool:
    return (store / "manifest.json").exists()


# --- the lock ------------------------------------------------------------------------

def _open_lock(folder: Path) -> int:
    """Open and lock ``folder/.lock`` without waiting; raise when another ingest holds it."""
    import fcntl

    fd = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError([Problem(tr("s.busy"), file=str(folder), expected=tr("s.busy.expected"))]) from None
    return fd


@contextlib.contextmanager
def _locked(store: Path):
    """Hold the lock file inside the store (created with the folder); yields whether the folder is new."""
    created = not store.exists()
    for _ in range(5):
        store.mkdir(parents=True, exist_ok=True)
        try:
            fd = _open_lock(store)
        except FileNotFoundError:  # the folder was removed between mkdir and open
            continue
        try:
            current = os.stat(store / _LOCK).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:  # not the lock of a store state swapped out meanwhile
            break
        os.close(fd)
    else:
        raise InputError(tr("s.lock.changing"), file=str(store))
    try:
        yield created
    finally:
        os.close(fd)  # closing releases the lock


def _remove_if_unused(store: Path) -> None:
    """Remove a store folder this ingest created and left empty (but for its lock file)."""
    with contextlib.suppress(OSError):
        if [p.name for p in store.iterdir()] == [_LOCK]:
            (store / _LOCK).unlink()
            store.rmdir()


# --- the store folder ------------------------------------------------------------------

def _resolve_store(store: Path) -> Path:
    """The folder to update: a symbolic link is followed (and stays a link)."""
    if store.is_symlink():
        target = store.resolve()
        if not target.exists():
            raise InputError([Problem(tr("s.link.missing"), file=str(store),
                                      expected=tr("s.link.missing.expected", target=target))])
        if not target.is_dir():
            raise InputError(tr("s.link.file"), file=str(store))
        return target
    return Path(os.path.abspath(store))


def _check_store(store: Path) -> None:
    if not store.exists():
        return
    if not store.is_dir():
        raise InputError(tr("s.not_folder"), file=str(store))
    if any(p.name != _LOCK for p in store.iterdir()) and not _has_manifest(store):
        raise InputError([Problem(tr("s.not_store"), file=str(store), expected=tr("s.not_store.expected"))])


def _part_name(entry: dict) -> str:
    return f"{entry['sha256'][:16]}.parquet"


def _foreign_files(store: Path, entries: list[dict]) -> list[str]:
    """Paths inside the store that the store did not make."""
    owned = {_LOCK, "manifest.json", "raw", "processed", _PARTS}
    owned |= {e["file"] for e in entries} | {f"processed/{n}" for n in _PROCESSED.values()}
    owned |= {f"{_PARTS}/{_part_name(e)}" for e in entries}
    found = []
    for path in sorted(store.rglob("*")):
        rel = path.relative_to(store).as_posix()
        if rel not in owned:
            found.append(rel)
    return found


def _check_foreign(store: Path, entries: list[dict]) -> None:
    found = _foreign_files(store, entries)
    if found:
        shown = tr("list.sep").join(found[:5])
        if len(found) > 5:
            shown = tr("s.foreign.more", shown=shown, n=len(found) - 5)
        raise InputError([Problem(tr("s.foreign", files=shown), file=str(store), expected=tr("s.foreign.expected"))])


# --- the pseudonym key ---------------------------------------------------------------

@dataclass
class _Key:
    secret: bytes
    fingerprint: str
    path: Path | None
    exists: bool  # False: a new key held in memory, written only by a successful ingest that needs it

    def commit(self) -> Path | None:
        """Write a new key file (only once the ingest has succeeded)."""
        if self.exists or self.path is None:
            return None
        if privacy.write_key_file(self.path, self.secret) != self.secret:
            raise InputError([Problem(tr("s.key.race"), file=str(self.path), expected=tr("s.key.race.expected"))])
        return self.path


def _key_for(key, store: Path, held: str | None, rekey: bool) -> _Key:
    """The key to pseudonymise with; a key inside the store, or another key than the store's, is refused."""
    if isinstance(key, bytes):
        secret, path, exists = privacy.load_key(key)[0], None, True
    else:
        path = Path(key).expanduser() if key is not None else privacy.default_key_file()
        privacy.refuse_key_inside(path, store, "store")
        found = privacy.read_key_file(path)
        secret, exists = (found, True) if found is not None else (privacy.new_key(), False)
    fingerprint = privacy.key_fingerprint(secret)
    if held and exists and fingerprint != held and not rekey:
        raise InputError([Problem(tr("s.key.other", fp=fingerprint, held=held), file=str(path or "key"),
                                  expected=tr("s.key.other.expected"))])
    return _Key(secret, fingerprint, path, exists)


def _check_key_use(key: _Key, users: list[Path], held: str | None, rekey: bool) -> None:
    """When ids were pseudonymised: the key must not sit in a data folder, and must be the store's."""
    if not users:
        return
    if key.path is not None:
        for f in users:
            privacy.refuse_key_inside(key.path, f.absolute().parent, "data")
    if held and not key.exists and not rekey:
        raise InputError([Problem(tr("s.key.missing"), file=str(key.path),
                                  expected=tr("s.key.missing.expected", held=held))])


# --- combining tables ----------------------------------------------------------------

def _key_frame(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The columns that identify a row: recruit id; or district (code when given, else name) and cycle."""
    if kind == "recruits":
        return pd.DataFrame({"id": df["recruit_id"].astype(str)})
    unit = "name:" + df["district"].astype(str)
    if "district_code" in df:
        unit = ("code:" + df["district_code"].astype(str)).where(df["district_code"].notna(), unit)
    return pd.DataFrame({"unit": unit, "year": df["year"].astype("float64"), "half": df["half"].astype("float64")})


def _row_keys(df: pd.DataFrame, kind: str) -> np.ndarray:
    """One 64-bit hash per row of its key columns (vectorised; clashes are confirmed exactly)."""
    if df.empty:
        return np.array([], dtype=np.uint64)
    return pd.util.hash_pandas_object(_key_frame(df, kind), index=False).to_numpy()


def _exact_clash(held: pd.DataFrame, new: pd.DataFrame, candidates: np.ndarray, kind: str) -> tuple[np.ndarray, list[str]]:
    """Confirm hash clashes by the key values; the clashing mask and a few readable examples."""
    a = _key_frame(held.iloc[np.flatnonzero(candidates)], kind).astype(str).agg("|".join, axis=1)
    b = set(_key_frame(new, kind).astype(str).agg("|".join, axis=1))
    hit = a.isin(b).to_numpy()
    mask = np.zeros(len(held), dtype=bool)
    mask[np.flatnonzero(candidates)[hit]] = True
    return mask, sorted(set(a[hit]))[:5]


def _describe(key: str, kind: str) -> str:
    if kind == "recruits":
        return tr("s.a_recruit")
    unit, year, half = (key.split("|") + ["", ""])[:3]
    return f"{unit.split(':', 1)[-1]} {year.removesuffix('.0')}H{half.removesuffix('.0')}"


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
            candidates = np.isin(held_keys, keys)
            if not candidates.any():
                continue
            clash, examples = _exact_clash(held, df, candidates, kind)
            if not clash.any():
                continue
            if entry.get("replace"):
                parts[i], part_keys[i] = held[~clash].reset_index(drop=True), held_keys[~clash]
                replaced.append(entries[i]["file"])
            else:
                shown = tr("list.sep").join(sorted({_describe(k, kind) for k in examples}))
                problems.append(Problem(
                    tr("s.overlap", n=int(clash.sum()), file=entries[i]["original_name"], examples=shown),
                    file=entry["original_name"], expected=tr("s.overlap.expected")))
        if entry.get("replace"):
            entry["replaces"] = replaced
        parts.append(df.reset_index(drop=True))
        part_keys.append(keys)
    if not parts:
        return pd.DataFrame(), problems
    combined = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    combined.attrs = {}
    return _order_columns(combined, kind), problems


# --- building ------------------------------------------------------------------------

def _place_new(entry: dict, source: Path, result: ReadResult, tmp: Path) -> None:
    """Keep the file as sent (a clean CSV) or its clean copy; the source itself is only read."""
    target = tmp / entry["file"]
    if entry["copy"] == "verbatim":
        shutil.copyfile(source, target)
    else:
        (result.copy or CleanCopy.of_frame(result.data)).write_csv(target)
    os.chmod(target, 0o444)
    entry["stored_sha256"] = sha256_of(target)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # stored files are never modified, so sharing the inode is safe
    except OSError:
        shutil.copyfile(source, target)


def _held_frame(store: Path, tmp: Path, entry: dict, key: bytes) -> pd.DataFrame:
    """A held file's table: its typed part when current, else read again from its stored copy."""
    source = store / entry["file"]
    if not source.is_file() or sha256_of(source) != entry.get("stored_sha256", entry["sha256"]):
        raise InputError(tr("s.changed"), file=str(source))
    part = store / _PARTS / _part_name(entry)
    if typed_parquet_marker(part) is not None:
        _link(source, tmp / entry["file"])
        _link(part, tmp / _PARTS / part.name)
        return pd.read_parquet(part)
    result = read_table(source, kind=entry["kind"], drop_personal=True, key=key)
    if result.errors:
        raise InputError(result.problems)
    if result.copy is not None and result.copy.personal:  # a copy from an older store that kept personal data
        entry["file"] = "raw/" + _copy_name(entry["original_name"], entry["sha256"], set())
        entry["copy"], entry["pseudonymised"] = "sanitised", result.copy.pseudonymised
        _place_new(entry, source, result, tmp)
    else:
        _link(source, tmp / entry["file"])
    _write_part(result.data, tmp, entry)
    return result.data


def _write_part(df: pd.DataFrame, tmp: Path, entry: dict) -> None:
    write_typed_parquet(df, tmp / _PARTS / _part_name(entry), kind=entry["kind"], synthetic=entry["synthetic"])


def _build(store: Path, tmp: Path, entries: list[dict], fresh: dict[str, tuple[Path, ReadResult]],
           key: bytes) -> dict[str, pd.DataFrame]:
    (tmp / "raw").mkdir()
    (tmp / _PARTS).mkdir(parents=True)
    frames: list[pd.DataFrame] = []
    for entry in entries:
        if entry["file"] in fresh:
            source, result = fresh[entry["file"]]
            _place_new(entry, source, result, tmp)
            _write_part(result.data, tmp, entry)
            frames.append(result.data)
        else:
            frames.append(_held_frame(store, tmp, entry, key))
    tables, problems = {}, []
    for kind in ("panel", "recruits"):
        chosen = [i for i, e in enumerate(entries) if e["kind"] == kind]
        if chosen:
            tables[kind], found = _combine([entries[i] for i in chosen], [frames[i] for i in chosen], kind)
            problems += found
    if problems:
        raise InputError(problems)
    return tables


def _write_processed(tables: dict[str, pd.DataFrame], folder: Path, entries: list[dict]) -> None:
    for kind, df in tables.items():
        synthetic = any(e["synthetic"] for e in entries if e["kind"] == kind)
        write_typed_parquet(df, folder / _PROCESSED[kind], kind=kind, synthetic=synthetic)  # type: ignore[arg-type]


def _write_manifest(folder: Path, entries: list[dict], fingerprint: str | None) -> None:
    text = json.dumps({"format": MANIFEST_FORMAT, "key_fingerprint": fingerprint, "files": entries},
                      ensure_ascii=False, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8")


# --- entries -------------------------------------------------------------------------

def _copy_name(name: str, sha: str, taken: set[str]) -> str:
    name = name + _SANITISED
    return _free_name(name, sha, taken)


def _free_name(name: str, sha: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, ext = name.partition(".")
    return f"{stem}-{sha[:8]}.{ext}" if dot else f"{name}-{sha[:8]}"


def _safe_name(path: Path, sha: str) -> str:
    """The file's name, unless it holds an ID or phone number (张三_13812345678.xlsx): then file-<sha>."""
    return f"file-{sha[:12]}{path.suffix.lower()}" if privacy.scan_values([path.name]) else path.name


def _new_entry(path: Path, sha: str, result: ReadResult, taken: set[str], *, replace: bool,
               drop_personal: bool) -> dict:
    original = _safe_name(path, sha)
    verbatim = (path.suffix.lower() in _VERBATIM_SUFFIXES and result.copy is not None
                and not result.copy.personal and original == path.name)
    name = _free_name(original, sha, taken) if verbatim else _copy_name(original, sha, taken)
    taken.add(name)
    return {
        "file": f"raw/{name}", "original_name": original, "sha256": sha,
        "copy": "verbatim" if verbatim else "sanitised",
        "ingested_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "kind": result.kind, "rows": int(len(result.data)), "warnings": len(result.warnings),
        "warning_lines": [_relative(str(p), path, original) for p in result.warnings[:50]],
        "replace": replace, "drop_personal": drop_personal, "synthetic": result.synthetic,
        "pseudonymised": bool(result.copy is not None and result.copy.pseudonymised),
    }


def _relative(line: str, path: Path, name: str) -> str:
    """A problem line naming the file by its stored name only (no local folders in the manifest)."""
    return line.replace(str(path), name).replace(path.name, name)


def _rekey_entries(entries: list[dict], report: IngestReport) -> list[dict]:
    """Under a new key, files whose ids were pseudonymised with the old one leave the store."""
    keep = [e for e in entries if not e.get("pseudonymised", e["kind"] == "recruits")]
    report.dropped = [e["file"] for e in entries if e not in keep]
    return keep


def _admit(files: Iterable, entries: list[dict], report: IngestReport, **options
           ) -> tuple[list[dict], dict[str, tuple[Path, ReadResult]]]:
    """Read the new files; skip those already held; raise with every error of every file."""
    held = {e["sha256"]: e["file"] for e in entries}
    taken = {e["file"].split("/", 1)[1] for e in entries}
    new_entries, fresh, errors = [], {}, []
    for f in files:
        path = Path(f)
        sha = sha256_of(path) if path.is_file() else ""
        if sha in held:
            report.unchanged.append((str(path), held[sha]))
            continue
        try:
            result = read_table(path, kind=options["kind"], drop_personal=options["drop_personal"],
                                key=options["key"], typed=False)  # whatever a file claims, it is checked
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
        fresh[entry["file"]] = (path, result)
    if errors:
        raise InputError(errors)
    return new_entries, fresh


# --- ingest --------------------------------------------------------------------------

def ingest(files: Sequence[str | os.PathLike], store: str | os.PathLike, *, replace: bool = False,
           drop_personal: bool = False, kind: Literal["panel", "recruits"] | None = None,
           key: bytes | str | os.PathLike | None = None, rekey: bool = False) -> IngestReport:
    """Add files to a store and rebuild its processed tables.

    Parameters
    ----------
    files : panel or recruit files (.csv, .xlsx, .parquet); they are only read.
    store : the store folder (created if needed; a symbolic link is followed).
    replace : let rows of the new files replace rows already held for the same
        district and cycle (or recruit id); without it such overlap refuses the ingest.
    drop_personal : drop personal-data columns instead of refusing the file.
    kind : "panel" or "recruits" for every file; None decides per file from its headers.
    key : pseudonym key (bytes) or key file (default ``$RECRUITSTATS_KEY_FILE`` or
        ``~/.config/recruitstats/pseudonym.key``); created by the first successful ingest.
    rekey : accept a key other than the one the store was built with; files whose ids
        were pseudonymised with the old key leave the store (ingest them again).

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        When any file has an error or overlaps held data, when the key is misplaced
        or not the store's, or the store holds files it did not make; nothing is written then.
    """
    given = Path(store)
    store = _resolve_store(given)
    files = [Path(f) for f in files]
    _recover(store, clean=False)  # before locking: an interrupted swap may have left no store folder
    _check_store(store)  # before locking: no lock file is left in a folder that is not a store
    with _locked(store) as created:
        try:
            return _ingest_locked(files, store, IngestReport(given), replace=replace, drop_personal=drop_personal,
                                  kind=kind, key=key, rekey=rekey)
        finally:
            if created:
                _remove_if_unused(store)


def _ingest_locked(files: list[Path], store: Path, report: IngestReport, *, rekey: bool, key, **options
                   ) -> IngestReport:
    _recover(store)
    manifest = read_manifest(store)
    entries = [dict(e) for e in manifest["files"]]
    _check_foreign(store, entries)
    held = manifest.get("key_fingerprint")
    secret = _key_for(key, store, held, rekey)
    if held and rekey and secret.fingerprint != held:
        entries = _rekey_entries(entries, report)
    new_entries, fresh = _admit(files, entries, report, key=secret.secret, **options)
    users = [fresh[e["file"]][0] for e in new_entries if e["pseudonymised"]]
    _check_key_use(secret, users, held, rekey)
    if not new_entries and not report.dropped and (manifest["format"] == MANIFEST_FORMAT or not entries):
        report.key_fingerprint = held or ""
        return _finish(report, store)
    entries += new_entries
    tmp = Path(tempfile.mkdtemp(prefix=f".{store.name}.tmp-", dir=store.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    lock = None
    try:
        tables = _build(store, tmp, entries, fresh, secret.secret)
        needed = any(e.get("pseudonymised") for e in entries)  # also a held file read again from its copy
        fingerprint = secret.fingerprint if (needed or secret.exists) else held
        report.key_fingerprint = fingerprint or ""
        (tmp / "processed").mkdir(exist_ok=True)
        _write_processed(tables, tmp / "processed", entries)
        _write_manifest(tmp, entries, fingerprint)
        lock = _open_lock(tmp)  # after the swap this is the store's lock, already held
        report.key_created = secret.commit() if needed else None
        _swap_in(tmp, store)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if lock is not None:
            os.close(lock)
    report.added = [e["file"] for e in new_entries]
    report.replaced = sorted({r for e in new_entries for r in e.get("replaces", [])})
    return _finish(report, store)


def _finish(report: IngestReport, store: Path) -> IngestReport:
    for kind, name in _PROCESSED.items():
        path = store / "processed" / name
        if path.exists():
            import pyarrow.parquet as pq

            report.rows[kind] = pq.ParquetFile(path).metadata.num_rows
    return report
