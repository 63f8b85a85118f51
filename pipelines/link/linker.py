"""The linker: a deterministic pass on checksum-valid IDs, then a probabilistic pass on the rest.

`link_tables(left, right, config)` links any two person tables described by a LinkConfig.
Output, one row per link: `l_key, r_key, method, band, probability, match_weight, evidence`,
where method is `id_exact` (valid IDs equal, names compatible), `id_fuzzy` (a probabilistic
match whose IDs differ by a typo or swapped digits), `probabilistic` (any other match) or
`clerical` (a possible match, or equal IDs with conflicting names: a person must verify), and
evidence is JSON holding each field's comparison level, similarity and weight (the data of a
waterfall chart) — never the personal values themselves.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from pipelines.link import blocking, compare, probabilistic
from pipelines.link import fellegi_sunter as fs
from pipelines.link.config import LinkConfig
from pipelines.link.prepare import prepare_spark
from pipelines.standardize import names
from pipelines.standardize.ids import (
    MAX_BIRTH_DATE,
    MIN_BIRTH_DATE,
    PROVINCE_CODES,
    standardize_id,
)
from pipelines.standardize.name_parts import former_names, pinyin_tokens
from pipelines.standardize.spark import _id_check

RESULT_COLUMNS = ("l_key", "r_key", "method", "band", "probability", "match_weight", "evidence")

# name_agreement levels → the person_name comparator's levels (missing → no evidence).
_AGREEMENT_TO_LEVEL = {
    "exact": "exact",
    "simplified": "simplified",
    "variant": "variant",
    "pinyin": "pinyin",
    "placeholder": "placeholder",
    "pinyin_swapped": "pinyin_swapped",
    "former": "former",
    "conflict": "else",
}
@F.pandas_udf(StringType())
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


# Levels of the ID comparator that mean "the same ID, mistyped".
_FUZZY_ID_LEVELS = ("transposition", "one_edit")


@dataclass
class LinkResult:
    links: DataFrame
    model: fs.Model | None
    stats: dict = field(default_factory=dict)


@F.pandas_udf(StringType())
def _id18_udf(values: pd.Series) -> pd.Series:
    out = [standardize_id(v).id18 if isinstance(v, str) else None for v in values]
    return pd.Series(out, index=values.index, dtype=object)


def fast_id18(col: Column) -> Column:
    """The standardized 18-digit ID (null when invalid): plain 18-character IDs checked natively,
    anything else (15 digits, full-width, spaces) through the Python standardizer in Arrow
    batches — cheaper than compiling the standardizer's large Spark expression into every
    query that needs an ID."""
    raw = col.cast("string")
    s = F.upper(raw)
    plain = raw.rlike(r"^[0-9]{17}[0-9Xx]$")
    born = F.try_to_date(F.substring(s, 7, 8), "yyyyMMdd")
    ok = (
        (_id_check(F.substring(s, 1, 17)) == F.substring(s, 18, 1))
        & F.coalesce(
            born.between(F.lit(MIN_BIRTH_DATE), F.lit(MAX_BIRTH_DATE)), F.lit(False)
        )
        & F.substring(s, 1, 2).isin(sorted(PROVINCE_CODES))
    )
    return F.when(plain, F.when(ok, s)).otherwise(_id18_udf(raw))


def _deterministic(left: DataFrame, right: DataFrame, config: LinkConfig) -> DataFrame:
    d = config.deterministic
    idf, namef = config.fields[d.id], config.fields[d.name] if d.name else None
    lcols = [F.col(config.left_key).cast("string").alias("l_key"),
             fast_id18(F.col(idf.left)).alias("id18")]
    rcols = [F.col(config.right_key).cast("string").alias("r_key"),
             fast_id18(F.col(idf.right)).alias("id18")]
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


def _level_name(levels: tuple[str, ...], level: Column) -> Column:
    arr = F.array(*[F.lit(x) for x in levels])
    return F.when(level >= 0, F.element_at(arr, level + 1)).otherwise(F.lit("missing"))


def _probabilistic_evidence(model: fs.Model) -> Column:
    prior_w = math.log2(model.prior / (1 - model.prior))
    fields = [
        F.struct(
            F.lit(comp.name).alias("field"),
            _level_name(comp.levels, F.col(f"lvl_{comp.name}")).alias("level"),
            F.round(F.col(f"sim_{comp.name}").cast("double"), 4).alias("similarity"),
            F.round(F.col(f"w_{comp.name}"), 4).alias("weight"),
        )
        for comp in model.comparisons
    ]
    return F.to_json(
        F.struct(
            F.col("method").alias("method"),
            F.col("band").alias("band"),
            F.round("probability", 6).alias("probability"),
            F.round("match_weight", 4).alias("match_weight"),
            F.lit(round(prior_w, 4)).alias("prior_weight"),
            F.array(*fields).alias("fields"),
            F.col("block_rule").alias("block_rule"),
            F.round("runner_up", 6).alias("runner_up_probability"),
        )
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
    """Three overlapping pieces of an ID: one typo or swap leaves at least one intact."""
    return [
        F.substring(id_col, 1, 14),
        F.concat(F.substring(id_col, 1, 6), F.substring(id_col, 15, 4)),
        F.substring(id_col, 7, 12),
    ]


def near_broken_ids(rest: DataFrame, left_p: DataFrame, config: LinkConfig) -> DataFrame:
    """The right records worth preparing: every one without a valid ID, and those with a
    valid ID only when it is near a broken left ID (shares one of three overlapping pieces).

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
    tagged = rest.withColumn("_id18", fast_id18(F.col(id_col)))
    valid = tagged.where(F.col("_id18").isNotNull())
    near = (
        valid.select("*", F.explode(F.array(*_id_keys(F.col("_id18")))).alias("_k"))
        .join(F.broadcast(keys), "_k", "left_semi")
        .drop("_k")
        .dropDuplicates([config.right_key])
    )
    return tagged.where(F.col("_id18").isNull()).unionByName(near).drop("_id18")


