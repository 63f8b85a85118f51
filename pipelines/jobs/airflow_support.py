"""What the DAGs share: configuration read at parse time, and the task bodies run at run time.

Importing this module is cheap (the standard library only): the DAG files import it at top level,
and Airflow parses them often. Spark, Great Expectations and the engine load inside the tasks.

Configuration (environment, read when the DAGs are parsed):
- `WV_DATA_DIR`: the data directory (default `<project>/data/demo`, where `make demo` writes);
- `WV_SCHEMAS_DIR`: the registry schemas (default `<project>/schemas`): one source per schema;
- `WV_SPARK_REMOTE`: a Spark Connect server, `sc://host:port` (`make airflow` starts one and sets
  it, with its token in SPARK_CONNECT_AUTHENTICATE_TOKEN: pipelines/jobs/connect_server.py). Set,
  the Spark stages run on that long-lived server and no task starts a JVM; unset, each Spark task
  starts Spark in its own process, in local mode;
- `WV_AIRFLOW_SPARK_CONN`: an Airflow connection id of a Spark cluster (e.g. `spark_cluster`,
  with `AIRFLOW_CONN_SPARK_CLUSTER=spark://host:7077`). Set, the Spark stages run through
  SparkSubmitOperator with `pipelines/jobs/__main__.py` as the application (WV_SPARK_REMOTE is
  then not used) — the same stage functions on every path;
- `WV_EXTRACT_WAIT_HOURS`: how long each source's pull waits, from the run's date, for an extract
  fresh enough for the month (its schema's `freshness:`) before the task fails (default 72; 0
  fails a stale source at once).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEZONE = "Asia/Shanghai"
OWNER = "dibao-verification"
JOBS_MAIN = str(Path(__file__).resolve().with_name("__main__.py"))
EXTRACT_POKE = dt.timedelta(minutes=30)  # a waiting pull looks again as often as the landing watch


def data_dir() -> Path:
    return Path(os.environ.get("WV_DATA_DIR") or PROJECT_ROOT / "data" / "demo").resolve()


def schemas_dir() -> Path:
    return Path(os.environ.get("WV_SCHEMAS_DIR") or PROJECT_ROOT / "schemas").resolve()


def configured_sources() -> list[str]:
    """The registries configured: one schema file each (file names only; nothing parsed)."""
    return sorted(p.stem for p in schemas_dir().glob("*.yaml"))


def extract_wait() -> dt.timedelta:
    """How long a pull waits for a fresh extract after the run's date (WV_EXTRACT_WAIT_HOURS)."""
    from pipelines.errors import ConfigError

    raw = os.environ.get("WV_EXTRACT_WAIT_HOURS") or "72"
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 <= hours <= 24 * 31:
        raise ConfigError(f"WV_EXTRACT_WAIT_HOURS '{raw}': expected hours from 0 to {24 * 31}")
    return dt.timedelta(hours=hours)


def spark_conn_id() -> str | None:
    return os.environ.get("WV_AIRFLOW_SPARK_CONN") or None


def landing_asset(source: str):
    """The Airflow asset of a source's landing folder: updated when a new extract arrives."""
    from airflow.sdk import Asset

    return Asset(name=f"dibao_landing_{source}", uri=(data_dir() / "landing" / source).as_uri())


# ------------------------------------------------------------------------------ the run's plan
def previous_month(day: dt.date) -> str:
    first = day.replace(day=1) - dt.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def _local_day(when: Any) -> dt.date:
    """The calendar day of an aware datetime in Asia/Shanghai."""
    return when.astimezone(ZoneInfo(TIMEZONE)).date()


def monthly_month(params: dict[str, Any], events: Any, run_after: Any) -> str:
    """The month a monthly run checks: the `month` param when given; else the month of the
    newest extract whose arrival triggered the run; else the month before the run's date."""
    if params.get("month"):
        return str(params["month"])
    as_ofs = [str(e.extra["as_of"]) for evs in (events or {}).values() for e in evs
              if getattr(e, "extra", None) and e.extra.get("as_of")]
    if as_ofs:
        return max(as_ofs)[:7]
    return previous_month(_local_day(run_after))


def application_day(params: dict[str, Any], run_after: Any) -> str:
    """The day a daily run checks: the `day` param, else the day before the run's date."""
    if params.get("day"):
        return str(params["day"])
    return (_local_day(run_after) - dt.timedelta(days=1)).isoformat()


def make_plan(kind: str, month: str, day: str | None = None) -> dict[str, Any]:
    """The run's identity as plain data for XCom: paths and names, never data."""
    from pipelines.jobs import RunContext

    settings = _settings(month)
    ctx = (RunContext.monthly(settings) if kind == "monthly"
           else RunContext.applications(settings, day))  # type: ignore[arg-type]
    return {"kind": ctx.kind, "month": ctx.month, "day": ctx.day or "", "run_id": ctx.run_id,
            "data": str(ctx.data_dir), "args": ctx.args(), "run_dir": str(ctx.run_dir)}


