"""The floor of the deterministic pass: a plain Spark equi-join of the two tables on the ID.

No standardization, no name check, no evidence: read the two Parquet tables (only the record
id and the ID column), inner-join on the ID, write the pairs to Parquet as the linker writes
its output, and count them. The linker's deterministic pass cannot be faster than this on
the same session, so `linker time / floor time` says how much its extra work costs.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from pipelines.linkbench.memory import PeakMemory


def plain_id_join_seconds(
    spark,
    left_parquet: str | Path,
    right_parquet: str | Path,
    id_col: str = "id18",
    *,
    rec_id_col: str = "rec_id",
    repeats: int = 1,
    warmup: int = 0,
) -> dict:
    """Time `repeats` runs of the plain join after `warmup` untimed ones; median and all.

    Returns `pairs` (joined rows), `rows_left`, `rows_right`, `wall_s` (median of the timed
    runs), `min_s`, `runs_s`, `peak_rss_bytes` (process tree, the Spark JVM included, over
    all runs). A fresh JVM runs the first join several times slower than the next ones, so
    compare like with like: a warmed-up floor with a linker run on a warmed-up session.
    Rows whose ID is null never join (SQL equality).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    if warmup < 0:
        raise ValueError(f"warmup must not be negative, got {warmup}")
    from pyspark.sql import functions as F

    runs: list[float] = []
    pairs = None
    load_before = os.getloadavg()[0]
    with PeakMemory() as mem, tempfile.TemporaryDirectory(prefix="linkbench-floor-") as tmp:
        for i in range(warmup + repeats):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            left = spark.read.parquet(str(left_parquet)).select(
                F.col(rec_id_col).alias("left_id"), F.col(id_col).alias("id")
            )
            right = spark.read.parquet(str(right_parquet)).select(
                F.col(rec_id_col).alias("right_id"), F.col(id_col).alias("id")
            )
            left.join(right, "id").select("left_id", "right_id", "id").write.parquet(str(out))
            n = spark.read.parquet(str(out)).count()
            if i >= warmup:
                runs.append(time.perf_counter() - start)
            if pairs is not None and n != pairs:
                raise RuntimeError(f"plain join gave {n} pairs, then {pairs}: inputs changed?")
            pairs = n
    rows_left = spark.read.parquet(str(left_parquet)).count()
    rows_right = spark.read.parquet(str(right_parquet)).count()
    return {
        "id_col": id_col,
        "pairs": pairs,
        "rows_left": rows_left,
        "rows_right": rows_right,
        "wall_s": statistics.median(runs),
        "min_s": min(runs),
        "runs_s": runs,
        "warmup_runs": warmup,
        "peak_rss_bytes": mem.peak_bytes,
        "baseline_rss_bytes": mem.baseline_bytes,
        "load_avg_1m": [load_before, os.getloadavg()[0]],
    }
