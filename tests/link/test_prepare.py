"""Preparation of identifying columns: the hard cases, and no value of any shape raises."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.link.config import builtin_config
from pipelines.link.prepare import prepare_frame, prepared_columns

CONFIG = builtin_config("chongqing_person")


def _one(**values) -> dict:
    row = {"person_key": "k", "id_number": None, "name": None, "former_name": None,
           "phone": None, "address": None}
    row.update(values)
    return prepare_frame(pd.DataFrame([row]), CONFIG, "left").iloc[0].to_dict()


def test_fifteen_digit_id_becomes_eighteen_with_birth_and_region():
    p = _one(id_number="510212410203123")  # Sichuan-era area code, born 1941-02-03
    assert p["id__id18"] and len(p["id__id18"]) == 18 and p["id__id18"].startswith("51021219410203")
    assert p["id__birth"] == "1941-02-03" and p["birth_date__iso"] == "1941-02-03"
    assert p["id__region6"] == "510212"


def test_broken_id_keeps_what_can_be_read_for_blocking():
    p = _one(id_number="50011019800101123")  # a digit lost: invalid, but area and birth stand
    assert p["id__id18"] is None
    assert p["id__id_clean"] == "50011019800101123"
    assert p["id__prefix14"] == "50011019800101" and p["id__birth"] == "1980-01-01"


def test_traditional_pinyin_and_swapped_names_meet_on_their_keys():
    a, b, c = _one(name="張偉"), _one(name="张伟"), _one(name="WEI ZHANG")
    assert a["name__simplified"] == b["name__simplified"] == "张伟"
    assert a["name__pinyin"] == b["name__pinyin"] == "zhangwei"
    assert c["name__pinyin_sorted"] == b["name__pinyin_sorted"]
    assert b["name__surname_pinyin"] == "zhang"


def test_former_names_are_kept_with_their_pinyin():
    p = _one(name="李明", former_name="李小明、李二娃")
    assert p["name__former"] == "李小明:lixiaoming|李二娃:lierwa"


def test_phone_and_address_standardized():
    p = _one(phone="+86 138-1234-5678", address="重庆市綦江区古南街道１号")
    assert p["phone__number"] == "13812345678" and p["phone__last8"] == "12345678"
    assert p["address__text"].startswith("綦江区")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats()),
                min_size=6, max_size=6))
def test_any_value_prepares_without_raising(values):
    row = dict(zip(["person_key", "id_number", "name", "former_name", "phone", "address"],
                   ["k", *values[1:]], strict=True))
    out = prepare_frame(pd.DataFrame([row]), CONFIG, "left")
    assert list(out.columns) == ["rec_key", *prepared_columns(CONFIG)]
    assert all(v is None or isinstance(v, str) for v in out.iloc[0].tolist()[1:])
