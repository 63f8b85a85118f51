import datetime as dt
from decimal import Decimal

import pyarrow as pa

from pipelines.config import PROJECT_ROOT
from pipelines.intake.validate import check
from pipelines.schemas import load_schemas

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")
AS_OF = dt.date(2025, 6, 30)


def split(raw, schema):
    from pipelines.intake.validate import split as split_checked

    return split_checked(check(raw, schema, AS_OF), schema)

META = {"_source": "bank_deposits", "_as_of": "2025-06-30", "_file": "landing/b.csv"}


def raw_frame(spark, schema, rows):
    """The raw rows as ingest writes them (text cells, the line) with the stage's source columns;
    `spark` is the session that types the values not in a plain form."""
    cols = [c.name for c in schema.columns]
    data = [{**{c: r.get(c) for c in cols}, **META, "_row": i + 2} for i, r in enumerate(rows)]
    types = [(c, pa.string()) for c in cols] + [(m, pa.string()) for m in META] + [("_row", pa.int64())]
    return pa.Table.from_pylist(data, pa.schema(types))


def bank(**kw):
    row = {"bank": "重庆农商行", "account_no": "6217001", "id_number": "500103195001011234", "name": "张三",
           "account_type": "活期", "balance": "1,234.50", "as_of_date": "2025-06-30"}
    row.update(kw)
    return row


def test_types_codes_and_quarantine_reasons(spark):
    schema = SCHEMAS["bank_deposits"]
    rows = [
        bank(),
        bank(account_no="6217002", balance="abc"),
        bank(account_no="6217003", as_of_date="2025-02-30"),
        bank(account_no="6217004", account_type="外币"),
        bank(account_no="6217005", balance=" "),
        bank(account_no="6217006", as_of_date="2025年6月30日", account_type="理财"),
    ]
    clean, quarantine = split(raw_frame(spark, schema, rows), schema)
    good = {r["account_no"]: r for r in clean.to_pylist()}
    assert set(good) == {"6217001", "6217006"}
    assert good["6217001"]["balance"] == Decimal("1234.50")
    assert good["6217001"]["account_type"] == "demand"
    assert good["6217006"]["as_of_date"] == dt.date(2025, 6, 30)
    assert good["6217006"]["record_key"] == "6217006"
    bad = {(r["row"], r["column"], r["reason"], r["raw_value"]) for r in quarantine.to_pylist()}
    assert bad == {
        (3, "balance", "BAD_DECIMAL", "abc"),
        (4, "as_of_date", "BAD_DATE", "2025-02-30"),
        (5, "account_type", "UNKNOWN_CODE", "外币"),
        (6, "balance", "MISSING_REQUIRED", " "),
    }


def test_duplicates_are_quarantined_not_dropped(spark):
    schema = SCHEMAS["bank_deposits"]
    rows = [bank(), bank(), bank(balance="99")]
    clean, quarantine = split(raw_frame(spark, schema, rows), schema)
    assert [r["_row"] for r in clean.to_pylist()] == [2]
    reasons = sorted((r["row"], r["reason"]) for r in quarantine.to_pylist())
    assert reasons == [(3, "DUPLICATE_ROW"), (4, "DUPLICATE_KEY")]
    assert clean.num_rows + quarantine.num_rows == len(rows)


def test_month_forms(spark):
    schema = SCHEMAS["social_insurance"]
    rows = [
        {"record_no": str(i), "insurance_type": "职工", "month": m}
        for i, m in enumerate(["2025-05", "202505", "2025年5月", "2025/5", "2025-13"])
    ]
    clean, quarantine = split(raw_frame(spark, schema, rows), schema)
    assert sorted(r["month"] for r in clean.to_pylist()) == ["2025-05"] * 4
    assert [r["reason"] for r in quarantine.to_pylist()] == ["BAD_MONTH"]


