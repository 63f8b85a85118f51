"""Peak resident memory of the process tree while a block runs."""

from __future__ import annotations

import time

from pipelines.linkbench.memory import PeakMemory, tree_rss_bytes


def test_sees_memory_held_inside_the_block():
    with PeakMemory(interval=0.05) as mem:
        block = bytearray(200 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
        time.sleep(0.3)
        del block
    assert mem.baseline_bytes > 0
    assert mem.peak_bytes - mem.baseline_bytes > 150 * 1024 * 1024


def test_peak_is_never_below_the_baseline():
    with PeakMemory() as mem:
        pass
    assert mem.peak_bytes >= mem.baseline_bytes > 0
    assert tree_rss_bytes() > 0
