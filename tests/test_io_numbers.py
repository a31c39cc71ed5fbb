"""Cell parsing: numbers, percentages, cycles, codes, dates, yes/no as offices write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from recruitstats.io import numbers as num


@pytest.mark.parametrize("cell, value, status", [
    ("1234", 1234.0, num.OK),
    ("1,234", 1234.0, num.OK),
    ("１２３４", 1234.0, num.OK),          # full-width digits (pd.to_numeric gives NaN)
    ("１，２３４．５", 1234.5, num.OK),
    (" 12 345 ", 12345.0, num.OK),
    ("12万", 120000.0, num.OK),
    ("1.2万", 12000.0, num.OK),
    ("12万余", 120000.0, num.APPROX),
    ("约120", 120.0, num.APPROX),
    ("120余人", 120.0, num.APPROX),
    ("300人", 300.0, num.OK),
    (1234.0, 1234.0, num.OK),
    (7, 7.0, num.OK),
])
def test_numbers_as_written(cell, value, status):
    parsed, _ = num.parse_numbers([cell])
    assert parsed.values[0] == value
    assert parsed.status[0] == status


@pytest.mark.parametrize("cell", ["XX", "X", "xx", "—", "——", "/", "待定", "-", "暂无"])
def test_placeholders_are_missing_never_numbers(cell):
    parsed, _ = num.parse_numbers([cell, "5"])
    assert np.isnan(parsed.values[0]) and parsed.status[0] == num.PLACEHOLDER
    assert parsed.values[1] == 5.0


@pytest.mark.parametrize("cell", ["12,34", "1.2.3", "abc", "12a", True, dt.date(2021, 1, 1), "1,2345"])
def test_unparseable_is_bad(cell):
    parsed, _ = num.parse_numbers([cell])
    assert parsed.status[0] == num.BAD and np.isnan(parsed.values[0])


def test_empty_cells_are_missing_without_report():
    parsed, _ = num.parse_numbers(["", None, np.nan, "  "])
    assert np.isnan(parsed.values).all() and (parsed.status == num.EMPTY).all()


def test_wan_yuan_scaling_is_exact():
    # 12.3456 万元 is 123456 yuan exactly, whether typed as text or held as an Excel double
    parsed, _ = num.parse_numbers(["12.3456", 12.3456, "0.1", 0.07], scale=Decimal(10_000))
    assert parsed.values.tolist() == [123456.0, 123456.0, 1000.0, 700.0]


@pytest.mark.parametrize("unit, scale", [("万元", 10_000), ("万", 10_000), ("元", 1), ("元/年", 1), ("千元", 1000),
                                         ("yuan", 1), ("10k yuan", 10_000), ("人", None)])
def test_unit_scale(unit, scale):
    got = num.unit_scale(unit)
    assert (got is None and scale is None) or got == scale


def test_percent_forms_give_the_same_fraction():
    parsed = num.parse_percent(["5.2%", "5.2％", "5.2", 5.2])
    assert parsed.values.tolist() == [0.052] * 4
    parsed = num.parse_percent([0.052, "0.052", "0.049"])
    assert parsed.values.tolist() == [0.052, 0.052, 0.049]
    parsed = num.parse_percent(["0.9", "5.2"], header_percent=True)
    assert parsed.values.tolist() == [0.009, 0.052]


def test_percent_mixed_column_is_ambiguous_not_guessed():
    parsed = num.parse_percent(["5.2", "0.9", "0"])
    assert parsed.status[1] == num.AMBIGUOUS and np.isnan(parsed.values[1])
    assert parsed.values[0] == 0.052 and parsed.values[2] == 0.0


@pytest.mark.parametrize("cell, year, half", [
    ("2021年上半年", 2021, 1), ("2021H1", 2021, 1), ("2021h2", 2021, 2), ("2021年下半年", 2021, 2),
    ("2021春季", 2021, 1), ("2021年秋季", 2021, 2), ("上半年", None, 1), ("下半年", None, 2), ("春季", None, 1),
    ("秋季", None, 2), ("H1", None, 1), (2, None, 2), (1.0, None, 1), ("2019", 2019, None), (2019.0, 2019, None),
    ("2021年", 2021, None), ("２０２１年上半年", 2021, 1), ("2.0", None, 2), ("2021.0", 2021, None),
])
def test_cycles(cell, year, half):
    assert num.parse_cycle(cell) == (year, half)


@pytest.mark.parametrize("cell", ["3", "第三批", "2021Q3", "spring2021x"])
def test_not_a_cycle(cell):
    parsed, _ = num.parse_halves([cell])
    assert parsed.status[0] == num.BAD


def test_codes_keep_leading_zeros_and_undo_excel_floats():
    parsed = num.parse_codes([110101.0, "110101", "012345", "０１２３４５", 110101, "110101.0", "11-01", ""])
    assert parsed.values[:6].tolist() == ["110101", "110101", "012345", "012345", "110101", "110101"]
    assert parsed.status[6] == num.BAD and parsed.status[7] == num.EMPTY


def test_dates_as_written():
    want = pd.Timestamp("2021-03-01")
    cells = ["2021-03-01", "2021/3/1", "2021年3月1日", "2021.3.1", "20210301", 44256, "44256",
             dt.date(2021, 3, 1), dt.datetime(2021, 3, 1)]
    parsed = num.parse_dates(cells)
    assert (parsed.status == num.OK).all()
    assert all(pd.Timestamp(v) == want for v in parsed.values)  # 44256 is Excel's serial for 2021-03-01
    assert num.parse_dates(["2021-02-30"]).status[0] == num.BAD


def test_yes_no_and_categories():
    parsed = num.parse_yes_no(["是", "否", "yes", "NO", 1.0, True, "", "也许"])
    assert parsed.values[:6].tolist() == [True, False, True, False, True, True]
    assert parsed.status[6] == num.EMPTY and parsed.status[7] == num.BAD
    parsed = num.parse_categories(["男", "女", "M", "Ｆ"], {"男": "M", "m": "M", "女": "F", "f": "F"})
    assert parsed.values.tolist() == ["M", "F", "M", "F"]
