"""Personal names: normalisation, comparison keys (simplified, pinyin), agreement and masking."""

from __future__ import annotations

import functools
import re
import unicodedata

from pipelines.standardize.chars import (
    CJK,
    DOTS_TO_MIDDLE,
    MIDDLE_DOT,
    PLACEHOLDERS,
    is_placeholder,
    latin_letters,
    pinyin_errors,
    to_simplified,
)
from pipelines.standardize.ids import NULL_TOKENS, is_missing_value

_CJK_DOT = re.compile(f"(?<=[{CJK}])\\.(?=[{CJK}])")
_DOT_RUNS = re.compile(f"{MIDDLE_DOT}+")

# Surnames whose reading differs from the character's everyday reading; pypinyin would give
# the everyday one (单 → dan), which banks never write for a surname.
SURNAME_PINYIN = {
    "万俟": "moqi",
    "尉迟": "yuchi",
    "长孙": "zhangsun",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "乐": "yue",
    "覃": "qin",
    "翟": "zhai",
    "盖": "ge",
    "曾": "zeng",
    "缪": "miao",
    "冼": "xian",
    "秘": "bi",
    "召": "shao",
    "种": "chong",
    "繁": "po",
    "员": "yun",
    "能": "nai",
    "折": "she",
}

# Strongest first. "variant" (characters unified by data/variant_chars.yaml) is weak evidence,
# like "pinyin" (homophones are common); "placeholder" means only stand-ins differ.
AGREEMENT_LEVELS = (
    "exact",
    "simplified",
    "variant",
    "pinyin",
    "placeholder",
    "missing",
    "conflict",
)


def _keep(ch: str) -> bool:
    # Cc controls, Cf zero-width/BOM, Cs lone surrogates (which Arrow cannot encode).
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def normalize_once(text: str) -> str:
    """One pass of normalize_name's steps over a text (normalize_name repeats it until stable)."""
    text = unicodedata.normalize("NFKC", text.translate(DOTS_TO_MIDDLE))
    text = "".join(ch for ch in text if _keep(ch))
    text = _CJK_DOT.sub(MIDDLE_DOT, text)
    return _DOT_RUNS.sub(MIDDLE_DOT, text).strip(MIDDLE_DOT)


def normalize_name(raw: object) -> str | None:
    """NFKC, no whitespace or control characters, one kind of middle dot; None when empty."""
    if is_missing_value(raw):
        return None
    try:
        if isinstance(raw, bytes | bytearray):
            raw = bytes(raw).decode("utf-8", errors="replace")
        text = raw if isinstance(raw, str) else str(raw)
    except Exception:
        return None
    return _normalize_text(text)


# Every key of a name (simplified, variant, pinyin, parts) starts from its normal form: cached,
# so that preparing a name normalizes it once, not once per key.
@functools.lru_cache(maxsize=262_144)
def _normalize_text(text: str) -> str | None:
    try:
        text = normalize_once(text)
        # Removing a character can bring a combining mark next to a letter it composes with,
        # so repeat until stable: normalising a normalised name must change nothing.
        for _ in range(4):
            again = normalize_once(text)
            if again == text:
                break
            text = again
    except Exception:
        return None
    if not text or text.upper() in NULL_TOKENS:
        return None
    return text


def simplified_key(raw: object) -> str | None:
    """Normalised name converted traditional → simplified, for comparison only."""
    name = normalize_name(raw)
    return None if name is None else to_simplified(name)


@functools.cache
def _variant_table() -> dict[int, str]:
    """Each variant character → the canonical one of its group (data/variant_chars.yaml)."""
    from importlib import resources

    import yaml

    path = resources.files("pipelines.standardize").joinpath("data", "variant_chars.yaml")
    table: dict[int, str] = {}
    for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
        canonical, *variants = group["chars"]
        for ch in variants:
            table[ord(ch)] = canonical
    return table


def variant_groups() -> dict[str, str]:
    """The variant table as {variant: canonical}."""
    return {chr(k): v for k, v in _variant_table().items()}


@functools.lru_cache(maxsize=262_144)
def _variant(simplified: str) -> str:
    # Alternate the table and OpenCC until nothing changes, so that the key is a fixed point
    # (a few OpenCC conversions are not, e.g. 薴 → 苧 → 苎).
    text = simplified
    for _ in range(4):
        again = to_simplified(text.translate(_variant_table()))
        if again == text:
            break
        text = again
    return text


def variant_key(raw: object) -> str | None:
    """simplified_key with variant characters unified (阎 → 闫, 萧 → 肖 …); weak evidence."""
    name = simplified_key(raw)
    return None if name is None else _variant(name)


@functools.lru_cache(maxsize=262_144)
def _pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    prefix = ""
    for surname in (name[:2], name[:1]):
        if surname in SURNAME_PINYIN:
            prefix, name = SURNAME_PINYIN[surname], name[len(surname) :]
            break
    return latin_letters(prefix + "".join(lazy_pinyin(name, errors=pinyin_errors)))


def pinyin_key(raw: object) -> str | None:
    """Lower-case toneless pinyin without separators; Latin names give their letters."""
    name = simplified_key(raw)
    if name is None:
        return None
    return _pinyin(name) or None


def has_placeholder(raw: object) -> bool:
    """True when the name holds a stand-in ('?', '□', '*', …) for a character."""
    name = normalize_name(raw)
    return name is not None and any(is_placeholder(ch) for ch in name)


def _placeholder_match(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    return all(
        x == y or is_placeholder(x) or is_placeholder(y) for x, y in zip(a, b, strict=True)
    )


def name_agreement(a: object, b: object) -> str:
    """Strongest level at which two names agree, one of AGREEMENT_LEVELS."""
    na, nb = normalize_name(a), normalize_name(b)
    if na is None or nb is None:
        return "missing"
    if na == nb:
        return "exact"
    sa, sb = to_simplified(na), to_simplified(nb)
    if sa == sb:
        return "simplified"
    if _variant(sa) == _variant(sb):
        return "variant"
    pa, pb = _pinyin(sa), _pinyin(sb)
    # A '?' in both keys would make two unknown characters agree; leave that to placeholder.
    if pa and pa == pb and "?" not in pa:
        return "pinyin"
    if (has_placeholder(sa) or has_placeholder(sb)) and _placeholder_match(sa, sb):
        return "placeholder"
    return "conflict"


def names_compatible(a: object, b: object) -> bool:
    """False only when the two names positively conflict."""
    return name_agreement(a, b) != "conflict"


def mask_name(name: object) -> str:
    """Keep the surname character, star the others (middle dots stay); None gives ""."""
    text = normalize_name(name)
    if text is None:
        return ""
    return text[0] + "".join(MIDDLE_DOT if ch == MIDDLE_DOT else "*" for ch in text[1:])


__all__ = [
    "AGREEMENT_LEVELS",
    "MIDDLE_DOT",
    "PLACEHOLDERS",
    "SURNAME_PINYIN",
        "has_placeholder",
    "mask_name",
    "name_agreement",
    "names_compatible",
    "normalize_name",
    "pinyin_key",
    "simplified_key",
    "variant_groups",
    "variant_key",
]
