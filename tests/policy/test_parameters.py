import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import ConfigError
from pipelines.policy import load_parameters

RULES = PROJECT_ROOT / "rules"

CASES = [
    {"description": "June 2025 urban", "name": "dibao.standard", "on": dt.date(2025, 6, 30), "expected": {"urban": 750, "rural": 610}},
    {"description": "July 2025 boundary", "name": "dibao.standard", "on": dt.date(2025, 7, 1), "expected": {"urban": 770, "rural": 630}},
    {"description": "2022 standard", "name": "dibao.standard", "on": dt.date(2022, 3, 1), "expected": {"urban": 636, "rural": 515}},
    {"description": "asset months", "name": "dibao.financial_asset_months", "on": dt.date(2025, 7, 1), "expected": 12},
    {"description": "national lookback", "name": "dibao.income_lookback_months", "on": dt.date(2025, 7, 1), "expected": 12},
]


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_values_by_date(case):
    params = load_parameters(RULES)
    assert params.at(case["name"], case["on"]) == case["expected"]


def test_resident_pension_exclusion_ends_2025():
    params = load_parameters(RULES)
    assert "resident_basic_pension" in params.at("dibao.excluded_income_types", dt.date(2025, 12, 1))
    assert "resident_basic_pension" not in params.at("dibao.excluded_income_types", dt.date(2026, 1, 1))


def test_entry_carries_dates_and_reference():
    entry = load_parameters(RULES).entry("dibao.standard", dt.date(2025, 6, 1))
    assert entry.effective_to == dt.date(2025, 6, 30)
    assert entry.confidence == "open"
    assert "渝民规〔2025〕6号" in entry.reference


def test_before_first_value_names_file_and_date():
    with pytest.raises(ConfigError, match=r"standard\.yaml.*2020-01-01"):
        load_parameters(RULES).at("dibao.standard", dt.date(2020, 1, 1))


def test_province_overrides_national(tmp_path: Path):
    shutil.copytree(RULES, tmp_path / "rules")
    override = tmp_path / "rules" / "chongqing" / "parameters" / "dibao" / "income_lookback_months.yaml"
    override.write_text(
        "description: d\nunit: months\nlegal_basis: test\nvalues:\n  2021-01-01:\n    value: 6\n",
        encoding="utf-8",
    )
    assert load_parameters(tmp_path / "rules").at("dibao.income_lookback_months", dt.date(2025, 7, 1)) == 6


def test_every_problem_reported_at_once(tmp_path: Path):
    root = tmp_path / "rules" / "national" / "parameters"
    root.mkdir(parents=True)
    (root / "a.yaml").write_text("description: d\nunit: u\nvalues:\n  2021-01-01: {value: 1}\n", encoding="utf-8")
    (root / "b.yaml").write_text(
        "description: d\nunit: u\nlegal_basis: l\nvalues:\n  not-a-date: {value: 1}\n", encoding="utf-8"
    )
    (root / "c.yaml").write_text(": : :\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_parameters(tmp_path / "rules", chain=("national",))
    problems = err.value.problems
    assert any("a.yaml" in p and "legal_basis" in p for p in problems)
    assert any("b.yaml" in p and "not-a-date" in p for p in problems)
    assert any("c.yaml" in p for p in problems)


def test_district_override_wins_in_its_district_only():
    params = load_parameters(RULES)
    on = dt.date(2025, 7, 1)
    assert params.at("dibao.min_housing_area", on) == 15
    assert params.at("dibao.min_housing_area", on, "500103") == 13
    assert params.at("dibao.min_housing_area", on, "500101") == 15
    entry = params.entry("dibao.min_housing_area", on, "500103")
    assert entry.district == "500103" and "districts/500103" in entry.file


def test_overlay_replaces_only_its_files(tmp_path: Path):
    proposal = tmp_path / "proposal" / "chongqing" / "parameters" / "dibao"
    proposal.mkdir(parents=True)
    (proposal / "standard.yaml").write_text(
        "description: proposed\nunit: CNY\nlegal_basis: proposal\nbreakdown: urban_rural\nvalues:\n"
        "  2025-07-01:\n    value: {urban: 800, rural: 660}\n    confidence: open\n",
        encoding="utf-8",
    )
    params = load_parameters(RULES, overlay=tmp_path / "proposal")
    assert params.at("dibao.standard", dt.date(2025, 7, 1)) == {"urban": 800, "rural": 660}
    assert params.at("dibao.financial_asset_months", dt.date(2025, 7, 1)) == 12


BAD_VALUES = [
    ("a date that does not exist", "values:\n  2025-02-30:\n    value: 6\n", "values key '2025-02-30' is not a date"),
    ("text for a number", "values:\n  2025-01-01:\n    value: six\n", "values.2025-01-01.value must be a number"),
    ("outside the range", "range: [1, 12]\nvalues:\n  2025-01-01:\n    value: 13\n", "values.2025-01-01.value 13 is outside the range 1–12"),
    ("a breakdown key with text", "breakdown: urban_rural\nvalues:\n  2025-01-01:\n    value: {urban: 7OO, rural: 600}\n", "values.2025-01-01.value.urban must be a number"),
    ("bad confidence", "values:\n  2025-01-01:\n    value: 6\n    confidence: maybe\n", "values.2025-01-01.confidence must be one of"),
]


@pytest.mark.parametrize("case", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_malformed_parameter_names_file_key_and_date(tmp_path: Path, case):
    _, body, expected = case
    shutil.copytree(RULES, tmp_path / "rules")
    path = tmp_path / "rules" / "chongqing" / "parameters" / "dibao" / "gradual_exit_months.yaml"
    path.write_text("description: d\nunit: months\nlegal_basis: l\n" + body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_parameters(tmp_path / "rules")
    text = "\n".join(err.value.problems)
    assert "gradual_exit_months.yaml" in text
    assert expected in text
