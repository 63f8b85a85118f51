"""Resident ID cleaning and validation (GB 11643-1999)."""

import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.standardize.ids import (
    MAX_BIRTH_DATE,
    MIN_BIRTH_DATE,
    PROVINCE_CODES,
    IdResult,
    check_char,
    clean_id_text,
    make_id,
    mask_id,
    standardize_id,
)

# The example printed in GB 11643-1999 and most descriptions of it.
GB_EXAMPLE = "11010519491231002X"
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def with_check(first17: str) -> str:
    return first17 + check_char(first17)


ID_CASES = [
    {
        "description": "standard example",
        "input": GB_EXAMPLE,
        "expected": {
            "valid": True,
            "id18": GB_EXAMPLE,
            "birth_date": datetime.date(1949, 12, 31),
            "sex": "female",
            "region_code": "110105",
            "converted_from_15": False,
        },
    },
    {
        "description": "lower-case x",
        "input": "11010519491231002x",
        "expected": {"valid": True, "id18": GB_EXAMPLE},
    },
    {
        "description": "spaces dashes tabs",
        "input": " 110105-1949 1231\t002X\n",
        "expected": {"valid": True, "id18": GB_EXAMPLE},
    },
    {
        "description": "full-width digits and X",
        "input": GB_EXAMPLE.translate(FULL_WIDTH),
        "expected": {"valid": True, "id18": GB_EXAMPLE},
    },
    {
        "description": "BOM, ideographic and no-break spaces",
        "input": "\ufeff110105\u30001949\xa01231002X",
        "expected": {"valid": True, "id18": GB_EXAMPLE},
    },
    {
        "description": "15-digit converts",
        "input": "110105491231002",
        "expected": {
            "valid": True,
            "id18": GB_EXAMPLE,
            "converted_from_15": True,
            "birth_date": datetime.date(1949, 12, 31),
        },
    },
    {
        "description": "15-digit as int",
        "input": 110105491231002,
        "expected": {"valid": True, "id18": GB_EXAMPLE, "converted_from_15": True},
    },
    {
        "description": "15-digit as integral float",
        "input": 110105491231002.0,
        "expected": {"valid": True, "id18": GB_EXAMPLE, "raw": "110105491231002.0"},
    },
    {
        "description": "odd sequence is male",
        "input": "500222198001011232",
        "expected": {"valid": True, "sex": "male", "region_code": "500222"},
    },
    {
        "description": "retired Chongqing county code (綦江县)",
        "input": "500222198001011232",
        "expected": {"valid": True, "reason": None},
    },
    {
        "description": "Sichuan code of a Chongqing-born person",
        "input": "510212197506120025",
        "expected": {"valid": True, "sex": "female", "region_code": "510212"},
    },
    {
        "description": "None",
        "input": None,
        "expected": {"valid": False, "reason": "missing", "raw": None},
    },
    {"description": "empty string", "input": "", "expected": {"reason": "missing"}},
    {"description": "blanks only", "input": " \t\u3000 ", "expected": {"reason": "missing"}},
    {"description": "NULL token", "input": "NULL", "expected": {"reason": "missing"}},
    {"description": "nan token", "input": "nan", "expected": {"reason": "missing"}},
    {"description": "float NaN", "input": float("nan"), "expected": {"reason": "missing"}},
    {"description": "too short", "input": "12345", "expected": {"reason": "bad_length"}},
    {"description": "17 digits", "input": GB_EXAMPLE[:17], "expected": {"reason": "bad_length"}},
    {
        "description": "19 characters",
        "input": GB_EXAMPLE + "1",
        "expected": {"reason": "bad_length"},
    },
    {"description": "letters", "input": "abc", "expected": {"reason": "bad_chars"}},
    {
        "description": "X not last",
        "input": "1101051949123100XX",
        "expected": {"reason": "bad_chars"},
    },
    {
        "description": "X in a 15-digit ID",
        "input": "11010549123100X",
        "expected": {"reason": "bad_chars"},
    },
    {"description": "emoji", "input": "😀" * 18, "expected": {"reason": "bad_chars"}},
    {
        "description": "NUL inside",
        "input": "110105\x0019491231002X",
        "expected": {"reason": "bad_chars"},
    },
    {"description": "non-integral float", "input": 1.5, "expected": {"reason": "bad_chars"}},
    {"description": "short integral float", "input": 12345.0, "expected": {"reason": "bad_chars"}},
    {"description": "infinite float", "input": float("inf"), "expected": {"reason": "bad_chars"}},
    {"description": "negative int", "input": -110105491231002, "expected": {"reason": "bad_chars"}},
    {"description": "bool", "input": True, "expected": {"reason": "bad_chars"}},
    {
        "description": "bytes",
        "input": b"110105491231002",
        "expected": {"valid": True, "raw": "110105491231002"},
    },
    {
        "description": "wrong check character",
        "input": "110105194912310021",
        "expected": {"reason": "bad_checksum", "id18": None},
    },
    {
        "description": "month 13",
        "input": with_check("11010519491331002"),
        "expected": {"reason": "bad_birth_date"},
    },
    {
        "description": "born before 1900",
        "input": "440524188001010014",
        "expected": {"reason": "bad_birth_date"},
    },
    {
        "description": "born after the upper bound",
        "input": with_check("11010520310101001"),
        "expected": {"reason": "bad_birth_date"},
    },
    {
        "description": "15-digit with impossible date",
        "input": "110105490230002",
        "expected": {"reason": "bad_birth_date", "converted_from_15": True},
    },
    {
        "description": "unknown province 99",
        "input": with_check("99010519491231002"),
        "expected": {"reason": "bad_area", "region_code": None},
    },
    {
        "description": "province 00",
        "input": with_check("00010519491231002"),
        "expected": {"reason": "bad_area"},
    },
]


