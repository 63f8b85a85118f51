"""Vectorised field comparators: prepared values of both sides in, level codes out.

They run inside Arrow-backed pandas UDFs on batches of candidate pairs; `spec` says what a
comparator receives and returns. Strings are compared pair by pair with rapidfuzz's C
implementations (a few microseconds a pair), which is what a pairwise comparison needs;
`rapidfuzz.process.cdist` computes a cross product and does not apply.

Kinds (inputs → levels, strongest first; parameters with their defaults), one module per
kind of field:

- `exact`        value → exact, else                                 (text)
- `text`         value → exact, jw_high, jw_mid, else                {jw_high: 0.92, jw_mid: 0.8}
- `levenshtein`  value → exact, lev1, lev2, else                     {lev1: 1, lev2: 2}
- `id_number`    id_clean, id18 → exact, transposition, one_edit, birth_and_region, two_edits, else
- `person_name`  norm, simplified, variant, pinyin, pinyin_sorted, former (optional) →
                 exact, simplified, variant, former, pinyin, pinyin_swapped, placeholder,
                 jw_pinyin_high, else                                {jw_pinyin_high: 0.92}
- `date`         value (YYYY-MM-DD) → exact, day_month_swapped, one_digit, same_year_month,
                 year_within_1, else                                 {year_within: 1}
- `phone`        value → exact, last8, one_edit, else
- `address`      value → exact, jw_high, token_set, else             {jw_high: 0.92, token_set: 85}

`comparator(kind, params)` (in `registry`) gives one with its parameters checked (from the
linkage YAML); `parameter_problems` lists what is wrong without raising.
"""

from pipelines.link.comparators.address import address_tokens
from pipelines.link.comparators.names import NAME_INPUTS, parse_former
from pipelines.link.comparators.registry import COMPARATORS, comparator, parameter_problems
from pipelines.link.comparators.spec import (
    NULL_LEVEL,
    ComparatorConfigError,
    ComparatorSpec,
)

__all__ = [
    "COMPARATORS",
    "NAME_INPUTS",
    "NULL_LEVEL",
    "ComparatorConfigError",
    "ComparatorSpec",
    "address_tokens",
    "comparator",
    "parameter_problems",
    "parse_former",
]
