import datetime as dt
import shutil
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import ConfigError
from pipelines.policy import load_ruleset

RULES = PROJECT_ROOT / "rules"


def household(**kw):
    base = dict(household_id="H", urban_rural="urban", members_counted=2, per_capita_income=100,
                financial_assets=0, vehicles_nonexempt=0, businesses_active=0, deceased_members=0,
                state_payroll_members=0)
    base.update(kw)
    return base


def fired(facts, on):
    rs = load_ruleset(RULES)
    return {r["flag_code"] for r in rs.evaluate_python([facts], on) if r["fired"]}


CASES = [
    {"description": "income 760 in June 2025 is above 750", "facts": household(per_capita_income=760), "on": dt.date(2025, 6, 1), "expected": {"INCOME_ABOVE_STANDARD"}},
    {"description": "income 760 in July 2025 is below 770", "facts": household(per_capita_income=760), "on": dt.date(2025, 7, 1), "expected": set()},
    {"description": "rural 615 in June is above 610", "facts": household(urban_rural="rural", per_capita_income=615), "on": dt.date(2025, 6, 1), "expected": {"INCOME_ABOVE_STANDARD"}},
    {"description": "rural 615 in July is below 630", "facts": household(urban_rural="rural", per_capita_income=615), "on": dt.date(2025, 7, 1), "expected": set()},
    {"description": "savings exactly at the limit pass", "facts": household(financial_assets=2 * 770 * 12), "on": dt.date(2025, 7, 1), "expected": set()},
    {"description": "one cent over the limit fires", "facts": household(financial_assets=Decimal("18480.01")), "on": dt.date(2025, 7, 1), "expected": {"FINANCIAL_ASSETS_ABOVE_LIMIT"}},
    {"description": "fewer members lower the limit", "facts": household(members_counted=1, financial_assets=10000), "on": dt.date(2025, 7, 1), "expected": {"FINANCIAL_ASSETS_ABOVE_LIMIT"}},
    {"description": "a vehicle fires", "facts": household(vehicles_nonexempt=1), "on": dt.date(2025, 7, 1), "expected": {"VEHICLE_OWNED"}},
    {"description": "an active business fires", "facts": household(businesses_active=1), "on": dt.date(2025, 7, 1), "expected": {"ACTIVE_BUSINESS"}},
    {"description": "a member on the state payroll fires", "facts": household(state_payroll_members=1), "on": dt.date(2025, 7, 1), "expected": {"STATE_PAYROLL_MEMBER"}},
    {"description": "a deceased member fires", "facts": household(deceased_members=1), "on": dt.date(2025, 7, 1), "expected": {"DECEASED_MEMBER"}},
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_rules(case):
    assert fired(case["facts"], case["on"]) == case["expected"]


def test_borderline_margin():
    rs = load_ruleset(RULES)
    out = {r["flag_code"]: r for r in rs.evaluate_python([household(per_capita_income=800)], dt.date(2025, 7, 1))}
    income = out["INCOME_ABOVE_STANDARD"]
    assert income["fired"] and income["borderline"]
    assert income["margin"] == Decimal("0.0390")


def test_rule_file_problems_reported_together(tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    path = tmp_path / "rules" / "chongqing" / "dibao.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("threshold: dibao.standard", "threshold: dibao.no_such_parameter")
    text = text.replace('op: ">"', 'op: "=>"', 1)
    text = text.replace("threshold: dibao.max_vehicles", "threshold: __import__('os')")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_ruleset(tmp_path / "rules")
    joined = "\n".join(err.value.problems)
    assert "dibao.no_such_parameter" in joined
    assert "'=>'" in joined
    assert "may only use" in joined
    assert len(err.value.problems) >= 3
