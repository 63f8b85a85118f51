"""The stages of a run, each a function of (spark, run context) that reads and writes files.

start → per source: pull, ingest, validate → [applicants] → link → household → evaluate →
flags → [outreach] → publish → report. `welfare-verify run` calls them in order in one process;
the Airflow DAGs call the same functions, one task each (or `python -m pipelines.jobs STAGE` through
spark-submit on a cluster), so both give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipelines.errors import InputError
from pipelines.jobs.context import RunContext

# outputs of a run, relative to its directory, in the manifest's order
MONTHLY_OUTPUTS = ["links", "link_model.json", "person_ids.parquet", "duplicates", "contributions",
                   "households", "decisions", "policy.json", "flags/flags.parquet",
                   "possibly_eligible.parquet"]
APPLICATION_OUTPUTS = ["applicants.parquet", "roster", *MONTHLY_OUTPUTS[:-1]]
# settings that say where the run's files and its Spark were, not what it computed: a run on a
# Spark Connect server writes the manifest a run in one process writes
UNRECORDED = ("data_dir", "rules_dir", "schemas_dir", "spark_remote")
KEEP = ("access_log.jsonl",)  # the unmasked views of runs before the audit log (<data>/audit/)
PENDING = ("received", "under_review", "public_notice")  # applications not yet decided


class _Timer:
    def __init__(self) -> None:
        self.t = time.perf_counter()

    def seconds(self) -> float:
        return round(time.perf_counter() - self.t, 3)


def _schemas(ctx: RunContext):
    from pipelines.schemas import load_schemas

    return load_schemas(ctx.settings.schemas_dir)


def _ruleset(ctx: RunContext):
    from pipelines.policy import load_ruleset

    return load_ruleset(ctx.settings.rules_dir, ctx.settings.ruleset)


def _period(ctx: RunContext, ruleset=None):
    from pipelines import household

    return household.Period.of(ctx.month, (ruleset or _ruleset(ctx)).params)


def sources(ctx: RunContext) -> list[str]:
    """The sources configured: one schema each under the schemas folder."""
    return sorted(_schemas(ctx))


# ---------------------------------------------------------------------------------------- start
def start(ctx: RunContext) -> dict[str, Any]:
    """Check the run can start, then clear the run's earlier outputs (a rerun replaces them)."""
    from pipelines.intake import choose_as_of
    from pipelines.paths import secure_dir

    secure_dir(ctx.data_dir)
    schemas = _schemas(ctx)
    period = _period(ctx)
    if "roster" not in schemas:
        raise InputError(f"{ctx.settings.schemas_dir}: no roster schema (roster.yaml)")
    needed = "roster" if ctx.kind == "monthly" else "applications"
    if needed not in schemas:
        raise InputError(f"{ctx.settings.schemas_dir}: no {needed} schema ({needed}.yaml)")
    landing = ctx.data_dir / "landing" / needed
    if choose_as_of(landing, period.end) is None:
        raise InputError(f"{landing}: no {needed} extract dated on or before {period.end}")
    if ctx.run_dir.is_dir():
        for child in ctx.run_dir.iterdir():
            if child.name in KEEP:
                continue
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    state = {"run_id": ctx.run_id, "month": ctx.month, "kind": ctx.kind, "day": ctx.day,
             "sources": sorted(schemas), "started": time.time()}  # state, not an output
    ctx.save("start", state)
    return state


# -------------------------------------------------------------------------- sources, one by one
def _month_end(ctx: RunContext) -> dt.date:
    """The last day of the run's month: which extracts a source stage takes (the rule set,
    which `start` has loaded and checked, is not needed for it)."""
    from pipelines.config import month_bounds

    return month_bounds(ctx.month)[1]


