"""Date parsing of the formats registries deliver."""

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.standardize.dates import (
    EXCEL_EPOCH,
    EXCEL_SERIAL_MAX,
    MAX_DATE,
    MIN_DATE,
    DateResult,
    parse_date,
)

D = datetime.date(1980, 1, 1)
FULL_WIDTH = str.maketrans("0123456789-/", "０１２３４５６７８９－／")

DATE_CASES = [
    {"description": "yyyymmdd", "input": "19800101", "expected": (D, None, "yyyymmdd")},
    {"description": "iso", "input": "1980-01-01", "expected": (D, None, "iso")},
    {"description": "iso unpadded", "input": "1980-1-1", "expected": (D, None, "iso")},
    {"description": "slash", "input": "1980/1/1", "expected": (D, None, "slash")},
    {"description": "dot", "input": "1980.1.1", "expected": (D, None, "dot")},
    {"description": "slash padded", "input": "1980/01/01", "expected": (D, None, "slash")},
    {"description": "dot padded", "input": "1980.01.01", "expected": (D, None, "dot")},
    {
        "description": "day or month first is ambiguous",
        "input": "01/02/1980",
        "expected": (None, "unparseable", None),
    },
    {
        "description": "two-digit year cn",
        "input": "80年1月1日",
        "expected": (None, "unparseable", None),
    },
    {"description": "month only", "input": "1980年1月", "expected": (None, "unparseable", None)},
    {"description": "chinese", "input": "1980年1月1日", "expected": (D, None, "cn")},
    {"description": "chinese padded", "input": "1980年01月01日", "expected": (D, None, "cn")},
    {
        "description": "chinese with 号 and spaces",
        "input": "1980 年 1 月 1 号",
        "expected": (D, None, "cn"),
    },
    {
        "description": "full-width chinese",
        "input": "１９８０年０１月０１日",
        "expected": (D, None, "cn"),
    },
    {
        "description": "full-width iso",
        "input": "１９８０－０１－０１",
        "expected": (D, None, "iso"),
    },
    {"description": "en dash", "input": "1980–01–01", "expected": (D, None, "iso")},
    {
        "description": "surrounding blanks",
        "input": " \t1980-01-01\u3000",
        "expected": (D, None, "iso"),
    },
    {
        "description": "iso with time",
        "input": "1980-01-01 00:00:00",
        "expected": (D, None, "iso_datetime"),
    },
    {
        "description": "iso T with offset",
        "input": "1980-01-01T08:00:00+08:00",
        "expected": (D, None, "iso_datetime"),
    },
    {
        "description": "iso with fraction and Z",
        "input": "1980-01-01T08:00:00.123Z",
        "expected": (D, None, "iso_datetime"),
    },
    {
        "description": "Excel export with time",
        "input": "1980/1/1 0:00",
        "expected": (D, None, "slash_datetime"),
    },
    {"description": "excel serial string", "input": "29221", "expected": (D, None, "excel_serial")},
    {"description": "excel serial int", "input": 29221, "expected": (D, None, "excel_serial")},
    {
        "description": "excel serial with time",
        "input": 29221.75,
        "expected": (D, None, "excel_serial"),
    },
    {
        "description": "excel serial float string",
        "input": "29221.0",
        "expected": (D, None, "excel_serial"),
    },
    {"description": "yyyymmdd as int", "input": 19800101, "expected": (D, None, "yyyymmdd")},
    {"description": "yyyymmdd as float", "input": 19800101.0, "expected": (D, None, "yyyymmdd")},
    {
        "description": "yyyymmdd float text",
        "input": "19800101.0",
        "expected": (D, None, "yyyymmdd"),
    },
    {"description": "date object", "input": D, "expected": (D, None, "date")},
    {
        "description": "datetime object",
        "input": datetime.datetime(1980, 1, 1, 23, 59),
        "expected": (D, None, "datetime"),
    },
    {
        "description": "pandas Timestamp",
        "input": pd.Timestamp("1980-01-01 12:00"),
        "expected": (D, None, "datetime"),
    },
    {
        "description": "numpy datetime64",
        "input": np.datetime64("1980-01-01"),
        "expected": (D, None, "iso"),
    },
    {"description": "None", "input": None, "expected": (None, "missing", None)},
    {"description": "empty", "input": "", "expected": (None, "missing", None)},
    {"description": "NULL token", "input": " null ", "expected": (None, "missing", None)},
    {"description": "NaN", "input": float("nan"), "expected": (None, "missing", None)},
    {"description": "NaT", "input": pd.NaT, "expected": (None, "missing", None)},
    {"description": "pandas NA", "input": pd.NA, "expected": (None, "missing", None)},
    {"description": "words", "input": "yesterday", "expected": (None, "unparseable", None)},
    {"description": "two-digit year", "input": "80-1-1", "expected": (None, "unparseable", None)},
    {"description": "six digits", "input": "800101", "expected": (None, "unparseable", None)},
    {
        "description": "mixed separators",
        "input": "1980-1/1",
        "expected": (None, "unparseable", None),
    },
    {
        "description": "hour 25",
        "input": "1980-01-01 25:00",
        "expected": (None, "unparseable", None),
    },
    {"description": "negative number", "input": -5, "expected": (None, "unparseable", None)},
    {"description": "bool", "input": True, "expected": (None, "unparseable", None)},
    {
        "description": "February 30",
        "input": "1980-02-30",
        "expected": (None, "impossible_date", "iso"),
    },
    {
        "description": "month 13",
        "input": "19801301",
        "expected": (None, "impossible_date", "yyyymmdd"),
    },
    {"description": "day 0", "input": "1980年1月0日", "expected": (None, "impossible_date", "cn")},
    {"description": "year 0", "input": "0000-01-01", "expected": (None, "impossible_date", "iso")},
    {
        "description": "not a leap year",
        "input": "1900-02-29",
        "expected": (None, "impossible_date", "iso"),
    },
    {
        "description": "leap year",
        "input": "2000-02-29",
        "expected": (datetime.date(2000, 2, 29), None, "iso"),
    },
    {
        "description": "before 1900",
        "input": "1899-12-31",
        "expected": (None, "out_of_range", "iso"),
    },
    {"description": "after 2100", "input": "2101-01-01", "expected": (None, "out_of_range", "iso")},
    {
        "description": "serial 1 is 1899-12-31",
        "input": "1",
        "expected": (None, "out_of_range", "excel_serial"),
    },
    {
        "description": "serial 2 is 1900-01-01",
        "input": "2",
        "expected": (datetime.date(1900, 1, 1), None, "excel_serial"),
    },
    {
        "description": "serial beyond 80000",
        "input": "80001",
        "expected": (None, "out_of_range", "excel_serial"),
    },
    {
        "description": "datetime out of range",
        "input": datetime.date(1800, 1, 1),
        "expected": (None, "out_of_range", "date"),
    },
]


