"""The checks across a policy's files once each is read: names a formula, rule or benefit reads,
the rules others require, cycles, the programmes statuses name. Each returns its problems, every
one naming the file."""

from __future__ import annotations

from pathlib import Path

from pipelines.policy.facts import FACTS
from pipelines.policy.parameters import ParameterSet
from pipelines.policy.ruleset import Formula, Rule

REQUIRED_FORMULAS = ("members_counted", "per_capita_income")


def order_formulas(by_name: dict[str, Formula], problems: list[str]) -> list[Formula]:
    """The formulas in an order they can be computed in: each after the formulas it reads; a
    cycle or an unknown name is a problem."""
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
    return ordered


def missing_formulas(by_name: dict[str, Formula], root: Path) -> list[str]:
    """The formulas the evaluator needs that no jurisdiction defines."""
    return [f"{root}: no jurisdiction defines the formula '{name}' (formulas.yaml)"
            for name in REQUIRED_FORMULAS if name not in by_name]


def unknown_names(names, known: set[str], what: str) -> list[str]:
    """`what` (the file and what reads them) reads a name neither a fact nor a formula."""
    return [f"{what} '{name}', which is neither a household fact nor a formula"
            for name in names if name not in known]


def undefined_requirements(rules: dict[str, Rule], declared: set[str]) -> list[str]:
    """Rules required (`requires`, `requires_any`, `unless`) that no rule set defines."""
    return [f"{rule.file}: rule '{rule.id}' requires rule '{req}', which no rule set defines"
            for rule in rules.values() for req in rule.references if req not in declared]


def requirement_cycles(rules: dict[str, Rule]) -> list[str]:
    """Rules that require themselves through others."""
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
    return [f"{rules[rule_id].file}: rule '{rule_id}' requires itself through 'requires' or 'unless'"
            for rule_id in cyclic]


def undefined_conditions(uses: list[tuple[str, str, list[str]]], declared: set[str]) -> list[str]:
    """Rules a rule set's `eligible_if` names that no rule set defines."""
    return [f"{set_path}: eligible_if names rule '{rule_id}', which no rule set defines"
            for set_path, _programme, ids in uses for rule_id in ids if rule_id not in declared]


def margin_parameter_problems(path: Path, name: str, params: ParameterSet) -> list[str]:
    """The borderline margin names a parameter."""
    if name not in params.parameters and name not in params.broken:
        return [f"{path}: borderline_margin parameter '{name}' is unknown"]
    return []
