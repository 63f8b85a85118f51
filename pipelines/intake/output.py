"""Clean rows and quarantine written as Parquet, byte for byte as Spark's writer followed by
storage.canonical_parquet wrote them: one `part-00000.parquet` per folder, pyarrow's writer with
snappy, Spark's own schema metadata (its version and the row schema as JSON, nullability
included) so that Spark reads them exactly as before. A folder is replaced whole (atomic_path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.storage import atomic_path

PART = "part-00000.parquet"
ROW_METADATA = b"org.apache.spark.sql.parquet.row.metadata"
VERSION = b"org.apache.spark.version"


def spark_type(t: pa.DataType) -> str:
    """The name Spark's schema JSON gives an Arrow type."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_int64(t):
        return "long"
    if pa.types.is_int32(t):
        return "integer"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_date32(t):
        return "date"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    raise TypeError(f"no Spark type for Arrow type {t}")


def spark_schema(schema: pa.Schema, not_null: set[str] | frozenset[str] = frozenset()) -> pa.Schema:
    """`schema` with the nullability and metadata Spark writes (fields in `not_null` required)."""
    from pyspark.version import __version__

    fields = [pa.field(f.name, f.type, nullable=f.name not in not_null) for f in schema]
    row = {"type": "struct", "fields": [
        {"name": f.name, "type": spark_type(f.type), "nullable": f.nullable, "metadata": {}}
        for f in fields]}
    text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    return pa.schema(fields, metadata={VERSION: __version__.encode(), ROW_METADATA: text.encode()})


def write_table(table: pa.Table, target: Path, not_null: set[str] | frozenset[str] = frozenset()) -> int:
    """Write `table` (already in its order) as the folder `target`; returns its row count."""
    schema = spark_schema(table.schema, not_null)
    table = table.cast(schema).combine_chunks()
    with atomic_path(target) as tmp:
        tmp.mkdir()
        with pq.ParquetWriter(tmp / PART, schema, compression="snappy") as writer:
            if table.num_rows:
                writer.write_table(table)
    return table.num_rows
