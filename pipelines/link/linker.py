"""The linker: a deterministic pass on checksum-valid IDs (`deterministic`), then a
probabilistic pass on the rest.

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
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.link import blocking, compare, crosscheck, probabilistic
from pipelines.link import fellegi_sunter as fs
from pipelines.link.config import LinkConfig
from pipelines.link.deterministic import (
    AGREEMENT_TO_LEVEL,
    deterministic_links,
    deterministic_pass,
    near_broken_ids,
    residual,
    with_id18,
)
from pipelines.link.prepare import prepare_spark

RESULT_COLUMNS = ("l_key", "r_key", "method", "band", "probability", "match_weight", "evidence")

_FUZZY_ID_LEVELS = ("transposition", "one_edit")


@dataclass
class LinkResult:
    links: DataFrame
    model: fs.Model | None
    stats: dict = field(default_factory=dict)


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
            F.col("capped_by").alias("capped_by"),
        )
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
        a: (levels.index(AGREEMENT_TO_LEVEL[a]) if AGREEMENT_TO_LEVEL.get(a) in levels else -1)
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
    u_side = u_right if u_right is not None else right_p
    candidates = blocking.candidate_pairs(left_p, right_p, config)
    rnd = blocking.random_pairs(left_p, u_side, config.model.random_pairs, config.model.seed)
    if pair_filter is not None:
        candidates, rnd = candidates.where(pair_filter), rnd.where(pair_filter)
    compared = compare.compare_pairs(candidates, left_p, right_p, config).localCheckpoint()
    stats["candidate_pairs"] = compared.count()
    if model is None:
        rnd_compared = compare.compare_pairs(rnd, left_p, u_side, config).localCheckpoint()
        stats["random_pairs"] = rnd_compared.count()
        n_pairs = left_p.count() * (n_right if n_right is not None else right_p.count())
        stats["possible_pairs"] = n_pairs
        patterns = probabilistic.pattern_counts(compared, config)
        model = probabilistic.fit(
            config, compared, rnd_compared, _known(known, config), n_pairs=n_pairs,
            candidates=patterns,
        )
        # recordlinkage's ECM on the same patterns: an independent check of our EM
        stats["model_check"] = crosscheck.ecm_check(
            probabilistic.model_comparisons(config), *patterns, model)
    # how common a name is, among everyone both tables hold (the right side alone may be a
    # filtered few)
    tf = probabilistic.term_frequencies(left_p.unionByName(right_p), config)
    scored = probabilistic.best_per_right(probabilistic.score(compared, model, tf), config)
    scored = scored.withColumn("band", probabilistic.band(F.col("probability"), config))
    scored = probabilistic.require_agreement(scored, model, config)
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
        right = with_id18(right, config)
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
    u_sample = blocking.sample(
        rest,
        config.right_key,
        blocking.random_pair_shape(config.model.random_pairs, left_p.count())[1],
        config.model.seed,
        n_rest,
    )
    u_right = prepare_spark(u_sample, config, "right").localCheckpoint()
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
