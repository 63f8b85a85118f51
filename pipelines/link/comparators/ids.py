"""The `id_number` comparator: resident IDs.

id_clean, id18 → exact, transposition, one_edit, birth_and_region, two_edits, else
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from pipelines.link.comparators.spec import Result, column, output, spec


def _id_value(clean: str | None, id18: str | None) -> str | None:
    return id18 if id18 is not None else clean


def _id_pair(a: str, b: str) -> tuple[int, float]:
    if len(a) == 15 and len(b) == 18:
        b = b[:6] + b[8:17]  # an 18-digit ID as its 15-digit form: no century, no check
    elif len(a) == 18 and len(b) == 15:
        a = a[:6] + a[8:17]
    if a == b:
        return 0, 1.0
    sim = OSA.normalized_similarity(a, b)
    osa = OSA.distance(a, b, score_cutoff=2)
    lev = Levenshtein.distance(a, b, score_cutoff=2)
    if osa == 1 and lev == 2:
        return 1, sim  # adjacent digits swapped
    if lev == 1:
        return 2, sim
    # Region (6) + birth date (8 in an 18-digit ID, 6 in a 15-digit one).
    prefix = 12 if len(a) == len(b) == 15 else 14
    if len(a) >= prefix and len(b) >= prefix and a[:prefix] == b[:prefix]:
        return 3, sim
    if osa <= 2:
        return 4, sim
    return 5, sim


def _id_number(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Resident IDs: each side's 18-digit form when valid, else its cleaned text.

    A 15-digit ID is compared with the 15-digit form of an 18-digit one (digits 7–8 and the
    check character dropped). Similarity: normalised OSA (transposition-aware) similarity.
    """
    a_values = [
        _id_value(c, v) for c, v in zip(column(left, "id_clean"), column(left, "id18"), strict=True)
    ]
    b_values = [
        _id_value(c, v)
        for c, v in zip(column(right, "id_clean"), column(right, "id18"), strict=True)
    ]
    levels, sims = output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is not None and b is not None:
            levels[i], sims[i] = _id_pair(a, b)
    return levels, sims


ID_NUMBER = spec(
    "id_number",
    ("exact", "transposition", "one_edit", "birth_and_region", "two_edits", "else"),
    ("id_clean", "id18"),
    _id_number,
)
