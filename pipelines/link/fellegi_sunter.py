"""Fellegi–Sunter model with multi-level comparisons, m and u estimated by EM on pattern counts.

Spark compares the candidate pairs and aggregates them to `(pattern, count)`; only the few
thousand distinct comparison patterns reach this module, so estimation costs the same for a
thousand pairs as for a billion. Everything here is plain numpy and deterministic.

Level convention, for comparison k with `n_levels[k]` levels: 0 is the strongest agreement,
`n_levels[k] - 1` the disagreement ("else"), and -1 means a side is missing (null). A null
carries no evidence: its weight is 0 and EM ignores it for that comparison only.

Weights are in bits: `log2(m / u)` per level, plus `log2(prior / (1 - prior))` for the prior,
so a pair's match weight is the log2 odds that it is a match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

NULL_LEVEL = -1
FORMAT_VERSION = 1


def _round(x: float) -> float:
    """12 significant digits: enough for any weight, and stable across platforms and runs."""
    return float(f"{float(x):.12g}")


@dataclass(frozen=True)
class Comparison:
    """One comparison as the model sees it: a name and its level names, strongest first."""

    name: str
    levels: tuple[str, ...]  # last one is the disagreement level ("else")

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(str(level) for level in self.levels))
        if not self.name:
            raise ValueError("comparison: empty name")
        if len(self.levels) < 2:
            raise ValueError(
                f"comparison {self.name!r}: needs at least 2 levels, got {self.levels}"
            )
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(f"comparison {self.name!r}: duplicate level names {self.levels}")

    @property
    def n_levels(self) -> int:
        return len(self.levels)


def _check_distribution(
    name: str, what: str, values: Sequence[float], n_levels: int
) -> tuple[float, ...]:
    probs = tuple(float(v) for v in values)
    if len(probs) != n_levels:
        raise ValueError(
            f"comparison {name!r}: {what} has {len(probs)} values, expected {n_levels}"
        )
    if not all(math.isfinite(p) and 0.0 < p <= 1.0 for p in probs):
        raise ValueError(f"comparison {name!r}: {what} values must be in (0, 1], got {probs}")
    if abs(sum(probs) - 1.0) > 1e-6:
        raise ValueError(f"comparison {name!r}: {what} values sum to {sum(probs)}, expected 1")
    return probs


@dataclass(frozen=True)
class Model:
    """A fitted Fellegi–Sunter model: per comparison and level P(level | match) and P(level | non-match)."""

    comparisons: tuple[Comparison, ...]
    m: tuple[tuple[float, ...], ...]  # per comparison, per level: P(level | match)
    u: tuple[tuple[float, ...], ...]  # per comparison, per level: P(level | non-match)
    prior: float  # lambda = P(match) among the candidate pairs
    iterations: int
    converged: bool
    log_likelihood: tuple[float, ...]  # observed-data log-likelihood at each iteration

    def __post_init__(self) -> None:
        comparisons = tuple(self.comparisons)
        if not comparisons:
            raise ValueError("model: no comparisons")
        names = [c.name for c in comparisons]
        if len(set(names)) != len(names):
            raise ValueError(f"model: duplicate comparison names {names}")
        if len(self.m) != len(comparisons) or len(self.u) != len(comparisons):
            raise ValueError(
                f"model: m and u need one entry per comparison ({len(comparisons)}), "
                f"got {len(self.m)} and {len(self.u)}"
            )
        m = tuple(
            _check_distribution(c.name, "m", mk, c.n_levels)
            for c, mk in zip(comparisons, self.m, strict=True)
        )
        u = tuple(
            _check_distribution(c.name, "u", uk, c.n_levels)
            for c, uk in zip(comparisons, self.u, strict=True)
        )
        prior = float(self.prior)
        if not (0.0 < prior < 1.0):
            raise ValueError(f"model: prior must be in (0, 1), got {prior}")
        object.__setattr__(self, "comparisons", comparisons)
        object.__setattr__(self, "m", m)
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "prior", prior)
        object.__setattr__(self, "iterations", int(self.iterations))
        object.__setattr__(self, "converged", bool(self.converged))
        object.__setattr__(self, "log_likelihood", tuple(float(x) for x in self.log_likelihood))

    # ------------------------------------------------------------------------------ weights

    def prior_weight(self) -> float:
        """log2(prior / (1 - prior)): the match weight of a pair before any comparison."""
        return math.log2(self.prior / (1.0 - self.prior))

    def weights(self) -> tuple[tuple[float, ...], ...]:
        """log2(m / u) per comparison and level (bits; positive = evidence for a match)."""
        return tuple(
            tuple(math.log2(mi / ui) for mi, ui in zip(mk, uk, strict=True))
            for mk, uk in zip(self.m, self.u, strict=True)
        )

    def match_weight(
        self, patterns: np.ndarray, term_frequencies: np.ndarray | None = None
    ) -> np.ndarray:
        """(N, K) level codes → (N,) log2 odds of a match, prior included; nulls add 0.

        `term_frequencies`, optional (N, K) floats, gives for a pair and comparison the
        frequency of the agreed value; where it is finite and the level is 0 (exact), the
        level's weight is replaced by `tf_adjusted_weight` (NaN = no adjustment).
        """
        levels = _check_patterns(self.comparisons, patterns)
        total = np.full(levels.shape[0], self.prior_weight(), dtype=np.float64)
        for k, wk in enumerate(self.weights()):
            # Index -1 (null) lands on the appended 0: a missing side adds nothing.
            table = np.append(np.asarray(wk, dtype=np.float64), 0.0)
            contribution = table[levels[:, k]]
            if term_frequencies is not None:
                tf = _check_tf(term_frequencies, levels.shape)[:, k]
                use = (levels[:, k] == 0) & np.isfinite(tf)
                if use.any():
                    contribution = np.where(
                        use,
                        tf_adjusted_weights(self.m[k][0], self.u[k][0], np.where(use, tf, 1.0)),
                        contribution,
                    )
            total += contribution
        return total

    def probability(
        self, patterns: np.ndarray, term_frequencies: np.ndarray | None = None
    ) -> np.ndarray:
        """(N, K) level codes → (N,) posterior probability of a match."""
        return weight_to_probability(self.match_weight(patterns, term_frequencies))

    # ------------------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description; floats rounded to 12 significant digits for byte-stable output."""
        return {
            "format": "fellegi_sunter",
            "version": FORMAT_VERSION,
            "prior": _round(self.prior),
            "comparisons": [
                {
                    "name": c.name,
                    "levels": [
                        {"name": level, "m": _round(mi), "u": _round(ui)}
                        for level, mi, ui in zip(c.levels, mk, uk, strict=True)
                    ],
                }
                for c, mk, uk in zip(self.comparisons, self.m, self.u, strict=True)
            ],
            "iterations": self.iterations,
            "converged": self.converged,
            "log_likelihood": [_round(x) for x in self.log_likelihood],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Model:
        """Inverse of `to_dict`."""
        if d.get("format", "fellegi_sunter") != "fellegi_sunter":
            raise ValueError(f"model: format {d.get('format')!r} is not 'fellegi_sunter'")
        if int(d.get("version", FORMAT_VERSION)) != FORMAT_VERSION:
            raise ValueError(f"model: version {d.get('version')!r}, expected {FORMAT_VERSION}")
        try:
            comparisons = tuple(
                Comparison(c["name"], tuple(level["name"] for level in c["levels"]))
                for c in d["comparisons"]
            )
            m = tuple(tuple(level["m"] for level in c["levels"]) for c in d["comparisons"])
            u = tuple(tuple(level["u"] for level in c["levels"]) for c in d["comparisons"])
            return cls(
                comparisons=comparisons,
                m=m,
                u=u,
                prior=d["prior"],
                iterations=d.get("iterations", 0),
                converged=d.get("converged", False),
                log_likelihood=tuple(d.get("log_likelihood", ())),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"model: malformed dict ({exc!r})") from exc


def weight_to_probability(weight: np.ndarray) -> np.ndarray:
    """log2 odds → probability, without overflow for very large or small weights."""
    w = np.asarray(weight, dtype=np.float64)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp2(-w))


