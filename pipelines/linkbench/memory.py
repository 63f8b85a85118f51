"""Peak resident memory (RSS) of this process and all its children, sampled on a thread."""

from __future__ import annotations

import contextlib
import threading

import psutil


def tree_rss_bytes(process: psutil.Process | None = None) -> int:
    """Resident memory of `process` (default: this one) plus all its descendants, in bytes."""
    me = process or psutil.Process()
    total = 0
    for p in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class PeakMemory:
    """Context manager: the peak RSS of the process tree while its block runs.

    Sampled every `interval` seconds (and once at entry and exit), so a spike shorter than
    the interval can be missed. Children count too: a Spark JVM started by this process is
    included, so measure a DuckDB-only run in a process without a live Spark session, or
    read `peak_bytes - baseline_bytes`.

        with PeakMemory() as mem:
            run()
        mem.peak_bytes, mem.baseline_bytes
    """

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak_bytes = 0
        self.baseline_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process = psutil.Process()

    def _sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._process))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self.baseline_bytes = tree_rss_bytes(self._process)
        self.peak_bytes = self.baseline_bytes
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
