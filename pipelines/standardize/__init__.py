"""Standardisation of identity data: IDs, names, dates, area codes, phones and addresses.

The pure functions are re-exported here; the Spark column versions (and `fast_id18`) live in
`pipelines.standardize.spark` so that importing this package does not import PySpark. Beside
them: `counties` (Chongqing's county-level codes, current and retired, as plain dictionaries),
`masking` (personal data as shown, by its column's PII class) and `chars` (the characters of
Chinese names and addresses that names, name parts and addresses share).
"""

from pipelines.standardize.addresses import AddressResult, address_tokens, normalize_address
from pipelines.standardize.counties import current_code, region_name
from pipelines.standardize.dates import DateResult, parse_date
from pipelines.standardize.ids import IdResult, check_char, make_id, mask_id, standardize_id
from pipelines.standardize.masking import key_pii, mask_key, mask_middle, mask_value
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
    "current_code",
    "former_names",
    "has_placeholder",
    "key_pii",
    "make_id",
    "mask_id",
    "mask_key",
    "mask_middle",
    "mask_name",
    "mask_value",
    "name_agreement",
    "name_parts",
    "names_compatible",
    "normalize_address",
    "normalize_name",
    "parse_date",
    "pinyin_key",
    "pinyin_tokens",
    "region_name",
    "simplified_key",
    "standardize_id",
    "standardize_phone",
    "standardize_phones",
    "standardize_region",
    "variant_key",
]
