"""Personal data: refused with the columns named, dropped on request, never echoed anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import InputError  # noqa: E402
from recruitstats.io import load_panel, load_recruits, read_table  # noqa: E402
from recruitstats.io import privacy  # noqa: E402
from recruitstats.io.privacy import load_key  # noqa: E402

ALL_VALUES = [v for values in mf.PERSONAL_VALUES.values() for v in values]


@pytest.fixture
def key_file(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("secrets") / "pseudonym.key"
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(path))
    return path


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return d


def _assert_no_personal_value(text: str) -> None:
    for value in ALL_VALUES:
        assert value not in text


def test_personal_columns_refused_with_columns_named(data_dir, key_file, capsys):
    path = mf.write_personal_recruits(data_dir / "recruits.csv")
    with pytest.raises(InputError) as info:
        load_recruits(path)
    columns = {p.column for p in info.value.problems if p.severity == "error"}
    assert columns == {"姓名", "身份证号", "联系电话", "家庭住址"}
    _assert_no_personal_value(str(info.value))
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr()
    assert "姓名" in out.err and "身份证号" in out.err
    _assert_no_personal_value(out.out + out.err)


def test_personal_columns_in_a_panel_are_refused_too(data_dir, key_file):
    path = data_dir / "p.csv"
    path.write_text("区县,年度,征集批次,联系人手机\n甲区,2021,1,13812345678\n", encoding="utf-8")
    path.write_text("区县,年度,征集批次,手机\n甲区,2021,1,13812345678\n", encoding="utf-8")
    with pytest.raises(InputError, match="手机"):
        load_panel(path)
    df = load_panel(path, drop_personal=True)
    assert list(df.columns) == ["district", "year", "half"]


def test_dropped_on_request_and_ids_pseudonymised_with_hmac(data_dir, key_file):
    path = mf.write_personal_recruits(data_dir / "recruits.csv")
    temporary = load_recruits(path, drop_personal=True)
    assert any("no pseudonym key yet" in p.message for p in temporary.attrs["problems"])
    assert not key_file.exists()  # reading never creates the key
    key = privacy.write_key_file(key_file, privacy.new_key())
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    df = load_recruits(path, drop_personal=True)
    assert not {"姓名", "身份证号", "联系电话", "家庭住址"} & set(df.columns)
    want = ["p" + hmac.new(key, i.upper().encode(), hashlib.sha256).hexdigest()[:20]
            for i in mf.PERSONAL_VALUES["ids"]]
    assert df["recruit_id"].tolist() == want
    _assert_no_personal_value(df.to_csv())
    _assert_no_personal_value(" ".join(str(p) for p in df.attrs["problems"]))
    # the same key gives the same pseudonyms on the next read (records stay linkable)
    assert load_recruits(path, drop_personal=True)["recruit_id"].tolist() == want


def test_explicit_key_and_key_inside_data_folder(data_dir, key_file):
    path = mf.write_personal_recruits(data_dir / "recruits.csv")
    a = load_recruits(path, drop_personal=True, key=b"k" * 32)["recruit_id"]
    b = load_recruits(path, drop_personal=True, key=b"j" * 32)["recruit_id"]
    assert (a != b).all()
    with pytest.raises(InputError, match="inside the data folder"):
        load_recruits(path, drop_personal=True, key=data_dir / "my.key")


def test_no_personal_value_in_store_outputs_or_messages(data_dir, key_file, tmp_path, capsys):
    path = mf.write_personal_recruits(data_dir / "recruits.csv")
    store = tmp_path / "store"
    assert main(["ingest", str(path), "--store", str(store)]) == 2
    assert not store.exists()
    assert main(["ingest", str(path), "--store", str(store), "--drop-personal"]) == 0
    out = capsys.readouterr()
    _assert_no_personal_value(out.out + out.err)
    _assert_no_personal_value((store / "manifest.json").read_text(encoding="utf-8"))
    processed = pd.read_parquet(store / "processed" / "recruits.parquet")
    _assert_no_personal_value(processed.to_csv())
    for stored in store.rglob("*"):  # processed tables, typed parts and the stored copy alike
        if stored.is_file():
            blob = stored.read_bytes()
            for value in ALL_VALUES:
                assert value.encode("utf-8") not in blob, stored
    assert json.loads((store / "manifest.json").read_text())["files"][0]["drop_personal"] is True


def test_bad_cells_in_recruit_files_do_not_echo_values(data_dir, key_file):
    path = data_dir / "r.csv"
    path.write_text("新兵编号,区县,年度,征集批次,入伍日期\nR1,甲区,2021,1,13812345678\n", encoding="utf-8")
    result = read_table(path)
    assert not result.ok
    _assert_no_personal_value(" ".join(str(p) for p in result.problems))


def test_key_file_never_created_by_reading(tmp_path, monkeypatch):
    path = tmp_path / "k" / "pseudonym.key"
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(path))
    first, temporary = load_key()
    assert temporary and not path.exists() and len(first) == 64
    assert load_key()[0] != first  # a temporary key holds for one read only
    written = privacy.write_key_file(path, first)
    assert written == first and load_key() == (first, False)
    assert privacy.write_key_file(path, privacy.new_key()) == first  # never replaced once made
    assert privacy.key_fingerprint(first) == hashlib.sha256(first).hexdigest()[:16]


def _scan_reference(values) -> dict[str, int]:
    """scan_values as it was before short ASCII cells were skipped: every distinct value judged."""
    import pandas as pd

    from recruitstats.io.privacy import _cell_kind

    series = pd.Series(list(values), dtype=object)
    out: dict[str, int] = {}
    for value in pd.unique(series.to_numpy()):
        kind = _cell_kind(value)
        if kind:
            out[kind] = out.get(kind, 0) + int((series == value).sum())
    return out


def test_scan_values_skipping_short_ascii_cells_gives_the_same_counts():
    import numpy as np

    from recruitstats.io.privacy import scan_values

    rng = np.random.default_rng(20261201)
    # synthetic ID-shaped test values (made up, not real people)
    hits = ["13812345678", "138 1234 5678", "+86-138-1234-5678", "010-62345678", "11010519491231002X",
            "110105491231002", "１３８１２３４５６７８", "核查13812345678", 13812345678, 1.10105194912310e17,
            "1.10105E+17"]
    short = ["12345678", "2021", "x", "", " 1380013", "H1", "1,234", "12万", "约120", "甲区", "一二三四五六七八"]
    other = ["123456789", "2021-03-01", "110101", 110101, 2021.0, None, float("nan"), True, "N/A"]
    pool = hits + short + other
    for n in (1, 7, 200, 5000):
        cells = [pool[i] for i in rng.integers(0, len(pool), n)]
        assert scan_values(cells) == _scan_reference(cells)
        assert scan_values(np.array(cells, dtype=object)) == _scan_reference(cells)
    assert scan_values(short) == {} and scan_values(["1380013800"]) == _scan_reference(["1380013800"])
