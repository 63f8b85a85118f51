"""The records of a known false-positive pattern (DOMAIN §4) and identities 户籍 does not confirm,
counted apart from the facts of eligibility, on tiny registries in a real Spark (2025-07).

- V1 (低保): V1-01 owns a car first registered 17 years ago, one overdue for inspection, a
  wheelchair overdue for inspection (exempt) and a car in normal use; three accounts, one
  dormant; half of a home whose other owner has died (户籍), half of one whose other owner is
  alive, and half of one with V1-02, who has died too (a member: not a co-owner outside); V1-02
  half of a shop whose other owner was cremated. V1-01's provident fund was paid in May, with no
  wage anywhere; V1-02's was paid in June beside a wage. 户籍 confirms V1-01 (id_exact) only.
- V2: V2-01's provident fund was last paid in 2021 (an old employer); V2-02's is closed. 户籍
  holds a possible match for V2-01 only.
- T1: a 特困 enrolment: no household facts of its own.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.household import Period, contributions, facts
from pipelines.policy import load_ruleset
from pipelines.standardize.ids import check_char

PERIOD = Period.of("2025-07", load_ruleset(PROJECT_ROOT / "rules").params)
META = "_as_of string, _file string, _row bigint, _source string"
D = Decimal
d = dt.date


def pid(seq: int) -> str:
    first17 = f"50010319700101{seq:03d}"
    return first17 + check_char(first17)


def frame(spark, ddl, rows, source):
    full = [(*r, "2025-06-30", f"landing/{source}.csv", i + 2, source) for i, r in enumerate(rows)]
    return spark.createDataFrame(full, f"{ddl}, {META}")


LINKS = [  # person, source, record key, method
    ("V1-01", "hukou", "HK1", "id_exact"), ("V1-02", "hukou", "HK2", "id_fuzzy"),
    ("V2-01", "hukou", "HK3", "clerical"),
    *[("V1-01", "vehicles", k, "id_exact") for k in ("渝B1", "渝B2", "渝B3", "渝B4")],
    *[("V1-01", "bank_deposits", k, "id_exact") for k in ("D1", "D2", "D3")],
    ("V1-01", "real_estate", "HX|1", "id_exact"), ("V1-01", "real_estate", "HY|1", "id_exact"),
    ("V1-01", "real_estate", "HZ|1", "id_exact"), ("V1-02", "real_estate", "HZ|2", "id_exact"),
    ("V1-02", "real_estate", "SX|1", "id_exact"),
    ("V1-01", "provident_fund", "F1", "id_exact"), ("V1-02", "provident_fund", "F2", "id_exact"),
    ("V2-01", "provident_fund", "F3", "id_exact"), ("V2-02", "provident_fund", "F4", "id_exact"),
    ("V1-02", "social_insurance", "S1", "id_exact"),
]


@pytest.fixture(scope="module")
def world(spark):
    roster = frame(spark, "record_key string, household_id string, member_no bigint, region_code string, "
                   "urban_rural string, status string, programme string, id_number string, "
                   "declared_income decimal(20,2), benefit_amount decimal(20,2)", [
        ("V1|1", "V1", 1, "500101", "urban", "active", "dibao", pid(11), D(0), D(500)),
        ("V1|2", "V1", 2, "500101", "urban", "active", "dibao", "50010319700101012", D(0), D(500)),
        ("V2|1", "V2", 1, "500101", "urban", "active", "dibao", pid(21), D(0), D(500)),
        ("V2|2", "V2", 2, "500101", "urban", "active", "dibao", pid(22), D(0), D(500)),
        ("T1|1", "T1", 1, "500101", "urban", "active", "tekun", pid(31), D(0), D(0)),
    ], "roster")
    clean = {
        "roster": roster,
        "hukou": frame(spark, "record_key string, id_number string, status string, status_date date", [
            ("HK1", pid(11), "normal", None), ("HK2", pid(12), "deceased", d(2025, 1, 1)),
            ("HK3", pid(21), "normal", None), ("HKD", pid(90), "deceased", d(2024, 2, 1)),
            ("HKL", pid(91), "normal", None),
        ], "hukou"),
        "cremation": frame(spark, "record_key string, id_number string, death_date date, cremation_date date", [
            ("CR1", pid(92), d(2025, 5, 1), d(2025, 5, 3)),
        ], "cremation"),
        "vehicles": frame(spark, "record_key string, plate string, vehicle_type string, status string, "
                          "first_registration date", [
            ("渝B1", "渝B1", "car", "normal", d(2008, 1, 1)),
            ("渝B2", "渝B2", "car", "overdue_inspection", d(2020, 1, 1)),
            ("渝B3", "渝B3", "car", "normal", d(2020, 1, 1)),
            ("渝B4", "渝B4", "disabled_wheelchair", "overdue_inspection", d(2020, 1, 1)),
        ], "vehicles"),
        "bank_deposits": frame(spark, "record_key string, bank string, account_type string, as_of_date date, "
                               "balance decimal(20,2), last_activity_date date", [
            ("D1", "b", "demand", d(2025, 6, 30), D("30000.00"), d(2023, 6, 30)),  # 24 months + 1 day
            ("D2", "b", "demand", d(2025, 6, 30), D("1000.00"), d(2023, 7, 1)),
            ("D3", "b", "time", d(2025, 6, 30), D("500.00"), None),
        ], "bank_deposits"),
        "real_estate": frame(spark, "record_key string, certificate_no string, owner_seq bigint, owner_id string, "
                             "share decimal(20,2), use string, area decimal(20,2), registration_date date, "
                             "status string", [
            ("HX|1", "HX", 1, pid(11), D("0.50"), "residential", D("90.00"), d(2010, 1, 1), "current"),
            ("HX|2", "HX", 2, pid(90), D("0.50"), "residential", D("90.00"), d(2010, 1, 1), "current"),
            ("HY|1", "HY", 1, pid(11), D("0.50"), "residential", D("60.00"), d(2011, 1, 1), "current"),
            ("HY|2", "HY", 2, pid(91), D("0.50"), "residential", D("60.00"), d(2011, 1, 1), "current"),
            ("HZ|1", "HZ", 1, pid(11), D("0.50"), "residential", D("70.00"), d(2012, 1, 1), "current"),
            ("HZ|2", "HZ", 2, pid(12), D("0.50"), "residential", D("70.00"), d(2012, 1, 1), "current"),
            ("SX|1", "SX", 1, pid(12), D("0.50"), "commercial", D("30.00"), d(2013, 1, 1), "current"),
            ("SX|2", "SX", 2, pid(92), D("0.50"), "commercial", D("30.00"), d(2013, 1, 1), "current"),
        ], "real_estate"),
        "provident_fund": frame(spark, "record_key string, employer string, base decimal(20,2), status string, "
                                "last_paid_month string", [
            ("F1", "某公司", D("4000.00"), "active", "2025-05"),
            ("F2", "某公司", D("4000.00"), "active", "2025-06"),
            ("F3", "原单位", D("3000.00"), "active", "2021-12"),
            ("F4", "某公司", D("3000.00"), "closed", "2025-06"),
        ], "provident_fund"),
        "social_insurance": frame(spark, "record_key string, month string, employer string, insurance_type string, "
                                  "contribution_base decimal(20,2), pension_paid decimal(20,2)", [
            ("S1", "2025-03", "某公司", "employee", D("4000.00"), None),
        ], "social_insurance"),
    }
    links = spark.createDataFrame(
        [(p, p[:2], s, k, m, 1.0 if m == "id_exact" else 0.9) for p, s, k, m in LINKS],
        "person_key string, household_id string, source string, source_record_key string, method string, score double",
    ).selectExpr("*", "'{}' as evidence")
    contrib = contributions(clean, links, PERIOD)
    out = facts(roster, contrib, PERIOD)
    rows = [r.asDict() for r in contrib.collect()]
    return {r["household_id"]: r.asDict() for r in out.collect()}, rows


def keys(rows, household, fact):
    return sorted(r["record_key"] for r in rows if r["household_id"] == household and r["fact"] == fact)


def test_only_dibao_households_have_facts(world):
    f, _ = world
    assert sorted(f) == ["V1", "V2"]


def test_vehicles_likely_scrapped_or_sold_are_counted_apart(world):
    f, rows = world
    assert f["V1"]["vehicles_nonexempt"] == 1 and keys(rows, "V1", "vehicles_nonexempt") == ["渝B3"]
    assert f["V1"]["vehicles_doubtful"] == 2 and keys(rows, "V1", "vehicles_doubtful") == ["渝B1", "渝B2"]


def test_dormant_accounts_are_counted_apart(world):
    f, rows = world
    assert f["V1"]["deposits"] == D("1500.00") and f["V1"]["deposits_dormant"] == D("30000.00")
    assert keys(rows, "V1", "deposits_dormant") == ["D1"]
    detail = next(json.loads(r["detail"]) for r in rows if r["record_key"] == "D1")
    assert detail["last_activity_date"] == "2023-06-30"


def test_property_with_a_deceased_co_owner_outside_the_household_is_doubtful(world):
    f, rows = world
    # HY (living co-owner) and HZ (co-owned with a member, deceased or not) count as homes
    assert keys(rows, "V1", "homes") == ["HY|1", "HZ|1", "HZ|2"]
    assert (f["V1"]["homes"], f["V1"]["home_area"]) == (2, D("100.00"))
    assert keys(rows, "V1", "homes_doubtful") == ["HX|1"]
    assert (f["V1"]["homes_doubtful"], f["V1"]["home_area_doubtful"]) == (1, D("45.00"))
    assert (f["V1"]["commercial_properties"], f["V1"]["commercial_properties_doubtful"]) == (0, 1)
    detail = {r["record_key"]: json.loads(r["detail"]) for r in rows if r["fact"].endswith("_doubtful")}
    assert detail["HX|1"]["deceased_coowner_seq"] == 2 and detail["HX|1"]["deceased_coowner_source"] == "hukou"
    assert detail["SX|1"]["deceased_coowner_source"] == "cremation"


def test_provident_fund_paid_without_a_wage(world):
    f, rows = world
    assert f["V1"]["members_provident_without_wage"] == 1
    assert keys(rows, "V1", "members_provident_without_wage") == ["F1"]
    assert f["V2"]["members_provident_without_wage"] == 0  # an old employer's, a closed account


def test_identity_not_confirmed_by_hukou(world):
    f, rows = world
    assert f["V1"]["members_identity_unverified"] == 1 and f["V2"]["members_identity_unverified"] == 2
    found = {r["person_key"]: (json.loads(r["detail"]), r["link_method"]) for r in rows
             if r["fact"] == "members_identity_unverified"}
    assert found["V1-02"] == ({"reason": "hukou_matched_without_id", "roster_id_valid": False}, "id_fuzzy")
    assert found["V2-01"] == ({"reason": "hukou_possible_match", "roster_id_valid": True}, "clerical")
    assert found["V2-02"] == ({"reason": "no_hukou_record", "roster_id_valid": True}, None)
    assert "V1-01" not in found and "T1-01" not in found
