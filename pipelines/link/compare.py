"""Comparison of candidate pairs: rapidfuzz comparators run over Arrow batches (`mapInPandas`).

Output per pair: `l_key`, `r_key`, `block_rule`, and for each comparison `lvl_<field>` (the
level: 0 strongest … last "else", -1 missing on a side), `sim_<field>` (the similarity that
decided it) and, for term-frequency-adjusted comparisons, `tf_<field>` (the agreed value).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import FloatType, IntegerType, LongType, StringType, StructField, StructType

from pipelines.link.comparators import ComparatorSpec, comparator
from pipelines.link.config import KINDS, ComparisonSpec, LinkConfig

# The prepared value whose frequency adjusts an exact agreement, per field kind.
TF_SUB = {"person_name": "simplified", "text": "value", "exact": "value", "levenshtein": "value"}


def specs(config: LinkConfig) -> list[tuple[ComparisonSpec, ComparatorSpec]]:
    """Each comparison of the configuration with its comparator (parameters checked)."""
    return [(c, comparator(config.comparator_kind(c), c.params)) for c in config.comparisons]


def _input_column(config: LinkConfig, field: str, name: str) -> str:
    """The prepared sub-column a comparator input reads (inputs are named as the subs)."""
    subs = KINDS[config.fields[field].kind]
    sub = name if name in subs else subs[0]
    return f"{field}__{sub}"


def compare_frame(pdf: pd.DataFrame, config: LinkConfig, pairs) -> pd.DataFrame:
    """Compare a pandas batch of joined pairs (`l_*` and `r_*` prepared columns)."""
    out = {
        "l_key": pdf["l_key"],
        "r_key": pdf["r_key"],
        "block_rule": pdf["block_rule"].astype("int64"),
    }
    for c, spec in pairs:
        left = pd.DataFrame(
            {i: pdf[f"l_{_input_column(config, c.field, i)}"].to_numpy() for i in spec.inputs}
        )
        right = pd.DataFrame(
            {i: pdf[f"r_{_input_column(config, c.field, i)}"].to_numpy() for i in spec.inputs}
        )
        levels, sims = spec.fn(left, right, spec_params(spec, c))
        out[f"lvl_{c.field}"] = np.asarray(levels, dtype=np.int32)
        out[f"sim_{c.field}"] = np.asarray(sims, dtype=np.float32)
        if c.tf_adjust:
            col = f"r_{c.field}__{TF_SUB[config.fields[c.field].kind]}"
            out[f"tf_{c.field}"] = pdf[col].where(out[f"lvl_{c.field}"] == 0, None)
    return pd.DataFrame(out)


def spec_params(spec: ComparatorSpec, c: ComparisonSpec) -> dict:
    return dict(getattr(spec, "params", None) or c.params)


def output_schema(config: LinkConfig) -> StructType:
    fields = [
        StructField("l_key", StringType()),
        StructField("r_key", StringType()),
        StructField("block_rule", LongType()),
    ]
    for c in config.comparisons:
        fields.append(StructField(f"lvl_{c.field}", IntegerType()))
        fields.append(StructField(f"sim_{c.field}", FloatType()))
        if c.tf_adjust:
            fields.append(StructField(f"tf_{c.field}", StringType()))
    return StructType(fields)


def _needed(config: LinkConfig, pairs) -> list[str]:
    cols: list[str] = []
    for c, spec in pairs:
        for i in spec.inputs:
            col = _input_column(config, c.field, i)
            if col not in cols:
                cols.append(col)
        if c.tf_adjust:
            col = f"{c.field}__{TF_SUB[config.fields[c.field].kind]}"
            if col not in cols:
                cols.append(col)
    return cols


def compare_pairs(
    candidates: DataFrame, left: DataFrame, right: DataFrame, config: LinkConfig
) -> DataFrame:
    """Join the prepared columns of both sides onto the pairs and compare them."""
    pairs = specs(config)
    cols = _needed(config, pairs)
    lsel = left.select(F.col("rec_key").alias("l_key"), *[F.col(c).alias(f"l_{c}") for c in cols])
    rsel = right.select(F.col("rec_key").alias("r_key"), *[F.col(c).alias(f"r_{c}") for c in cols])
    joined = candidates.join(lsel, "l_key").join(rsel, "r_key")

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            yield compare_frame(pdf, config, pairs)

    return joined.mapInPandas(run, output_schema(config))
