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


@pytest.fixture(scope="session")
def month_run(tmp_path_factory, spark, settings):
    """One finished monthly run (120 generated households, seed 7, July 2025, run id "t") that
    the case-file and application-report tests read; it costs minutes, so it is built once."""
    from pipelines.config import PROJECT_ROOT
    from pipelines.jobs import run_month
    from pipelines.synth import SynthConfig, generate

    data = tmp_path_factory.mktemp("month_run")
    generate(SynthConfig(households=120, seed=7, month="2025-07"), data, PROJECT_ROOT / "rules")
    run_settings = load_settings(
        data_dir=data, month="2025-07", spark_master=settings.spark_master, shuffle_partitions=1
    )
    return data, run_month(spark, run_settings, "t")
