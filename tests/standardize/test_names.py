"""Name normalisation, comparison keys, agreement levels and masking."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.standardize.names import (
    AGREEMENT_LEVELS,
    MIDDLE_DOT,
    has_placeholder,
    mask_name,
    name_agreement,
    names_compatible,
    normalize_name,
    pinyin_key,
    simplified_key,
)

UYGHUR = "阿卜杜拉·买买提"


def _params(cases):
    return pytest.mark.parametrize("case", cases, ids=[c["description"] for c in cases])


NORMALIZE_CASES = [
    {"description": "plain", "input": "张三", "expected": "张三"},
    {"description": "inner and outer spaces", "input": " 张 三 ", "expected": "张三"},
    {"description": "ideographic space", "input": "张\u3000三", "expected": "张三"},
    {"description": "tab and newline", "input": "\t张三\n", "expected": "张三"},
    {"description": "full-width Latin", "input": "ＺＨＡＮＧ ＳＡＮ", "expected": "ZHANGSAN"},
    {"description": "middle dot kept", "input": UYGHUR, "expected": UYGHUR},
    {"description": "bullet", "input": "阿卜杜拉•买买提", "expected": UYGHUR},
    {"description": "katakana middle dot", "input": "阿卜杜拉・买买提", "expected": UYGHUR},
    {"description": "full-width full stop", "input": "阿卜杜拉．买买提", "expected": UYGHUR},
    {"description": "hyphenation point", "input": "阿卜杜拉‧买买提", "expected": UYGHUR},
    {"description": "half-width katakana dot", "input": "阿卜杜拉･买买提", "expected": UYGHUR},
    {"description": "bullet operator", "input": "阿卜杜拉∙买买提", "expected": UYGHUR},
    {"description": "ASCII full stop between CJK", "input": "阿卜杜拉.买买提", "expected": UYGHUR},
    {"description": "spaced dot", "input": "阿卜杜拉 · 买买提", "expected": UYGHUR},
    {"description": "doubled dot", "input": "阿卜杜拉··买买提", "expected": UYGHUR},
    {"description": "full stop between Latin stays", "input": "Zhang.San", "expected": "Zhang.San"},
    {"description": "control character", "input": "张\x00三\x07", "expected": "张三"},
    {"description": "zero-width space and BOM", "input": "\ufeff张\u200b三", "expected": "张三"},
    {"description": "traditional stays traditional", "input": "張三豐", "expected": "張三豐"},
    {"description": "None", "input": None, "expected": None},
    {"description": "empty", "input": "", "expected": None},
    {"description": "blanks", "input": " \u3000 ", "expected": None},
    {"description": "NULL token", "input": "NULL", "expected": None},
    {"description": "float NaN", "input": float("nan"), "expected": None},
]


@_params(NORMALIZE_CASES)
def test_normalize_name(case):
    assert normalize_name(case["input"]) == case["expected"]


SIMPLIFIED_CASES = [
    {"description": "traditional", "input": "張三豐", "expected": "张三丰"},
    {"description": "already simplified", "input": "张三丰", "expected": "张三丰"},
    {"description": "minority name", "input": "阿卜杜拉·買買提", "expected": UYGHUR},
    {"description": "Latin", "input": "Zhang San", "expected": "ZhangSan"},
    {"description": "None", "input": None, "expected": None},
]


@_params(SIMPLIFIED_CASES)
def test_simplified_key(case):
    assert simplified_key(case["input"]) == case["expected"]


PINYIN_CASES = [
    {"description": "simplified", "input": "张三", "expected": "zhangsan"},
    {"description": "traditional", "input": "張三", "expected": "zhangsan"},
    {"description": "upper-case Latin with space", "input": "ZHANG SAN", "expected": "zhangsan"},
    {"description": "title-case Latin", "input": "Zhang San", "expected": "zhangsan"},
    {"description": "joined Latin", "input": "zhangsan", "expected": "zhangsan"},
    {
        "description": "Latin with hyphen and comma",
        "input": "ZHANG, SAN-FENG",
        "expected": "zhangsanfeng",
    },
    {"description": "tone marks", "input": "Zhāng Sān", "expected": "zhangsan"},
    {"description": "ü written v", "input": "吕布", "expected": "lvbu"},
    {"description": "ü in Latin", "input": "Lü Bu", "expected": "lvbu"},
    {"description": "middle dot dropped", "input": UYGHUR, "expected": "abodulamaimaiti"},
    {"description": "surname 单 read shan", "input": "单雄信", "expected": "shanxiongxin"},
    {"description": "surname 曾 read zeng", "input": "曾国藩", "expected": "zengguofan"},
    {"description": "compound surname 尉迟", "input": "尉迟恭", "expected": "yuchigong"},
    {"description": "placeholder kept as ?", "input": "张□", "expected": "zhang?"},
    {"description": "digits only", "input": "123", "expected": None},
    {"description": "None", "input": None, "expected": None},
]


@_params(PINYIN_CASES)
def test_pinyin_key(case):
    assert pinyin_key(case["input"]) == case["expected"]


PLACEHOLDER_CASES = [
    {"description": "ASCII question mark", "input": "张?", "expected": True},
    {"description": "full-width question mark", "input": "张？", "expected": True},
    {"description": "white square", "input": "张□丰", "expected": True},
    {"description": "asterisk", "input": "张*", "expected": True},
    {"description": "replacement character", "input": "张\ufffd", "expected": True},
    {"description": "private-use character", "input": "张\ue000", "expected": True},
    {"description": "ordinary name", "input": "张三", "expected": False},
    {"description": "None", "input": None, "expected": False},
]


@_params(PLACEHOLDER_CASES)
def test_has_placeholder(case):
    assert has_placeholder(case["input"]) is case["expected"]


AGREEMENT_CASES = [
    {"description": "same", "input": ("张三", "张三"), "expected": "exact"},
    {"description": "spacing only", "input": ("张 三", "张三"), "expected": "exact"},
    {"description": "dot variants", "input": ("阿卜杜拉•买买提", UYGHUR), "expected": "exact"},
    {
        "description": "traditional vs simplified",
        "input": ("張三豐", "张三丰"),
        "expected": "simplified",
    },
    {"description": "variant 阎/闫", "input": ("阎明", "闫明"), "expected": "variant"},
    {"description": "variant 萧/肖", "input": ("萧红", "肖红"), "expected": "variant"},
    {"description": "traditional and variant", "input": ("蕭紅", "肖红"), "expected": "variant"},
    {"description": "look-alike 禇/褚", "input": ("禇明", "褚明"), "expected": "variant"},
    {"description": "variant in the given name", "input": ("张喆", "张哲"), "expected": "variant"},
    {"description": "homophone", "input": ("张三", "章三"), "expected": "pinyin"},
    {"description": "bank pinyin upper-case", "input": ("张三", "ZHANG SAN"), "expected": "pinyin"},
    {"description": "bank pinyin joined", "input": ("張三", "zhangsan"), "expected": "pinyin"},
    {"description": "rare character as ?", "input": ("张?丰", "张三丰"), "expected": "placeholder"},
    {"description": "rare character as □", "input": ("张三丰", "张□丰"), "expected": "placeholder"},
    {
        "description": "placeholder with traditional",
        "input": ("張?豐", "张三丰"),
        "expected": "placeholder",
    },
    {
        "description": "placeholder length differs",
        "input": ("张?", "张三丰"),
        "expected": "conflict",
    },
    {
        "description": "unknown characters do not agree on pinyin",
        "input": ("章?", "张?"),
        "expected": "conflict",
    },
    {"description": "left missing", "input": (None, "张三"), "expected": "missing"},
    {"description": "right blank", "input": ("张三", "  "), "expected": "missing"},
    {"description": "different people", "input": ("张三", "李四"), "expected": "conflict"},
    {"description": "different given name", "input": ("张三", "张四"), "expected": "conflict"},
]


@_params(AGREEMENT_CASES)
def test_name_agreement(case):
    a, b = case["input"]
    assert name_agreement(a, b) == case["expected"]
    assert name_agreement(b, a) == case["expected"]
    assert names_compatible(a, b) is (case["expected"] != "conflict")


MASK_CASES = [
    {"description": "two characters", "input": "张三", "expected": "张*"},
    {"description": "three characters", "input": "张三丰", "expected": "张**"},
    {"description": "minority name keeps the dot", "input": UYGHUR, "expected": "阿***·***"},
    {"description": "normalised first", "input": " 张 三 ", "expected": "张*"},
    {"description": "single character", "input": "张", "expected": "张"},
    {"description": "None", "input": None, "expected": ""},
    {"description": "empty", "input": "", "expected": ""},
]


@_params(MASK_CASES)
def test_mask_name(case):
    assert mask_name(case["input"]) == case["expected"]


# ------------------------------------------------------------------ properties

cjk_names = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=4
)
name_like = st.one_of(
    st.text(max_size=12),
    cjk_names,
    st.text(st.sampled_from("张三丰張豐李四·• .?□*阿卜杜拉买提 \u3000abcZ\x00\u200b"), max_size=10),
)
anything = st.one_of(st.none(), st.integers(), st.floats(), st.binary(), name_like)


@given(anything)
def test_normalize_never_raises_and_is_idempotent(raw):
    name = normalize_name(raw)
    if name is not None:
        assert name
        assert normalize_name(name) == name
        assert not any(ch.isspace() for ch in name)
        assert not re.search(f"^{MIDDLE_DOT}|{MIDDLE_DOT}{{2}}|{MIDDLE_DOT}$", name)


@settings(max_examples=150)
@given(anything)
def test_keys_never_raise(raw):
    simplified = simplified_key(raw)
    key = pinyin_key(raw)
    assert (simplified is None) == (normalize_name(raw) is None)
    assert key is None or re.fullmatch(r"[a-z?]+", key)
    assert isinstance(has_placeholder(raw), bool)


@settings(max_examples=150)
@given(name_like, name_like)
def test_agreement_is_symmetric_and_known(a, b):
    level = name_agreement(a, b)
    assert level in AGREEMENT_LEVELS
    assert name_agreement(b, a) == level
    assert names_compatible(a, b) is (level != "conflict")


@given(anything)
def test_a_name_agrees_with_itself(raw):
    assert name_agreement(raw, raw) == ("missing" if normalize_name(raw) is None else "exact")


@given(anything)
def test_mask_keeps_only_the_first_character(raw):
    masked = mask_name(raw)
    name = normalize_name(raw)
    if name is None:
        assert masked == ""
    else:
        assert len(masked) == len(name) and masked[0] == name[0]
        assert all(
            m == (MIDDLE_DOT if c == MIDDLE_DOT else "*")
            for m, c in zip(masked[1:], name[1:], strict=True)
        )
