"""Deterministic pass: a checksum-valid ID equal on both sides, with names compatible.

IDs equal but names in conflict is not a match: it becomes a `clerical` link for a person to
verify, and no household fact is built on it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.schemas import Schema
from pipelines.standardize.spark import name_agreement_udf, with_standard_id

LINK_COLUMNS = (
    "person_key",
    "household_id",
    "source",
    "source_record_key",
    "method",
    "score",
    "evidence",
)


def roster_people(roster: DataFrame) -> DataFrame:
    """Roster members with their person key `<household_id>-<member_no>` and standardized ID."""
    people = roster.select(
        F.concat_ws("-", "household_id", F.lpad(F.col("member_no").cast("string"), 2, "0")).alias(
            "person_key"
        ),
        "household_id",
        F.col("id_number").alias("id_raw"),
        F.col("name").alias("name_raw"),
    )
    return with_standard_id(people, "id_raw")


def source_people(clean: DataFrame, schema: Schema) -> DataFrame:
    """A registry's records as people: record key, raw ID and name, standardized ID."""
    name = F.col(schema.person_name) if schema.person_name else F.lit(None).cast("string")
    people = clean.select(
        F.lit(schema.source).alias("source"),
        F.col("record_key").alias("source_record_key"),
        F.col(schema.person_id).alias("id_raw"),
        name.alias("name_raw"),
    )
    return with_standard_id(people, "id_raw")


def link_by_id(roster: DataFrame, records: DataFrame) -> DataFrame:
    """Links `(person_key, household_id, source, source_record_key, method, score, evidence)`."""
    left = roster.where("id_valid").select(
        "person_key", "household_id", "id18", F.col("name_raw").alias("roster_name")
    )
    right = records.where("id_valid").select(
        "source",
        "source_record_key",
        "id18",
        F.col("id_raw").alias("record_id_raw"),
        F.col("id_from_15").alias("record_id_from_15"),
        F.col("name_raw").alias("record_name"),
    )
    pairs = left.join(right, "id18").withColumn(
        "name_agreement", name_agreement_udf(F.col("roster_name"), F.col("record_name"))
    )
    method = F.when(F.col("name_agreement") == "conflict", F.lit("clerical")).otherwise(
        F.lit("id_exact")
    )
    score = F.when(F.col("name_agreement") == "conflict", F.lit(0.5)).otherwise(F.lit(1.0))
    evidence = F.to_json(
        F.struct(
            F.struct(
                F.lit("equal_checksum_valid").alias("comparison"),
                F.col("record_id_from_15").alias("record_converted_from_15"),
            ).alias("id"),
            F.struct(F.col("name_agreement").alias("agreement")).alias("name"),
        )
    )
    return pairs.select(
        "person_key",
        "household_id",
        "source",
        "source_record_key",
        method.alias("method"),
        score.alias("score"),
        evidence.alias("evidence"),
    )
