"""The vectorized ID standardizer behind fast_id18 agrees with the pure one on IDs of every shape."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.standardize.ids import make_id, standardize_id
from pipelines.standardize.spark_udfs import id18_batch

VALID = make_id("500110", dt.date(1980, 1, 1), 123)

HARD = [
    VALID, VALID.lower(), " " + VALID, VALID[:6] + VALID[8:17], VALID[:17] + "0",
    make_id("510212", dt.date(1941, 2, 3), 33), make_id("990000", dt.date(1980, 1, 1), 1),
    VALID[:10] + "1399" + VALID[14:], "１" + VALID[1:], "", "x" * 18, None, "18" * 9,
    make_id("500103", dt.date(1899, 12, 31), 5),
]


def test_hard_cases_agree():
    got = id18_batch(pd.Series(HARD, dtype=object)).tolist()
    assert got == [standardize_id(v).id18 for v in HARD]


digits18 = st.text(alphabet="0123456789Xx", min_size=17, max_size=19)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), digits18, st.text(max_size=25),
                          st.builds(lambda d, s: make_id("500110", d, s),
                                    st.dates(dt.date(1890, 1, 1), dt.date(2035, 1, 1)),
                                    st.integers(1, 999))), max_size=40))
def test_any_batch_agrees_with_the_pure_standardizer(values):
    got = id18_batch(pd.Series(values, dtype=object)).tolist()
    assert got == [standardize_id(v).id18 if isinstance(v, str) else None for v in values]
