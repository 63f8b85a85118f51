"""The policy of a jurisdiction, read from YAML: formulas, rule sets per programme, statuses.

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

Numbers of policy live in parameters, never here. Every problem is reported at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError
from pipelines.policy.expressions import (
    COMPARATORS,
    Expression,
    check_parameters,
    compare,
    parse_expression,
    to_python,
)
from pipelines.policy.facts import FACTS
from pipelines.policy.parameters import ParameterSet, layered_files, load_parameters
from pipelines.policy.yamlio import read_mapping

TIERS = ("hard_event", "threshold", "inconsistency", "verify", "verify_identity")
RULE_KEYS = ("id", "version", "legal_basis", "value", "op", "threshold")
REQUIRED_FORMULAS = ("members_counted", "per_capita_income")
CENT = Decimal("0.01")


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
        return [(f, to_python(f.expression, self.params, on)) for f in self.formulas]

    def decide_python(self, facts: dict, on: dt.date) -> dict[str, Any]:
        """One household's whole decision in exact decimals: the reference the Spark path must equal."""
        values = {name: fact.default() for name, fact in FACTS.items()}
        values.update(facts)
        formulas = {}
        for formula, fn in self.formula_python(on):
            result = fn(values)
            values[formula.name] = None if result is None else _cents(result)
            formulas[formula.name] = values[formula.name]
        margin_limit = Decimal(str(self.params.at(self.margin_parameter, on)))
        compared = {}
        for rule in self.rules:
            value = to_python(rule.value, self.params, on)(values)
            threshold = to_python(rule.threshold, self.params, on)(values)
            value = None if value is None else _cents(value)
            threshold = None if threshold is None else _cents(threshold)
            compared[rule.id] = (value, threshold, bool(rule.in_force(on) and compare(rule.op, value, threshold)))

        def holds_(rule_id: str) -> bool:
            rule = self.rule(rule_id)
            return (compared[rule_id][2] and all(holds_(r) for r in rule.requires)
                    and (not rule.requires_any or any(holds_(r) for r in rule.requires_any))
                    and not any(holds_(r) for r in rule.unless))

        results = {}
        for rule in self.rules:
            value, threshold, _ = compared[rule.id]
            margin = _margin(value, threshold)
            holds = holds_(rule.id)
            results[rule.id] = {
                "rule_id": rule.id,
                "flag_code": rule.flag_code,
                "in_force": rule.in_force(on),
                "fired": holds,
                "value": value,
                "threshold": threshold,
                "margin": margin,
                "borderline": bool(holds and rule.borderline and margin is not None and abs(margin) <= margin_limit),
            }
        programmes = {
            p.name: all(results[c.rule_id]["fired"] == c.must_hold for c in p.conditions)
            for p in self.programmes
        }
        status = next(s for s in self.statuses if s.programme is None or programmes[s.programme])
        benefit = Decimal(0)
        if status.programme is not None:
            computed = to_python(self.programme(status.programme).benefit, self.params, on)(values)
            benefit = _cents(max(computed, Decimal(0))) if computed is not None else Decimal(0)
        return {
            "household_id": facts.get("household_id"),
            "formulas": formulas,
            "rules": results,
            "programmes": programmes,
            "status": status.name,
            "benefit": benefit,
        }

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
        out = []
        for facts in households:
            decision = self.decide_python(facts, on)
            for rule in self.flag_rules:
                out.append({"household_id": facts["household_id"], **decision["rules"][rule.id]})
        return out


def _cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _margin(value: Decimal | None, threshold: Decimal | None) -> Decimal | None:
    if value is None or threshold is None or threshold == 0:
        return None
    return ((value - threshold) / threshold).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _date_key(entry: dict, key: str, where: str, problems: list[str]) -> dt.date | None:
    raw = entry.get(key)
    if raw is None:
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        problems.append(f"{where}: {key} '{raw}' is not a date (YYYY-MM-DD)")
        return None


def _expression(text: Any, where: str, params: ParameterSet, problems: list[str]) -> Expression | None:
    try:
        expr = parse_expression(text, where)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None
    problems.extend(check_parameters(expr, params, where))
    return expr