def test_domain_checks_quarantine_rows(spark):
    schema = SCHEMAS["bank_deposits"]
    rows = [
        bank(),
        bank(account_no="2", balance="-5.00"),
        bank(account_no="3", as_of_date="2025-07-31"),  # after the extract's as-of date
        bank(account_no="4", as_of_date="45839"),  # Excel serial of 2025-07-01: after as-of too
        bank(account_no="5", as_of_date="45838", balance="0"),  # 2025-06-30
    ]
    checked = check(raw_frame(spark, schema, rows), schema, dt.date(2025, 7, 1))
    reasons = {r["_row"]: [p["reason"] for p in r["_problems"] or []] for r in checked.to_pylist()}
    assert reasons == {2: [], 3: ["NEGATIVE_AMOUNT"], 4: ["DATE_OUT_OF_RANGE"], 5: [], 6: []}
    ok = {r["_row"]: (r["_row_ok"], r["id_number__id_valid"]) for r in checked.to_pylist()}
    from pipelines.standardize.ids import standardize_id

    assert ok[3] == (False, standardize_id(bank()["id_number"]).valid)


def test_region_codes_and_id_validity(spark):
    from pipelines.standardize.ids import make_id

    schema = SCHEMAS["roster"]
    base = {"household_id": "H1", "urban_rural": "城市", "member_no": "1", "name": "张三",
            "programme": "低保", "status": "在保"}
    good_id = make_id("500103", dt.date(1960, 1, 1), 1)
    rows = [
        {**base, "region_code": "500103", "id_number": good_id},
        {**base, "member_no": "2", "region_code": "500222", "id_number": "123"},  # retired code: fine
        {**base, "member_no": "3", "region_code": "110101", "id_number": None},
    ]
    checked = check(raw_frame(spark, schema, rows), schema, AS_OF)
    out = {r["member_no"]: r for r in checked.to_pylist()}
    assert [(p["column"], p["reason"]) for p in out[3]["_problems"]] == [
        ("region_code", "UNKNOWN_REGION"), ("id_number", "MISSING_REQUIRED")]
    assert out[1]["id_number__id_valid"] is True
    assert out[2]["id_number__id_valid"] is False and out[2]["_row_ok"]
    assert out[3]["id_number__id_valid"] is None


ID_CASES = [
    {"description": "a path out of the data directory", "inputs": "../../../../x", "expected": "UNSAFE_ID"},
    {"description": "an escape character", "inputs": "H\x1b[2J1", "expected": "UNSAFE_ID"},
    {"description": "a tab inside", "inputs": "H\t1", "expected": "UNSAFE_ID"},
    {"description": "a line break", "inputs": "H1\nH2", "expected": "UNSAFE_ID"},
    {"description": "a zero-width space", "inputs": "H\u200b1", "expected": "UNSAFE_ID"},
    {"description": "a slash", "inputs": "500103/0012", "expected": "UNSAFE_ID"},
    {"description": "a backslash", "inputs": "..\\x", "expected": "UNSAFE_ID"},
    {"description": "a leading dot", "inputs": ".hidden", "expected": "UNSAFE_ID"},
    {"description": "a dot-dot inside", "inputs": "H1..2", "expected": "UNSAFE_ID"},
    {"description": "65 characters", "inputs": "H" * 65, "expected": "UNSAFE_ID"},
    {"description": "64 characters", "inputs": "H" * 64, "expected": None},
    {"description": "a plain id", "inputs": "H500103000123", "expected": None},
    {"description": "one dot, Chinese and a middle dot", "inputs": "渝北·H.1（二组）", "expected": None},
    {"description": "spaces around (trimmed)", "inputs": "  H7  ", "expected": None},
    {"description": "a leading tab, as spreadsheets export text (trimmed)", "inputs": "\tH8", "expected": None},
    {"description": "an ideographic space after (trimmed)", "inputs": "H9\u3000", "expected": None},
]


def roster_row(household_id, member_no=1):
    from pipelines.standardize.ids import make_id

    return {"household_id": household_id, "region_code": "500103", "urban_rural": "城市",
            "member_no": str(member_no), "id_number": make_id("500103", dt.date(1960, 1, 1), member_no),
            "name": "张三", "programme": "低保", "status": "在保"}


