"""Spark's memory sized to the machine, and a run out of memory said in one paragraph."""

from __future__ import annotations

import pytest

from pipelines.config import load_settings
from pipelines.sizing import driver_memory, memory_advice, out_of_memory, valid_memory

GB = 2**30


def test_auto_gives_the_driver_two_fifths_of_the_machine_within_bounds():
    assert driver_memory("auto", 24 * GB) == "9g"
    assert driver_memory("auto", 2 * GB) == "1g"  # never below 1g
    assert driver_memory("auto", 512 * GB) == "32g"  # nor above 32g
    assert driver_memory("6g", 24 * GB) == "6g"  # a figure is used as given


def test_auto_is_the_default_and_a_bad_figure_is_refused_with_an_example(monkeypatch):
    assert load_settings().spark_driver_memory == "auto"
    assert valid_memory("4096m") == "4096m"
    monkeypatch.setenv("WV_SPARK_DRIVER_MEMORY", "lots")
    with pytest.raises(Exception, match="auto .* or a size such as 6g"):
        load_settings()


def test_a_memory_failure_is_recognised_and_explained_with_the_setting():
    assert out_of_memory(RuntimeError("java.lang.OutOfMemoryError: Java heap space"))
    assert out_of_memory(RuntimeError("Not enough memory to build and broadcast the table"))
    assert not out_of_memory(RuntimeError("Path does not exist: file:/x"))
    advice = memory_advice("link", "auto", "local[*]")
    assert "stage link ran out of memory" in advice and "WV_SPARK_DRIVER_MEMORY" in advice
    assert "\n" not in advice
    assert "spark.executor.memory" in memory_advice("link", "auto", "spark://10.0.0.1:7077")