def pull(ctx: RunContext, source: str) -> dict[str, Any]:
    """Find the source's extract for the month in landing (delivered by the agency or pulled by
    `welfare-verify pull`): the newest as-of folder on or before the month's end. One older than
    the source's freshness limit (`freshness:` in its schema) is refused with StaleExtract."""
    from pipelines.intake import extract_files

    schemas = _schemas(ctx)
    if source not in schemas:
        raise InputError(f"source '{source}' has no schema in {ctx.settings.schemas_dir}")
    as_of, files = extract_files(schemas[source], ctx.data_dir, _month_end(ctx))
    state = {"source": source, "as_of": as_of,
             "files": sorted(p.relative_to(ctx.data_dir).as_posix() for p in files)}
    ctx.save("pull", state, source)
    return state


def ingest(ctx: RunContext, source: str) -> dict[str, Any]:
    """Parse the source's landing files to raw Parquet (reused when the same bytes came before)."""
    from pipelines.intake import ingest_source

    timer = _Timer()
    ctx.load("pull", source)
    outcome = ingest_source(_schemas(ctx)[source], ctx.data_dir, _month_end(ctx))
    state = {**outcome.to_state(ctx.data_dir), "seconds": timer.seconds()}
    ctx.save("ingest", state, source)
    return state


def validate(spark, ctx: RunContext, source: str) -> dict[str, Any]:
    """Great Expectations gate and row validation of one source: clean rows and quarantine.

    A critical failure raises GateRejected naming the files, the failures and the report."""
    from pipelines.intake import GateLimits, Gates, SourceOutcome, validate_source
    from pipelines.sources.registry import ExtractRegistry

    timer = _Timer()
    outcome = SourceOutcome.from_state(ctx.load("ingest", source), ctx.data_dir)
    ctx.state_path("validate", source).unlink(missing_ok=True)
    if outcome.as_of is not None:
        gates = Gates(ctx.run_dir / "data_docs" / source, ctx.run_id)
        limits = GateLimits(max_invalid_row_share=ctx.settings.max_invalid_row_share,
                            max_row_count_drop=ctx.settings.max_row_count_drop)
        registry = ExtractRegistry(ctx.data_dir / "registry.sqlite")
        try:
            validate_source(spark, _schemas(ctx)[source], ctx.data_dir, outcome, gates, limits,
                            registry, ctx.run_id)
        finally:
            gates.build_docs()
    state = {**outcome.to_state(ctx.data_dir), "seconds": timer.seconds()}
    ctx.save("validate", state, source)
    return state


def _outcomes(ctx: RunContext) -> dict[str, Any]:
    from pipelines.intake import SourceOutcome

    return {s: SourceOutcome.from_state(ctx.load("validate", s), ctx.data_dir)
            for s in ctx.load("start")["sources"]}


def _clean(spark, ctx: RunContext) -> dict[str, Any]:
    return {s: spark.read.parquet(str(o.clean_path))
            for s, o in _outcomes(ctx).items() if o.clean_path is not None}


def _roster(spark, ctx: RunContext, clean: dict[str, Any]):
    """The households checked: the roster, or the day's applying households shaped like it."""
    if ctx.kind == "monthly":
        if "roster" not in clean:
            raise InputError(f"run {ctx.run_id}: the roster extract has no clean rows")
        return clean["roster"]
    return spark.read.parquet(str(ctx.run_dir / "roster"))


# ------------------------------------------------------------------------------- applications
def applicants(spark, ctx: RunContext) -> dict[str, Any]:
    """The day's new applications (still pending), one row per member, and the same households
    shaped like the roster (programme 低保, status active) for the stages that follow."""
    from pyspark.sql import functions as F

    from pipelines.review import APPLICANT_COLUMNS
    from pipelines.storage import write_arrow, write_spark

    timer = _Timer()
    clean = _clean(spark, ctx)
    if "applications" not in clean:
        raise InputError(f"run {ctx.run_id}: the applications extract has no clean rows")
    if "roster" not in clean:
        raise InputError(f"run {ctx.run_id}: no roster extract to shape the applicants like")
    day = dt.date.fromisoformat(ctx.day)  # type: ignore[arg-type]
    apps = clean["applications"].where(
        (F.col("application_date") == F.lit(day)) & F.col("status").isin(*PENDING))
    table = apps.select(*APPLICANT_COLUMNS).orderBy("application_no", "member_no").toArrow()
    write_arrow(table, ctx.run_dir / "applicants.parquet")
    fixed = {"programme": F.lit("dibao"), "status": F.lit("active")}
    shaped = apps.select(*[
        (fixed.get(f.name) if f.name in fixed
         else F.col(f.name) if f.name in apps.columns else F.lit(None)).cast(f.dataType).alias(f.name)
        for f in clean["roster"].schema.fields
    ])
    members = write_spark(shaped, ctx.run_dir / "roster", ["household_id", "member_no"])
    state = {"applicants": {"applications": len(set(table.column("application_no").to_pylist())),
                            "members": members}, "seconds": timer.seconds()}
    ctx.save("applicants", state)
    return state


