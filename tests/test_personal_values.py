"""Personal data in values and oddly named columns: refused with counts, dropped on request, never stored.

The corpus (tests/personal_corpus.py) is SYNTHETIC: made-up IDs with valid check
digits, phones, names and addresses that belong to nobody.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import messy_files as mf  # noqa: E402
import personal_corpus as pc  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import InputError  # noqa: E402
from recruitstats.io import ingest, read_table  # noqa: E402
from recruitstats.io import privacy  # noqa: E402


@pytest.fixture
def key_file(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("keys") / "pseudonym.key"
    monkeypatch.setenv("RECRUITSTATS_KEY_FILE", str(path))
    return path


@pytest.fixture
def corpus_files(tmp_path):
    corpus = pc.Corpus()
    folder = tmp_path / "office"
    folder.mkdir()
    files = [pc.panel_with_free_text(folder / "panel_2021.csv", corpus),
             pc.recruits_with_odd_columns(folder / "recruits_2021.csv", corpus),
             pc.workbook_with_numeric_id(folder / "panel_codes.xlsx", corpus)]
    return corpus, files


def _leaks(corpus: pc.Corpus, blob: bytes) -> list[str]:
    return [v for v in corpus.digits_forms() if v.encode("utf-8") in blob]


def test_check_digit_and_forms():
    rng = np.random.default_rng(1)
    idn = pc.national_id(rng)
    assert privacy.is_national_id(idn)
    wrong = idn[:17] + ("0" if idn[17] != "0" else "1")
    assert not privacy.is_national_id(wrong)  # a wrong check digit is not an ID
    assert privacy.scan_values([pc.spaced(idn), f"身份证 {idn[:6]}-{idn[6:14]}-{idn[14:]} 核实"]) == {"national_id": 2}
    assert privacy.scan_values([pc.old_id(rng), float(idn[:17] + "0") if idn[17] != "X" else 1.1e17]) \
        == {"national_id": 2}
    m = pc.mobile(rng)
    assert privacy.scan_values([m, pc.dashed_mobile(m), f"+86 {m[:3]} {m[3:7]} {m[7:]}", "010-62345678",
                                "(0755)23456789", "电话 010 6234 5678", "０２１－６２３４５６７８"]) == {"phone": 7}


def test_ordinary_panel_cells_are_not_personal():
    panel = mf.small_panel()
    for column in panel.columns:
        assert privacy.scan_values(panel[column].astype(object).tolist()) == {}, column
    values = ["2021-03-01", "2021年上半年", "110101", "12,345", "1234567890", "共 12 人", "20210301", 123456789.0,
              "二〇二一年", "0.052", "5.2%", "45123.13912345678", "0.11010120030101123"]
    assert privacy.scan_values(values) == {}


@pytest.mark.parametrize("header, kind", [
    ("姓名", "name"), ("联系人", "name"), ("家长", "name"), ("应征青年姓名", "name"), ("住址", "address"),
    ("现住址", "address"), ("户籍所在地", "address"), ("联系电话", "phone"), ("手机", "phone"),
    ("家长手机", "phone"), ("身份证", "national_id"), ("公民身份号码", "national_id"), ("备注", None),
    ("手机短信", None), ("短信推送条数", None), ("区县", None), ("情况说明", None)])
def test_header_variants(header, kind):
    assert privacy.personal_header(header) == kind


def test_corpus_refused_naming_columns_and_counts(corpus_files, key_file, capsys):
    corpus, files = corpus_files
    expected = {
        "panel_2021.csv": {"联系人", "现住址", "备注", "情况说明", "col7"},
        "recruits_2021.csv": {"应征青年姓名", "家长手机", "户籍所在地", "其他"},
        "panel_codes.xlsx": {"编码"},
    }
    for path in files:
        result = read_table(path)
        errors = {p.column for p in result.errors}
        assert errors == expected[path.name]
        text = " ".join(str(p) for p in result.problems)
        assert "national ID numbers in 3 cells" in text or path.name != "panel_2021.csv"
        assert not _leaks(corpus, text.encode())
        assert main(["ingest", str(path), "--store", str(path.parent.parent / "store")]) == 2
    out = capsys.readouterr()
    assert "备注" in out.err and "家长手机" in out.err
    assert not _leaks(corpus, (out.out + out.err).encode())
    assert not (path.parent.parent / "store").exists()
    assert not key_file.exists()  # neither validate nor a refused ingest makes the key


def test_corpus_dropped_and_nothing_reaches_the_store(corpus_files, key_file, tmp_path, capsys):
    corpus, files = corpus_files
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files}
    store = tmp_path / "store"
    assert main(["ingest", *map(str, files), "--store", str(store), "--drop-personal"]) == 0
    out = capsys.readouterr()
    assert not _leaks(corpus, (out.out + out.err).encode())
    for path in sorted(store.rglob("*")):
        if path.is_file():
            assert not _leaks(corpus, path.read_bytes()), path
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in files} == before  # originals untouched
    raw = sorted(p.name for p in (store / "raw").iterdir())
    assert raw == ["panel_2021.csv.sanitised.csv", "panel_codes.xlsx.sanitised.csv",
                   "recruits_2021.csv.sanitised.csv"]
    assert key_file.exists()  # made by the first successful ingest that needed it


def test_id_like_recruit_ids_in_any_form_pseudonymised(tmp_path, key_file):
    rng = np.random.default_rng(7)
    m, idn, old = pc.mobile(rng), pc.national_id(rng), pc.old_id(rng)
    forms = [m, f"{m[:3]} {m[3:7]} {m[7:]}", pc.dashed_mobile(m), idn, pc.spaced(idn), old]
    lines = ["新兵编号,区县,年度,征集批次,入伍日期"] + [f"{f},第1区,2021,1,2021-03-0{i + 1}" for i, f in enumerate(forms)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = read_table(path, key=b"k" * 32).data
    ids = data["recruit_id"].tolist()
    assert all(i.startswith("p") and len(i) == 21 for i in ids)
    assert ids[0] == ids[1] == ids[2] and ids[3] == ids[4] and len(set(ids)) == 3  # one person, one pseudonym


def test_excel_number_ids_as_recruit_ids_are_pseudonymised(tmp_path, key_file):
    from openpyxl import Workbook

    rng = np.random.default_rng(3)
    idn = pc.national_id(rng)
    while idn.endswith("X"):
        idn = pc.national_id(rng)
    wb = Workbook()
    wb.active.append(["新兵编号", "区县", "年度", "征集批次", "入伍日期"])
    wb.active.append([float(idn), "第1区", 2021, 1, "2021-03-01"])
    path = tmp_path / "r.xlsx"
    wb.save(path)
    result = read_table(path, key=b"k" * 32)
    assert result.data["recruit_id"].iloc[0].startswith("p")
    assert any("stored as numbers" in p.message for p in result.warnings)


def test_validate_and_refused_ingest_make_no_key(tmp_path, key_file):
    path = mf.write_personal_recruits(tmp_path / "recruits.csv")
    assert main(["validate", str(path), "--drop-personal"]) == 0
    assert not key_file.exists()
    with pytest.raises(InputError):
        ingest([path], tmp_path / "store")
    assert not key_file.exists()


def test_messages_in_chinese_and_english(corpus_files, key_file):
    from recruitstats.errors import language

    corpus, files = corpus_files
    with language("zh"):
        zh = " ".join(p.message for p in read_table(files[0]).errors)
    with language("en"):
        en = " ".join(p.message for p in read_table(files[0]).errors)
    assert "个人信息" in zh and "3 个单元格含身份证号" in zh
    assert "personal data" in en and "national ID numbers in 3 cells" in en
    assert not _leaks(corpus, (zh + en).encode())


def test_numbers_in_names_headers_ids_and_note_rows_stay_out_of_the_store(tmp_path, key_file):
    rng = np.random.default_rng(11)
    corpus = pc.Corpus(seed=11)
    m1, m2, m3 = (corpus.keep(pc.mobile(rng)) for _ in range(3))
    folder = tmp_path / "office"
    folder.mkdir()
    panel = folder / f"报表_{m1}.csv"  # a phone in the file name
    panel.write_text(f"填表人电话 {m2}\n区县,年度,征集批次,{m3}\n甲区,2021,1,5\n", encoding="utf-8")
    recruits = folder / "r.csv"
    rid = corpus.keep(f"王{pc.mobile(rng)}")  # a phone inside an otherwise ordinary id
    recruits.write_text(f"新兵编号,区县,年度,征集批次,入伍日期\n{rid},甲区,2021,1,2021-03-01\n"
                        "R2,甲区,2021,1,2021-03-01\n", encoding="utf-8")
    result = read_table(panel)
    assert [p.column for p in result.errors] == ["column D"]  # named by its letter, not by the number
    store = tmp_path / "store"
    ingest([panel, recruits], store, drop_personal=True)
    for path in store.rglob("*"):
        assert not _leaks(corpus, path.as_posix().encode())
        if path.is_file():
            assert not _leaks(corpus, path.read_bytes()), path
    ids = read_table(store / "processed" / "recruits.parquet").data["recruit_id"].tolist()
    assert all(i.startswith("p") for i in ids)


def test_long_digit_strings_never_become_floats(tmp_path):
    path = tmp_path / "p.csv"  # 18 digits that are not an ID (no valid check digit): kept exactly, as text
    path.write_text("区县,年度,征集批次,批次编号\n甲区,2021,1,123456789012345678\n乙区,2021,1,\n", encoding="utf-8")
    data = read_table(path).data
    assert data["批次编号"].tolist()[0] == "123456789012345678"
