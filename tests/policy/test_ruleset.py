"""Loading the policy: the rule sets, formulas and statuses, and the messages for bad files."""

import datetime as dt
import shutil
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import ConfigError
from pipelines.policy import load_policy

RULES = PROJECT_ROOT / "rules"


@pytest.fixture
def rules(tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


def problems_of(rules_dir) -> str:
    with pytest.raises(ConfigError) as err:
        load_policy(rules_dir)
    return "\n".join(err.value.problems)


def test_programmes_and_statuses():
    policy = load_policy(RULES)
    assert [p.name for p in policy.programmes] == ["dibao", "dibao_edge", "gradual_exit"]
    assert [s.name for s in policy.statuses] == ["dibao", "gradual_exit", "edge", "not_eligible"]
    assert {f.name for f in policy.formulas} >= {"members_counted", "per_capita_income", "financial_assets"}
    # formulas come in an order in which each reads only facts and earlier formulas
    names = [f.name for f in policy.formulas]
    assert names.index("members_counted") < names.index("per_capita_income")


def test_borderline_margin():
    policy = load_policy(RULES)
    facts = {"household_id": "H", "urban_rural": "urban", "members_enrolled": 1, "income_by_type": {"wage": 9600}}
    income = policy.decide_python(facts, dt.date(2025, 7, 1))["rules"]["cq.dibao.income"]
    assert income["fired"] and income["borderline"]
    assert income["margin"] == Decimal("0.0390")


def test_every_problem_of_a_rule_file_reported_together(rules):
    path = rules / "chongqing" / "dibao.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("threshold: dibao.standard", "threshold: dibao.no_such_parameter", 1)
    text = text.replace('op: ">"', 'op: "=>"', 1)
    text = text.replace("threshold: dibao.max_vehicles", "threshold: __import__('os')")
    text = text.replace("value: businesses_active", "value: busineses_active")
    path.write_text(text, encoding="utf-8")
    joined = problems_of(rules)
    assert "dibao.yaml" in joined
    assert "dibao.no_such_parameter" in joined
    assert "'=>'" in joined
    assert "calls '__import__'" in joined
    assert "which no rule set defines" not in joined  # a broken rule is one message, not a cascade
    assert "busineses_active" in joined and "neither a household fact nor a formula" in joined


def test_rule_dates_and_unknown_conditions(rules):
    path = rules / "chongqing" / "dibao.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    flag_code: VEHICLE_OWNED\n", "    flag_code: VEHICLE_OWNED\n    effective_from: 2025-02-30\n")
    text = text.replace("  - not cq.dibao.business\n", "  - not cq.dibao.busines\n")
    path.write_text(text, encoding="utf-8")
    joined = problems_of(rules)
    assert "cq.dibao.vehicle" in joined and "2025-02-30" in joined
    assert "cq.dibao.busines'" in joined


def test_a_rule_out_of_force_does_not_hold(rules):
    path = rules / "chongqing" / "dibao.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    flag_code: VEHICLE_OWNED\n", "    flag_code: VEHICLE_OWNED\n    effective_to: 2025-06-30\n")
    path.write_text(text, encoding="utf-8")
    policy = load_policy(rules)
    facts = {"household_id": "H", "members_enrolled": 1, "vehicles_nonexempt": 1}
    assert policy.decide_python(facts, dt.date(2025, 6, 1))["rules"]["cq.dibao.vehicle"]["fired"]
    later = policy.decide_python(facts, dt.date(2025, 7, 1))["rules"]["cq.dibao.vehicle"]
    assert not later["fired"] and not later["in_force"]


def test_formula_cycle_and_requirement_cycle(rules):
    path = rules / "national" / "formulas.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("formula: members_enrolled - members_in_custody", "formula: per_capita_income * 2")
    path.write_text(text, encoding="utf-8")
    dibao = rules / "chongqing" / "dibao.yaml"
    text = dibao.read_text(encoding="utf-8").replace("    value: homes\n", "    requires: [cq.dibao.housing]\n    value: homes\n")
    dibao.write_text(text, encoding="utf-8")
    joined = problems_of(rules)
    assert "cycle of formulas" in joined
    assert "requires itself" in joined


def test_unknown_rule_set_and_status_programme(rules):
    path = rules / "chongqing" / "policy.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("rule_sets: [dibao, dibao_edge, gradual_exit]", "rule_sets: [dibao, dibao_edge, gradual_exit, tekun]")
    text = text.replace("programme: dibao_edge,", "programme: edge,")
    path.write_text(text, encoding="utf-8")
    joined = problems_of(rules)
    assert "'tekun'" in joined and "tekun.yaml" in joined
    assert "programme 'edge'" in joined


def test_parameter_and_rule_problems_reported_together(rules):
    param = rules / "chongqing" / "parameters" / "dibao" / "max_vehicles.yaml"
    param.write_text(param.read_text(encoding="utf-8").replace("2013-01-01:", "2013-13-01:"), encoding="utf-8")
    dibao = rules / "chongqing" / "dibao.yaml"
    dibao.write_text(dibao.read_text(encoding="utf-8").replace("value: businesses_active", "value: busineses_active"),
                     encoding="utf-8")
    joined = problems_of(rules)
    assert "max_vehicles.yaml: values key '2013-13-01' is not a date" in joined
    assert "busineses_active" in joined
    # the broken parameter is not also reported as unknown where a rule reads it
    assert "unknown parameter 'dibao.max_vehicles'" not in joined