# ----------------------------------------------------------------------------- whole-run stages
def link(spark, ctx: RunContext) -> dict[str, Any]:
    """Link every registry record to the people checked; people ids; duplicates on the roster."""
    from pyspark.sql import functions as F

    from pipelines.link.config import resolve_config
    from pipelines.link.duplicates import roster_duplicates
    from pipelines.link.person_keys import assign_person_ids
    from pipelines.link.prepare import prepare_spark
    from pipelines.link.registries import link_registries, roster_people
    from pipelines.storage import write_arrow, write_json, write_spark

    timer = _Timer()
    run_dir = ctx.run_dir
    schemas = _schemas(ctx)
    clean = _clean(spark, ctx)
    link_config = resolve_config(ctx.settings.link_config)
    roster = _roster(spark, ctx, clean)
    people = roster_people(roster.where(F.col("status") == "active"), clean.get("hukou"))
    registries = {s: df for s, df in clean.items() if s != "roster"}
    people_p = prepare_spark(people, link_config, "left").localCheckpoint()
    links, link_model, link_stats = link_registries(people, registries, schemas, link_config, people_p)
    n_links = write_spark(links, run_dir / "links", ["source", "source_record_key", "person_key"])
    write_json({**link_model.to_dict(), "independent_check": link_stats.get("model_check")},
               run_dir / "link_model.json")
    person_ids = assign_person_ids(
        people.select("person_key", "id_number", "name").toPandas(), ctx.data_dir, ctx.month
    )
    write_arrow(pa.Table.from_pandas(person_ids, preserve_index=False), run_dir / "person_ids.parquet")
    duplicates = roster_duplicates(people, link_config, link_model, people_p)
    n_duplicates = write_spark(duplicates, run_dir / "duplicates", ["person_key_a", "person_key_b"])
    links = spark.read.parquet(str(run_dir / "links"))
    link_counts = {f"{r['source']}/{r['method']}": r["count"]
                   for r in links.groupBy("source", "method").count().collect()}
    state = {
        "links": {"rows": n_links, "by_source_method": dict(sorted(link_counts.items())),
                  "config": link_config.name, "config_sha256": link_config.sha256(),
                  "deterministic_pairs": link_stats["deterministic_pairs"],
                  "candidate_pairs": link_stats["candidate_pairs"], "model": "link_model.json"},
        "duplicates": {"rows": n_duplicates},
        "person_ids": dict(sorted(Counter(person_ids["how"]).items())),
        "seconds": timer.seconds(),
    }
    ctx.save("link", state)
    return state


def household_facts(spark, ctx: RunContext) -> dict[str, Any]:
    """Each household's contributions (the records behind each fact) and its facts."""
    from pipelines import household
    from pipelines.storage import write_spark

    timer = _Timer()
    run_dir = ctx.run_dir
    ctx.load("link")
    clean = _clean(spark, ctx)
    period = _period(ctx)
    links = spark.read.parquet(str(run_dir / "links"))
    duplicates = spark.read.parquet(str(run_dir / "duplicates"))
    roster = _roster(spark, ctx, clean)
    contrib = household.contributions({**clean, "roster": roster}, links, period, duplicates)
    write_spark(contrib, run_dir / "contributions", ["household_id", "fact", "source", "record_key"])
    contrib = spark.read.parquet(str(run_dir / "contributions"))
    n = write_spark(household.facts(roster, contrib, period), run_dir / "households", ["household_id"])
    state = {"households": {"rows": n}, "seconds": timer.seconds()}
    ctx.save("household", state)
    return state


