"""Masking of personal data in everything the engine shows: IDs, names, accounts, plates."""

from __future__ import annotations


def mask_middle(value: object, keep_start: int = 4, keep_end: int = 4) -> str:
    """Keep a few characters at both ends of an identifier; hide the rest."""
    if value is None:
        return ""
    text = str(value)
    if len(text) <= keep_start + keep_end:
        return text[:1] + "*" * max(len(text) - 1, 0)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def mask_key(key: str, pii_parts: list[bool]) -> str:
    """Mask the parts of a `|`-joined record key whose columns hold personal data."""
    parts = str(key).split("|")
    return "|".join(mask_middle(p) if i < len(pii_parts) and pii_parts[i] else p for i, p in enumerate(parts))
