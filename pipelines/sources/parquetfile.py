"""Parquet into text columns, rows numbered from 1 (a database pull lands as Parquet too).

Typed values become the text a CSV of the same data would hold: dates `YYYY-MM-DD`,
timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]` or just the date when at midnight, integers and
integral floats without ".0", decimals with their scale, booleans "true"/"false", binary as
UTF-8 text (hex when it is not text), lists and structs as compact JSON; "" is null.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.errors import InputError
from pipelines.sources.extract import RawExtract


def read_parquet(path) -> RawExtract:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    columns = [_text(column.combine_chunks()) for column in table.columns]
    lines = pa.array(range(1, table.num_rows + 1), type=pa.int64())
    return RawExtract(path, list(table.column_names), columns, lines, "utf-8", "parquet")


def _text(arr: pa.Array) -> pa.Array:
    kind = arr.type
    if pa.types.is_dictionary(kind):
        return _text(arr.dictionary_decode())
    if pa.types.is_timestamp(kind):
        out = _timestamp_text(arr)
    elif (
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    ):
        out = pa.array(
            [None if v is None else _bytes_text(v) for v in arr.to_pylist()], type=pa.string()
        )
    elif pa.types.is_nested(kind):
        out = pa.array(
            [
                None
                if v is None
                else json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str)
                for v in arr.to_pylist()
            ],
            type=pa.string(),
        )
    elif pa.types.is_null(kind):
        return pa.nulls(len(arr), type=pa.string())
    else:
        try:
            out = arr.cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # durations, half floats…
            out = pa.array(
                [None if v is None else str(v) for v in arr.to_pylist()], type=pa.string()
            )
    if pa.types.is_large_string(out.type):
        out = out.cast(pa.string())
    return pc.if_else(pc.equal(out, ""), pa.scalar(None, pa.string()), out)


def _timestamp_text(arr: pa.Array) -> pa.Array:
    full = pc.replace_substring_regex(arr.cast(pa.string()), r"(\.\d*?)0+$", r"\1")
    full = pc.replace_substring_regex(full, r"\.$", "")
    midnight = pc.and_(
        pc.and_(pc.equal(pc.hour(arr), 0), pc.equal(pc.minute(arr), 0)),
        pc.and_(pc.equal(pc.second(arr), 0), pc.equal(pc.subsecond(arr), 0)),
    )
    return pc.if_else(midnight, pc.strftime(arr, "%Y-%m-%d"), full)


def _bytes_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex()
