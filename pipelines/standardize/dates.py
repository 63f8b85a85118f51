"""Dates as registries deliver them: YYYYMMDD, 1980-1-1, 1980年1月1日, Excel serials, objects.

Accepted (fmt in the result): 19800101 (yyyymmdd, also as int/float); 1980-1-1 and 1980-01-01
(iso), 1980/1/1 (slash), 1980.1.1 (dot), each optionally with a time of day (…_datetime);
1980年1月1日 / 1980年01月01号 (cn); Excel serial day numbers 1..80000 (excel_serial, a fraction
is the time of day); date/datetime/Timestamp objects. Full-width digits and dash variants are
folded first; the raw value is kept in the result.
Rejected on purpose (unparseable): two-digit years (80-1-1, 800101: 1915 or 2015 cannot be
told apart for a birth date), day-first or month-first orders (01/02/1980), month-only dates.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pipelines.standardize.ids import ASCII_UPPER, DASHES, NULL_TOKENS, WHITESPACE, is_missing_value

MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)
# Excel's day zero; counting from 1899-12-30 absorbs its fictitious 1900-02-29.
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_SERIAL_MIN = 1
EXCEL_SERIAL_MAX = 80000

# The patterns are shared with the Spark port, so they use only syntax that means the same in
# Python (compiled with re.ASCII) and Java regex; input is stripped first, so '$' is the end.
NUMERIC_RE = r"^(\d+)(?:\.(\d*))?$"
SEP_RE = (
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"
    r"((?:T| +)(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)
CN_RE = r"^(\d{4}) *年 *(\d{1,2}) *月 *(\d{1,2}) *[日号]?$"
SEP_FORMATS = {"-": "iso", "/": "slash", ".": "dot"}

_NUMERIC = re.compile(NUMERIC_RE, re.ASCII)
_SEP = re.compile(SEP_RE, re.ASCII)
_CN = re.compile(CN_RE, re.ASCII)
_DASHES_TO_HYPHEN = str.maketrans({ch: "-" for ch in DASHES})
_WS = re.escape(WHITESPACE)
_EDGES = re.compile(f"^[{_WS}]+|[{_WS}]+$")


@dataclass(frozen=True)
class DateResult:
    """Outcome of parsing one date value: the value, or the reason there is none."""

    raw: Any
    value: datetime.date | None
    reason: str | None
    fmt: str | None


def clean_date_text(text: str) -> str:
    """NFKC (full-width digits), dash variants to '-', whitespace trimmed at both ends."""
    return _EDGES.sub("", unicodedata.normalize("NFKC", text).translate(_DASHES_TO_HYPHEN))


def _checked(raw: Any, y: int, m: int, d: int, fmt: str) -> DateResult:
    try:
        value = datetime.date(y, m, d)
    except ValueError:
        return DateResult(raw, None, "impossible_date", fmt)
    return _in_range(raw, value, fmt)


def _in_range(raw: Any, value: datetime.date, fmt: str) -> DateResult:
    if not MIN_DATE <= value <= MAX_DATE:
        return DateResult(raw, None, "out_of_range", fmt)
    return DateResult(raw, value, None, fmt)


def _parse_text(raw: Any, text: str) -> DateResult:
    s = clean_date_text(text)
    if not s or s.translate(ASCII_UPPER) in NULL_TOKENS:
        return DateResult(raw, None, "missing", None)
    if m := _NUMERIC.match(s):
        digits, frac = m.group(1), m.group(2) or ""
        if len(digits) == 8 and not frac.strip("0"):
            return _checked(raw, int(digits[:4]), int(digits[4:6]), int(digits[6:]), "yyyymmdd")
        if len(digits) <= 5:
            # A fraction is the time of day; the date is the whole part.
            serial = int(digits)
            if not EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
                return DateResult(raw, None, "out_of_range", "excel_serial")
            value = EXCEL_EPOCH + datetime.timedelta(days=serial)
            return _in_range(raw, value, "excel_serial")
        return DateResult(raw, None, "unparseable", None)
    if m := _SEP.match(s):
        fmt = SEP_FORMATS[m.group(2)] + ("_datetime" if m.group(5) else "")
        return _checked(raw, int(m.group(1)), int(m.group(3)), int(m.group(4)), fmt)
    if m := _CN.match(s):
        return _checked(raw, int(m.group(1)), int(m.group(2)), int(m.group(3)), "cn")
    return DateResult(raw, None, "unparseable", None)


def _parse(raw: Any) -> DateResult:
    if is_missing_value(raw):
        return DateResult(raw, None, "missing", None)
    if isinstance(raw, datetime.datetime):  # before date: datetime (and Timestamp) subclass it
        return _in_range(raw, raw.date(), "datetime")
    if isinstance(raw, datetime.date):
        return _in_range(raw, raw, "date")
    if isinstance(raw, str):
        return _parse_text(raw, raw)
    if isinstance(raw, bool):
        return DateResult(raw, None, "unparseable", None)
    if isinstance(raw, numbers.Integral):
        return _parse_text(raw, str(int(raw)))
    if isinstance(raw, float):
        # repr keeps the fraction of an Excel serial and writes 19800101.0 without exponent.
        return _parse_text(raw, float.__repr__(raw) if math.isfinite(raw) else "inf")
    if isinstance(raw, numbers.Real | Decimal):
        return replace(_parse(float(raw)), raw=raw)  # read as a float, but keep the raw value
    if isinstance(raw, bytes | bytearray):
        return _parse_text(raw, bytes(raw).decode("utf-8", errors="replace"))
    return _parse_text(raw, str(raw))  # numpy.datetime64 prints as ISO


def parse_date(raw: Any) -> DateResult:
    """Parse one date value of any type; never raises."""
    try:
        return _parse(raw)
    except Exception:  # a last guard: odd objects must not stop a batch
        return DateResult(raw, None, "unparseable", None)
