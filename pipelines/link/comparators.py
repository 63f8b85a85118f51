"""Vectorised field comparators: prepared values of both sides in, level codes out.

They run inside Arrow-backed pandas UDFs on batches of candidate pairs. A comparator receives
the prepared sub-columns of one field for the left and the right records (two DataFrames with
the columns named in `ComparatorSpec.inputs`, row i of each forming pair i) and returns
`(levels, similarity)`:

- `levels`: int8, 0 = strongest agreement … `len(levels) - 1` = "else", -1 = a side missing;
- `similarity`: float32 in [0, 1] for the evidence shown to reviewers (what it measures is
  said per kind below), NaN where the level is -1.

A value is missing when it is None, NaN, pd.NA or blank. Comparators never raise on odd
strings: anything that is not missing is compared as text. Strings are compared pair by pair
with rapidfuzz's C implementations (a few microseconds a pair), which is what a pairwise
comparison needs; `rapidfuzz.process.cdist` computes a cross product and does not apply.

Kinds (inputs → levels, strongest first; parameters with their defaults):

- `exact`        value → exact, else
- `text`         value → exact, jw_high, jw_mid, else                {jw_high: 0.92, jw_mid: 0.8}
- `levenshtein`  value → exact, lev1, lev2, else                     {lev1: 1, lev2: 2}
- `id_number`    id_clean, id18 → exact, transposition, one_edit, birth_and_region, two_edits, else
- `person_name`  norm, simplified, variant, pinyin, pinyin_sorted, former (optional) →
                 exact, simplified, variant, former, pinyin, pinyin_swapped, placeholder,
                 jw_pinyin_high, else                                {jw_pinyin_high: 0.92}
- `date`         value (YYYY-MM-DD) → exact, day_month_swapped, one_digit, same_year_month,
                 year_within_1, else                                 {year_within: 1}
- `phone`        value → exact, last8, one_edit, else
- `address`      value → exact, jw_high, token_set, else             {jw_high: 0.92, token_set: 85}

`comparator(kind, params)` gives one with its parameters checked (from the linkage YAML).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from pipelines.errors import ConfigError
from pipelines.standardize.ids import is_missing_value
from pipelines.standardize.names import PLACEHOLDERS

NULL_LEVEL = -1

Result = tuple[np.ndarray, np.ndarray]
CompareFn = Callable[[pd.DataFrame, pd.DataFrame, Mapping[str, Any]], Result]


class ComparatorConfigError(ConfigError, ValueError):
    """A comparator kind or parameter that cannot be used; names the kind and the key."""


@dataclass(frozen=True)
class ComparatorSpec:
    """A comparison kind: its levels (strongest first, last "else"), inputs and function."""

    kind: str
    levels: tuple[str, ...]
    inputs: tuple[str, ...]  # prepared sub-columns needed on each side
    fn: CompareFn
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    optional_inputs: tuple[str, ...] = ()  # may be absent from a side's frame (= all missing)

    def compare(self, left: pd.DataFrame | pd.Series, right: pd.DataFrame | pd.Series) -> Result:
        """Compare row i of `left` with row i of `right`, with this spec's parameters."""
        lf, rf = self._frame(left, "left"), self._frame(right, "right")
        if len(lf) != len(rf):
            raise ValueError(
                f"comparator {self.kind!r}: left has {len(lf)} rows, right has {len(rf)}"
            )
        return self.fn(lf, rf, self.params)

    def level_name(self, level: int) -> str:
        """Name of a level code; -1 is "null"."""
        return "null" if level == NULL_LEVEL else self.levels[level]

    def _frame(self, data: pd.DataFrame | pd.Series, side: str) -> pd.DataFrame:
        if isinstance(data, pd.Series):
            if len(self.inputs) != 1:
                raise ValueError(
                    f"comparator {self.kind!r}: needs columns {list(self.inputs)} on the "
                    f"{side}, got a single Series"
                )
            return data.to_frame(self.inputs[0])
        missing = [
            c for c in self.inputs if c not in data.columns and c not in self.optional_inputs
        ]
        if missing:
            raise ValueError(f"comparator {self.kind!r}: {side} side lacks columns {missing}")
        return data


