"""Each source's freshness limit (`freshness:` in its schema): parsed and checked before Spark, a
stale extract refused by the pull stage with what to do, and each extract's age in the manifest
and the monthly report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from pipelines.config import PROJECT_ROOT, load_settings
from pipelines.errors import ConfigError
from pipelines.intake.ingest import StaleExtract, extract_files
from pipelines.jobs import RunContext, run_stage
from pipelines.schemas import load_schemas
from pipelines.synth import SynthConfig, generate

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")


def landing(data, source: str, as_of: str):
    folder = data / "landing" / source / as_of
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{source}.csv").write_text("a\n1\n", encoding="utf-8")
    return folder


def test_every_schema_has_a_limit_with_its_reason():
    limits = {s: schema.freshness.max_age_months for s, schema in SCHEMAS.items()}
    assert {s: limits[s] for s in ("cremation", "custody", "hukou")} == dict.fromkeys(
        ("cremation", "custody", "hukou"), 1)
    assert {s: limits[s] for s in ("bank_deposits", "securities", "real_estate", "vehicles")} == dict.fromkeys(
        ("bank_deposits", "securities", "real_estate", "vehicles"), 3)
    assert set(limits) == set(SCHEMAS) and all(1 <= n <= 12 for n in limits.values())
    assert all(len(schema.freshness.reason) > 40 for schema in SCHEMAS.values())


@pytest.mark.parametrize("case", [
    {"description": "1 month: the previous month's close", "months": 1, "month_end": "2026-11-30",
     "oldest": "2026-10-31"},
    {"description": "3 months across a year end", "months": 3, "month_end": "2026-01-31",
     "oldest": "2025-10-31"},
    {"description": "1 month after February", "months": 1, "month_end": "2024-03-31", "oldest": "2024-02-29"},
    {"description": "0 months: the month's own last day", "months": 0, "month_end": "2025-07-31",
     "oldest": "2025-07-31"},
    {"description": "12 months", "months": 12, "month_end": "2025-07-31", "oldest": "2024-07-31"},
])
def test_oldest_as_of_accepted_is_the_close_of_the_nth_month_before(case):
    from pipelines.schemas import Freshness

    limit = Freshness(case["months"], "why")
    assert limit.oldest_as_of(dt.date.fromisoformat(case["month_end"])).isoformat() == case["oldest"], \
        case["description"]


def test_bad_limits_are_reported_together_with_file_and_key(tmp_path):
    def write(name, freshness):
        doc = yaml.safe_load((PROJECT_ROOT / "schemas" / f"{name}.yaml").read_text(encoding="utf-8"))
        doc.pop("freshness")
        if freshness is not None:
            doc["freshness"] = freshness
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")

    write("cremation", {"max_age_months": "one", "reason": ""})
    write("vehicles", {"max_age_month": 3, "max_age_months": -2, "reason": "old cars"})
    write("roster", None)
    write("hukou", {"max_age_months": True, "reason": "a boolean is not a number of months"})
    with pytest.raises(ConfigError) as err:
        load_schemas(tmp_path)
    problems = err.value.problems
    assert any("cremation.yaml: freshness.max_age_months" in p and "'one'" in p for p in problems)
    assert any("cremation.yaml: freshness.reason" in p for p in problems)
    assert any("vehicles.yaml: freshness.max_age_month: unknown key" in p for p in problems)
    assert any("vehicles.yaml: freshness.max_age_months" in p and "-2" in p for p in problems)
    assert any("roster.yaml: missing key 'freshness'" in p for p in problems)
    assert any("hukou.yaml: freshness.max_age_months" in p for p in problems)
    assert len(problems) == 6, problems


def test_the_pull_stage_refuses_a_stale_extract_with_what_to_do(tmp_path):
    landing(tmp_path, "roster", "2026-10-31")
    landing(tmp_path, "bank_deposits", "2025-06-30")
    ctx = RunContext.monthly(load_settings(data_dir=tmp_path, month="2026-11"))
    run_stage("start", ctx)
    assert run_stage("pull", ctx, "roster")["as_of"] == "2026-10-31"
    with pytest.raises(StaleExtract) as err:
        run_stage("pull", ctx, "bank_deposits")
    message = str(err.value)
    for part in ("bank_deposits: extract landing/bank_deposits/2025-06-30 refused as stale for month 2026-11",
                 "as of 2025-06-30, 518 days before the month's end 2026-11-30",
                 "the limit in bank_deposits.yaml is 3 months, as of 2026-08-31 or later",
                 "financial assets", "Deliver a newer extract to landing/bank_deposits/"):
        assert part in message
    assert not ctx.done("pull", "bank_deposits")
    assert (err.value.age_days, err.value.oldest_as_of) == (518, dt.date(2026, 8, 31))


def test_an_extract_on_the_limit_is_taken_and_a_day_older_is_refused(tmp_path):
    schema, month_end = SCHEMAS["hukou"], dt.date(2025, 3, 31)
    landing(tmp_path, "hukou", "2025-02-27")
    with pytest.raises(StaleExtract, match="as of 2025-02-28 or later"):
        extract_files(schema, tmp_path, month_end)
    landing(tmp_path, "hukou", "2025-02-28")
    as_of, files = extract_files(schema, tmp_path, month_end)
    assert as_of == "2025-02-28" and [f.name for f in files] == ["hukou.csv"]
    # a newer extract dated after the month checked is not used for it; the older one is
    landing(tmp_path, "hukou", "2025-04-30")
    assert extract_files(schema, tmp_path, month_end)[0] == "2025-02-28"


@pytest.mark.parametrize("month", ["2025-01", "2025-03", "2025-07"])
def test_the_generator_writes_extracts_every_limit_accepts(tmp_path, month):
    generate(SynthConfig(households=20, seed=5, month=month), tmp_path, PROJECT_ROOT / "rules")
    ctx = RunContext.monthly(load_settings(data_dir=tmp_path, month=month))
    run_stage("start", ctx)
    pulled = {s: run_stage("pull", ctx, s)["as_of"] for s in SCHEMAS}
    assert all(pulled.values()), pulled


@pytest.mark.slow
def test_the_manifest_and_the_monthly_report_show_each_sources_age(month_run):
    data, result = month_run  # July 2025: extracts as of 2025-06-30, applications 2025-07-31
    sources = result.manifest["sources"]
    assert sources["hukou"]["freshness"] == {"age_days": 31, "max_age_months": 1, "oldest_as_of": "2025-06-30"}
    assert sources["vehicles"]["freshness"] == {"age_days": 31, "max_age_months": 3,
                                                "oldest_as_of": "2025-04-30"}
    assert sources["applications"]["freshness"]["age_days"] == 0
    on_disk = json.loads((result.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["sources"]["disability"]["freshness"] == {"age_days": 31, "max_age_months": 12,
                                                              "oldest_as_of": "2024-07-31"}
    summary = json.loads((result.run_dir / "report" / "summary.json").read_text(encoding="utf-8"))
    assert summary["sources"]["vehicles"]["age_days"] == 31
    assert summary["sources"]["vehicles"]["max_age_months"] == 3
    page = (result.run_dir / "report" / "summary.html").read_text(encoding="utf-8")
    assert '时效 <span class="en">age (days)</span>' in page
    assert ('<td>vehicles</td><td>2025-06-30</td><td class="num">31</td>'
            '<td>3 个月 <span class="en">months</span> (≥ 2025-04-30)</td>') in page
