"""Validate: raw text rows → typed rows with their problems → clean rows + quarantined rows.

Pure DataFrame → DataFrame functions; the stage runner does the reading and writing.
Reason codes are stable: MISSING_REQUIRED, BAD_INT, BAD_DECIMAL, BAD_DATE, BAD_MONTH,
UNKNOWN_CODE, the row checks of the schema (DATE_OUT_OF_RANGE, NEGATIVE_AMOUNT, OUT_OF_RANGE,
UNKNOWN_REGION), FIELD_TOO_LONG, UNSAFE_ID, DUPLICATE_ROW, DUPLICATE_KEY, plus the reading
reasons of `sources`.

UNSAFE_ID: a value of a key column, or of an id column that names files (ID_COLUMNS), that is
not printable, bounded text: a control, format or line-separator character (\\x1b, a tab, a
zero-width space, a BOM), a path separator (`/`, `\\`), `..`, a leading `.`, or more than
MAX_ID_CHARS characters. Such a value becomes a record key, a file name, a URL and a
spreadsheet cell downstream, so its row is quarantined rather than cleaned. Only string key and
id columns are checked, because other columns (a 户号, a certificate number outside the key)
may legitimately hold a slash and their rows hold facts the checks need; a registry whose
keys themselves hold `/` would see those rows quarantined, counted in the manifest, and its
key must then be re-encoded at ingest.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipelines.schemas import Check, Schema
from pipelines.standardize.counties import CHONGQING, RETIRED
from pipelines.standardize.dates import MAX_DATE, MIN_DATE
from pipelines.standardize.spark import id_valid_col, parse_date_col

DECIMAL = "decimal(20,2)"
MAX_FIELD_CHARS = 4000  # no registry field is longer; a longer one is a broken extract
SHOWN_CHARS = 500  # a quarantined raw value is kept up to this length, with its full length
MAX_ID_CHARS = 64  # the longest key of any registry (a 不动产权证号) is under 30
# id-like columns outside the key whose values name files (a household's case file)
ID_COLUMNS = ("household_id",)
# Java regex: control, format, surrogate, line and paragraph separator characters; a path
# separator; a `..`; a leading `.`
UNSAFE_ID_PATTERN = r"[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}/\\]|\.\.|^\."
UNSAFE_ID = "UNSAFE_ID"
QUARANTINE_COLUMNS = ("source", "as_of", "file", "row", "column", "reason", "raw_value")
META = ("_source", "_as_of", "_file", "_row")


# blanks cut from both ends of every value: spaces, tabs (spreadsheets export an ID as text with a
# leading tab), line ends, no-break and ideographic spaces
BLANKS = " \t\r\n\u00a0\u3000"


def _blank_to_null(raw: Column) -> Column:
    text = F.btrim(raw, F.lit(BLANKS))
    return F.when(text == "", F.lit(None)).otherwise(text)


def _month(text: Column) -> Column:
    pattern = r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?$"
    year = F.regexp_extract(text, pattern, 1)
    mon = F.regexp_extract(text, pattern, 2)
    ok = (year != "") & (mon.try_cast("int").between(1, 12))
    return F.when(ok, F.concat_ws("-", year, F.lpad(mon, 2, "0")))


# the reason code of a value that does not convert to its column's type
TYPE_REASONS = {
    "int": "BAD_INT",
    "decimal": "BAD_DECIMAL",
    "date": "BAD_DATE",
    "month": "BAD_MONTH",
    "code": "UNKNOWN_CODE",
}


def _typed_value(col, text: Column) -> Column:
    """The typed value of one column's text (null when it does not convert)."""
    if col.type == "int":
        return F.regexp_replace(text, r"\.0+$", "").try_cast("bigint")
    if col.type == "decimal":
        return F.regexp_replace(text, r"[,，¥￥\s]", "").try_cast(DECIMAL)
    if col.type == "date":
        return _date(text)
    if col.type == "month":
        return _month(text)
    if col.type == "code":
        pairs = [F.lit(x) for k, v in sorted(col.codes.items()) for x in (k, v)]
        canonical = F.when(text.isin(sorted(set(col.codes.values()))), text)
        return F.coalesce(F.create_map(*pairs)[text], canonical)
    return text


def _shown(raw: Column) -> Column:
    """The raw value as kept in quarantine: long values cut, with their length."""
    cut = F.concat(F.substring(raw, 1, SHOWN_CHARS), F.lit("…("), F.length(raw).cast("string"), F.lit(" chars)"))
    return F.when(F.length(raw) > SHOWN_CHARS, cut).otherwise(raw)


def _date(text: Column) -> Column:
    """Dates: the usual `YYYY-MM-DD` natively, anything else through the full parser."""
    iso = F.try_to_date(text, "yyyy-MM-dd")
    in_range = iso.between(F.lit(MIN_DATE), F.lit(MAX_DATE))
    fast = text.rlike(r"^\d{4}-\d{2}-\d{2}$") & F.coalesce(in_range, F.lit(False))
    return F.when(fast, iso).otherwise(parse_date_col(text))


def _bound(value: object, as_of: dt.date) -> object:
    if value == "as_of":
        return as_of
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def check_failed(check: Check, value: Column, as_of: dt.date) -> Column | None:
    """True where a row check fails on a non-null typed value (None for rate checks)."""
    if check.kind == "non_negative":
        return value < 0
    if check.kind in ("date_range", "in_range"):
        lo, hi = _bound(check.min, as_of), _bound(check.max, as_of)
        cond = F.lit(False)
        if lo is not None:
            cond = cond | (value < F.lit(lo))
        if hi is not None:
            cond = cond | (value > F.lit(hi))
        return cond
    if check.kind == "region_code":
        return ~value.isin(sorted(set(CHONGQING) | set(RETIRED)))
    return None