def _rule(entry: dict, where: str, ruleset: str, file: str, params: ParameterSet,
          problems: list[str]) -> Rule | None:
    missing = [k for k in RULE_KEYS if entry.get(k) in (None, "")]
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        return None
    flag_code = entry.get("flag_code")
    if flag_code and entry.get("tier") not in TIERS:
        problems.append(f"{where}: tier '{entry.get('tier')}' is not one of {', '.join(TIERS)}")
    if entry["op"] not in COMPARATORS:
        problems.append(f"{where}: op '{entry['op']}' is not one of {' '.join(COMPARATORS)}")
    value = _expression(entry["value"], f"{where}.value", params, problems)
    threshold = _expression(entry["threshold"], f"{where}.threshold", params, problems)
    start = _date_key(entry, "effective_from", where, problems)
    end = _date_key(entry, "effective_to", where, problems)
    if start and end and end < start:
        problems.append(f"{where}: effective_to {end} is before effective_from {start}")
    if value is None or threshold is None:
        return None
    return Rule(
        id=str(entry["id"]),
        version=int(entry["version"]),
        title_zh=str(entry.get("title_zh", entry["id"])),
        title_en=str(entry.get("title_en", entry["id"])),
        flag_code=str(flag_code) if flag_code else None,
        tier=str(entry["tier"]) if flag_code else None,
        legal_basis=str(entry["legal_basis"]),
        value=value,
        op=str(entry["op"]),
        threshold=threshold,
        borderline=bool(entry.get("borderline", True)),
        explanation_zh=str(entry.get("explanation_zh", "")),
        explanation_en=str(entry.get("explanation_en", "")),
        effective_from=start,
        effective_to=end,
        ruleset=ruleset,
        file=file,
        requires=tuple(str(r) for r in (entry.get("requires") or [])),
        requires_any=tuple(str(r) for r in (entry.get("requires_any") or [])),
        unless=tuple(str(r) for r in (entry.get("unless") or [])),
    )


def _formulas(roots: list[Path], chain: tuple[str, ...], params: ParameterSet,
              problems: list[str]) -> tuple[list[Formula], list[str]]:
    by_name: dict[str, Formula] = {}
    files = []
    for jurisdiction in chain:
        path = layered_files(roots, jurisdiction).get("formulas.yaml")
        if path is None:
            continue
        files.append(str(path))
        doc = read_mapping(path, problems)
        if doc is None:
            continue
        entries = doc.get("formulas")
        if not isinstance(entries, list):
            problems.append(f"{path}: key 'formulas' must list the formulas")
            continue
        for i, entry in enumerate(entries):
            where = f"{path}: formulas[{i}]"
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("formula"):
                problems.append(f"{where}: each formula needs 'name' and 'formula'")
                continue
            where = f"{where} ({entry['name']})"
            if entry["name"] in FACTS:
                problems.append(f"{where}: '{entry['name']}' is a household fact, not a formula")
                continue
            for key in ("unit", "legal_basis"):
                if not entry.get(key):
                    problems.append(f"{where}: missing key '{key}'")
            expr = _expression(entry["formula"], f"{where}.formula", params, problems)
            if expr is not None:
                by_name[entry["name"]] = Formula(
                    str(entry["name"]), expr, str(entry.get("unit", "")), str(entry.get("legal_basis", "")),
                    str(entry.get("title_zh", entry["name"])), str(entry.get("title_en", entry["name"])), str(path),
                )
    # order: a formula after the formulas it reads; a cycle or an unknown name is a problem
    ordered: list[Formula] = []
    done: set[str] = set(FACTS)
    pending = dict(by_name)
    while pending:
        ready = [f for f in pending.values() if set(f.expression.facts) <= done]
        if not ready:
            for f in pending.values():
                unknown = sorted(set(f.expression.facts) - done - set(pending))
                why = (f"reads unknown name(s) {', '.join(unknown)}" if unknown
                       else "is part of a cycle of formulas")
                problems.append(f"{f.file}: formula '{f.name}' {why}")
            break
        for f in sorted(ready, key=lambda f: list(by_name).index(f.name)):
            ordered.append(f)
            done.add(f.name)
            del pending[f.name]
    for name in REQUIRED_FORMULAS:
        if name not in by_name:
            problems.append(f"{roots[0]}: no jurisdiction defines the formula '{name}' (formulas.yaml)")
    return ordered, files


def _requirement_cycles(rules: dict[str, Rule]) -> list[str]:
    cyclic = []
    for start in rules:
        seen, stack = set(), list(rules[start].references)
        while stack:
            current = stack.pop()
            if current == start:
                cyclic.append(start)
                break
            if current in seen or current not in rules:
                continue
            seen.add(current)
            stack.extend(rules[current].references)
    return cyclic


