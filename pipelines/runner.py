"""The stage runner: the only place the monthly run reads and writes data.

landing → raw → clean + quarantine → links → contributions → household facts → decisions →
flags, each written atomically under the data directory, then `runs/<run_id>/manifest.json`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from pipelines import evaluate as evaluate_stage
from pipelines import flags as flag_stage
from pipelines import household
from pipelines import outreach as outreach_stage
from pipelines.audit import RunLog, engine_version, ruleset_record
from pipelines.config import Settings
from pipelines.errors import InputError
from pipelines.gates import GateLimits, Gates
from pipelines.ingest import choose_as_of
from pipelines.intake import SourceOutcome, intake_source
from pipelines.link.config import resolve_config
from pipelines.link.duplicates import roster_duplicates
from pipelines.link.person_keys import assign_person_ids
from pipelines.link.prepare import prepare_spark
from pipelines.link.registries import link_registries, roster_people
from pipelines.policy import load_ruleset
from pipelines.schemas import load_schemas
from pipelines.sources.registry import ExtractRegistry
from pipelines.storage import write_arrow, write_json, write_spark

Progress = Callable[[str], None]


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]
    flags: pa.Table
    log: RunLog = field(repr=False, default_factory=RunLog)


def default_run_id(month: str) -> str:
    return f"{month}-monthly"


def run_month(spark: SparkSession, settings: Settings, run_id: str | None = None,
              progress: Progress | None = None) -> RunResult:
    """Verify every roster household for `settings.month`; returns the manifest and flags.

    A failed run leaves `run_log.json` with status `failed` and the error, and no manifest.
    """
    month = settings.month
    if month is None:
        raise InputError("no month to check: pass --month YYYY-MM")
    run_id = run_id or default_run_id(month)
    run_dir = settings.data_dir / "runs" / run_id
    log = RunLog()
    try:
        return _run(spark, settings, run_id, run_dir, log, progress or (lambda step: None))
    except Exception as exc:
        (run_dir / "manifest.json").unlink(missing_ok=True)
        log.write(run_dir / "run_log.json", "failed", f"{type(exc).__name__}: {exc}")
        raise


def _run(spark: SparkSession, settings: Settings, run_id: str, run_dir: Path, log: RunLog,
         say: Progress) -> RunResult:
    month = settings.month
    data = settings.data_dir
    schemas = load_schemas(settings.schemas_dir)
    ruleset = load_ruleset(settings.rules_dir, settings.ruleset)
    period = household.Period.of(month, ruleset.params)
    if "roster" not in schemas:  # checked before any work starts
        raise InputError(f"{settings.schemas_dir}: no roster schema (roster.yaml)")
    if choose_as_of(data / "landing" / "roster", period.end) is None:
        raise InputError(
            f"{data / 'landing' / 'roster'}: no roster extract dated on or before {period.end}"
        )

    # ingest, gate and validate, source by source; a critical gate failure stops the run
    outcomes: dict[str, SourceOutcome] = {}
    registry = ExtractRegistry(data / "registry.sqlite")
    gates = Gates(run_dir / "data_docs", run_id)
    limits = GateLimits(
        max_invalid_row_share=settings.max_invalid_row_share,
        max_row_count_drop=settings.max_row_count_drop,
    )
    try:
        for source, schema in schemas.items():
            say(f"ingest + validate {source}")
            outcomes[source] = intake_source(
                spark, schema, data, period.end, gates, limits, registry, run_id
            )
    finally:
        docs = gates.build_docs()
    clean = {
        source: spark.read.parquet(str(o.clean_path))
        for source, o in outcomes.items()
        if o.clean_path is not None
    }
    extracts = [e for o in outcomes.values() for e in o.extracts]
    counts = {source: o.manifest() for source, o in outcomes.items()}
    log.stage_done("ingest_validate")
    log.stages["great_expectations"] = round(sum(o.gate_seconds for o in outcomes.values()), 3)
    log.notes["raw_reused"] = sorted(e.file for e in extracts if e.reused_raw)

    # link
    say("link")
    link_config = resolve_config(settings.link_config)
    roster = clean["roster"]
    people = roster_people(roster.where(F.col("status") == "active"), clean.get("hukou"))
    registries = {s: df for s, df in clean.items() if s != "roster"}
    people_p = prepare_spark(people, link_config, "left").localCheckpoint()
    links, link_model, link_stats = link_registries(
        people, registries, schemas, link_config, people_p
    )
    n_links = write_spark(links, run_dir / "links", ["source", "source_record_key", "person_key"])
    write_json(link_model.to_dict(), run_dir / "link_model.json")
    person_ids = assign_person_ids(
        people.select("person_key", "id_number", "name").toPandas(), data, month
    )
    write_arrow(pa.Table.from_pandas(person_ids, preserve_index=False), run_dir / "person_ids.parquet")
    duplicates = roster_duplicates(people, link_config, link_model, people_p)
    n_duplicates = write_spark(duplicates, run_dir / "duplicates", ["person_key_a", "person_key_b"])
    links = spark.read.parquet(str(run_dir / "links"))
    link_counts = {
        f"{r['source']}/{r['method']}": r["count"]
        for r in links.groupBy("source", "method").count().collect()
    }
    log.stage_done("link")

    # household facts
    say("household facts")
    duplicates = spark.read.parquet(str(run_dir / "duplicates"))
    contrib = household.contributions(clean, links, period, duplicates)
    write_spark(contrib, run_dir / "contributions", ["household_id", "fact", "source", "record_key"])
    contrib = spark.read.parquet(str(run_dir / "contributions"))
    facts = household.facts(roster, contrib, period)
    n_households = write_spark(facts, run_dir / "households", ["household_id"])
    facts = spark.read.parquet(str(run_dir / "households"))
    log.stage_done("household")

    # evaluate
    say("evaluate rules")
    decisions = evaluate_stage.evaluate(facts, ruleset, period.start)
    write_spark(decisions, run_dir / "decisions", ["household_id"])
    write_json(ruleset.describe(period.start), run_dir / "policy.json")
    decisions = spark.read.parquet(str(run_dir / "decisions"))
    status_counts = {r["status"]: r["count"] for r in decisions.groupBy("status").count().orderBy("status").collect()}
    log.stage_done("evaluate")

    # flags
    say("flags")
    fired_df = flag_stage.fired_rules(decisions, facts)
    fired = [r.asDict(recursive=True) for r in fired_df.orderBy("household_id", "rule_id").collect()]
    flagged = fired_df.select("household_id").distinct()
    contrib_rows = [
        r.asDict() for r in contrib.join(flagged, "household_id").orderBy(
            "household_id", "fact", "source", "record_key").collect()
    ]
    flags = flag_stage.build_flags(fired, contrib_rows, ruleset, schemas, run_id)
    write_arrow(flags, run_dir / "flags" / "flags.parquet")
    log.stage_done("flags")

    # 漏保 screen: households outside the roster that look eligible, for outreach (no flags)
    say("outreach screen")
    leads = outreach_stage.possibly_eligible(
        clean, roster, clean.get("applications"), ruleset, month,
        {source: schema.person_id for source, schema in schemas.items()},
    ).toArrow()
    write_arrow(leads, run_dir / "possibly_eligible.parquet")
    log.stage_done("outreach")

    manifest = {
        "run_id": run_id,
        "month": month,
        "engine_version": engine_version(),
        "settings": {
            k: v for k, v in settings.public_dict().items()
            if k not in ("data_dir", "rules_dir", "schemas_dir")
        },
        "ruleset": ruleset_record(ruleset),
        "inputs": [e.as_dict() for e in sorted(extracts, key=lambda e: (e.source, e.file))],
        "sources": dict(sorted(counts.items())),
        "stages": {
            "links": {
                "rows": n_links,
                "by_source_method": dict(sorted(link_counts.items())),
                "config": link_config.name,
                "config_sha256": link_config.sha256(),
                "deterministic_pairs": link_stats["deterministic_pairs"],
                "candidate_pairs": link_stats["candidate_pairs"],
                "model": "link_model.json",
            },
            "duplicates": {"rows": n_duplicates},
            "person_ids": dict(sorted(Counter(person_ids["how"]).items())),
            "households": {"rows": n_households},
            "decisions": {"by_status": status_counts},
            "flags": {
                "rows": flags.num_rows,
                "by_code": dict(sorted(Counter(flags.column("flag_code").to_pylist()).items())),
            },
            "possibly_eligible": {
                "rows": leads.num_rows,
                "by_sign": dict(sorted(Counter(leads.column("sign_of_need").to_pylist()).items())),
                "label": outreach_stage.LABEL,
                "matching": outreach_stage.MATCHING,
            },
        },
        "outputs": ["links", "link_model.json", "person_ids.parquet", "duplicates", "contributions", "households", "decisions", "policy.json", "flags/flags.parquet",
                    "possibly_eligible.parquet"],
        "data_docs": docs.relative_to(run_dir.resolve()).as_posix(),
    }
    write_json(manifest, run_dir / "manifest.json")
    log.write(run_dir / "run_log.json", "succeeded")
    return RunResult(run_id, run_dir, manifest, flags, log)
