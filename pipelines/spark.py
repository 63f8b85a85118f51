"""The one place a SparkSession is built: local[*] by default, any master URL by setting, or a
session on a Spark Connect server (`sc://`, the Airflow tasks' long-lived Spark)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from pipelines.config import Settings
from pipelines.errors import EnvironmentProblem
from pipelines.paths import owner_only, secure_dir
from pipelines.sizing import driver_memory


def require_java() -> None:
    """Fail in one clear line when no Java runtime is available (Spark needs Java 17 or 21)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise EnvironmentProblem("Java is missing: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless)")


def get_spark(settings: Settings, app_name: str = "welfare-verify"):
    """A SparkSession for the settings: a Spark Connect session when `spark_remote` is set (the
    stages then run on that long-lived server, see pipelines/jobs/connect_server.py), else one in
    this process on the settings' master, reusing a running one."""
    if settings.spark_remote:
        return _connect(settings, app_name)
    require_java()
    from pyspark.sql import SparkSession

    owner_only()  # the JVM inherits it: shuffle and spill files are owner-only too
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", _python()))
    builder = SparkSession.builder.appName(app_name).master(settings.spark_master)
    log = spark_log(settings.data_dir)
    scratch = scratch_dir(settings.data_dir) if settings.spark_master.startswith("local") else None
    for key, value in {**driver_conf(settings, log, scratch), **session_conf(settings)}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def session_conf(settings: Settings) -> dict[str, str]:
    """The SQL settings of every session, in this process or on a Connect server: what makes the
    outputs the same bytes wherever they were computed (time zone, GBK, Parquet timestamps)."""
    return {
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.sql.session.timeZone": "Asia/Shanghai",
        "spark.sql.legacy.javaCharsets": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.codegen.fallback": "true",
    }


def driver_conf(settings: Settings, log: Path, scratch: Path | None) -> dict[str, str]:
    """What the driver starts with (this process's JVM, or a Connect server's): its time zone, its
    log (`log`, through pipelines/spark_log4j2.properties), owner-only output folders, and in local
    mode its memory and its scratch folder `scratch` (shuffle and spill files)."""
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.extraJavaOptions": f"-Duser.timezone=Asia/Shanghai {_log_options(log)}",
        # Hadoop creates Spark's output folders with its own umask (022 by default), not the process's
        "spark.hadoop.fs.permissions.umask-mode": "077",
        "spark.executor.extraJavaOptions": "-Duser.timezone=Asia/Shanghai",
    }
    if scratch is not None:
        conf["spark.driver.memory"] = driver_memory(settings.spark_driver_memory)
        conf["spark.local.dir"] = str(scratch)
    return conf


def _connect(settings: Settings, app_name: str):
    """A session on the Spark Connect server at `settings.spark_remote` (its bearer token, if it
    takes one, from SPARK_CONNECT_AUTHENTICATE_TOKEN or the URL's `;token=`)."""
    from pyspark.sql import SparkSession

    owner_only()  # the files this process writes itself (Arrow tables, JSON)
    url = settings.spark_remote
    assert url is not None
    host, port = remote_address(url)
    if not answers(host, port):
        raise EnvironmentProblem(
            f"no Spark Connect server answers at {host}:{port} (WV_SPARK_REMOTE): start one with "
            "`python -m pipelines.jobs.connect_server start`, or unset WV_SPARK_REMOTE to run "
            "Spark in this process")
    _deep_plans()
    # in process, the JVM logs this to the Spark log; the Connect client warns in Python
    warnings.filterwarnings("ignore", message=".*No Partition Defined for Window operation",
                            category=UserWarning)
    builder = SparkSession.builder.remote(url).appName(app_name)
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _deep_plans() -> None:
    """Let the Connect client build commands on plans nested deeper than protobuf's default of 100
    levels. A `localCheckpoint` sends its plan inside a command the client decodes again; the
    household facts of the 漏保 screen nest deeper than that (the server takes 4096 levels)."""
    try:
        from google._upb import _message  # protobuf's default (upb) implementation
    except ImportError:  # another implementation: no such limit to lift here
        return
    _message.SetAllowOversizeProtos(True)


def remote_address(url: str) -> tuple[str, int]:
    """The host and port of an `sc://host[:port][/;params]` URL (Connect's port is 15002 by default)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.split("/;", 1)[0])
    return parts.hostname or "localhost", parts.port or 15002


def answers(host: str, port: int, seconds: float = 5.0) -> bool:
    """Whether something accepts a TCP connection at host:port."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=seconds):
            return True
    except OSError:
        return False


def pandas_udf(return_type):
    """`F.pandas_udf` for a function defined at import time: the UDF is made on first use, for
    the kind of session then running (in process or Spark Connect), so a module imported before
    the session exists serves either kind."""
    import functools

    def decorate(function):
        made: dict[bool, object] = {}

        @functools.wraps(function)
        def call(*columns):
            from pyspark.sql import functions as F
            from pyspark.sql.utils import is_remote

            kind = is_remote()
            if kind not in made:
                made[kind] = F.pandas_udf(function, return_type)
            return made[kind](*columns)  # type: ignore[operator]

        return call

    return decorate


LOG4J2 = Path(__file__).with_name("spark_log4j2.properties")


def spark_log(data_dir: Path, name: str | None = None) -> Path:
    """Where this process's Spark log goes: `<data>/logs/spark-<pid>.log` (owner-only); a Spark
    Connect server's is `spark-<name>.log`."""
    folder = secure_dir(Path(data_dir)) / "logs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return (folder / f"spark-{name or os.getpid()}.log").resolve()


def _log_options(log: Path) -> str:
    return f"-Dlog4j2.configurationFile={LOG4J2.as_uri()} -Dwv.spark.log={_quoted(str(log))}"


def _quoted(value: str) -> str:
    """A value Spark keeps whole when it splits extraJavaOptions at spaces."""
    return f'"{value}"' if any(c.isspace() for c in value) else value


def scratch_dir(data_dir: Path, name: str | None = None) -> Path:
    """This process's Spark scratch (shuffle, spill, broadcast files: they hold full ID numbers),
    `<data>/scratch/spark/<pid>`, inside the owner-only data directory; the scratch of processes
    that are gone (a killed run) is removed first. A Spark Connect server's is `<name>` there
    (not a number: it outlives the process that started it, and its stop removes it)."""
    root = secure_dir(Path(data_dir)) / "scratch" / "spark"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for child in root.iterdir():
        if child.name.isdigit() and int(child.name) != os.getpid() and not _alive(int(child.name)):
            shutil.rmtree(child, ignore_errors=True)
    mine = root / (name or str(os.getpid()))
    mine.mkdir(exist_ok=True, mode=0o700)
    return mine.resolve()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _python() -> str:
    import sys

    return sys.executable
