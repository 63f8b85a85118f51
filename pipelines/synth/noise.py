"""Noise as real extracts carry it: mistyped, legacy and full-width IDs, traditional or pinyin
names, rare characters lost, mixed date formats. Applied per record and recorded per record.

Each function takes the canonical values of one column and returns the noisy values plus a
boolean mask of the records it changed, so the caller can record the kind on those records.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import opencc
from pypinyin import lazy_pinyin

from pipelines.standardize.names import SURNAME_PINYIN
from pipelines.synth.idcodes import to_15_digit

ID_KINDS = ("id_typo", "id_transposition", "id_15_digit", "id_missing", "id_fullwidth_or_lowercase")
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛")
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


def to_pinyin(name: str, style: int) -> str:
    """Bank-style pinyin: 0 'ZHANG SANFENG', 1 'Zhang Sanfeng', 2 'ZHANG SAN FENG'."""
    if "·" in name:
        parts = ["".join(lazy_pinyin(part)) for part in name.split("·")]
        text = " ".join(parts)
        return text.upper() if style != 1 else text.title()
    n_sur = 2 if name[:2] in COMPOUND_SURNAMES else 1
    surname = SURNAME_PINYIN.get(name[:n_sur]) or "".join(lazy_pinyin(name[:n_sur]))
    given = lazy_pinyin(name[n_sur:])
    if style == 2:
        return " ".join([surname, *given]).upper()
    text = f"{surname} {''.join(given)}".strip()
    return text.upper() if style == 0 else text.title()


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
