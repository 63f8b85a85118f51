"""Spark column versions of the standardisers, native for IDs and dates, Arrow UDFs for the rest.

Each function mirrors its pure counterpart exactly (tests compare them value by value), so a
record cleaned in pandas and the same record cleaned in Spark get the same ID, date and reason.
"""

from __future__ import annotations

import functools
import itertools
import json
import unicodedata
from collections.abc import Callable

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegralType,
    StringType,
    TimestampNTZType,
    TimestampType,
)

from pipelines.spark import pandas_udf
from pipelines.standardize import dates, ids, names

# Arrow UDF forms of phones, addresses, regions, name structure and the 18-digit ID,
# re-exported from here.
from pipelines.standardize.spark_udfs import ADDRESS_COLUMNS as ADDRESS_COLUMNS
from pipelines.standardize.spark_udfs import NAME_PARTS_COLUMNS as NAME_PARTS_COLUMNS
from pipelines.standardize.spark_udfs import PHONE_COLUMNS as PHONE_COLUMNS
from pipelines.standardize.spark_udfs import REGION_COLUMNS as REGION_COLUMNS
from pipelines.standardize.spark_udfs import address_struct as address_struct
from pipelines.standardize.spark_udfs import fast_id18 as fast_id18
from pipelines.standardize.spark_udfs import former_names_udf as former_names_udf
from pipelines.standardize.spark_udfs import name_parts_udf as name_parts_udf
from pipelines.standardize.spark_udfs import phone_struct as phone_struct
from pipelines.standardize.spark_udfs import pinyin_tokens_udf as pinyin_tokens_udf
from pipelines.standardize.spark_udfs import region_struct as region_struct
from pipelines.standardize.spark_udfs import variant_key_udf as variant_key_udf

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
# Characters the parsers care about; NFKC is reproduced only for characters that fold into
# these, because anything else is rejected identically whether folded or not.
_FOLD_ALPHABET = frozenset(
    [chr(i) for i in range(0x20, 0x7F)] + list(ids.WHITESPACE + ids.DASHES + "年月日号")
)


def _java_class(chars: str) -> str:
    """A Java regex character class matching exactly `chars`."""
    return "[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in chars) + "]"


_WS_CLASS = _java_class(ids.WHITESPACE)
_ID_STRIP_CLASS = _java_class(ids.WHITESPACE + ids.DASHES)


