"""The Airflow tasks' long-lived Spark: a Spark Connect server (pipelines/jobs/connect_server.py).

The monthly DAG through a real server on loopback gives the bytes `welfare-verify run` gives in
process, and no task starts a JVM of its own; the server module's choices (port, command line,
environment, where it keeps its files) are checked without starting one.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.errors import ConfigError, EnvironmentProblem
from pipelines.jobs import connect_server as cs
from pipelines.jobs.stages import UNRECORDED
from pipelines.spark import driver_conf, get_spark, remote_address, session_conf
from pipelines.storage import SPARK_SCHEMA, default_collation
from tests.orchestration.conftest import copy_landing, run_dag
from tests.runs import outputs, schemas_of

MONTH = "2025-07"
# the sources of the monthly DAG test: every Spark stage runs, the 漏保 screen included
SOURCES = ("roster", "hukou", "disability", "cremation", "bank_deposits")


# ------------------------------------------------------------------------------ fast
def test_a_given_port_must_be_an_unprivileged_one_else_a_free_loopback_port_is_picked(tmp_path, capsys):
    assert cs.check_port(15002) == 15002
    for bad in (0, 80, 1023, 65536):
        with pytest.raises(Exception, match="--port"):
            cs.check_port(bad)
    port = cs.free_port()
    with socket.socket() as s:
        s.bind((cs.BIND, port))  # nothing holds it
    assert cs.main(["start", "--data", str(tmp_path), "--port", "80"]) == 2
    assert "--port 80" in capsys.readouterr().err
    assert cs.running(cs.default_folder(tmp_path)) is None


def test_the_server_gets_the_in_process_drivers_settings_on_loopback_and_no_secret_on_its_command_line(tmp_path):
    settings = load_settings(data_dir=tmp_path, spark_master="local[2]", spark_driver_memory="3g",
                             shuffle_partitions=3)
    log, scratch = tmp_path / "logs" / "spark-connect-4242.log", tmp_path / "scratch"
    conf = cs.server_conf(settings, 4242, log, scratch)
    assert conf.items() >= {**driver_conf(settings, log, scratch), **session_conf(settings)}.items()
    assert conf["spark.connect.grpc.binding.address"] == "127.0.0.1"
    assert conf["spark.connect.grpc.binding.port"] == "4242"
    assert conf["spark.sql.session.timeZone"] == "Asia/Shanghai"
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.local.dir"] == str(scratch)
    assert "spark_log4j2.properties" in conf["spark.driver.extraJavaOptions"]
    assert str(log) in conf["spark.driver.extraJavaOptions"]

    argv = cs.command(settings, 4242, log, scratch)
    assert argv[1].endswith("sbin/start-connect-server.sh")
    assert argv[argv.index("--master") + 1] == "local[2]"
    assert argv[argv.index("--driver-memory") + 1] == "3g"
    assert not any("token" in a.lower() for a in argv)

    env = cs.daemon_env(tmp_path / "connect", "s3cret", "local[2]")
    assert env[cs.TOKEN_ENV] == "s3cret"
    assert env["PYSPARK_PYTHON"] == sys.executable  # the workers import pipelines from here
    assert env["PYTHONPATH"].split(":")[0] == str(PROJECT_ROOT)
    assert env["SPARK_PID_DIR"] == env["SPARK_LOG_DIR"] == str(tmp_path / "connect")
    assert Path(env["SPARK_HOME"], "sbin", "stop-connect-server.sh").is_file()
    assert cs.REMOTE_ENV not in cs.daemon_env(tmp_path, None)


def test_stop_and_status_without_a_server(tmp_path, capsys):
    assert cs.main(["stop", "--data", str(tmp_path)]) == 0
    assert "no server was running" in capsys.readouterr().err
    assert cs.main(["status", "--data", str(tmp_path)]) == 3
    assert json.loads(capsys.readouterr().out) is None


def test_the_remote_setting_is_a_connect_url_left_out_of_the_manifest(tmp_path):
    assert load_settings(data_dir=tmp_path, spark_remote="").spark_remote is None
    url = "sc://localhost:15002/;token=abc"
    assert load_settings(data_dir=tmp_path, spark_remote=url).spark_remote == url
    assert remote_address(url) == ("localhost", 15002)
    assert remote_address("sc://spark.example") == ("spark.example", 15002)
    with pytest.raises(ConfigError, match="sc://host:port"):
        load_settings(data_dir=tmp_path, spark_remote="spark://localhost:7077")
    assert "spark_remote" in UNRECORDED  # where Spark ran is not part of the run's bytes


def test_a_remote_nobody_answers_is_one_clear_error(tmp_path):
    port = cs.free_port()
    settings = load_settings(data_dir=tmp_path, spark_remote=f"sc://localhost:{port}")
    with pytest.raises(EnvironmentProblem, match=f"no Spark Connect server answers at localhost:{port}"):
        get_spark(settings)


def test_the_default_collation_named_by_connect_is_written_unnamed():
    spark_json = json.dumps({"type": "struct", "fields": [
        {"name": "a", "type": "string collate UTF8_BINARY", "nullable": True, "metadata": {}},
        {"name": "b", "type": {"type": "array", "elementType": "string collate UTF8_BINARY",
                               "containsNull": True}, "nullable": True, "metadata": {}},
        {"name": "c", "type": "string collate UNICODE_CI", "nullable": True, "metadata": {}}]})
    schema = pa.schema([("a", pa.string())], metadata={SPARK_SCHEMA: spark_json, b"other": b"x"})
    fixed = json.loads(default_collation(schema).metadata[SPARK_SCHEMA])
    assert [f["type"] for f in fixed["fields"]][0] == "string"
    assert fixed["fields"][1]["type"]["elementType"] == "string"
    assert fixed["fields"][2]["type"] == "string collate UNICODE_CI"  # a real collation stays
    assert default_collation(schema).metadata[b"other"] == b"x"
    plain = pa.schema([("a", pa.string())], metadata={b"other": b"x"})
    assert default_collation(plain) is plain


# ------------------------------------------------------------------------------ slow
@pytest.mark.slow
def test_the_monthly_dag_on_a_connect_server_gives_the_cli_bytes_and_starts_no_jvm(
        airflow_home, generated, connect_server, spark, settings, tmp_path):
    schemas = schemas_of(tmp_path / "schemas", SOURCES)
    data = copy_landing(generated, tmp_path / "data")
    run = run_dag(airflow_home, data, "dibao_monthly_verification", {"month": MONTH},
                  WV_SCHEMAS_DIR=str(schemas), **connect_server.env())
    assert run.state == "success", run.output[-8000:]
    assert set(run.states("validate").values()) == {"success"}
    assert set(run.states("outreach").values()) == {"success"}
    # no task started Spark in its own process: that would have left its log and scratch here
    assert not list(data.glob("logs/spark-*.log"))
    assert not list(data.glob("scratch/spark/*"))
    assert connect_server.token not in run.output
    run_dir = data / "runs" / f"{MONTH}-monthly"
    by_connect = outputs(run_dir)
    shutil.copytree(run_dir, tmp_path / "by_connect")

    from pipelines.jobs import run_month

    run_month(spark, load_settings(data_dir=data, month=MONTH, schemas_dir=schemas,
                                   spark_master=settings.spark_master, shuffle_partitions=1,
                                   spark_driver_memory="2g"))
    in_process = outputs(run_dir)
    assert in_process.keys() == by_connect.keys()
    assert [k for k in in_process if in_process[k] != by_connect[k]] == []
