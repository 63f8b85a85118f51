"""The monthly DAG of a month whose extracts are all stale, as when the DAG is unpaused long after
its last delivery: each source's pull fails with the freshness message, nothing is verified."""

from __future__ import annotations

import json

import pytest

from tests.orchestration.conftest import run_dag
from tests.orchestration.test_dags import schemas_of

pytestmark = pytest.mark.slow

SOURCES = ("roster", "hukou", "bank_deposits")


def test_a_month_without_fresh_extracts_fails_each_pull_and_verifies_nothing(airflow_home, tmp_path):
    data = tmp_path / "data"
    for source in SOURCES:  # delivered for June 2025; the month checked is November 2026
        folder = data / "landing" / source / "2025-06-30"
        folder.mkdir(parents=True)
        (folder / f"{source}.csv").write_text("a\n1\n", encoding="utf-8")
    schemas = schemas_of(tmp_path / "schemas", SOURCES)

    run = run_dag(airflow_home, data, "dibao_monthly_verification", {"month": "2026-11"},
                  WV_SCHEMAS_DIR=str(schemas), WV_EXTRACT_WAIT_HOURS="0")
    assert run.state == "failed", run.output[-5000:]
    assert run.states("pull") == dict.fromkeys(SOURCES, "failed")
    assert set(run.states("ingest").values()) == {"upstream_failed"}
    assert set(run.states("link").values()) == {"upstream_failed"}
    assert "hukou: extract landing/hukou/2025-06-30 refused as stale for month 2026-11" in run.output
    assert "the limit in bank_deposits.yaml is 3 months, as of 2026-08-31 or later" in run.output
    run_dir = data / "runs" / "2026-11-monthly"
    assert not (run_dir / "manifest.json").exists()
    log = json.loads((run_dir / "run_log.json").read_text(encoding="utf-8"))
    assert log["status"] == "failed"
    assert {f["task"] for f in log["failures"]} == {f"pull[{s}]" for s in SOURCES}
    assert all("refused as stale" in f["error"] for f in log["failures"])
    assert not (data / "raw").exists()  # nothing was read, let alone verified
