"""Noise as real extracts carry it: mistyped, legacy and full-width IDs, traditional or pinyin
names, homophones, variant characters, former names and swapped name order, rare characters
lost, phone numbers and addresses written many ways, mixed date formats. Applied per record
and recorded per record (encode.py).

`id_noise` takes the canonical values of one column and returns the noisy values plus a
boolean mask per kind of the records it changed; the other functions change one value.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import opencc
from pypinyin import lazy_pinyin

from pipelines.standardize.names import SURNAME_PINYIN, pinyin_key
from pipelines.synth.config import EXCLUSIVE_NOISE
from pipelines.synth.idcodes import to_15_digit
from pipelines.synth.names import load_names, surname_length
from pipelines.synth.tables import load_yaml

ID_KINDS = EXCLUSIVE_NOISE[0]
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_FULLWIDTH_DIGITS = str.maketrans("0123456789-()+", "０１２３４５６７８９－（）＋")
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")


def id_noise(
    rng: np.random.Generator, ids: np.ndarray, rates, allow: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """At most one ID noise per record; `allow[kind]` says which records may get each kind.

    One uniform draw per record falls in consecutive intervals of the configured rates, so
    each kind hits its rate among the records allowed to get it.
    """
    n = len(ids)
    out = ids.copy()
    cum = np.cumsum([getattr(rates, k) for k in ID_KINDS])
    pick = np.searchsorted(cum, rng.random(n), side="right")
    applied = {}
    valid = np.array([isinstance(v, str) and len(v) == 18 for v in ids], dtype=bool)
    for i, kind in enumerate(ID_KINDS):
        mask = (pick == i) & allow[kind] & valid
        idx = np.flatnonzero(mask)
        for j in idx:
            out[j] = _one_id_noise(rng, kind, ids[j])
        changed = np.zeros(n, dtype=bool)
        changed[idx] = [out[j] != ids[j] for j in idx]
        applied[kind] = changed
    return out, applied


def _one_id_noise(rng: np.random.Generator, kind: str, value: str) -> str | None:
    if kind == "id_missing":
        return None
    if kind == "id_15_digit":
        return to_15_digit(value)
    if kind == "id_fullwidth_or_lowercase":
        if value.endswith("X") and rng.random() < 0.5:
            return value[:-1] + "x"
        return value.translate(_FULLWIDTH)
    chars = list(value)
    if kind == "id_typo":
        pos = int(rng.integers(0, 17))
        chars[pos] = str((int(chars[pos]) + int(rng.integers(1, 10))) % 10)
        return "".join(chars)
    # id_transposition: swap two different adjacent digits, starting from a random place.
    start = int(rng.integers(0, 16))
    for k in range(16):
        pos = (start + k) % 16
        if chars[pos] != chars[pos + 1] and chars[pos + 1] != "X":
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
            return "".join(chars)
    return value


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def traditional(names: list[str]) -> list[str]:
    """OpenCC simplified → traditional, one call for the whole batch."""
    if not names:
        return []
    return _s2t().convert("\n".join(names)).split("\n")


@lru_cache(maxsize=65536)
def _lazy_pinyin(text: str) -> tuple[str, ...]:
    """pypinyin's reading of a surname or a given name, cached: the same few thousand given
    names come back again and again."""
    return tuple(lazy_pinyin(text))


@lru_cache(maxsize=262144)
def to_pinyin(name: str, style: int, swapped: bool = False) -> str:
    """Bank-style pinyin: 0 'ZHANG SANFENG', 1 'Zhang Sanfeng', 2 'ZHANG SAN FENG'; swapped,
    the given name first as in Western order: 'SANFENG ZHANG', 'Sanfeng Zhang',
    'SAN FENG ZHANG'. Dotted names are never swapped (their order is given · father)."""
    if "·" in name:
        parts = ["".join(_lazy_pinyin(part)) for part in name.split("·")]
        text = " ".join(parts)
        return text.upper() if style != 1 else text.title()
    n_sur = surname_length(name)
    surname = SURNAME_PINYIN.get(name[:n_sur]) or "".join(_lazy_pinyin(name[:n_sur]))
    given = list(_lazy_pinyin(name[n_sur:]))
    if style == 2:
        words = [*given, surname] if swapped else [surname, *given]
        return " ".join(words).upper()
    words = ["".join(given), surname] if swapped else [surname, "".join(given)]
    text = " ".join(w for w in words if w)
    return text.upper() if style == 0 else text.title()


# ---- identity changes of a name -------------------------------------------------------------


@lru_cache(maxsize=1)
def char_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Homophones and variants of each character: char → the other characters of its group."""
    homophones: dict[str, str] = {}
    for group in load_yaml("homophones.yaml")["homophones"].values():
        for c in group:
            homophones[c] = group.replace(c, "")
    variants: dict[str, str] = {}
    for group in load_yaml("variants.yaml")["variants"]:
        for c in group:
            variants[c] = group.replace(c, "")
    return homophones, variants


def _plain(name: str) -> bool:
    """A Chinese name without middle dot, rare character or anything else than CJK."""
    if "·" in name or len(name) < 2:
        return False
    rare = _rare_chars()
    return all("\u4e00" <= c <= "\u9fff" and c not in rare for c in name)


@lru_cache(maxsize=1)
def _rare_chars() -> frozenset[str]:
    return frozenset(load_names().rare)


@lru_cache(maxsize=262144)
def _homophone_candidates(name: str) -> tuple[str, ...]:
    """Every name made by replacing one given-name character with a homophone of the table,
    before the pinyin check; () for names holding a rare character, a middle dot or anything
    but CJK."""
    if not _plain(name):
        return ()
    homophones, _ = char_tables()
    out = []
    for pos in range(surname_length(name), len(name)):
        for alt in homophones.get(name[pos], ""):
            out.append(name[:pos] + alt + name[pos + 1 :])
    return tuple(out)


