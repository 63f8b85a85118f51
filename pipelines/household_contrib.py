"""A contribution: one registry record that adds to one household fact, with where it came from.

Shared by household.py and its parts (household_income.py, household_property.py), so that
every part writes the same columns the flag stage reads.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

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
