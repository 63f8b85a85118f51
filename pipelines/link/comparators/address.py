"""The `address` comparator: value → exact, jw_high, token_set, else
{jw_high: 0.92, token_set: 85}."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from pipelines.link.comparators.spec import is_cjk, is_similarity, single, spec


def address_tokens(text: str) -> str:
    """Tokens for the token-set comparison, joined by spaces.

    Chinese addresses have no spaces, so each whitespace-separated chunk holding a CJK
    character becomes its overlapping character bigrams (重庆市渝中区 → 重庆 庆市 市渝 渝中
    中区); other chunks stay whole words, lower-cased.
    """
    tokens = []
    for chunk in text.split():
        if any(is_cjk(ch) for ch in chunk):
            tokens.extend(chunk[i : i + 2] for i in range(max(len(chunk) - 1, 1)))
        else:
            tokens.append(chunk.lower())
    return " ".join(tokens)


def _address(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Exact, Jaro–Winkler, then token-set ratio on bigrams (an address contained in the
    other, such as one without the city, scores 100). Similarity: Jaro–Winkler."""
    if a == b:
        return 0, 1.0
    jw = JaroWinkler.normalized_similarity(a, b)
    if jw >= params["jw_high"]:
        return 1, jw
    if fuzz.token_set_ratio(address_tokens(a), address_tokens(b)) >= params["token_set"]:
        return 2, jw
    return 3, jw


def _check_address(p: Mapping[str, Any]) -> list[str]:
    problems = []
    if not is_similarity(p["jw_high"]):
        problems.append(f"jw_high must be a number in (0, 1], got {p['jw_high']!r}")
    v = p["token_set"]
    if not (isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 100):
        problems.append(f"token_set must be a number in (0, 100], got {v!r}")
    return problems


ADDRESS = spec(
    "address",
    ("exact", "jw_high", "token_set", "else"),
    ("value",),
    single(_address),
    {"jw_high": 0.92, "token_set": 85},
    check=_check_address,
)