def homophone_options(name: str) -> tuple[str, ...]:
    """The homophone names of `name` whose whole pinyin key (the engine's) stays the same."""
    key = pinyin_key(name)
    return tuple(c for c in _homophone_candidates(name) if pinyin_key(c) == key)


def homophone(name: str, r: int) -> str | None:
    """One homophone name of `name` (see homophone_options), chosen by `r`: the candidates
    are tried from the `r`-th on until one keeps the pinyin key; None if none does."""
    candidates = _homophone_candidates(name)
    if not candidates:
        return None
    key = pinyin_key(name)
    k = len(candidates)
    for step in range(k):
        candidate = candidates[(r + step) % k]
        if pinyin_key(candidate) == key:
            return candidate
    return None


@lru_cache(maxsize=262144)
def variant_options(name: str) -> tuple[str, ...]:
    """Every name made by replacing one character (surname or given name) by a variant."""
    _, variants = char_tables()
    out = []
    for pos, c in enumerate(name):
        for alt in variants.get(c, ""):
            out.append(name[:pos] + alt + name[pos + 1 :])
    return tuple(out)


def swapped_name(name: str) -> str | None:
    """The given name first, then the surname (三丰张); None for dotted names."""
    if "·" in name or len(name) < 2:
        return None
    k = surname_length(name)
    return name[k:] + name[:k]


def former_options(former: str | None) -> tuple[str, ...]:
    """The former names of a hukou `former_name` value ("甲、乙" holds two)."""
    if former is None or not isinstance(former, str):
        return ()
    return tuple(f for f in former.split("、") if f)


# ---- phones and addresses ---------------------------------------------------------------

PHONE_STYLES = 7


def format_phone(value: str, style: int) -> str:
    """A canonical phone (13812345678 or 023-61234567) as people and systems write it:
    0 +86 138 1234 5678, 1 +8613812345678, 2 0086-13812345678, 3 138 1234 5678,
    4 138-1234-5678, 5 full-width digits, 6 86-13812345678; for landlines the same with the
    area code 23 after the country code, (023)61234567 and 02361234567."""
    if value.startswith("023-"):
        local = value[4:]
        forms = (
            f"+86 23 {local[:4]} {local[4:]}",
            f"+8623{local}",
            f"0086-23-{local}",
            f"023 {local[:4]} {local[4:]}",
            f"(023){local}",
            value.translate(_FULLWIDTH_DIGITS),
            f"023{local}",
        )
    else:
        forms = (
            f"+86 {value[:3]} {value[3:7]} {value[7:]}",
            f"+86{value}",
            f"0086-{value}",
            f"{value[:3]} {value[3:7]} {value[7:]}",
            f"{value[:3]}-{value[3:7]}-{value[7:]}",
            value.translate(_FULLWIDTH_DIGITS),
            f"86-{value}",
        )
    return forms[style % PHONE_STYLES]


_ADDRESS_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９－")


def address_variant(address: str, r: int) -> str:
    """The address written another way; `r` picks a non-empty set of changes among: no
    重庆市 prefix (or 重庆 only), full-width digits, 號 for 号, spaces between the parts."""
    changes = r % 31 + 1  # 1..31: bits for the five changes
    text = address
    if changes & 1 and text.startswith("重庆市"):
        text = text[3:]
    elif changes & 2 and text.startswith("重庆市"):
        text = "重庆" + text[3:]
    if changes & 4:
        text = text.translate(_ADDRESS_DIGITS)
    if changes & 8:
        text = text.replace("号", "號")
    if changes & 16:
        for part in ("重庆市", "区", "县", "街道", "镇"):
            at = text.find(part)
            if at >= 0:
                end = at + len(part)
                text = text[:end] + " " + text[end:]
    if text == address:  # none of the parts found: a space after the first character
        text = text[:1] + " " + text[1:]
    return text


def replace_chars(text: str | None, chars, placeholder: str) -> str | None:
    if text is None:
        return None
    return "".join(placeholder if c in chars else c for c in text)


def gbk_safe(text: str | None, placeholder: str) -> str | None:
    """GBK files cannot hold characters outside GBK: the system writes a placeholder."""
    if text is None:
        return None
    try:
        text.encode("gbk")
        return text
    except UnicodeEncodeError:
        return "".join(c if _in_gbk(c) else placeholder for c in text)


@lru_cache(maxsize=4096)
def _in_gbk(c: str) -> bool:
    try:
        c.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def format_dates(values: np.ndarray, styles: np.ndarray) -> np.ndarray:
    """Dates as text: style 0 ISO 1980-01-01, 1 19800101, 2 1980-1-1, 3 1980年1月1日,
    4 Excel serial number; "" for a missing date."""
    days = values.astype("datetime64[D]")
    out = np.datetime_as_string(days, unit="D").astype(object)
    out[np.isnat(days)] = ""
    for i in np.flatnonzero((styles != 0) & ~np.isnat(days)):
        iso = out[i]
        y, m, dd = iso[:4], int(iso[5:7]), int(iso[8:10])
        style = styles[i]
        if style == 1:
            out[i] = iso.replace("-", "")
        elif style == 2:
            out[i] = f"{y}-{m}-{dd}"
        elif style == 3:
            out[i] = f"{y}年{m}月{dd}日"
        else:
            out[i] = str(int((days[i] - EXCEL_EPOCH).astype(int)))
    return out
