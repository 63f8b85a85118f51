"""漏保 screening on tiny extracts in a real Spark: who is listed as possibly eligible, and why.

Checked for 2025-07 (standard urban 770, rural 630). Households of the hukou extract:
- A, 渝中区, urban street address: one person with a grade-1 certificate, no income, a small
  deposit → listed (severe disability), the whole urban standard as the gap.
- F, 酉阳, a village and group: an elderly couple with no pension → listed (elderly, no
  pension), rural standard for two.
- B: a grade-2 disabled member and a member on the active roster → not listed.
- C: a grade-2 disabled owner of a car → not listed.
- D: a grade-1 disabled member and the spouse's wage above the standard → not listed.
- E: one of its two members in the applications extract → not listed.
- G: an elderly woman with a residents' pension (excluded income, but a pension) → no sign.
- H: grade-1 disabled, on the roster under a mistyped ID → not listed.
- K: a grade-3 certificate only → no sign. L: a grade-1 holder who is deceased → nobody left.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.flags.outreach import LABEL, MATCHING, OUTPUT_COLUMNS, possibly_eligible
from pipelines.policy import load_ruleset
from pipelines.standardize.ids import CHECK_CHARS, WEIGHTS

RULESET = load_ruleset(PROJECT_ROOT / "rules")
META = "_as_of string, _file string, _row bigint, _source string"
D = Decimal
d = dt.date
WINDOW = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]
ID_COLUMNS = {"hukou": "id_number", "disability": "id_number", "social_insurance": "id_number",
              "vehicles": "owner_id", "bank_deposits": "id_number"}


def rid(area: str, born: str, seq: int) -> str:
    first = f"{area}{born}{seq:03d}"
    return first + CHECK_CHARS[sum(int(c) * w for c, w in zip(first, WEIGHTS, strict=True)) % 11]


P = {  # person → ID
    "A1": rid("500103", "19800101", 11), "F1": rid("500242", "19500301", 13),
    "F2": rid("500242", "19520405", 24), "B1": rid("500103", "19700101", 31),
    "B2": rid("500103", "19720101", 42), "C1": rid("500104", "19750101", 51),
    "D1": rid("500105", "19760101", 61), "D2": rid("500105", "19780101", 72),
    "E1": rid("500106", "19600101", 81), "E2": rid("500106", "19620101", 92),
    "G1": rid("500107", "19500101", 102), "H1": rid("500108", "19820101", 111),
    "K1": rid("500109", "19850101", 121), "L1": rid("500110", "19840101", 131),
}
STREET = "重庆市渝中区解放碑街道民族路1号"
VILLAGE = "重庆市酉阳土家族苗族自治县龙潭镇新民村3组5号"


def frame(spark, ddl, rows, source):
    full = [(*r, "2025-06-30", f"landing/{source}.csv", i + 2, source) for i, r in enumerate(rows)]
    return spark.createDataFrame(full, f"{ddl}, {META}")


def mistyped(id18: str) -> str:
    digit = str((int(id18[15]) + 1) % 10)
    return id18[:15] + digit + id18[16:]


@pytest.fixture(scope="module")
def listed(spark):
    def person(key, hukou_no, relation, born, address, status="normal"):
        return (P[key], P[key], f"人{key}", hukou_no, relation, born, address, status, None)

    hukou = frame(spark, "record_key string, id_number string, name string, hukou_no string, "
                  "relation string, birth_date date, address string, status string, status_date date", [
        person("A1", "5001030000001", "户主", d(1980, 1, 1), STREET),
        person("F1", "5002420000002", "户主", d(1950, 3, 1), VILLAGE),
        person("F2", "5002420000002", "妻", d(1952, 4, 5), VILLAGE),
        person("B1", "5001030000003", "户主", d(1970, 1, 1), STREET),
        person("B2", "5001030000003", "妻", d(1972, 1, 1), STREET),
        person("C1", "5001040000004", "户主", d(1975, 1, 1), "重庆市大渡口区新华街道人民路2号"),
        person("D1", "5001050000005", "户主", d(1976, 1, 1), "重庆市江北区观音街道建设路3号"),
        person("D2", "5001050000005", "妻", d(1978, 1, 1), "重庆市江北区观音街道建设路3号"),
        person("E1", "5001060000006", "户主", d(1960, 1, 1), "重庆市沙坪坝区石桥街道学府路4号"),
        person("E2", "5001060000006", "妻", d(1962, 1, 1), "重庆市沙坪坝区石桥街道学府路4号"),
        person("G1", "5001070000007", "户主", d(1950, 1, 1), "重庆市九龙坡区白沙街道中山路5号"),
        person("H1", "5001080000008", "户主", d(1982, 1, 1), "重庆市南岸区龙溪街道滨江路6号"),
        person("K1", "5001090000009", "户主", d(1985, 1, 1), "重庆市北碚区金山街道北城路7号"),
        person("L1", "5001100000010", "户主", d(1984, 1, 1), "重庆市綦江区太平街道长江路8号", "deceased"),
    ], "hukou")
    disability = frame(spark, "record_key string, id_number string, name string, grade int, "
                       "category string, issue_date date", [
        (f"{P[k]}4{g}", P[k], f"人{k}", g, "physical", d(2015, 1, 1))
        for k, g in (("A1", 1), ("B2", 2), ("C1", 2), ("D1", 1), ("H1", 1), ("K1", 3), ("L1", 1))
    ], "disability")
    si = frame(spark, "record_key string, id_number string, name string, employer string, "
               "insurance_type string, contribution_base decimal(20,2), pension_paid decimal(20,2), "
               "month string", [
        *[(f"D2-{m}", P["D2"], "人D2", "厂", "employee", D("4000.00"), None, m) for m in WINDOW],
        *[(f"G1-{m}", P["G1"], "人G1", None, "resident", None, D("200.00"), m) for m in WINDOW],
    ], "social_insurance")
    vehicles = frame(spark, "record_key string, plate string, owner_id string, owner_name string, "
                     "vehicle_type string, status string, first_registration date", [
        ("渝B12345", "渝B12345", P["C1"], "人C1", "car", "normal", d(2018, 1, 1)),
    ], "vehicles")
    deposits = frame(spark, "record_key string, id_number string, name string, bank string, "
                     "account_type string, balance decimal(20,2), as_of_date date", [
        ("ACC1", P["A1"], "人A1", "农行", "demand", D("1200.00"), d(2025, 6, 30)),
    ], "bank_deposits")
    roster = spark.createDataFrame([
        ("DB1", 1, P["B1"], "人B1", "active"),
        ("DB2", 1, mistyped(P["H1"]), "人H1", "active"),
        ("DB3", 1, P["K1"], "人K1", "exited"),  # not enrolled now; K has no sign anyway
    ], "household_id string, member_no int, id_number string, name string, status string")
    applications = spark.createDataFrame(
        [("SQ1", 1, P["E2"], "人E2")],
        "household_id string, member_no int, id_number string, name string",
    )
    clean = {"hukou": hukou, "disability": disability, "social_insurance": si,
             "vehicles": vehicles, "bank_deposits": deposits}
    out = possibly_eligible(clean, roster, applications, RULESET, "2025-07", ID_COLUMNS)
    return out, [r.asDict() for r in out.collect()]


def test_only_the_needy_households_outside_the_roster_are_listed(listed):
    out, rows = listed
    assert tuple(out.columns) == OUTPUT_COLUMNS
    # ordered by region then household: 渝中区 500103 before 酉阳 500242
    assert [r["household_id"] for r in rows] == ["HK5001030000001", "HK5002420000002"]


def test_the_severely_disabled_person_alone(listed):
    a = listed[1][0]
    assert (a["region_code"], a["region_basis"]) == ("500103", "address")
    assert (a["urban_rural"], a["urban_rural_basis"]) == ("urban", "address")
    assert a["members"] == 1 and a["per_capita_income"] == D("0.00")
    assert a["standard"] == D("770.00") and a["benefit_estimated"] == D("770.00")
    assert a["sign_of_need"] == "severe_disability"
    assert a["member_keys_masked"] == [P["A1"][:4] + "*" * 10 + P["A1"][-4:]]
    assert a["label"] == LABEL and "可能符合条件" in a["label"] and "possibly eligible" in a["label"]
    assert "exact standardized 18-digit ID only" in a["matching"] == MATCHING
    reason = json.loads(a["reason"])
    assert reason["status"] == "dibao" and reason["financial_assets"] == 1200.0
    assert reason["severe_disability"] == [
        {"person_key": "HK5001030000001-01", "grade": 1, "category": "physical"}]
    assert reason["members"] == [{"person_key": "HK5001030000001-01", "id_masked": a["member_keys_masked"][0],
                                  "relation": "户主", "age": 45}]
    assert not any(c["holds"] for c in reason["conditions"])
    assert {c["rule_id"] for c in reason["conditions"]} >= {"cq.dibao.income", "cq.dibao.vehicle"}
    assert P["A1"] not in a["reason"]  # no unmasked ID anywhere


def test_the_elderly_couple_without_a_pension(listed):
    f = listed[1][1]
    assert (f["region_code"], f["urban_rural"], f["urban_rural_basis"]) == ("500242", "rural", "address")
    assert f["members"] == 2 and f["standard"] == D("630.00")
    assert f["benefit_estimated"] == D("1260.00")
    assert f["sign_of_need"] == "elderly_no_pension"
    reason = json.loads(f["reason"])
    assert reason["elderly"] == {"all_elderly": True, "age": 60, "pension_income": False}
    assert [m["person_key"] for m in reason["members"]] == ["HK5002420000002-01", "HK5002420000002-02"]


def test_deterministic(listed, spark):
    out, rows = listed
    again = [r.asDict() for r in out.collect()]
    assert again == rows


@pytest.mark.parametrize("case", [
    {"description": "district named after 重庆市", "address": STREET, "hukou_no": "5001030000001",
     "expected": ("500103", "address", "urban", "address")},
    {"description": "a retired county's name gives the code in force; a village and group is rural",
     "address": "重庆市綦江县古南镇新民村2组3号", "hukou_no": "5001100000002",
     "expected": ("500110", "address", "rural", "address")},
    {"description": "no district in the address: the 户号's code; no street nor village: urban",
     "address": "古南镇某处", "hukou_no": "5002420000003",
     "expected": ("500242", "hukou_no", "urban", "default_urban_higher_standard")},
    {"description": "neither: the area code of the head's ID (a retired one mapped)",
     "address": None, "hukou_no": "9990000000004",
     "expected": ("500110", "id_area_code", "urban", "default_urban_higher_standard")},
], ids=lambda c: c["description"])
def test_where_a_household_lives(spark, case):
    from pipelines.flags.outreach import hukou_members

    hukou = spark.createDataFrame(
        [(rid("500222", "19700101", 5), "甲", case["hukou_no"], "户主", d(1970, 1, 1), case["address"], "normal")],
        "id_number string, name string, hukou_no string, relation string, birth_date date, "
        "address string, status string")
    row = hukou_members(hukou, d(2025, 7, 1)).collect()[0]
    got = (row["region_code"], row["region_basis"], row["urban_rural"], row["urban_rural_basis"])
    assert got == case["expected"]
    assert (row["household_id"], row["person_key"], row["age"]) == (
        "HK" + case["hukou_no"], "HK" + case["hukou_no"] + "-01", 55)
