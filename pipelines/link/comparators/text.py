"""Comparators of plain text: `exact`, `text` (Jaro–Winkler) and `levenshtein` (edit distance).

- `exact`        value → exact, else
- `text`         value → exact, jw_high, jw_mid, else                {jw_high: 0.92, jw_mid: 0.8}
- `levenshtein`  value → exact, lev1, lev2, else                     {lev1: 1, lev2: 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapidfuzz.distance import JaroWinkler, Levenshtein

from pipelines.link.comparators.spec import is_distance, is_similarity, single, spec


def _exact(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Equal text: exact; anything else: else. Similarity 1 or 0."""
    return (0, 1.0) if a == b else (1, 0.0)


def _text_pair(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Jaro–Winkler at two thresholds. Similarity: Jaro–Winkler."""
    if a == b:
        return 0, 1.0
    jw = JaroWinkler.normalized_similarity(a, b)
    if jw >= params["jw_high"]:
        return 1, jw
    if jw >= params["jw_mid"]:
        return 2, jw
    return 3, jw


def _levenshtein(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Edit distance at two maxima. Similarity: normalised Levenshtein similarity."""
    if a == b:
        return 0, 1.0
    sim = Levenshtein.normalized_similarity(a, b)
    d = Levenshtein.distance(a, b, score_cutoff=params["lev2"])
    if d <= params["lev1"]:
        return 1, sim
    if d <= params["lev2"]:
        return 2, sim
    return 3, sim


def _check_text(p: Mapping[str, Any]) -> list[str]:
    problems = [
        f"{k} must be a number in (0, 1], got {p[k]!r}" for k in p if not is_similarity(p[k])
    ]
    if not problems and p["jw_mid"] > p["jw_high"]:
        problems.append(f"jw_mid ({p['jw_mid']}) must not exceed jw_high ({p['jw_high']})")
    return problems


def _check_levenshtein(p: Mapping[str, Any]) -> list[str]:
    problems = [f"{k} must be an integer >= 1, got {p[k]!r}" for k in p if not is_distance(p[k])]
    if not problems and p["lev1"] > p["lev2"]:
        problems.append(f"lev1 ({p['lev1']}) must not exceed lev2 ({p['lev2']})")
    return problems


EXACT = spec("exact", ("exact", "else"), ("value",), single(_exact))
TEXT = spec(
    "text",
    ("exact", "jw_high", "jw_mid", "else"),
    ("value",),
    single(_text_pair),
    {"jw_high": 0.92, "jw_mid": 0.8},
    check=_check_text,
)
LEVENSHTEIN = spec(
    "levenshtein",
    ("exact", "lev1", "lev2", "else"),
    ("value",),
    single(_levenshtein),
    {"lev1": 1, "lev2": 2},
    check=_check_levenshtein,
)
