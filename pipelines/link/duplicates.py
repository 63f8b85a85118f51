"""The roster linked against itself: the same person enrolled twice (two households, two
districts, or 低保 and 特困 at once).

Pass 1 finds two roster rows with the same checksum-valid ID; pass 2 the same person under a
mistyped or missing ID, with the roster's own linker configuration. Each pair is reported once
(`person_key_a` < `person_key_b`) with its method, probability and evidence.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.link import fellegi_sunter as fs
from pipelines.link.config import LinkConfig
from pipelines.link.deterministic import deterministic_links, deterministic_pass
from pipelines.link.linker import probabilistic_pass
from pipelines.link.prepare import prepare_spark

DUPLICATE_COLUMNS = (
    "person_key_a",
    "person_key_b",
    "household_a",
    "household_b",
    "same_household",
    "method",
    "band",
    "probability",
    "evidence",
)


def self_config(config: LinkConfig) -> LinkConfig:
    """The left side's columns on both sides; every pair kept, not one per record."""
    columns = {name: f.left for name, f in config.fields.items()}
    return config.with_columns("right", columns, key=config.left_key).model_copy(
        update={"one_to_one": "none"}
    )


def roster_duplicates(
    people: DataFrame,
    config: LinkConfig,
    model: fs.Model | None = None,
    left_prepared: DataFrame | None = None,
) -> DataFrame:
    """Pairs of roster people who look like one person (`DUPLICATE_COLUMNS`); `model` is the
    one fitted on the registries (same fields), else one is fitted here."""
    cfg = self_config(config)
    once = F.col("l_key") < F.col("r_key")
    det = deterministic_pass(people, people, cfg).where(once)
    left_p = left_prepared
    if left_p is None:
        left_p = prepare_spark(people, cfg, "left").localCheckpoint()
    settled = det.select(F.col("l_key").alias("_l"), F.col("r_key").alias("_r"))
    prob, model, _ = probabilistic_pass(left_p, left_p, cfg, pair_filter=once, model=model)
    prob = prob.join(
        settled, (F.col("l_key") == F.col("_l")) & (F.col("r_key") == F.col("_r")), "left_anti"
    )
    pairs = prob.unionByName(deterministic_links(det, model, cfg))
    hh = people.select(F.col(config.left_key).alias("_k"), F.col("household_id").alias("_h"))
    a, b = hh.alias("a"), hh.alias("b")
    # members of one household who merely share its phone and address are not listed
    keep = (F.col("band") == "match") | (F.col("a._h") != F.col("b._h"))
    return (
        pairs.join(a, F.col("l_key") == F.col("a._k"))
        .join(b, F.col("r_key") == F.col("b._k"))
        .where(keep)
        .select(
            F.col("l_key").alias("person_key_a"),
            F.col("r_key").alias("person_key_b"),
            F.col("a._h").alias("household_a"),
            F.col("b._h").alias("household_b"),
            (F.col("a._h") == F.col("b._h")).alias("same_household"),
            "method",
            "band",
            "probability",
            "evidence",
        )
    )