# ---------------------------------------------------------------------------------- checks


def _check_patterns(comparisons: Sequence[Comparison], patterns: Any) -> np.ndarray:
    arr = np.asarray(patterns)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, len(comparisons))
    if arr.ndim != 2 or arr.shape[1] != len(comparisons):
        raise ValueError(
            f"patterns: expected shape (N, {len(comparisons)}), got {tuple(arr.shape)}"
        )
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        as_int = arr.astype(np.int64)
        if not np.array_equal(as_int, arr):
            raise ValueError("patterns: level codes must be integers")
        arr = as_int
    levels = arr.astype(np.int64, copy=False)
    for k, c in enumerate(comparisons):
        col = levels[:, k]
        bad = (col < NULL_LEVEL) | (col >= c.n_levels)
        if bad.any():
            raise ValueError(
                f"patterns: comparison {c.name!r} has level {int(col[bad][0])}, "
                f"expected -1 (null) or 0..{c.n_levels - 1}"
            )
    return levels


def _check_tf(term_frequencies: Any, shape: tuple[int, ...]) -> np.ndarray:
    tf = np.asarray(term_frequencies, dtype=np.float64)
    if tf.shape != shape:
        raise ValueError(f"term_frequencies: expected shape {shape}, got {tf.shape}")
    return tf


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


