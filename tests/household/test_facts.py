"""Household base facts and the contributions behind them, on tiny registries in a real Spark.

Four households, checked for 2025-07 (look-back 2024-07 … 2025-06):
- H1, urban: a member deceased in March; deposits, securities and an insurance policy; a
  scrapped car and a disabled person's wheelchair; a home the two members own half each, a
  shop, a cancelled home and a parking space; H1-02 started work in April (new work).
- H2, rural: H2-02 in custody since 2024 (not counted: their deposits, policy and shares are
  set aside); H2-01 worked all year (not new work) and owns a truck, half of one home and one
  of two blank-share owner rows of another.
- H3: its only member in custody.
- H4: H4-01 worked, stopped in January, started again in February; H4-02 started in June.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.household import CONTRIBUTION_COLUMNS, FACT_EVIDENCE, Period, contributions, facts
from pipelines.policy import load_ruleset

RULESET = load_ruleset(PROJECT_ROOT / "rules")
PERIOD = Period.of("2025-07", RULESET.params)
META = "_as_of string, _file string, _row bigint, _source string"
D = Decimal
d = dt.date
WINDOW = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]
SI = ("record_key string, month string, employer string, insurance_type string, "
      "contribution_base decimal(20,2), pension_paid decimal(20,2)")


def frame(spark, ddl, rows, source):
    full = [(*r, "2025-06-30", f"landing/{source}.csv", i + 2, source) for i, r in enumerate(rows)]
    return spark.createDataFrame(full, f"{ddl}, {META}")


def wages(prefix: str, months, amount: str):
    return [(f"{prefix}-{m}", m, "厂", "employee", D(amount), None) for m in months]


# (record key, person key) of every linked record, by source
LINKS = {
    "hukou": [("ID11", "H1-01"), ("ID12", "H1-02"), ("ID21", "H2-01")],
    "bank_deposits": [("A1", "H1-01"), ("A2", "H1-02"), ("A3", "H2-02")],
    "securities": [("SEC1", "H1-01"), ("SEC2", "H2-02")],
    "insurance": [("P1", "H1-02"), ("P2", "H2-02")],
    "vehicles": [("渝A1", "H1-02"), ("渝A2", "H1-02"), ("渝A3", "H2-01")],
    "custody": [("C1", "H2-02"), ("C3", "H3-01")],
    "real_estate": [
        ("HOME1|1", "H1-01"), ("HOME1|2", "H1-02"), ("SHOP1|1", "H1-02"), ("OLD1|1", "H1-01"),
        ("PARK1|1", "H1-02"),
        ("HOME2|1", "H2-01"), ("HOME2|2", "H2-02"), ("HOME3|1", "H2-01"), ("HOME3|2", "H2-02"),
        ("HOME4|1", "H3-01"),
    ],
    "social_insurance": [
        ("S-OLD", "H2-01"), ("S-RES", "H1-02"), ("S-EMP", "H1-01"), ("S-HELD", "H2-02"),
        *[(f"H1-02-{m}", "H1-02") for m in WINDOW[-3:]],
        *[(f"H2-01-{m}", "H2-01") for m in WINDOW],
        *[(f"H4-01-{m}", "H4-01") for m in WINDOW[:6] + WINDOW[7:]],
        ("H4-02-2025-06", "H4-02"),
    ],
}


@pytest.fixture(scope="module")
def world(spark):
    roster = frame(spark, "household_id string, member_no bigint, region_code string, urban_rural string, "
                   "status string, declared_income decimal(20,2), benefit_amount decimal(20,2)", [
        ("H1", 1, "500103", "urban", "active", D(0), D(500)),
        ("H1", 2, "500103", "urban", "active", D(0), D(500)),
        ("H2", 1, "500242", "rural", "active", D(0), D(300)),
        ("H2", 2, "500242", "rural", "active", D(0), D(300)),
        ("H3", 1, "500242", "rural", "active", D(100), D(200)),
        ("H4", 1, "500103", "urban", "active", D(0), D(400)),
        ("H4", 2, "500103", "urban", "active", D(0), D(400)),
        ("H5", 1, "500103", "urban", "cancelled", D(0), D(0)),  # no active member: no row
    ], "roster")
    clean = {
        "hukou": frame(spark, "record_key string, status string, status_date date", [
            ("ID11", "deceased", d(2025, 3, 1)), ("ID12", "normal", None), ("ID21", "deceased", d(2025, 8, 1)),
        ], "hukou"),
        "bank_deposits": frame(spark, "record_key string, bank string, account_type string, as_of_date date, balance decimal(20,2)", [
            ("A1", "b", "demand", d(2025, 6, 30), D("10000.00")),
            ("A2", "b", "time", d(2025, 6, 30), D("9000.00")),
            ("A3", "b", "demand", d(2025, 6, 30), D("50000.00")),  # the held member's
        ], "bank_deposits"),
        "securities": frame(spark, "record_key string, market string, as_of_date date, market_value decimal(20,2)", [
            ("SEC1", "sh", d(2025, 6, 30), D("2000.00")), ("SEC2", "sz", d(2025, 6, 30), D("7000.00")),
        ], "securities"),
        "insurance": frame(spark, "record_key string, insurer string, product_type string, as_of_date date, cash_value decimal(20,2)", [
            ("P1", "中国人寿", "whole_life", d(2025, 6, 30), D("3000.50")),
            ("P2", "平安人寿", "annuity", d(2025, 6, 30), D("8000.00")),
        ], "insurance"),
        "vehicles": frame(spark, "record_key string, plate string, vehicle_type string, status string, first_registration date", [
            ("渝A1", "渝A1", "car", "scrapped", None), ("渝A2", "渝A2", "disabled_wheelchair", "normal", None),
            ("渝A3", "渝A3", "truck", "normal", None),
        ], "vehicles"),
        "custody": frame(spark, "record_key string, custody_type string, start_date date, end_date date", [
            ("C1", "prison", d(2024, 1, 1), None), ("C3", "drug_rehab", d(2025, 1, 5), d(2027, 1, 4)),
        ], "custody"),
        "real_estate": frame(spark, "record_key string, certificate_no string, owner_seq bigint, share decimal(20,2), "
                             "use string, area decimal(20,2), registration_date date, status string", [
            ("HOME1|1", "HOME1", 1, D("0.50"), "residential", D("80.00"), d(2010, 5, 1), "current"),
            ("HOME1|2", "HOME1", 2, D("0.50"), "residential", D("80.00"), d(2010, 5, 1), "current"),
            ("SHOP1|1", "SHOP1", 1, None, "commercial", D("30.00"), d(2015, 1, 1), "current"),
            ("OLD1|1", "OLD1", 1, D("1.00"), "residential", D("70.00"), d(2005, 1, 1), "cancelled"),
            ("PARK1|1", "PARK1", 1, D("1.00"), "parking", D("13.00"), d(2016, 1, 1), "current"),
            ("HOME2|1", "HOME2", 1, D("0.50"), "residential", D("100.00"), d(2012, 1, 1), "current"),
            ("HOME2|2", "HOME2", 2, D("0.50"), "residential", D("100.00"), d(2012, 1, 1), "current"),
            ("HOME3|1", "HOME3", 1, None, "residential", D("60.00"), d(2018, 1, 1), "current"),
            ("HOME3|2", "HOME3", 2, None, "residential", D("60.00"), d(2018, 1, 1), "current"),
            ("HOME4|1", "HOME4", 1, D("1.00"), "residential", D("50.00"), d(2018, 1, 1), "current"),
        ], "real_estate"),
        "social_insurance": frame(spark, SI, [
            ("S-OLD", "2024-06", "厂", "employee", D("99999.00"), None),  # before the window
            ("S-RES", "2025-05", None, "resident", None, D("180.00")),  # excluded until 2025-12-31
            ("S-EMP", "2025-06", None, "employee", None, D("1500.00")),
            ("S-HELD", "2025-06", "厂", "employee", D("8000.00"), None),  # the held member's
            *wages("H1-02", WINDOW[-3:], "2000.00"),
            *wages("H2-01", WINDOW, "1000.00"),
            *wages("H4-01", WINDOW[:6] + WINDOW[7:], "3000.00"),  # no wage in 2025-01
            *wages("H4-02", WINDOW[-1:], "2500.00"),
        ], "social_insurance"),
    }
    links = spark.createDataFrame(
        [(p, p[:2], s, k) for s, rows in LINKS.items() for k, p in rows],
        "person_key string, household_id string, source string, source_record_key string",
    ).selectExpr("*", "'id_exact' as method", "1.0d as score", "'{}' as evidence")
    contrib = contributions(clean, links, PERIOD)
    out = facts(roster, contrib, PERIOD)
    rows = [r.asDict() for r in contrib.collect()]
    return {r["household_id"]: r.asDict() for r in out.collect()}, rows, out, contrib


def of(rows, household, fact):
    return sorted((r["record_key"], r["amount"]) for r in rows if r["household_id"] == household and r["fact"] == fact)


def test_one_row_per_household_with_active_members_in_the_contract_types(world):
    f, _, out, contrib = world
    assert sorted(f) == ["H1", "H2", "H3", "H4"]
    assert out.columns == [
        "month", "household_id", "region_code", "urban_rural", "members_enrolled",
        "members_in_custody", "member_exclusions", "deceased_members", "members_enrolled_elsewhere",
        "undeclared_spouses", "state_payroll_members", "vehicles_nonexempt", "vehicles_doubtful", "businesses_active",
        "members_provident_without_wage", "members_identity_unverified", "income_by_type",
        "countable_income_total", "excluded_income_total", "deposits", "deposits_dormant", "securities",
        "insurance_cash_value", "homes", "home_area", "commercial_properties", "homes_doubtful",
        "home_area_doubtful", "commercial_properties_doubtful", "new_work_months", "new_work_income",
        "declared_income", "benefit_amount",
    ]
    types = dict(out.dtypes)
    assert {c for c, t in types.items() if t == "int"} == {
        "members_enrolled", "members_in_custody", "deceased_members", "members_enrolled_elsewhere",
        "state_payroll_members", "vehicles_nonexempt", "vehicles_doubtful", "businesses_active", "homes",
        "commercial_properties", "homes_doubtful", "commercial_properties_doubtful", "new_work_months",
        "members_provident_without_wage", "members_identity_unverified", "undeclared_spouses",
    }
    assert types["income_by_type"] == "map<string,decimal(20,2)>"
    assert types["home_area"] == types["insurance_cash_value"] == "decimal(20,2)"
    assert tuple(contrib.columns) == CONTRIBUTION_COLUMNS
    # derived figures are the rules' formulas now
    assert not {"members_counted", "per_capita_income", "financial_assets"} & set(out.columns)


def test_custody_is_excluded_with_its_reason(world):
    f, rows, _, _ = world
    assert (f["H2"]["members_enrolled"], f["H2"]["members_in_custody"]) == (2, 1)
    assert json.loads(f["H2"]["member_exclusions"]) == [{
        "end_date": None, "person_key": "H2-02", "reason": "custody", "record_key": "C1",
        "source": "custody", "start_date": "2024-01-01",
    }]
    assert f["H2"]["member_exclusions"].startswith('[{"end_date":null,"person_key"')  # sorted keys
    assert json.loads(f["H3"]["member_exclusions"])[0]["end_date"] == "2027-01-04"
    assert f["H1"]["member_exclusions"] == "[]" and f["H1"]["members_in_custody"] == 0
    # nothing of the held member counts but the custody itself
    assert {r["fact"] for r in rows if r["person_key"] == "H2-02"} == {"members_in_custody"}
    assert f["H3"]["homes"] == 0 and f["H3"]["income_by_type"] == {}


def test_deaths_vehicles_and_the_default_zeros(world):
    f, rows, _, _ = world
    assert f["H1"]["deceased_members"] == 1 and f["H2"]["deceased_members"] == 0  # H2's after the month
    assert f["H1"]["vehicles_nonexempt"] == 0  # scrapped car and wheelchair are not counted
    assert f["H2"]["vehicles_nonexempt"] == 1 and of(rows, "H2", "vehicles_nonexempt") == [("渝A3", D(1))]
    assert f["H4"]["businesses_active"] == f["H4"]["state_payroll_members"] == 0
    assert f["H4"]["deposits"] == D("0.00") and f["H4"]["home_area"] == D("0.00")
    assert (f["H3"]["declared_income"], f["H3"]["benefit_amount"]) == (D("100.00"), D("200.00"))


def test_income_by_type_shows_the_excluded_type(world):
    f, rows, _, _ = world
    assert f["H1"]["income_by_type"] == {
        "employee_pension": D("1500.00"), "resident_basic_pension": D("180.00"), "wage": D("6000.00"),
    }
    assert f["H1"]["countable_income_total"] == D("7500.00")
    assert f["H1"]["excluded_income_total"] == D("180.00")
    assert f["H2"]["income_by_type"] == {"wage": D("12000.00")}  # the 2024-06 wage is outside
    details = {r["record_key"]: json.loads(r["detail"]) for r in rows if r["fact"] == "income_by_type"}
    assert details["S-RES"] == {"income_type": "resident_basic_pension", "month": "2025-05", "excluded": True}
    assert details["H1-02-2025-06"] == {"income_type": "wage", "month": "2025-06", "employer": "厂", "excluded": False}
    assert "S-OLD" not in details and "S-HELD" not in details


def test_financial_assets_by_source_with_insurance_cash_value(world):
    f, rows, _, _ = world
    assert (f["H1"]["deposits"], f["H1"]["securities"], f["H1"]["insurance_cash_value"]) == (
        D("19000.00"), D("2000.00"), D("3000.50"))
    # the held member's savings, shares and policy are not the household's
    assert (f["H2"]["deposits"], f["H2"]["securities"], f["H2"]["insurance_cash_value"]) == (
        D("0.00"), D("0.00"), D("0.00"))
    assert of(rows, "H1", "insurance_cash_value") == [("P1", D("3000.50"))]
    policy = next(r for r in rows if r["record_key"] == "P1")
    assert json.loads(policy["detail"]) == {"insurer": "中国人寿", "product_type": "whole_life", "as_of_date": "2025-06-30"}
    assert (policy["source"], policy["file"], policy["row"]) == ("insurance", "landing/insurance.csv", 2)


def test_homes_by_share_and_commercial_property(world):
    f, rows, _, _ = world
    # H1: one home owned half and half (80 m²); the shop is commercial; cancelled and parking are neither
    assert (f["H1"]["homes"], f["H1"]["home_area"], f["H1"]["commercial_properties"]) == (1, D("80.00"), 1)
    assert of(rows, "H1", "homes") == [("HOME1|1", D("40.00")), ("HOME1|2", D("40.00"))]
    assert of(rows, "H1", "commercial_properties") == [("SHOP1|1", D("30.00"))]  # blank share, sole owner
    # H2: the held co-owner's half is set aside (100 × 0.5), and of two blank shares the counted
    # member holds one half (60 × 1/2)
    assert (f["H2"]["homes"], f["H2"]["home_area"], f["H2"]["commercial_properties"]) == (2, D("80.00"), 0)
    assert of(rows, "H2", "homes") == [("HOME2|1", D("50.00")), ("HOME3|1", D("30.00"))]
    home = json.loads(next(r["detail"] for r in rows if r["record_key"] == "HOME3|1"))
    assert home == {"use": "residential", "area": 60.0, "share_counted": 0.5, "status": "current",
                    "registration_date": "2018-01-01"}


@pytest.mark.parametrize("case", [
    {"description": "started work three months before the month checked", "household": "H1",
     "expected": (3, D("6000.00"))},
    {"description": "worked all year: not new work", "household": "H2", "expected": (0, D("0.00"))},
    {"description": "the latest run counts (5 months after a gap); a second member's one month adds its wage",
     "household": "H4", "expected": (5, D("17500.00"))},
    {"description": "nobody counted works", "household": "H3", "expected": (0, D("0.00"))},
], ids=lambda c: c["description"])
def test_new_work(world, case):
    f, _, _, _ = world
    row = f[case["household"]]
    assert (row["new_work_months"], row["new_work_income"]) == case["expected"]


def test_every_fact_has_its_evidence(world):
    _, rows, _, _ = world
    facts_seen = {r["fact"] for r in rows}
    assert facts_seen == {
        "deceased_members", "members_in_custody", "deposits", "securities", "insurance_cash_value",
        "homes", "commercial_properties", "vehicles_nonexempt", "income_by_type",
    }
    for derived in ("members_counted", "countable_income", "per_capita_income", "financial_assets",
                    "home_area_per_capita", "homes", "home_area", "commercial_properties",
                    "new_work_months", "new_work_income", "insurance_cash_value"):
        assert FACT_EVIDENCE[derived], derived
    assert set(FACT_EVIDENCE["financial_assets"]) == {"deposits", "securities", "insurance_cash_value"}
    assert "members_in_custody" in FACT_EVIDENCE["per_capita_income"]
    contributed = {ev for evs in FACT_EVIDENCE.values() for ev in evs}
    assert facts_seen <= contributed


def test_a_member_enrolled_in_another_household(spark):
    from pipelines.household import duplicate_contributions

    roster = frame(spark, "household_id string, member_no bigint, region_code string, status string", [
        ("H1", 1, "500101", "active"), ("H1", 2, "500101", "active"),
        ("H9", 1, "500242", "active"), ("H9", 2, "500242", "active"),
    ], "roster")
    duplicates = spark.createDataFrame([
        # the same person in H1 and H9: both households count one member enrolled elsewhere
        ("H1-02", "H9-01", "H1", "H9", False, "id_exact", "match", 1.0, "{}"),
        # a possible match is for the clerical queue, not a fact
        ("H1-01", "H9-02", "H1", "H9", False, "probabilistic", "possible", 0.7, "{}"),
        # a pair within one household is not an enrolment elsewhere
        ("H9-01", "H9-02", "H9", "H9", True, "id_exact", "match", 1.0, "{}"),
    ], "person_key_a string, person_key_b string, household_a string, household_b string, "
       "same_household boolean, method string, band string, probability double, evidence string")
    rows = [r.asDict() for r in duplicate_contributions(duplicates, roster).orderBy("household_id").collect()]
    assert [(r["household_id"], r["person_key"], r["record_key"]) for r in rows] == [
        ("H1", "H1-02", "H9-01"), ("H9", "H9-01", "H1-02"),
    ]
    assert json.loads(rows[0]["detail"]) == {"other_household": "H9", "other_region_code": "500242",
                                             "other_programme": "dibao"}
    assert rows[0]["file"] == "landing/roster.csv" and rows[0]["row"] == 4  # the other enrolment's row
    assert rows[0]["link_method"] == "id_exact" and rows[0]["fact"] == "members_enrolled_elsewhere"
