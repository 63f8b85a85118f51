"""Pass 1: checksum-valid resident IDs equal, names compatible — a hash join.

Also the helpers around it: the records pass 1 leaves (`residual`), and which of those are worth
the probabilistic pass (`near_broken_ids`). The standardized ID of a column is
`pipelines.standardize.spark.fast_id18`.
"""

from __future__ import annotations

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from pipelines.link import fellegi_sunter as fs
from pipelines.link.config import LinkConfig
from pipelines.spark import pandas_udf
from pipelines.standardize import names
from pipelines.standardize.name_parts import former_names, pinyin_tokens
from pipelines.standardize.spark import fast_id18

# The standardized ID of the right table, computed once and reused by every step of pass 1.
ID18 = "_id18"

# name_agreement levels → the person_name comparator's levels (missing → no evidence).
AGREEMENT_TO_LEVEL = {
    "exact": "exact",
    "simplified": "simplified",
    "variant": "variant",
    "pinyin": "pinyin",
    "placeholder": "placeholder",
    "pinyin_swapped": "pinyin_swapped",
    "former": "former",
    "conflict": "else",
}
@pandas_udf(StringType())
def name_agreement_udf(a: pd.Series, b: pd.Series, former: pd.Series) -> pd.Series:
    """names.name_agreement, then two readings it leaves as conflict: the same pinyin in
    another order (a bank's "SANFENG ZHANG") and a former name (曾用名) of the left person."""
    out = []
    for x, y, f in zip(a, b, former, strict=True):
        level = names.name_agreement(x, y)
        if level == "conflict":
            tx, ty = pinyin_tokens(x), pinyin_tokens(y)
            if tx and sorted(tx) == sorted(ty) and "?" not in "".join(tx):
                level = "pinyin_swapped"
            elif f and any(names.name_agreement(n, y) != "conflict" for n in former_names(f)):
                level = "former"
        out.append(level)
    return pd.Series(out, index=a.index, dtype=object)


def _deterministic(left: DataFrame, right: DataFrame, config: LinkConfig) -> DataFrame:
    d = config.deterministic
    idf, namef = config.fields[d.id], config.fields[d.name] if d.name else None
    lcols = [F.col(config.left_key).cast("string").alias("l_key"),
             fast_id18(F.col(idf.left)).alias("id18")]
    r_id18 = F.col(ID18) if ID18 in right.columns else fast_id18(F.col(idf.right))
    rcols = [F.col(config.right_key).cast("string").alias("r_key"), r_id18.alias("id18")]
    if namef is not None:
        lcols.append(F.col(namef.left).cast("string").alias("l_name") if namef.left
                     else F.lit(None).cast("string").alias("l_name"))
        lcols.append(F.col(namef.left_former).cast("string").alias("l_former")
                     if namef.left_former and namef.left_former in left.columns
                     else F.lit(None).cast("string").alias("l_former"))
        rcols.append(F.col(namef.right).cast("string").alias("r_name") if namef.right
                     else F.lit(None).cast("string").alias("r_name"))
    lsel = left.select(*lcols).where(F.col("id18").isNotNull())
    rsel = right.select(*rcols).where(F.col("id18").isNotNull())
    pairs = lsel.join(rsel, "id18")
    if namef is None:
        return pairs.select("l_key", "r_key", F.lit("missing").alias("name_agreement"))
    return pairs.select(
        "l_key",
        "r_key",
        name_agreement_udf(F.col("l_name"), F.col("r_name"), F.col("l_former")).alias(
            "name_agreement"
        ),
    )


def _deterministic_evidence(model: fs.Model | None, config: LinkConfig) -> Column:
    """Valid IDs equal; the name agreement level and, when a model was fitted, the weights
    those levels carry in it (the same waterfall as a probabilistic link)."""
    d = config.deterministic
    id_w = name_w = None
    if model is not None:
        weights = dict(zip([c.name for c in model.comparisons], model.weights(), strict=True))
        levels = {c.name: c.levels for c in model.comparisons}
        if d.id in weights:
            id_w = F.lit(round(weights[d.id][0], 4))
        if d.name and d.name in weights:
            arr = F.create_map(*[
                x for lvl, w in zip(levels[d.name], weights[d.name], strict=True)
                for x in (F.lit(lvl), F.lit(round(w, 4)))
            ])
            name_w = F.element_at(arr, F.col("name_level"))
    null = F.lit(None).cast("double")
    return F.to_json(
        F.struct(
            F.col("method").alias("method"),
            F.col("band").alias("band"),
            F.array(
                F.struct(
                    F.lit(d.id).alias("field"),
                    F.lit("exact_checksum_valid").alias("level"),
                    F.lit(1.0).alias("similarity"),
                    (id_w if id_w is not None else null).alias("weight"),
                ),
                F.struct(
                    F.lit(d.name or "name").alias("field"),
                    F.col("name_level").alias("level"),
                    F.lit(None).cast("double").alias("similarity"),
                    (name_w if name_w is not None else null).alias("weight"),
                ),
            ).alias("fields"),
        )
    )


