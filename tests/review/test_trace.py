"""`explain`: one household's trace, read back with pyarrow from a run evaluated by the engine."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.evaluate import evaluate, facts_frame
from pipelines.policy import load_policy
from pipelines.review.trace import explain_household, load_trace, render_trace

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ON = date(2025, 7, 1)
RUN = "run-2025-07"
CUSTODY = [{"end_date": None, "person_key": "P-H3-2", "reason": "custody", "record_key": "JY-0042",
            "source": "prison", "start_date": "2024-11-03"}]

HOUSEHOLDS = [
    # income above the standard: 19,200 countable over 12 months for 2 people = 800 ≥ 770
    {"household_id": "H1", "region_code": "500101", "members_enrolled": 2,
     "income_by_type": {"wage": Decimal("19200"), "scholarship": Decimal("1000")},
     "benefit_amount": Decimal("500")},
    # Yuzhong (500103): two homes, 100 m² for one person, above 3 × the district's 13 m²
    {"household_id": "H2", "region_code": "500103", "members_enrolled": 1, "homes": 2,
     "home_area": Decimal("100"), "income_by_type": {"wage": Decimal("3600")}},
    # one of three members in custody: counted 2, low income, dibao
    {"household_id": "H3", "region_code": "500101", "members_enrolled": 3, "members_in_custody": 1,
     "member_exclusions": json.dumps(CUSTODY), "income_by_type": {"wage": Decimal("2400")},
     "benefit_amount": Decimal("1400")},
]


@pytest.fixture(scope="module")
def data_dir(spark, tmp_path_factory) -> Path:
    frame = facts_frame(spark, "2025-07", [{"urban_rural": "urban", **given} for given in HOUSEHOLDS])
    policy = load_policy(PROJECT_ROOT / "rules")
    root = tmp_path_factory.mktemp("data")
    run_dir = root / "runs" / RUN
    frame.write.parquet(str(run_dir / "households"))
    evaluate(frame, policy, ON).write.parquet(str(run_dir / "decisions"))
    (run_dir / "policy.json").write_text(json.dumps(policy.describe(ON), ensure_ascii=False), encoding="utf-8")
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": RUN, "month": "2025-07"}), encoding="utf-8")
    return root


def _block(text: str, rule_id: str) -> str:
    """The lines of one rule's entry in the trace."""
    start = text.index(f"[{rule_id}]")
    return text[start:text.index("\n\n", start)]


def test_income_above_standard_shows_the_rule_holding_with_the_dated_standard(data_dir):
    text = explain_household(data_dir, RUN, "H1")
    assert "核对结果供审核参考，不是决定" in text
    rule = _block(text, "cq.dibao.income")
    assert "✓ 成立" in rule
    assert "800.00 >= 770.00" in rule
    assert "per_capita_income >= dibao.standard" in rule
    assert "dibao.standard = 770 (城镇 770 / 农村 630)" in rule
    assert "2025-07-01 起有效" in rule and "渝民规〔2025〕6号" in rule
    assert "INCOME_ABOVE_STANDARD" in rule and "+3.90%" in rule and "[临界]" in rule
    assert "✗ 不成立" in _block(text, "cq.dibao.vehicle")
    assert "19,200.00" in text  # the wage, with thousands separator
    assert "低保边缘家庭 (edge)" in text  # above the standard, below 1.5 ×
    assert "现发保障金: 500.00 元/月" in text


def test_district_override_of_the_housing_standard_is_shown(data_dir):
    rule = _block(explain_household(data_dir, RUN, "H2"), "cq.dibao.housing")
    assert "✓ 成立" in rule and "100.00 > 39.00" in rule
    assert "dibao.min_housing_area = 13" in rule
    assert "区县覆盖: 500103 渝中区" in rule
    assert "districts/500103/parameters/dibao/min_housing_area.yaml" in rule
    assert "【待核 open】" in rule  # the district's figure is [open]
    assert "须同时成立: cq.dibao.multiple_homes" in rule


def test_a_member_in_custody_is_shown_as_not_counted(data_dir):
    text = explain_household(data_dir, RUN, "H3")
    assert "未计入人数的成员:" in text
    assert "P-H3-2: 服刑或强制隔离戒毒 (custody;" in text and "JY-0042" in text and "start_date=2024-11-03" in text
    assert "members_enrolled - members_in_custody = 2.00" in text
    assert "符合低保条件 (dibao)" in text
    assert "按规则计算的保障金: 1,340.00 元/月" in text  # (770 − 2,400 / 2 / 12) × 2


def test_english_output_has_english_labels(data_dir):
    text = explain_household(data_dir, RUN, "H1", lang="en")
    assert "for review, not a decision" in text.lower()
    assert "members enrolled (members_enrolled): 2" in text
    assert "✓ holds" in text and "✗ does not hold" in text
    assert "Per-capita monthly income at or above the standard" in text
    assert "在册人数" not in text and "成立" not in text


def test_load_trace_returns_plain_data(data_dir):
    trace = load_trace(data_dir / "runs" / RUN, "H2")
    assert trace["run_id"] == RUN and trace["month"] == "2025-07"
    assert trace["decision"]["rules_fired"] == ["HOUSING_ABOVE_LIMIT"]
    assert trace["facts"]["homes"] == 2
    assert trace["decision"]["formulas"]["home_area_per_capita"] == Decimal("100.00")


def test_excluded_income_types_and_rules_not_in_force_are_marked(data_dir):
    trace = load_trace(data_dir / "runs" / RUN, "H1")
    text = render_trace(trace)
    # the run records the parameters each formula read, so each income type is marked
    assert "scholarship: 1,000.00  [不计入]" in text and "wage: 19,200.00  [计入]" in text
    # a run that did not record them says so instead of guessing
    for formula in trace["policy"]["formulas"]:
        formula.pop("parameters", None)
    assert "本批次未记录不计入收入类型清单" in render_trace(trace)
    vehicle = next(r for r in trace["decision"]["rule_results"] if r["rule_id"] == "cq.dibao.vehicle")
    vehicle["in_force"] = False
    text = render_trace(trace)
    assert "本月不适用" in _block(text, "cq.dibao.vehicle")
    assert "本月不适用" not in _block(text, "cq.dibao.income")


def test_unknown_household_names_it_and_the_run(data_dir):
    with pytest.raises(InputError) as err:
        explain_household(data_dir, RUN, "H404")
    message = str(err.value)
    assert "H404" in message and RUN in message and "H1, H2, H3" in message


def test_missing_run_names_the_path(data_dir):
    with pytest.raises(InputError, match="runs/no-such-run"):
        explain_household(data_dir, "no-such-run", "H1")
