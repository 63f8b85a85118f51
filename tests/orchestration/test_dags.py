"""The DAGs under Airflow: parsed by a DagBag, run end to end by `dag.test()` on generated data.

The monthly DAG must give the bytes `welfare-verify run` gives for the same month, again on a
rerun; a corrupted extract fails only its own source's validate task; the daily DAG writes each
application's 核对报告; and the same DAG runs its Spark stages on a standalone cluster.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.config import load_settings
from pipelines.jobs import run_month
from tests.orchestration.conftest import airflow_env, copy_landing, run_dag
from tests.runs import outputs, schemas_of

pytestmark = pytest.mark.slow

MONTH = "2025-07"
RUN = f"{MONTH}-monthly"
DAGS = ("dibao_monthly_verification", "dibao_application_check", "dibao_landing_watch")
# The DAGs map over the sources configured (one schema each). The tests configure five or fewer of the
# sixteen (those the 漏保 screen needs among them), which keeps each end-to-end run to a few minutes on two cores; the end-to-end test of
# `welfare-verify run` covers all of them, through the same stage functions.
SOURCES = ("roster", "hukou", "disability", "cremation", "bank_deposits")
APPLICATION_SOURCES = ("roster", "applications", "hukou", "bank_deposits")
CORRUPTED_SOURCES = ("roster", "hukou", "bank_deposits")  # the run stops at validation
CLUSTER_SOURCES = ("roster", "hukou", "disability")  # each Spark stage is one spark-submit


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> Path:
    return schemas_of(tmp_path_factory.mktemp("schemas"), SOURCES)


def test_dagbag_parses_every_dag_fast_with_operations_set(airflow_home, tmp_path):
    script = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag()
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()},
       "seconds": {s.file.rsplit("/", 1)[-1]: s.duration.total_seconds() for s in bag.dagbag_stats},
       "dags": {d.dag_id: {"tags": sorted(d.tags), "doc": d.doc_md or "", "timezone": str(d.timezone),
                           "tasks": {t.task_id: {"retries": t.retries, "owner": t.owner,
                                                 "timeout": t.execution_timeout.total_seconds() if t.execution_timeout else None,
                                                 "callback": bool(t.on_failure_callback)}
                                     for t in d.tasks}}
                for d in bag.dags.values()}}
print("RESULT " + json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], env=airflow_env(airflow_home, tmp_path),
                          capture_output=True, text=True, timeout=300)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["errors"] == {}
    assert set(result["dags"]) == set(DAGS)
    for name, seconds in result["seconds"].items():
        assert seconds < 1.0, f"{name} took {seconds:.2f} s to parse"
    for dag_id, d in result["dags"].items():
        assert "dibao" in d["tags"], dag_id
        assert "中文" in d["doc"] and "English" in d["doc"], dag_id
        for task_id, t in d["tasks"].items():
            assert t["owner"] == "dibao-verification", (dag_id, task_id)
            assert t["timeout"], (dag_id, task_id)
            if task_id != "plan":
                assert t["retries"] >= 1, (dag_id, task_id)
            if dag_id != "dibao_landing_watch":
                assert t["callback"], (dag_id, task_id)
    monthly = result["dags"]["dibao_monthly_verification"]["tasks"]
    assert list(monthly) == ["plan", "start", "pull", "ingest", "validate", "link", "household",
                             "evaluate", "flags", "outreach", "publish", "report"]


def test_monthly_dag_matches_the_cli_run_and_reruns_byte_identical(airflow_home, generated, schemas, spark,
                                                                   settings, tmp_path):
    env = {"WV_SCHEMAS_DIR": str(schemas)}
    first = run_dag(airflow_home, generated, "dibao_monthly_verification", {"month": MONTH}, **env)
    assert first.state == "success", first.output[-5000:]
    validate = first.states("validate")
    assert validate == {source: "success" for source in SOURCES}
    run_dir = generated / "runs" / RUN
    by_dag = outputs(run_dir)
    flags = pq.read_table(run_dir / "flags" / "flags.parquet")
    assert flags.num_rows > 0
    assert (run_dir / "report" / "summary.html").is_file()

    # the same month through `welfare-verify run`, in this process: the same bytes
    shutil.copytree(run_dir, tmp_path / "by_dag")
    run_settings = load_settings(data_dir=generated, month=MONTH, schemas_dir=schemas,
                                 spark_master=settings.spark_master, shuffle_partitions=1,
                                 spark_driver_memory="2g")
    result = run_month(spark, run_settings)
    assert result.flags.equals(flags)
    assert outputs(run_dir) == by_dag

    # a rerun of the same logical month replaces that month with the same bytes, nothing else
    other = generated / "runs" / "2025-06-monthly"
    other.mkdir(parents=True)
    (other / "keep.txt").write_text("another month")
    again = run_dag(airflow_home, generated, "dibao_monthly_verification", {"month": MONTH}, **env)
    assert again.state == "success", again.output[-5000:]
    assert outputs(run_dir) == by_dag
    assert (other / "keep.txt").read_text() == "another month"


def _blank_column(csv_path: Path, header: str) -> None:
    rows = list(csv.reader(csv_path.open(encoding="utf-8-sig", newline="")))
    at = rows[0].index(header)
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([rows[0]] + [r[:at] + [""] + r[at + 1:] for r in rows[1:]])


def test_a_corrupted_extract_fails_only_its_validate_task(airflow_home, generated, tmp_path):
    schemas = schemas_of(tmp_path / "schemas", CORRUPTED_SOURCES)
    data = copy_landing(generated, tmp_path / "data")
    (extract,) = (data / "landing" / "bank_deposits").glob("*/*.csv")
    _blank_column(extract, "余额")  # every balance missing: a required value

    run = run_dag(airflow_home, data, "dibao_monthly_verification", {"month": MONTH},
                  WV_SCHEMAS_DIR=str(schemas))
    assert run.state == "failed"
    validate = run.states("validate")
    assert validate.pop("bank_deposits") == "failed"
    assert set(validate.values()) == {"success"}
    assert set(run.states("link").values()) == {"upstream_failed"}
    assert "bank_deposits: extract" in run.output and "rejected" in run.output
    assert "data_docs/bank_deposits/index.html" in run.output
    run_dir = data / "runs" / RUN
    assert (run_dir / "data_docs" / "bank_deposits" / "index.html").is_file()
    # the other sources' work is kept; the run has no manifest; the callback logged the failure
    assert (run_dir / "state" / "validate" / "roster.json").is_file()
    assert not (run_dir / "manifest.json").exists()
    log = json.loads((run_dir / "run_log.json").read_text(encoding="utf-8"))
    assert log["status"] == "failed"
    assert any(f["task"].startswith("validate[") and "bank_deposits" in f["error"] for f in log["failures"])


def _iso(text: str) -> str:
    """The generator's date styles (ISO, 19800101, 1980-1-1, 1980年1月1日, Excel serial) as ISO."""
    text = text.strip()
    if text.isdigit() and len(text) == 5:
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(text))).isoformat()
    if text.isdigit() and len(text) == 8:
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    y, m, d = re.split(r"[-年月日/]", text.rstrip("日"))[:3]
    return dt.date(int(y), int(m), int(d)).isoformat()


