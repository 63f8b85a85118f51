"""Identity numbers for synthetic people and businesses, built in bulk.

Resident IDs follow GB 11643-1999 and business codes GB 32100-2015. The engine has its own
parser (pipelines.standardize.ids); this module only writes numbers, vectorised with numpy
because a large run creates a million of them.
"""

from __future__ import annotations

import numpy as np

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))

# GB 32100: 31 characters, no I, O, Z, S, V (they read like digits).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code


def check_chars(first17: list[str]) -> np.ndarray:
    """The GB 11643 check character of each 17-digit string."""
    if not first17:
        return np.array([], dtype="<U1")
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8)
    digits = digits.reshape(-1, 17).astype(np.int64) - 48
    return _CHECK[(digits @ _WEIGHTS) % 11]


def allocate_sequences(
    area: np.ndarray, birth: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Three-digit sequence numbers, unique per (area, birth date), odd for men, even for women.

    Within a group the k-th person of a sex gets 2*(5k + r) + 1 (men) or + 2 (women) with a
    random r < 5, so numbers look scattered yet never collide.
    """
    n = len(area)
    order = np.lexsort((male, birth, area))
    a, b, m = area[order], birth[order], male[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (m[1:] != m[:-1])
    idx = np.arange(n)
    start = np.maximum.accumulate(np.where(new_group, idx, 0))
    k = idx - start
    slot = k * 5 + rng.integers(0, 5, n)
    if n and slot.max() > 498:
        raise ValueError("too many people share an area code and birth date for 3-digit sequences")
    seq_sorted = 2 * slot + np.where(m, 1, 2)
    seq = np.empty(n, dtype=np.int64)
    seq[order] = seq_sorted
    return seq


def make_ids(area: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-character IDs from area codes, birth dates (datetime64[D]) and sequence numbers."""
    ymd = np.char.replace(np.datetime_as_string(birth.astype("datetime64[D]"), unit="D"), "-", "")
    first17 = [
        f"{a}{d}{s:03d}" for a, d, s in zip(area.tolist(), ymd.tolist(), seq.tolist(), strict=True)
    ]
    checks = check_chars(first17)
    return np.array([f + c for f, c in zip(first17, checks.tolist(), strict=True)], dtype=object)


def to_15_digit(id18: str) -> str:
    """The pre-1999 form: area code, two-digit year, month, day, sequence; no check character."""
    return id18[:6] + id18[8:17]


def _org_code(body8: str) -> str:
    # GB 11714 values letters A=10…Z=35; with digits only, the USCC alphabet gives the same.
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(prefix2: str, region: str, body8: str) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015); `body8` is 8 digits."""
    first17 = prefix2 + region + _org_code(body8)
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    check = (31 - total % 31) % 31
    return first17 + USCC_CHARS[check]


def unique_numbers(rng: np.random.Generator, n: int, start: int, max_gap: int) -> np.ndarray:
    """n strictly increasing integers with random gaps, shuffled: unique and not sequential."""
    values = start + np.cumsum(rng.integers(1, max_gap + 1, n))
    return rng.permutation(values)