@functools.cache
def nfkc_fold_table() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Non-ASCII characters whose NFKC form is made only of parser-relevant characters."""
    keys, values = [], []
    for cp in range(0x80, 0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch)
        if folded != ch and folded and set(folded) <= _FOLD_ALPHABET:
            keys.append(ch)
            values.append(folded)
    return tuple(keys), tuple(values)


@functools.cache
def _fold_table_json() -> str:
    return json.dumps(dict(zip(*nfkc_fold_table(), strict=True)))


def _as_col(col: Column | str) -> Column:
    return F.col(col) if isinstance(col, str) else col


def nfkc_fold(col: Column) -> Column:
    """NFKC for the characters that matter to IDs and dates; ASCII rows pass untouched."""
    # One JSON literal, folded to a map constant by the optimiser: a map built from 1,400
    # lit() columns costs a py4j round trip each and a second per call.
    table = F.from_json(F.lit(_fold_table_json()), "map<string,string>")
    # '(?s).' yields whole code points, so astral characters (𝟎) fold as one.
    chars = F.regexp_extract_all(col, F.lit("(?s)."), 0)
    folded = F.array_join(
        F.transform(chars, lambda c: F.coalesce(F.try_element_at(table, c), c)), ""
    )
    return F.when(col.rlike("[^\\x00-\\x7F]"), folded).otherwise(col)


def _ascii_upper(col: Column) -> Column:
    return F.translate(col, _LOWER, _UPPER)


def _safe_date(y: Column, m: Column, d: Column) -> Column:
    """make_date that yields null, not an ANSI error, for impossible dates (year 1..9999)."""
    ok_ym = (y >= 1) & (y <= 9999) & (m >= 1) & (m <= 12)
    first = F.make_date(F.when(ok_ym, y).otherwise(2000), F.when(ok_ym, m).otherwise(1), F.lit(1))
    ok = ok_ym & (d >= 1) & (d <= F.dayofmonth(F.last_day(first)))
    return F.when(ok, F.date_add(first, d - 1))


def _date_lit(value) -> Column:
    return F.lit(value.isoformat()).cast("date")


# ------------------------------------------------------------------------------ binding
# Each standardiser is a list of named steps, each step a column over the earlier ones. Inlining
# them would copy every earlier step into every later reference (the ID checksum alone reads
# the cleaned text 51 times), which exhausts the driver's heap when the plan is built. So each
# step is bound once: as a temporary column of a DataFrame (fast, code-generated), or, for a
# plain Column API, through a one-element transform() acting as a "let".

Env = dict[str, Column]
Step = tuple[str, Callable[[Env], Column]]
Finish = Callable[[Env], dict[str, Column]]
_TMP = itertools.count()


def _let(steps: list[Step], finish: Finish, env: Env | None = None) -> Column:
    """A struct of finish(env) with every step evaluated once per row."""
    env = env or {}
    if not steps:
        return F.struct(*[value.alias(name) for name, value in finish(env).items()])
    (name, step), rest = steps[0], steps[1:]
    bound = F.transform(F.array(step(env)), lambda v: _let(rest, finish, {**env, name: v}))
    return F.element_at(bound, 1)


def _staged(df: DataFrame, steps: list[Step], finish: Finish, prefix: str) -> DataFrame:
    """`df` with finish(env) added (names prefixed), each step a temporary column."""
    tag = f"__standardize_{next(_TMP)}_"
    env: Env = {}
    for name, step in steps:
        df = df.withColumn(tag + name, step(env))
        env[name] = F.col(tag + name)
    added = {prefix + name: value for name, value in finish(env).items()}
    return df.withColumns(added).drop(*(tag + name for name, _ in steps))


# ---------------------------------------------------------------------------------- IDs

ID_COLUMNS = (
    "id18",
    "id_valid",
    "id_reason",
    "id_birth_date",
    "id_sex",
    "id_region_code",
    "id_from_15",
)


def _id_source(col: Column, dtype: DataType | None) -> tuple[Column, Column]:
    """(text, forced reason) as ids._coerce produces them for a value of this Spark type."""
    none = F.lit(None).cast("string")
    if dtype is None or isinstance(dtype, StringType):
        return col, none
    if isinstance(dtype, BooleanType):
        return none, F.when(col.isNotNull(), F.lit("bad_chars"))
    if isinstance(dtype, IntegralType):
        return col.cast("string"), F.when(col < 0, F.lit("bad_chars"))
    if isinstance(dtype, FloatType | DoubleType | DecimalType):
        # A double→long cast is exact (Python's int(float)); a decimal cast would round.
        whole = col.try_cast("decimal(38,0)" if isinstance(dtype, DecimalType) else "long")
        text = whole.cast("string")
        nan = F.isnan(col) if not isinstance(dtype, DecimalType) else F.lit(False)
        bad = whole.isNull() | (col < 0) | (whole != col) | ~F.length(text).isin(15, 18)
        return text, F.when(nan, F.lit("missing")).when(col.isNotNull() & bad, F.lit("bad_chars"))
    return col.cast("string"), none


def _clean_id(text: Column) -> Column:
    return _ascii_upper(F.regexp_replace(nfkc_fold(text), _ID_STRIP_CLASS, ""))


def _id_first17(s: Column) -> Column:
    n = F.length(s)
    pre = F.concat(F.substring(s, 1, 6), F.lit("19"), F.substring(s, 7, 9))
    return F.when(n == 15, pre).otherwise(F.substring(s, 1, 17))


def _id_check(first17: Column) -> Column:
    # ascii() never fails, unlike a cast, so garbage rows cost nothing and raise nothing.
    total = sum(
        (F.ascii(F.substring(first17, i + 1, 1)) - 48) * w for i, w in enumerate(ids.WEIGHTS)
    )
    chars = F.array(*[F.lit(c) for c in ids.CHECK_CHARS])
    return F.try_element_at(chars, (F.pmod(total, F.lit(11)) + 1).cast("int"))


def _id18(e: Env) -> Column:
    """The 18-character candidate: a 15-digit ID gets its century and check character."""
    converted = F.concat(e["first17"], e["check"])
    return F.when(F.length(e["s"]) == 15, converted).otherwise(e["s"])


def _id_born(id18: Column) -> Column:
    born = _safe_date(
        *(F.substring(id18, p, k).try_cast("int") for p, k in ((7, 4), (11, 2), (13, 2)))
    )
    return F.when(born.between(_date_lit(ids.MIN_BIRTH_DATE), _date_lit(ids.MAX_BIRTH_DATE)), born)


def _id_reason(e: Env) -> Column:
    s, n = e["s"], F.length(e["s"])
    return (
        F.when(e["forced"].isNotNull(), e["forced"])
        .when(s.isNull() | (s == "") | s.isin(*sorted(ids.NULL_TOKENS)), F.lit("missing"))
        .when(~s.rlike("^[0-9X]+$"), F.lit("bad_chars"))
        .when(~n.isin(15, 18), F.lit("bad_length"))
        .when((n == 15) & ~s.rlike("^[0-9]+$"), F.lit("bad_chars"))
        .when(F.substring(s, 1, 17).contains("X"), F.lit("bad_chars"))
        .when((n == 18) & (F.substring(s, 18, 1) != e["check"]), F.lit("bad_checksum"))
        .when(e["born"].isNull(), F.lit("bad_birth_date"))
        .when(~F.substring(s, 1, 2).isin(*sorted(ids.PROVINCE_CODES)), F.lit("bad_area"))
    )


def _id_steps(col: Column, dtype: DataType | None) -> list[Step]:
    return [
        ("src", lambda e: col),
        ("text", lambda e: _id_source(e["src"], dtype)[0]),
        ("forced", lambda e: _id_source(e["src"], dtype)[1]),
        ("s", lambda e: _clean_id(e["text"])),
        ("first17", lambda e: _id_first17(e["s"])),
        ("check", lambda e: _id_check(e["first17"])),
        ("id18", _id18),
        ("born", lambda e: _id_born(e["id18"])),
        ("reason", _id_reason),
    ]


def _id_finish(e: Env) -> dict[str, Column]:
    valid = e["reason"].isNull()
    id18 = e["id18"]
    odd = (F.ascii(F.substring(id18, 17, 1)) - 48) % 2 == 1
    from_15 = e["forced"].isNull() & e["s"].rlike("^[0-9]{15}$")
    return {
        "id18": F.when(valid, id18),
        "id_valid": valid,
        "id_reason": e["reason"],
        "id_birth_date": F.when(valid, e["born"]),
        "id_sex": F.when(valid, F.when(odd, F.lit("male")).otherwise(F.lit("female"))),
        "id_region_code": F.when(valid, F.substring(id18, 1, 6)),
        "id_from_15": F.coalesce(from_15, F.lit(False)),
    }


def id_struct(col: Column | str, dtype: DataType | None = None) -> Column:
    """A struct of ID_COLUMNS as ids.standardize_id computes them; `dtype` is the column's type."""
    return _let(_id_steps(_as_col(col), dtype), _id_finish)


