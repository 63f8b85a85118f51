"""Shared fixtures: one SparkSession for the whole test run (one shuffle partition, UI off)."""

from __future__ import annotations

import pytest

from pipelines.config import load_settings
from pipelines.spark import get_spark


@pytest.fixture(scope="session")
def settings():
    return load_settings(spark_master="local[2]", shuffle_partitions=1, spark_driver_memory="2g")


@pytest.fixture(scope="session")
def spark(settings):
    session = get_spark(settings, app_name="welfare-verify-tests")
    yield session
    session.stop()
