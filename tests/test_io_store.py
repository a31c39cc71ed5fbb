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
from recruitstats.io import ingest, store as store_module  # noqa: E402


@pytest.fixture(autouse=True)
def _key(tmp_path, monkeypatch):
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))


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
    assert _sha(store / "raw" / first.name) == before[first]
    assert _sha(store / "raw" / second.name) == before[second]
    combined = pd.read_parquet(store / "processed" / "panel.parquet")
    # adding next year's file does not change what earlier files contributed
    pd.testing.assert_frame_equal(combined.iloc[: len(earlier)].reset_index(drop=True), earlier)
    expected = panel.sort_values(["year", "half"], kind="stable").reset_index(drop=True)
    got = combined.sort_values(["year", "half"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    assert [e["file"] for e in manifest["files"]] == [f"raw/{first.name}", f"raw/{second.name}"]
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