def deterministic_links(det: DataFrame, model: fs.Model | None, config: LinkConfig) -> DataFrame:
    """Links of the deterministic pass: `id_exact`, or `clerical` when the names conflict."""
    level = F.coalesce(
        F.element_at(
            F.create_map(*[x for k, v in _AGREEMENT_TO_LEVEL.items() for x in (F.lit(k), F.lit(v))]),
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


def _known(det: DataFrame | None, config: LinkConfig):
    """Pattern counts of the deterministic matches (names in conflict are left out)."""
    if det is None or config.deterministic is None:
        return None
    d = config.deterministic
    comps = {c.name: c.levels for c in probabilistic.model_comparisons(config)}
    if d.id not in comps:
        return None
    counts = {
        r["name_agreement"]: r["count"]
        for r in det.groupBy("name_agreement").count().collect()
        if r["name_agreement"] != "conflict"
    }
    levels = comps.get(d.name, ())
    name_levels = {
        a: (levels.index(_AGREEMENT_TO_LEVEL[a]) if _AGREEMENT_TO_LEVEL.get(a) in levels else -1)
        for a in sorted(counts)
    }
    patterns = probabilistic.known_patterns(config, d.id, d.name, name_levels)
    return patterns, np.array([float(counts[a]) for a in sorted(counts)])


def probabilistic_pass(
    left_p: DataFrame,
    right_p: DataFrame,
    config: LinkConfig,
    pair_filter: Column | None = None,
    model: fs.Model | None = None,
    known: DataFrame | None = None,
    n_right: int | None = None,
    u_right: DataFrame | None = None,
) -> tuple[DataFrame, fs.Model, dict]:
    """Block, compare, fit, score and band the prepared tables; returns (links, model, stats).

    `pair_filter` (over `l_key`, `r_key`) drops pairs before comparison, e.g. a record with
    itself when a table is linked to itself. A given `model` is used as it is (no fit): the
    roster linked to itself has too few true pairs to estimate m from. `known` holds the pairs
    of the deterministic pass (`name_agreement` per pair): matches that teach the model what
    an exact ID is worth. `u_right` (prepared right records drawn at random from every
    record, not only the filtered ones) is where the random pairs for u come from."""
    stats: dict = {}
    candidates = blocking.candidate_pairs(left_p, right_p, config)
    rnd = blocking.random_pairs(
        left_p, u_right if u_right is not None else right_p, config.model.random_pairs,
        config.model.seed,
    )
    if pair_filter is not None:
        candidates, rnd = candidates.where(pair_filter), rnd.where(pair_filter)
    compared = compare.compare_pairs(candidates, left_p, right_p, config).localCheckpoint()
    u_side = u_right if u_right is not None else right_p
    stats["candidate_pairs"] = compared.count()
    if model is None:
        rnd_compared = compare.compare_pairs(rnd, left_p, u_side, config).localCheckpoint()
        stats["random_pairs"] = rnd_compared.count()
        n_pairs = left_p.count() * (n_right if n_right is not None else right_p.count())
        stats["possible_pairs"] = n_pairs
        model = probabilistic.fit(
            config, compared, rnd_compared, _known(known, config), n_pairs=n_pairs
        )
    # how common a name is, among everyone both tables hold (the right side alone may be a
    # filtered few)
    tf = probabilistic.term_frequencies(left_p.unionByName(right_p), config)
    scored = probabilistic.best_per_right(probabilistic.score(compared, model, tf), config)
    scored = scored.withColumn("band", probabilistic.band(F.col("probability"), config))
    id_field = config.deterministic.id if config.deterministic else next(
        (n for n, f in config.fields.items() if f.kind == "id_number"), None
    )
    fuzzy_id = F.lit(False)
    if id_field is not None and any(c.field == id_field for c in config.comparisons):
        levels = next(c.levels for c in model.comparisons if c.name == id_field)
        fuzzy_idx = [i for i, lvl in enumerate(levels) if lvl in _FUZZY_ID_LEVELS]
        fuzzy_id = F.col(f"lvl_{id_field}").isin(fuzzy_idx) if fuzzy_idx else F.lit(False)
    method = (
        F.when(F.col("band") == "possible", "clerical")
        .when(fuzzy_id, "id_fuzzy")
        .otherwise("probabilistic")
    )
    kept = scored.where(F.col("band") != "non_match").withColumn("method", method)
    links = kept.select(
        "l_key",
        "r_key",
        "method",
        "band",
        F.col("probability").cast("double").alias("probability"),
        F.col("match_weight").cast("double").alias("match_weight"),
        _probabilistic_evidence(model).alias("evidence"),
    )
    return links, model, stats


def _u_sample_size(config: LinkConfig, left_p: DataFrame) -> int:
    """Right records the random pairs need (blocking.random_pairs takes ≤ 1,000 left ones)."""
    n_left = min(1000, max(1, int(config.model.random_pairs**0.5)), max(1, left_p.count()))
    return max(1, config.model.random_pairs // n_left)


def link_tables(
    left: DataFrame, right: DataFrame, config: LinkConfig, left_prepared: DataFrame | None = None
) -> LinkResult:
    """Link every right record to at most one left record (see the module docstring).

    `stats` holds pair counts and the seconds of each pass (`seconds`), for benchmarks."""
    stats: dict = {}
    seconds: dict = {}
    clock = time.perf_counter()
    det = None
    rest = right
    if config.deterministic is not None:
        det = deterministic_pass(left, right, config)
        stats["deterministic_pairs"] = det.count()
        rest = residual(right, det, config)
    seconds["deterministic"] = time.perf_counter() - clock
    clock = time.perf_counter()
    left_p = left_prepared
    if left_p is None:
        left_p = prepare_spark(left, config, "left").localCheckpoint()
    # λ is the chance that a pair drawn from every pair left after pass 1 matches: counted
    # before the valid-ID filter, which, like blocking, only skips pairs that cannot match.
    n_rest = rest.count()
    right_p = prepare_spark(near_broken_ids(rest, left_p, config), config, "right")
    right_p = right_p.localCheckpoint()
    u_right = prepare_spark(
        blocking.sample(rest, config.right_key, _u_sample_size(config, left_p), config.model.seed),
        config,
        "right",
    ).localCheckpoint()
    stats["prepared_right"] = right_p.count()
    seconds["prepare"] = time.perf_counter() - clock
    clock = time.perf_counter()
    links, model, more = probabilistic_pass(
        left_p, right_p, config, known=det, n_right=n_rest, u_right=u_right
    )
    stats.update(more)
    seconds["probabilistic"] = time.perf_counter() - clock
    if det is not None:
        links = links.unionByName(deterministic_links(det, model, config))
    stats["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
    return LinkResult(links=links, model=model, stats=stats)
