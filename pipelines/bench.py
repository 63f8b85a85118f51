"""`make bench`: speed of generation and of a monthly run, as medians of repeated runs.

Figures are printed and saved to `data/bench/bench.json`; this machine is shared, so read the
medians and the ratios (seconds per 1,000 households), not single timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from pipelines.config import load_settings
from pipelines.runner import run_month
from pipelines.spark import get_spark
from pipelines.storage import write_json
from pipelines.synth import SynthConfig, generate


def _median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(round(time.perf_counter() - t, 3))
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("data/bench"))
    parser.add_argument("--month", default="2025-07")
    args = parser.parse_args()
    results = []
    spark = None
    for n in args.households:
        data = args.data / f"h{n}"
        settings = load_settings(data_dir=data, month=args.month)
        gen_median, gen_times = _median_seconds(
            lambda settings=settings, n=n, data=data: generate(
                SynthConfig(households=n, seed=1, month=args.month), data, settings.rules_dir
            ),
            args.repeats,
        )
        spark = spark or get_spark(settings)
        run_month(spark, settings, "bench-warmup")
        run_median, run_times = _median_seconds(
            lambda settings=settings, spark=spark: run_month(spark, settings, "bench"), args.repeats
        )
        row = {
            "households": n,
            "generate_seconds_median": gen_median,
            "generate_seconds": gen_times,
            "run_seconds_median": run_median,
            "run_seconds": run_times,
            "run_seconds_per_1000_households": round(run_median / n * 1000, 3),
        }
        results.append(row)
        print(json.dumps(row, ensure_ascii=False))
    write_json({"spark_master": "local[*]", "results": results}, args.data / "bench.json")


if __name__ == "__main__":
    main()