def load_policy(rules_dir: Path | str, name: str = "chongqing", overlay: Path | str | None = None) -> Policy:
    """Load `rules/<name>/policy.yaml`, its parameters, formulas and rule sets, all checked first.

    `overlay`: a proposal folder laid out like `rules/`; its files replace the base's.
    """
    rules_dir = Path(rules_dir)
    roots = [rules_dir] + ([Path(overlay)] if overlay else [])
    if overlay and not Path(overlay).is_dir():
        raise ConfigError(f"{overlay}: proposed rules folder not found")
    name = name.split("/")[0]
    path = layered_files(roots, name).get("policy.yaml")
    if path is None:
        raise ConfigError(f"{rules_dir / name / 'policy.yaml'}: policy '{name}' not found under {rules_dir}")
    problems: list[str] = []
    doc = read_mapping(path, problems)
    if doc is None:
        raise ConfigError(problems)
    chain = tuple(doc.get("jurisdictions") or ("national", name))
    params = load_parameters(rules_dir, chain, overlay, problems)
    for key in ("policy", "version", "rule_sets", "status"):
        if not doc.get(key):
            problems.append(f"{path}: missing key '{key}'")
    formulas, formula_files = _formulas(roots, chain, params, problems)
    known_names = set(FACTS) | {f.name for f in formulas}

    rules: dict[str, Rule] = {}
    programmes: list[Programme] = []
    files = [str(path), *formula_files]
    uses: list[tuple[str, str, list[str]]] = []
    declared: set[str] = set()  # ids of rules with problems too, so one bad rule is one message
    for set_name in doc.get("rule_sets") or []:
        set_path = layered_files(roots, name).get(f"{set_name}.yaml")
        if set_path is None:
            problems.append(f"{path}: rule_sets: '{set_name}' has no file {rules_dir / name / (set_name + '.yaml')}")
            continue
        files.append(str(set_path))
        sdoc = read_mapping(set_path, problems)
        if sdoc is None:
            continue
        for key in ("ruleset", "programme", "version", "eligible_if", "benefit"):
            if not sdoc.get(key):
                problems.append(f"{set_path}: missing key '{key}'")
        for i, entry in enumerate(sdoc.get("rules") or []):
            where = f"{set_path}: rules[{i}]" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
            if not isinstance(entry, dict):
                problems.append(f"{where}: expected a mapping")
                continue
            if entry.get("id"):
                declared.add(str(entry["id"]))
            rule = _rule(entry, where, str(sdoc.get("ruleset", set_name)), str(set_path), params, problems)
            if rule is None:
                continue
            if rule.id in rules:
                problems.append(f"{where}: duplicate rule id '{rule.id}' (also in {rules[rule.id].file})")
                continue
            for fact in rule.names:
                if fact not in known_names:
                    problems.append(f"{where}: reads '{fact}', which is neither a household fact nor a formula")
            rules[rule.id] = rule
        conditions = []
        for text in sdoc.get("eligible_if") or []:
            text = str(text).strip()
            must_hold = not text.startswith("not ")
            conditions.append(Condition(text.removeprefix("not ").strip(), must_hold))
        uses.append((str(set_path), str(sdoc.get("programme")), [c.rule_id for c in conditions]))
        benefit = _expression(sdoc.get("benefit", "0"), f"{set_path}: benefit", params, problems)
        if benefit is not None:
            for fact in benefit.facts:
                if fact not in known_names:
                    problems.append(f"{set_path}: benefit reads '{fact}', which is neither a household fact nor a formula")
        programmes.append(Programme(
            name=str(sdoc.get("programme")), title_zh=str(sdoc.get("title_zh", set_name)),
            title_en=str(sdoc.get("title_en", set_name)), version=str(sdoc.get("version", "")),
            file=str(set_path), legal_basis=str(sdoc.get("legal_basis", "")),
            conditions=tuple(conditions), benefit=benefit or parse_expression("0", "benefit"),
        ))
    for rule in rules.values():
        for req in rule.references:
            if req not in declared:
                problems.append(f"{rule.file}: rule '{rule.id}' requires rule '{req}', which no rule set defines")
    cyclic = _requirement_cycles(rules)
    for rule_id in cyclic:
        problems.append(f"{rules[rule_id].file}: rule '{rule_id}' requires itself through 'requires' or 'unless'")
    for set_path, _programme, ids in uses:
        for rule_id in ids:
            if rule_id not in declared:
                problems.append(f"{set_path}: eligible_if names rule '{rule_id}', which no rule set defines")
    statuses = []
    programme_names = {p.name for p in programmes}
    for i, entry in enumerate(doc.get("status") or []):
        if not isinstance(entry, dict) or not entry.get("status"):
            problems.append(f"{path}: status[{i}] needs 'status'")
            continue
        prog = entry.get("programme")
        if prog is not None and prog not in programme_names:
            problems.append(f"{path}: status[{i}] ({entry['status']}) names programme '{prog}', which no rule set defines")
        statuses.append(Status(str(entry["status"]), prog, str(entry.get("title_zh", entry["status"])),
                               str(entry.get("title_en", entry["status"]))))
    if statuses and statuses[-1].programme is not None:
        problems.append(f"{path}: the last status must have no programme (the household fits none)")
    margin_parameter = str(doc.get("borderline_margin", "dibao.borderline_margin"))
    if margin_parameter not in params.parameters and margin_parameter not in params.broken:
        problems.append(f"{path}: borderline_margin parameter '{margin_parameter}' is unknown")
    if problems:
        raise ConfigError(problems)
    return Policy(
        name=str(doc["policy"]),
        version=str(doc["version"]),
        title_zh=str(doc.get("title_zh", "")),
        file=str(path),
        chain=chain,
        params=params,
        formulas=tuple(formulas),
        rules=tuple(rules.values()),
        programmes=tuple(programmes),
        statuses=tuple(statuses),
        margin_parameter=margin_parameter,
        files=tuple(sorted(set(files) | set(params.files()))),
    )


# the engine's earlier name for the loaded policy
RuleSet = Policy
load_ruleset = load_policy
