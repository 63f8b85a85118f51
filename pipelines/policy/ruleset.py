"""Rule sets: named conditions over household facts and dated parameters, read from YAML.

Each rule compares a fact expression (`value`) with a threshold expression (`threshold`)
using `op`; when the comparison holds, the rule fires and raises its flag code. Numbers of
policy live in parameters, never in the rule file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml

from pipelines.errors import ConfigError
from pipelines.policy.expressions import (
    COMPARATORS,
    Expression,
    check_parameters,
    compare,
    parse_expression,
    to_python,
)
from pipelines.policy.parameters import ParameterSet, load_parameters

TIERS = ("hard_event", "threshold", "inconsistency", "verify_identity")
RULE_KEYS = ("id", "version", "flag_code", "tier", "legal_basis", "value", "op", "threshold")


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title_zh: str
    title_en: str
    flag_code: str
    tier: str
    legal_basis: str
    value: Expression
    op: str
    threshold: Expression
    borderline: bool
    explanation_zh: str
    explanation_en: str

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.value.parameters) | set(self.threshold.parameters)))


@dataclass(frozen=True)
class RuleSet:
    name: str
    version: str
    title_zh: str
    file: str
    chain: tuple[str, ...]
    params: ParameterSet
    rules: tuple[Rule, ...]
    benefit: Expression
    margin_parameter: str = "dibao.borderline_margin"
    facts: tuple[str, ...] = field(default=())

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise ConfigError(f"{self.file}: no rule '{rule_id}'")

    def evaluate_python(self, households: list[dict], on: dt.date) -> list[dict]:
        """Evaluate every rule on plain dicts of facts (the generator's ground truth uses this)."""
        margin_limit = Decimal(str(self.params.at(self.margin_parameter, on)))
        compiled = [
            (rule, to_python(rule.value, self.params, on), to_python(rule.threshold, self.params, on))
            for rule in self.rules
        ]
        out = []
        for facts in households:
            for rule, value_fn, threshold_fn in compiled:
                value = _cents(value_fn(facts))
                threshold = _cents(threshold_fn(facts))
                margin = _margin(value, threshold)
                out.append(
                    {
                        "household_id": facts["household_id"],
                        "rule_id": rule.id,
                        "flag_code": rule.flag_code,
                        "fired": compare(rule.op, value, threshold),
                        "value": value,
                        "threshold": threshold,
                        "margin": margin,
                        "borderline": bool(
                            rule.borderline and margin is not None and abs(margin) <= margin_limit
                        ),
                    }
                )
        return out


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _margin(value: Decimal, threshold: Decimal) -> Decimal | None:
    if threshold == 0:
        return None
    return ((value - threshold) / threshold).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _rule(entry: dict, where: str, params: ParameterSet, problems: list[str]) -> Rule | None:
    missing = [k for k in RULE_KEYS if entry.get(k) in (None, "")]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        return None
    if entry["tier"] not in TIERS:
        problems.append(f"{where}: tier '{entry['tier']}' is not one of {', '.join(TIERS)}")
    if entry["op"] not in COMPARATORS:
        problems.append(f"{where}: op '{entry['op']}' is not one of {' '.join(COMPARATORS)}")
    try:
        value = parse_expression(entry["value"], f"{where}.value")
        threshold = parse_expression(entry["threshold"], f"{where}.threshold")
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(check_parameters(value, params, f"{where}.value"))
    problems.extend(check_parameters(threshold, params, f"{where}.threshold"))
    return Rule(
        id=str(entry["id"]),
        version=int(entry["version"]),
        title_zh=str(entry.get("title_zh", entry["id"])),
        title_en=str(entry.get("title_en", entry["id"])),
        flag_code=str(entry["flag_code"]),
        tier=str(entry["tier"]),
        legal_basis=str(entry["legal_basis"]),
        value=value,
        op=str(entry["op"]),
        threshold=threshold,
        borderline=bool(entry.get("borderline", True)),
        explanation_zh=str(entry.get("explanation_zh", "")),
        explanation_en=str(entry.get("explanation_en", "")),
    )


def load_ruleset(rules_dir: Path | str, name: str = "chongqing/dibao") -> RuleSet:
    """Load `rules/<name>.yaml` and its parameters; every problem is reported at once."""
    rules_dir = Path(rules_dir)
    path = rules_dir / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: rule set '{name}' not found under {rules_dir}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    chain = tuple(doc.get("jurisdictions", ("national", name.split("/")[0])))
    params = load_parameters(rules_dir, chain)
    problems: list[str] = []
    for key in ("ruleset", "version", "rules", "benefit"):
        if not doc.get(key):
            problems.append(f"{path}: missing key '{key}'")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc.get("rules") or []):
        where = f"{path}: rules[{i}]" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        rule = _rule(entry, where, params, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(f"{where}: duplicate rule id '{rule.id}'")
        seen.add(rule.id)
        rules.append(rule)
    benefit = None
    if doc.get("benefit"):
        try:
            benefit = parse_expression(doc["benefit"], f"{path}: benefit")
            problems.extend(check_parameters(benefit, params, f"{path}: benefit"))
        except ConfigError as exc:
            problems.extend(exc.problems)
    margin_parameter = str(doc.get("borderline_margin", "dibao.borderline_margin"))
    if margin_parameter not in params.parameters:
        problems.append(f"{path}: borderline_margin parameter '{margin_parameter}' is unknown")
    if problems:
        raise ConfigError(problems)
    facts = sorted({f for r in rules for f in (*r.value.facts, *r.threshold.facts)} | set(benefit.facts))
    return RuleSet(
        name=str(doc["ruleset"]),
        version=str(doc["version"]),
        title_zh=str(doc.get("title_zh", "")),
        file=str(path),
        chain=chain,
        params=params,
        rules=tuple(rules),
        benefit=benefit,
        margin_parameter=margin_parameter,
        facts=tuple(facts),
    )
