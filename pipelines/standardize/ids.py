"""Chinese resident identity numbers (GB 11643-1999): cleaning, validation, synthesis, masking."""

from __future__ import annotations

import datetime
import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# Birth dates outside this window are typos, not people on a roster.
MIN_BIRTH_DATE = datetime.date(1900, 1, 1)
MAX_BIRTH_DATE = datetime.date(2030, 12, 31)

# GB/T 2260 province-level prefixes. Only the province is checked: county codes are never
# rejected, because an ID keeps the code in force when it was issued (retired codes included).
_PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
PROVINCE_CODES = frozenset(str(n) for lo, hi in _PROVINCE_RANGES for n in range(lo, hi + 1))

# Explicit lists rather than str.isspace()/\s so that the Spark port strips exactly the same
# characters (Java's \s is ASCII-only, Python's is Unicode-wide). Zero-width characters, the
# BOM and the soft hyphen are included: invisible, and common in copied or exported cells.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u180e"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u200c\u200d"
    "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff\u00ad"
)
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Spreadsheet and database spellings of "no value", compared after ASCII upper-casing.
NULL_TOKENS = frozenset({"NULL", "NONE", "NAN", "NA", "N/A", "NAT", "<NA>", "\\N"})

ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_STRIP = re.compile("[" + re.escape(WHITESPACE + DASHES) + "]")
_ID_CHARS = re.compile(r"[0-9X]+", re.ASCII)
_PRINTABLE = re.compile(r"[!-~]+")


@dataclass(frozen=True)
class IdResult:
    """Outcome of standardising one ID value; derived fields are set only when valid."""

    raw: str | None
    id18: str | None
    valid: bool
    reason: str | None
    birth_date: datetime.date | None
    sex: str | None
    region_code: str | None
    converted_from_15: bool


def check_char(first17: str) -> str:
    """Check character for the first 17 digits of an ID."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"need 17 ASCII digits, got {first17!r}")
    total = sum(int(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def is_missing_value(raw: object) -> bool:
    """True for None, NaN and the pandas missing markers."""
    if raw is None:
        return True
    if type(raw).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(raw, numbers.Real | Decimal):
        try:
            return bool(raw != raw)  # NaN is the only value unequal to itself
        except Exception:
            return False
    return False


def _safe_str(raw: object) -> str | None:
    try:
        return raw if isinstance(raw, str) else str(raw)
    except Exception:
        return None


def coerce_text(
    raw: object, bad: str, whole_number_ok: Callable[[str], bool] = lambda _text: True
) -> tuple[str | None, str | None]:
    """Any input as text to clean, or the reason that settles it without parsing: `missing`,
    or `bad` for booleans, negative numbers and fractions. A spreadsheet number counts only
    when whole (and when `whole_number_ok` accepts its digits); bytes are decoded as UTF-8."""
    if is_missing_value(raw):
        return None, "missing"
    if isinstance(raw, str):
        return raw, None
    if isinstance(raw, bool):
        return None, bad
    if isinstance(raw, numbers.Integral):
        value = int(raw)
        return (str(value), None) if value >= 0 else (None, bad)
    if isinstance(raw, numbers.Real | Decimal):
        try:
            if not math.isfinite(raw) or raw < 0 or raw != int(raw):
                return None, bad
            text = str(int(raw))
        except Exception:
            return None, bad
        return (text, None) if whole_number_ok(text) else (None, bad)
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace"), None
    text = _safe_str(raw)
    return (text, None) if text is not None else (None, bad)


def _coerce(raw: object) -> tuple[str | None, str | None]:
    # Spreadsheets turn IDs into floats; accept only those that still spell a full ID.
    return coerce_text(raw, "bad_chars", lambda text: len(text) in (15, 18))


def clean_id_text(text: str) -> str:
    """NFKC, drop whitespace and dashes, upper-case ASCII letters (so x becomes X)."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text)).translate(ASCII_UPPER)


def _birth_date(id18: str) -> datetime.date | None:
    try:
        born = datetime.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None
    return born if MIN_BIRTH_DATE <= born <= MAX_BIRTH_DATE else None


def _invalid(raw: str | None, reason: str, from_15: bool = False) -> IdResult:
    return IdResult(raw, None, False, reason, None, None, None, from_15)


def _standardize(raw: object) -> IdResult:
    text, reason = _coerce(raw)
    if isinstance(raw, bytes | bytearray):
        raw_text = text
    else:
        raw_text = None if is_missing_value(raw) else _safe_str(raw)
    if reason is not None:
        return _invalid(raw_text, reason)
    s = clean_id_text(text)
    if not s or s in NULL_TOKENS:
        return _invalid(raw_text, "missing")
    if not _ID_CHARS.fullmatch(s):
        return _invalid(raw_text, "bad_chars")
    if len(s) not in (15, 18):
        return _invalid(raw_text, "bad_length")
    from_15 = len(s) == 15
    if from_15:
        if "X" in s:
            return _invalid(raw_text, "bad_chars")
        first17 = s[:6] + "19" + s[6:]
        id18 = first17 + check_char(first17)
    else:
        if "X" in s[:17]:
            return _invalid(raw_text, "bad_chars")
        if s[17] != check_char(s[:17]):
            return _invalid(raw_text, "bad_checksum")
        id18 = s
    born = _birth_date(id18)
    if born is None:
        return _invalid(raw_text, "bad_birth_date", from_15)
    if id18[:2] not in PROVINCE_CODES:
        return _invalid(raw_text, "bad_area", from_15)
    sex = "male" if int(id18[16]) % 2 == 1 else "female"
    return IdResult(raw_text, id18, True, None, born, sex, id18[:6], from_15)


def standardize_id(raw: object) -> IdResult:
    """Clean and validate one ID value of any type; never raises."""
    try:
        return _standardize(raw)
    except Exception:  # a last guard: odd objects must not stop a batch
        return _invalid(None, "bad_chars")


def make_id(region_code: str, birth: datetime.date, seq: int) -> str:
    """Build a valid 18-character ID; an odd `seq` gives a male, an even one a female."""
    if not (
        isinstance(region_code, str)
        and len(region_code) == 6
        and region_code.isascii()
        and region_code.isdigit()
    ):
        raise ValueError(f"region_code must be 6 digits, got {region_code!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 999:
        raise ValueError(f"seq must be an int in 0..999, got {seq!r}")
    first17 = f"{region_code}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return first17 + check_char(first17)


def mask_id(id_str: object) -> str:
    """Keep the first 6 and last 4 characters of the cleaned ID, star the rest; never raises."""
    try:
        text, reason = _coerce(id_str)
        if text is None:
            # Numbers that cannot be IDs still get masked rather than shown.
            text = "" if reason == "missing" else (_safe_str(id_str) or "")
        s = clean_id_text(text)
    except Exception:
        return "****"
    if not s:
        return ""
    # Text that is not plain ASCII is no ID; hiding it whole also keeps the Spark port exact.
    if len(s) <= 10 or not _PRINTABLE.fullmatch(s):
        return "****"
    return s[:6] + "*" * (len(s) - 10) + s[-4:]