def evaluate(spark, ctx: RunContext) -> dict[str, Any]:
    """The rules in force for the month against each household's facts: status and benefit."""
    from pipelines import evaluate as evaluate_stage
    from pipelines.storage import write_json, write_spark

    timer = _Timer()
    run_dir = ctx.run_dir
    ctx.load("household")
    ruleset = _ruleset(ctx)
    period = _period(ctx, ruleset)
    facts = spark.read.parquet(str(run_dir / "households"))
    write_spark(evaluate_stage.evaluate(facts, ruleset, period.start), run_dir / "decisions",
                ["household_id"])
    write_json(ruleset.describe(period.start), run_dir / "policy.json")
    decisions = spark.read.parquet(str(run_dir / "decisions"))
    counts = {r["status"]: r["count"]
              for r in decisions.groupBy("status").count().orderBy("status").collect()}
    state = {"decisions": {"by_status": counts}, "seconds": timer.seconds()}
    ctx.save("evaluate", state)
    return state


def flags(spark, ctx: RunContext) -> dict[str, Any]:
    """Points for review, with their evidence, from the rules that held."""
    from pipelines import flags as flag_stage
    from pipelines.storage import write_arrow

    timer = _Timer()
    run_dir = ctx.run_dir
    ctx.load("evaluate")
    decisions = spark.read.parquet(str(run_dir / "decisions"))
    facts = spark.read.parquet(str(run_dir / "households"))
    contrib = spark.read.parquet(str(run_dir / "contributions"))
    fired_df = flag_stage.fired_rules(decisions, facts)
    fired = [r.asDict(recursive=True) for r in fired_df.orderBy("household_id", "rule_id").collect()]
    flagged = fired_df.select("household_id").distinct()
    contrib_rows = [r.asDict() for r in contrib.join(flagged, "household_id").orderBy(
        "household_id", "fact", "source", "record_key").collect()]
    table = flag_stage.build_flags(fired, contrib_rows, _ruleset(ctx), _schemas(ctx), ctx.run_id)
    write_arrow(table, run_dir / "flags" / "flags.parquet")
    state = {"flags": {"rows": table.num_rows,
                       "by_code": dict(sorted(Counter(table.column("flag_code").to_pylist()).items()))},
             "seconds": timer.seconds()}
    ctx.save("flags", state)
    return state


def outreach(spark, ctx: RunContext) -> dict[str, Any]:
    """漏保 screen: households outside the roster that look eligible, for outreach (no flags)."""
    from pipelines.flags import outreach as outreach_stage
    from pipelines.storage import write_arrow

    timer = _Timer()
    ctx.load("flags")
    schemas = _schemas(ctx)
    clean = _clean(spark, ctx)
    leads = outreach_stage.possibly_eligible(
        clean, clean["roster"], clean.get("applications"), _ruleset(ctx), ctx.month,
        {source: schema.person_id for source, schema in schemas.items()},
    ).toArrow()
    write_arrow(leads, ctx.run_dir / "possibly_eligible.parquet")
    state = {"possibly_eligible": {
        "rows": leads.num_rows,
        "by_sign": dict(sorted(Counter(leads.column("sign_of_need").to_pylist()).items())),
        "label": outreach_stage.LABEL, "matching": outreach_stage.MATCHING,
    }, "seconds": timer.seconds()}
    ctx.save("outreach", state)
    return state


