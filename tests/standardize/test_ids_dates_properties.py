"""IDs and dates on values of any shape: never raise, say why, and are idempotent."""

import datetime
import re

from hypothesis import given
from hypothesis import strategies as st

from pipelines.standardize.dates import MAX_DATE, MIN_DATE, parse_date
from pipelines.standardize.ids import IdResult, make_id, standardize_id
from tests.standardize.strategies import anything, region_codes

ID_REASONS = {"missing", "bad_chars", "bad_length", "bad_checksum", "bad_birth_date", "bad_area"}
DATE_REASONS = {"missing", "unparseable", "impossible_date", "out_of_range"}

id_like = st.one_of(
    anything,
    st.builds(
        make_id,
        region_codes,
        st.dates(datetime.date(1900, 1, 1), datetime.date(2030, 12, 31)),
        st.integers(0, 999),
    ).flatmap(lambda i: st.sampled_from([i, i.lower(), i[:6] + i[8:17], f" {i[:6]} {i[6:]} "])),
)


@given(id_like)
def test_id_is_idempotent_with_a_reason_when_invalid(raw):
    r = standardize_id(raw)
    assert isinstance(r, IdResult)
    if not r.valid:
        assert r.reason in ID_REASONS
        return
    assert re.fullmatch(r"[0-9]{17}[0-9X]", r.id18)
    again = standardize_id(r.id18)
    assert (again.id18, again.birth_date, again.sex, again.converted_from_15) == (
        r.id18,
        r.birth_date,
        r.sex,
        False,
    )


date_like = st.one_of(
    anything,
    st.dates(MIN_DATE, MAX_DATE).flatmap(
        lambda d: st.sampled_from(
            [
                f"{d:%Y%m%d}",
                f"{d.year}-{d.month}-{d.day}",
                f"{d.year}年{d.month}月{d.day}日",
                f"{d.year}/{d.month:02d}/{d.day:02d}",
                f"{d.year}.{d.month}.{d.day}",
                str((d - datetime.date(1899, 12, 30)).days),
            ]
        )
    ),
)


@given(date_like)
def test_date_is_idempotent_and_keeps_the_raw_value(raw):
    r = parse_date(raw)
    assert r.raw is raw
    if r.value is None:
        assert r.reason in DATE_REASONS
        return
    assert r.reason is None and r.fmt
    assert MIN_DATE <= r.value <= MAX_DATE
    assert parse_date(r.value.isoformat()).value == r.value
    assert parse_date(r.value).value == r.value