def id_columns(schema: Schema) -> tuple[str, ...]:
    """The string columns whose values must be safe ids: the key's, then ID_COLUMNS present."""
    names = dict.fromkeys([*schema.key, *(c for c in ID_COLUMNS if c in schema.names)])
    return tuple(n for n in names if schema.column(n).type == "string")


def unsafe_id(text: Column) -> Column:
    """True where a non-null id is not printable, bounded text (see UNSAFE_ID above)."""
    return text.rlike(UNSAFE_ID_PATTERN) | (F.length(text) > MAX_ID_CHARS)


def record_key(schema: Schema) -> Column:
    return F.concat_ws("|", *[F.coalesce(F.trim(F.col(k)), F.lit("")) for k in schema.key])


def check(raw: DataFrame, schema: Schema, as_of: dt.date) -> DataFrame:
    """Typed values, record key, ID validity of the ID columns, and every problem of each row.

    Two projections, so that each typed value (a date parse is a large expression) is computed
    once and the checks read the computed column. `_row_ok` is true when a row has no problem;
    `<column>__id_valid` is the checksum validity of an ID column (null when the ID is empty).
    """
    read_error = [
        (F.col(c) if c in raw.columns else F.lit(None).cast("string")).alias(c)
        for c in ("_read_error", "_read_raw")
    ]
    # A raw copy made before the schema gained an optional column lacks it: it was not in the
    # file, so it is empty (a missing required column stopped the extract at ingest).
    absent = [c.name for c in schema.columns if c.name not in raw.columns]
    if absent:
        raw = raw.select("*", *[F.lit(None).cast("string").alias(c) for c in absent])
    first = raw.select(
        *read_error,
        *[F.col(c.name).alias(f"_raw_{c.name}") for c in schema.columns],
        *[_typed_value(c, _blank_to_null(F.col(c.name))).alias(c.name) for c in schema.columns],
        record_key(schema).alias("record_key"),
        *[F.col(m) for m in META],
    )
    row_checks: dict[str, list[Check]] = {}
    for chk in schema.checks:
        row_checks.setdefault(chk.column, []).append(chk)
    # a line the reader could not split into fields: its reason first, its text as the value
    problems = [
        F.when(
            F.col("_read_error").isNotNull(),
            F.struct(
                F.lit(None).cast("string").alias("column"),
                F.col("_read_error").alias("reason"),
                _shown(F.col("_read_raw")).alias("raw_value"),
            ),
        )
    ]
    ids = id_columns(schema)
    for col in schema.columns:
        text = _blank_to_null(F.col(f"_raw_{col.name}"))
        value = F.col(col.name)
        reason = TYPE_REASONS.get(col.type)
        why = F.lit(None).cast("string")
        if reason is not None:
            why = F.when(text.isNotNull() & value.isNull(), F.lit(reason))
        if col.required:
            why = F.coalesce(why, F.when(text.isNull(), F.lit("MISSING_REQUIRED")))
        if col.name in ids:
            why = F.coalesce(why, F.when(text.isNotNull() & unsafe_id(text), F.lit(UNSAFE_ID)))
        too_long = F.length(F.col(f"_raw_{col.name}")) > MAX_FIELD_CHARS
        why = F.when(too_long, F.lit("FIELD_TOO_LONG")).otherwise(why)
        for chk in row_checks.get(col.name, ()):
            failed = check_failed(chk, value, as_of)
            if failed is not None:
                why = F.coalesce(why, F.when(value.isNotNull() & failed, F.lit(chk.reason)))
        problems.append(
            F.when(
                why.isNotNull(),
                F.struct(
                    F.lit(col.name).alias("column"),
                    why.alias("reason"),
                    _shown(F.col(f"_raw_{col.name}")).alias("raw_value"),
                ),
            )
        )
    checked = first.select(
        *[F.col(c.name) for c in schema.columns],
        "record_key",
        F.xxhash64(*[F.col(f"_raw_{c.name}") for c in schema.columns]).alias("_content"),
        *[F.col(m) for m in META],
        F.coalesce(*problems).isNull().alias("_row_ok"),
        # the list of problems (a higher-order function, slow per row) only for bad rows
        F.when(
            F.coalesce(*problems).isNotNull(),
            F.filter(F.array(*problems), lambda p: p.isNotNull()),
        ).alias("_problems"),
    )
    return with_id_validity(checked, schema)


def id_valid_column(id_column: str) -> str:
    return f"{id_column}__id_valid"


def with_id_validity(df: DataFrame, schema: Schema) -> DataFrame:
    """`df` plus `<column>__id_valid` for each id_checksum check: whether the ID passes the
    standardizer (checksum, dates, region), null where the ID itself is empty so that the
    gate's rate counts non-empty IDs only."""
    valid = {
        id_valid_column(chk.column): F.when(F.col(chk.column).isNotNull(), id_valid_col(chk.column))
        for chk in schema.checks
        if chk.kind == "id_checksum"
    }
    return df.withColumns(valid) if valid else df


def split(checked: DataFrame, schema: Schema) -> tuple[DataFrame, DataFrame]:
    """Clean rows (the first of each key) and quarantined rows (one per bad row, first problem)."""
    bad = checked.where(~F.col("_row_ok"))
    good = checked.where(F.col("_row_ok"))
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
    helper = [c for c in checked.columns if c.endswith("__id_valid")] + ["_row_ok"]
    clean = ranked.where(F.col("_rank") == 1).drop(
        "_rank", "_first_content", "_content", "_problems", *helper
    )
    quarantine = (
        bad.select("_source", "_as_of", "_file", "_row", "_problems")
        .unionByName(dupes.select("_source", "_as_of", "_file", "_row", "_problems"))
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
