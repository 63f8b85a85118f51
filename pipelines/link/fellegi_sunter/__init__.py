"""Fellegi–Sunter model with multi-level comparisons, m and u estimated by EM on pattern counts.

A thin facade: the model, its weights and JSON (`model`), its estimation (`em`), the
term-frequency adjustment (`term_frequency`) and a pair's weight as a waterfall (`waterfall`).
Everything here is plain numpy and deterministic.
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
