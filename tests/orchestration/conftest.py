"""Airflow runs for the DAG tests: a temporary AIRFLOW_HOME with SQLite, the project's DAGs, and
`dag.test()` in a subprocess (tests/orchestration/harness.py) so each run has its own configuration.
A Spark standalone master and worker on loopback, from the pyspark package, for the cluster path;
a Spark Connect server on loopback, from the pyspark package, for the tasks' long-lived Spark.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark
import pytest

from pipelines.config import PROJECT_ROOT

HARNESS = Path(__file__).with_name("harness.py")
BIN = Path(sys.executable).parent


def airflow_env(home: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WV_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "WV_DATA_DIR": str(data),
        "WV_SPARK_MASTER": "local[2]",
        "WV_SHUFFLE_PARTITIONS": "1",
        "WV_SPARK_DRIVER_MEMORY": "2g",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Path:
    """An Airflow metadata database (SQLite), migrated once for the session."""
    home = tmp_path_factory.mktemp("airflow_home")
    env = airflow_env(home, home / "unused")
    done = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return home


class DagRun:
    def __init__(self, done: subprocess.CompletedProcess):
        self.output = done.stdout + done.stderr
        line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("HARNESS-RESULT ")), None)
        assert line is not None, f"dag.test() did not finish (exit {done.returncode}):\n{self.output[-6000:]}"
        result = json.loads(line.removeprefix("HARNESS-RESULT "))
        self.state = result["state"]
        self.tasks = result["tasks"]

    def states(self, task_id: str) -> dict[str, str]:
        """Mapped instances by their rendered name (the source), or the task's own state."""
        return {(v["rendered_map_index"] or k): v["state"] for k, v in self.tasks.items()
                if k == task_id or k.startswith(task_id + "[")}


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Path:
    """The DAG tests' month: 40 generated households, seed 31, July 2025. A test that must not
    share its run folder with another copies the landing files (copy_landing)."""
    from pipelines.synth import SynthConfig, generate

    data = tmp_path_factory.mktemp("dag_data")
    generate(SynthConfig(households=40, seed=31, month="2025-07"), data, PROJECT_ROOT / "rules")
    return data


def copy_landing(generated: Path, to: Path) -> Path:
    shutil.copytree(generated / "landing", to / "landing")
    return to


def run_dag(home: Path, data: Path, dag_id: str, conf: dict, **env: str) -> DagRun:
    done = subprocess.run(
        [sys.executable, str(HARNESS), dag_id, json.dumps(conf)],
        env=airflow_env(home, data, **env), capture_output=True, text=True, timeout=1800,
    )
    return DagRun(done)


# ----------------------------------------------------------------- Spark standalone on loopback
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory):
    """`spark://127.0.0.1:PORT`: a standalone master and one worker (2 cores) from pyspark."""
    spark_home = Path(pyspark.__file__).parent
    spark_class = spark_home / "bin" / "spark-class"
    work = tmp_path_factory.mktemp("spark_cluster")
    port = _free_port()
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_WORKER_DIR": str(work / "worker"), "SPARK_LOG_DIR": str(work)}
    procs = []
    with open(work / "master.log", "w") as master_log, open(work / "worker.log", "w") as worker_log:
        yield from _run_cluster(spark_class, env, port, procs, master_log, worker_log, work)


def _run_cluster(spark_class, env, port, procs, master_log, worker_log, work):
    try:
        procs.append(subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(_free_port())],
            env=env, stdout=master_log, stderr=subprocess.STDOUT))
        _wait_port(port, 60)
        master = f"spark://127.0.0.1:{port}"
        procs.append(subprocess.Popen(
            [str(spark_class), "org.apache.spark.deploy.worker.Worker", master, "--cores", "2",
             "--memory", "3g", "--webui-port", str(_free_port()), "--host", "127.0.0.1"],
            env=env, stdout=worker_log, stderr=subprocess.STDOUT))
        time.sleep(3)
        yield master
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work / "worker", ignore_errors=True)


# ----------------------------------------------------------------- Spark Connect on loopback
@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """A Spark Connect server (local[2], one shuffle partition, 2 GB, as the tests' own session)
    on a free loopback port, its logs and scratch in a data folder of its own; stopped at the end."""
    from pipelines.config import load_settings
    from pipelines.jobs import connect_server as cs

    data = tmp_path_factory.mktemp("connect_data")
    settings = load_settings(data_dir=data, spark_master="local[2]", shuffle_partitions=1,
                             spark_driver_memory="2g", spark_remote="")
    server = cs.start(settings)
    try:
        yield server
    finally:
        assert cs.stop(Path(server.folder)), "the Connect server had ended before its tests did"
        assert cs.running(Path(server.folder)) is None
        assert not Path(server.scratch).exists()
