"""Addresses: one comparable text per address, and the district or county it names.

What normalize_address does, in order:
1. NFKC (full-width letters and digits become ASCII), Latin letters upper-cased;
2. traditional → simplified (OpenCC), so 號 becomes 号 and 區 becomes 区;
3. "#" after a digit becomes 号 ("3#楼" → "3号楼");
4. whitespace, punctuation and symbols removed, except a single "-" between two digits
   ("5-3-2" is building-unit-room and must not become "532");
5. leading 中华人民共和国 / 中国 / 重庆市 dropped, and 重庆 when a district or county name
   follows (重庆村 is a street in 渝中区);
6. Chinese numerals (一 … 九百九十九, 〇/零, 两) become digits only right before a unit word
   (栋 幢 单元 楼 层 室 组 社 队 号楼 号院 附), or before 号 after a road word
   (路 街 道 巷 弄 村) — "三单元" → "3单元", "民族路二十三号" → "民族路23号", while place
   names such as 一号桥 or 五一路 are left alone.
`region_code` is the code in force of the district/county the address starts with, once the
prefixes are gone (a retired county's name gives its successor: 綦江县 → 500110); a name further
in is not looked for, since 江北区 is also in 宁波 and a Chongqing address starts with its district.
Reason codes: missing (nothing left), too_short (one character), no_chinese.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pipelines.standardize.chars import CJK_RE, to_simplified
from pipelines.standardize.ids import NULL_TOKENS, is_missing_value
from pipelines.standardize.regions import find_region_name, region_table

REASONS = ("missing", "too_short", "no_chinese")
ADDRESS_PREFIXES = ("中华人民共和国", "中国", "重庆市")
ADDRESS_NULL_TOKENS = frozenset({"无", "暂无", "不详", "未知", "空"})

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_NUMERALS |= {"七": 7, "八": 8, "九": 9}
_NUM = "零〇一二两三四五六七八九十百"
_UNITS = "号楼|号院|单元|栋|幢|楼|层|室|组|社|队|附"
_AFTER_ROAD = "路街道巷弄村"
_NUMERAL_BEFORE_UNIT = re.compile(f"([{_NUM}]+)(?=(?:{_UNITS}))")
_NUMERAL_BEFORE_HAO = re.compile(f"(?<=[{_AFTER_ROAD}])([{_NUM}]+)(?=号)")
_DIGIT_HASH = re.compile(r"(?<=\d)#")
_DASH_BETWEEN_DIGITS = re.compile(r"(?<=\d)-+(?=\d)")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASHES_TO_HYPHEN = str.maketrans({ch: "-" for ch in _DASHES})
_KEEP_DASH = "\x00"  # stands for a kept '-' while punctuation is removed
# Where an address splits into comparable parts: after these words (longest first).
_TOKEN_ENDS = (
    "自治县|街道|社区|单元|号楼|号院|区|县|市|镇|乡|村|路|街|道|巷|弄|号|栋|幢|楼|层|室|组|社"
)
_TOKEN = re.compile(f".+?(?:{_TOKEN_ENDS})|.+$")


@dataclass(frozen=True)
class AddressResult:
    """Outcome of normalising one address; text and region_code are None when invalid."""

    raw: Any
    text: str | None
    region_code: str | None
    valid: bool
    reason: str | None


_D = "一二两三四五六七八九"
_COMPOSED = re.compile(f"(?:([{_D}])百)?(?:([零〇])(?=[{_D}]$))?(?:([{_D}])?(十))?([{_D}])?")


def chinese_number(numeral: str) -> int | None:
    """0..999 written in Chinese numerals (二十三, 一百零五, 十, 一二零一); None if not one."""
    if not numeral or any(ch not in _NUM for ch in numeral):
        return None
    if "十" not in numeral and "百" not in numeral:
        # Digit by digit, as room numbers are read out: 一二零一 → 1201.
        return int("".join(str(_NUMERALS[ch]) for ch in numeral))
    m = _COMPOSED.fullmatch(numeral)
    if m is None:
        return None
    hundreds, zero, tens, ten, ones = m.groups()
    if zero and (hundreds is None or ten):
        return None
    value = _NUMERALS[hundreds] * 100 if hundreds else 0
    if ten:
        value += (_NUMERALS[tens] if tens else 1) * 10
    return value + (_NUMERALS[ones] if ones else 0)


def _numerals(text: str) -> str:
    def replace(m: re.Match) -> str:
        n = chinese_number(m.group(1))
        return m.group(1) if n is None else str(n)

    text = _NUMERAL_BEFORE_UNIT.sub(replace, text)
    return _NUMERAL_BEFORE_HAO.sub(replace, text)


def _keep(ch: str) -> bool:
    if ch == _KEEP_DASH:
        return True
    category = unicodedata.category(ch)
    # Z* separators, C* controls/format/private use/unassigned, P* punctuation, S* symbols.
    return category[0] not in "ZCPS"


def _strip_punctuation(text: str) -> str:
    text = text.translate(_DASHES_TO_HYPHEN)
    # Punctuation first, so that "3-,-2" closes up to "3--2" before the dash is kept once.
    text = "".join(ch for ch in text if ch == "-" or _keep(ch))
    text = _DASH_BETWEEN_DIGITS.sub(_KEEP_DASH, text)
    text = text.replace("-", "")
    return text.replace(_KEEP_DASH, "-")


def _drop_prefixes(text: str) -> str:
    names = region_table().ordered_names
    changed = True
    while changed:
        changed = False
        for prefix in ADDRESS_PREFIXES:
            if text.startswith(prefix):
                text, changed = text[len(prefix) :], True
        if text.startswith("重庆") and any(text[2:].startswith(n) for n, _ in names):
            text, changed = text[2:], True
    return text


def _normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)
    text = to_simplified(text)
    text = _DIGIT_HASH.sub("号", text)
    text = _strip_punctuation(text)
    text = _drop_prefixes(text)
    return _numerals(text)


def _normalize(raw: Any) -> AddressResult:
    if is_missing_value(raw):
        return AddressResult(raw, None, None, False, "missing")
    if isinstance(raw, bytes | bytearray):
        text = bytes(raw).decode("utf-8", errors="replace")
    else:
        text = raw if isinstance(raw, str) else str(raw)
    # Twice at most: dropping a prefix or a character can expose another ("中国 重庆市").
    s = _normalize_text(text)
    for _ in range(3):
        again = _normalize_text(s)
        if again == s:
            break
        s = again
    if not s or s.upper() in NULL_TOKENS or s in ADDRESS_NULL_TOKENS:
        return AddressResult(raw, None, None, False, "missing")
    if len(s) < 2:
        return AddressResult(raw, None, None, False, "too_short")
    if not CJK_RE.search(s):
        return AddressResult(raw, None, None, False, "no_chinese")
    found = find_region_name(s)
    code = None
    if found is not None:
        table = region_table()
        code = found[0] if found[0] in table.current else table.successor_on(found[0], None)
    return AddressResult(raw, s, code, True, None)


def normalize_address(raw: Any) -> AddressResult:
    """Normalise one address of any type (see the module docstring); never raises."""
    try:
        return _normalize(raw)
    except Exception:  # a last guard: odd objects must not stop a batch
        return AddressResult(raw, None, None, False, "missing")


def address_tokens(text: Any) -> tuple[str, ...]:
    """A normalised address cut after each administrative or unit word, for comparing parts:
    "渝中区解放碑街道民族路5号3单元2-1" → (渝中区, 解放碑街道, 民族路, 5号, 3单元, 2-1)."""
    result = normalize_address(text)
    if not result.valid or result.text is None:
        return ()
    return tuple(m.group(0) for m in _TOKEN.finditer(result.text))
