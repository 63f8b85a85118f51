"""A contribution: one registry record that adds to one household fact, with where it came from.

Shared by `build` and the other parts of the household stage (`income`, `property`, `identity`,
`marriage`), so that every part writes the same columns the flag stage reads.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.standardize.spark import fast_id18

DECIMAL = "decimal(20,2)"

CONTRIBUTION_COLUMNS = (
    "household_id",
    "person_key",
    "fact",
    "item",
    "amount",
    "source",
    "record_key",
    "as_of",
    "file",
    "row",
    "detail",
    "link_method",
    "link_score",
    "link_evidence",
)


def contribution(df: DataFrame, fact: str, item: Column, amount: Column, detail: Column) -> DataFrame:
    """Rows of a linked registry frame as contributions to `fact` (CONTRIBUTION_COLUMNS).

    `df` is a clean extract joined to its accepted links (household_id, person_key, method,
    score, evidence); `detail` is a struct shown to the reviewer as JSON."""
    return df.select(
        "household_id",
        "person_key",
        F.lit(fact).alias("fact"),
        item.cast("string").alias("item"),
        amount.cast(DECIMAL).alias("amount"),
        F.col("_source").alias("source"),
        F.col("record_key"),
        F.col("_as_of").alias("as_of"),
        F.col("_file").alias("file"),
        F.col("_row").alias("row"),
        F.to_json(detail).alias("detail"),
        F.col("method").alias("link_method"),
        F.col("score").alias("link_score"),
        F.col("evidence").alias("link_evidence"),
    )


def detail_field(name: str, cast: str | None = None) -> Column:
    """One field of a contribution's detail JSON (null when the record had none)."""
    value = F.get_json_object(F.col("detail"), f"$.{name}")
    return value.cast(cast) if cast else value


def dibao_enrolment(roster: DataFrame) -> Column:
    """A roster row of the 低保 programme (other programmes, 特困 for one, count only as a
    member's other enrolment); a roster without the column holds 低保 only."""
    if "programme" not in roster.columns:
        return F.lit(True)
    return F.coalesce(F.col("programme"), F.lit("dibao")) == "dibao"


def deceased_ids(hukou: DataFrame | None, cremation: DataFrame | None, end) -> DataFrame | None:
    """_id18, death_source: the standardized ID of everyone dead by `end` (a date), by 户籍
    status (dated by then, or undated) or a cremation record; anyone, on the roster or not."""
    by = F.lit(end)
    parts = []
    if hukou is not None and "id_number" in hukou.columns:
        dead = hukou.where(
            (F.col("status") == "deceased") & (F.col("status_date").isNull() | (F.col("status_date") <= by))
        )
        parts.append(dead.select(fast_id18(F.col("id_number")).alias("_id18"), F.lit("hukou").alias("death_source")))
    if cremation is not None and "id_number" in cremation.columns:
        cremated = cremation.where(F.col("death_date") <= by)
        parts.append(cremated.select(fast_id18(F.col("id_number")).alias("_id18"),
                                     F.lit("cremation").alias("death_source")))
    if not parts:
        return None
    return (
        reduce(DataFrame.unionByName, parts).where(F.col("_id18").isNotNull())
        .groupBy("_id18").agg(F.min("death_source").alias("death_source"))
        .localCheckpoint()  # few rows, read by the property and the marriage parts
    )
