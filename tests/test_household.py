import datetime as dt
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.evaluate import evaluate
from pipelines.household import Period, contributions, facts
from pipelines.policy import load_ruleset

RULESET = load_ruleset(PROJECT_ROOT / "rules")
PERIOD = Period.of("2025-07", RULESET.params)
META = "_as_of string, _file string, _row bigint, _source string"


def frame(spark, ddl, rows, source):
    full = [(*r, "2025-06-30", f"landing/{source}.csv", i + 2, source) for i, r in enumerate(rows)]
    return spark.createDataFrame(full, f"{ddl}, {META}")


@pytest.fixture(scope="module")
def world(spark):
    roster = frame(spark, "household_id string, member_no bigint, region_code string, urban_rural string, "
                   "status string, declared_income decimal(20,2), benefit_amount decimal(20,2)", [
        ("H1", 1, "500103", "urban", "active", Decimal(0), Decimal(500)),
        ("H1", 2, "500103", "urban", "active", Decimal(0), Decimal(500)),
        ("H2", 1, "500242", "rural", "active", Decimal(0), Decimal(300)),
        ("H2", 2, "500242", "rural", "active", Decimal(0), Decimal(300)),
    ], "roster")
    d = dt.date
    clean = {
        "hukou": frame(spark, "record_key string, status string, status_date date", [
            ("ID11", "deceased", d(2025, 3, 1)), ("ID12", "normal", None), ("ID21", "deceased", d(2025, 8, 1)),
        ], "hukou"),
        "bank_deposits": frame(spark, "record_key string, bank string, account_type string, as_of_date date, balance decimal(20,2)", [
            ("A1", "b", "demand", d(2025, 6, 30), Decimal("10000.00")),
            ("A2", "b", "time", d(2025, 6, 30), Decimal("9000.00")),
            ("A3", "b", "demand", d(2025, 6, 30), Decimal("50000.00")),  # owned by the held member
        ], "bank_deposits"),
        "vehicles": frame(spark, "record_key string, plate string, vehicle_type string, status string, first_registration date", [
            ("渝A1", "渝A1", "car", "scrapped", None), ("渝A2", "渝A2", "disabled_wheelchair", "normal", None),
            ("渝A3", "渝A3", "truck", "normal", None),
        ], "vehicles"),
        "custody": frame(spark, "record_key string, custody_type string, start_date date, end_date date", [
            ("C1", "prison", d(2024, 1, 1), None),
        ], "custody"),
        "social_insurance": frame(spark, "record_key string, month string, employer string, insurance_type string, contribution_base decimal(20,2), pension_paid decimal(20,2)", [
            ("S1", "2025-06", "厂", "employee", Decimal("12000.00"), None),
            ("S2", "2024-06", "厂", "employee", Decimal("99999.00"), None),  # outside the window
            ("S3", "2025-05", None, "resident", None, Decimal("180.00")),  # excluded until 2025-12-31
        ], "social_insurance"),
    }
    links = spark.createDataFrame([
        ("H1-01", "H1", "hukou", "ID11"), ("H1-02", "H1", "hukou", "ID12"), ("H2-01", "H2", "hukou", "ID21"),
        ("H1-01", "H1", "bank_deposits", "A1"), ("H1-02", "H1", "bank_deposits", "A2"),
        ("H2-02", "H2", "bank_deposits", "A3"),
        ("H1-02", "H1", "vehicles", "渝A1"), ("H1-02", "H1", "vehicles", "渝A2"), ("H2-01", "H2", "vehicles", "渝A3"),
        ("H2-02", "H2", "custody", "C1"),
        ("H2-01", "H2", "social_insurance", "S1"), ("H2-01", "H2", "social_insurance", "S2"),
        ("H1-02", "H1", "social_insurance", "S3"),
    ], "person_key string, household_id string, source string, source_record_key string").selectExpr(
        "*", "'id_exact' as method", "1.0d as score", "'{}' as evidence")
    contrib = contributions(clean, links, PERIOD)
    return {r["household_id"]: r.asDict() for r in facts(roster, contrib, PERIOD).collect()}, contrib


def test_facts(world):
    f, _ = world
    assert f["H1"]["deceased_members"] == 1  # a death after the month does not count (H2)
    assert f["H2"]["deceased_members"] == 0
    assert f["H1"]["financial_assets"] == Decimal("19000.00")
    assert f["H2"]["financial_assets"] == Decimal("0.00")  # the held member's savings are not the household's
    assert f["H1"]["vehicles_nonexempt"] == 0  # scrapped car and wheelchair are not counted
    assert f["H2"]["vehicles_nonexempt"] == 1
    assert f["H2"]["members_counted"] == 1 and f["H2"]["members_in_custody"] == 1
    assert f["H2"]["per_capita_income"] == Decimal("1000.00")  # 12000 / 1 member / 12 months
    assert f["H1"]["excluded_income_total"] == Decimal("180.00")
    assert f["H1"]["per_capita_income"] == Decimal("0.00")


def test_rules_in_spark_agree_with_python(world, spark):
    f, _ = world
    facts_df = spark.createDataFrame(list(f.values()))
    spark_out = {
        (r["household_id"], x["flag_code"]): x["fired"]
        for r in evaluate(facts_df, RULESET, PERIOD.start).collect()
        for x in r["rule_results"]
    }
    py_out = {(r["household_id"], r["flag_code"]): r["fired"] for r in RULESET.evaluate_python(list(f.values()), PERIOD.start)}
    assert spark_out == py_out
    assert spark_out[("H1", "DECEASED_MEMBER")] and spark_out[("H1", "FINANCIAL_ASSETS_ABOVE_LIMIT")]
    assert spark_out[("H2", "INCOME_ABOVE_STANDARD")] and spark_out[("H2", "VEHICLE_OWNED")]
    assert not spark_out[("H1", "VEHICLE_OWNED")]
