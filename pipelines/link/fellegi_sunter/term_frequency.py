"""Term-frequency adjustment of an exact agreement's weight (Splink's): a common value counts
for less than a rare one."""

from __future__ import annotations

import math

import numpy as np


def tf_adjusted_weight(
    m_level: float, u_level: float, term_frequency: float, floor: float = 1e-9
) -> float:
    """Weight of an exact agreement on a value whose frequency is `term_frequency` (bits).

    Splink's term-frequency adjustment. The model's u for "exact" is the average chance that
    two different people agree, over all values; for a particular value v with frequency
    tf(v) among records, two random records agree on v with probability tf(v)², and a true
    match agrees on v with probability m·tf(v), so the weight of agreeing on v is

        log2(m · tf(v) / tf(v)²) = log2(m / tf(v)) = log2(m / u) + log2(u / tf(v))

    i.e. the base weight plus an adjustment: 王 (frequent) earns less than 欧阳 (rare). tf is
    floored at `floor`; a missing or non-finite tf leaves the base weight log2(m / u).
    """
    if term_frequency is None or not math.isfinite(term_frequency):
        return math.log2(m_level / u_level)
    return math.log2(m_level / max(float(term_frequency), floor))


def tf_adjusted_weights(
    m_level: float, u_level: float, term_frequencies: np.ndarray, floor: float = 1e-9
) -> np.ndarray:
    """Vectorised `tf_adjusted_weight`: one weight per term frequency (NaN → base weight)."""
    tf = np.asarray(term_frequencies, dtype=np.float64)
    base = math.log2(m_level / u_level)
    with np.errstate(invalid="ignore"):
        adjusted = np.log2(m_level / np.maximum(np.where(np.isfinite(tf), tf, 1.0), floor))
    return np.where(np.isfinite(tf), adjusted, base)
