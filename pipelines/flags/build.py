"""Flags: each fired rule becomes a point for review with its evidence and a plain explanation.

A flag never changes a payment and never decides: it says what the registries show, against
which rule and threshold, from which records, so a caseworker can judge it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.household import FACT_EVIDENCE
from pipelines.policy import RuleSet
from pipelines.policy.facts import FACTS
from pipelines.schemas import Schema
from pipelines.standardize.masking import key_pii, mask_key

# DOMAIN §4: hard events, thresholds, inconsistencies, then the points to verify — records of a
# known false-positive pattern (`verify`) and uncertain identities (`verify_identity`), never
# violations by themselves
# facts that count members: their records name the members a flag concerns
MEMBER_FACTS = frozenset({
    "deceased_members", "members_enrolled_elsewhere", "members_in_custody", "state_payroll_members",
    "members_identity_unverified", "members_provident_without_wage", "undeclared_spouses",
})
TIER_ORDER = {"hard_event": 0, "threshold": 1, "inconsistency": 2, "verify": 3, "verify_identity": 4}

FLAG_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("flag_id", pa.string()),
        ("month", pa.string()),
        ("household_id", pa.string()),
        ("region_code", pa.string()),
        ("person_key", pa.string()),
        ("flag_code", pa.string()),
        ("tier", pa.string()),
        ("rule_id", pa.string()),
        ("rule_version", pa.int32()),
        ("legal_basis", pa.string()),
        ("value", pa.decimal128(20, 2)),
        ("threshold", pa.decimal128(20, 2)),
        ("margin", pa.decimal128(12, 4)),
        ("borderline", pa.bool_()),
        ("money_at_stake", pa.decimal128(20, 2)),
        ("evidence", pa.string()),
        ("evidence_hash", pa.string()),
        ("explanation_zh", pa.string()),
        ("explanation_en", pa.string()),
    ]
)


def fired_rules(decisions: DataFrame, facts: DataFrame) -> DataFrame:
    """One row per (household, fired flag rule) with the figures the explanation needs."""
    exploded = decisions.select(
        "month", "household_id", "region_code", "members_counted", F.explode("rule_results").alias("r")
    ).where("r.fired AND r.flag_code IS NOT NULL")
    return exploded.join(
        facts.select("household_id", "benefit_amount", "homes"), "household_id"
    ).select("month", "household_id", "region_code", "members_counted", "benefit_amount", "homes", "r.*")


def evidence_facts(ruleset: RuleSet, rule) -> list[str]:
    """The contribution facts behind a rule: its facts and, through formulas, theirs."""
    formulas = {f.name: f for f in ruleset.formulas}
    seen: list[str] = []
    stack = list(rule.names)
    while stack:
        name = stack.pop(0)
        if name in seen:
            continue
        seen.append(name)
        if name in formulas:
            stack.extend(formulas[name].expression.facts)
    wanted: list[str] = []
    for name in seen:
        for ev in FACT_EVIDENCE.get(name, (name,) if name not in formulas else ()):
            if ev not in wanted:
                wanted.append(ev)
    return wanted


def _counts_only(expression) -> bool:
    """An expression over counts alone (homes + homes_doubtful) reads as a whole number."""
    facts = expression.facts
    return bool(facts) and not expression.parameters and all(
        n in FACTS and FACTS[n].kind == "count" for n in facts
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _pct(margin: Decimal | None) -> str:
    return "—" if margin is None else f"{margin * 100:.1f}%"


def _whole(value: Decimal | None) -> Any:
    """A count for a sentence ("1 名成员", not "1.00 名")."""
    return None if value is None else int(value) if value == value.to_integral_value() else str(value)


def _first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def build_flags(
    fired: list[dict],
    contributions: list[dict],
    ruleset: RuleSet,
    schemas: dict[str, Schema],
    run_id: str,
) -> pa.Table:
    """Assemble flags from fired-rule rows and the contributions of those households."""
    by_household: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for c in contributions:
        by_household[(c["household_id"], c["fact"])].append(c)
    pii_parts = {name: key_pii(schema) for name, schema in schemas.items()}
    rows = []
    for f in fired:
        rule = ruleset.rule(f["rule_id"])
        wanted = evidence_facts(ruleset, rule)
        records = []
        for fact in wanted:
            for c in sorted(by_household.get((f["household_id"], fact), []),
                            key=lambda c: (c["source"], c["record_key"], c["fact"])):
                records.append(
                    {
                        "fact": fact,
                        "source": c["source"],
                        "as_of": c["as_of"],
                        "file": c["file"],
                        "row": c["row"],
                        "record_key": mask_key(c["record_key"], pii_parts.get(c["source"], [])),
                        "person_key": c["person_key"],
                        "amount": _plain(c["amount"]),
                        "detail": json.loads(c["detail"]) if c["detail"] else {},
                        "link": {
                            "method": c["link_method"],
                            "score": c["link_score"],
                            "comparison": json.loads(c["link_evidence"]) if c.get("link_evidence") else {},
                        },
                    }
                )
        persons = sorted({r["person_key"] for r in records if r["fact"] in MEMBER_FACTS})
        evidence = {
            "ruleset": {"name": ruleset.name, "version": ruleset.version},
            "rule": {"id": rule.id, "version": rule.version, "legal_basis": rule.legal_basis,
                     "title_zh": rule.title_zh, "title_en": rule.title_en},
            "month": f["month"],
            "test": {
                "value_expression": f["value_expression"],
                "op": f["op"],
                "threshold_expression": f["threshold_expression"],
                "value": _plain(f["value"]),
                "threshold": _plain(f["threshold"]),
                "margin": _plain(f["margin"]),
                "borderline": f["borderline"],
            },
            "inputs": json.loads(f["inputs"]),
            "parameters": json.loads(f["parameters"]),
            "records": records,
        }
        evidence_json = json.dumps(evidence, ensure_ascii=False, sort_keys=True)
        counted = _counts_only(rule.value)
        fields = _Blank(
            value=_whole(f["value"]) if counted else _plain(f["value"]),
            threshold=_whole(f["threshold"]) if counted else _plain(f["threshold"]),
            margin_pct=_pct(f["margin"]),
            members=f["members_counted"],
            homes=f["homes"],
            lookback=ruleset.params.at("dibao.income_lookback_months", _first_day(f["month"])),
            month=f["month"],
        )
        rows.append(
            {
                "run_id": run_id,
                "flag_id": hashlib.sha256(
                    f"{f['month']}|{f['household_id']}|{rule.flag_code}".encode()
                ).hexdigest()[:16],
                "month": f["month"],
                "household_id": f["household_id"],
                "region_code": f["region_code"],
                "person_key": ",".join(persons) or None,
                "flag_code": rule.flag_code,
                "tier": rule.tier,
                "rule_id": rule.id,
                "rule_version": rule.version,
                "legal_basis": rule.legal_basis,
                "value": f["value"],
                "threshold": f["threshold"],
                "margin": f["margin"],
                "borderline": bool(f["borderline"]),
                "money_at_stake": f["benefit_amount"],
                "evidence": evidence_json,
                "evidence_hash": hashlib.sha256(evidence_json.encode()).hexdigest(),
                "explanation_zh": rule.explanation_zh.format_map(fields),
                "explanation_en": rule.explanation_en.format_map(fields),
            }
        )
    rows.sort(
        key=lambda r: (
            TIER_ORDER[r["tier"]],
            -(r["money_at_stake"] or Decimal(0)),
            r["household_id"],
            r["flag_code"],
        )
    )
    return pa.Table.from_pylist(rows, schema=FLAG_SCHEMA)
