"""A long-lived Spark Connect server for the Airflow tasks, from the pyspark package itself.

Each Airflow task is its own process; run in-process, each would start a JVM (15-30 s of a
2-core machine) for a stage that may take a few seconds. Instead `make airflow` starts one Spark
Connect server (`pyspark/sbin/start-connect-server.sh`) before the scheduler and stops it after,
and the tasks connect to it (`WV_SPARK_REMOTE=sc://localhost:PORT`, about half a second each).

    python -m pipelines.jobs.connect_server start --data D [--port P] [--folder F] [--shell]
    python -m pipelines.jobs.connect_server stop --data D [--folder F]
    python -m pipelines.jobs.connect_server status --data D [--folder F]

The server is the Spark driver, so it starts with what `get_spark` gives a driver in process
(pipelines/spark.py: the session settings, the time zone, the log through
pipelines/spark_log4j2.properties into `<data>/logs/`, owner-only output, the scratch folder under
`<data>/scratch/spark/`, the master and driver memory of the settings): a stage gives the same bytes
on it as in process. It listens on loopback only, on a free port unless one is given, and takes a
random bearer token (SPARK_CONNECT_AUTHENTICATE_TOKEN, in the environment, never on a command line):
other accounts of the machine reach neither the port's data nor the data directory. Its Python
workers run this interpreter, with the project on their path (the pandas UDFs import `pipelines`).
Its pid file, daemon output and `server.json` (URL, port, pid, token; 0600) are in the folder
(default `<data>/connect/`). `start` stops a server an earlier start left in the same folder
(a `make airflow` that was killed); `stop` waits for the process to end and removes its scratch.
After a change to the engine's code, restart the server: its Python workers keep what they loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
IDENT = "wv"  # SPARK_IDENT_STRING: names the daemon's pid and output files
HOST = "localhost"  # a token over plain gRPC needs the client to name the host `localhost`
BIND = "127.0.0.1"
TOKEN_ENV = "SPARK_CONNECT_AUTHENTICATE_TOKEN"
REMOTE_ENV = "WV_SPARK_REMOTE"
STATE = "server.json"


@dataclass(frozen=True)
class Server:
    url: str  # sc://localhost:PORT, for WV_SPARK_REMOTE
    port: int
    pid: int
    token: str
    folder: str
    log: str  # the Spark log (log4j) under <data>/logs
    scratch: str

    def env(self) -> dict[str, str]:
        """The environment a process needs to run its Spark stages on this server."""
        return {REMOTE_ENV: self.url, TOKEN_ENV: self.token}


def spark_home() -> Path:
    """The pyspark package's folder, which holds bin/, sbin/ and jars/ (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        from pipelines.errors import EnvironmentProblem

        raise EnvironmentProblem("pyspark is not installed in this environment")
    return Path(spec.origin).parent


def default_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "connect"


def free_port(host: str = BIND) -> int:
    """A TCP port nothing listens on now (the OS's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def check_port(port: int) -> int:
    if not 1024 <= port <= 65535:
        from pipelines.errors import InputError

        raise InputError(f"--port {port}: expected a port from 1024 to 65535 (or none: a free one)")
    return port


def server_conf(settings, port: int, log: Path, scratch: Path | None) -> dict[str, str]:
    """The server's Spark configuration: the driver's and the sessions' as get_spark sets them in
    process (pipelines/spark.py), and where it listens."""
    from pipelines.spark import driver_conf, session_conf

    return {
        **driver_conf(settings, log, scratch),
        **session_conf(settings),
        "spark.connect.grpc.binding.address": BIND,
        "spark.connect.grpc.binding.port": str(port),
    }


def command(settings, port: int, log: Path, scratch: Path | None) -> list[str]:
    """The start-connect-server.sh command line (no secret on it: the token is in the environment)."""
    conf = server_conf(settings, port, log, scratch)
    memory = conf.pop("spark.driver.memory", None)
    out = ["bash", str(spark_home() / "sbin" / "start-connect-server.sh"),
           "--master", settings.spark_master, "--name", "welfare-verify connect"]
    if memory:
        out += ["--driver-memory", memory]
    for key, value in conf.items():
        out += ["--conf", f"{key}={value}"]
    return out


def daemon_env(folder: Path, token: str | None = None, master: str = "local") -> dict[str, str]:
    """The environment of spark-daemon.sh: the pyspark package as SPARK_HOME, pid file and
    daemon output in `folder`; the workers' Python is this one, with the project on its path."""
    from pipelines.config import PROJECT_ROOT

    drop = ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE", REMOTE_ENV, TOKEN_ENV,
            "PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update({"SPARK_HOME": str(spark_home()), "SPARK_PID_DIR": str(folder),
                "SPARK_LOG_DIR": str(folder), "SPARK_IDENT_STRING": IDENT,
                "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": path})
    if master.startswith("local"):
        env["SPARK_LOCAL_IP"] = BIND
    if token is not None:
        env[TOKEN_ENV] = token
    return env


def pid_file(folder: Path) -> Path:
    return Path(folder) / f"spark-{IDENT}-{CLASS}-1.pid"