def _settings(month: str):
    from pipelines.config import load_settings

    config = os.environ.get("WV_CONFIG")
    return load_settings(Path(config) if config else None, data_dir=data_dir(),
                         schemas_dir=schemas_dir(), month=month, spark_master=cluster_master())


def cluster_master() -> str | None:
    """The master URL of the Spark cluster connection, as spark-submit gets it; None without one.
    The run's manifest records it (the Spark stages ran there)."""
    conn_id = spark_conn_id()
    if conn_id is None:
        return None
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if conn.conn_type == "spark" and conn.host and ("://" in conn.host or not conn.port):
        master = conn.host
    else:
        master = f"{conn.conn_type}://{conn.host or ''}"
    return f"{master}:{conn.port}" if conn.port else master


def context_of(plan: dict[str, Any]):
    from pipelines.jobs import RunContext

    return RunContext(_settings(plan["month"]), plan["run_id"], plan["kind"], plan["day"] or None)


# ------------------------------------------------------------------------------ task bodies
def run(stage: str, plan: dict[str, Any], source: str | None = None) -> Any:
    """One stage in this process. Bad input and rejected extracts fail the task at once (no
    retry can fix them) with the engine's message: file, row, column or the gate's report."""
    from airflow.sdk.exceptions import AirflowFailException

    from pipelines.errors import EngineError
    from pipelines.jobs import SPARK_STAGES, run_stage

    ctx = context_of(plan)
    spark = None
    if stage in SPARK_STAGES:
        from pipelines.spark import get_spark

        spark = get_spark(ctx.settings, app_name=f"welfare-verify {ctx.run_id}")
    try:
        return run_stage(stage, ctx, source, spark=spark)
    except EngineError as exc:
        raise AirflowFailException(str(exc)) from exc
    finally:
        if spark is not None and ctx.settings.spark_remote:
            spark.stop()  # the server frees what the task's session cached and checkpointed


def pull_when_fresh(plan: dict[str, Any], source: str, run_after: Any, now: Any = None) -> bool:
    """One look of a source's pull task: True once the source's extract for the month is fresh
    enough and pulled. While it is stale (StaleExtract), False until WV_EXTRACT_WAIT_HOURS after the
    run's date, then the task fails at once with the engine's message: no retry brings an extract."""
    import logging

    from airflow.sdk.exceptions import AirflowFailException

    from pipelines.errors import EngineError
    from pipelines.intake import StaleExtract
    from pipelines.jobs import run_stage

    deadline = run_after + extract_wait()
    until = f"{deadline.astimezone(ZoneInfo(TIMEZONE)):%Y-%m-%d %H:%M} ({TIMEZONE})"
    try:
        run_stage("pull", context_of(plan), source)
    except StaleExtract as exc:
        if (now or dt.datetime.now(dt.UTC)) < deadline:
            logging.getLogger(__name__).warning("%s Waiting for a fresh extract until %s.", exc, until)
            return False
        raise AirflowFailException(f"{exc} (Airflow waited for one until {until}, "
                                   "WV_EXTRACT_WAIT_HOURS after the run's date; once it is in "
                                   "landing, clear this task.)") from exc
    except EngineError as exc:
        raise AirflowFailException(str(exc)) from exc
    return True


def stage_args(stage: str, plan: dict[str, Any], source: str | None = None) -> list[str]:
    """The `python -m pipelines.jobs` arguments of a stage (for spark-submit)."""
    return [stage, *(["--source", source] if source else []), *plan["args"]]


def source_of(args: list[str]) -> str:
    """The source named in a stage's arguments (`--source S`)."""
    return args[args.index("--source") + 1]


def name_map_index(source: str) -> None:
    """Show a mapped task instance by its source in the UI (map_index_template "{{ source }}")."""
    from airflow.sdk import get_current_context

    get_current_context()["source"] = source  # type: ignore[typeddict-unknown-key]


def submit_env() -> dict[str, str]:
    """spark-submit from this venv, with this Python on the driver and the executors."""
    venv_bin = str(Path(sys.executable).parent)
    return {"PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
            "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
            "PYTHONPATH": str(PROJECT_ROOT)}


def record_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: the failed task and its error in the run's log (run_log.json)."""
    ti = context["ti"]
    plan = ti.xcom_pull(task_ids="plan")
    if not plan:
        return
    from pipelines.jobs.stages import record_failure as record

    index = getattr(ti, "map_index", -1)
    name = getattr(ti, "rendered_map_index", None) or index  # the source, for a mapped task
    task = ti.task_id + (f"[{name}]" if index not in (-1, None) else "")
    error = context.get("exception")
    record(context_of(plan), task, f"{type(error).__name__}: {error}" if error else "failed")


