"""Job entry points: each stage of a run as one call, `python -m pipelines.jobs STAGE ...`.

The same functions serve `welfare-verify run` (all stages in one process, `runner`), the Airflow
tasks (in-process, Spark local mode; `airflow_support` holds what the DAG files share) and
spark-submit on a cluster (this package's `__main__.py` as the application), so a run's outputs
do not depend on where it ran. `stages` holds the stages, `context` a run's paths and state,
`summary` the monthly report.

The DAG files import this package when Airflow parses them, so it imports only the standard
library: the names of its modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipelines.lazy import lazy_names

if TYPE_CHECKING:
    from pipelines.jobs.context import RunContext

# stages that need no Spark, and those that do
PLAIN_STAGES = ("start", "pull", "ingest", "publish", "report")
SPARK_STAGES = ("validate", "applicants", "link", "household", "evaluate", "flags", "outreach")
SOURCE_STAGES = ("pull", "ingest", "validate")
STAGES = PLAIN_STAGES + SPARK_STAGES

# name → module of this package that defines it, imported on first use (the runner: PySpark)
_LAZY = {
    "RunContext": "context",
    "applications_run_id": "context",
    "monthly_run_id": "context",
    "RunResult": "runner",
    "run_all": "runner",
    "run_applications": "runner",
    "run_month": "runner",
}

__all__ = ["STAGES", "RunContext", "RunResult", "applications_run_id", "monthly_run_id", "run_all",
           "run_applications", "run_month", "run_stage"]


__getattr__ = lazy_names(__name__, _LAZY)


def run_stage(stage: str, ctx: RunContext, source: str | None = None, spark=None) -> Any:
    """Run one stage of the run `ctx`; per-source stages need `source`. Spark stages use `spark`
    or build the session from the run's settings."""
    from pipelines.errors import InputError
    from pipelines.jobs import stages
    from pipelines.paths import check_name, owner_only

    if stage not in STAGES:
        raise InputError(f"unknown stage '{stage}': expected one of {', '.join(STAGES)}")
    if (stage in SOURCE_STAGES) != (source is not None):
        raise InputError(f"stage '{stage}' " + ("needs --source" if source is None else "takes no --source"))
    if source is not None:
        check_name(source, "--source")
    owner_only()  # what the stage writes is the account's own (0600 files, 0700 folders)
    function = getattr(stages, {"household": "household_facts"}.get(stage, stage))
    args: list[Any] = [ctx] + ([source] if source is not None else [])
    if stage in SPARK_STAGES:
        if spark is None:
            from pipelines.spark import get_spark

            spark = get_spark(ctx.settings, app_name=f"welfare-verify {ctx.run_id} {stage}")
        args.insert(0, spark)
    try:
        return function(*args)
    except Exception as exc:
        from pipelines.sizing import memory_advice, out_of_memory

        if not out_of_memory(exc):
            raise
        from pipelines.errors import ResourceProblem

        settings = ctx.settings
        raise ResourceProblem(memory_advice(stage, settings.spark_driver_memory,
                                            settings.spark_master)) from None