@pytest.mark.parametrize("case", ID_CASES, ids=[c["description"] for c in ID_CASES])
def test_standardize_id_cases(case):
    result = standardize_id(case["input"])
    for field, value in case["expected"].items():
        assert getattr(result, field) == value, field
    assert result.valid == (result.reason is None)


def test_precision_lost_float_is_not_rescued_but_not_bad_chars():
    # 18 digits exceed a float's precision: judged on the digits it still spells.
    result = standardize_id(5.001011980010112e17)
    assert result.reason != "bad_chars"
    assert result.raw == "5.001011980010112e+17"


def test_ten_megabyte_string_is_rejected():
    assert standardize_id("1" * 10_000_000).reason == "bad_length"
    assert standardize_id("a" * 10_000_000).reason == "bad_chars"


CHECK_CASES = [
    {"description": "X", "input": "11010519491231002", "expected": "X"},
    {"description": "digit", "input": "44052418800101001", "expected": "4"},
    {"description": "Chongqing", "input": "50022219800101123", "expected": "2"},
]


@pytest.mark.parametrize("case", CHECK_CASES, ids=[c["description"] for c in CHECK_CASES])
def test_check_char(case):
    assert check_char(case["input"]) == case["expected"]


@pytest.mark.parametrize(
    "bad", ["", "1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"]
)
def test_check_char_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        check_char(bad)


MASK_CASES = [
    {"description": "18 digits", "input": GB_EXAMPLE, "expected": "110105********002X"},
    {
        "description": "spaced and lower-case",
        "input": "110105 19491231 002x",
        "expected": "110105********002X",
    },
    {"description": "15 digits", "input": "110105491231002", "expected": "110105*****1002"},
    {"description": "int", "input": 110105491231002, "expected": "110105*****1002"},
    {"description": "short", "input": "12345", "expected": "****"},
    {"description": "ten characters", "input": "1234567890", "expected": "****"},
    {"description": "None", "input": None, "expected": ""},
    {"description": "empty", "input": "", "expected": ""},
    {"description": "blanks", "input": "   ", "expected": ""},
    {"description": "not ASCII", "input": "11010519491231002X号", "expected": "****"},
]


@pytest.mark.parametrize("case", MASK_CASES, ids=[c["description"] for c in MASK_CASES])
def test_mask_id(case):
    assert mask_id(case["input"]) == case["expected"]


