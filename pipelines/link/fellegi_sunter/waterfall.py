"""A pair's match weight as the bars of a waterfall chart: the prior, each comparison, the total."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipelines.link.fellegi_sunter.model import (
    NULL_LEVEL,
    Model,
    check_patterns,
    weight_to_probability,
)
from pipelines.link.fellegi_sunter.term_frequency import tf_adjusted_weight


def explain(
    model: Model, pattern: Sequence[int], tf_adjustments: Mapping[int, float] | None = None
) -> list[dict[str, Any]]:
    """The bars of a waterfall chart: the prior, each comparison's weight, then the total.

    `tf_adjustments` maps a comparison index to the term frequency of the value the pair
    agrees on; it applies only where that comparison's level is 0 (exact). The total equals
    `model.match_weight` for the same pattern and term frequencies.
    """
    levels = check_patterns(model.comparisons, np.asarray([pattern]))[0]
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
