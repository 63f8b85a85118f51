"""The job entry points and the DAGs' run-time choices, without Airflow running."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from pipelines.config import load_settings
from pipelines.errors import ConfigError, InputError
from pipelines.jobs import RunContext, run_stage
from pipelines.jobs import airflow_support as wv
from pipelines.jobs.__main__ import main
from pipelines.jobs.stages import record_failure

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_month_is_the_param_else_the_triggering_extract_else_the_previous_month():
    after = dt.datetime(2025, 8, 5, 6, 0, tzinfo=SHANGHAI)
    assert wv.monthly_month({"month": "2025-03"}, None, after) == "2025-03"
    events = {"dibao_landing_roster": [SimpleNamespace(extra={"as_of": "2025-07-31"})],
              "dibao_landing_hukou": [SimpleNamespace(extra={"as_of": "2025-06-30"})]}
    assert wv.monthly_month({"month": None}, events, after) == "2025-07"
    assert wv.monthly_month({}, {}, after) == "2025-07"
    # 1 January 00:30 in Shanghai is still 31 December in UTC: the month is Shanghai's
    new_year = dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC)
    assert wv.monthly_month({}, None, new_year) == "2025-12"


def test_application_day_is_the_param_else_yesterday_in_shanghai():
    after = dt.datetime(2025, 7, 15, 23, 30, tzinfo=dt.UTC)  # 16 July 07:30 in Shanghai
    assert wv.application_day({"day": "2025-07-02"}, after) == "2025-07-02"
    assert wv.application_day({}, after) == "2025-07-15"


def test_stage_arguments_round_trip_through_the_job_entry_point(tmp_path):
    ctx = RunContext.applications(load_settings(data_dir=tmp_path), "2025-07-15")
    args = ["validate", "--source", "bank_deposits", *ctx.args()]
    assert wv.source_of(args) == "bank_deposits"
    assert args[args.index("--run-id") + 1] == "2025-07-15-applications"
    assert args[args.index("--day") + 1] == "2025-07-15"


def test_a_stage_before_its_inputs_names_what_is_missing(tmp_path, capsys):
    code = main(["link", "--data", str(tmp_path), "--month", "2025-07", "--run-id", "r"])
    assert code == 2
    assert "stage 'start' has not finished" in capsys.readouterr().err
    code = main(["ingest", "--data", str(tmp_path), "--month", "2025-07", "--run-id", "r"])
    assert code == 2 and "needs --source" in capsys.readouterr().err


def test_start_needs_the_months_roster_and_a_rerun_keeps_only_the_access_log(tmp_path):
    ctx = RunContext.monthly(load_settings(data_dir=tmp_path, month="2025-07"))
    with pytest.raises(InputError, match="no roster extract dated on or before 2025-07-31"):
        run_stage("start", ctx)
    (tmp_path / "landing" / "roster" / "2025-07-31").mkdir(parents=True)
    ctx.run_dir.mkdir(parents=True)
    (ctx.run_dir / "access_log.jsonl").write_text("{}\n")
    (ctx.run_dir / "flags").mkdir()
    (ctx.run_dir / "manifest.json").write_text("{}")
    state = run_stage("start", ctx)
    assert "roster" in state["sources"]
    assert sorted(p.name for p in ctx.run_dir.iterdir()) == ["access_log.jsonl", "state"]


def test_an_applications_day_must_lie_in_its_month(tmp_path):
    with pytest.raises(InputError, match="not YYYY-MM-DD"):
        RunContext(load_settings(data_dir=tmp_path, month="2025-07"), "r", "applications", "15/07/2025")
    with pytest.raises(InputError, match="not in month"):
        RunContext(load_settings(data_dir=tmp_path, month="2025-07"), "r", "applications", "2025-08-01")


def test_a_failure_is_recorded_in_the_run_log_and_no_manifest_remains(tmp_path):
    ctx = RunContext.monthly(load_settings(data_dir=tmp_path, month="2025-07"))
    ctx.run_dir.mkdir(parents=True)
    (ctx.run_dir / "manifest.json").write_text("{}")
    record_failure(ctx, "validate[1]", "GateRejected: bank_deposits: extract x rejected")
    record_failure(ctx, "link", "upstream")
    log = json.loads((ctx.run_dir / "run_log.json").read_text())
    assert log["status"] == "failed"
    assert [f["task"] for f in log["failures"]] == ["link", "validate[1]"]
    assert not (ctx.run_dir / "manifest.json").exists()


def test_a_new_extract_in_landing_is_announced_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WV_DATA_DIR", str(tmp_path))
    assert wv.new_extract("roster") is None
    folder = tmp_path / "landing" / "roster" / "2025-07-31"
    folder.mkdir(parents=True)
    assert wv.new_extract("roster") is None  # an empty folder is not an extract yet
    (folder / "roster.csv").write_text("a,b\n1,2\n")
    found = wv.new_extract("roster")
    assert found == {"source": "roster", "as_of": "2025-07-31", "files": ["roster.csv"],
                     "folders": ["2025-07-31"]}
    assert wv.new_extract("roster") is None
    (folder / "roster.csv").write_text("a,b\n1,2\n3,4\n")  # redelivered: announced again
    assert wv.new_extract("roster")["as_of"] == "2025-07-31"


def _extract(data, source: str, as_of: str) -> None:
    folder = data / "landing" / source / as_of
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{source}.csv").write_text("a\n1\n", encoding="utf-8")


def test_a_stale_pull_waits_for_a_fresh_extract_then_fails_with_the_message(tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setenv("WV_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WV_EXTRACT_WAIT_HOURS", "72")
    _extract(tmp_path, "roster", "2026-10-31")
    _extract(tmp_path, "hukou", "2025-06-30")  # seventeen months before November 2026
    plan = wv.make_plan("monthly", "2026-11")
    ctx = wv.context_of(plan)
    run_stage("start", ctx)
    run_after = dt.datetime(2026, 12, 5, 6, 0, tzinfo=SHANGHAI)  # the scheduled run of 2026-11
    hours = dt.timedelta(hours=1)

    assert wv.pull_when_fresh(plan, "roster", run_after, now=run_after) is True
    assert ctx.load("pull", "roster")["as_of"] == "2026-10-31"
    assert wv.pull_when_fresh(plan, "hukou", run_after, now=run_after + 71 * hours) is False
    assert not ctx.done("pull", "hukou")
    with pytest.raises(AirflowFailException) as err:
        wv.pull_when_fresh(plan, "hukou", run_after, now=run_after + 72 * hours)
    message = str(err.value)
    assert "hukou: extract landing/hukou/2025-06-30 refused as stale for month 2026-11" in message
    assert "as of 2026-10-31 or later" in message and "waited for one until 2026-12-08 06:00" in message
    # unpausing weeks late: the scheduled run's wait is over, so a stale source fails at once
    with pytest.raises(AirflowFailException):
        wv.pull_when_fresh(plan, "hukou", run_after, now=run_after + 15 * 24 * hours)
    # the agency delivers: the next look pulls it
    _extract(tmp_path, "hukou", "2026-11-30")
    assert wv.pull_when_fresh(plan, "hukou", run_after, now=run_after + 2 * hours) is True
    assert ctx.load("pull", "hukou")["as_of"] == "2026-11-30"


def test_the_wait_for_fresh_extracts_is_configured_in_hours(monkeypatch):
    monkeypatch.delenv("WV_EXTRACT_WAIT_HOURS", raising=False)
    assert wv.extract_wait() == dt.timedelta(hours=72)
    monkeypatch.setenv("WV_EXTRACT_WAIT_HOURS", "0")
    assert wv.extract_wait() == dt.timedelta(0)
    for bad in ("three days", "-1", "1000"):
        monkeypatch.setenv("WV_EXTRACT_WAIT_HOURS", bad)
        with pytest.raises(ConfigError, match=f"WV_EXTRACT_WAIT_HOURS '{bad}'"):
            wv.extract_wait()
