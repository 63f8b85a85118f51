"""Estimating m, u and the prior by EM on comparison-pattern counts, u from random pairs, and
the monotone constraint on the fitted weights.

Spark compares the candidate pairs and aggregates them to `(pattern, count)`; only the few
thousand distinct comparison patterns reach this module, so estimation costs the same for a
thousand pairs as for a billion. Everything here is plain numpy and deterministic. A null level
(-1) is ignored by EM for that comparison only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from pipelines.link.fellegi_sunter.model import Comparison, Model, check_patterns


def _check_counts(counts: Any, n: int) -> np.ndarray:
    c = np.asarray(counts, dtype=np.float64).reshape(-1)
    if c.shape != (n,):
        raise ValueError(f"counts: expected {n} values (one per pattern), got {c.shape[0]}")
    if not np.isfinite(c).all() or (c < 0).any():
        raise ValueError("counts: must be finite and non-negative")
    return c


def _aggregate(levels: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge duplicate patterns and sort them, so the result never depends on input order.

    Spark returns grouped rows in no fixed order; sorting here makes the fitted model byte-for-byte
    the same on every run.
    """
    if levels.shape[0] == 0:
        return levels, counts
    unique, inverse = np.unique(levels, axis=0, return_inverse=True)
    summed = np.bincount(inverse.reshape(-1), weights=counts, minlength=unique.shape[0])
    keep = summed > 0
    return unique[keep], summed[keep]


def _normalise(probs: np.ndarray, floor: float) -> np.ndarray:
    """Clamp to [floor, 1 - floor] and renormalise so the levels sum to 1."""
    clamped = np.clip(probs, floor, 1.0 - floor)
    return clamped / clamped.sum()


def _distributions(
    comparisons: Sequence[Comparison], values: Sequence[Sequence[float]], what: str, floor: float
) -> list[np.ndarray]:
    if len(values) != len(comparisons):
        raise ValueError(f"{what}: expected {len(comparisons)} comparisons, got {len(values)}")
    out = []
    for c, v in zip(comparisons, values, strict=True):
        arr = np.asarray(v, dtype=np.float64)
        if arr.shape != (c.n_levels,):
            raise ValueError(
                f"{what}: comparison {c.name!r} needs {c.n_levels} values, got {arr.size}"
            )
        if not np.isfinite(arr).all() or (arr < 0).any() or arr.sum() <= 0:
            raise ValueError(f"{what}: comparison {c.name!r} has invalid values {arr.tolist()}")
        out.append(_normalise(arr / arr.sum(), floor))
    return out


def default_m(n_levels: int) -> np.ndarray:
    """0.9 on the strongest level; the remaining 0.1 halving at each weaker level."""
    rest = 0.5 ** np.arange(n_levels - 1, dtype=np.float64)
    return np.concatenate([[0.9], 0.1 * rest / rest.sum()])


def default_u(n_levels: int) -> np.ndarray:
    """Ten times likelier at each weaker level: non-matches mostly disagree."""
    raw = 10.0 ** np.arange(n_levels, dtype=np.float64)
    return raw / raw.sum()


def _log_tables(dists: Sequence[np.ndarray]) -> list[np.ndarray]:
    # The appended 0 is what level -1 indexes: log P(null) contributes nothing.
    return [np.append(np.log(d), 0.0) for d in dists]


def _e_step(
    levels: np.ndarray,
    counts: np.ndarray,
    log_m: Sequence[np.ndarray],
    log_u: Sequence[np.ndarray],
    prior: float,
) -> tuple[np.ndarray, float]:
    """Posterior P(match | pattern) for each pattern, and the observed-data log-likelihood."""
    a = np.full(levels.shape[0], math.log(prior))
    b = np.full(levels.shape[0], math.log1p(-prior))
    for k in range(levels.shape[1]):
        a += log_m[k][levels[:, k]]
        b += log_u[k][levels[:, k]]
    top = np.maximum(a, b)
    lse = top + np.log(np.exp(a - top) + np.exp(b - top))
    posterior = np.exp(a - lse)
    return posterior, float(np.dot(counts, lse))


def _m_step_one(
    col: np.ndarray, weights: np.ndarray, n_levels: int, old: np.ndarray, floor: float
) -> np.ndarray:
    seen = col >= 0
    totals = np.bincount(col[seen], weights=weights[seen], minlength=n_levels)
    if totals.sum() <= 0:
        return old
    return _normalise(totals / totals.sum(), floor)


