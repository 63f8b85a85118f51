"""Every registry linked to the roster people with one configuration (chongqing_person).

The registries' records are pooled into one table of people (each registry's identifying
columns mapped to the roles of its schema's `person:` block) and linked in one run of both
passes: one EM fit on the pooled comparison patterns is steadier than one per registry, where
a small registry (cremation, custody) has too few pairs to estimate from, and one Spark job
per stage costs far less than one per registry.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.link import fellegi_sunter as fs
from pipelines.link.config import LinkConfig
from pipelines.link.linker import link_tables
from pipelines.schemas import PERSON_ROLES, Schema
from pipelines.standardize.spark import fast_id18

SEP = "\u0001"  # between source and record key in the pooled right table
LINK_COLUMNS = (
    "person_key",
    "household_id",
    "source",
    "source_record_key",
    "method",
    "score",
    "evidence",
)


def person_key() -> Column:
    """A roster member's key: `<household_id>-<member_no, two digits>` (e.g. DB…-02)."""
    return F.concat_ws("-", "household_id", F.lpad(F.col("member_no").cast("string"), 2, "0"))


def roster_people(roster: DataFrame, hukou: DataFrame | None = None) -> DataFrame:
    """Roster members as the left table: `person_key` = `<household_id>-<member_no>`, with the
    former names public security holds for the same ID (曾用名) when the hukou extract has them."""
    cols = set(roster.columns)
    people = roster.select(
        person_key().alias(
            "person_key"
        ),
        "household_id",
        F.col("id_number").cast("string").alias("id_number"),
        F.col("name").cast("string").alias("name"),
        *[
            (F.col(c).cast("string") if c in cols else F.lit(None).cast("string")).alias(c)
            for c in ("phone", "address")
        ],
    )
    if hukou is None or "former_name" not in hukou.columns:
        return people.withColumn("former_name", F.lit(None).cast("string"))
    former = (
        hukou.where(F.col("former_name").isNotNull())
        .select(fast_id18(F.col("id_number")).alias("_id18"), "former_name")
        .where(F.col("_id18").isNotNull())
        .groupBy("_id18")
        .agg(F.concat_ws("、", F.array_sort(F.collect_set("former_name"))).alias("former_name"))
    )
    return (
        people.withColumn("_id18", fast_id18(F.col("id_number")))
        .join(former, "_id18", "left")
        .drop("_id18")
    )


def registry_records(clean: dict[str, DataFrame], schemas: dict[str, Schema]) -> DataFrame:
    """Every registry's records as one table of people: `record_id` (`<source>` SEP
    `<record_key>`) and one column per identifying role (null where the registry lacks it)."""
    parts = []
    for source in sorted(clean):
        roles = schemas[source].person
        parts.append(
            clean[source].select(
                F.concat_ws(SEP, F.lit(source), F.col("record_key")).alias("record_id"),
                *[
                    (F.col(roles[r]).cast("string") if r in roles else F.lit(None).cast("string"))
                    .alias(r)
                    for r in PERSON_ROLES
                ],
            )
        )
    return reduce(DataFrame.unionByName, parts)


def registry_config(config: LinkConfig) -> LinkConfig:
    """The configuration with the role columns of `registry_records` on the right side."""
    columns = {name: (name if name in PERSON_ROLES else None) for name in config.fields}
    return config.with_columns("right", columns, key="record_id")


def link_registries(
    people: DataFrame,
    clean: dict[str, DataFrame],
    schemas: dict[str, Schema],
    config: LinkConfig,
    left_prepared: DataFrame | None = None,
) -> tuple[DataFrame, fs.Model, dict]:
    """Links `LINK_COLUMNS` of every registry record to roster people, the model, and counts.

    All registries go through each pass together: one hash join on IDs, one preparation of
    the records left over, one EM fit on the pooled comparison patterns."""
    cfg = registry_config(config)
    records = registry_records(clean, schemas)
    result = link_tables(people, records, cfg, left_prepared)
    split = F.split(F.col("r_key"), SEP, 2)
    households = people.select(F.col("person_key").alias("l_key"), "household_id")
    out = result.links.join(households, "l_key").select(
        F.col("l_key").alias("person_key"),
        "household_id",
        split.getItem(0).alias("source"),
        split.getItem(1).alias("source_record_key"),
        "method",
        F.col("probability").alias("score"),
        "evidence",
        "band",
        "match_weight",
    )
    return out, result.model, result.stats
