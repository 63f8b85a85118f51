"""`make bench`: speed figures, as medians of repeated runs, saved to `data/bench/bench.json`.

1. intake of one large bank extract (GBK CSV, default 1,000,000 rows): read, raw Parquet,
   typed checks, Great Expectations gate, split into clean and quarantine; rows per second,
   peak memory of the process tree, and the share of time spent in Great Expectations;
2. the whole monthly run on generated data (2,000 and 10,000 households by default).

This machine is shared, so read the medians and ratios, not single timings.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import statistics
import threading
import time
from pathlib import Path

import psutil

from pipelines.bench.reader import write_bank_csv
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.intake import GateLimits, Gates, intake_source
from pipelines.jobs import run_month
from pipelines.schemas import load_schemas
from pipelines.sources.registry import ExtractRegistry
from pipelines.spark import get_spark
from pipelines.storage import write_json
from pipelines.synth import SynthConfig, generate


class PeakMemory:
    """Peak resident memory of this process and its children (the Spark JVM), sampled."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def bench_intake(rows: int, repeats: int, root: Path) -> dict:
    data = root / f"intake{rows}"
    landing = data / "landing" / "bank_deposits" / "2025-06-30" / "bank.csv"
    if not landing.exists():
        write_bank_csv(landing, rows)
    settings = load_settings(data_dir=data, month="2025-07")
    spark = get_spark(settings)
    schema = load_schemas(PROJECT_ROOT / "schemas")["bank_deposits"]
    limits = GateLimits()
    seconds, ge_seconds, peaks = [], [], []
    for i in range(repeats):
        for stale in (data / "raw").glob("**/*"):
            if stale.is_file():
                stale.unlink()  # measure the parse too, not the content-addressed reuse
        registry = ExtractRegistry(data / f"registry-{i}.sqlite")
        gates = Gates(data / "docs", f"bench-{i}")
        with PeakMemory() as mem:
            t = time.perf_counter()
            outcome = intake_source(spark, schema, data, dt.date(2025, 7, 31), gates, limits, registry, f"bench-{i}")
            seconds.append(time.perf_counter() - t)
        ge_seconds.append(outcome.gate_seconds)
        peaks.append(mem.peak)
    median = statistics.median(seconds)
    return {
        "rows": rows,
        "seconds": [round(s, 2) for s in seconds],
        "seconds_median": round(median, 2),
        "rows_per_second_median": int(rows / median),
        "great_expectations_seconds_median": round(statistics.median(ge_seconds), 2),
        "great_expectations_share": round(statistics.median(ge_seconds) / median, 3),
        "peak_memory_mb_median": int(statistics.median(peaks) / 2**20),
        "rows_clean": outcome.rows_clean,
        "rows_quarantined": outcome.rows_quarantined,
    }


def bench_run(households: int, repeats: int, root: Path) -> dict:
    data = root / f"h{households}"
    settings = load_settings(data_dir=data, month="2025-07")
    gen = []
    for _ in range(repeats):
        t = time.perf_counter()
        generate(SynthConfig(households=households, seed=1, month="2025-07"), data, settings.rules_dir)
        gen.append(time.perf_counter() - t)
    spark = get_spark(settings)
    run_month(spark, settings, "bench-warmup")
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        run_month(spark, settings, "bench")
        runs.append(time.perf_counter() - t)
    median = statistics.median(runs)
    return {
        "households": households,
        "generate_seconds_median": round(statistics.median(gen), 2),
        "run_seconds": [round(s, 2) for s in runs],
        "run_seconds_median": round(median, 2),
        "run_seconds_per_1000_households": round(median / households * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intake-rows", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, nargs="*", default=[2000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)}}
    if args.intake_rows:
        results["intake"] = bench_intake(args.intake_rows, args.repeats, args.data)
        print(json.dumps(results["intake"], ensure_ascii=False))
    results["runs"] = []
    for n in args.households:
        row = bench_run(n, args.repeats, args.data)
        results["runs"].append(row)
        print(json.dumps(row, ensure_ascii=False))
    write_json(results, args.data / "bench.json")


if __name__ == "__main__":
    main()