# ---------------------------------------------------------------------------------- helpers


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value if value.strip() else None
    if is_missing_value(value):
        return None
    try:
        text = str(value)
    except Exception:
        return None
    return text if text.strip() else None


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [_text(v) for v in frame[name].tolist()]


def _output(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(n, NULL_LEVEL, dtype=np.int8), np.full(n, np.nan, dtype=np.float32)


PairFn = Callable[[str, str, Mapping[str, Any]], tuple[int, float]]


def _single(pair: PairFn) -> CompareFn:
    """Lift a function of two present values to a comparator over the `value` column."""

    def fn(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
        a_values, b_values = _column(left, "value"), _column(right, "value")
        levels, sims = _output(len(a_values))
        for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
            if a is not None and b is not None:
                levels[i], sims[i] = pair(a, b, params)
        return levels, sims

    fn.__doc__ = pair.__doc__
    return fn


def _is_placeholder(ch: str) -> bool:
    # Same rule as pipelines.standardize.names: private-use code points stand in for
    # characters outside GBK.
    return ch in PLACEHOLDERS or unicodedata.category(ch) == "Co"


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK ")


# ---------------------------------------------------------------------------------- exact


def _exact(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Equal text: exact; anything else: else. Similarity 1 or 0."""
    return (0, 1.0) if a == b else (1, 0.0)


# ---------------------------------------------------------------------------------- text


def _text_pair(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Jaro–Winkler at two thresholds. Similarity: Jaro–Winkler."""
    if a == b:
        return 0, 1.0
    jw = JaroWinkler.normalized_similarity(a, b)
    if jw >= params["jw_high"]:
        return 1, jw
    if jw >= params["jw_mid"]:
        return 2, jw
    return 3, jw


# ---------------------------------------------------------------------------------- levenshtein


def _levenshtein(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Edit distance at two maxima. Similarity: normalised Levenshtein similarity."""
    if a == b:
        return 0, 1.0
    sim = Levenshtein.normalized_similarity(a, b)
    d = Levenshtein.distance(a, b, score_cutoff=params["lev2"])
    if d <= params["lev1"]:
        return 1, sim
    if d <= params["lev2"]:
        return 2, sim
    return 3, sim


# ---------------------------------------------------------------------------------- ID


def _id_value(clean: str | None, id18: str | None) -> str | None:
    return id18 if id18 is not None else clean


def _id_pair(a: str, b: str) -> tuple[int, float]:
    if len(a) == 15 and len(b) == 18:
        b = b[:6] + b[8:17]  # an 18-digit ID as its 15-digit form: no century, no check
    elif len(a) == 18 and len(b) == 15:
        a = a[:6] + a[8:17]
    if a == b:
        return 0, 1.0
    sim = OSA.normalized_similarity(a, b)
    osa = OSA.distance(a, b, score_cutoff=2)
    lev = Levenshtein.distance(a, b, score_cutoff=2)
    if osa == 1 and lev == 2:
        return 1, sim  # adjacent digits swapped
    if lev == 1:
        return 2, sim
    # Region (6) + birth date (8 in an 18-digit ID, 6 in a 15-digit one).
    prefix = 12 if len(a) == len(b) == 15 else 14
    if len(a) >= prefix and len(b) >= prefix and a[:prefix] == b[:prefix]:
        return 3, sim
    if osa <= 2:
        return 4, sim
    return 5, sim


def _id_number(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Resident IDs: each side's 18-digit form when valid, else its cleaned text.

    A 15-digit ID is compared with the 15-digit form of an 18-digit one (digits 7–8 and the
    check character dropped). Similarity: normalised OSA (transposition-aware) similarity.
    """
    a_values = [
        _id_value(c, v)
        for c, v in zip(_column(left, "id_clean"), _column(left, "id18"), strict=True)
    ]
    b_values = [
        _id_value(c, v)
        for c, v in zip(_column(right, "id_clean"), _column(right, "id18"), strict=True)
    ]
    levels, sims = _output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is not None and b is not None:
            levels[i], sims[i] = _id_pair(a, b)
    return levels, sims


# ---------------------------------------------------------------------------------- names


@functools.lru_cache(maxsize=16384)
def parse_former(text: str | None) -> tuple[tuple[str | None, str | None], ...]:
    """'张三:zhangsan|李四:lisi' → (('张三', 'zhangsan'), ('李四', 'lisi')).

    Each entry is `simplified:pinyin`; either part may be empty (':zhangsan', '张三:') and the
    pinyin part with its colon may be left out ('张三|李四').
    """
    if not text:
        return ()
    out = []
    for entry in text.split("|"):
        simplified, _, pinyin = entry.partition(":")
        simplified, pinyin = simplified.strip() or None, pinyin.strip() or None
        if simplified or pinyin:
            out.append((simplified, pinyin))
    return tuple(out)


def _former_hit(
    formers: tuple[tuple[str | None, str | None], ...],
    own_pinyin: str | None,
    other_simplified: str | None,
    other_pinyin: str | None,
) -> bool:
    for simplified, pinyin in formers:
        if simplified is not None and simplified == other_simplified:
            return True
        # A pinyin agreement with the current name is the pinyin level, not this one.
        if (
            pinyin is not None
            and pinyin == other_pinyin
            and "?" not in pinyin
            and pinyin != own_pinyin
        ):
            return True
    return False


def _placeholder_chars(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    agreed = False
    for x, y in zip(a, b, strict=True):
        px, py = _is_placeholder(x), _is_placeholder(y)
        if px or py:
            continue
        if x != y:
            return False
        agreed = True
    return agreed and (any(map(_is_placeholder, a)) or any(map(_is_placeholder, b)))


@functools.lru_cache(maxsize=4096)
def _pinyin_pattern(key: str) -> re.Pattern[str] | None:
    # A '?' stands for one unknown character: one pinyin syllable of 1 to 6 letters.
    if not key.replace("?", ""):
        return None
    parts = [re.escape(p) for p in key.split("?")]
    return re.compile("[a-z]{1,6}".join(parts))


def _placeholder_pinyin(pa: str | None, pb: str | None, na: str, nb: str) -> bool:
    """'王?明' against a Latin 'WANG XIAO MING': the '?' matches one syllable."""
    for key, other, other_name in ((pa, pb, nb), (pb, pa, na)):
        if key is None or other is None or "?" not in key or "?" in other:
            continue
        if any(_is_cjk(ch) for ch in other_name):
            continue  # two Chinese names are compared character by character instead
        pattern = _pinyin_pattern(key)
        if pattern is not None and pattern.fullmatch(other):
            return True
    return False


def _name_pair(
    a: dict[str, Any], b: dict[str, Any], params: Mapping[str, Any]
) -> tuple[int, float]:
    na, nb = a["norm"], b["norm"]
    sa, sb = a["simplified"] or na, b["simplified"] or nb
    pa, pb = a["pinyin"], b["pinyin"]
    sim = (
        JaroWinkler.normalized_similarity(pa, pb)
        if pa is not None and pb is not None
        else JaroWinkler.normalized_similarity(sa, sb)
    )
    if na == nb:
        return 0, 1.0
    if sa == sb:
        return 1, sim
    if a["variant"] is not None and a["variant"] == b["variant"]:
        return 2, sim
    if _former_hit(parse_former(a["former"]), pa, sb, pb) or _former_hit(
        parse_former(b["former"]), pb, sa, pa
    ):
        return 3, sim
    if pa is not None and pa == pb and "?" not in pa:
        return 4, sim
    psa, psb = a["pinyin_sorted"], b["pinyin_sorted"]
    if psa is not None and psa == psb and "?" not in psa:
        return 5, sim
    if _placeholder_chars(sa, sb) or _placeholder_pinyin(pa, pb, na, nb):
        return 6, sim
    if pa is not None and pb is not None and sim >= params["jw_pinyin_high"]:
        return 7, sim
    return 8, sim


NAME_INPUTS = ("norm", "simplified", "variant", "pinyin", "pinyin_sorted", "former")


def _person_name(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Chinese (or Latin-written) names by their prepared keys. Similarity: Jaro–Winkler on
    the pinyin keys (on the simplified names where a pinyin key is missing)."""
    lcols = {name: _column(left, name) for name in NAME_INPUTS}
    rcols = {name: _column(right, name) for name in NAME_INPUTS}
    levels, sims = _output(len(left))
    for i in range(len(left)):
        a = {name: col[i] for name, col in lcols.items()}
        b = {name: col[i] for name, col in rcols.items()}
        if a["norm"] is not None and b["norm"] is not None:
            levels[i], sims[i] = _name_pair(a, b, params)
    return levels, sims


# ---------------------------------------------------------------------------------- dates


def _date_digits(text: str) -> str | None:
    digits = text.strip().replace("-", "")
    return digits if len(digits) == 8 and digits.isascii() and digits.isdigit() else None


def _date(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """ISO dates 'YYYY-MM-DD' (or 'YYYYMMDD'); any other text counts as missing.
    Similarity: normalised Levenshtein similarity of the 8 digits."""
    a_values = [None if v is None else _date_digits(v) for v in _column(left, "value")]
    b_values = [None if v is None else _date_digits(v) for v in _column(right, "value")]
    levels, sims = _output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is None or b is None:
            continue
        sim = Levenshtein.normalized_similarity(a, b)
        ya, ma, da = a[:4], a[4:6], a[6:]
        yb, mb, db = b[:4], b[4:6], b[6:]
        if a == b:
            level = 0
        elif ya == yb and ma == db and da == mb:
            level = 1  # day and month written the other way round
        elif Levenshtein.distance(a, b, score_cutoff=1) <= 1:
            level = 2
        elif ya == yb and ma == mb:
            level = 3
        elif abs(int(ya) - int(yb)) <= params["year_within"]:
            level = 4
        else:
            level = 5
        levels[i], sims[i] = level, sim
    return levels, sims


# ---------------------------------------------------------------------------------- phone

_NOT_DIGIT = re.compile(r"[^0-9]")


def _phone(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
    """Phone numbers, digits only (anything else is dropped, so '+86 138…' keeps '86138…').
    Similarity: normalised Levenshtein similarity of the digits."""

    def digits(v: str | None) -> str | None:
        return None if v is None else (_NOT_DIGIT.sub("", v) or None)

    a_values = [digits(v) for v in _column(left, "value")]
    b_values = [digits(v) for v in _column(right, "value")]
    levels, sims = _output(len(a_values))
    for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
        if a is None or b is None:
            continue
        sim = Levenshtein.normalized_similarity(a, b)
        if a == b:
            level = 0
        elif len(a) >= 8 and len(b) >= 8 and a[-8:] == b[-8:]:
            level = 1  # with and without the area code or +86
        elif Levenshtein.distance(a, b, score_cutoff=1) <= 1:
            level = 2
        else:
            level = 3
        levels[i], sims[i] = level, sim
    return levels, sims


# ---------------------------------------------------------------------------------- address


def address_tokens(text: str) -> str:
    """Tokens for the token-set comparison, joined by spaces.

    Chinese addresses have no spaces, so each whitespace-separated chunk holding a CJK
    character becomes its overlapping character bigrams (重庆市渝中区 → 重庆 庆市 市渝 渝中
    中区); other chunks stay whole words, lower-cased.
    """
    tokens = []
    for chunk in text.split():
        if any(_is_cjk(ch) for ch in chunk):
            tokens.extend(chunk[i : i + 2] for i in range(max(len(chunk) - 1, 1)))
        else:
            tokens.append(chunk.lower())
    return " ".join(tokens)


def _address(a: str, b: str, params: Mapping[str, Any]) -> tuple[int, float]:
    """Exact, Jaro–Winkler, then token-set ratio on bigrams (an address contained in the
    other, such as one without the city, scores 100). Similarity: Jaro–Winkler."""
    if a == b:
        return 0, 1.0
    jw = JaroWinkler.normalized_similarity(a, b)
    if jw >= params["jw_high"]:
        return 1, jw
    if fuzz.token_set_ratio(address_tokens(a), address_tokens(b)) >= params["token_set"]:
        return 2, jw
    return 3, jw


# ---------------------------------------------------------------------------------- registry


def _similarity(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1


def _distance(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_text(p: Mapping[str, Any]) -> list[str]:
    problems = [f"{k} must be a number in (0, 1], got {p[k]!r}" for k in p if not _similarity(p[k])]
    if not problems and p["jw_mid"] > p["jw_high"]:
        problems.append(f"jw_mid ({p['jw_mid']}) must not exceed jw_high ({p['jw_high']})")
    return problems


def _check_levenshtein(p: Mapping[str, Any]) -> list[str]:
    problems = [f"{k} must be an integer >= 1, got {p[k]!r}" for k in p if not _distance(p[k])]
    if not problems and p["lev1"] > p["lev2"]:
        problems.append(f"lev1 ({p['lev1']}) must not exceed lev2 ({p['lev2']})")
    return problems


def _check_name(p: Mapping[str, Any]) -> list[str]:
    v = p["jw_pinyin_high"]
    return [] if _similarity(v) else [f"jw_pinyin_high must be a number in (0, 1], got {v!r}"]


def _check_date(p: Mapping[str, Any]) -> list[str]:
    v = p["year_within"]
    ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return [] if ok else [f"year_within must be an integer >= 0, got {v!r}"]


def _check_address(p: Mapping[str, Any]) -> list[str]:
    problems = []
    if not _similarity(p["jw_high"]):
        problems.append(f"jw_high must be a number in (0, 1], got {p['jw_high']!r}")
    v = p["token_set"]
    if not (isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 100):
        problems.append(f"token_set must be a number in (0, 100], got {v!r}")
    return problems


def _no_check(p: Mapping[str, Any]) -> list[str]:
    return []


def _spec(
    kind: str,
    levels: tuple[str, ...],
    inputs: tuple[str, ...],
    fn: CompareFn,
    params: dict[str, Any] | None = None,
    optional_inputs: tuple[str, ...] = (),
) -> ComparatorSpec:
    return ComparatorSpec(
        kind, levels, inputs, fn, MappingProxyType(dict(params or {})), optional_inputs
    )


COMPARATORS: dict[str, ComparatorSpec] = {
    spec.kind: spec
    for spec in (
        _spec("exact", ("exact", "else"), ("value",), _single(_exact)),
        _spec(
            "text",
            ("exact", "jw_high", "jw_mid", "else"),
            ("value",),
            _single(_text_pair),
            {"jw_high": 0.92, "jw_mid": 0.8},
        ),
        _spec(
            "levenshtein",
            ("exact", "lev1", "lev2", "else"),
            ("value",),
            _single(_levenshtein),
            {"lev1": 1, "lev2": 2},
        ),
        _spec(
            "id_number",
            ("exact", "transposition", "one_edit", "birth_and_region", "two_edits", "else"),
            ("id_clean", "id18"),
            _id_number,
        ),
        _spec(
            "person_name",
            (
                "exact",
                "simplified",
                "variant",
                "former",
                "pinyin",
                "pinyin_swapped",
                "placeholder",
                "jw_pinyin_high",
                "else",
            ),
            NAME_INPUTS,
            _person_name,
            {"jw_pinyin_high": 0.92},
            optional_inputs=("former",),
        ),
        _spec(
            "date",
            ("exact", "day_month_swapped", "one_digit", "same_year_month", "year_within_1", "else"),
            ("value",),
            _date,
            {"year_within": 1},
        ),
        _spec("phone", ("exact", "last8", "one_edit", "else"), ("value",), _phone),
        _spec(
            "address",
            ("exact", "jw_high", "token_set", "else"),
            ("value",),
            _single(_address),
            {"jw_high": 0.92, "token_set": 85},
        ),
    )
}

_CHECKS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "exact": _no_check,
    "text": _check_text,
    "levenshtein": _check_levenshtein,
    "id_number": _no_check,
    "person_name": _check_name,
    "date": _check_date,
    "phone": _no_check,
    "address": _check_address,
}


def comparator(kind: str, params: Mapping[str, Any] | None = None) -> ComparatorSpec:
    """The comparator of `kind` with `params` over its defaults; all problems reported at once."""
    spec = COMPARATORS.get(kind)
    if spec is None:
        raise ComparatorConfigError(
            f"comparator kind {kind!r} is unknown (expected one of: {', '.join(COMPARATORS)})"
        )
    params = dict(params or {})
    problems = [
        f"comparator {kind!r}: unknown parameter {key!r} "
        f"(expected {', '.join(spec.params) if spec.params else 'none'})"
        for key in params
        if key not in spec.params
    ]
    if problems:
        raise ComparatorConfigError(problems)
    merged = {**spec.params, **params}
    problems = [f"comparator {kind!r}: {p}" for p in _CHECKS[kind](merged)]
    if problems:
        raise ComparatorConfigError(problems)
    return replace(spec, params=MappingProxyType(merged))
