"""Probabilistic pass: Fellegi–Sunter weights estimated by EM on comparison-pattern counts,
term-frequency adjustment, scores as Spark columns, bands, and one holder per record.

Only the distinct comparison patterns (a few hundred to a few thousand) reach the driver: Spark
counts the pairs per pattern and EM runs on the counts, so the fit costs the same for a
thousand pairs or a billion. u comes from random pairs (almost all non-matches) and m from EM
on the candidate pairs with u held, as Splink recommends; the scoring of every pair is then a
Spark expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipelines.link import fellegi_sunter as fs
from pipelines.link.compare import TF_SUB, specs
from pipelines.link.config import LinkConfig

# Fewer candidate pairs than this cannot estimate m alone; the deterministic matches join them.
MIN_PAIRS_FOR_EM = 200


@dataclass(frozen=True)
class Fitted:
    """The estimated model plus the term frequencies used to adjust exact agreements."""

    model: fs.Model
    tf_fields: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"model": self.model.to_dict(), "tf_fields": list(self.tf_fields)}


def model_comparisons(config: LinkConfig) -> tuple[fs.Comparison, ...]:
    return tuple(fs.Comparison(c.field, tuple(spec.levels)) for c, spec in specs(config))


def pattern_counts(compared: DataFrame, config: LinkConfig) -> tuple[np.ndarray, np.ndarray]:
    """(patterns, counts) of the comparison levels, sorted so the fit is deterministic."""
    cols = [f"lvl_{c.field}" for c in config.comparisons]
    rows = compared.groupBy(*cols).count().orderBy(*cols).collect()
    if not rows:
        return np.zeros((0, len(cols)), dtype=np.int64), np.zeros(0, dtype=np.float64)
    patterns = np.array([[r[c] for c in cols] for r in rows], dtype=np.int64)
    counts = np.array([r["count"] for r in rows], dtype=np.float64)
    return patterns, counts


def fit(
    config: LinkConfig,
    compared: DataFrame,
    random_compared: DataFrame | None,
    known: tuple[np.ndarray, np.ndarray] | None = None,
    n_pairs: int | None = None,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
) -> fs.Model:
    """m by EM over the candidate pairs; u from random pairs (or EM, as configured).

    m describes the pairs this model will score: those the deterministic pass left, where an
    ID is missing or broken. Only when there are too few of them to estimate from (under
    MIN_PAIRS_FOR_EM) are the `known` deterministic matches added (equal valid IDs, the other
    fields null where they were not compared). Weights are then made monotone (see
    `fellegi_sunter.monotone`), so a level no candidate shows, such as an exact ID, never
    counts against a match.

    The prior used for scoring is the chance that two records drawn from *all* `n_pairs`
    possible pairs match (Splink's λ): the expected matches among the candidates divided by
    every pair. A prior measured among the candidates would count the blocking fields twice —
    pairs are candidates because their names agree, and the name's weight says so again — and
    two namesakes with different IDs would come out as a match. `candidates` are the patterns
    of `compared` when the caller has counted them already."""
    comparisons = model_comparisons(config)
    candidates = candidates if candidates is not None else pattern_counts(compared, config)
    patterns, counts = candidates
    if known is not None and len(known[1]) and counts.sum() < MIN_PAIRS_FOR_EM:
        patterns = np.vstack([patterns, known[0]])
        counts = np.concatenate([counts, known[1]])
    fixed_u = None
    if config.model.u == "random_pairs" and random_compared is not None:
        r_patterns, r_counts = pattern_counts(random_compared, config)
        if len(r_counts):
            fixed_u = fs.u_from_random_pairs(
                comparisons, r_patterns, r_counts, config.model.u_pseudo_count
            )
    if not len(counts):
        patterns = np.full((1, len(comparisons)), -1, dtype=np.int64)
        counts = np.ones(1)
    model = fs.estimate(
        comparisons,
        patterns,
        counts,
        prior=config.model.prior,
        max_iterations=config.model.max_iterations,
        tolerance=config.model.tolerance,
        fixed_u=fixed_u,
    )
    model = fs.monotone(model)
    if len(candidates[1]):
        local = replace(model, prior=_prior_on(model, *candidates))
        expected = float((local.probability(candidates[0]) * candidates[1]).sum())
        if n_pairs:
            model = replace(model, prior=min(max(expected / n_pairs, 1e-12), 0.5))
    return model


def _prior_on(model: fs.Model, patterns: np.ndarray, counts: np.ndarray) -> float:
    """λ on these pairs with m and u held: EM on the prior alone."""
    prior = model.prior
    for _ in range(200):
        post = replace(model, prior=prior).probability(patterns)
        new = float(np.clip((post * counts).sum() / counts.sum(), 1e-9, 1 - 1e-9))
        if abs(new - prior) < 1e-10:
            break
        prior = new
    return prior


def known_patterns(
    config: LinkConfig, id_field: str, name_field: str | None, name_levels: dict[str, int]
) -> np.ndarray:
    """The pattern row of a deterministic pair: ID exact, the name's level, the rest null."""
    comparisons = model_comparisons(config)
    rows = []
    for level in name_levels.values():
        row = [-1] * len(comparisons)
        for k, comp in enumerate(comparisons):
            if comp.name == id_field:
                row[k] = 0
            elif comp.name == name_field:
                row[k] = level
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(comparisons))