def test_make_id_example():
    assert make_id("110105", datetime.date(1949, 12, 31), 2) == GB_EXAMPLE


@pytest.mark.parametrize(
    "region, seq",
    [
        ("11010", 1),
        ("1101055", 1),
        ("11010a", 1),
        (110105, 1),
        ("110105", -1),
        ("110105", 1000),
        ("110105", True),
        ("110105", 1.0),
    ],
)
def test_make_id_rejects_bad_arguments(region, seq):
    with pytest.raises(ValueError):
        make_id(region, datetime.date(1980, 1, 1), seq)


# ------------------------------------------------------------------ properties

regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
births = st.dates(MIN_BIRTH_DATE, MAX_BIRTH_DATE)
valid_ids = st.builds(make_id, regions, births, st.integers(0, 999))
anything = st.one_of(
    st.none(),
    st.text(),
    st.binary(),
    st.integers(),
    st.floats(),
    st.decimals(),
    st.booleans(),
    st.dates(),
    st.lists(st.integers(), max_size=3),
    st.from_regex(r"[0-9xX \-]{10,20}"),
)


@given(anything)
def test_never_raises_and_is_consistent(raw):
    result = standardize_id(raw)
    assert isinstance(result, IdResult)
    assert result.valid == (result.reason is None)
    if result.valid:
        assert re.fullmatch(r"[0-9]{17}[0-9X]", result.id18)
        assert result.id18[17] == check_char(result.id18[:17])
        assert result.region_code == result.id18[:6]
    else:
        assert result.id18 is result.birth_date is result.sex is result.region_code is None


@given(regions, births, st.integers(0, 999))
def test_make_id_round_trips(region, birth, seq):
    result = standardize_id(make_id(region, birth, seq))
    assert result.valid
    assert (result.region_code, result.birth_date) == (region, birth)
    assert result.sex == ("male" if seq % 2 else "female")


@given(valid_ids, st.data())
def test_formatting_noise_is_ignored(id18, data):
    noisy = id18.lower() if data.draw(st.booleans()) else id18
    if data.draw(st.booleans()):
        noisy = noisy.translate(FULL_WIDTH)
    chars = list(noisy)
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(chars)))
        chars.insert(at, data.draw(st.sampled_from([" ", "-", "\t", "\u3000", "\xa0", "\ufeff"])))
    assert standardize_id("".join(chars)).id18 == id18


@given(valid_ids, st.integers(0, 17), st.integers(1, 10))
def test_single_character_change_is_detected(id18, pos, shift):
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = alphabet[(alphabet.index(id18[pos]) + shift) % len(alphabet)]
    if new == id18[pos]:
        return
    changed = id18[:pos] + new + id18[pos + 1 :]
    assert standardize_id(changed).reason == "bad_checksum"


@given(valid_ids, st.integers(0, 16))
def test_adjacent_transposition_is_detected(id18, pos):
    if id18[pos] == id18[pos + 1]:
        return
    swapped = id18[:pos] + id18[pos + 1] + id18[pos] + id18[pos + 2 :]
    assert not standardize_id(swapped).valid


@given(
    regions, st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)), st.integers(0, 999)
)
def test_fifteen_digit_form_converts_back(region, birth, seq):
    id18 = make_id(region, birth, seq)
    result = standardize_id(id18[:6] + id18[8:17])
    assert result.valid and result.converted_from_15 and result.id18 == id18


@given(valid_ids)
def test_mask_hides_birth_date_and_sequence(id18):
    masked = mask_id(id18)
    assert masked == id18[:6] + "*" * 8 + id18[14:]


@given(anything)
def test_mask_never_raises_and_never_shows_the_middle(raw):
    masked = mask_id(raw)
    assert isinstance(masked, str)
    if len(masked) > 10:
        assert set(masked[6:-4]) == {"*"}
    if isinstance(raw, str):
        cleaned = clean_id_text(raw)
        if len(cleaned) > 10 and cleaned.isascii() and cleaned.isprintable():
            assert masked == cleaned[:6] + "*" * (len(cleaned) - 10) + cleaned[-4:]
        else:
            assert masked == ("****" if cleaned else "")
