"""What every comparator shares: the spec of a kind, its level codes, and reading the values.

A comparator receives the prepared sub-columns of one field for the left and the right records
(two DataFrames with the columns named in `ComparatorSpec.inputs`, row i of each forming pair i)
and returns `(levels, similarity)`:

- `levels`: int8, 0 = strongest agreement … `len(levels) - 1` = "else", -1 = a side missing;
- `similarity`: float32 in [0, 1] for the evidence shown to reviewers, NaN where the level is -1.

A value is missing when it is None, NaN, pd.NA or blank. Comparators never raise on odd
strings: anything that is not missing is compared as text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from pipelines.errors import ConfigError
from pipelines.standardize.ids import is_missing_value

NULL_LEVEL = -1

Result = tuple[np.ndarray, np.ndarray]
CompareFn = Callable[[pd.DataFrame, pd.DataFrame, Mapping[str, Any]], Result]
PairFn = Callable[[str, str, Mapping[str, Any]], tuple[int, float]]
CheckFn = Callable[[Mapping[str, Any]], list[str]]


class ComparatorConfigError(ConfigError, ValueError):
    """A comparator kind or parameter that cannot be used; names the kind and the key."""


def no_check(params: Mapping[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True)
class ComparatorSpec:
    """A comparison kind: its levels (strongest first, last "else"), inputs and function."""

    kind: str
    levels: tuple[str, ...]
    inputs: tuple[str, ...]  # prepared sub-columns needed on each side
    fn: CompareFn
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    optional_inputs: tuple[str, ...] = ()  # may be absent from a side's frame (= all missing)
    # The problems of a set of parameters (defaults merged in), each "<key> must …".
    check: CheckFn = field(default=no_check, hash=False, compare=False, repr=False)

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


def spec(
    kind: str,
    levels: tuple[str, ...],
    inputs: tuple[str, ...],
    fn: CompareFn,
    params: dict[str, Any] | None = None,
    optional_inputs: tuple[str, ...] = (),
    check: CheckFn = no_check,
) -> ComparatorSpec:
    """A ComparatorSpec with its default parameters frozen."""
    return ComparatorSpec(
        kind, levels, inputs, fn, MappingProxyType(dict(params or {})), optional_inputs, check
    )


# ---------------------------------------------------------------------------------- values


def as_text(value: object) -> str | None:
    """The value as text, or None when it is missing or blank."""
    if isinstance(value, str):
        return value if value.strip() else None
    if is_missing_value(value):
        return None
    try:
        out = str(value)
    except Exception:
        return None
    return out if out.strip() else None


def column(frame: pd.DataFrame, name: str) -> list[str | None]:
    """A column's values as text (all None when the frame lacks it)."""
    if name not in frame.columns:
        return [None] * len(frame)
    return [as_text(v) for v in frame[name].tolist()]


def output(n: int) -> Result:
    """Levels and similarities of n pairs, every one null to start with."""
    return np.full(n, NULL_LEVEL, dtype=np.int8), np.full(n, np.nan, dtype=np.float32)


def single(pair: PairFn) -> CompareFn:
    """Lift a function of two present values to a comparator over the `value` column."""

    def fn(left: pd.DataFrame, right: pd.DataFrame, params: Mapping[str, Any]) -> Result:
        a_values, b_values = column(left, "value"), column(right, "value")
        levels, sims = output(len(a_values))
        for i, (a, b) in enumerate(zip(a_values, b_values, strict=True)):
            if a is not None and b is not None:
                levels[i], sims[i] = pair(a, b, params)
        return levels, sims

    fn.__doc__ = pair.__doc__
    return fn


def is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CJK ")


# ---------------------------------------------------------------------------------- parameters


def is_similarity(value: Any) -> bool:
    """A number in (0, 1]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1


def is_distance(value: Any) -> bool:
    """An integer >= 1."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
