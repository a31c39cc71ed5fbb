"""Hostile and broken files are refused quickly, with a message that says what to fix (issue #11, item 7).

The files come from tests/hostile_files.py (small on disk). Each must exit 2 at
`validate` with its message; one subprocess validates all of them and must stay
under 1 GB of memory and 30 s: generous bounds, the point is that the reader
refuses instead of trying (the far-cell workbook alone would ask for 549 GB).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import hostile_files as hf  # noqa: E402

from recruitstats.cli import main  # noqa: E402
from recruitstats.errors import InputError, language  # noqa: E402
from recruitstats.io import guards, read_table  # noqa: E402

SECONDS = 30


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return hf.write_hostile_files(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", sorted(hf.HOSTILE))
def test_hostile_file_exits_2_with_its_message(hostile, name, capsys):
    start = time.perf_counter()
    code = main(["validate", "--lang", "en", str(hostile[name])])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    assert code == 2, err
    for words in hf.HOSTILE[name][1]:
        assert words in err, err
    assert "Traceback" not in err and elapsed < SECONDS


def test_hostile_files_small_on_disk(hostile):
    assert max(p.stat().st_size for p in hostile.values()) < 4 * 2**20
    assert hostile["zip_bomb.xlsx"].stat().st_size < 2 * 2**20


def test_generated_workbooks_are_readable_when_not_hostile(tmp_path):
    """The hand-written zip format is right: a normal panel written the same way reads."""
    result = read_table(hf.good_xlsx(tmp_path / "good.xlsx"))
    assert result.ok and len(result.data) == 4 and result.data["eligible_youth"].tolist() == [100.0] * 4


def test_all_hostile_files_in_one_process_stay_small_and_fast(hostile):
    code = ("import resource, sys\n"
            "from recruitstats.cli import main\n"
            "rc = main(sys.argv[1:])\n"
            "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(rc)\n")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "validate", "--lang", "en", *map(str, hostile.values())],
                          capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 2, proc.stderr
    rss_kb = int(proc.stderr.rsplit("MAXRSS_KB", 1)[1].split()[0])
    assert rss_kb < 2**20, f"{rss_kb / 1024:.0f} MB"  # ru_maxrss is in KB on Linux
    assert elapsed < SECONDS
    for name in hostile:
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


def test_formula_cells_named_in_chinese(hostile):
    with language("zh"), pytest.raises(InputError) as info:
        read_table(hostile["formula.xlsx"])
    assert "C7" in str(info.value) and "打开并保存" in str(info.value)


def test_one_formula_cell_is_named_alone(tmp_path):
    xml = (hf.SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>区县</t></is></c>'
           '<c r="B1" t="inlineStr"><is><t>年度</t></is></c></row><row r="7"><c r="A7" t="inlineStr">'
           '<is><t>甲区</t></is></c><c r="C7"><f>SUM(A1:B1)</f></c></row></sheetData></worksheet>')
    path = hf.write_xlsx(tmp_path / "one.xlsx", xml)
    with language("en"), pytest.raises(InputError) as info:
        read_table(path)
    assert "C7 has a formula with no saved value; open and save the file in Excel or WPS" in str(info.value)


def test_formula_with_saved_value_is_fine(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["区县", "年度", "征集批次", "适龄青年数"])
    ws.append(["甲区", 2021, 1, 100])
    path = tmp_path / "saved.xlsx"
    wb.save(path)
    # openpyxl writes formulas without values; Excel writes <f> and <v> (an empty <v> with t="str" for a
    # formula whose result is ""): emulate the latter
    import zipfile

    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace('<c r="D2" t="n"><v>100</v></c>', '<c r="D2"><f>50*2</f><v>100</v></c>'
                                                             '<c r="E2" t="str"><f>IF(D2="","",D2)</f><v></v></c>')
    assert sheet.count("<f>") == 2
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    result = read_table(path)
    assert result.ok and result.data["eligible_youth"].tolist() == [100.0]


def test_limits_are_module_constants_with_sane_values():
    assert guards.MAX_COLUMNS >= 200 and guards.MAX_CELLS >= 5_000_000
    assert guards.MAX_LINE_BYTES >= 64 * 1024
    assert guards.MAX_COMPRESSION_RATIO >= 100


def test_plausible_years_are_read(tmp_path):
    from recruitstats.schema import MIN_YEAR, max_year

    path = tmp_path / "years.csv"
    path.write_text(f"区县,年度,征集批次\n甲区,{MIN_YEAR},2\n乙区,{max_year()},1\n", encoding="utf-8")
    assert read_table(path).ok


def test_wide_quoted_csv_is_refused_after_parsing(tmp_path):
    """Quoted commas hide columns from the byte check; the parsed width is checked too."""
    path = tmp_path / "quoted.csv"
    path.write_text("区县,年度,征集批次\n" + ",".join(['"a"'] * (guards.MAX_COLUMNS + 5)) + "\n", encoding="utf-8")
    with language("en"), pytest.raises(InputError, match="line 2 has 2,005 columns"):
        read_table(path)


def test_lying_zip_directory_is_stopped_while_streaming(tmp_path, monkeypatch):
    """A sheet part bigger than its zip entry says is stopped at the unpacked limit."""
    monkeypatch.setattr(guards, "MAX_UNCOMPRESSED_BYTES", 8 * 2**20)
    monkeypatch.setattr(guards, "_RATIO_FLOOR_BYTES", 2**40)  # so only streaming can catch it
    path = hf.zip_bomb_xlsx(tmp_path / "bomb.xlsx", unpacked_mb=20)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 8 * 2**20
    monkeypatch.setattr(guards, "_check_zip_sizes", lambda zf, file: None)  # as if the directory lied
    with language("en"), pytest.raises(InputError, match="unpacks to more than 8 MB"):
        read_table(path)