def id_columns(col: Column | str, dtype: DataType | None = None) -> dict[str, Column]:
    """ID_COLUMNS as separate columns; each recomputes id_struct, so for several of them select
    id_struct once (then "alias.*") or use with_standard_id."""
    struct = id_struct(col, dtype)
    return {name: struct.getField(name) for name in ID_COLUMNS}


def id_valid_col(col: Column | str) -> Column:
    """Whether an ID is valid (ids.standardize_id(...).valid), for one column of strings.

    Nearly every ID in a registry is 18 plain ASCII characters: those are checked natively
    (checksum, birth date, province) in a few expressions; only the others go through the
    full standardizer, whose Unicode folding is far more costly per row.
    """
    raw = _as_col(col).cast("string")
    plain = raw.rlike(r"^[0-9]{17}[0-9Xx]$")
    s = F.upper(raw)
    born = F.try_to_date(F.substring(s, 7, 8), "yyyyMMdd")
    fast = (
        (_id_check(F.substring(s, 1, 17)) == F.substring(s, 18, 1))
        & F.coalesce(born.between(_date_lit(ids.MIN_BIRTH_DATE), _date_lit(ids.MAX_BIRTH_DATE)), F.lit(False))
        & F.substring(s, 1, 2).isin(sorted(ids.PROVINCE_CODES))
    )
    return F.when(plain, fast).otherwise(id_struct(raw).getField("id_valid"))


def with_standard_id(df: DataFrame, id_col: str, prefix: str = "") -> DataFrame:
    """Add ID_COLUMNS for `id_col` to `df`, each name prefixed with `prefix`."""
    steps = _id_steps(F.col(id_col), df.schema[id_col].dataType)
    return _staged(df, steps, _id_finish, prefix)


def mask_id_col(col: Column | str) -> Column:
    """ids.mask_id for a column: first 6 and last 4 characters of the cleaned ID kept."""
    steps: list[Step] = [("s", lambda e: _clean_id(_as_col(col).cast("string")))]

    def finish(e: Env) -> dict[str, Column]:
        s, n = e["s"], F.length(e["s"])
        masked = F.concat(F.substring(s, 1, 6), F.repeat(F.lit("*"), n - 10), F.substring(s, -4, 4))
        hidden = (n <= 10) | s.rlike("[^!-~]")
        out = F.when(s.isNull() | (n == 0), F.lit("")).when(hidden, F.lit("****"))
        return {"masked": out.otherwise(masked)}

    return _let(steps, finish).getField("masked")