def test_key_and_household_ids_must_be_printable_bounded_text(spark):
    schema = SCHEMAS["roster"]
    rows = [roster_row(c["inputs"], i + 1) for i, c in enumerate(ID_CASES)]
    clean, quarantine = split(raw_frame(spark, schema, rows), schema)
    got = {r["row"] - 2: (r["column"], r["reason"], r["raw_value"]) for r in quarantine.to_pylist()}
    for i, case in enumerate(ID_CASES):
        expected = ("household_id", "UNSAFE_ID", case["inputs"]) if case["expected"] else None
        assert got.get(i) == expected, case["description"]
    assert clean.num_rows + quarantine.num_rows == len(rows)


def test_unsafe_ids_outside_the_roster_key(spark):
    """household_id names files wherever it is (an application's); a key column of any registry
    is checked; a non-key number such as a 户号 may hold a slash and is left to the registry."""
    apps = SCHEMAS["applications"]
    app = {"application_no": "A1", "application_date": "2025-06-01", "household_id": "../x",
           "region_code": "500103", "urban_rural": "城市", "member_no": "1",
           "id_number": "500103195001011234", "name": "张三", "status": "受理"}
    _, quarantine = split(raw_frame(spark, apps, [app, {**app, "application_no": "/etc/passwd",
                                                        "household_id": "H2"}]), apps)
    assert sorted((r["column"], r["raw_value"]) for r in quarantine.to_pylist()) == [
        ("application_no", "/etc/passwd"), ("household_id", "../x")]
    hukou = SCHEMAS["hukou"]
    person = {"id_number": "500103195001011234", "name": "张三", "status": "正常",
              "hukou_no": "500103/0012"}
    clean, quarantine = split(raw_frame(spark, hukou, [person, {**person, "id_number": "5001\x00"}]), hukou)
    assert [r["hukou_no"] for r in clean.to_pylist()] == ["500103/0012"]
    assert [(r["column"], r["reason"]) for r in quarantine.to_pylist()] == [("id_number", "UNSAFE_ID")]


def test_unsafe_household_ids_of_a_real_extract_are_quarantined_and_counted(spark, tmp_path):
    import pyarrow.parquet as pq

    from pipelines.intake import GateLimits, Gates, intake_source
    from pipelines.sources.registry import ExtractRegistry

    schema = SCHEMAS["roster"]
    header = "家庭编号,行政区划代码,城乡类别,成员序号,身份证号,姓名,保障类型,保障状态"
    lines = [header] + [",".join(roster_row(f"H{i:05d}").values()) for i in range(80)]
    lines.insert(11, ",".join(roster_row("../../../../x").values()))  # file line 12
    lines.insert(31, ",".join(roster_row("H\x1b]8;;http://x\x1b\\1").values()))  # line 32
    path = tmp_path / "landing" / "roster" / "2025-06-30" / "roster.csv"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    outcome = intake_source(spark, schema, tmp_path, dt.date(2025, 7, 31), Gates(tmp_path / "docs", "t"),
                            GateLimits(), ExtractRegistry(tmp_path / "registry.sqlite"), "t")
    manifest = outcome.manifest()
    assert (manifest["rows_in"], manifest["rows_clean"], manifest["rows_quarantined"]) == (82, 80, 2)
    assert manifest["quarantine_by_reason"] == {"UNSAFE_ID": 2} and manifest["balanced"]
    rows = pq.ParquetDataset(tmp_path / "quarantine" / "roster" / "2025-06-30").read().to_pylist()
    assert [(r["row"], r["column"], r["reason"], r["raw_value"]) for r in rows] == [
        (12, "household_id", "UNSAFE_ID", "../../../../x"),
        (32, "household_id", "UNSAFE_ID", "H\x1b]8;;http://x\x1b\\1"),
    ]
    clean = pq.ParquetDataset(outcome.clean_path).read().column("household_id").to_pylist()
    assert len(clean) == 80 and all(h.startswith("H0") for h in clean)