@pytest.mark.parametrize("case", DATE_CASES, ids=[c["description"] for c in DATE_CASES])
def test_parse_date_cases(case):
    result = parse_date(case["input"])
    assert (result.value, result.reason, result.fmt) == case["expected"]
    assert result.raw is case["input"]


# ------------------------------------------------------------------ properties

FORMATTERS = {
    "yyyymmdd": lambda d: f"{d:%Y%m%d}",
    "iso": lambda d: d.isoformat(),
    "iso unpadded": lambda d: f"{d.year}-{d.month}-{d.day}",
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dot": lambda d: f"{d.year}.{d.month:02d}.{d.day:02d}",
    "cn": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "full-width cn": lambda d: f"{d.year}年{d.month:02d}月{d.day:02d}日".translate(FULL_WIDTH),
    "iso datetime": lambda d: f"{d.isoformat()} 13:45:00",
    "iso T": lambda d: f"{d.isoformat()}T08:00:00",
    "date": lambda d: d,
    "datetime": lambda d: datetime.datetime(d.year, d.month, d.day, 7, 30),
    "Timestamp": lambda d: pd.Timestamp(d),
    "int yyyymmdd": lambda d: int(f"{d:%Y%m%d}"),
}
in_range = st.dates(MIN_DATE, MAX_DATE)


@given(in_range, st.sampled_from(sorted(FORMATTERS)))
def test_every_format_round_trips(day, fmt):
    result = parse_date(FORMATTERS[fmt](day))
    assert (result.value, result.reason) == (day, None)


@given(st.integers(2, EXCEL_SERIAL_MAX))
def test_excel_serials(serial):
    expected = EXCEL_EPOCH + datetime.timedelta(days=serial)
    result = parse_date(str(serial))
    if MIN_DATE <= expected <= MAX_DATE:
        assert result.value == expected
    else:
        assert result.reason == "out_of_range"


@given(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99))
def test_reason_matches_the_calendar(y, m, d):
    result = parse_date(f"{y:04d}-{m:02d}-{d:02d}")
    try:
        real = datetime.date(y, m, d)
    except ValueError:
        assert result.reason == "impossible_date"
        return
    assert result.reason == (None if MIN_DATE <= real <= MAX_DATE else "out_of_range")


@given(
    st.one_of(
        st.none(),
        st.text(),
        st.binary(),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.booleans(),
        st.datetimes(),
        st.lists(st.integers(), max_size=2),
        st.from_regex(r"[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?"),
    )
)
def test_never_raises_and_is_consistent(raw):
    result = parse_date(raw)
    assert isinstance(result, DateResult)
    assert (result.value is None) == (result.reason is not None)
    if result.value is not None:
        assert MIN_DATE <= result.value <= MAX_DATE
