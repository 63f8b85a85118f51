"""Our linker timed the way `splink_runner` times Splink: same report keys, in a child process.

    run_in_child("pipelines.linkbench.ours", "ours_febrl4", workdir=...)
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def _spark(app: str):
    from pipelines.config import load_settings
    from pipelines.spark import get_spark

    return get_spark(load_settings(), app_name=app)


def _run(left_path: str, right_path: str, truth_parquet: str, out: Path, config) -> dict:
    from pyspark.sql import functions as F

    from pipelines.link.linker import link_tables
    from pipelines.link.metrics import pair_metrics, read_truth
    from pipelines.linkbench.memory import PeakMemory
    from pipelines.storage import write_spark

    load = os.getloadavg()[0]
    with PeakMemory() as mem:
        spark = _spark("linkbench-ours")
        start = time.perf_counter()
        left = spark.read.parquet(left_path)
        right = spark.read.parquet(right_path)
        left = left.select(*[F.col(c).cast("string") for c in left.columns])
        right = right.select(*[F.col(c).cast("string") for c in right.columns])
        result = link_tables(left, right, config)
        write_spark(result.links, out, ["r_key", "l_key"])
        links = spark.read.parquet(str(out))
        accepted = [
            (r["l_key"], r["r_key"])
            for r in links.where(F.col("band") == "match").select("l_key", "r_key").collect()
        ]
        wall = time.perf_counter() - start
        n_left, n_right = left.count(), right.count()
    stats = result.stats
    compared = (stats.get("candidate_pairs") or 0) + (stats.get("deterministic_pairs") or 0)
    metrics = pair_metrics(
        accepted,
        read_truth(truth_parquet, "left_id", "right_id"),
        n_left=n_left,
        n_right=n_right,
        pairs_compared=compared,
    )
    spark.stop()
    return {
        **metrics,
        "wall_s": wall,
        "peak_rss_bytes": mem.peak_bytes,
        "baseline_rss_bytes": mem.baseline_bytes,
        "deterministic_pairs": stats.get("deterministic_pairs"),
        "probabilistic_candidate_pairs": stats.get("candidate_pairs"),
        "stage_s": stats.get("seconds"),
        "load_average_1m_before": load,
    }


def ours_febrl4(workdir: str) -> dict:
    """FEBRL4 with the shipped `febrl4` configuration (tables from febrl.write_febrl4)."""
    from pipelines.link.config import builtin_config
    from pipelines.linkbench.febrl import LEFT_FILE, RIGHT_FILE, TRUTH_FILE

    w = Path(workdir)
    return _run(str(w / LEFT_FILE), str(w / RIGHT_FILE), str(w / TRUTH_FILE),
                w / "ours_links", builtin_config("febrl4"))


def ours_person_link(left_raw: str, right_raw: str, truth_parquet: str, workdir: str) -> dict:
    """Our linker from the clean roster and bank records (chongqing.prepare_inputs): the
    deterministic pass, preparation of the rest, blocking, comparisons, EM, scoring, links
    written."""
    from pipelines.link.config import builtin_config
    from pipelines.link.registries import registry_config

    config = registry_config(builtin_config("chongqing_person"))
    return _run(left_raw, right_raw, truth_parquet, Path(workdir) / "ours_links", config)
