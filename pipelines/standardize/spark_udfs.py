"""Spark forms of the standardisers that have no native Spark equivalent: Arrow pandas UDFs.

Each UDF applies the pure function row by row, so Spark and pandas give the same values; a row
that somehow fails still yields an invalid struct with a reason instead of failing the job.
Structs carry the result's fields without `raw` (the input column is the raw value).
Also `fast_id18`, the standardized ID of a column in Arrow batches, cheaper than the native ID
expression where only the 18-digit ID is needed. Re-exported by `pipelines.standardize.spark`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import astuple, fields
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    StringType,
    StructField,
    StructType,
)

from pipelines.spark import pandas_udf
from pipelines.standardize import addresses, names, phones, regions
from pipelines.standardize.ids import (
    CHECK_CHARS,
    MAX_BIRTH_DATE,
    MIN_BIRTH_DATE,
    PROVINCE_CODES,
    WEIGHTS,
    is_missing_value,
    standardize_id,
)
from pipelines.standardize.name_parts import former_names, name_parts, pinyin_tokens

PHONE_COLUMNS = ("number", "kind", "valid", "reason")
ADDRESS_COLUMNS = ("text", "region_code", "valid", "reason")
REGION_COLUMNS = (
    "code",
    "current_code",
    "name",
    "status",
    "valid",
    "reason",
    "retired_on",
    "confidence",
    "group",
)
NAME_PARTS_COLUMNS = ("surname", "given", "surname_pinyin", "given_pinyin")


def _schema(columns: tuple[str, ...], types: dict[str, DataType] | None = None) -> StructType:
    """A struct of string fields, `valid` boolean, others as given (no session needed)."""
    types = {"valid": BooleanType(), **(types or {})}
    return StructType([StructField(c, types.get(c, StringType())) for c in columns])


PHONE_SCHEMA = _schema(PHONE_COLUMNS)
ADDRESS_SCHEMA = _schema(ADDRESS_COLUMNS)
REGION_SCHEMA = _schema(REGION_COLUMNS, {"retired_on": DateType()})
NAME_PARTS_SCHEMA = _schema(NAME_PARTS_COLUMNS)


def _as_col(col: Column | str) -> Column:
    return F.col(col) if isinstance(col, str) else col


def _fields(result: Any, columns: tuple[str, ...]) -> tuple:
    """The named fields of a result dataclass, in `columns` order."""
    values = dict(zip((f.name for f in fields(result)), astuple(result), strict=True))
    return tuple(values[c] for c in columns)


def _frame(rows: Iterable[tuple], columns: tuple[str, ...], index: pd.Index) -> pd.DataFrame:
    rows = list(rows)
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    frame = pd.DataFrame(data, index=index, columns=list(columns), dtype=object)
    if "valid" in frame:
        frame["valid"] = frame["valid"].astype(bool)
    return frame


def _rows(
    values: pd.Series, fn: Callable[[Any], Any], columns: tuple[str, ...], failed: tuple
) -> pd.DataFrame:
    out = []
    for value in values:
        try:
            out.append(_fields(fn(value), columns))
        except Exception:  # the pure functions never raise; this keeps a job alive regardless
            out.append(failed)
    return _frame(out, columns, values.index)


# ------------------------------------------------------------------------------ phones


@pandas_udf(PHONE_SCHEMA)
def _phone_udf(values: pd.Series) -> pd.DataFrame:
    return _rows(
        values, phones.standardize_phone, PHONE_COLUMNS, (None, None, False, "not_a_number")
    )


def phone_struct(col: Column | str) -> Column:
    """A struct of PHONE_COLUMNS as phones.standardize_phone gives them."""
    return _phone_udf(_as_col(col))


# --------------------------------------------------------------------------- addresses


@pandas_udf(ADDRESS_SCHEMA)
def _address_udf(values: pd.Series) -> pd.DataFrame:
    return _rows(
        values, addresses.normalize_address, ADDRESS_COLUMNS, (None, None, False, "missing")
    )


def address_struct(col: Column | str) -> Column:
    """A struct of ADDRESS_COLUMNS as addresses.normalize_address gives them."""
    return _address_udf(_as_col(col))


# ----------------------------------------------------------------------------- regions

_REGION_FAILED = (None, None, None, "invalid", False, "bad_chars", None, None, None)


def _day(value: Any) -> datetime.date | None:
    if is_missing_value(value):
        return None
    if isinstance(value, datetime.datetime):  # also pandas.Timestamp
        return value.date()
    return value if isinstance(value, datetime.date) else None


@pandas_udf(REGION_SCHEMA)
def _region_udf(values: pd.Series) -> pd.DataFrame:
    return _rows(values, regions.standardize_region, REGION_COLUMNS, _REGION_FAILED)


@pandas_udf(REGION_SCHEMA)
def _region_on_udf(values: pd.Series, days: pd.Series) -> pd.DataFrame:
    out = []
    for value, day in zip(values, days, strict=True):
        try:
            out.append(_fields(regions.standardize_region(value, _day(day)), REGION_COLUMNS))
        except Exception:  # see _rows
            out.append(_REGION_FAILED)
    return _frame(out, REGION_COLUMNS, values.index)


def region_struct(col: Column | str, on: datetime.date | Column | str | None = None) -> Column:
    """A struct of REGION_COLUMNS as regions.standardize_region gives them; `on` is a day, a
    date column (or its name), or None for the codes in force today."""
    if on is None:
        return _region_udf(_as_col(col))
    if isinstance(on, datetime.date):
        day = F.lit(on.isoformat()).cast("date")
    else:
        day = _as_col(on).cast("date")
    return _region_on_udf(_as_col(col), day)


# ------------------------------------------------------------------------------- names


def _strings(values: pd.Series, fn: Callable[[Any], str | None]) -> pd.Series:
    out = []
    for value in values:
        try:
            out.append(fn(value))
        except Exception:  # see _rows
            out.append(None)
    return pd.Series(out, index=values.index, dtype=object)


def _lists(values: pd.Series, fn: Callable[[Any], tuple[str, ...]]) -> pd.Series:
    out = []
    for value in values:
        try:
            out.append(list(fn(value)))
        except Exception:  # see _rows
            out.append([])
    return pd.Series(out, index=values.index, dtype=object)


@pandas_udf(StringType())
def variant_key_udf(values: pd.Series) -> pd.Series:
    """names.variant_key per row."""
    return _strings(values, names.variant_key)


@pandas_udf(ArrayType(StringType()))
def pinyin_tokens_udf(values: pd.Series) -> pd.Series:
    """pinyin_tokens per row, as an array (empty for a missing name)."""
    return _lists(values, pinyin_tokens)


@pandas_udf(ArrayType(StringType()))
def former_names_udf(values: pd.Series) -> pd.Series:
    """former_names per row, as an array (empty when there are none)."""
    return _lists(values, former_names)


@pandas_udf(NAME_PARTS_SCHEMA)
def _name_parts_udf(values: pd.Series) -> pd.DataFrame:
    out = []
    for value in values:
        try:
            parts = name_parts(value)
        except Exception:  # see _rows
            parts = None
        out.append((None,) * 4 if parts is None else _fields(parts, NAME_PARTS_COLUMNS))
    return _frame(out, NAME_PARTS_COLUMNS, values.index)


def name_parts_udf(col: Column | str) -> Column:
    """A struct of NAME_PARTS_COLUMNS as name_parts.name_parts gives them; all null for no name."""
    return _name_parts_udf(_as_col(col))


_PLAIN_ID = r"[0-9]{17}[0-9Xx]"
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECK = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_PROVINCES = np.array(sorted(int(p) for p in PROVINCE_CODES))


def id18_batch(values: pd.Series) -> pd.Series:
    """standardize_id(v).id18 for a batch, vectorized with numpy for the plain 18-character
    IDs (checksum, birth date in range, province), the standardizer for every other shape."""
    out = pd.Series(None, index=values.index, dtype=object)
    text = values.where(values.map(lambda v: isinstance(v, str)), None)
    plain = text.str.fullmatch(_PLAIN_ID, na=False).astype(bool)
    if plain.any():
        ids = text[plain].str.upper()
        raw = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = raw[:, :17].astype(np.int64) - 48
        ok = _CHECK[(digits @ _WEIGHTS) % 11] == raw[:, 17]
        born = pd.to_datetime(ids.str.slice(6, 14), format="%Y%m%d", errors="coerce")
        lo, hi = pd.Timestamp(MIN_BIRTH_DATE), pd.Timestamp(MAX_BIRTH_DATE)
        ok &= ((born >= lo) & (born <= hi)).to_numpy()
        ok &= np.isin(digits[:, 0] * 10 + digits[:, 1], _PROVINCES)
        out[plain] = ids.where(ok, None)
    others = text.notna() & ~plain
    if others.any():
        out[others] = [standardize_id(v).id18 for v in text[others]]
    return out.astype(object).where(out.notna(), None)


@pandas_udf(StringType())
def _id18_udf(values: pd.Series) -> pd.Series:
    return id18_batch(values)


def fast_id18(col: Column) -> Column:
    """The standardized 18-digit ID (null when invalid), in Arrow batches: numpy checks the
    plain 18-character IDs, the Python standardizer the few others (15 digits, full-width,
    spaces). Cheaper than the checksum as a Spark expression, and than compiling the
    standardizer's large expression into every query that needs an ID."""
    return _id18_udf(col.cast("string"))
