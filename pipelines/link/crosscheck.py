"""An independent check of our EM: recordlinkage's ECM fitted to the same comparison patterns.

Our m and u come from EM on pattern counts (`fellegi_sunter.estimate`). recordlinkage's
`ECMClassifier` fits the naive-Bayes mixture by its own code, so fitted to the month's own
patterns it says whether ours are plausible: how many of the compared pairs each calls a match,
and how often the two agree pair by pair. A large gap is worth a look before the links are
trusted. Reported in `link_model.json`; it never changes a link.

ECM takes binary features from its deterministic ('jaro') start, so each comparison becomes
"agrees at some level" or not, a null counted as not; and it reads rows rather than counts, so
the patterns are repeated in proportion to their counts, scaled to at most `max_rows` rows (each
pattern at least once). Where our u is fixed from random pairs (Splink's practice), ECM estimates
u itself: its u is a second estimate, not the truth.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from pipelines.link.fellegi_sunter import Comparison, Model


@contextmanager
def _quiet() -> Iterator[None]:
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def binary_agreement(comparisons: Sequence[Comparison], patterns: np.ndarray) -> np.ndarray:
    """1 where a comparison agrees at any level (not its last, 'else', and not null), else 0."""
    last = np.array([c.n_levels - 1 for c in comparisons])
    levels = np.asarray(patterns, dtype=np.int64)
    return ((levels >= 0) & (levels < last)).astype(np.int8)


def _repeats(counts: np.ndarray, max_rows: int) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    scale = min(1.0, max_rows / total) if total > 0 else 0.0
    return np.maximum(np.rint(counts * scale), (counts > 0).astype(float)).astype(np.int64)


def ecm_check(comparisons: Sequence[Comparison], patterns: np.ndarray, counts: np.ndarray,
              model: Model, max_rows: int = 200_000) -> dict[str, Any]:
    """ECM beside our model on the same patterns: expected matches, pair-by-pair agreement of the
    match calls (p > 0.5, weighted by the pairs' counts), and each comparison's binary m and u."""
    import recordlinkage

    names = [c.name for c in comparisons]
    counts = np.asarray(counts, dtype=float)
    binary = binary_agreement(comparisons, patterns)
    rows = np.repeat(binary, _repeats(counts, max_rows), axis=0)
    method = "recordlinkage.ECMClassifier on binary agreement (an independent EM)"
    if len(rows) == 0 or len(np.unique(rows, axis=0)) < 2:
        return {"method": method, "status": "skipped: fewer than two distinct patterns"}
    ecm = recordlinkage.ECMClassifier(binarize=None, max_iter=200)
    with _quiet():  # its convergence notes go to the root logger and numpy warnings
        ecm.fit(pd.DataFrame(rows, columns=names))
        ecm_p = np.asarray(ecm.prob(pd.DataFrame(binary, columns=names)), dtype=float)
    found = [ecm.p, *(ecm.m_probs[n][1] for n in names), *(ecm.u_probs[n][1] for n in names)]
    if not (np.isfinite(ecm_p).all() and np.isfinite(np.asarray(found, dtype=float)).all()):
        return {"method": method, "status": "ECM found no stable fit on these patterns (too few pairs)"}
    ours_p = np.asarray(model.probability(np.asarray(patterns, dtype=np.int64)), dtype=float)
    total = float(counts.sum())
    same_call = float((((ecm_p > 0.5) == (ours_p > 0.5)) * counts).sum() / total)
    per_comparison = {}
    for k, c in enumerate(comparisons):
        m_ours = sum(model.m[k][:-1])
        u_ours = sum(model.u[k][:-1])
        per_comparison[c.name] = {
            "m_agree_ours": round(float(m_ours), 6),
            "m_agree_ecm": round(float(ecm.m_probs[c.name][1]), 6),
            "u_agree_ours": round(float(u_ours), 6),
            "u_agree_ecm": round(float(ecm.u_probs[c.name][1]), 6),
        }
    return {
        "method": method,
        "status": "fitted",
        "pairs": int(total),
        "rows_fitted": int(len(rows)),
        "matches_expected_ours": round(float((ours_p * counts).sum()), 1),
        "matches_expected_ecm": round(float((ecm_p * counts).sum()), 1),
        "same_match_call_share": round(same_call, 6),
        "comparisons": per_comparison,
    }
