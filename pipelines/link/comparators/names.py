"""The `person_name` comparator: Chinese (or Latin-written) names by their prepared keys.

norm, simplified, variant, pinyin, pinyin_sorted, former (optional) →
exact, simplified, variant, former, pinyin, pinyin_swapped, placeholder, jw_pinyin_high, else
{jw_pinyin_high: 0.92}
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz.distance import JaroWinkler

from pipelines.link.comparators.spec import Result, column, is_cjk, is_similarity, output, spec
from pipelines.standardize.names import PLACEHOLDERS


def _is_placeholder(ch: str) -> bool:
    # Same rule as pipelines.standardize.names: private-use code points stand in for
    # characters outside GBK.
    return ch in PLACEHOLDERS or unicodedata.category(ch) == "Co"


@functools.lru_cache(maxsize=16384)
def parse_former(text: str | None) -> tuple[tuple[str | None, str | None], ...]:
    """'张三:zhangsan|李四:lisi' → (('张三', 'zhangsan'), ('李四', 'lisi')).

    Each entry is `simplified:pinyin`; either part may be empty (':zhangsan', '张三:') and the
    pinyin part with its colon may be left out ('张三|李四').
    """
    if not text:
        return ()
    out = []
    for entry in text.split("|"):
        simplified, _, pinyin = entry.partition(":")
        simplified, pinyin = simplified.strip() or None, pinyin.strip() or None
        if simplified or pinyin:
            out.append((simplified, pinyin))
    return tuple(out)


def _former_hit(
    formers: tuple[tuple[str | None, str | None], ...],
    own_pinyin: str | None,
    other_simplified: str | None,
    other_pinyin: str | None,
) -> bool:
    for simplified, pinyin in formers:
        if simplified is not None and simplified == other_simplified:
            return True
        # A pinyin agreement with the current name is the pinyin level, not this one.
        if (
            pinyin is not None
            and pinyin == other_pinyin
            and "?" not in pinyin
            and pinyin != own_pinyin
        ):
            return True
    return False


def _placeholder_chars(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    agreed = False
    for x, y in zip(a, b, strict=True):
        px, py = _is_placeholder(x), _is_placeholder(y)
        if px or py:
            continue
        if x != y:
            return False
        agreed = True
    return agreed and (any(map(_is_placeholder, a)) or any(map(_is_placeholder, b)))


@functools.lru_cache(maxsize=4096)
def _pinyin_pattern(key: str) -> re.Pattern[str] | None:
    # A '?' stands for one unknown character: one pinyin syllable of 1 to 6 letters.
    if not key.replace("?", ""):
        return None
    parts = [re.escape(p) for p in key.split("?")]
    return re.compile("[a-z]{1,6}".join(parts))


def _placeholder_pinyin(pa: str | None, pb: str | None, na: str, nb: str) -> bool:
    """'王?明' against a Latin 'WANG XIAO MING': the '?' matches one syllable."""
    for key, other, other_name in ((pa, pb, nb), (pb, pa, na)):
        if key is None or other is None or "?" not in key or "?" in other:
            continue
        if any(is_cjk(ch) for ch in other_name):
            continue  # two Chinese names are compared character by character instead
        pattern = _pinyin_pattern(key)
        if pattern is not None and pattern.fullmatch(other):
            return True
    return False


def _name_pair(
    a: dict[str, Any], b: dict[str, Any], params: Mapping[str, Any]
) -> tuple[int, float]:
    na, nb = a["norm"], b["norm"]
    sa, sb = a["simplified"] or na, b["simplified"] or nb
    pa, pb = a["pinyin"], b["pinyin"]
    sim = (
        JaroWinkler.normalized_similarity(pa, pb)
        if pa is not None and pb is not None
        else JaroWinkler.normalized_similarity(sa, sb)
    )
    if na == nb:
        return 0, 1.0
    if sa == sb:
        return 1, sim
    if a["variant"] is not None and a["variant"] == b["variant"]:
        return 2, sim
    if _former_hit(parse_former(a["former"]), pa, sb, pb) or _former_hit(
        parse_former(b["former"]), pb, sa, pa
    ):
        return 3, sim
    if pa is not None and pa == pb and "?" not in pa:
        return 4, sim
    psa, psb = a["pinyin_sorted"], b["pinyin_sorted"]
    if psa is not None and psa == psb and "?" not in psa:
        return 5, sim
    if _placeholder_chars(sa, sb) or _placeholder_pinyin(pa, pb, na, nb):
        return 6, sim
    if pa is not None and pb is not None and sim >= params["jw_pinyin_high"]:
        return 7, sim
    return 8, sim


NAME_INPUTS = ("norm", "simplified", "variant", "pinyin", "pinyin_sorted", "former")


def _person_name(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Chinese (or Latin-written) names by their prepared keys. Similarity: Jaro–Winkler on
    the pinyin keys (on the simplified names where a pinyin key is missing)."""
    lcols = {name: column(left, name) for name in NAME_INPUTS}
    rcols = {name: column(right, name) for name in NAME_INPUTS}
    levels, sims = output(len(left))
    for i in range(len(left)):
        a = {name: col[i] for name, col in lcols.items()}
        b = {name: col[i] for name, col in rcols.items()}
        if a["norm"] is not None and b["norm"] is not None:
            levels[i], sims[i] = _name_pair(a, b, params)
    return levels, sims


def _check_name(p: Mapping[str, Any]) -> list[str]:
    v = p["jw_pinyin_high"]
    return [] if is_similarity(v) else [f"jw_pinyin_high must be a number in (0, 1], got {v!r}"]


PERSON_NAME = spec(
    "person_name",
    (
        "exact",
        "simplified",
        "variant",
        "former",
        "pinyin",
        "pinyin_swapped",
        "placeholder",
        "jw_pinyin_high",
        "else",
    ),
    NAME_INPUTS,
    _person_name,
    {"jw_pinyin_high": 0.92},
    optional_inputs=("former",),
    check=_check_name,
)
