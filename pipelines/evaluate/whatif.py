"""What-if: the same household facts of a run, evaluated under the policy in force and a proposal.

A proposal is a folder laid out like `rules/` holding only the files it changes (say a standard
of 800/660); everything else comes from the rules in force. Both policies are evaluated on the
run's household facts for the run's month, so the only difference is the proposal. The report
counts, by district, the households and people whose status changes and the change in the
monthly benefit computed. Nothing here is a decision about anyone: it is policy arithmetic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.audit import policy_file_digests
from pipelines.config import month_bounds
from pipelines.errors import InputError
from pipelines.evaluate.decisions import evaluate
from pipelines.household import Period
from pipelines.policy import Policy, load_policy
from pipelines.standardize.counties import region_name

KEEP = ("household_id", "region_code", "members_counted", "status", "benefit_computed")


def compare_policies(facts: DataFrame, base: Policy, proposed: Policy, on: dt.date) -> DataFrame:
    """Per household: status and benefit under each policy, and the people counted."""
    before = evaluate(facts, base, on).select(*KEEP)
    after = evaluate(facts, proposed, on).select(
        "household_id",
        F.col("members_counted").alias("members_counted_new"),
        F.col("status").alias("status_new"),
        F.col("benefit_computed").alias("benefit_new"),
    )
    return before.join(after, "household_id").select(
        "household_id",
        "region_code",
        F.coalesce("members_counted", "members_counted_new", F.lit(0)).alias("people"),
        "status",
        "status_new",
        F.coalesce("benefit_computed", F.lit(0)).alias("benefit"),
        F.coalesce("benefit_new", F.lit(0)).alias("benefit_new"),
    )


def summarise(compared: DataFrame) -> dict[str, Any]:
    """Totals, transitions and per-district changes, in a deterministic order."""
    changed = F.col("status") != F.col("status_new")
    by_district = (
        compared.groupBy("region_code")
        .agg(
            F.count("*").alias("households"),
            F.sum("people").alias("people"),
            F.sum(changed.cast("int")).alias("households_changed"),
            F.sum(F.when(changed, F.col("people")).otherwise(0)).alias("people_changed"),
            F.sum("benefit").alias("benefit"),
            F.sum("benefit_new").alias("benefit_new"),
        )
        .orderBy("region_code")
        .collect()
    )
    transitions = (
        compared.where(changed)
        .groupBy("status", "status_new")
        .agg(F.count("*").alias("households"), F.sum("people").alias("people"),
             F.sum(F.col("benefit_new") - F.col("benefit")).alias("benefit_change"))
        .orderBy("status", "status_new")
        .collect()
    )
    districts = []
    for r in by_district:
        districts.append({
            "region_code": r["region_code"],
            "region_name": region_name(r["region_code"]),
            "households": r["households"],
            "people": int(r["people"] or 0),
            "households_changed": int(r["households_changed"] or 0),
            "people_changed": int(r["people_changed"] or 0),
            "benefit_monthly": str(r["benefit"]),
            "benefit_monthly_proposed": str(r["benefit_new"]),
            "benefit_change": str(r["benefit_new"] - r["benefit"]),
        })
    total = {
        key: sum(d[key] for d in districts)
        for key in ("households", "people", "households_changed", "people_changed")
    }
    base_sum = sum((r["benefit"] for r in by_district), start=0)
    new_sum = sum((r["benefit_new"] for r in by_district), start=0)
    total.update(benefit_monthly=str(base_sum), benefit_monthly_proposed=str(new_sum),
                 benefit_change=str(new_sum - base_sum))
    return {
        "total": total,
        "transitions": [
            {"from": r["status"], "to": r["status_new"], "households": r["households"],
             "people": int(r["people"] or 0), "benefit_change": str(r["benefit_change"])}
            for r in transitions
        ],
        "districts": districts,
    }


def fact_warnings(month: str, base: Policy, proposed: Policy) -> list[str]:
    """Parameters the proposal changes that shape the facts themselves, not only the rules.

    The what-if re-evaluates the run's facts; a different look-back window or list of counted
    vehicle statuses would need the facts rebuilt, so the report says so rather than pretend.
    """
    before, after = Period.of(month, base.params), Period.of(month, proposed.params)
    changed = [name for name in before.__dataclass_fields__
               if name != "excluded_income_types" and getattr(before, name) != getattr(after, name)]
    return [
        f"the proposal changes how household facts are built ({name}); the run's facts were built "
        "with the rules in force, so rerun the month with the proposal to see that part of its effect"
        for name in changed
    ]


def _digest(policy: Policy) -> str:
    """One SHA-256 over the digests of the policy's files (as the run manifest records them)."""
    files = json.dumps(policy_file_digests(policy), sort_keys=True)
    return hashlib.sha256(files.encode()).hexdigest()


def run_whatif(spark: SparkSession, data_dir: Path, run_id: str, rules_dir: Path, policy_name: str,
               proposal: Path) -> dict[str, Any]:
    """Evaluate a run's households under the rules in force and under `proposal`; the report."""
    run_dir = Path(data_dir) / "runs" / run_id
    households = run_dir / "households"
    if not households.is_dir():
        raise InputError(f"{households}: run '{run_id}' has no household facts (run `welfare-verify run` first)")
    facts = spark.read.parquet(str(households))
    months = [r["month"] for r in facts.select("month").distinct().collect()]
    if len(months) != 1:
        raise InputError(f"{households}: expected the facts of one month, found {sorted(months)}")
    on, _ = month_bounds(months[0])
    base = load_policy(rules_dir, policy_name)
    proposed = load_policy(rules_dir, policy_name, overlay=proposal)
    changed_files = sorted(
        proposed.params.display(f) for f in proposed.files if f.startswith(str(Path(proposal)))
    )
    compared = compare_policies(facts, base, proposed, on).localCheckpoint()
    report = summarise(compared)
    report["warnings"] = fact_warnings(months[0], base, proposed)
    return {
        "run_id": run_id,
        "month": months[0],
        "policy": {"name": base.name, "version": base.version, "sha256": _digest(base)},
        "proposal": {"folder": Path(proposal).name, "files": changed_files, "sha256": _digest(proposed)},
        **report,
    }
