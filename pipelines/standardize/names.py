"""Personal names: normalisation, comparison keys (simplified, pinyin), agreement and masking."""

from __future__ import annotations

import functools
import re
import unicodedata

from pipelines.standardize.ids import NULL_TOKENS, is_missing_value

MIDDLE_DOT = "\u00b7"
# Dots that IMEs, fonts and old systems put between the parts of a transliterated name
# (阿卜杜拉·买买提). U+FF0E and U+FF65 are mapped before NFKC turns them into '.' and U+30FB.
_DOT_VARIANTS = "\u2022\u30fb\uff0e\u2027\uff65\u2219\u22c5\u2e31\ua78f"
_DOTS_TO_MIDDLE = str.maketrans({ch: MIDDLE_DOT for ch in _DOT_VARIANTS})

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_CJK_DOT = re.compile(f"(?<=[{_CJK}])\\.(?=[{_CJK}])")
_DOT_RUNS = re.compile(f"{MIDDLE_DOT}+")

# Characters that stand for a rare character the source system could not encode: '?' and
# '*' typed by clerks, '□'/'■'/'〓' from fonts, U+FFFD from a failed GBK→UTF-8 conversion.
PLACEHOLDERS = frozenset("?□■*〓\ufffd")

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


def _is_placeholder(ch: str) -> bool:
    # Private-use code points are how some registries store characters outside GBK.
    return ch in PLACEHOLDERS or unicodedata.category(ch) == "Co"


def _keep(ch: str) -> bool:
    # Cc controls, Cf zero-width/BOM, Cs lone surrogates (which Arrow cannot encode).
    return not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.translate(_DOTS_TO_MIDDLE))
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
        text = _normalize_once(text)
        # Removing a character can bring a combining mark next to a letter it composes with,
        # so repeat until stable: normalising a normalised name must change nothing.
        for _ in range(4):
            again = _normalize_once(text)
            if again == text:
                break
            text = again
    except Exception:
        return None
    if not text or text.upper() in NULL_TOKENS:
        return None
    return text


@functools.cache
def _t2s():
    import opencc

    # The PyPI builds disagree on whether the config is named with or without ".json".
    errors = []
    for config in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(config)
        except Exception as exc:  # try the other spelling
            errors.append(exc)
    raise RuntimeError(f"cannot load OpenCC t2s config: {errors}")


@functools.lru_cache(maxsize=262_144)
def _simplified(name: str) -> str:
    return _t2s().convert(name)


def simplified_key(raw: object) -> str | None:
    """Normalised name converted traditional → simplified, for comparison only."""
    name = normalize_name(raw)
    return None if name is None else _simplified(name)


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
        again = _simplified(text.translate(_variant_table()))
        if again == text:
            break
        text = again
    return text


def variant_key(raw: object) -> str | None:
    """simplified_key with variant characters unified (阎 → 闫, 萧 → 肖 …); weak evidence."""
    name = simplified_key(raw)
    return None if name is None else _variant(name)


def _pinyin_errors(chunk: str) -> list[str]:
    # Characters pypinyin cannot read are kept as-is, except unknown CJK which must not vanish
    # (that would make 张𪚥 agree with 张) and so becomes a placeholder.
    return ["?" if _CJK_RE.match(ch) or _is_placeholder(ch) else ch for ch in chunk]


def _latin_letters(text: str) -> str:
    # ü is written v in toneless pinyin (吕 → lv); tone marks are dropped; placeholders stay.
    text = re.sub("[üÜǖǘǚǜǕǗǙǛ]", "v", text)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    out = []
    for ch in text.lower():
        if "a" <= ch <= "z":
            out.append(ch)
        elif _is_placeholder(ch):
            out.append("?")
    return "".join(out)


@functools.lru_cache(maxsize=262_144)
def _pinyin(name: str) -> str:
    from pypinyin import lazy_pinyin

    prefix = ""
    for surname in (name[:2], name[:1]):
        if surname in SURNAME_PINYIN:
            prefix, name = SURNAME_PINYIN[surname], name[len(surname) :]
            break
    return _latin_letters(prefix + "".join(lazy_pinyin(name, errors=_pinyin_errors)))


def pinyin_key(raw: object) -> str | None:
    """Lower-case toneless pinyin without separators; Latin names give their letters."""
    name = simplified_key(raw)
    if name is None:
        return None
    return _pinyin(name) or None


def has_placeholder(raw: object) -> bool:
    """True when the name holds a stand-in ('?', '□', '*', …) for a character."""
    name = normalize_name(raw)
    return name is not None and any(_is_placeholder(ch) for ch in name)


def _placeholder_match(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    return all(
        x == y or _is_placeholder(x) or _is_placeholder(y) for x, y in zip(a, b, strict=True)
    )


def name_agreement(a: object, b: object) -> str:
    """Strongest level at which two names agree, one of AGREEMENT_LEVELS."""
    na, nb = normalize_name(a), normalize_name(b)
    if na is None or nb is None:
        return "missing"
    if na == nb:
        return "exact"
    sa, sb = _simplified(na), _simplified(nb)
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


# Structure inside a name lives in its own module; imported last because it builds on the
# helpers above (the package imports this module first, so the cycle always resolves).
from pipelines.standardize.name_parts import (  # noqa: E402
    NameParts,
    former_names,
    name_parts,
    pinyin_tokens,
)

__all__ = [
    "AGREEMENT_LEVELS",
    "MIDDLE_DOT",
    "PLACEHOLDERS",
    "SURNAME_PINYIN",
    "NameParts",
    "former_names",
    "has_placeholder",
    "mask_name",
    "name_agreement",
    "name_parts",
    "names_compatible",
    "normalize_name",
    "pinyin_key",
    "pinyin_tokens",
    "simplified_key",
    "variant_groups",
    "variant_key",
]