def term_frequencies(right: DataFrame, config: LinkConfig) -> dict[str, DataFrame]:
    """Per tf-adjusted field: the share of right records holding each value."""
    out = {}
    for c in config.comparisons:
        if not c.tf_adjust:
            continue
        col = f"{c.field}__{TF_SUB[config.fields[c.field].kind]}"
        vals = right.where(F.col(col).isNotNull()).select(F.col(col).alias("value"))
        total = F.sum("count").over(Window.partitionBy())
        out[c.field] = (
            vals.groupBy("value").count().select(
                F.col("value").alias(f"tf_{c.field}"),
                (F.col("count") / total).alias(f"tfreq_{c.field}"),
            )
        )
    return out


def _lookup(values: tuple[float, ...], level: Column) -> Column:
    arr = F.array(*[F.lit(float(v)) for v in values])
    return F.when(level >= 0, F.element_at(arr, level + 1)).otherwise(F.lit(0.0))


def score(compared: DataFrame, model: fs.Model, tf: dict[str, DataFrame]) -> DataFrame:
    """Add `w_<field>` per comparison, `match_weight` and `probability` (Spark expressions)."""
    weights = model.weights()
    prior_w = math.log2(model.prior / (1 - model.prior))
    out = compared
    for field, table in sorted(tf.items()):
        out = out.join(F.broadcast(table), f"tf_{field}", "left")
    total = F.lit(prior_w)
    for k, comp in enumerate(model.comparisons):
        level = F.col(f"lvl_{comp.name}")
        w = _lookup(weights[k], level)
        if comp.name in tf:
            m0 = model.m[k][0]
            freq = F.col(f"tfreq_{comp.name}")
            adjusted = F.log2(F.lit(m0) / F.greatest(freq, F.lit(1e-9)))
            # Never let a rare value weigh more than an exact ID would, nor below the plain
            # weight's floor of "agreement is evidence".
            adjusted = F.least(F.greatest(adjusted, F.lit(0.0)), F.lit(max(weights[k][0], 0) * 2))
            w = F.when((level == 0) & freq.isNotNull(), adjusted).otherwise(w)
        out = out.withColumn(f"w_{comp.name}", w)
        total = total + F.col(f"w_{comp.name}")
    out = out.withColumn("match_weight", total)
    return out.withColumn("probability", 1 / (1 + F.pow(F.lit(2.0), -F.col("match_weight"))))


def band(probability: Column, config: LinkConfig) -> Column:
    t = config.thresholds
    return (
        F.when(probability >= t.match, "match")
        .when(probability >= t.possible, "possible")
        .otherwise("non_match")
    )


def require_agreement(scored: DataFrame, model: fs.Model, config: LinkConfig) -> DataFrame:
    """A match needs some agreement on each `match_requires` field: a pair whose name is in
    conflict (or missing) stays a possible match however strong the rest. Fields shared by a
    household — phone, address — would otherwise make two family members one person, since
    the model takes the fields as independent evidence. `capped_by` lists the fields."""
    levels = {c.name: c.levels for c in model.comparisons}
    failing = [
        F.when(
            (F.col(f"lvl_{f}") < 0) | (F.col(f"lvl_{f}") == len(levels[f]) - 1), F.lit(f)
        )
        for f in config.match_requires
        if f in levels
    ]
    capped = F.filter(F.array(*failing), lambda x: x.isNotNull()) if failing else F.array()
    out = scored.withColumn("capped_by", capped.cast("array<string>"))
    return out.withColumn(
        "band",
        F.when((F.col("band") == "match") & (F.size("capped_by") > 0), F.lit("possible"))
        .otherwise(F.col("band")),
    )


def best_per_right(scored: DataFrame, config: LinkConfig) -> DataFrame:
    """Keep each right record's best candidate; a close second in the same band makes it a
    possible match (someone must look), never a silent pick."""
    if config.one_to_one != "right":
        return scored.withColumn("runner_up", F.lit(None).cast("double"))
    w = Window.partitionBy("r_key").orderBy(F.desc("match_weight"), F.asc("l_key"))
    ranked = scored.withColumn("_rank", F.row_number().over(w)).withColumn(
        "runner_up", F.lead("probability").over(w)
    )
    return ranked.where(F.col("_rank") == 1).drop("_rank")