def start(settings, folder: Path | None = None, port: int | None = None,
          timeout: float = 300.0) -> Server:
    """Start a Connect server for `settings` (its data directory, master and driver memory) and
    return once it answers on its port; an EnvironmentProblem with the end of its output if not."""
    from pipelines.errors import EnvironmentProblem
    from pipelines.paths import owner_only, secure_dir
    from pipelines.spark import require_java, scratch_dir, spark_log

    require_java()
    owner_only()  # the server inherits it: its output, logs and scratch are owner-only
    folder = Path(folder or default_folder(settings.data_dir)).resolve()
    secure_dir(folder)
    stop(folder)  # one an earlier start left (a killed `make airflow`)
    port = check_port(port) if port else free_port()
    name = f"connect-{port}"
    log = spark_log(settings.data_dir, name)
    local = settings.spark_master.startswith("local")
    scratch = scratch_dir(settings.data_dir, name) if local else None
    token = secrets.token_hex(24)
    env = daemon_env(folder, token, settings.spark_master)
    done = subprocess.run(command(settings, port, log, scratch), env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    pid = _read_pid(folder)
    if done.returncode != 0 or pid is None:
        raise EnvironmentProblem(f"the Spark Connect server did not start: {_tail(done.stdout + done.stderr)}")
    deadline = time.monotonic() + timeout
    while not _answers(port):
        if not _alive(pid) or time.monotonic() > deadline:
            output = _tail(_daemon_output(folder))
            _kill(pid)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            why = "ended" if not _alive(pid) else f"did not answer on port {port} within {timeout:.0f} s"
            raise EnvironmentProblem(f"the Spark Connect server {why} (its log: {log}): {output}")
        time.sleep(0.5)
    server = Server(url=f"sc://{HOST}:{port}", port=port, pid=pid, token=token, folder=str(folder),
                    log=str(log), scratch=str(scratch or ""))
    from pipelines.storage import write_json

    write_json(asdict(server), folder / STATE)
    return server


def running(folder: Path) -> Server | None:
    """The server started in `folder` if it is still running, else None."""
    path = Path(folder) / STATE
    if not path.is_file():
        return None
    server = Server(**json.loads(path.read_text(encoding="utf-8")))
    return server if _alive(server.pid) and _read_pid(Path(folder)) == server.pid else None


def stop(folder: Path, timeout: float = 60.0) -> bool:
    """Stop the server started in `folder` (stop-connect-server.sh, then wait for it to end; killed
    if it has not after `timeout` s) and remove its scratch. True if one was running."""
    folder = Path(folder)
    pid = _read_pid(folder)
    state = folder / STATE
    scratch = json.loads(state.read_text(encoding="utf-8")).get("scratch") if state.is_file() else None
    was = pid is not None and _alive(pid)
    if was:
        subprocess.run(["bash", str(spark_home() / "sbin" / "stop-connect-server.sh")],
                       env=daemon_env(folder), capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:  # type: ignore[arg-type]
            time.sleep(0.2)
        _kill(pid)  # type: ignore[arg-type]
    pid_file(folder).unlink(missing_ok=True)
    state.unlink(missing_ok=True)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return was


# ------------------------------------------------------------------------------ processes
def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((BIND, port)) == 0


def _read_pid(folder: Path) -> int | None:
    try:
        return int(pid_file(folder).read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Running (a zombie left for its parent to reap has ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _kill(pid: int) -> None:
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _daemon_output(folder: Path) -> str:
    outs = sorted(Path(folder).glob(f"spark-{IDENT}-{CLASS}-1-*.out"))
    return outs[-1].read_text(encoding="utf-8", errors="replace") if outs else ""


def _tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


# ------------------------------------------------------------------------------ command line
def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m pipelines.jobs.connect_server",
                                description="Start, stop or show the Spark Connect server the Airflow tasks use.")
    p.add_argument("action", choices=("start", "stop", "status"))
    p.add_argument("--data", type=Path, help="data directory (default: WV_DATA_DIR or the settings')")
    p.add_argument("--folder", type=Path, help="pid file, daemon output and server.json (default <data>/connect)")
    p.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    p.add_argument("--config", type=Path, help="settings file (TOML or YAML)")
    p.add_argument("--shell", action="store_true",
                   help="start: print `export NAME=VALUE` lines for the shell (WV_SPARK_REMOTE and the token)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from pipelines.config import load_settings
    from pipelines.errors import EngineError

    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings(args.config, data_dir=args.data, spark_remote="")
        folder = (args.folder or default_folder(settings.data_dir)).resolve()
        if args.action == "start":
            server = start(settings, folder, args.port)
            if args.shell:
                print("\n".join(f"export {k}={v}" for k, v in server.env().items()))
            else:
                print(f"Spark Connect server at {server.url} (pid {server.pid}, log {server.log}); "
                      f"{REMOTE_ENV}={server.url}, token in {folder / STATE}", file=sys.stderr)
        elif args.action == "stop":
            print("stopped" if stop(folder) else "no server was running", file=sys.stderr)
        else:
            server = running(folder)
            print(json.dumps(_public(server) if server else None))
            return 0 if server else 3
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _public(server: Server) -> dict[str, Any]:
    return {k: v for k, v in asdict(server).items() if k != "token"}


if __name__ == "__main__":
    sys.exit(main())
