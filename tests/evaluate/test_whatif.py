"""What-if: the same household facts under the rules in force and under a proposed standard."""

from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.evaluate import facts_frame
from pipelines.evaluate.whatif import run_whatif

PROPOSAL = PROJECT_ROOT / "rules" / "proposals" / "standard-800-660"
RULES = PROJECT_ROOT / "rules"

# July 2025 in force: 770 urban / 630 rural; proposed: 800 / 660.
HOUSEHOLDS = [
    # 780 a month: above 770 (edge), below 800 (dibao, benefit (800-780) × 2 = 40)
    {"household_id": "A", "region_code": "500101", "urban_rural": "urban", "members_enrolled": 2,
     "income_by_type": {"wage": Decimal("18720")}},
    # 500 a month: dibao either way, the benefit grows by 30 × 3 = 90
    {"household_id": "B", "region_code": "500101", "urban_rural": "urban", "members_enrolled": 3,
     "income_by_type": {"wage": Decimal("18000")}},
    # rural 640: above 630, below 660: edge → dibao in the autonomous county 500242
    {"household_id": "C", "region_code": "500242", "urban_rural": "rural", "members_enrolled": 1,
     "income_by_type": {"wage": Decimal("7680")}},
    # a vehicle: not eligible under both
    {"household_id": "D", "region_code": "500242", "urban_rural": "rural", "members_enrolled": 2,
     "vehicles_nonexempt": 1},
]


@pytest.fixture(scope="module")
def data_dir(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("whatif")
    facts_frame(spark, "2025-07", HOUSEHOLDS).write.parquet(str(root / "runs" / "r1" / "households"))
    return root


def test_status_changes_by_district_and_benefit(spark, data_dir):
    report = run_whatif(spark, data_dir, "r1", RULES, "chongqing", PROPOSAL)
    assert report["month"] == "2025-07"
    assert report["proposal"]["files"] == ["proposal:chongqing/parameters/dibao/standard.yaml"]
    assert report["transitions"] == [
        {"from": "edge", "to": "dibao", "households": 2, "people": 3, "benefit_change": "60.00"},
    ]
    by = {d["region_code"]: d for d in report["districts"]}
    assert by["500101"]["households_changed"] == 1 and by["500101"]["people_changed"] == 2
    assert by["500101"]["benefit_change"] == "130.00"  # A: 0 → 40, B: 810 → 900
    assert by["500242"]["households_changed"] == 1 and by["500242"]["region_name"].startswith("酉阳")
    assert by["500242"]["benefit_change"] == "20.00"  # C: 0 → 20; D stays not eligible
    assert report["total"]["benefit_change"] == "150.00"
    assert report["total"]["households"] == 4 and report["total"]["people"] == 8


def test_same_rules_change_nothing(spark, data_dir, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    report = run_whatif(spark, data_dir, "r1", RULES, "chongqing", empty)
    assert report["transitions"] == [] and report["total"]["benefit_change"] == "0.00"
    assert report["proposal"]["files"] == []


def test_a_run_without_facts_is_named(spark, data_dir):
    with pytest.raises(InputError, match="runs/nope/households"):
        run_whatif(spark, data_dir, "nope", RULES, "chongqing", PROPOSAL)


def test_a_proposal_that_changes_how_facts_are_built_is_warned(spark, data_dir, tmp_path):
    folder = tmp_path / "lookback" / "national" / "parameters" / "dibao"
    folder.mkdir(parents=True)
    (folder / "income_lookback_months.yaml").write_text(
        "description: d\nunit: months\nlegal_basis: proposal\nvalues:\n  2021-07-01:\n    value: 6\n",
        encoding="utf-8",
    )
    report = run_whatif(spark, data_dir, "r1", RULES, "chongqing", tmp_path / "lookback")
    assert any("lookback_months" in w for w in report["warnings"])
