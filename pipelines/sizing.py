"""Spark's defaults sized to the machine, and a run that runs out of memory said in one paragraph.

`driver_memory("auto")` gives the local-mode driver (which is the executor too) 40 % of the
memory the machine has, between 1 and 32 GB: 9g on a 24 GB machine, leaving room for the JVM's
own overhead, the Python workers and the operating system's file cache. A figure such as `6g`
is used as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SHARE = 0.4
LOWEST_GB, HIGHEST_GB = 1, 32
SETTING = "WV_SPARK_DRIVER_MEMORY"
_FIGURE = re.compile(r"^[1-9][0-9]*[mMgG]$")
# what the JVM says when a job runs out of memory, in the message Python receives
_OUT_OF_MEMORY = ("OutOfMemoryError", "Java heap space", "GC overhead limit exceeded",
                  "Not enough memory to build and broadcast", "Cannot broadcast the table")


def machine_memory_bytes() -> int:
    """Physical memory of this machine (the container's limit when cgroups set a lower one)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def driver_memory(setting: str, total_bytes: int | None = None) -> str:
    """The driver memory Spark is given: `auto` sized to the machine, else the setting itself."""
    if setting.strip().lower() != "auto":
        return setting
    total = machine_memory_bytes() if total_bytes is None else total_bytes
    gb = int(total * SHARE // 2**30)
    return f"{min(max(gb, LOWEST_GB), HIGHEST_GB)}g"


def valid_memory(value: str) -> str:
    """`auto` or a figure Spark reads (512m, 9g); anything else is refused with the example."""
    if value.strip().lower() == "auto" or _FIGURE.match(value.strip()):
        return value.strip()
    raise ValueError("expected auto (40 % of this machine's memory) or a size such as 6g or 4096m")


def out_of_memory(error: BaseException) -> bool:
    """Whether a Spark job failed because the JVM ran out of memory."""
    text = str(error)
    return any(marker in text for marker in _OUT_OF_MEMORY)


def memory_advice(stage: str, setting: str, master: str) -> str:
    """One paragraph: what ran out, what it had, and the setting to change."""
    total_gb = machine_memory_bytes() / 2**30
    given = driver_memory(setting)
    more = f"{min(int(total_gb * 0.6), HIGHEST_GB * 2)}g"
    if not master.startswith("local"):
        return (f"stage {stage} ran out of memory on the Spark cluster at {master}: give its "
                "executors more memory (spark.executor.memory) or more executors, or raise "
                "spark.sql.shuffle.partitions (WV_SHUFFLE_PARTITIONS) so each task holds less.")
    return (f"stage {stage} ran out of memory: Spark had {given} of this machine's "
            f"{total_gb:.0f} GB (setting {SETTING}={setting}). Set {SETTING} higher (for example "
            f"{SETTING}={more}), or raise WV_SHUFFLE_PARTITIONS so each task holds less, or run "
            "the month on a cluster (README, \"Running on a cluster\"). The Spark log under "
            "<data>/logs/ has the Java detail.")
