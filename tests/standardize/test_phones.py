"""Phone numbers: mobiles and landlines in the shapes rosters hold them."""

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.standardize.phones import (
    KINDS,
    REASONS,
    PhoneResult,
    standardize_phone,
    standardize_phones,
)
from tests.standardize.strategies import anything, noisy_landline, noisy_mobile

M = "13812345678"
L = "02368888888"

PHONE_CASES = [
    {"description": "plain mobile", "input": M, "expected": (M, "mobile", None)},
    {"description": "+86", "input": "+86 138 1234 5678", "expected": (M, "mobile", None)},
    {"description": "+86 with dash", "input": "+86-13812345678", "expected": (M, "mobile", None)},
    {"description": "0086", "input": "0086 13812345678", "expected": (M, "mobile", None)},
    {"description": "86 without plus", "input": "8613812345678", "expected": (M, "mobile", None)},
    {"description": "dashes", "input": "138-1234-5678", "expected": (M, "mobile", None)},
    {
        "description": "full-width",
        "input": "１３８１２３４５６７８",
        "expected": (M, "mobile", None),
    },
    {"description": "parentheses", "input": "(138)12345678", "expected": (M, "mobile", None)},
    {"description": "int", "input": 13812345678, "expected": (M, "mobile", None)},
    {"description": "spreadsheet float", "input": 13812345678.0, "expected": (M, "mobile", None)},
    {
        "description": "landline with area code",
        "input": "023-68888888",
        "expected": (L, "landline", None),
    },
    {
        "description": "landline in parentheses",
        "input": "(023)6888 8888",
        "expected": (L, "landline", None),
    },
    {
        "description": "full-width parentheses",
        "input": "（０２３）６８８８８８８８",
        "expected": (L, "landline", None),
    },
    {
        "description": "bare 8 digits are Chongqing",
        "input": "68888888",
        "expected": (L, "landline", None),
    },
    {
        "description": "+86 landline without 0",
        "input": "+86 23 6888 8888",
        "expected": (L, "landline", None),
    },
    {
        "description": "leading 0 lost in a spreadsheet",
        "input": 2368888888,
        "expected": (L, "landline", None),
    },
    {
        "description": "extension after 转",
        "input": "023-68888888转801",
        "expected": (L, "landline", None),
    },
    {
        "description": "extension after ext",
        "input": "023 6888 8888 ext. 12",
        "expected": (L, "landline", None),
    },
    {
        "description": "extension as a third group",
        "input": "023-68888888-801",
        "expected": (L, "landline", None),
    },
    {
        "description": "Beijing",
        "input": "010-62345678",
        "expected": ("01062345678", "landline", None),
    },
    {
        "description": "7-digit local, 4-digit area",
        "input": "0831-2345678",
        "expected": ("08312345678", "landline", None),
    },
    {"description": "None", "input": None, "expected": (None, None, "missing")},
    {"description": "empty", "input": "", "expected": (None, None, "missing")},
    {"description": "无", "input": "无", "expected": (None, None, "missing")},
    {"description": "NaN", "input": float("nan"), "expected": (None, None, "missing")},
    {"description": "dash only", "input": "-", "expected": (None, None, "missing")},
    {"description": "letters", "input": "call me", "expected": (None, None, "not_a_number")},
    {"description": "emoji", "input": "😀", "expected": (None, None, "not_a_number")},
    {"description": "fraction", "input": 1381234567.8, "expected": (None, None, "not_a_number")},
    {"description": "bool", "input": True, "expected": (None, None, "not_a_number")},
    {
        "description": "two numbers",
        "input": "13812345678/13987654321",
        "expected": (None, None, "multiple_numbers"),
    },
    {
        "description": "two numbers with 或",
        "input": "13812345678或023-68888888",
        "expected": (None, None, "multiple_numbers"),
    },
    {
        "description": "10-digit mobile",
        "input": "1381234567",
        "expected": (None, None, "too_short"),
    },
    {
        "description": "12-digit mobile",
        "input": "138123456789",
        "expected": (None, None, "too_long"),
    },
    {
        "description": "7-digit Chongqing local",
        "input": "023-6888888",
        "expected": (None, None, "too_short"),
    },
    {"description": "bare 7 digits", "input": "6888888", "expected": (None, None, "too_short")},
    {"description": "30 digits", "input": "1" * 30, "expected": (None, None, "too_long")},
    {
        "description": "mobile prefix 12",
        "input": "12345678901",
        "expected": (None, None, "bad_prefix"),
    },
    {
        "description": "local number starting with 1",
        "input": "023-12345678",
        "expected": (None, None, "bad_prefix"),
    },
    {
        "description": "another country",
        "input": "+1 212 555 1234",
        "expected": (None, None, "bad_prefix"),
    },
    {
        "description": "international prefix 00",
        "input": "00441234567890",
        "expected": (None, None, "bad_prefix"),
    },
]


@pytest.mark.parametrize("case", PHONE_CASES, ids=[c["description"] for c in PHONE_CASES])
def test_standardize_phone(case):
    r = standardize_phone(case["input"])
    assert (r.number, r.kind, r.reason) == case["expected"]
    assert r.valid is (case["expected"][2] is None)
    assert r.raw is case["input"]


def test_several_numbers_in_one_cell():
    results = standardize_phones("13812345678 / 023-68888888；无效")
    assert [(r.number, r.reason) for r in results] == [
        ("13812345678", None),
        ("02368888888", None),
        (None, "not_a_number"),
    ]
    assert [r.number for r in standardize_phones(M)] == [M]
    assert standardize_phones(None)[0].reason == "missing"


# ------------------------------------------------------------------ properties


def _check_shape(r: PhoneResult) -> None:
    assert isinstance(r, PhoneResult)
    assert (r.reason is None) is r.valid
    if r.valid:
        assert r.kind in KINDS
        if r.kind == "mobile":
            assert re.fullmatch(r"1[3-9][0-9]{9}", r.number)
        else:
            assert re.fullmatch(r"0[1-9][0-9]{1,2}[2-9][0-9]{6,7}", r.number)
            assert len(r.number) in (10, 11, 12)
            assert not r.number.startswith("023") or len(r.number) == 11
    else:
        assert r.reason in REASONS
        assert r.number is None and r.kind is None


@given(anything)
def test_never_raises_and_has_the_documented_shape(raw):
    r = standardize_phone(raw)
    _check_shape(r)
    if r.valid:
        again = standardize_phone(r.number)
        assert (again.number, again.kind) == (r.number, r.kind)
    for part in standardize_phones(raw):
        _check_shape(part)


@given(st.randoms(use_true_random=False), st.booleans())
def test_formatting_noise_is_ignored(rnd: random.Random, mobile: bool):
    text, expected = noisy_mobile(rnd) if mobile else noisy_landline(rnd)
    r = standardize_phone(text)
    assert (r.number, r.kind) == (expected, "mobile" if mobile else "landline"), text