# -------------------------------------------------------------------------------- dates

DATE_COLUMNS = ("value", "reason", "fmt")


def _date_source(col: Column, dtype: DataType | None) -> tuple[Column, Column]:
    """(text, forced reason) as dates.parse_date sees a value of this Spark type."""
    none = F.lit(None).cast("string")
    if dtype is None or isinstance(dtype, StringType):
        return col, none
    if isinstance(dtype, BooleanType):
        return none, F.when(col.isNotNull(), F.lit("unparseable"))
    if isinstance(dtype, IntegralType):
        return col.cast("string"), none
    if isinstance(dtype, FloatType | DoubleType | DecimalType):
        # Reproduce what parse_date reads from repr(float): the whole part, plus a fraction
        # that only matters as "present"; repr's exponent forms are unparseable.
        x = col.cast("double")
        whole = x.try_cast("long")
        integral = whole.isNotNull() & (whole.cast("double") == x)
        text = F.when(integral & (x < 1e16), whole.cast("string")).when(
            ~integral & (x >= 1e-4) & (x < 1e5), F.concat(whole.cast("string"), F.lit(".5"))
        )
        negative = x.cast("string").startswith("-")  # catches -0.0, which repr spells "-0.0"
        forced = F.when(F.isnan(x), F.lit("missing")).when(
            x.isNotNull() & (negative | text.isNull()), F.lit("unparseable")
        )
        return text, forced
    return col.cast("string"), none


def _clean_date(text: Column) -> Column:
    s = F.translate(nfkc_fold(text), ids.DASHES, "-" * len(ids.DASHES))
    return F.regexp_replace(s, f"^{_WS_CLASS}+|{_WS_CLASS}+$", "")


def _date_kind(s: Column) -> Column:
    """Which pattern a cleaned string follows: missing, ymd8, serial, sep, cn or null."""
    missing = s.isNull() | (s == "") | _ascii_upper(s).isin(*sorted(ids.NULL_TOKENS))
    whole = F.regexp_extract(s, dates.NUMERIC_RE, 1)
    frac = F.regexp_extract(s, dates.NUMERIC_RE, 2)
    numeric = s.rlike(dates.NUMERIC_RE)
    return (
        F.when(missing, F.lit("missing"))
        .when(numeric & (F.length(whole) == 8) & frac.rlike("^0*$"), F.lit("ymd8"))
        .when(numeric & (F.length(whole) <= 5), F.lit("serial"))
        .when(s.rlike(dates.SEP_RE), F.lit("sep"))
        .when(s.rlike(dates.CN_RE), F.lit("cn"))
    )


def _date_parts(e: Env) -> Column:
    """[year, month, day] as ints for the y-m-d kinds; one regex pass, not one per field."""
    s, kind = e["s"], e["kind"]
    ymd8 = F.array(F.substring(s, 1, 4), F.substring(s, 5, 2), F.substring(s, 7, 2))
    # The first three digit runs of a sep/cn match are year, month, day (a time part follows).
    runs = F.slice(F.regexp_extract_all(s, F.lit("[0-9]+"), 0), 1, 3)
    parts = F.when(kind == "ymd8", ymd8).when(kind.isin("sep", "cn"), runs)
    return F.transform(parts, lambda x: x.try_cast("int"))


def _date_candidate(e: Env) -> Column:
    s, kind, parts = e["s"], e["kind"], e["parts"]
    serial = F.when(kind == "serial", F.substring_index(s, ".", 1)).try_cast("int")
    serial_ok = serial.between(dates.EXCEL_SERIAL_MIN, dates.EXCEL_SERIAL_MAX)
    from_serial = F.when(serial_ok, F.date_add(_date_lit(dates.EXCEL_EPOCH), serial))
    ymd = _safe_date(*(F.try_element_at(parts, F.lit(i)) for i in (1, 2, 3)))
    return F.when(kind == "serial", from_serial).otherwise(ymd)


def _date_reason(e: Env) -> Column:
    kind, value = e["kind"], e["candidate"]
    in_range = value.between(_date_lit(dates.MIN_DATE), _date_lit(dates.MAX_DATE))
    return (
        F.when(e["forced"].isNotNull(), e["forced"])
        .when(kind == "missing", F.lit("missing"))
        .when(kind.isNull(), F.lit("unparseable"))
        .when((kind == "serial") & value.isNull(), F.lit("out_of_range"))
        .when(value.isNull(), F.lit("impossible_date"))
        .when(~in_range, F.lit("out_of_range"))
    )


