"""The one place a SparkSession is built: local[*] by default, any master URL by setting."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.config import Settings
from pipelines.errors import EnvironmentProblem
from pipelines.paths import owner_only, secure_dir


def require_java() -> None:
    """Fail in one clear line when no Java runtime is available (Spark needs Java 17 or 21)."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise EnvironmentProblem("Java is missing: install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless)")


def get_spark(settings: Settings, app_name: str = "welfare-verify"):
    """A SparkSession for the settings' master; reuses a running one with the same master."""
    require_java()
    from pyspark.sql import SparkSession

    owner_only()  # the JVM inherits it: shuffle and spill files are owner-only too
    os.environ.setdefault("PYSPARK_PYTHON", os.environ.get("PYSPARK_PYTHON", _python()))
    builder = (
        SparkSession.builder.appName(app_name)
        .master(settings.spark_master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(settings.shuffle_partitions))
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.sql.legacy.javaCharsets", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone=Asia/Shanghai {_log_options(settings)}")
        .config("spark.sql.codegen.fallback", "true")
        # Hadoop creates Spark's output folders with its own umask (022 by default), not the process's
        .config("spark.hadoop.fs.permissions.umask-mode", "077")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=Asia/Shanghai")
    )
    if settings.spark_master.startswith("local"):
        builder = (builder.config("spark.driver.memory", settings.spark_driver_memory)
                   .config("spark.local.dir", str(scratch_dir(settings.data_dir))))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


LOG4J2 = Path(__file__).with_name("spark_log4j2.properties")


def spark_log(data_dir: Path) -> Path:
    """Where this process's Spark log goes: `<data>/logs/spark-<pid>.log` (owner-only)."""
    folder = secure_dir(Path(data_dir)) / "logs"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return (folder / f"spark-{os.getpid()}.log").resolve()


def _log_options(settings: Settings) -> str:
    log = str(spark_log(settings.data_dir))
    return f"-Dlog4j2.configurationFile={LOG4J2.as_uri()} -Dwv.spark.log={_quoted(log)}"


def _quoted(value: str) -> str:
    """A value Spark keeps whole when it splits extraJavaOptions at spaces."""
    return f'"{value}"' if any(c.isspace() for c in value) else value


def scratch_dir(data_dir: Path) -> Path:
    """This process's Spark scratch (shuffle, spill, broadcast files: they hold full ID numbers),
    `<data>/scratch/spark/<pid>`, inside the owner-only data directory; the scratch of processes
    that are gone (a killed run) is removed first."""
    root = secure_dir(Path(data_dir)) / "scratch" / "spark"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    for child in root.iterdir():
        if child.name.isdigit() and int(child.name) != os.getpid() and not _alive(int(child.name)):
            shutil.rmtree(child, ignore_errors=True)
    mine = root / str(os.getpid())
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
