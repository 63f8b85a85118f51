"""Structure inside a name: surname and given name, pinyin syllables, lists of former names.

Re-exported by `pipelines.standardize`.

Decisions callers must know:
- A Chinese name's surname is its first character, or its first two when they form a compound
  surname (data/surnames.yaml) and the name has three or more characters (欧阳 alone is 欧 + 阳).
- A transliterated name with middle dots (阿卜杜拉·买买提) has no surname in the Chinese sense;
  the part after the last dot (the father's or family name, written last) is taken as the
  surname and everything before it, dots included, as the given name. Compare such names with
  `pinyin_tokens`, which ignores order.
- A Latin-letter name (banks, old systems) is split into words at spaces, commas, dots and
  lower→upper case changes; a single word is split into pinyin syllables. The surname is the word
  before a comma; otherwise the first or last word that is a common surname's pinyin, the first
  when both or neither are (Chinese order), and a word written all in capitals among mixed-case
  words (Western style "Sanfeng ZHANG").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

import yaml

from pipelines.standardize.chars import (
    CJK_RE,
    DOTS_TO_MIDDLE,
    MIDDLE_DOT,
    is_placeholder,
    latin_letters,
    pinyin_errors,
    to_simplified,
)
from pipelines.standardize.ids import is_missing_value
from pipelines.standardize.names import SURNAME_PINYIN, normalize_name, normalize_once

# Consonant-only interjection readings (嗯 ng, 呣 m, 哼 hng): no name uses them, and as
# syllables they would let any Latin word ending in n or m "segment" into pinyin.
_NOT_NAME_SYLLABLES = frozenset({"m", "n", "ng", "hm", "hng"})
# What separates several former names in one cell (after NFKC: ，；／： become ASCII).
FORMER_NAME_SEPARATORS = "、,;/|:\\"
# Pieces of a 曾用名 cell that say "none" or label the field rather than name anyone.
_FORMER_NON_NAMES = frozenset({"无", "暂无", "没有", "不详", "未知", "空", "曾用名", "无曾用名"})
_FORMER_SPLIT = re.compile("[" + re.escape(FORMER_NAME_SEPARATORS) + "]")
_LATIN_WORD_SPLIT = re.compile(r"[\s,.\-_'’·]+")


@dataclass(frozen=True)
class NameParts:
    """Surname and given name as written (normalised, not simplified), and their pinyin."""

    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str


# ------------------------------------------------------------------------------ data


@functools.cache
def _surname_data() -> tuple[frozenset[str], frozenset[str]]:
    path = resources.files("pipelines.standardize").joinpath("data", "surnames.yaml")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    compound = frozenset(doc["compound"])
    common = frozenset(ch for ch in doc["common"] if not ch.isspace())
    return compound, common


@functools.cache
def compound_surnames() -> frozenset[str]:
    """Two-character surnames recognised by name_parts (data/surnames.yaml and SURNAME_PINYIN)."""
    return _surname_data()[0] | frozenset(k for k in SURNAME_PINYIN if len(k) == 2)


@functools.cache
def _surname_pinyins() -> frozenset[str]:
    """Pinyin of the common and compound surnames: what a Latin surname word may be."""
    compound, common = _surname_data()
    return frozenset(
        _plain_pinyin(s) for s in (*compound, *common, *SURNAME_PINYIN) if _plain_pinyin(s)
    ) | frozenset(SURNAME_PINYIN.values())


@functools.cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (ü written v), interjections excluded."""
    from pypinyin.pinyin_dict import pinyin_dict

    out = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            out.add(latin_letters(reading))
    return frozenset(out - _NOT_NAME_SYLLABLES - {""})


@functools.lru_cache(maxsize=262_144)
def segment_pinyin(word: str) -> tuple[str, ...]:
    """Split lower-case letters into pinyin syllables (fewest syllables, longest first);
    the word unchanged as one token when it is not pinyin."""
    syllables = pinyin_syllables()
    n = len(word)
    if n == 0:
        return ()
    # best[i]: fewest syllables covering word[i:], with the longest first syllable on ties.
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[n] = (0, 0)
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + 6), i, -1):  # the longest syllable, "zhuang", has 6 letters
            if best[j] is not None and word[i:j] in syllables:
                count = best[j][0] + 1
                if best[i] is None or count < best[i][0]:
                    best[i] = (count, j)
    if best[0] is None:
        return (word,)
    out, i = [], 0
    while i < n:
        j = best[i][1]
        out.append(word[i:j])
        i = j
    return tuple(out)


