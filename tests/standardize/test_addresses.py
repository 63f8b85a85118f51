"""Addresses: one comparable text, the district it starts with, and its parts."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.standardize.addresses import (
    REASONS,
    AddressResult,
    address_tokens,
    chinese_number,
    normalize_address,
)
from pipelines.standardize.chars import CJK_RE
from pipelines.standardize.regions import region_table
from tests.standardize.strategies import anything

ADDRESS_CASES = [
    {
        "description": "city prefix and numerals before units",
        "input": "重庆市渝中区解放碑街道民族路二十三号 3单元 2-1",
        "expected": ("渝中区解放碑街道民族路23号3单元2-1", "500103", None),
    },
    {
        "description": "country and city, full-width, spaces",
        "input": "中国 重庆市 北碚区天生路２号 ５－３－２",
        "expected": ("北碚区天生路2号5-3-2", "500109", None),
    },
    {
        "description": "traditional characters and 號",
        "input": "重慶市渝中區民族路5號",
        "expected": ("渝中区民族路5号", "500103", None),
    },
    {
        "description": "重庆 without 市 before a district",
        "input": "重庆江北区观音桥3#楼",
        "expected": ("江北区观音桥3号楼", "500105", None),
    },
    {
        "description": "重庆村 is a street, not the city",
        "input": "重庆村8号",
        "expected": ("重庆村8号", None, None),
    },
    {
        "description": "retired county gives its successor",
        "input": "綦江县古南镇三组",
        "expected": ("綦江县古南镇3组", "500110", None),
    },
    {
        "description": "开县 is 开州区 now",
        "input": "重庆市开县汉丰街道",
        "expected": ("开县汉丰街道", "500154", None),
    },
    {
        "description": "autonomous county alias",
        "input": "石柱县南宾镇",
        "expected": ("石柱县南宾镇", "500240", None),
    },
    {
        "description": "a district name further in is not taken (宁波 has a 江北区)",
        "input": "浙江省宁波市江北区中山路1号",
        "expected": ("浙江省宁波市江北区中山路1号", None, None),
    },
    {
        "description": "place names keep their numerals",
        "input": "一号桥五一路二十三号",
        "expected": ("一号桥五一路23号", None, None),
    },
    {
        "description": "punctuation goes, dashes between digits stay once",
        "input": "南岸区，南坪（东路）8号--3—2！",
        "expected": ("南岸区南坪东路8号3-2", "500108", None),
    },
    {
        "description": "room read out digit by digit",
        "input": "渝北区龙溪街道一二零一室",
        "expected": ("渝北区龙溪街道1201室", "500112", None),
    },
    {"description": "None", "input": None, "expected": (None, None, "missing")},
    {"description": "blank", "input": " \u3000\t", "expected": (None, None, "missing")},
    {"description": "无", "input": "无", "expected": (None, None, "missing")},
    {"description": "city only", "input": "重庆市", "expected": (None, None, "missing")},
    {"description": "punctuation only", "input": "——、。", "expected": (None, None, "missing")},
    {"description": "one character", "input": "渝", "expected": (None, None, "too_short")},
    {
        "description": "Latin only",
        "input": "Room 5, Main St",
        "expected": (None, None, "no_chinese"),
    },
    {"description": "number", "input": 12345, "expected": (None, None, "no_chinese")},
]


@pytest.mark.parametrize("case", ADDRESS_CASES, ids=[c["description"] for c in ADDRESS_CASES])
def test_normalize_address(case):
    r = normalize_address(case["input"])
    assert (r.text, r.region_code, r.reason) == case["expected"]
    assert r.valid is (case["expected"][2] is None)
    assert r.raw is case["input"]


NUMERAL_CASES = [
    ("十", 10), ("十三", 13), ("二十", 20), ("二十三", 23), ("一百", 100), ("一百零五", 105),
    ("一百二十三", 123), ("两百", 200), ("一二零一", 1201), ("三", 3),
    ("百", None), ("一百零", None), ("二十零", None), ("", None), ("三A", None),
]  # fmt: skip


@pytest.mark.parametrize(("numeral", "value"), NUMERAL_CASES)
def test_chinese_number(numeral, value):
    assert chinese_number(numeral) == value


def test_address_tokens():
    assert address_tokens("重庆市渝中区解放碑街道民族路5号3单元2-1") == (
        "渝中区",
        "解放碑街道",
        "民族路",
        "5号",
        "3单元",
        "2-1",
    )
    assert address_tokens("石柱土家族自治县南宾镇") == ("石柱土家族自治县", "南宾镇")
    assert address_tokens(None) == ()


# ------------------------------------------------------------------ properties

address_like = st.one_of(
    anything,
    st.text(
        st.sampled_from(
            list("重庆市中国渝中区綦江县街道路号栋单元楼室组社一二三十百零两0123456789-－#，。 ")
            + ["\u3000", "號", "區", "\x00", "😀"]
        ),
        max_size=30,
    ),
)


@given(address_like)
def test_never_raises_idempotent_and_shaped(raw):
    r = normalize_address(raw)
    assert isinstance(r, AddressResult)
    assert (r.reason is None) is r.valid
    if not r.valid:
        assert r.reason in REASONS and r.text is None and r.region_code is None
        assert address_tokens(raw) == ()
        return
    text = r.text
    assert len(text) >= 2 and CJK_RE.search(text)
    assert not any(ch.isspace() for ch in text)
    # Only '-' between two digits survives of all punctuation and symbols.
    for i, ch in enumerate(text):
        if unicodedata.category(ch)[0] in "PSZC":
            assert ch == "-" and text[i - 1].isdigit() and text[i + 1].isdigit(), text
    assert not text.startswith(("重庆市", "中国"))
    assert r.region_code is None or r.region_code in region_table().current
    again = normalize_address(text)
    assert (again.text, again.region_code) == (text, r.region_code)
    assert "".join(address_tokens(raw)) == text
