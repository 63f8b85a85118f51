"""The policy's plain-Python reference: one household's whole decision in exact decimals.

The Spark evaluator must give the same outcome for every case (rules/*/tests/); the generator's
ground truth is computed with it too.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pipelines.policy.expressions import compare, to_python
from pipelines.policy.facts import FACTS

if TYPE_CHECKING:
    from pipelines.policy.ruleset import Policy

CENT = Decimal("0.01")


def formula_functions(policy: Policy, on: dt.date):
    """Each formula with its Python function of the household's values, in computing order."""
    return [(f, to_python(f.expression, policy.params, on)) for f in policy.formulas]


def decide(policy: Policy, facts: dict, on: dt.date) -> dict[str, Any]:
    """One household's whole decision in exact decimals: the reference the Spark path must equal."""
    values = {name: fact.default() for name, fact in FACTS.items()}
    values.update(facts)
    formulas = {}
    for formula, fn in formula_functions(policy, on):
        result = fn(values)
        values[formula.name] = None if result is None else cents(result)
        formulas[formula.name] = values[formula.name]
    margin_limit = Decimal(str(policy.params.at(policy.margin_parameter, on)))
    compared = {}
    for rule in policy.rules:
        value = to_python(rule.value, policy.params, on)(values)
        threshold = to_python(rule.threshold, policy.params, on)(values)
        value = None if value is None else cents(value)
        threshold = None if threshold is None else cents(threshold)
        compared[rule.id] = (value, threshold, bool(rule.in_force(on) and compare(rule.op, value, threshold)))

    def holds_(rule_id: str) -> bool:
        rule = policy.rule(rule_id)
        return (compared[rule_id][2] and all(holds_(r) for r in rule.requires)
                and (not rule.requires_any or any(holds_(r) for r in rule.requires_any))
                and not any(holds_(r) for r in rule.unless))

    results = {}
    for rule in policy.rules:
        value, threshold, _ = compared[rule.id]
        margin = relative_margin(value, threshold)
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
        for p in policy.programmes
    }
    status = next(s for s in policy.statuses if s.programme is None or programmes[s.programme])
    benefit = Decimal(0)
    if status.programme is not None:
        computed = to_python(policy.programme(status.programme).benefit, policy.params, on)(values)
        benefit = cents(max(computed, Decimal(0))) if computed is not None else Decimal(0)
    return {
        "household_id": facts.get("household_id"),
        "formulas": formulas,
        "rules": results,
        "programmes": programmes,
        "status": status.name,
        "benefit": benefit,
    }


def evaluate(policy: Policy, households: list[dict], on: dt.date) -> list[dict]:
    """The flag rules' results per household (the generator's ground truth uses this)."""
    out = []
    for facts in households:
        decision = decide(policy, facts, on)
        for rule in policy.flag_rules:
            out.append({"household_id": facts["household_id"], **decision["rules"][rule.id]})
    return out


def cents(x: Decimal) -> Decimal:
    """Rounded to the cent, half up."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def relative_margin(value: Decimal | None, threshold: Decimal | None) -> Decimal | None:
    """How far the value is beyond the threshold, as a share of it (None without one)."""
    if value is None or threshold is None or threshold == 0:
        return None
    return ((value - threshold) / threshold).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
