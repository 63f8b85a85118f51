"""The `phone` comparator: value → exact, last8, one_edit, else."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz.distance import Levenshtein

from pipelines.link.comparators.spec import Result, column, output, spec

_NOT_DIGIT = re.compile(r"[^0-9]")


def _phone(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Phone numbers, digits only (anything else is dropped, so '+86 138…' keeps '86138…').
    Similarity: normalised Levenshtein similarity of the digits."""

    def digits(v: str | None) -> str | None:
        return None if v is None else (_NOT_DIGIT.sub("", v) or None)

    a_values = [digits(v) for v in column(left, "value")]
    b_values = [digits(v) for v in column(right, "value")]
    levels, sims = output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is None or b is None:
            continue
        sim = Levenshtein.normalized_similarity(a, b)
        if a == b:
            level = 0
        elif len(a) >= 8 and len(b) >= 8 and a[-8:] == b[-8:]:
            level = 1  # with and without the area code or +86
        elif Levenshtein.distance(a, b, score_cutoff=1) <= 1:
            level = 2
        else:
            level = 3
        levels[i], sims[i] = level, sim
    return levels, sims


PHONE = spec("phone", ("exact", "last8", "one_edit", "else"), ("value",), _phone)
