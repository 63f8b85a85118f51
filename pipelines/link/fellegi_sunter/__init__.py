"""Fellegi–Sunter model with multi-level comparisons, m and u estimated by EM on pattern counts.

A thin facade: the model, its weights and JSON (`model`), its estimation (`em`), the
term-frequency adjustment (`term_frequency`) and a pair's weight as a waterfall (`waterfall`).
Everything here is plain numpy and deterministic.

What a user gives reaches this package only as a model's JSON, through `Model.from_dict`, which
raises the engine's InputError naming the file and the keys. The ValueErrors elsewhere guard
the engine's own calls: the arguments of `estimate` and `u_from_random_pairs` come from a link
configuration validated before anything runs (prior in (0, 1), iterations >= 1, pseudo-count
in (0, 1]), the comparisons from its field names and the comparators' fixed levels, the
patterns and counts from the comparators' level codes aggregated by Spark.
"""

from pipelines.link.fellegi_sunter.em import (
    default_m,
    default_u,
    estimate,
    monotone,
    u_from_random_pairs,
)
from pipelines.link.fellegi_sunter.model import (
    FORMAT_VERSION,
    NULL_LEVEL,
    Comparison,
    Model,
    weight_to_probability,
)
from pipelines.link.fellegi_sunter.term_frequency import tf_adjusted_weight, tf_adjusted_weights
from pipelines.link.fellegi_sunter.waterfall import explain

__all__ = [
    "FORMAT_VERSION",
    "NULL_LEVEL",
    "Comparison",
    "Model",
    "default_m",
    "default_u",
    "estimate",
    "explain",
    "monotone",
    "tf_adjusted_weight",
    "tf_adjusted_weights",
    "u_from_random_pairs",
    "weight_to_probability",
]
