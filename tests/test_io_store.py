"""The store: raw files untouched, processed data rebuilt, idempotent, overlap refused, atomic."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import InputError  # noqa: E402
import recruitstats.io as rio  # noqa: E402
from recruitstats.io import ingest, store as store_module  # noqa: E402


@pytest.fixture(autouse=True)
def key_file(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(path))
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def years(tmp_path):
    """The small panel split by year into two office files (one Chinese GBK, one Excel)."""
    panel = mf.small_panel()
    first = mf.write_chinese_csv(panel[panel["year"] < 2021].reset_index(drop=True), tmp_path / "2019_2020.csv")
    second = mf.write_messy_excel(panel[panel["year"] == 2021].reset_index(drop=True), tmp_path / "2021.xlsx")
    return panel, first, second


def test_ingest_keeps_raw_files_and_rebuilds(tmp_path, years):
    panel, first, second = years
    before = {first: _sha(first), second: _sha(second)}
    store = tmp_path / "store"
    ingest([first], store)
    earlier = pd.read_parquet(store / "processed" / "panel.parquet")
    ingest([second], store)
    assert {p: _sha(p) for p in before} == before  # inputs never modified
    assert _sha(store / "raw" / first.name) == before[first]  # a clean CSV is kept as sent
    # a workbook may hide sheets and author names: only the table read from it is kept
    assert not (store / "raw" / second.name).exists()
    copy = store / "raw" / f"{second.name}.sanitised.csv"
    pd.testing.assert_frame_equal(rio.read_table(copy).data, rio.read_table(second).data)
    combined = pd.read_parquet(store / "processed" / "panel.parquet")
    # adding next year's file does not change what earlier files contributed
    pd.testing.assert_frame_equal(combined.iloc[: len(earlier)].reset_index(drop=True), earlier)
    expected = panel.sort_values(["year", "half"], kind="stable").reset_index(drop=True)
    got = combined.sort_values(["year", "half"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert [e["file"] for e in manifest["files"]] == [f"raw/{first.name}", f"raw/{second.name}.sanitised.csv"]
    assert manifest["files"][1]["sha256"] == before[second] and manifest["files"][1]["copy"] == "sanitised"
    assert manifest["files"][0]["sha256"] == before[first] and manifest["files"][0]["rows"] == 12
    assert manifest["files"][1]["warnings"] >= 1  # the 合计 row
    assert any("totals row" in line for line in manifest["files"][1]["warning_lines"])


def test_same_file_twice_is_a_no_op(tmp_path, years, capsys):
    _, first, _ = years
    store = tmp_path / "store"
    assert main(["ingest", str(first), "--store", str(store)]) == 0
    snap = _snapshot(store)
    assert main(["ingest", str(first), "--store", str(store)]) == 0
    assert "already held" in capsys.readouterr().out
    assert _snapshot(store) == snap


def test_overlap_refused_then_replaced(tmp_path, years, capsys):
    panel, first, _ = years
    store = tmp_path / "store"
    ingest([first], store)
    snap = _snapshot(store)
    fix = panel[(panel["year"] == 2020) & (panel["half"] == 2)].reset_index(drop=True)
    fix["applicants"] = fix["applicants"] + 1
    fixed = mf.write_english_csv(fix, tmp_path / "2020H2_corrected.csv")
    assert main(["ingest", str(fixed), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "overlap" in err and "--replace" in err
    assert _snapshot(store) == snap  # nothing written
    assert main(["ingest", str(fixed), "--store", str(store), "--replace"]) == 0
    out = pd.read_parquet(store / "processed" / "panel.parquet")
    assert len(out) == 12
    got = out[(out["year"] == 2020) & (out["half"] == 2)]["applicants"].tolist()
    assert got == fix["applicants"].tolist()
    assert (store / "raw" / first.name).exists()  # the replaced raw file stays, for the record
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][1]["replaces"] == [f"raw/{first.name}"]


def test_file_with_errors_writes_nothing(tmp_path, years):
    _, first, _ = years
    store = tmp_path / "store"
    ingest([first], store)
    snap = _snapshot(store)
    bad = mf.write_rule_break(tmp_path / "bad.csv", "applicants_le_eligible")
    with pytest.raises(InputError):
        ingest([bad], store)
    assert _snapshot(store) == snap


@pytest.mark.parametrize("where", ["rebuild", "manifest", "swap"])
def test_interrupted_ingest_leaves_previous_store_intact(tmp_path, years, monkeypatch, where):
    _, first, second = years
    store = tmp_path / "store"
    ingest([first], store)
    snap = _snapshot(store)

    class Crash(Exception):
        pass

    def boom(*args, **kwargs):
        raise Crash

    if where == "rebuild":
        monkeypatch.setattr(store_module, "_write_processed", boom)
    elif where == "manifest":
        monkeypatch.setattr(store_module, "_write_manifest", boom)
    else:  # crash between the two renames of the fallback swap
        monkeypatch.setattr(store_module, "_exchange", lambda a, b: False)
        real_rename = os.rename
        calls = []

        def rename(src, dst):
            calls.append(src)
            if len(calls) == 2:
                raise Crash
            return real_rename(src, dst)

        monkeypatch.setattr(store_module.os, "rename", rename)
    with pytest.raises(Crash):
        ingest([second], store)
    monkeypatch.undo()
    if where == "swap":
        assert not store.exists()  # the crash hit between the renames; the next run restores it
        ingest([first], store)
    assert _snapshot(store) == snap
    assert not list(tmp_path.glob(".store.tmp-*")) or where == "swap"
    ingest([second], store)  # and the store still works
    assert len(pd.read_parquet(store / "processed" / "panel.parquet")) == 16


def test_recruit_files_build_their_own_table(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("新兵编号,区县,年度,征集批次,入伍日期\nR1,甲区,2021,1,2021-03-01\nR2,甲区,2021,1,2021-03-01\n",
                    encoding="utf-8")
    report = ingest([path], tmp_path / "store")
    assert report.rows == {"recruits": 2}
    assert not (tmp_path / "store" / "processed" / "panel.parquet").exists()


def test_not_a_store_is_refused(tmp_path, years):
    _, first, _ = years
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "thesis.docx").write_text("x")
    with pytest.raises(InputError, match="not a recruitstats store"):
        ingest([first], folder)


# --- the copy kept, the key, the lock, links, foreign files, typed parquet ----------------

def _recruits(path: Path, ids: list[str], district: str = "甲区") -> Path:
    lines = ["新兵编号,姓名,区县,年度,征集批次,入伍日期"]
    lines += [f"{rid},某某{i},{district},2021,1,2021-03-01" for i, rid in enumerate(ids)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MOBILES = ["13812345678", "13987654321", "15011112222"]


@pytest.fixture
def office(tmp_path):
    folder = tmp_path / "office"
    folder.mkdir()
    return folder


def test_originals_untouched_and_store_rebuilds_from_its_copies(tmp_path, years, office):
    _, first, second = years
    recruits = _recruits(office / "recruits.csv", MOBILES)
    files = [first, second, recruits]
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in files}
    store = tmp_path / "store"
    ingest([first, recruits], store, drop_personal=True)
    ingest([second], store)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode) for p in files} == before
    panel = pd.read_parquet(store / "processed" / "panel.parquet")
    people = pd.read_parquet(store / "processed" / "recruits.parquet")
    for part in (store / "processed" / "files").iterdir():  # lose every cached table
        part.unlink()
    later = mf.small_panel()
    extra = mf.write_english_csv(later.assign(year=later["year"] + 5), tmp_path / "later.csv")
    ingest([extra], store)
    rebuilt = pd.read_parquet(store / "processed" / "panel.parquet")
    pd.testing.assert_frame_equal(rebuilt.iloc[: len(panel)], panel)
    pd.testing.assert_frame_equal(pd.read_parquet(store / "processed" / "recruits.parquet"), people)


def test_key_made_by_first_ingest_that_needs_it_and_named_in_manifest(tmp_path, years, office, key_file, capsys):
    _, first, _ = years
    store = tmp_path / "store"
    assert main(["ingest", str(first), "--store", str(store)]) == 0
    assert not key_file.exists()  # a panel needs no pseudonyms
    recruits = _recruits(office / "recruits.csv", MOBILES)
    assert main(["validate", str(recruits), "--drop-personal"]) == 0
    assert main(["ingest", str(recruits), "--store", str(store)]) == 2  # names refused
    assert not key_file.exists()
    assert main(["ingest", str(recruits), "--store", str(store), "--drop-personal"]) == 0
    assert "pseudonym key created" in capsys.readouterr().out
    fingerprint = rio.privacy.key_fingerprint(key_file.read_bytes().strip())
    assert json.loads((store / "manifest.json").read_text())["key_fingerprint"] == fingerprint
    ids = pd.read_parquet(store / "processed" / "recruits.parquet")["recruit_id"].tolist()
    # the store rebuilt from nothing gives the same pseudonyms (the key is outside the store)
    import shutil

    shutil.rmtree(store)
    ingest([first, recruits], store, drop_personal=True)
    assert pd.read_parquet(store / "processed" / "recruits.parquet")["recruit_id"].tolist() == ids


def test_another_key_refused_unless_rekey(tmp_path, years, office, key_file, capsys):
    _, first, _ = years
    recruits = _recruits(office / "recruits.csv", MOBILES)
    store = tmp_path / "store"
    ingest([first, recruits], store, drop_personal=True)
    ids = pd.read_parquet(store / "processed" / "recruits.parquet")["recruit_id"].tolist()
    snap = _snapshot(store)
    other = tmp_path / "other_keys" / "k.key"
    other.parent.mkdir()
    rio.privacy.write_key_file(other, rio.privacy.new_key())
    more = _recruits(office / "more.csv", ["13700000001"], district="乙区")
    assert main(["ingest", str(more), "--store", str(store), "--key-file", str(other), "--drop-personal"]) == 2
    assert "not the one the store was built with" in capsys.readouterr().err
    assert _snapshot(store) == snap
    key_file.rename(tmp_path / "moved.key")  # the store's key missing: refused too
    assert main(["ingest", str(more), "--store", str(store), "--drop-personal"]) == 2
    assert "not at this path" in capsys.readouterr().err
    report = ingest([recruits], store, key=other, rekey=True, drop_personal=True)
    assert report.dropped == ["raw/recruits.csv.sanitised.csv"]
    manifest = json.loads((store / "manifest.json").read_text())
    assert manifest["key_fingerprint"] == rio.privacy.key_fingerprint(other.read_bytes().strip())
    assert [e["original_name"] for e in manifest["files"]] == [first.name, "recruits.csv"]
    new_ids = pd.read_parquet(store / "processed" / "recruits.parquet")["recruit_id"].tolist()
    assert len(new_ids) == 3 and not set(new_ids) & set(ids)


@pytest.mark.parametrize("where", ["store", "data"])
def test_key_inside_store_or_data_folder_refused(tmp_path, office, where):
    recruits = _recruits(office / "recruits.csv", MOBILES)
    store = tmp_path / "store"
    ingest([mf.write_english_csv(mf.small_panel(), tmp_path / "p.csv")], store)
    key = (store if where == "store" else office) / "pseudonym.key"
    with pytest.raises(InputError, match=f"inside the {'store' if where == 'store' else 'data folder'}"):
        ingest([recruits], store, key=key, drop_personal=True)
    assert not key.exists()


def test_lock_file_inside_the_store(tmp_path, years):
    import fcntl

    _, first, second = years
    a, b = tmp_path / "a", tmp_path / "b"
    ingest([first], a)
    assert (a / ".lock").is_file()
    fd = os.open(a / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another ingest holds store a
        with pytest.raises(InputError, match="another ingest"):
            ingest([second], a)
        ingest([first], b)  # the store beside it is not blocked
    finally:
        os.close(fd)
    ingest([second], a)
    nested = tmp_path / "x" / "y" / "z" / "store"  # parents created without a race on a missing parent
    ingest([first], nested)
    assert (nested / "manifest.json").exists()


def test_symlinked_store_is_followed_not_replaced(tmp_path, years):
    _, first, second = years
    real = tmp_path / "disk" / "store"
    real.mkdir(parents=True)
    link = tmp_path / "store"
    link.symlink_to(real, target_is_directory=True)
    ingest([first], link)
    ingest([second], link)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert len(json.loads((real / "manifest.json").read_text())["files"]) == 2
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="symbolic link"):
        ingest([first], dangling)
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_files_the_store_did_not_make_refuse_the_ingest(tmp_path, years):
    _, first, second = years
    store = tmp_path / "store"
    ingest([first], store)
    (store / "notes.txt").write_text("mine", encoding="utf-8")
    (store / "raw" / "extra.csv").write_text("x", encoding="utf-8")
    snap = _snapshot(store)
    with pytest.raises(InputError) as info:
        ingest([second], store)
    assert "notes.txt" in str(info.value) and "raw/extra.csv" in str(info.value)
    assert _snapshot(store) == snap


def test_processed_tables_load_without_parsing(tmp_path, years, monkeypatch):
    from recruitstats.io import readers

    _, first, second = years
    store = tmp_path / "store"
    ingest([first, second], store)
    path = store / "processed" / "panel.parquet"
    assert rio.readers.typed_parquet_marker(path) is not None

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again")

    monkeypatch.setattr(readers, "_from_columns", no_parsing)
    panel = rio.load_panel(path, needed=["applicants"])
    pd.testing.assert_frame_equal(panel, pd.read_parquet(path), check_like=False)
    assert panel.attrs["kind"] == "panel"
    monkeypatch.undo()
    monkeypatch.setattr(readers, "TYPED_PARQUET_VERSION", "0")  # an older writer: checked like any file
    assert rio.readers.typed_parquet_marker(path) is None
    assert rio.read_table(path).ok


def test_recruit_overlap_found_by_hashed_keys(tmp_path, office):
    store = tmp_path / "store"
    ingest([_recruits(office / "a.csv", ["R1", "R2", "R3"])], store, drop_personal=True)
    again = _recruits(office / "b.csv", ["R3", "R4"])
    with pytest.raises(InputError, match="1 rows overlap"):
        ingest([again], store, drop_personal=True)
    ingest([again], store, drop_personal=True, replace=True)
    ids = pd.read_parquet(store / "processed" / "recruits.parquet")["recruit_id"].tolist()
    assert ids == ["R1", "R2", "R3", "R4"]


def test_older_store_holding_personal_data_is_cleaned_on_next_ingest(tmp_path, years, office):
    """A store of format 1 kept files as sent; the next ingest replaces such a copy by a clean one."""
    import shutil

    _, first, second = years
    original = mf.write_personal_recruits(office / "recruits.csv", ids_as_recruit_id=False)
    store = tmp_path / "store"
    ingest([original, first], store, drop_personal=True)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = "recruitstats-store/1"
    for entry in manifest["files"]:
        for name in ("stored_sha256", "copy", "pseudonymised"):
            entry.pop(name)
    old_copy = store / "raw" / "recruits.csv"
    (store / manifest["files"][0]["file"]).unlink()
    shutil.copyfile(original, old_copy)  # what format 1 kept: the file as sent
    manifest["files"][0]["file"] = "raw/recruits.csv"
    (store / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(store / "processed" / "files")
    ingest([second], store)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "recruitstats-store/2"
    assert manifest["files"][0]["file"] == "raw/recruits.csv.sanitised.csv"
    for path in store.rglob("*"):
        if path.is_file():
            for values in mf.PERSONAL_VALUES.values():
                for value in values:
                    assert value.encode("utf-8") not in path.read_bytes(), path


def _ingest_in_child(args):
    files, store = args
    try:
        ingest(files, store)
        return "ok"
    except InputError as exc:
        return str(exc)


def test_concurrent_ingests_into_a_missing_folder(tmp_path, years):
    import multiprocessing

    _, first, second = years
    store = tmp_path / "missing" / "parent" / "store"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        outcomes = pool.map(_ingest_in_child, [([first], store), ([second], store)])
    assert "ok" in outcomes
    assert all(o == "ok" or "another ingest" in o for o in outcomes)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == outcomes.count("ok")
    assert not list(store.parent.glob(".store.*"))  # no temporary folder left behind


def test_a_processed_table_from_elsewhere_is_checked_on_ingest(tmp_path, office):
    """A parquet carrying the store's marker is still scanned when it is ingested into a store."""
    from recruitstats.io import readers

    df = pd.DataFrame({"district": ["甲区"], "year": [2021], "half": [1], "note": ["13812345678"]})
    path = office / "panel.parquet"
    readers.write_typed_parquet(df, path, kind="panel", synthetic=False)
    assert rio.read_table(path).ok  # loading trusts the marker
    with pytest.raises(InputError, match="phone numbers in 1 cell"):
        ingest([path], tmp_path / "store")
