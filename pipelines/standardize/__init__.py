"""Standardisation of identity data: IDs, names, dates, area codes, phones and addresses.

The pure functions are re-exported here; the Spark column versions live in
`pipelines.standardize.spark` so that importing this package does not import PySpark.
"""

from pipelines.standardize.addresses import AddressResult, address_tokens, normalize_address
from pipelines.standardize.dates import DateResult, parse_date
from pipelines.standardize.ids import IdResult, check_char, make_id, mask_id, standardize_id
from pipelines.standardize.name_parts import NameParts, former_names, name_parts, pinyin_tokens
from pipelines.standardize.names import (
    AGREEMENT_LEVELS,
    has_placeholder,
    mask_name,
    name_agreement,
    names_compatible,
    normalize_name,
    pinyin_key,
    simplified_key,
    variant_key,
)
from pipelines.standardize.phones import PhoneResult, standardize_phone, standardize_phones
from pipelines.standardize.regions import RegionResult, standardize_region

__all__ = [
    "AGREEMENT_LEVELS",
    "AddressResult",
    "DateResult",
    "IdResult",
    "NameParts",
    "PhoneResult",
    "RegionResult",
    "address_tokens",
    "check_char",
    "former_names",
    "has_placeholder",
    "make_id",
    "mask_id",
    "mask_name",
    "name_agreement",
    "name_parts",
    "names_compatible",
    "normalize_address",
    "normalize_name",
    "parse_date",
    "pinyin_key",
    "pinyin_tokens",
    "simplified_key",
    "standardize_id",
    "standardize_phone",
    "standardize_phones",
    "standardize_region",
    "variant_key",
]
