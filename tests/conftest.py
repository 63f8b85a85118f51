"""Shared fixtures: one SparkSession for the whole test run (one shuffle partition, UI off)."""

from __future__ import annotations

import pytest
from hypothesis import settings as hypothesis_settings

from pipelines.config import load_settings
from pipelines.spark import get_spark

# No per-example deadline: the machine is shared and noisy, and speed is measured by `make bench`,
# never by a test (a deadline made a property test fail on a slow first example).
hypothesis_settings.register_profile("engine", deadline=None)
hypothesis_settings.load_profile("engine")


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


def pytest_collection_modifyitems(config, items):
    """Groups for `pytest -n 2 --dist loadgroup` (make test): tests sharing an expensive fixture
    run in one worker, so it is built once — the monthly run (`month_run`), the Airflow home
    and the Spark cluster (tests/orchestration), the generated worlds (tests/synth) — and every
    other module keeps its module-scoped fixtures by being a group of its own."""
    for item in items:
        parts = item.path.relative_to(config.rootpath).parts
        if "month_run" in getattr(item, "fixturenames", ()):
            group = "month_run"
        elif len(parts) > 2 and parts[1] in ("orchestration", "synth"):
            group = parts[1]
        else:
            group = "/".join(parts)
        item.add_marker(pytest.mark.xdist_group(group))