def estimate(
    comparisons: Sequence[Comparison],
    patterns: np.ndarray,
    counts: np.ndarray,
    *,
    prior: float = 0.01,
    max_iterations: int = 100,
    tolerance: float = 1e-8,
    fixed_u: Sequence[Sequence[float]] | None = None,
    init_m: Sequence[Sequence[float]] | None = None,
    init_u: Sequence[Sequence[float]] | None = None,
    floor: float = 1e-6,
) -> Model:
    """Fit m, u and the prior by EM on comparison-pattern counts.

    `patterns` is (N, K) level codes (-1 = null) and `counts` the number of pairs with each
    pattern (duplicates are merged, order does not matter). `prior` is the starting value of
    lambda. With `fixed_u` (Splink's practice: u from random pairs, see `u_from_random_pairs`)
    only m and the prior are updated. Probabilities are clamped to [floor, 1 - floor] and
    renormalised after each M-step. EM stops when no parameter moves by more than `tolerance`.

    A comparison null in every pair teaches nothing: its m is set equal to its u, so all its
    weights are 0 (no evidence either way) rather than starting guesses. A single level that
    no pair has gets its maximum-likelihood m, i.e. the floor; with a fixed u its weight is
    then log2(floor / u), negative. So train on pairs in which every level occurs: if an
    earlier pass removed the exact-ID pairs, put them back into the counts for the fit.
    With no pairs at all the starting values come back with `converged=False`.
    """
    comparisons = tuple(comparisons)
    if not comparisons:
        raise ValueError("estimate: no comparisons")
    if not (0.0 < floor < 0.5):
        raise ValueError(f"estimate: floor must be in (0, 0.5), got {floor}")
    if not (0.0 < prior < 1.0):
        raise ValueError(f"estimate: prior must be in (0, 1), got {prior}")
    if max_iterations < 0:
        raise ValueError(f"estimate: max_iterations must be >= 0, got {max_iterations}")
    levels = check_patterns(comparisons, patterns)
    weights = _check_counts(counts, levels.shape[0])
    levels, weights = _aggregate(levels, weights)

    m = _distributions(
        comparisons,
        init_m if init_m is not None else [default_m(c.n_levels) for c in comparisons],
        "init_m",
        floor,
    )
    if fixed_u is not None:
        u = _distributions(comparisons, fixed_u, "fixed_u", floor)
    else:
        u = _distributions(
            comparisons,
            init_u if init_u is not None else [default_u(c.n_levels) for c in comparisons],
            "init_u",
            floor,
        )
    lam = float(np.clip(prior, floor, 1.0 - floor))

    observed = [bool(weights[levels[:, k] >= 0].sum() > 0) for k in range(len(comparisons))]
    m = [mk if seen else uk.copy() for mk, uk, seen in zip(m, u, observed, strict=True)]

    total = float(weights.sum())
    history: list[float] = []
    converged = False
    iterations = 0
    if total > 0:
        for _ in range(max_iterations):
            posterior, ll = _e_step(levels, weights, _log_tables(m), _log_tables(u), lam)
            history.append(ll)
            w_match = weights * posterior
            w_non = weights * (1.0 - posterior)
            if fixed_u is None:
                new_u = [
                    _m_step_one(levels[:, k], w_non, c.n_levels, u[k], floor)
                    for k, c in enumerate(comparisons)
                ]
            else:
                new_u = u
            # A comparison never observed keeps m = u: all its weights 0.
            new_m = [
                _m_step_one(levels[:, k], w_match, c.n_levels, m[k], floor)
                if observed[k]
                else new_u[k].copy()
                for k, c in enumerate(comparisons)
            ]
            new_lam = float(np.clip(w_match.sum() / total, floor, 1.0 - floor))
            change = max(
                abs(new_lam - lam),
                max(float(np.max(np.abs(a - b))) for a, b in zip(new_m, m, strict=True)),
                max(float(np.max(np.abs(a - b))) for a, b in zip(new_u, u, strict=True)),
            )
            m, u, lam = new_m, new_u, new_lam
            iterations += 1
            if change < tolerance:
                converged = True
                break

    return Model(
        comparisons=comparisons,
        m=tuple(tuple(float(x) for x in mk) for mk in m),
        u=tuple(tuple(float(x) for x in uk) for uk in u),
        prior=lam,
        iterations=iterations,
        converged=converged,
        log_likelihood=tuple(history),
    )


def u_from_random_pairs(
    comparisons: Sequence[Comparison],
    patterns: np.ndarray,
    counts: np.ndarray,
    pseudo_count: float = 1.0,
) -> tuple[tuple[float, ...], ...]:
    """u as each level's frequency among random pairs (overwhelmingly non-matches).

    Additive smoothing (`pseudo_count` pseudo-pairs per level; 1 is Laplace) keeps every u
    positive, so a level never seen among random pairs gets a large but finite weight; nulls
    are not counted. A comparison that is null in every random pair gets a uniform u. With n
    random pairs an unseen level's u is about pseudo_count / n: for levels whose true u is far
    smaller (two different people's IDs one typo apart), a pseudo-count below 1 keeps that
    floor from capping the weight.
    """
    if not pseudo_count > 0:
        raise ValueError(f"pseudo_count must be positive, got {pseudo_count}")
    comparisons = tuple(comparisons)
    levels = check_patterns(comparisons, patterns)
    weights = _check_counts(counts, levels.shape[0])
    levels, weights = _aggregate(levels, weights)
    out = []
    for k, c in enumerate(comparisons):
        col = levels[:, k]
        seen = col >= 0
        totals = np.bincount(col[seen], weights=weights[seen], minlength=c.n_levels)
        smoothed = (totals + pseudo_count) / (totals.sum() + pseudo_count * c.n_levels)
        out.append(tuple(float(x) for x in smoothed))
    return tuple(out)


def monotone(model: Model) -> Model:
    """Agreeing more never counts less: each level's weight is raised to at least that of the
    next weaker level (the last, "else", is left alone), then m is renormalised.

    EM gives a level no pair shows the floor for m, hence a strongly negative weight; when a
    first pass has taken away every exact-ID pair, "exact" would count against a match while
    "one typo" counts for it. The constraint fixes that without inventing data.
    """
    new_m = []
    for mk, uk in zip(model.m, model.u, strict=True):
        m = list(mk)
        for i in range(len(m) - 3, -1, -1):
            floor_weight = math.log2(m[i + 1] / uk[i + 1])
            if math.log2(m[i] / uk[i]) < floor_weight:
                m[i] = uk[i] * 2.0**floor_weight
        total = sum(m)
        new_m.append(tuple(x / total for x in m))
    return replace(model, m=tuple(new_m))