def default_args() -> dict[str, Any]:
    return {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=2),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=30),
        "execution_timeout": dt.timedelta(hours=3),
        "on_failure_callback": record_failure,
    }


# ------------------------------------------------------------------------------ the DAGs' shape
def wire_stages(kind: str, the_plan) -> None:
    """After the `plan` task: start, per source pull → ingest → validate (mapped; pull waits for
    an extract fresh enough for the month, see pull_when_fresh), then the whole-run stages, publish and report. Spark stages run in the task's process, or through
    SparkSubmitOperator when a cluster connection is configured (WV_AIRFLOW_SPARK_CONN)."""
    from airflow.sdk import PokeReturnValue, task

    conn = spark_conn_id()
    wait = extract_wait()

    @task
    def start(plan: dict) -> list[str]:
        return run("start", plan)["sources"]

    @task.sensor(mode="reschedule", poke_interval=EXTRACT_POKE, timeout=wait + 2 * EXTRACT_POKE,
                 map_index_template="{{ source }}")
    def pull(plan: dict, source: str, **context) -> PokeReturnValue:
        """Waits (rescheduled, holding no worker) for an extract fresh enough for the month."""
        name_map_index(source)
        done = pull_when_fresh(plan, source, context["dag_run"].run_after)
        return PokeReturnValue(is_done=done, xcom_value=source)

    @task(map_index_template="{{ source }}")
    def ingest(plan: dict, source: str) -> list[str]:
        """Returns the validate stage's arguments (for spark-submit on a cluster)."""
        name_map_index(source)
        run("ingest", plan, source)
        return stage_args("validate", plan, source)

    sources = start(the_plan)
    pulled = pull.partial(plan=the_plan).expand(source=sources)
    ingested = ingest.partial(plan=the_plan).expand(source=pulled)

    if conn is None:
        @task(max_active_tis_per_dag=2, map_index_template="{{ source }}")
        def validate(plan: dict, args: list[str]) -> None:
            source = source_of(args)
            name_map_index(source)
            run("validate", plan, source)

        validated = validate.partial(plan=the_plan).expand(args=ingested)

        def spark_stage(stage: str):
            @task(task_id=stage)
            def run_stage(plan: dict) -> None:
                run(stage, plan)

            return run_stage(the_plan)
    else:
        from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

        submit = {"conn_id": conn, "application": JOBS_MAIN, "env_vars": submit_env(),
                  "name": "welfare-verify", "retries": 1}
        validated = SparkSubmitOperator.partial(
            task_id="validate", max_active_tis_per_dag=2,
            map_index_template="{{ task.application_args[2] }}", **submit,
        ).expand(application_args=ingested)
        from_plan = "{{ ti.xcom_pull(task_ids='plan')"

        def spark_stage(stage: str):
            args = [stage, "--data", from_plan + "['data'] }}", "--month", from_plan + "['month'] }}",
                    "--run-id", from_plan + "['run_id'] }}", "--kind", from_plan + "['kind'] }}",
                    "--day", from_plan + "['day'] }}"]
            op = SparkSubmitOperator(task_id=stage, application_args=args, **submit)
            the_plan >> op
            return op

    @task
    def publish(plan: dict) -> str:
        run("publish", plan)
        return plan["run_dir"] + "/manifest.json"

    @task
    def report(plan: dict) -> list[str]:
        return [str(p) for p in run("report", plan)]

    names = ["link", "household", "evaluate", "flags"]
    names = ["applicants", *names] if kind == "applications" else [*names, "outreach"]
    stages = [spark_stage(name) for name in names]
    validated >> stages[0]
    for upstream, downstream in zip(stages, stages[1:], strict=False):
        upstream >> downstream
    stages[-1] >> publish(the_plan) >> report(the_plan)


# ------------------------------------------------------------------------------ landing watch
def new_extract(source: str) -> dict[str, Any] | None:
    """The newest extract folder of the source in landing that has not been announced yet (or
    whose files changed since), recorded in `landing/<source>/.announced.json`; None if none."""
    import json

    folder = data_dir() / "landing" / source
    seen_path = folder / ".announced.json"
    seen = json.loads(seen_path.read_text(encoding="utf-8")) if seen_path.is_file() else {}
    fresh = {}
    for child in sorted(folder.iterdir()) if folder.is_dir() else ():
        try:
            dt.date.fromisoformat(child.name)
        except ValueError:
            continue
        files = sorted(f for f in child.iterdir() if f.is_file() and not f.name.startswith("."))
        if not files:
            continue
        print_ = [f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files]
        if seen.get(child.name) != print_:
            fresh[child.name] = print_
    if not fresh:
        return None
    seen.update(fresh)
    from pipelines.storage import write_json

    write_json(seen, seen_path)
    as_of = max(fresh)
    return {"source": source, "as_of": as_of, "files": [p.split(":")[0] for p in fresh[as_of]],
            "folders": sorted(fresh)}
