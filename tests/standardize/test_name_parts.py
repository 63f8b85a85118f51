"""Variant keys, surname/given name, pinyin tokens and former-name lists."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.standardize.name_parts import NameParts, former_names, name_parts, pinyin_tokens
from pipelines.standardize.names import (
    AGREEMENT_LEVELS,
    MIDDLE_DOT,
    name_agreement,
    normalize_name,
    pinyin_key,
    simplified_key,
    variant_groups,
    variant_key,
)
from tests.standardize.strategies import anything, cjk_names

UYGHUR = "阿卜杜拉·买买提"


def _params(cases):
    return pytest.mark.parametrize("case", cases, ids=[c["description"] for c in cases])


def test_levels_keep_their_names_and_order():
    assert AGREEMENT_LEVELS == (
        "exact",
        "simplified",
        "variant",
        "pinyin",
        "placeholder",
        "missing",
        "conflict",
    )


VARIANT_CASES = [
    {"description": "阎 → 闫", "input": "阎明", "expected": "闫明"},
    {"description": "萧 → 肖", "input": "萧红", "expected": "肖红"},
    {"description": "traditional first", "input": "蕭紅", "expected": "肖红"},
    {"description": "於 → 于", "input": "於梨华", "expected": "于梨华"},
    {"description": "彊 → 疆", "input": "王彊", "expected": "王疆"},
    {"description": "菫 → 堇", "input": "李菫", "expected": "李堇"},
    {"description": "苟 misread", "input": "茍小明", "expected": "苟小明"},
    {"description": "no variant", "input": "张三", "expected": "张三"},
    {"description": "minority name", "input": "阿卜杜拉•买买提", "expected": UYGHUR},
    {"description": "None", "input": None, "expected": None},
    {"description": "blank", "input": " ", "expected": None},
]


@_params(VARIANT_CASES)
def test_variant_key(case):
    assert variant_key(case["input"]) == case["expected"]


def test_every_variant_group_unifies():
    for variant, canonical in variant_groups().items():
        assert variant_key("王" + variant) == variant_key("王" + canonical), variant
        assert name_agreement("王" + variant, "王" + canonical) in ("simplified", "variant")
    assert len(set(variant_groups().values())) >= 24


PARTS_CASES = [
    {
        "description": "single surname",
        "input": "张三丰",
        "expected": ("张", "三丰", "zhang", "sanfeng"),
    },
    {
        "description": "traditional kept as written",
        "input": "張三豐",
        "expected": ("張", "三豐", "zhang", "sanfeng"),
    },
    {
        "description": "compound surname",
        "input": "欧阳修",
        "expected": ("欧阳", "修", "ouyang", "xiu"),
    },
    {
        "description": "two characters are never compound",
        "input": "欧阳",
        "expected": ("欧", "阳", "ou", "yang"),
    },
    {"description": "诸葛", "input": "诸葛亮", "expected": ("诸葛", "亮", "zhuge", "liang")},
    {"description": "司马", "input": "司马光", "expected": ("司马", "光", "sima", "guang")},
    {
        "description": "上官",
        "input": "上官婉儿",
        "expected": ("上官", "婉儿", "shangguan", "waner"),
    },
    {"description": "万俟 read moqi", "input": "万俟卨", "expected": ("万俟", "卨", "moqi", "xie")},
    {
        "description": "单 read shan",
        "input": "单雄信",
        "expected": ("单", "雄信", "shan", "xiongxin"),
    },
    {
        "description": "given name keeps its own reading",
        "input": "王单",
        "expected": ("王", "单", "wang", "dan"),
    },
    {
        "description": "middle dot: surname after the last dot",
        "input": UYGHUR,
        "expected": ("买买提", "阿卜杜拉", "maimaiti", "abodula"),
    },
    {
        "description": "several dots",
        "input": "阿依·买买提·艾力",
        "expected": ("艾力", "阿依·买买提", "aili", "ayimaimaiti"),
    },
    {"description": "placeholder", "input": "张?", "expected": ("张", "?", "zhang", "?")},
    {
        "description": "bank upper case",
        "input": "ZHANG SANFENG",
        "expected": ("ZHANG", "SANFENG", "zhang", "sanfeng"),
    },
    {
        "description": "Western order",
        "input": "Sanfeng Zhang",
        "expected": ("Zhang", "Sanfeng", "zhang", "sanfeng"),
    },
    {
        "description": "comma",
        "input": "ZHANG, SANFENG",
        "expected": ("ZHANG", "SANFENG", "zhang", "sanfeng"),
    },
    {
        "description": "capitalised surname last",
        "input": "Sanfeng ZHANG",
        "expected": ("ZHANG", "Sanfeng", "zhang", "sanfeng"),
    },
    {
        "description": "joined, surname first",
        "input": "ZHANGSANFENG",
        "expected": ("ZHANG", "SANFENG", "zhang", "sanfeng"),
    },
    {
        "description": "joined camel case",
        "input": "SanfengZhang",
        "expected": ("Zhang", "Sanfeng", "zhang", "sanfeng"),
    },
    {
        "description": "Latin compound surname",
        "input": "OUYANG XIU",
        "expected": ("OUYANG", "XIU", "ouyang", "xiu"),
    },
    {"description": "ü", "input": "Lü Bu", "expected": ("Lü", "Bu", "lv", "bu")},
    {"description": "digits", "input": "123", "expected": ("", "123", "", "")},
]


@_params(PARTS_CASES)
def test_name_parts(case):
    assert name_parts(case["input"]) == NameParts(*case["expected"])


def test_name_parts_of_no_name_is_none():
    assert name_parts(None) is None and name_parts("  ") is None and name_parts("NULL") is None


TOKEN_CASES = [
    {"description": "Chinese", "input": "张三丰", "expected": ("zhang", "san", "feng")},
    {"description": "bank name", "input": "ZHANG SANFENG", "expected": ("zhang", "san", "feng")},
    {
        "description": "Western order",
        "input": "Sanfeng Zhang",
        "expected": ("san", "feng", "zhang"),
    },
    {"description": "joined", "input": "zhangsanfeng", "expected": ("zhang", "san", "feng")},
    {"description": "spaces are word boundaries", "input": "XI AN", "expected": ("xi", "an")},
    {
        "description": "compound surname reading",
        "input": "尉迟恭",
        "expected": ("yu", "chi", "gong"),
    },
    {"description": "placeholder", "input": "张□丰", "expected": ("zhang", "?", "feng")},
    {
        "description": "minority name",
        "input": UYGHUR,
        "expected": ("a", "bo", "du", "la", "mai", "mai", "ti"),
    },
    {
        "description": "not pinyin stays a word",
        "input": "John Smith",
        "expected": ("john", "smith"),
    },
    {"description": "None", "input": None, "expected": ()},
]


@_params(TOKEN_CASES)
def test_pinyin_tokens(case):
    assert pinyin_tokens(case["input"]) == case["expected"]


def test_swapped_order_agrees_on_sorted_tokens():
    assert sorted(pinyin_tokens("WEI ZHANG")) == sorted(pinyin_tokens("张伟"))
    assert sorted(pinyin_tokens("Sanfeng Zhang")) == sorted(pinyin_tokens("張三豐"))
    assert sorted(pinyin_tokens("LI SI")) != sorted(pinyin_tokens("张伟"))


FORMER_CASES = [
    {"description": "one", "input": "张三", "expected": ("张三",)},
    {"description": "顿号", "input": "张三、李四", "expected": ("张三", "李四")},
    {
        "description": "mixed separators",
        "input": "张三，李四;王五；赵六/钱七 孙八",
        "expected": ("张三", "李四", "王五", "赵六", "钱七", "孙八"),
    },
    {
        "description": "normalised and traditional kept",
        "input": " 張三\u200b 、阿卜杜拉•买买提",
        "expected": ("張三", UYGHUR),
    },
    {"description": "a space separates Chinese names", "input": "張 三", "expected": ("張", "三")},
    {
        "description": "duplicates and empties dropped",
        "input": "张三、、张三、 ",
        "expected": ("张三",),
    },
    {
        "description": "Latin name keeps its space",
        "input": "ZHANG SAN/李四",
        "expected": ("ZHANGSAN", "李四"),
    },
    {"description": "label and none", "input": "曾用名：张三", "expected": ("张三",)},
    {"description": "无", "input": "无", "expected": ()},
    {"description": "None", "input": None, "expected": ()},
    {"description": "NaN", "input": float("nan"), "expected": ()},
]


@_params(FORMER_CASES)
def test_former_names(case):
    assert former_names(case["input"]) == case["expected"]


# ------------------------------------------------------------------ properties

name_like = st.one_of(
    anything,
    cjk_names,
    st.text(
        st.sampled_from("张三丰張豐阎闫萧肖李四·• .?□*阿卜杜拉买提 \u3000abcZ\x00\u200b,、"),
        max_size=12,
    ),
    st.from_regex(r"[A-Z][a-z]{1,6}( [A-Z][a-z]{1,6}){0,2}", fullmatch=True),
)


@settings(max_examples=150)
@given(name_like)
def test_variant_key_never_raises_and_is_idempotent(raw):
    key = variant_key(raw)
    assert (key is None) == (normalize_name(raw) is None)
    if key is not None:
        assert variant_key(key) == key
        assert not set(key) & set(variant_groups())


@settings(max_examples=150)
@given(name_like)
def test_name_parts_shape(raw):
    parts = name_parts(raw)
    name = normalize_name(raw)
    if name is None:
        assert parts is None
        return
    assert isinstance(parts, NameParts)
    assert all(isinstance(x, str) for x in (parts.surname, parts.given))
    assert re.fullmatch(r"[a-z?]*", parts.surname_pinyin)
    assert re.fullmatch(r"[a-z?]*", parts.given_pinyin)
    if MIDDLE_DOT in name and re.search("[\u4e00-\u9fff]", name):
        assert parts.given + MIDDLE_DOT + parts.surname in (name, simplified_key(name))
    elif re.match("[\u4e00-\u9fff]", name):
        assert parts.surname + parts.given in (name, simplified_key(name))
        assert 1 <= len(parts.surname) <= 2


@settings(max_examples=150)
@given(name_like)
def test_pinyin_tokens_spell_the_pinyin_key(raw):
    tokens = pinyin_tokens(raw)
    assert isinstance(tokens, tuple)
    assert all(re.fullmatch(r"[a-z?]+", t) for t in tokens)
    if not isinstance(raw, str) or re.search("[\u4e00-\u9fff]", normalize_name(raw) or ""):
        assert "".join(tokens) == (pinyin_key(raw) or "")


@settings(max_examples=100)
@given(cjk_names)
def test_bank_spelling_in_any_order_gives_the_same_tokens(name):
    tokens = pinyin_tokens(name)
    if "?" in tokens:
        return
    latin = " ".join(reversed(tokens)).upper()
    assert sorted(pinyin_tokens(latin)) == sorted(tokens)


@settings(max_examples=150)
@given(
    st.one_of(
        anything,
        st.lists(name_like.filter(lambda x: isinstance(x, str)), max_size=4).map("、".join),
    )
)
def test_former_names_never_raise_and_are_idempotent(raw):
    names = former_names(raw)
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names)
    for n in names:
        assert n and normalize_name(n) == n
    assert former_names("、".join(names)) == names
