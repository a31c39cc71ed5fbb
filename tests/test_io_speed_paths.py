"""The fast (column-wise, pyarrow) and careful (cell by cell) CSV paths give the same result.

Every file here is read twice: as the readers do (a clean CSV goes column-wise) and
with ``readers.FAST_CSV`` off (every cell through the careful path). The frames, the
problems (messages, rows, columns, order), row numbers, headers, the synthetic flag
and the clean copy must be identical; files that are not clean must still give the
careful path's located messages, whichever path read them.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recruitstats.errors import InputError
from recruitstats.io import numbers as num
from recruitstats.io import readers
from recruitstats.io.readers import read_table
from messy_files import (PERSONAL_VALUES, RULE_BREAKS, base_panel, small_panel, write_chinese_csv,
                               write_english_csv, write_everyday_headers_csv, write_personal_recruits,
                               write_rule_break)


def _read(path: Path, monkeypatch, fast: bool, **kw) -> tuple[object, bool]:
    """The read result (or the InputError's problems) and whether the column-wise path produced it."""
    used = []
    original = readers._read_csv_table

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        used.append(result is not None)
        return result

    with monkeypatch.context() as m:
        m.setattr(readers, "FAST_CSV", fast)
        m.setattr(readers, "_read_csv_table", spy)
        try:
            return read_table(path, **kw), any(used)
        except InputError as exc:
            return exc.problems, any(used)


def _copy_text(result, tmp_path: Path, name: str) -> bytes:
    target = tmp_path / name
    result.copy.write_csv(target)
    return target.read_bytes()


def same(path: Path, monkeypatch, tmp_path: Path, **kw) -> bool:
    """Assert both paths agree on ``path``; return whether the fast path was used."""
    fast, used = _read(path, monkeypatch, True, **kw)
    careful, _ = _read(path, monkeypatch, False, **kw)
    if isinstance(careful, list):  # refused: the same problems, whichever path
        assert fast == careful
        return used
    pd.testing.assert_frame_equal(fast.data, careful.data, check_exact=True)
    assert fast.problems == careful.problems
    assert np.array_equal(fast.rows, careful.rows)
    assert (fast.headers, fast.kind, fast.synthetic, fast.source) == (careful.headers, careful.kind,
                                                                       careful.synthetic, careful.source)
    if careful.copy is None:
        assert fast.copy is None
    else:
        assert (fast.copy.personal, fast.copy.pseudonymised) == (careful.copy.personal, careful.copy.pseudonymised)
        assert _copy_text(fast, tmp_path, "fast.csv") == _copy_text(careful, tmp_path, "careful.csv")
    return used


def _write(path: Path, lines: list[str], *, encoding: str = "utf-8", end: str = "\n") -> Path:
    path.write_bytes((end.join(lines) + end).encode(encoding))
    return path


HEAD = "district,district_code,year,half,eligible_youth,applicants,enlisted,returned,publicity_spend,unemployment_rate"


def _rows(n: int = 6) -> list[str]:
    return [f"区{i},{110100 + i},{2021 + i % 2},{1 + i // 2 % 2},{1000 + i},{300 + i},{100 + i},{i % 3},"
            f"{50000 + 7 * i},0.0{i + 1}" for i in range(n)]


# --- clean files: the fast path is used and agrees ---------------------------------------

def test_simulated_panel(tmp_path, monkeypatch):
    from recruitstats.simulate import simulate, write_simulation

    write_simulation(simulate(seed=5, n_cities=2, districts_per_city=4, recruits=False), tmp_path / "sim")
    assert same(tmp_path / "sim" / "panel.csv", monkeypatch, tmp_path)


@pytest.mark.parametrize("panel", [small_panel, base_panel])
def test_canonical_english_csv(tmp_path, monkeypatch, panel):
    assert same(write_english_csv(panel(), tmp_path / "en.csv"), monkeypatch, tmp_path)


def test_needed_columns_and_missing_cells(tmp_path, monkeypatch):
    rows = _rows()
    rows[2] = rows[2].replace(",300", ",", 1).replace(",102,", ",,")
    path = _write(tmp_path / "gaps.csv", [HEAD, *rows])
    assert same(path, monkeypatch, tmp_path, needed=("applicants", "enlisted"))
    assert same(path, monkeypatch, tmp_path)


def test_title_group_unit_rows_and_crlf(tmp_path, monkeypatch):
    lines = ["SYNTHETIC 2021年征兵统计,,,,,,,,,", ",,,,,,,,,", HEAD, ",,,,人,人,人,人,元,%", *_rows()]
    assert same(_write(tmp_path / "title.csv", lines, end="\r\n"), monkeypatch, tmp_path)


def test_tab_separated_and_quoted_cells(tmp_path, monkeypatch):
    rows = [r.replace(",", "\t") for r in _rows()]
    assert same(_write(tmp_path / "t.tsv", [HEAD.replace(",", "\t"), *rows]), monkeypatch, tmp_path)
    quoted = [f'"{r.split(",", 1)[0]}, 城关","{r.split(",", 1)[1].split(",", 1)[0]}",' + r.split(",", 2)[2]
              for r in _rows()]
    lines = [HEAD + ",note", *[q + ',"two\nlines"' for q in quoted]]
    assert same(_write(tmp_path / "quoted.csv", lines), monkeypatch, tmp_path)


def test_unknown_and_unlabelled_columns(tmp_path, monkeypatch):
    lines = [HEAD + ",extra,,ids", *[r + f",{i}.5,x{i},{12345678901234567 + i}" for i, r in enumerate(_rows())]]
    assert same(_write(tmp_path / "extra.csv", lines), monkeypatch, tmp_path)


def test_rows_dropped_as_the_careful_path_drops_them(tmp_path, monkeypatch):
    rows = _rows()
    lines = [HEAD, "示例区,110000,2021,1,1,1,1,0,1,0.01", *rows[:3], HEAD, ",,,,,,,,,", " ,,,,,,,,,",
             *rows[3:], "合计,,,,6000,1800,600,3,300000,", "注：数据截至2021年底,,,,,,,,,"]
    assert same(_write(tmp_path / "dropped.csv", lines), monkeypatch, tmp_path)


def test_trailing_empty_lines(tmp_path, monkeypatch):
    path = tmp_path / "trail.csv"
    path.write_text("\n".join([HEAD, *_rows()]) + "\n\n\n", encoding="utf-8")
    assert same(path, monkeypatch, tmp_path)


# --- messy files: either path, the same messages -----------------------------------------

def test_chinese_headers_gbk_wan_percent_fullwidth(tmp_path, monkeypatch):
    same(write_chinese_csv(small_panel(), tmp_path / "zh.csv"), monkeypatch, tmp_path)
    same(write_chinese_csv(base_panel(), tmp_path / "zh_base.csv"), monkeypatch, tmp_path)


def test_everyday_headers(tmp_path, monkeypatch):
    same(write_everyday_headers_csv(base_panel(), tmp_path / "everyday.csv"), monkeypatch, tmp_path)


def test_wan_yuan_plain_numbers(tmp_path, monkeypatch):
    head = HEAD.replace("publicity_spend", "宣传经费（万元）")
    rows = [r.rsplit(",", 2)[0] + f",{v},0.05" for r, v in zip(_rows(), ["5", "12.3456", "0.1", "7", "", "3.30"])]
    assert same(_write(tmp_path / "wan.csv", [head, *rows]), monkeypatch, tmp_path)
    whole = [r.rsplit(",", 2)[0] + f",{v},0.05" for r, v in zip(_rows(), ["5", "12", "900719925", "7", "", "0"])]
    assert same(_write(tmp_path / "wan_whole.csv", [head, *whole]), monkeypatch, tmp_path)


@pytest.mark.parametrize("rule", [None, *RULE_BREAKS])
def test_rule_breaks(tmp_path, monkeypatch, rule):
    path = write_rule_break(tmp_path / f"rule_{rule}.csv", rule)
    used = same(path, monkeypatch, tmp_path)
    fast, _ = _read(path, monkeypatch, True)
    assert fast.ok == (rule is None)
    if rule is not None:
        assert any(p.row == 5 for p in fast.errors), fast.problems
    assert used or rule == "required_present"


@pytest.mark.parametrize("cells", [
    {"applicants": "XX", "enlisted": "—", "returned": "待定"},  # placeholders
    {"applicants": "约300", "publicity_spend": "5万余"},  # approximate figures
    {"applicants": "３００", "eligible_youth": "1,000"},  # full-width digits, thousands separators
    {"applicants": "3.5", "returned": "-1", "publicity_spend": "-5"},  # not whole, negative
    {"applicants": "9999999", "enlisted": "1e2", "unemployment_rate": "5%"},  # orderings, exponent, %
    {"half": "3", "year": "21"},  # half and year out of range
    {"district": "", "half": ""},  # required cells missing
    {"applicants": "12345678901234567890", "publicity_spend": "5."},  # past int64, a trailing point
    {"unemployment_rate": "５.2", "district_code": "11010"},  # full-width percent, a short code
])
def test_broken_cells(tmp_path, monkeypatch, cells):
    names = HEAD.split(",")
    rows = [r.split(",") for r in _rows()]
    for name, value in cells.items():
        rows[3][names.index(name)] = value
    path = _write(tmp_path / "broken.csv", [HEAD, *(",".join(r) for r in rows)])
    same(path, monkeypatch, tmp_path)
    same(path, monkeypatch, tmp_path, needed=tuple(cells))


def test_duplicate_district_cycle(tmp_path, monkeypatch):
    rows = _rows()
    path = _write(tmp_path / "dup.csv", [HEAD, *rows, rows[1], rows[4]])
    assert same(path, monkeypatch, tmp_path)
    fast, _ = _read(path, monkeypatch, True)
    assert [p.row for p in fast.errors] == [8, 9]


def test_ragged_rows_and_blank_lines_take_the_careful_path(tmp_path, monkeypatch):
    rows = _rows()
    assert not same(_write(tmp_path / "short.csv", [HEAD, *rows[:2], rows[2].rsplit(",", 3)[0], *rows[3:]]),
                    monkeypatch, tmp_path)
    assert not same(_write(tmp_path / "blank.csv", [HEAD, *rows[:2], "", *rows[2:]]), monkeypatch, tmp_path)
    assert not same(_write(tmp_path / "wide.csv", [HEAD, *rows[:2], rows[2] + ",7", *rows[3:]]),
                    monkeypatch, tmp_path)


# --- personal data: refused or dropped exactly as before ----------------------------------

def test_personal_recruits(tmp_path, monkeypatch):
    path = write_personal_recruits(tmp_path / "recruits.csv")
    assert not same(path, monkeypatch, tmp_path, kind="recruits")
    key = b"k" * 32
    assert not same(path, monkeypatch, tmp_path, kind="recruits", drop_personal=True, key=key)


# synthetic ID-shaped test values (made up, not real people)
@pytest.mark.parametrize("value", [PERSONAL_VALUES["phones"][0], "320102200403151233", "138 1234 5678",
                                   "家长 110101200301011234"])
def test_personal_values_in_panel_columns(tmp_path, monkeypatch, value):
    rows = [r + ",x" for r in _rows()]
    rows[2] = rows[2][:-1] + value
    path = _write(tmp_path / "phone.csv", [HEAD + ",contact_note", *rows])
    assert not same(path, monkeypatch, tmp_path)
    assert not same(path, monkeypatch, tmp_path, drop_personal=True)
    fast, _ = _read(path, monkeypatch, True)
    assert isinstance(fast, list) or not fast.ok
    assert value not in str(fast)


def test_personal_number_in_a_count_column_and_in_a_title(tmp_path, monkeypatch):
    rows = _rows()
    rows[1] = rows[1].replace(",1001,", f",{PERSONAL_VALUES['phones'][1]},", 1)
    assert not same(_write(tmp_path / "count.csv", [HEAD, *rows]), monkeypatch, tmp_path)
    titled = [f"填表人电话 {PERSONAL_VALUES['phones'][2]},,,,,,,,,", HEAD, *_rows()]
    path = _write(tmp_path / "title_phone.csv", titled)
    assert same(path, monkeypatch, tmp_path)
    fast, _ = _read(path, monkeypatch, True)
    assert fast.copy.personal


# --- the number parser's fast path ----------------------------------------------------------

def test_parse_number_text_equals_parse_numbers():
    import pyarrow as pa

    rng = np.random.default_rng(7)
    ints = [str(v) for v in rng.integers(0, 10**12, 200)] + ["0", "007", "", "9007199254740991"]
    decimals = [f"{v:.{k}f}" for v, k in zip(rng.normal(0, 1e4, 200), rng.integers(0, 9, 200))]
    decimals += ["-0", "-0.0", "", "0.1", "123456789.123456789", "-7"]
    for cells, shape in ((ints, "whole"), (decimals, "plain")):
        for scale in (None, Decimal(1), Decimal(10_000), Decimal(1000)):
            quick = num.parse_number_text(pa.array(cells, type=pa.string()), shape=shape, scale=scale)
            slow, percent = num.parse_numbers(cells, scale=scale)
            assert quick is not None
            np.testing.assert_array_equal(quick[0].values, slow.values)
            np.testing.assert_array_equal(quick[0].status, slow.status)
            np.testing.assert_array_equal(quick[1], percent)
    past = pa.array(["9007199254740993"], type=pa.string())
    assert num.parse_number_text(past, shape="whole") is None


def test_a_field_longer_than_csv_reads_is_refused_as_before(tmp_path, monkeypatch):
    import csv

    rows = [r + ",x" for r in _rows()]
    rows[1] = rows[1][:-1] + "y" * (csv.field_size_limit() + 5)
    path = _write(tmp_path / "long.csv", [HEAD + ",note", *rows])
    assert not same(path, monkeypatch, tmp_path)
    with pytest.raises(InputError, match="field larger"):
        read_table(path)


def test_simulated_recruit_records(tmp_path, monkeypatch):
    from recruitstats.simulate import simulate, write_simulation

    write_simulation(simulate(seed=6, n_cities=1, districts_per_city=3, first_year=2023, last_year=2024),
                     tmp_path / "sim")
    assert same(tmp_path / "sim" / "recruits.csv", monkeypatch, tmp_path, kind="recruits", key=b"k" * 32)
    assert same(tmp_path / "sim" / "recruits.csv", monkeypatch, tmp_path, key=b"k" * 32)


# --- validation: the numpy pre-check never hides a failure pandera finds -------------------

@pytest.mark.parametrize("seed", range(6))
def test_validation_equals_the_pandera_path(monkeypatch, seed):
    from recruitstats.io import validate

    rng = np.random.default_rng(seed)
    df = small_panel(seed).reset_index(drop=True)
    n = len(df)
    for _ in range(seed):  # seed 0 keeps every rule
        i, what = int(rng.integers(n)), int(rng.integers(7))
        if what == 0:
            df.loc[i, "applicants"] = -1.0
        elif what == 1:
            df.loc[i, "enlisted"] = 2.5
        elif what == 2:
            df.loc[i, "publicity_spend"] = -10.0
        elif what == 3:
            df["half"] = df["half"].astype(float)
            df.loc[i, "half"] = np.nan if rng.random() < 0.5 else 3.0
        elif what == 4:
            df["district"] = df["district"].astype(object)
            df.loc[i, "district"] = None
        elif what == 5:
            df.loc[i, "applicants"] = np.inf
        else:
            df = pd.concat([df, df.iloc[[i]]], ignore_index=True)
    ours = validate.validate_panel(df, file="f.csv")
    monkeypatch.setattr(validate, "_keeps_column_rules", lambda view: False)
    assert validate.validate_panel(df, file="f.csv") == ours
    assert (not ours) == (seed == 0)


def test_duplicated_keys_as_pandas_finds_them():
    from recruitstats.io.validate import _duplicated

    rng = np.random.default_rng(1)
    for _ in range(20):
        n = 60
        unit = rng.choice(np.array(["a", "b", "c", None], dtype=object), n)
        year = rng.choice([2020.0, 2021.0, np.nan], n)
        half = rng.choice([1, 2], n)
        expected = pd.DataFrame({"u": unit, "y": year, "h": half}).duplicated(keep=False).to_numpy()
        np.testing.assert_array_equal(_duplicated(unit, year, half), expected)


@pytest.mark.parametrize("tail", [
    ',"quoted ""inner"" text"', ', "space before quote"', ',"after"quote', ",in\"side", ',"a\r\nb"',
    ',"blank\n\nline inside"', ',"unterminated\n\n',
])
def test_quoting_as_csv_reader_reads_it(tmp_path, monkeypatch, tail):
    rows = [r + ",plain" for r in _rows()]
    rows[-1] = rows[-1].rsplit(",", 1)[0] + tail
    path = tmp_path / "q.csv"
    path.write_bytes(("\n".join([HEAD + ",note", *rows])).encode("utf-8"))
    same(path, monkeypatch, tmp_path)


def test_recruit_ids_that_are_national_ids_are_pseudonymised_alike(tmp_path, monkeypatch):
    head = "新兵编号,区县,年度,征集批次,性别,文化程度,入伍日期,退兵日期,退兵原因"
    # synthetic ID-shaped test values (made up, not real people)
    ids = ["110101200301011234", "320102200403151233", "440305200212315677"]
    lines = [f"{rid},第1区,2021,上半年,男,高中,2021年3月1日,{'2021/4/15' if i == 0 else ''},{'身体' if i == 0 else ''}"
             for i, rid in enumerate(ids)]
    path = _write(tmp_path / "ids.csv", [head, *lines], end="\r\n")
    assert same(path, monkeypatch, tmp_path, kind="recruits", key=b"k" * 32)
    fast, _ = _read(path, monkeypatch, True, kind="recruits", key=b"k" * 32)
    assert fast.copy.pseudonymised and not set(ids) & set(fast.data["recruit_id"])
    assert not any(rid in _copy_text(fast, tmp_path, "ids_copy.csv").decode() for rid in ids)
