"""The `date` comparator: ISO dates.

value (YYYY-MM-DD) → exact, day_month_swapped, one_digit, same_year_month, year_within_1, else
{year_within: 1}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from rapidfuzz.distance import Levenshtein

from pipelines.link.comparators.spec import Result, column, output, spec


def _date_digits(text: str) -> str | None:
    digits = text.strip().replace("-", "")
    return digits if len(digits) == 8 and digits.isascii() and digits.isdigit() else None


def _date(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """ISO dates 'YYYY-MM-DD' (or 'YYYYMMDD'); any other text counts as missing.
    Similarity: normalised Levenshtein similarity of the 8 digits."""
    a_values = [None if v is None else _date_digits(v) for v in column(left, "value")]
    b_values = [None if v is None else _date_digits(v) for v in column(right, "value")]
    levels, sims = output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is None or b is None:
            continue
        sim = Levenshtein.normalized_similarity(a, b)
        ya, ma, da = a[:4], a[4:6], a[6:]
        yb, mb, db = b[:4], b[4:6], b[6:]
        if a == b:
            level = 0
        elif ya == yb and ma == db and da == mb:
            level = 1  # day and month written the other way round
        elif Levenshtein.distance(a, b, score_cutoff=1) <= 1:
            level = 2
        elif ya == yb and ma == mb:
            level = 3
        elif abs(int(ya) - int(yb)) <= params["year_within"]:
            level = 4
        else:
            level = 5
        levels[i], sims[i] = level, sim
    return levels, sims


def _check_date(p: Mapping[str, Any]) -> list[str]:
    v = p["year_within"]
    ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return [] if ok else [f"year_within must be an integer >= 0, got {v!r}"]


DATE = spec(
    "date",
    ("exact", "day_month_swapped", "one_digit", "same_year_month", "year_within_1", "else"),
    ("value",),
    _date,
    {"year_within": 1},
    check=_check_date,
)
