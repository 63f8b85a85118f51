import datetime as dt
import hashlib
import json
from decimal import Decimal

from pipelines.config import PROJECT_ROOT
from pipelines.evaluate import parameter_trace_json
from pipelines.flags import build_flags
from pipelines.policy import load_ruleset
from pipelines.schemas import load_schemas

RULESET = load_ruleset(PROJECT_ROOT / "rules")
SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")
ON = dt.date(2025, 7, 1)


def fired(household_id, rule_id, value, threshold, margin=None, borderline=False, benefit="500.00"):
    rule = RULESET.rule(rule_id)
    return {
        "month": "2025-07", "household_id": household_id, "region_code": "500242", "members_counted": 2,
        "homes": 0, "benefit_amount": Decimal(benefit), "rule_id": rule_id, "inputs": "{}",
        "value_expression": rule.value.text, "op": rule.op, "threshold_expression": rule.threshold.text,
        "value": Decimal(value), "threshold": Decimal(threshold),
        "margin": None if margin is None else Decimal(margin), "borderline": borderline,
        "parameters": parameter_trace_json(RULESET, rule.parameters, ON),
    }


def contribution(household_id, fact, source, record_key, amount, person="H-01"):
    return {
        "household_id": household_id, "person_key": person, "fact": fact, "item": record_key,
        "amount": Decimal(amount), "source": source, "record_key": record_key, "as_of": "2025-06-30",
        "file": f"landing/{source}/2025-06-30/x.csv", "row": 7, "detail": '{"bank": "重庆农商行"}',
        "link_method": "id_exact", "link_score": 1.0,
        "link_evidence": '{"id": {"comparison": "equal_checksum_valid"}, "name": {"agreement": "exact"}}',
    }


def test_order_ids_evidence_and_explanations():
    rows = [
        fired("H2", "cq.dibao.financial_assets", "20000.00", "18480.00", "0.0823", True, benefit="300.00"),
        fired("H3", "cq.dibao.vehicle", "1.00", "0.00", benefit="900.00"),
        fired("H1", "cq.dibao.deceased_member", "1.00", "0.00", benefit="100.00"),
        fired("H4", "cq.dibao.identity_unverified", "1.00", "0.00", benefit="50.00"),
    ]
    contrib = [
        contribution("H2", "deposits", "bank_deposits", "6214580100000031989", "20000.00"),
        contribution("H1", "deceased_members", "hukou", "500103195001011234", "1", person="H1-02"),
        contribution("H2", "vehicles_nonexempt", "vehicles", "渝A1", "1"),  # another fact: not evidence here
        contribution("H4", "members_identity_unverified", "roster", "H4|2", "1", person="H4-02"),
    ]
    table = build_flags(rows, contrib, RULESET, SCHEMAS, "run-1")
    flags = table.to_pylist()
    # hard events first, then money at stake
    assert [(f["household_id"], f["flag_code"]) for f in flags] == [
        ("H1", "DECEASED_MEMBER"), ("H3", "VEHICLE_OWNED"), ("H2", "FINANCIAL_ASSETS_ABOVE_LIMIT"),
        ("H4", "IDENTITY_UNVERIFIED"),
    ]
    assert flags[0]["person_key"] == "H1-02" and flags[3]["person_key"] == "H4-02"
    assert flags[1]["person_key"] is None  # a vehicle: the household's, no member named
    assert flags[0]["flag_id"] == hashlib.sha256(b"2025-07|H1|DECEASED_MEMBER").hexdigest()[:16]
    assets = flags[2]
    evidence = json.loads(assets["evidence"])
    assert [r["source"] for r in evidence["records"]] == ["bank_deposits"]
    assert evidence["records"][0]["record_key"] == "6214***********1989"  # account masked
    assert evidence["parameters"][0]["name"] == "dibao.financial_asset_months"
    assert {p["name"] for p in evidence["parameters"]} == {"dibao.financial_asset_months", "dibao.standard"}
    assert evidence["records"][0]["link"]["comparison"]["name"]["agreement"] == "exact"
    assert evidence["rule"]["legal_basis"] and evidence["test"]["threshold"] == "18480.00"
    assert "20000.00" in assets["explanation_zh"] and "18480.00" in assets["explanation_zh"]
    assert "8.2%" in assets["explanation_zh"] and assets["borderline"]
    # counts read as whole numbers in the sentences, amounts with their cents
    assert "有 1 辆" in flags[1]["explanation_zh"] and "1.00" not in flags[1]["explanation_zh"]
    deceased = json.loads(flags[0]["evidence"])
    assert deceased["records"][0]["record_key"] == "500103********1234"  # an ID keeps its area code


def test_same_evidence_same_hash_changed_evidence_new_hash():
    row = fired("H2", "cq.dibao.financial_assets", "20000.00", "18480.00", "0.0823", True)
    one = contribution("H2", "deposits", "bank_deposits", "A1", "20000.00")
    first = build_flags([row], [one], RULESET, SCHEMAS, "run-1").to_pylist()[0]
    again = build_flags([row], [one], RULESET, SCHEMAS, "run-2").to_pylist()[0]
    changed = build_flags([row], [{**one, "amount": Decimal("20000.01")}], RULESET, SCHEMAS, "run-3").to_pylist()[0]
    assert first["evidence_hash"] == again["evidence_hash"]
    assert first["flag_id"] == changed["flag_id"]
    assert first["evidence_hash"] != changed["evidence_hash"]