def _busiest_day(data: Path) -> tuple[str, set[str]]:
    """The day with most pending applications in the generated extract, and their numbers."""
    (path,) = (data / "landing" / "applications").glob("*/*.csv")
    by_day: dict[str, set[str]] = {}
    for r in csv.DictReader(path.open(encoding="utf-8-sig", newline="")):
        if r["办理状态"] in ("受理", "已受理", "审核中", "入户调查", "公示中"):
            by_day.setdefault(_iso(r["申请日期"]), set()).add(r["申请编号"])
    day = max(sorted(by_day), key=lambda d: len(by_day[d]))
    return day, by_day[day]


def test_application_dag_writes_each_applications_report(airflow_home, generated, tmp_path):
    schemas = schemas_of(tmp_path / "schemas", APPLICATION_SOURCES)
    day, numbers = _busiest_day(generated)
    run = run_dag(airflow_home, generated, "dibao_application_check", {"day": day},
                  WV_SCHEMAS_DIR=str(schemas))
    assert run.state == "success", run.output[-5000:]
    assert set(run.states("applicants").values()) == {"success"}
    reports = generated / "runs" / f"{day}-applications" / "reports"
    assert {p.stem for p in reports.glob("*.json") if p.stem != "index"} == numbers
    for number in numbers:
        html = (reports / f"{number}.html").read_text(encoding="utf-8")
        assert "核对报告" in html
    manifest = json.loads((generated / "runs" / f"{day}-applications" / "manifest.json").read_text())
    assert manifest["kind"] == "applications" and manifest["day"] == day
    assert manifest["stages"]["applicants"]["applications"] == len(numbers)
    assert sorted(manifest["stages"]) == ["applicants", "decisions", "duplicates", "flags", "households",
                                          "links", "person_ids"]


def test_the_same_dag_runs_its_spark_stages_on_a_standalone_cluster(airflow_home, generated, spark_cluster,
                                                                    spark, settings, tmp_path):
    schemas = schemas_of(tmp_path / "schemas", CLUSTER_SOURCES)
    data = copy_landing(generated, tmp_path / "data")
    run = run_dag(airflow_home, data, "dibao_monthly_verification", {"month": MONTH},
                  WV_SCHEMAS_DIR=str(schemas), WV_AIRFLOW_SPARK_CONN="spark_cluster",
                  AIRFLOW_CONN_SPARK_CLUSTER=spark_cluster)
    assert run.state == "success", run.output[-8000:]
    assert set(run.states("validate")) == set(CLUSTER_SOURCES)
    assert "spark-submit" in run.output and spark_cluster in run.output
    run_dir = data / "runs" / RUN
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["settings"]["spark_master"] == spark_cluster  # the jobs ran on the cluster
    by_cluster = outputs(run_dir)

    run_settings = load_settings(data_dir=data, month=MONTH, schemas_dir=schemas,
                                 spark_master=settings.spark_master, shuffle_partitions=1)
    run_month(spark, run_settings)
    local = outputs(run_dir)
    assert local.keys() == by_cluster.keys()
    assert {k: v for k, v in local.items() if k != "manifest.json"} == \
        {k: v for k, v in by_cluster.items() if k != "manifest.json"}
