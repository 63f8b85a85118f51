"""Hypothesis strategies shared by the standardize property tests: values of any shape."""

from __future__ import annotations

import datetime
import random

from hypothesis import strategies as st

from pipelines.standardize.counties import CHONGQING, RETIRED

FULL_WIDTH = str.maketrans("0123456789-()+ ", "０１２３４５６７８９－（）＋\u3000")

# Text that mixes what real cells hold: digits, CJK, Latin, dots, separators, controls, emoji.
messy_text = st.one_of(
    st.text(max_size=30),
    st.text(
        st.sampled_from(
            list("0123456789０１２３+-–()（） /、,;#xX转号单元楼区县市重庆渝中綦江张三丰張豐·•.?□")
            + ["\x00", "\u200b", "\ufeff", "\u3000", "😀", "\ue000", "\t", "\n"]
        ),
        max_size=25,
    ),
    st.from_regex(r"[0-9]{30}", fullmatch=True),
    st.from_regex(r"[A-Za-z ]{1,20}", fullmatch=True),
    st.sampled_from(["", " ", "NULL", "null", "N/A", "\\N", "nan", "<NA>", "无", "不详"]),
)

anything = st.one_of(
    st.none(),
    messy_text,
    st.binary(max_size=20),
    st.integers(),
    st.integers(min_value=0, max_value=10**20),
    st.floats(),
    st.sampled_from([float("nan"), float("inf"), -0.0, 13812345678.0, 500222.0]),
    st.decimals(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.lists(st.integers(), max_size=3),
)

# Strings only: what a Spark string column can hold (no lone surrogates; Arrow cannot carry
# them, and the pure functions are tested on them separately through `anything`).
spark_text = st.one_of(st.none(), messy_text)

region_codes = st.sampled_from(sorted({*CHONGQING, *RETIRED, "510212", "512301", "512230"}))
cjk_char = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
cjk_names = st.text(cjk_char, min_size=2, max_size=4)


def noisy_mobile(rnd: random.Random) -> tuple[str, str]:
    """(a formatted mobile number, its canonical form)."""
    number = "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    forms = [
        number,
        "+86" + number,
        "+86 " + spaced,
        "0086-" + number,
        "86" + number,
        number[:3] + "-" + number[3:7] + "-" + number[7:],
        number.translate(FULL_WIDTH),
        f"({number[:3]}) {number[3:]}",
        "\u3000" + spaced + " ",
    ]
    return rnd.choice(forms), number


def noisy_landline(rnd: random.Random) -> tuple[str, str]:
    """(a formatted Chongqing landline, its canonical form)."""
    local = rnd.choice("2345678") + "".join(rnd.choice("0123456789") for _ in range(7))
    forms = [
        "023" + local,
        "023-" + local,
        f"(023){local[:4]} {local[4:]}",
        f"（023）{local}",
        local,
        f"+86 23 {local}",
        f"023-{local}-{rnd.randrange(1, 999)}",
        f"023-{local}转{rnd.randrange(1, 999)}",
        ("023-" + local).translate(FULL_WIDTH),
    ]
    return rnd.choice(forms), "023" + local


def a_day(lo: int = 1990, hi: int = 2030) -> st.SearchStrategy[datetime.date]:
    return st.dates(datetime.date(lo, 1, 1), datetime.date(hi, 12, 31))
