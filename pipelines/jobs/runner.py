"""The monthly run in one process: every stage of pipelines.jobs in order, on one SparkSession.

landing → raw → clean + quarantine → links → contributions → household facts → decisions →
flags → 漏保 leads, each written atomically under `runs/<run_id>/`, then `manifest.json` and the
report. The Airflow DAGs run the same stages as separate tasks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from pipelines.audit import RunLog
from pipelines.config import Settings
from pipelines.errors import InputError
from pipelines.jobs import run_stage
from pipelines.jobs.context import RunContext, monthly_run_id

Progress = Callable[[str], None]


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]
    flags: pa.Table
    log: RunLog = field(repr=False, default_factory=RunLog)


def default_run_id(month: str) -> str:
    return monthly_run_id(month)


def run_month(spark: SparkSession, settings: Settings, run_id: str | None = None,
              progress: Progress | None = None) -> RunResult:
    """Verify every roster household for `settings.month`; returns the manifest and flags.

    A failed run leaves `run_log.json` with status `failed` and the error, and no manifest.
    """
    if settings.month is None:
        raise InputError("no month to check: pass --month YYYY-MM")
    return run_all(spark, RunContext.monthly(settings, run_id), progress)


def run_applications(spark: SparkSession, settings: Settings, day: str, run_id: str | None = None,
                     progress: Progress | None = None) -> RunResult:
    """Check the applications received on `day` (YYYY-MM-DD) and write each one's 核对报告."""
    return run_all(spark, RunContext.applications(settings, day, run_id), progress)


def run_all(spark: SparkSession, ctx: RunContext, progress: Progress | None = None) -> RunResult:
    say = progress or (lambda step: None)
    try:
        sources = run_stage("start", ctx)["sources"]
        for source in sources:
            say(f"ingest + validate {source}")
            for stage in ("pull", "ingest", "validate"):
                run_stage(stage, ctx, source, spark=spark)
        stages = ["link", "household", "evaluate", "flags"]
        stages = ["applicants", *stages] if ctx.kind == "applications" else [*stages, "outreach"]
        for stage in stages:
            say(stage)
            run_stage(stage, ctx, spark=spark)
        manifest = run_stage("publish", ctx)
        run_stage("report", ctx)
    except Exception as exc:
        from pipelines.jobs.stages import record_failure

        record_failure(ctx, "run", f"{type(exc).__name__}: {exc}")
        raise
    log = RunLog()
    log_data = json.loads((ctx.run_dir / "run_log.json").read_text(encoding="utf-8"))
    log.stages, log.notes = log_data["seconds_by_stage"], log_data["notes"]
    flags = pq.read_table(ctx.run_dir / "flags" / "flags.parquet")
    return RunResult(ctx.run_id, ctx.run_dir, manifest, flags, log)
