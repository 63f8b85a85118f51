"""Rule cases: YAML files beside the rules (`rules/<policy>/tests/**/*.yaml`), run by pytest.

A case states a period, the household facts it is about (every other fact takes its default:
0, nothing, region 500101) and the expected outcome:

    cases:
      - name: June 2025, the urban standard is 750
        period: 2025-06
        input: {urban_rural: urban, members_enrolled: 2, income_by_type: {wage: 18240}}
        output:
          per_capita_income: 760          # any formula, or a rule id for its value
          flags: [INCOME_ABOVE_STANDARD]  # exactly the flags raised
          holds: [cq.dibao.income]        # these rules hold
          does_not_hold: [cq.edge.income_below_standard]
          status: edge
          benefit: 0

Each case runs through the engine's Spark evaluator (`pipelines.evaluate.rule_cases`) and the
Python reference, and both must give the expected outcome. A failure names the file, the case
and `name@period`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import ConfigError
from pipelines.policy.facts import FACTS
from pipelines.policy.ruleset import Policy
from pipelines.policy.yamlio import load_yaml

DEFAULT_REGION = "500101"
OUTPUT_KEYS = ("flags", "holds", "does_not_hold", "status", "benefit")


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    period: str
    input: dict[str, Any]
    output: dict[str, Any]
    index: int = field(default=0)

    @property
    def on(self) -> dt.date:
        return dt.date.fromisoformat(f"{self.period}-01")

    def facts(self) -> dict[str, Any]:
        out = {name: fact.default() for name, fact in FACTS.items()}
        out.update(region_code=DEFAULT_REGION, urban_rural="urban", household_id=f"case-{self.index}")
        for key, value in self.input.items():
            kind = FACTS[key].kind
            if kind == "amount":
                value = Decimal(str(value))
            elif kind == "amounts_by_code":
                value = {str(k): Decimal(str(v)) for k, v in (value or {}).items()}
            elif kind == "text":
                value = str(value)
            out[key] = value
        return out


def case_files(rules_dir: Path, policy: str = "chongqing") -> list[Path]:
    return sorted((Path(rules_dir) / policy / "tests").rglob("*.yaml"))


def load_cases(path: Path, policy: Policy) -> list[Case]:
    """Every case of a file, checked against the policy; every problem reported at once."""
    try:
        doc = load_yaml(Path(path))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list) or not doc["cases"]:
        raise ConfigError(f"{path}: expected a key 'cases' listing at least one case")
    problems: list[str] = []
    cases: list[Case] = []
    known_outputs = {f.name for f in policy.formulas} | {r.id for r in policy.rules} | set(OUTPUT_KEYS)
    rule_ids = {r.id for r in policy.rules}
    codes = {r.flag_code for r in policy.flag_rules}
    statuses = {s.name for s in policy.statuses}
    for i, entry in enumerate(doc["cases"]):
        where = f"{path}: cases[{i}]"
        if not isinstance(entry, dict) or not entry.get("name"):
            problems.append(f"{where}: each case needs a 'name'")
            continue
        where = f"{where} ({entry['name']})"
        period = str(entry.get("period", ""))
        try:
            dt.date.fromisoformat(f"{period}-01")
        except ValueError:
            problems.append(f"{where}: period '{period}' is not a month (YYYY-MM)")
            continue
        given = entry.get("input") or {}
        for key in given:
            if key not in FACTS:
                problems.append(f"{where}: input '{key}' is not a household fact")
        expected = entry.get("output") or {}
        if not expected:
            problems.append(f"{where}: no expected output")
        for key in expected:
            if key not in known_outputs:
                problems.append(f"{where}: output '{key}' is neither a formula, a rule id nor one of "
                                f"{', '.join(OUTPUT_KEYS)}")
        for key in ("holds", "does_not_hold"):
            for rule_id in expected.get(key) or []:
                if rule_id not in rule_ids:
                    problems.append(f"{where}: output.{key} names unknown rule '{rule_id}'")
        for code in expected.get("flags") or []:
            if code not in codes:
                problems.append(f"{where}: output.flags names unknown flag code '{code}'")
        if "status" in expected and expected["status"] not in statuses:
            problems.append(f"{where}: output.status '{expected['status']}' is not one of {', '.join(sorted(statuses))}")
        cases.append(Case(str(path), str(entry["name"]), period, dict(given), dict(expected), i))
    if problems:
        raise ConfigError(problems)
    return cases


def covered_rules(cases: list[Case], policy: Policy) -> set[str]:
    """Rules some case shows holding (by id, or by the flag code it raises)."""
    by_code = {r.flag_code: r.id for r in policy.flag_rules}
    out: set[str] = set()
    for case in cases:
        out.update(case.output.get("holds") or [])
        out.update(by_code[c] for c in case.output.get("flags") or [])
    return out


def _same(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    return Decimal(str(expected)) == Decimal(str(actual))


def mismatches(case: Case, decision: dict[str, Any], engine: str) -> list[str]:
    """What differs between the case's expected output and one engine's decision."""
    out = []

    def say(name: str, expected: Any, actual: Any) -> None:
        out.append(f"{case.file}: case '{case.name}': {name}@{case.period}: expected {expected}, "
                   f"got {actual} ({engine})")

    held = {rid for rid, r in decision["rules"].items() if r["fired"]}
    for key, expected in case.output.items():
        if key == "flags":
            raised = sorted(r["flag_code"] for r in decision["rules"].values() if r["fired"] and r["flag_code"])
            if raised != sorted(expected or []):
                say("flags", sorted(expected or []), raised)
        elif key == "holds":
            for rid in expected or []:
                if rid not in held:
                    say(rid, "holds", "does not hold")
        elif key == "does_not_hold":
            for rid in expected or []:
                if rid in held:
                    say(rid, "does not hold", "holds")
        elif key == "status":
            if decision["status"] != expected:
                say("status", expected, decision["status"])
        elif key == "benefit":
            if not _same(expected, decision["benefit"]):
                say("benefit", expected, decision["benefit"])
        elif key in decision["formulas"]:
            if not _same(expected, decision["formulas"][key]):
                say(key, expected, decision["formulas"][key])
        elif key in decision["rules"] and not _same(expected, decision["rules"][key]["value"]):
            say(key, expected, decision["rules"][key]["value"])
    return out
