"""Telephone numbers: Chinese mobiles and landlines, cleaned to one canonical string.

Canonical forms:
- mobile: 11 digits, 1[3-9]xxxxxxxxx;
- landline: area code with its leading 0, then the local number (7 or 8 digits, 8 for 023),
  without separators: "02368888888".

Decisions callers must know:
- +86 / 0086 / 86 before a full number are dropped; so are spaces, dashes, dots, parentheses.
- Extensions are dropped: after 转, 分机, ext, x or #, and a third dash group ("023-6888 8888-801").
- A bare 8-digit number not starting with 0 or 1 is taken as a Chongqing local number (023):
  rosters here are filled by local offices, and Chongqing's local numbers are 8 digits.
- A 10-digit number starting with 23 is 023 with its leading 0 lost (a spreadsheet number).
- Two numbers in one cell (separated by / , ; 、 or "或") give `multiple_numbers`; use
  `standardize_phones` to get each of them.
Reason codes: missing, not_a_number, multiple_numbers, too_short, too_long, bad_prefix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pipelines.standardize.ids import (
    ASCII_UPPER,
    DASHES,
    NULL_TOKENS,
    WHITESPACE,
    coerce_text,
)

KINDS = ("mobile", "landline")
REASONS = ("missing", "not_a_number", "multiple_numbers", "too_short", "too_long", "bad_prefix")
CHONGQING_AREA_CODE = "023"
# What a clerk types when there is no phone.
PHONE_NULL_TOKENS = frozenset({"无", "暂无", "没有", "空", "不详", "未知", "无电话", "0"})

_MULTI = re.compile(r"[/,;、|]|或")
# An extension marker and everything after it (after NFKC and lower-casing).
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)")
_EXTENSION_AFTER_DIGITS = 7  # a marker counts only after a full local number
_SEPARATORS = re.compile("[" + re.escape(WHITESPACE + DASHES) + r"().\[\]（）]+")
_GROUPS = re.compile(r"\d+")
_MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)


@dataclass(frozen=True)
class PhoneResult:
    """Outcome of standardising one phone value; number and kind are set only when valid."""

    raw: Any
    number: str | None
    kind: str | None
    valid: bool
    reason: str | None


def _invalid(raw: Any, reason: str) -> PhoneResult:
    return PhoneResult(raw, None, None, False, reason)


def _coerce(raw: Any) -> tuple[str | None, str | None]:
    return coerce_text(raw, "not_a_number")


def _drop_extension(text: str) -> str:
    marker = _EXTENSION.search(text)
    if marker and sum(ch.isdigit() for ch in text[: marker.start()]) >= _EXTENSION_AFTER_DIGITS:
        text = text[: marker.start()]
    groups = [g for g in _SEPARATORS.split(text) if g]
    # "023-68888888-801" and "68888888-801": a short group after a full local number.
    if len(groups) >= 2 and all(g.isdigit() for g in groups) and len(groups[-1]) <= 5:
        head = groups[:-1]
        if len(head) == 2 and head[0].startswith("0") and len(head[1]) in (7, 8):
            return "".join(head)
        if len(head) == 1 and len(head[0]) == 8 and head[0][0] not in "01":
            return head[0]
    return text


def _strip_country(digits: str, plus: bool) -> str:
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and (plus or len(digits) >= 12):
        digits = digits[2:]
    elif plus:
        return ""  # another country's number
    else:
        return digits
    # After a country code a landline loses its 0: +86 23 6888 8888.
    if digits and digits[0] not in "01":
        digits = "0" + digits
    return digits


def _classify(raw: Any, d: str) -> PhoneResult:
    if d.startswith("1"):
        if len(d) < 11:
            return _invalid(raw, "too_short")
        if len(d) > 11:
            return _invalid(raw, "too_long")
        if not _MOBILE.fullmatch(d):
            return _invalid(raw, "bad_prefix")
        return PhoneResult(raw, d, "mobile", True, None)
    if d.startswith("0"):
        if len(d) < 3 or d[1] == "0" or (d[1] == "1" and d[2] != "0"):
            return _invalid(raw, "bad_prefix" if len(d) >= 3 else "too_short")
        area = d[:3] if d[1] in "12" else d[:4]
        local = d[len(area) :]
        shortest = 8 if area == CHONGQING_AREA_CODE else 7
        if len(local) < shortest:
            return _invalid(raw, "too_short")
        if len(local) > 8:
            return _invalid(raw, "too_long")
        if local[0] in "01":
            return _invalid(raw, "bad_prefix")
        return PhoneResult(raw, area + local, "landline", True, None)
    if len(d) == 8:
        return PhoneResult(raw, CHONGQING_AREA_CODE + d, "landline", True, None)
    if len(d) == 10 and d.startswith("23"):
        return _classify(raw, "0" + d)
    return _invalid(raw, "too_short" if len(d) < 8 else "too_long")


def _standardize(raw: Any) -> PhoneResult:
    text, reason = _coerce(raw)
    if reason is not None:
        return _invalid(raw, reason)
    s = unicodedata.normalize("NFKC", text).translate(ASCII_UPPER).lower()
    s = s.strip(WHITESPACE)
    if not s or s.upper() in NULL_TOKENS or s in PHONE_NULL_TOKENS:
        return _invalid(raw, "missing")
    if _MULTI.search(s):
        parts = [p for p in _MULTI.split(s) if p.strip(WHITESPACE + DASHES)]
        if len(parts) > 1:
            return _invalid(raw, "multiple_numbers")
        s = parts[0] if parts else ""
    s = _drop_extension(s)
    s = _SEPARATORS.sub("", s)
    plus = s.startswith("+")
    digits = s[1:] if plus else s
    if not digits:
        return _invalid(raw, "missing" if not plus else "not_a_number")
    if not (digits.isascii() and digits.isdigit()):
        return _invalid(raw, "not_a_number")
    d = _strip_country(digits, plus)
    if not d:
        return _invalid(raw, "bad_prefix")
    return _classify(raw, d)


def standardize_phone(raw: Any) -> PhoneResult:
    """Clean and classify one phone value of any type (see the module docstring); never raises."""
    try:
        return _standardize(raw)
    except Exception:  # a last guard: odd objects must not stop a batch
        return _invalid(raw, "not_a_number")


def standardize_phones(raw: Any) -> tuple[PhoneResult, ...]:
    """Every number in a cell that may hold several (split at / , ; 、 | 或); never raises."""
    try:
        text, reason = _coerce(raw)
        if text is None or reason is not None:
            return (standardize_phone(raw),)
        s = unicodedata.normalize("NFKC", text)
        parts = [p for p in _MULTI.split(s) if p.strip(WHITESPACE + DASHES)]
        if len(parts) <= 1:
            return (standardize_phone(raw),)
        return tuple(standardize_phone(p) for p in parts)
    except Exception:  # a last guard
        return (_invalid(raw, "not_a_number"),)
