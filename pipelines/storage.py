"""Atomic, deterministic writes: a temporary path renamed into place, stable file names.

A killed run leaves no half-written output; rerunning a run id replaces its outputs whole.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `target`; on success it replaces `target` (file or folder).

    Leftovers of an earlier write of the same target that was killed midway are removed first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".tmp-{glob_escape(target.name)}-*"):
        _remove(stale)
    for stale in target.parent.glob(f".old-{glob_escape(target.name)}-*"):
        _remove(stale)
    tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
    try:
        yield tmp
        replace(tmp, target)
    finally:
        if tmp.exists():
            _remove(tmp)


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def replace(src: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    os.replace(src, target)
    if old is not None:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write_arrow(table: pa.Table, target: Path) -> None:
    """One Parquet file, written by pyarrow (same table → same bytes)."""
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="snappy")


def write_json(data: Any, target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def canonical_parquet(src: Path, target: Path) -> None:
    """Rewrite a Parquet file written by Spark with pyarrow, row group by row group.

    Spark (parquet-mr) lists each column chunk's encodings in hash-set order, which changes from
    one JVM to the next: the same rows written by two processes differ in their footers. Rewritten
    by pyarrow, the same rows give the same bytes whichever process wrote them (a run's stages
    may run in separate Airflow tasks or spark-submits). Spark's own schema metadata is kept.
    """
    source = pq.ParquetFile(src)
    with pq.ParquetWriter(target, default_collation(source.schema_arrow), compression="snappy") as writer:
        for i in range(source.num_row_groups):
            writer.write_table(source.read_row_group(i))
    source.close()
    src.unlink()


SPARK_SCHEMA = b"org.apache.spark.sql.parquet.row.metadata"


def default_collation(schema: pa.Schema) -> pa.Schema:
    """Spark's schema metadata with the default collation unnamed. Spark Connect's Python client
    names the collation of every string type it sends (a UDF's result, a mapInPandas schema), so
    on a Connect server those columns are `string collate UTF8_BINARY`: the same type as `string`,
    which they are in process, but other bytes in the footer."""
    meta = schema.metadata or {}
    spark = meta.get(SPARK_SCHEMA, b"")
    if b'"string collate UTF8_BINARY"' not in spark:
        return schema
    return schema.with_metadata({**meta, SPARK_SCHEMA: spark.replace(b'"string collate UTF8_BINARY"', b'"string"')})


def write_spark(df, target: Path, order_by: list[str], partitions: int = 1) -> int:
    """Write a Spark DataFrame sorted, as `part-00000.parquet`…; returns the row count.

    Spark names its files with a random UUID; renaming them, dropping the checksum files and
    rewriting each file canonically makes the folder byte-identical between runs of the same data,
    in one process or in several.
    """
    ordered = df.orderBy(*order_by)
    ordered = ordered.coalesce(partitions) if partitions == 1 else ordered
    with atomic_path(target) as tmp:
        ordered.write.mode("overwrite").parquet(str(tmp))
        parts = sorted(p for p in tmp.iterdir() if p.name.startswith("part-"))
        for extra in tmp.iterdir():
            if not extra.name.startswith("part-"):
                _remove(extra)
        for i, part in enumerate(parts):
            canonical_parquet(part, tmp / f"part-{i:05d}.parquet")
    return pq.ParquetDataset(target).read(columns=[]).num_rows if parts else 0
