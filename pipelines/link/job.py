"""`welfare-verify link`: link any two CSV or Parquet person tables with a YAML configuration.

Writes to the output directory: `links/` (Parquet), `model.json` (the fitted m, u and prior),
`report.json` (counts, timings and, with a truth file, precision, recall, F1, pairs compared
and the reduction ratio). Same inputs and configuration → the same files, byte for byte.
What can be checked without Spark (both tables' headers against the configuration, the truth
file) is checked first by `check_inputs`, which the command runs before it starts Spark.
"""

from __future__ import annotations

import time
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.errors import ConfigError, InputError
from pipelines.link.config import LinkConfig
from pipelines.link.linker import link_tables
from pipelines.link.metrics import pair_metrics, read_truth
from pipelines.storage import write_json, write_spark


def read_table(spark: SparkSession, path: Path) -> DataFrame:
    """A CSV (UTF-8, header row, every column read as text) or Parquet file or folder."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        df = spark.read.parquet(str(path))
    elif suffix in (".csv", ".txt"):
        df = spark.read.option("header", True).option("inferSchema", False).csv(str(path))
    else:
        raise InputError(f"{path}: expected a .csv or .parquet file (or a Parquet folder)")
    return df.select(*[F.col(c).cast("string") for c in df.columns])


def table_columns(path: Path) -> list[str]:
    """The column names of a CSV file (its header row) or a Parquet file or folder, read with
    pyarrow from the header or the footer alone: what `read_table` will find, without Spark."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if not (path.is_dir() or suffix in (".parquet", ".csv", ".txt")):
        raise InputError(f"{path}: expected a .csv or .parquet file (or a Parquet folder)")
    try:
        if path.is_dir():
            return list(pads.dataset(path, format="parquet").schema.names)
        if suffix == ".parquet":
            return list(pq.read_schema(path).names)
        # The streaming reader parses the first block only; a ragged row there is Spark's to judge.
        skip = pcsv.ParseOptions(invalid_row_handler=lambda row: "skip")
        with pcsv.open_csv(path, parse_options=skip) as reader:
            return list(reader.schema.names)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot read its header ({exc})") from None


def column_problems(config: LinkConfig, side: str, path: Path, columns: list[str]) -> list[str]:
    """Each column one side's table lacks that the configuration names: the table, the column,
    and the configuration's file and key."""
    key = config.left_key if side == "left" else config.right_key
    named = [(f"{side}_key", key)]
    for name, f in config.fields.items():
        if getattr(f, side):
            named.append((f"fields.{name}.{side}", getattr(f, side)))
        if side == "left" and f.left_former:
            named.append((f"fields.{name}.left_former", f.left_former))
    shown = ", ".join(columns[:30]) + (f" … ({len(columns)} in all)" if len(columns) > 30 else "")
    return [
        f"{path}: the {side} table lacks column {column!r}, which {config.origin}: {where} names "
        f"(its columns: {shown or 'none'})"
        for where, column in named
        if column not in columns
    ]


def check_inputs(config: LinkConfig, left_path: Path, right_path: Path,
                 truth: Path | None = None) -> set | None:
    """What `run_link` needs that can be checked before Spark starts: both tables readable and
    holding every column the configuration names, and the truth file usable. Every table's
    problems are reported together; returns the true pairs (None without a truth file)."""
    unreadable, missing = [], []
    for side, path in (("left", left_path), ("right", right_path)):
        try:
            columns = table_columns(path)
        except InputError as exc:
            unreadable.append(str(exc))
            continue
        missing += column_problems(config, side, Path(path), columns)
    if unreadable:
        raise InputError("; ".join(unreadable))
    if missing:
        raise ConfigError(missing)
    return _read_truth(truth, config) if truth is not None else None


def truth_columns(path: Path, config: LinkConfig) -> tuple[str, str]:
    """Columns of a truth file: the two keys' names when they differ and are present, else
    `left_id` / `right_id`, else its first two columns."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    path = Path(path)
    if path.suffix.lower() == ".csv":
        names = pcsv.read_csv(path).column_names
    else:
        names = pq.read_schema(path).names
    if config.left_key != config.right_key and {config.left_key, config.right_key} <= set(names):
        return config.left_key, config.right_key
    if {"left_id", "right_id"} <= set(names):
        return "left_id", "right_id"
    if len(names) < 2:
        raise InputError(f"{path}: a truth file needs two columns (left key, right key)")
    return names[0], names[1]


def _read_truth(path: Path, config: LinkConfig) -> set:
    """The true pairs, or an InputError naming the file (unreadable, a column or an id
    missing)."""
    import pyarrow as pa

    if not Path(path).exists():
        raise InputError(f"{path}: truth file not found")
    try:
        return read_truth(path, *truth_columns(path, config))
    except (ValueError, OSError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot use as a truth file ({exc})") from None


def run_link(
    spark: SparkSession,
    left_path: Path,
    right_path: Path,
    config: LinkConfig,
    out: Path,
    truth: Path | None = None,
) -> dict:
    """Link two tables and write links, model and report; returns the report."""
    started = time.perf_counter()
    actual = check_inputs(config, left_path, right_path, truth)  # fail before linking
    left, right = read_table(spark, left_path), read_table(spark, right_path)
    result = link_tables(left, right, config)
    out = Path(out)
    n_links = write_spark(result.links, out / "links", ["r_key", "l_key"])
    links = spark.read.parquet(str(out / "links"))
    by_method = {
        r["method"]: r["count"] for r in links.groupBy("method").count().orderBy("method").collect()
    }
    n_left, n_right = left.count(), right.count()
    report = {
        "config": config.name,
        "left": {"path": str(left_path), "rows": n_left},
        "right": {"path": str(right_path), "rows": n_right},
        "links": n_links,
        "by_method": by_method,
        "pairs_compared": result.stats.get("candidate_pairs"),
        "deterministic_pairs": result.stats.get("deterministic_pairs"),
    }
    if actual is not None:
        accepted = links.where(F.col("band") == "match").select("l_key", "r_key").collect()
        compared = (result.stats.get("candidate_pairs") or 0) + (
            result.stats.get("deterministic_pairs") or 0
        )
        report["evaluation"] = pair_metrics(
            [(r["l_key"], r["r_key"]) for r in accepted],
            actual,
            n_left=n_left,
            n_right=n_right,
            pairs_compared=compared,
        )
    model = result.model.to_dict() if result.model is not None else None
    write_json(model, out / "model.json")
    write_json(report, out / "report.json")
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report
