"""Blocking: which pairs of records are compared at all, as Spark equi-joins on prepared keys.

Each rule is a list of keys that must all be equal (and not null) on both sides. A pair found
by several rules is compared once and remembers the first rule that found it. Pairs whose IDs
are both checksum-valid and different are two people and are dropped before comparison when the
configuration says so (the check digit catches every single-digit typo and every swap of two
neighbouring digits, so such a pair is almost never one person).
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.link.config import LinkConfig


def _id18_columns(config: LinkConfig) -> list[str]:
    return [f"{name}__id18" for name, f in config.fields.items() if f.kind == "id_number"]


def _not_null(cols: list[str]):
    return reduce(lambda a, b: a & b, [F.col(c).isNotNull() for c in cols])


def _rule_pairs(left: DataFrame, right: DataFrame, cols: list[str], ids: list[str]) -> DataFrame:
    """Pairs agreeing on `cols`; with `ids`, pairs of two valid, different IDs never form:
    a record with a valid ID meets only left records whose ID is missing or broken (or equal)."""
    ids = [c for c in ids if c not in cols]  # a rule on the ID itself already wants them equal
    lsel = left.select(F.col("rec_key").alias("l_key"), *cols, *ids).where(_not_null(cols))
    rsel = right.select(F.col("rec_key").alias("r_key"), *cols, *ids).where(_not_null(cols))
    if not ids:
        return lsel.join(rsel, cols).select("l_key", "r_key")
    l_valid = _not_null(ids)
    r_valid = rsel.where(_not_null(ids))
    r_broken = rsel.where(~_not_null(ids)).drop(*ids)
    parts = [
        lsel.drop(*ids).join(r_broken, cols),
        lsel.where(~l_valid).drop(*ids).join(r_valid.drop(*ids), cols),
        lsel.where(l_valid).join(r_valid, cols + ids),
    ]
    return reduce(DataFrame.unionByName, [p.select("l_key", "r_key") for p in parts])


def candidate_pairs(left: DataFrame, right: DataFrame, config: LinkConfig) -> DataFrame:
    """Distinct `(l_key, r_key, block_rule)` pairs from the prepared tables of both sides."""
    ids = _id18_columns(config) if config.skip_conflicting_valid_ids else []
    if not config.blocking:
        raise ValueError("no blocking rules")
    parts = [
        _rule_pairs(left, right, [config.column(k) for k in rule], ids).withColumn(
            "block_rule", F.lit(i)
        )
        for i, rule in enumerate(config.blocking)
    ]
    union = reduce(DataFrame.unionByName, parts)
    return union.groupBy("l_key", "r_key").agg(F.min("block_rule").alias("block_rule"))


def sample(df: DataFrame, key: str, n: int, seed: int, total: int | None = None) -> DataFrame:
    """`n` rows chosen by a hash of their key and the seed: the same rows on every run.

    With the row count `total`, rows are first kept by a hash threshold (about 4n of them)
    so that only those are sorted."""
    hashed = df.withColumn("_h", F.xxhash64(F.col(key).cast("string"), F.lit(seed)))
    if total and total > 8 * n:
        share = min(1.0, 4.0 * n / total)
        # xxhash64 is uniform over the signed 64-bit range
        hashed = hashed.where(F.col("_h") < F.lit(int(-(2**63) + share * 2**64)))
    return hashed.orderBy("_h", key).limit(n).drop("_h")


def random_pair_shape(n_pairs: int, n_left_rows: int | None = None) -> tuple[int, int]:
    """How many left and right records make about `n_pairs` random pairs: at most 1,000 left
    ones (fewer when the left table is smaller), the rest of the product on the right."""
    n_left = min(1000, max(1, int(n_pairs**0.5)))
    if n_left_rows is not None:
        n_left = min(n_left, max(1, n_left_rows))
    return n_left, max(1, n_pairs // n_left)


def random_pairs(left: DataFrame, right: DataFrame, n_pairs: int, seed: int) -> DataFrame:
    """About `n_pairs` pairs drawn at random (deterministically, by hash of the keys and seed):
    almost all of them non-matches, which is what the u probabilities describe."""
    n_left, n_right = random_pair_shape(n_pairs)
    pick_l = (
        left.select(F.col("rec_key").alias("l_key"))
        .withColumn("_h", F.xxhash64("l_key", F.lit(seed)))
        .orderBy("_h", "l_key")
        .limit(n_left)
        .drop("_h")
    )
    pick_r = (
        right.select(F.col("rec_key").alias("r_key"))
        .withColumn("_h", F.xxhash64("r_key", F.lit(seed + 1)))
        .orderBy("_h", "r_key")
        .limit(n_right)
        .drop("_h")
    )
    return pick_l.crossJoin(pick_r).withColumn("block_rule", F.lit(-1))
