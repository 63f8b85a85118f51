"""Validate: raw text rows → typed clean rows, or quarantine with the column, reason and raw value.

Pure DataFrame → DataFrame functions; the stage runner does the reading and writing.
Reason codes are stable: MISSING_REQUIRED, BAD_INT, BAD_DECIMAL, BAD_DATE, BAD_MONTH,
UNKNOWN_CODE, DUPLICATE_ROW, DUPLICATE_KEY (plus the reading reasons of sources.files).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipelines.schemas import Schema
from pipelines.standardize.spark import parse_date_col

DECIMAL = "decimal(20,2)"
QUARANTINE_COLUMNS = ("source", "as_of", "file", "row", "column", "reason", "raw_value")


def _blank_to_null(raw: Column) -> Column:
    text = F.trim(raw)
    return F.when(text == "", F.lit(None)).otherwise(text)


def _month(text: Column) -> Column:
    pattern = r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?$"
    year = F.regexp_extract(text, pattern, 1)
    mon = F.regexp_extract(text, pattern, 2)
    ok = (year != "") & (mon.try_cast("int").between(1, 12))
    return F.when(ok, F.concat_ws("-", year, F.lpad(mon, 2, "0")))


def _typed_value(col: Column, text: Column) -> tuple[Column, str | None]:
    """The typed value of one column's text, and the reason code when it does not convert."""
    if col.type == "int":
        return text.try_cast("bigint"), "BAD_INT"
    if col.type == "decimal":
        return F.regexp_replace(text, r"[,，¥￥\s]", "").try_cast(DECIMAL), "BAD_DECIMAL"
    if col.type == "date":
        return parse_date_col(text), "BAD_DATE"
    if col.type == "month":
        return _month(text), "BAD_MONTH"
    if col.type == "code":
        pairs = [F.lit(x) for k, v in sorted(col.codes.items()) for x in (k, v)]
        canonical = F.when(text.isin(sorted(set(col.codes.values()))), text)
        return F.coalesce(F.create_map(*pairs)[text], canonical), "UNKNOWN_CODE"
    return text, None


def typed(raw: DataFrame, schema: Schema) -> DataFrame:
    """Typed values beside the raw text (`_raw_<name>`) and the list of problems per row.

    Two projections, so that each typed value (a date parse is a large expression) is
    computed once and the problem checks read the computed column.
    """
    meta = [F.col(m) for m in ("_source", "_as_of", "_file", "_row")]
    first = raw.select(
        *[F.col(c.name).alias(f"_raw_{c.name}") for c in schema.columns],
        *[_typed_value(c, _blank_to_null(F.col(c.name)))[0].alias(c.name) for c in schema.columns],
        record_key(schema).alias("record_key"),
        *meta,
    )
    problems = []
    for col in schema.columns:
        text = _blank_to_null(F.col(f"_raw_{col.name}"))
        _, reason = _typed_value(col, text)
        problem_reason = F.lit(None).cast("string")
        if reason is not None:
            problem_reason = F.when(text.isNotNull() & F.col(col.name).isNull(), F.lit(reason))
        if col.required:
            problem_reason = F.coalesce(problem_reason, F.when(text.isNull(), F.lit("MISSING_REQUIRED")))
        problems.append(
            F.when(
                problem_reason.isNotNull(),
                F.struct(
                    F.lit(col.name).alias("column"),
                    problem_reason.alias("reason"),
                    F.col(f"_raw_{col.name}").alias("raw_value"),
                ),
            )
        )
    return first.select(
        *[F.col(c.name) for c in schema.columns],
        "record_key",
        F.sha2(F.to_json(F.struct(*[F.col(f"_raw_{c.name}") for c in schema.columns])), 256).alias("_content"),
        *meta,
        F.filter(F.array(*problems), lambda p: p.isNotNull()).alias("_problems"),
    )


def record_key(schema: Schema) -> Column:
    return F.concat_ws("|", *[F.coalesce(F.trim(F.col(k)), F.lit("")) for k in schema.key])


def split(raw: DataFrame, schema: Schema) -> tuple[DataFrame, DataFrame]:
    """Typed clean rows and quarantined rows (one row per bad input row, its first problem)."""
    checked = typed(raw, schema)
    bad = checked.where(F.size("_problems") > 0)
    good = checked.where(F.size("_problems") == 0)
    window = Window.partitionBy("record_key").orderBy("_file", "_row")
    ranked = good.withColumn("_rank", F.row_number().over(window)).withColumn(
        "_first_content", F.first("_content").over(window)
    )
    dupes = ranked.where(F.col("_rank") > 1).withColumn(
        "_problems",
        F.array(
            F.struct(
                F.lit("|".join(schema.key)).alias("column"),
                F.when(F.col("_content") == F.col("_first_content"), F.lit("DUPLICATE_ROW"))
                .otherwise(F.lit("DUPLICATE_KEY"))
                .alias("reason"),
                F.col("record_key").alias("raw_value"),
            )
        ),
    )
    clean = ranked.where(F.col("_rank") == 1).drop("_rank", "_first_content", "_content", "_problems")
    quarantine = (
        bad.drop("_content")
        .unionByName(dupes.drop("_rank", "_first_content", "_content"))
        .select(
            F.col("_source").alias("source"),
            F.col("_as_of").alias("as_of"),
            F.col("_file").alias("file"),
            F.col("_row").alias("row"),
            F.col("_problems")[0]["column"].alias("column"),
            F.col("_problems")[0]["reason"].alias("reason"),
            F.col("_problems")[0]["raw_value"].alias("raw_value"),
        )
    )
    return clean, quarantine