def with_id18(right: DataFrame, config: LinkConfig) -> DataFrame:
    """The right table with its standardized ID computed once (column ID18), checkpointed."""
    column = config.fields[config.deterministic.id].right
    if column is None:
        return right
    return right.withColumn(ID18, fast_id18(F.col(column))).localCheckpoint()


def deterministic_pass(left: DataFrame, right: DataFrame, config: LinkConfig) -> DataFrame:
    """Pairs with equal checksum-valid IDs: `(l_key, r_key, name_agreement)`, checkpointed."""
    return _deterministic(left, right, config).localCheckpoint()


def residual(right: DataFrame, det: DataFrame, config: LinkConfig) -> DataFrame:
    """Right records the deterministic pass did not settle (neither linked nor in conflict)."""
    return right.join(
        det.select(F.col("r_key").alias("_rk")).distinct(),
        F.col(config.right_key).cast("string") == F.col("_rk"),
        "left_anti",
    )


def _id_keys(id_col: Column) -> list[Column]:
    """Four 14-character pieces of an 18-character ID (area, year, month-day, sequence +
    check, each left out once), and the ID with its boundary digits ordered: one typo or one
    swap of neighbours leaves at least one intact. Shorter pieces would be shared by many
    people (area + sequence alone matches dozens per area)."""
    area, year = F.substring(id_col, 1, 6), F.substring(id_col, 7, 4)
    mmdd, tail = F.substring(id_col, 11, 4), F.substring(id_col, 15, 4)
    return [
        F.concat(year, mmdd, tail),
        F.concat(area, mmdd, tail),
        F.concat(area, year, tail),
        F.concat(area, year, mmdd),
        _swap_free(id_col),
    ]


def _swap_free(id_col: Column) -> Column:
    """The whole ID with the two digits at each boundary between its pieces put in order: a
    swap across a boundary breaks two pieces but leaves this key as it was."""
    parts, start = [], 1
    for pos in (6, 10, 14):  # 1-based: the last digit of area, of year, of month-day
        parts.append(F.substring(id_col, start, pos - start))
        a, b = F.substring(id_col, pos, 1), F.substring(id_col, pos + 1, 1)
        parts += [F.least(a, b), F.greatest(a, b)]
        start = pos + 2
    parts.append(F.substring(id_col, start, 18))
    return F.concat(*parts)


def near_broken_ids(rest: DataFrame, left_p: DataFrame, config: LinkConfig) -> DataFrame:
    """The right records worth preparing: every one without a valid ID, and those with a
    valid ID only when it is near a broken left ID (shares one of its keys, `_id_keys`).

    A valid right ID can only belong to a left person whose own ID is broken (two valid,
    different IDs are two people), and a broken ID is nearly always one typo or swap away
    from the true one. When some left record has no ID at all, nothing is filtered."""
    d = config.deterministic
    if d is None or not config.skip_conflicting_valid_ids:
        return rest
    id_col, sub = config.fields[d.id].right, f"{d.id}__"
    if id_col is None:
        return rest
    if left_p.where(F.col(sub + "id_clean").isNull()).limit(1).count():
        return rest
    broken = left_p.where(F.col(sub + "id18").isNull()).select(F.col(sub + "id_clean").alias("c"))
    keys = broken.select(F.explode(F.array(*_id_keys(F.col("c")))).alias("_k")).distinct()
    tagged = rest if ID18 in rest.columns else rest.withColumn(ID18, fast_id18(F.col(id_col)))
    valid = tagged.where(F.col(ID18).isNotNull())
    near = (
        valid.select("*", F.explode(F.array(*_id_keys(F.col(ID18)))).alias("_k"))
        .join(F.broadcast(keys), "_k", "left_semi")
        .drop("_k")
        .dropDuplicates([config.right_key])
    )
    return tagged.where(F.col(ID18).isNull()).unionByName(near).drop(ID18)


def deterministic_links(det: DataFrame, model: fs.Model | None, config: LinkConfig) -> DataFrame:
    """Links of the deterministic pass: `id_exact`, or `clerical` when the names conflict."""
    level = F.coalesce(
        F.element_at(
            F.create_map(*[x for k, v in AGREEMENT_TO_LEVEL.items() for x in (F.lit(k), F.lit(v))]),
            F.col("name_agreement"),
        ),
        F.lit("missing"),
    )
    conflict = F.col("name_agreement") == "conflict"
    det_links = (
        det.withColumn("name_level", level)
        .withColumn("method", F.when(conflict, "clerical").otherwise("id_exact"))
        .withColumn("band", F.when(conflict, "possible").otherwise("match"))
    )
    return det_links.select(
        "l_key",
        "r_key",
        "method",
        "band",
        F.when(conflict, 0.5).otherwise(1.0).alias("probability"),
        F.lit(None).cast("double").alias("match_weight"),
        _deterministic_evidence(model, config).alias("evidence"),
    )


