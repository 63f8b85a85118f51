"""`make bench`: speed figures, as medians of repeated runs, saved to `data/bench/bench.json`.

1. intake of one large bank extract (GBK CSV, default 1,000,000 rows): read, raw Parquet,
   typed checks, Great Expectations gate, split into clean and quarantine; rows per second,
   peak memory of the process tree, and the share of time spent in Great Expectations;
2. the whole monthly run as `welfare-verify run` runs it (a fresh process, default settings) at
   60, 2,000, 20,000 and 88,000 households (the Chongqing month): seconds per stage, peak
   memory, flags scored against the ground truth, and the fitted exponent of time against
   households; each figure is printed beside its target (issue 15).

This machine is shared, so read the medians and ratios, not single timings.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from pipelines.bench.reader import write_bank_csv
from pipelines.bench.scoring import evaluate_run
from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.intake import GateLimits, Gates, intake_source
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


def bench_run(households: int, repeats: int, root: Path, month: str = "2025-07") -> dict:
    """The monthly run as a user runs it (`welfare-verify run`, a fresh process and JVM each
    time, default settings): seconds end to end and per stage, peak memory of the process tree,
    and the flags scored against the ground truth."""
    data = root / f"h{households}"
    if not (data / "truth").is_dir():
        t = time.perf_counter()
        generate(SynthConfig(households=households, seed=1, month=month), data,
                 load_settings(data_dir=data, month=month).rules_dir)
        print(f"generated {households} households in {time.perf_counter() - t:.0f} s", flush=True)
    runs, peaks, stages = [], [], []
    for i in range(repeats):
        command = [sys.executable, "-c", "from pipelines.cli import app; app()", "--lang", "en", "run", "--data", str(data),
                   "--month", month, "--run-id", f"bench-{i}"]
        with PeakMemory() as mem:
            t = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            runs.append(time.perf_counter() - t)
        if done.returncode != 0:
            raise SystemExit(f"{households} households: the run failed\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        peaks.append(mem.peak)
        log = json.loads((data / "runs" / f"bench-{i}" / "run_log.json").read_text(encoding="utf-8"))
        stages.append(log["seconds_by_stage"])
    scores = evaluate_run(data, f"bench-{repeats - 1}")["flags"]
    median = statistics.median(runs)
    return {
        "households": households,
        "run_seconds": [round(s, 2) for s in runs],
        "run_seconds_median": round(median, 2),
        "run_seconds_per_1000_households": round(median / households * 1000, 2),
        "seconds_by_stage_median": {k: round(statistics.median(s[k] for s in stages), 2)
                                    for k in sorted(stages[0])},
        "peak_memory_gb_median": round(statistics.median(peaks) / 2**30, 2),
        "flags_worst_precision": min((r["precision"] for r in scores if r["actual"]), default=None),
        "flags_worst_recall": min((r["recall"] for r in scores if r["actual"]), default=None),
    }


def scaling_exponent(runs: list[dict], at_least: int = 2000) -> float | None:
    """The slope of log(time) against log(households) over the runs of `at_least` households or
    more: 1.0 is linear, below it the time per household falls as the month grows."""
    points = [(math.log(r["households"]), math.log(r["run_seconds_median"]))
              for r in runs if r["households"] >= at_least]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return round(sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points), 3)


# issue 15's targets: (what, the figure's key, the target, "max" or "min")
CHONGQING = 88_000


def targets(results: dict) -> list[tuple[str, object, str, bool | None]]:
    """Each target beside its measured figure: (what, measured, target, met)."""
    runs = {r["households"]: r for r in results.get("runs", [])}
    rows: list[tuple[str, object, str, bool | None]] = []

    def row(what, value, target, ok):
        rows.append((what, value, target, None if value is None else ok(value)))

    big = runs.get(CHONGQING)
    row("Chongqing month (88,000 households), s", big and big["run_seconds_median"], "<= 600",
        lambda v: v <= 600)
    row("Chongqing month, peak memory GB", big and big["peak_memory_gb_median"], "<= 12",
        lambda v: v <= 12)
    row("Chongqing month, worst flag precision", big and big["flags_worst_precision"], ">= 0.99",
        lambda v: v >= 0.99)
    row("Chongqing month, worst flag recall", big and big["flags_worst_recall"], ">= 0.99",
        lambda v: v >= 0.99)
    demo = runs.get(2000)
    row("demo month (2,000 households), s", demo and demo["run_seconds_median"], "<= 60", lambda v: v <= 60)
    small = runs.get(60)
    row("60 households, s", small and small["run_seconds_median"], "<= 30", lambda v: v <= 30)
    row("scaling exponent (2,000 / 20,000 / 88,000)", results.get("scaling_exponent"), "<= 1.0",
        lambda v: v <= 1.0)
    intake = results.get("intake") or {}
    row("intake, rows/s (1M-row GBK bank extract)", intake.get("rows_per_second_median"), ">= 150000",
        lambda v: v >= 150_000)
    return rows


def show(results: dict) -> None:
    for what, value, target, met in targets(results):
        mark = "not measured" if met is None else ("met" if met else "NOT MET")
        print(f"{what:<48} {value!s:>12}  target {target:<10} {mark}")
    for r in results.get("runs", []):
        stages = ", ".join(f"{k} {v}" for k, v in r["seconds_by_stage_median"].items())
        print(f"{r['households']} households: {r['run_seconds_median']} s ({stages})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intake-rows", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, nargs="*", default=[60, 2000, 20000, CHONGQING])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--large-repeats", type=int, default=None,
                        help="repeats of runs above 20,000 households (default --repeats)")
    parser.add_argument("--data", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    results: dict = {"machine": {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)}}
    if args.intake_rows:
        results["intake"] = bench_intake(args.intake_rows, args.repeats, args.data)
        print(json.dumps(results["intake"], ensure_ascii=False), flush=True)
    results["runs"] = []
    for n in args.households:
        repeats = args.large_repeats if (args.large_repeats and n > 20_000) else args.repeats
        row = bench_run(n, repeats, args.data, month="2025-10" if n == CHONGQING else "2025-07")
        results["runs"].append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    results["scaling_exponent"] = scaling_exponent(results["runs"])
    results["targets"] = [{"what": w, "measured": v, "target": t, "met": m} for w, v, t, m in targets(results)]
    write_json(results, args.data / "bench.json")
    show(results)


if __name__ == "__main__":
    main()