def _date_finish(e: Env) -> dict[str, Column]:
    kind = e["kind"]
    sep_names = F.create_map(*[F.lit(x) for pair in dates.SEP_FORMATS.items() for x in pair])
    sep_fmt = F.concat(
        F.try_element_at(sep_names, F.regexp_extract(e["s"], dates.SEP_RE, 2)),
        F.when(F.regexp_extract(e["s"], dates.SEP_RE, 5) != "", F.lit("_datetime")).otherwise(
            F.lit("")
        ),
    )
    fmt = (
        F.when(e["forced"].isNotNull(), F.lit(None).cast("string"))
        .when(kind == "ymd8", F.lit("yyyymmdd"))
        .when(kind == "serial", F.lit("excel_serial"))
        .when(kind == "sep", sep_fmt)
        .when(kind == "cn", F.lit("cn"))
    )
    return {
        "value": F.when(e["reason"].isNull(), e["candidate"]),
        "reason": e["reason"],
        "fmt": fmt,
    }


def _temporal_finish(e: Env, fmt: str) -> dict[str, Column]:
    value = e["value"]
    in_range = value.between(_date_lit(dates.MIN_DATE), _date_lit(dates.MAX_DATE))
    return {
        "value": F.when(in_range, value),
        "reason": F.when(value.isNull(), F.lit("missing")).when(~in_range, F.lit("out_of_range")),
        "fmt": F.when(value.isNotNull(), F.lit(fmt)),
    }


def _date_plan(col: Column, dtype: DataType | None) -> tuple[list[Step], Finish]:
    if isinstance(dtype, DateType | TimestampType | TimestampNTZType):
        fmt = "date" if isinstance(dtype, DateType) else "datetime"
        return [("value", lambda e: F.to_date(col))], lambda e: _temporal_finish(e, fmt)
    steps: list[Step] = [
        ("src", lambda e: col),
        ("text", lambda e: _date_source(e["src"], dtype)[0]),
        ("forced", lambda e: _date_source(e["src"], dtype)[1]),
        ("s", lambda e: _clean_date(e["text"])),
        ("kind", lambda e: _date_kind(e["s"])),
        ("parts", _date_parts),
        ("candidate", _date_candidate),
        ("reason", _date_reason),
    ]
    return steps, _date_finish


def date_struct(col: Column | str, dtype: DataType | None = None) -> Column:
    """A struct of DATE_COLUMNS (value, reason, fmt) as dates.parse_date gives them."""
    return _let(*_date_plan(_as_col(col), dtype))


def date_columns(col: Column | str, dtype: DataType | None = None) -> dict[str, Column]:
    """DATE_COLUMNS as separate columns (each recomputes date_struct; see id_columns)."""
    struct = date_struct(col, dtype)
    return {name: struct.getField(name) for name in DATE_COLUMNS}


def parse_date_col(col: Column | str, dtype: DataType | None = None) -> Column:
    """The parsed date or null: dates.parse_date(...).value for each row."""
    return date_struct(col, dtype).getField("value")


def with_parsed_date(df: DataFrame, col: str, out: str, reason_col: str | None = None) -> DataFrame:
    """Add the parsed date of `col` as `out`, and its reason as `reason_col` when named."""
    steps, finish = _date_plan(F.col(col), df.schema[col].dataType)

    def chosen(e: Env) -> dict[str, Column]:
        cols = finish(e)
        return {out: cols["value"], **({reason_col: cols["reason"]} if reason_col else {})}

    return _staged(df, steps, chosen, "")


# -------------------------------------------------------------------------------- names


@pandas_udf(StringType())
def simplified_key_udf(values: pd.Series) -> pd.Series:
    """names.simplified_key per row (Arrow batches; OpenCC has no Spark equivalent)."""
    return pd.Series([names.simplified_key(v) for v in values], index=values.index, dtype=object)


@pandas_udf(StringType())
def pinyin_key_udf(values: pd.Series) -> pd.Series:
    """names.pinyin_key per row."""
    return pd.Series([names.pinyin_key(v) for v in values], index=values.index, dtype=object)


@pandas_udf(StringType())
def name_agreement_udf(a: pd.Series, b: pd.Series) -> pd.Series:
    """names.name_agreement per row pair."""
    out = [names.name_agreement(x, y) for x, y in zip(a, b, strict=True)]
    return pd.Series(out, index=a.index, dtype=object)
