"""Masking of personal data in everything the engine shows: IDs, names, accounts, plates.

A value is masked by the PII class its schema gives its column (`mask_value`); a record key
(`a|b`, one part per key column) part by part, each by its own column's class (`mask_key`,
with `key_pii(schema)`). Every place that shows a key or a raw value masked goes through these.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.schemas import Schema
from pipelines.standardize.ids import mask_id
from pipelines.standardize.names import mask_name

NOT_PERSONAL = "none"


def mask_middle(value: object, keep_start: int = 4, keep_end: int = 4) -> str:
    """Keep a few characters at both ends of an identifier; hide the rest."""
    if value is None:
        return ""
    text = str(value)
    if len(text) <= keep_start + keep_end:
        return text[:1] + "*" * max(len(text) - 1, 0)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[len(text) - keep_end:]


def mask_value(value: object, pii: str | bool) -> str:
    """`value` as shown when masked, by its column's PII class (schemas.PII): an ID number keeps
    its area code and last four, a name its surname, a sensitive value (ethnicity) nothing, any
    other personal data a few characters at each end; `none` is shown. True/False (personal or
    not) mask as an unnamed class."""
    if value is None:
        return ""
    if pii is False or pii == NOT_PERSONAL:
        return str(value)
    if pii == "id_number":
        return mask_id(value)
    if pii == "name":
        return mask_name(value)
    if pii == "sensitive":
        return "***"
    return mask_middle(value)


def mask_key(key: object, pii: Sequence[str | bool]) -> str:
    """Mask the parts of a `|`-joined record key, each by the PII class of its key column.

    A key whose parts do not line up with its columns (a value holding `|` itself) cannot be
    masked part by part, so it is masked whole unless none of its columns is personal."""
    if key is None:
        return ""
    parts = str(key).split("|")
    if all(p is False or p == NOT_PERSONAL for p in pii):
        return str(key)
    if len(parts) != len(pii):
        return mask_middle(key)
    return "|".join(mask_value(part, cls) for part, cls in zip(parts, pii, strict=True))


def key_pii(schema: Schema) -> list[str]:
    """The PII class of each key column of `schema`, in key order (what `mask_key` takes)."""
    return [schema.column(k).pii for k in schema.key]