def publish(ctx: RunContext) -> dict[str, Any]:
    """Write the run's manifest (the run is then complete and reproducible) and the index of its
    Data Docs; the run's log gets the stage timings. A review store, once there is one, is fed here."""
    from pipelines.audit import engine_version, ruleset_record
    from pipelines.storage import write_json

    outcomes = _outcomes(ctx)
    stages: dict[str, Any] = {}
    names = ["link", "household", "evaluate", "flags"]
    names = (["applicants"] + names) if ctx.kind == "applications" else (names + ["outreach"])
    states = {name: ctx.load(name) for name in names}
    for state in states.values():  # each stage's state: its manifest sections, and its seconds
        stages.update({k: v for k, v in state.items() if k != "seconds"})
    extracts = sorted((e for o in outcomes.values() for e in o.extracts),
                      key=lambda e: (e.source, e.file))
    manifest = {
        "run_id": ctx.run_id,
        "month": ctx.month,
        "engine_version": engine_version(),
        "settings": {k: v for k, v in ctx.settings.public_dict().items() if k not in UNRECORDED},
        "ruleset": ruleset_record(_ruleset(ctx)),
        "inputs": [e.as_dict() for e in extracts],
        "sources": _sources_manifest(ctx, outcomes),
        "stages": dict(sorted(stages.items())),
        "outputs": APPLICATION_OUTPUTS if ctx.kind == "applications" else MONTHLY_OUTPUTS,
        "data_docs": "data_docs/index.html",
    }
    if ctx.kind == "applications":
        manifest["kind"], manifest["day"] = ctx.kind, ctx.day
    _docs_index(ctx, sorted(s for s, o in outcomes.items() if o.as_of is not None))
    write_json(manifest, ctx.run_dir / "manifest.json")
    _run_log(ctx, outcomes, states, extracts)
    return manifest


def _sources_manifest(ctx: RunContext, outcomes: dict[str, Any]) -> dict[str, Any]:
    """Each source's intake and its freshness: the limit, the oldest as-of date it accepts for the
    month and the extract's age in days at the month's end."""
    schemas, month_end = _schemas(ctx), _period(ctx).end
    return {s: {**outcomes[s].manifest(),
                "freshness": schemas[s].freshness.record(outcomes[s].as_of, month_end)}
            for s in sorted(outcomes)}


def _docs_index(ctx: RunContext, validated: list[str]) -> None:
    """One page linking each source's Great Expectations Data Docs."""
    from pipelines.review.render import render
    from pipelines.storage import atomic_path

    page = render("data_docs_index.html", run_id=ctx.run_id, sources=validated)
    with atomic_path(ctx.run_dir / "data_docs" / "index.html") as tmp:
        tmp.write_text(page, encoding="utf-8")


def _run_log(ctx: RunContext, outcomes: dict, states: dict, extracts: list) -> None:
    from pipelines.audit import RunLog

    log = RunLog()
    started = ctx.load("start")
    log.started = started["started"]
    log.stages["ingest_validate"] = round(sum(
        ctx.load(stage, s).get("seconds", 0) for s in started["sources"]
        for stage in ("ingest", "validate")), 3)
    log.stages.update({name: state.get("seconds", 0) for name, state in states.items()})
    log.stages["great_expectations"] = round(sum(o.gate_seconds for o in outcomes.values()), 3)
    log.notes["raw_reused"] = sorted(e.file for e in extracts if e.reused_raw)
    log.write(ctx.run_dir / "run_log.json", "succeeded")


def report(ctx: RunContext) -> list[Path]:
    """The run's reports: each applicant's 核对报告 (HTML and JSON), or the monthly summary."""
    if ctx.kind == "applications":
        from pipelines.review import write_reports

        return write_reports(ctx.data_dir, ctx.run_id)
    from pipelines.jobs.summary import write_summary

    return [write_summary(ctx.run_dir)]


def record_failure(ctx: RunContext, task: str, error: str) -> None:
    """A failed stage in the run's log (`run_log.json`, status failed); the manifest is written
    only by a run that finished."""
    import json

    from pipelines.storage import write_json

    path = ctx.run_dir / "run_log.json"
    log = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    failures = [f for f in log.get("failures", []) if f.get("task") != task]
    failures.append({"task": task, "error": error})
    log.update({"status": "failed", "error": error, "failures": sorted(failures, key=lambda f: f["task"])})
    (ctx.run_dir / "manifest.json").unlink(missing_ok=True)
    write_json(log, path)
