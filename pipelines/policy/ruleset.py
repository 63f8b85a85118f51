"""The policy of a jurisdiction as loaded: formulas, rules, programmes (rule sets), statuses.

- Formulas (`<jurisdiction>/formulas.yaml`) derive figures such as per-capita income from the
  household facts; a later jurisdiction replaces a formula of the same name.
- A rule compares a fact or formula expression (`value`) with a threshold expression using `op`;
  when the comparison holds (and every rule it `requires` holds too, one of `requires_any`
  when given, and none of those it lists under `unless`), the rule *holds*. A rule with a `flag_code` raises that point for
  review when it holds. A rule may carry `effective_from` / `effective_to`; outside them it is
  not in force and does not hold.
- A rule set (`<province>/<programme>.yaml`) names a programme (低保, 低保边缘, 渐退), its own rules,
  rules it `uses` from other rule sets, the conditions for eligibility (`eligible_if`, each a
  rule id that must hold, or `not <id>` that must not) and its benefit formula.
- `policy.yaml` lists the rule sets and the order in which a household's status is decided.

Numbers of policy live in parameters, never here. The files are read by `parsing` (every
problem reported at once, the cross-references checked by `checking`); `reference` is the
plain-Python decision the Spark evaluator must equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pipelines.errors import ConfigError
from pipelines.policy import reference
from pipelines.policy.expressions import Expression
from pipelines.policy.parameters import ParameterSet


@dataclass(frozen=True)
class Formula:
    name: str
    expression: Expression
    unit: str
    legal_basis: str
    zh: str
    en: str
    file: str


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title_zh: str
    title_en: str
    flag_code: str | None
    tier: str | None
    legal_basis: str
    value: Expression
    op: str
    threshold: Expression
    borderline: bool
    explanation_zh: str
    explanation_en: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    ruleset: str
    file: str
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @property
    def references(self) -> tuple[str, ...]:
        """Every other rule this rule's outcome depends on."""
        return (*self.requires, *self.requires_any, *self.unless)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.value.parameters) | set(self.threshold.parameters)))

    @property
    def names(self) -> tuple[str, ...]:
        """Facts and formulas the rule reads directly."""
        return tuple(sorted(set(self.value.facts) | set(self.threshold.facts)))

    def in_force(self, on: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass(frozen=True)
class Condition:
    rule_id: str
    must_hold: bool

    @property
    def text(self) -> str:
        return self.rule_id if self.must_hold else f"not {self.rule_id}"


@dataclass(frozen=True)
class Programme:
    name: str
    title_zh: str
    title_en: str
    version: str
    file: str
    legal_basis: str
    conditions: tuple[Condition, ...]
    benefit: Expression


@dataclass(frozen=True)
class Status:
    name: str
    programme: str | None
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class Policy:
    """Everything needed to evaluate households for a month: the loaded, checked policy."""

    name: str
    version: str
    title_zh: str
    file: str
    chain: tuple[str, ...]
    params: ParameterSet
    formulas: tuple[Formula, ...]  # in the order they can be computed
    rules: tuple[Rule, ...]
    programmes: tuple[Programme, ...]
    statuses: tuple[Status, ...]
    margin_parameter: str
    files: tuple[str, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise ConfigError(f"{self.file}: no rule '{rule_id}'")

    def programme(self, name: str) -> Programme:
        for p in self.programmes:
            if p.name == name:
                return p
        raise ConfigError(f"{self.file}: no programme '{name}'")

    @property
    def flag_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.flag_code)

    def formula_python(self, on: dt.date):
        """Each formula with its Python function, in computing order (see `reference`)."""
        return reference.formula_functions(self, on)

    def decide_python(self, facts: dict, on: dt.date) -> dict[str, Any]:
        """One household's whole decision in exact decimals: the reference the Spark path must equal."""
        return reference.decide(self, facts, on)

    def describe(self, on: dt.date) -> dict[str, Any]:
        """The policy as applied on `on`, as plain data: what a trace needs besides the decisions."""
        return {
            "policy": self.name,
            "version": self.version,
            "title_zh": self.title_zh,
            "on": on.isoformat(),
            "margin_parameter": self.margin_parameter,
            "formulas": [
                {"name": f.name, "formula": f.expression.text, "unit": f.unit, "legal_basis": f.legal_basis,
                 "title_zh": f.zh, "title_en": f.en, "file": self.params.display(f.file),
                 "parameters": [self.params.trace(n, on) for n in f.expression.parameters]}
                for f in self.formulas
            ],
            "rules": [
                {"id": r.id, "version": r.version, "ruleset": r.ruleset, "title_zh": r.title_zh,
                 "title_en": r.title_en, "flag_code": r.flag_code, "tier": r.tier,
                 "legal_basis": r.legal_basis, "value": r.value.text, "op": r.op,
                 "threshold": r.threshold.text, "requires": list(r.requires),
                 "requires_any": list(r.requires_any), "unless": list(r.unless), "in_force": r.in_force(on),
                 "effective_from": r.effective_from.isoformat() if r.effective_from else None,
                 "effective_to": r.effective_to.isoformat() if r.effective_to else None,
                 "file": self.params.display(r.file)}
                for r in self.rules
            ],
            "programmes": [
                {"name": p.name, "title_zh": p.title_zh, "title_en": p.title_en, "version": p.version,
                 "legal_basis": p.legal_basis, "eligible_if": [c.text for c in p.conditions],
                 "benefit": p.benefit.text, "file": self.params.display(p.file)}
                for p in self.programmes
            ],
            "statuses": [
                {"status": s.name, "programme": s.programme, "title_zh": s.title_zh, "title_en": s.title_en}
                for s in self.statuses
            ],
        }

    def evaluate_python(self, households: list[dict], on: dt.date) -> list[dict]:
        """The flag rules' results per household (the generator's ground truth uses this)."""
        return reference.evaluate(self, households, on)


# the engine's earlier name for the loaded policy
RuleSet = Policy
