"""The Fellegi–Sunter model: comparisons and their levels, m and u, weights in bits, and JSON.

Level convention, for comparison k with `n_levels[k]` levels: 0 is the strongest agreement,
`n_levels[k] - 1` the disagreement ("else"), and -1 means a side is missing (null). A null
carries no evidence: its weight is 0.

Weights are in bits: `log2(m / u)` per level, plus `log2(prior / (1 - prior))` for the prior,
so a pair's match weight is the log2 odds that it is a match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines.errors import InputError
from pipelines.link.fellegi_sunter.term_frequency import tf_adjusted_weights

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
        levels = check_patterns(self.comparisons, patterns)
        total = np.full(levels.shape[0], self.prior_weight(), dtype=np.float64)
        for k, wk in enumerate(self.weights()):
            # Index -1 (null) lands on the appended 0: a missing side adds nothing.
            table = np.append(np.asarray(wk, dtype=np.float64), 0.0)
            contribution = table[levels[:, k]]
            if term_frequencies is not None:
                tf = check_tf(term_frequencies, levels.shape)[:, k]
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
    def from_dict(cls, d: Any, source: str = "model") -> Model:
        """Inverse of `to_dict`. Anything else (a model.json edited or cut short) is an
        InputError naming `source`, the file it was read from, and every key at fault."""
        problems = _dict_problems(d)
        if not problems:
            try:
                return cls(
                    comparisons=tuple(
                        Comparison(c["name"], tuple(level["name"] for level in c["levels"]))
                        for c in d["comparisons"]
                    ),
                    m=tuple(tuple(level["m"] for level in c["levels"]) for c in d["comparisons"]),
                    u=tuple(tuple(level["u"] for level in c["levels"]) for c in d["comparisons"]),
                    prior=d["prior"],
                    iterations=d.get("iterations", 0),
                    converged=d.get("converged", False),
                    log_likelihood=tuple(d.get("log_likelihood", ())),
                )
            except (ValueError, TypeError) as exc:  # a value of the right key that cannot be one
                problems = [str(exc)]
        raise InputError(
            f"{source}: not a Fellegi–Sunter model as the linker writes it (model.json): "
            + "; ".join(problems)
        )


def _dict_problems(d: Any) -> list[str]:
    """What keeps `d` from being a model's dict, each naming its key."""
    if not isinstance(d, Mapping):
        return [f"expected a mapping, got {type(d).__name__}"]
    problems = []
    if d.get("format", "fellegi_sunter") != "fellegi_sunter":
        problems.append(f"format: {d.get('format')!r}, expected 'fellegi_sunter'")
    version = d.get("version", FORMAT_VERSION)
    if str(version) != str(FORMAT_VERSION):
        problems.append(f"version: {version!r}, expected {FORMAT_VERSION}")
    if "prior" not in d:
        problems.append("prior: missing")
    comparisons = d.get("comparisons")
    if not isinstance(comparisons, list) or not comparisons:
        problems.append("comparisons: missing or empty (one entry per comparison)")
        return problems
    for i, c in enumerate(comparisons):
        where = f"comparisons[{i}]"
        if not isinstance(c, Mapping):
            problems.append(f"{where}: expected a mapping with name and levels")
            continue
        if "name" not in c:
            problems.append(f"{where}.name: missing")
        levels = c.get("levels")
        if not isinstance(levels, list):
            problems.append(f"{where}.levels: missing (a list of levels with name, m and u)")
            continue
        for j, level in enumerate(levels):
            missing = [
                k for k in ("name", "m", "u") if not isinstance(level, Mapping) or k not in level
            ]
            if missing:
                problems.append(f"{where}.levels[{j}]: missing {', '.join(missing)}")
    return problems


def weight_to_probability(weight: np.ndarray) -> np.ndarray:
    """log2 odds → probability, without overflow for very large or small weights."""
    w = np.asarray(weight, dtype=np.float64)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp2(-w))


# ---------------------------------------------------------------------------------- checks


def check_patterns(comparisons: Sequence[Comparison], patterns: Any) -> np.ndarray:
    """(N, K) level codes as int64, each -1 (null) or a level of its comparison."""
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


def check_tf(term_frequencies: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Term frequencies as float64, in the shape of the patterns they go with."""
    tf = np.asarray(term_frequencies, dtype=np.float64)
    if tf.shape != shape:
        raise ValueError(f"term_frequencies: expected shape {shape}, got {tf.shape}")
    return tf
