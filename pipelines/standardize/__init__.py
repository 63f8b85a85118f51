"""Standardisation of identity data: resident IDs, names and dates (pure Python and Spark).

The pure functions are re-exported here; the Spark column versions live in
`pipelines.standardize.spark` so that importing this package does not import PySpark.
"""

from pipelines.standardize.dates import DateResult, parse_date
from pipelines.standardize.ids import IdResult, check_char, make_id, mask_id, standardize_id
from pipelines.standardize.names import (
    has_placeholder,
    mask_name,
    name_agreement,
    names_compatible,
    normalize_name,
    pinyin_key,
    simplified_key,
)

__all__ = [
    "DateResult",
    "IdResult",
    "check_char",
    "has_placeholder",
    "make_id",
    "mask_id",
    "mask_name",
    "name_agreement",
    "names_compatible",
    "normalize_name",
    "parse_date",
    "pinyin_key",
    "simplified_key",
    "standardize_id",
]