# ---------------------------------------------------------------------------------- EM


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
    levels = _check_patterns(comparisons, patterns)
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
    levels = _check_patterns(comparisons, patterns)
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


# ---------------------------------------------------------------------------------- TF


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


# ---------------------------------------------------------------------------------- explain


def explain(
    model: Model, pattern: Sequence[int], tf_adjustments: Mapping[int, float] | None = None
) -> list[dict[str, Any]]:
    """The bars of a waterfall chart: the prior, each comparison's weight, then the total.

    `tf_adjustments` maps a comparison index to the term frequency of the value the pair
    agrees on; it applies only where that comparison's level is 0 (exact). The total equals
    `model.match_weight` for the same pattern and term frequencies.
    """
    levels = _check_patterns(model.comparisons, np.asarray([pattern]))[0]
    tf_adjustments = dict(tf_adjustments or {})
    unknown = sorted(set(tf_adjustments) - set(range(len(model.comparisons))))
    if unknown:
        raise ValueError(f"explain: tf_adjustments for unknown comparison index {unknown}")
    rows: list[dict[str, Any]] = [
        {
            "comparison": "prior",
            "level": None,
            "level_name": None,
            "m": None,
            "u": None,
            "weight": model.prior_weight(),
            "prior": model.prior,
        }
    ]
    weights = model.weights()
    total = model.prior_weight()
    for k, c in enumerate(model.comparisons):
        level = int(levels[k])
        if level == NULL_LEVEL:
            row = {
                "comparison": c.name,
                "level": NULL_LEVEL,
                "level_name": "null",
                "m": None,
                "u": None,
                "weight": 0.0,
            }
        else:
            row = {
                "comparison": c.name,
                "level": level,
                "level_name": c.levels[level],
                "m": model.m[k][level],
                "u": model.u[k][level],
                "weight": weights[k][level],
            }
            tf = tf_adjustments.get(k)
            if level == 0 and tf is not None and math.isfinite(tf):
                row["term_frequency"] = float(tf)
                row["weight"] = tf_adjusted_weight(model.m[k][0], model.u[k][0], tf)
        total += row["weight"]
        rows.append(row)
    rows.append(
        {
            "comparison": "total",
            "level": None,
            "level_name": None,
            "m": None,
            "u": None,
            "weight": total,
            "probability": float(weight_to_probability(np.asarray(total))),
        }
    )
    return rows