# ---------------------------------------------------------------------------- pinyin


@functools.lru_cache(maxsize=262_144)
def _plain_pinyin(text: str) -> str:
    """Toneless pinyin of simplified text without the surname readings (for a part)."""
    from pypinyin import lazy_pinyin

    return latin_letters("".join(lazy_pinyin(text, errors=pinyin_errors)))


def _surname_reading(simplified: str) -> tuple[str, str]:
    """(reading of a special surname at the start, rest of the name), as names._pinyin does."""
    for surname in (simplified[:2], simplified[:1]):
        if surname in SURNAME_PINYIN:
            return SURNAME_PINYIN[surname], simplified[len(surname) :]
    return "", simplified


@functools.lru_cache(maxsize=262_144)
def _tokens(simplified: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    prefix, rest = _surname_reading(simplified)
    tokens: list[str] = list(segment_pinyin(prefix))
    items = lazy_pinyin(rest, errors=pinyin_errors)
    if len(items) != len(rest):  # not one reading per character: keep the whole as one word
        word = latin_letters("".join(items))
        return (*tokens, *segment_pinyin(word)) if word else tuple(tokens)
    word: list[str] = []
    previous_lower = False

    def flush() -> None:
        if word:
            tokens.extend(segment_pinyin("".join(word)))
            word.clear()

    for ch, item in zip(rest, items, strict=True):
        if CJK_RE.match(ch) or is_placeholder(ch):
            flush()
            letters = latin_letters(item)
            if letters:
                tokens.append(letters)
            previous_lower = False
            continue
        letters = latin_letters(item)
        if not letters:
            flush()
            previous_lower = False
            continue
        if ch.isupper() and previous_lower:
            flush()  # camel case: "SanfengZhang"
        word.append(letters)
        previous_lower = ch.islower()
    flush()
    return tuple(tokens)


def pinyin_tokens(raw: object) -> tuple[str, ...]:
    """Lower-case pinyin syllables (Latin words split into syllables), in written order.

    Joined, they give `pinyin_key`; sorted, they compare names whatever the order of surname and
    given name ("WEI ZHANG" and 张伟 both give ('wei', 'zhang')). Empty for a missing name.
    """
    name = normalize_name(raw)
    if name is None:
        return ()
    try:
        if isinstance(raw, str) and not CJK_RE.search(name):
            # A Latin name's spaces are word boundaries that normalisation removes: "XI AN" is
            # two syllables where "XIAN" is one.
            # Words are not checked against NULL_TOKENS: "NA" is a syllable (那) here.
            words = (normalize_once(w) for w in raw.split())
            return tuple(t for w in words if w for t in _tokens(to_simplified(w)))
        return _tokens(to_simplified(name))
    except Exception:  # a last guard: odd objects must not stop a batch
        return ()


# ------------------------------------------------------------------------------ parts


def _latin_words(name: str) -> list[str]:
    words = [w for w in _LATIN_WORD_SPLIT.split(name) if w]
    if len(words) == 1:
        # Spaces are gone after normalisation: split at lower→upper changes ("SanfengZhang").
        words = [w for w in re.split(r"(?<=[a-z])(?=[A-Z])", words[0]) if w]
    return words


def _is_surname_word(word: str) -> bool:
    return latin_letters(word) in _surname_pinyins()


def _latin_parts(name: str, raw_text: str | None) -> NameParts:
    source = raw_text if raw_text is not None else name
    if "," in source:
        surname, given = source.split(",", 1)
        words_s, words_g = _latin_words(surname), _latin_words(given)
        s, g = "".join(words_s), "".join(words_g)
        return NameParts(s, g, latin_letters(s), latin_letters(g))
    words = _latin_words(source)
    if len(words) == 1:
        return _single_latin_word(words[0])
    first, last = words[0], words[-1]
    capitals = [i for i, w in enumerate(words) if w.isupper() and len(w) > 1]
    if len(capitals) == 1 and capitals[0] in (0, len(words) - 1):
        surname_first = capitals[0] == 0
    else:
        surname_first = _is_surname_word(first) or not _is_surname_word(last)
    if surname_first:
        surname, given = first, "".join(words[1:])
    else:
        surname, given = last, "".join(words[:-1])
    return NameParts(surname, given, latin_letters(surname), latin_letters(given))


def _single_latin_word(word: str) -> NameParts:
    letters = latin_letters(word)
    syllables = segment_pinyin(letters) if letters else ()
    surnames = _surname_pinyins()
    # Cutting `word` at letter positions needs one letter per character (no ß → ss).
    if len(syllables) >= 2 and len(letters) == len(word):
        # Take the surname from the front (two syllables for a compound), else from the back.
        for k in (2, 1):
            head = "".join(syllables[:k])
            if len(syllables) > k and head in surnames:
                return NameParts(word[: len(head)], word[len(head) :], head, letters[len(head) :])
        tail = syllables[-1]
        if tail in surnames:
            cut = len(letters) - len(tail)
            return NameParts(word[cut:], word[:cut], tail, letters[:cut])
    return NameParts("", word, "", letters)


def _cjk_parts(name: str) -> NameParts:
    simplified = to_simplified(name)
    if MIDDLE_DOT in name:
        cut = name.rfind(MIDDLE_DOT)
        s_cut = simplified.rfind(MIDDLE_DOT)
        surname, given = name[cut + 1 :], name[:cut]
        return NameParts(
            surname,
            given,
            _plain_pinyin(simplified[s_cut + 1 :]),
            _plain_pinyin(simplified[:s_cut]),
        )
    size = 2 if len(simplified) >= 3 and simplified[:2] in compound_surnames() else 1
    if len(simplified) != len(name):  # a conversion changed the length: cut the simplified text
        name = simplified
    surname_s, given_s = simplified[:size], simplified[size:]
    reading = SURNAME_PINYIN.get(surname_s) or _plain_pinyin(surname_s)
    return NameParts(name[:size], name[size:], reading, _plain_pinyin(given_s))


def name_parts(raw: object) -> NameParts | None:
    """Surname, given name and their pinyin (see the module docstring); None for no name."""
    name = normalize_name(raw)
    if name is None:
        return None
    try:
        if CJK_RE.search(name):
            return _cjk_parts(name)
        if any("a" <= ch <= "z" for ch in latin_letters(name)):
            raw_text = raw if isinstance(raw, str) else None
            return _latin_parts(name, _clean_latin(raw_text) if raw_text else None)
        return NameParts("", name, "", latin_letters(name))
    except Exception:  # a last guard: odd objects must not stop a batch
        return NameParts("", name, "", "")


def _clean_latin(text: str) -> str | None:
    """The raw text with NFKC and middle dots unified but spaces kept; None unless Latin only."""
    text = unicodedata.normalize("NFKC", text.translate(DOTS_TO_MIDDLE)).strip()
    if CJK_RE.search(text):
        return None
    return "".join(ch for ch in text if ch.isspace() or normalize_name(ch) is not None) or None


# ------------------------------------------------------------------------ former names


def former_names(raw: object) -> tuple[str, ...]:
    """The names in a 曾用名 cell, each normalised, in order, duplicates and "无" dropped.

    Names are separated by 、，,;；/｜: or whitespace; whitespace separates only pieces holding
    Chinese characters, so a Latin name "ZHANG SAN" stays one name.
    """
    if is_missing_value(raw):
        return ()
    try:
        if isinstance(raw, bytes | bytearray):
            raw = bytes(raw).decode("utf-8", errors="replace")
        text = raw if isinstance(raw, str) else str(raw)
        text = unicodedata.normalize("NFKC", text.translate(DOTS_TO_MIDDLE))
        pieces: list[str] = []
        for piece in _FORMER_SPLIT.split(text):
            pieces.extend(piece.split() if CJK_RE.search(piece) else [piece])
        out: list[str] = []
        for piece in pieces:
            name = normalize_name(piece)
            if name is None or name in _FORMER_NON_NAMES or name in out:
                continue
            # A normalised piece may still hold a separator (NFKC of a rare form): split again.
            if _FORMER_SPLIT.search(name):
                out.extend(n for n in former_names(name) if n not in out)
                continue
            out.append(name)
        return tuple(out)
    except Exception:  # a last guard: odd objects must not stop a batch
        return ()
