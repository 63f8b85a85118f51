"""Run a benchmark function in a fresh process, so that its peak memory is its own.

A second run in the same process would start with what the first left behind (DuckDB's
buffers, Python's heap, a Spark JVM), and a Spark JVM alive in the parent would count in a
DuckDB run's process tree. `run_in_child` spawns a new interpreter, calls the function there
and returns its (picklable) result.
"""

from __future__ import annotations

import importlib
import multiprocessing


def _child(conn, module: str, function: str, kwargs: dict) -> None:
    try:
        fn = getattr(importlib.import_module(module), function)
        conn.send(("ok", fn(**kwargs)))
    except BaseException as e:  # hand any failure to the parent
        import traceback

        conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def run_in_child(module: str, function: str, **kwargs):
    """`module.function(**kwargs)` in a freshly spawned process; its return value here.

    Raises RuntimeError with the child's traceback when it fails or dies.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, module, function, kwargs))
    proc.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        status, value = "error", f"the process died without a result (exit code {proc.exitcode})"
    proc.join()
    if status != "ok":
        raise RuntimeError(f"{module}.{function} failed in its own process: {value}")
    return value
