"""Characters of Chinese personal data: CJK ranges, middle dots, placeholders for characters a
system could not encode, traditional → simplified, and pinyin as plain Latin letters.

The base that names, name structure (`name_parts`) and addresses build on.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MIDDLE_DOT = "\u00b7"
# Dots that IMEs, fonts and old systems put between the parts of a transliterated name
# (阿卜杜拉·买买提). U+FF0E and U+FF65 are mapped before NFKC turns them into '.' and U+30FB.
_DOT_VARIANTS = "\u2022\u30fb\uff0e\u2027\uff65\u2219\u22c5\u2e31\ua78f"
DOTS_TO_MIDDLE = str.maketrans({ch: MIDDLE_DOT for ch in _DOT_VARIANTS})

CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U00030000-\U0003134f"
)
CJK_RE = re.compile(f"[{CJK}]")

# Characters that stand for a rare character the source system could not encode: '?' and
# '*' typed by clerks, '□'/'■'/'〓' from fonts, U+FFFD from a failed GBK→UTF-8 conversion.
PLACEHOLDERS = frozenset("?□■*〓\ufffd")


def is_placeholder(ch: str) -> bool:
    """True for a stand-in for a character ('?', '□', '*', …, or a private-use code point)."""
    # Private-use code points are how some registries store characters outside GBK.
    return ch in PLACEHOLDERS or unicodedata.category(ch) == "Co"


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
def to_simplified(name: str) -> str:
    """The text converted traditional → simplified (OpenCC t2s)."""
    return _t2s().convert(name)


def pinyin_errors(chunk: str) -> list[str]:
    """What pypinyin's `lazy_pinyin` gives for characters it cannot read (its `errors=`)."""
    # Characters pypinyin cannot read are kept as-is, except unknown CJK which must not vanish
    # (that would make 张𪚥 agree with 张) and so becomes a placeholder.
    return ["?" if CJK_RE.match(ch) or is_placeholder(ch) else ch for ch in chunk]


def latin_letters(text: str) -> str:
    """Lower-case a–z of a pinyin or Latin text, placeholders as '?', everything else dropped."""
    # ü is written v in toneless pinyin (吕 → lv); tone marks are dropped; placeholders stay.
    text = re.sub("[üÜǖǘǚǜǕǗǙǛ]", "v", text)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    out = []
    for ch in text.lower():
        if "a" <= ch <= "z":
            out.append(ch)
        elif is_placeholder(ch):
            out.append("?")
    return "".join(out)
