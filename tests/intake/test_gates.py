"""The Great Expectations gate: suites from the schemas, critical vs row failures, Data Docs."""

from __future__ import annotations

import datetime as dt
import json
import socket
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from pipelines.config import PROJECT_ROOT
from pipelines.intake import GateLimits, GateRejected, Gates
from pipelines.intake.gates import CRITICAL, ROW, build_suite, with_id_validity
from pipelines.schemas import load_schemas
from pipelines.standardize.counties import CHONGQING, RETIRED
from pipelines.standardize.ids import make_id

AS_OF = dt.date(2025, 6, 30)
FILE = "landing/bank_deposits/2025-06-30/bank.csv"
BANK = (
    "bank string, account_no string, id_number string, name string, account_type string, "
    "balance decimal(20,2), as_of_date date, last_activity_date date, _row_ok boolean"
)


@pytest.fixture(scope="module")
def schemas():
    return load_schemas(PROJECT_ROOT / "schemas")


@pytest.fixture(scope="module")
def bank(schemas):
    return schemas["bank_deposits"]


@pytest.fixture
def gates(tmp_path):
    return Gates(tmp_path / "data_docs", "2025-06-monthly")


def valid_id(i: int) -> str:
    return make_id("500101", dt.date(1960, 1, 1) + dt.timedelta(days=i), i % 1000)


def bank_row(i: int, **changes) -> dict:
    row = {
        "bank": "工商银行",
        "account_no": f"6222{i:08d}",
        "id_number": valid_id(i),
        "name": "张三",
        "account_type": "demand",
        "balance": Decimal("1200.50"),
        "as_of_date": dt.date(2025, 6, 30),
        "last_activity_date": dt.date(2025, 6, 2),
        "_row_ok": True,
    }
    row.update(changes)
    return row


def bank_frame(spark, schema, rows):
    """Rows as the caller hands them over: typed columns, `_row_ok`, then the ID validity."""
    df = spark.createDataFrame([tuple(r.values()) for r in rows], BANK)
    return with_id_validity(df, schema)


def by_reason(result):
    return {e["reason"]: e for e in result.expectations}


# ------------------------------------------------------------------------------- suites


def test_suite_from_bank_schema(bank):
    suite = build_suite(bank, GateLimits(), previous_rows=10_000, as_of=AS_OF)
    got = [
        (e.expectation_type, e.configuration.kwargs.get("column"), e.meta["severity"], e.meta["reason"])
        for e in suite.expectations
    ]
    assert got == [
        ("expect_table_row_count_to_be_between", None, CRITICAL, "EMPTY_EXTRACT"),
        ("expect_table_row_count_to_be_between", None, CRITICAL, "ROW_COUNT_COLLAPSE"),
        ("expect_table_row_count_to_be_between", None, CRITICAL, "ROW_COUNT_GROWTH"),
        ("expect_column_to_exist", "bank", CRITICAL, "MISSING_COLUMN"),
        ("expect_column_to_exist", "account_no", CRITICAL, "MISSING_COLUMN"),
        ("expect_column_to_exist", "balance", CRITICAL, "MISSING_COLUMN"),
        ("expect_column_to_exist", "as_of_date", CRITICAL, "MISSING_COLUMN"),
        ("expect_column_values_to_not_be_null", "bank", CRITICAL, "MISSING_REQUIRED"),
        ("expect_column_values_to_not_be_null", "account_no", CRITICAL, "MISSING_REQUIRED"),
        ("expect_column_values_to_not_be_null", "balance", CRITICAL, "MISSING_REQUIRED"),
        ("expect_column_values_to_not_be_null", "as_of_date", CRITICAL, "MISSING_REQUIRED"),
        ("expect_column_values_to_be_in_set", "id_number__id_valid", CRITICAL, "ID_CHECKSUM_RATE"),
        ("expect_column_values_to_be_in_set", "_row_ok", CRITICAL, "INVALID_ROW_SHARE"),
        ("expect_column_values_to_be_in_set", "account_type", ROW, "UNKNOWN_CODE"),
        ("expect_column_values_to_be_between", "balance", ROW, "NEGATIVE_AMOUNT"),
        ("expect_column_values_to_be_between", "as_of_date", ROW, "DATE_OUT_OF_RANGE"),
        ("expect_column_values_to_be_between", "last_activity_date", ROW, "DATE_OUT_OF_RANGE"),
        ("expect_column_values_to_be_unique", "account_no", ROW, "DUPLICATE_KEY"),
    ]
    kwargs = [e.configuration.kwargs for e in suite.expectations]
    assert kwargs[1]["min_value"] == 5_000 and kwargs[2]["max_value"] == 30_000
    assert kwargs[7]["mostly"] == 0.95
    assert (kwargs[11]["value_set"], kwargs[11]["mostly"]) == ([True], 0.8)
    assert set(kwargs[13]["value_set"]) == {"demand", "time", "wealth"}
    assert kwargs[14]["min_value"] == 0
    assert (kwargs[15]["min_value"], kwargs[15]["max_value"]) == (dt.date(2000, 1, 1), AS_OF)


def test_suite_without_previous_extract_checks_only_emptiness(bank):
    suite = build_suite(bank, GateLimits(), previous_rows=None, as_of=AS_OF)
    reasons = [e.meta["reason"] for e in suite.expectations]
    assert "ROW_COUNT_COLLAPSE" not in reasons and "ROW_COUNT_GROWTH" not in reasons
    assert reasons[0] == "EMPTY_EXTRACT"


def test_every_schema_gets_a_suite(schemas):
    for source, schema in schemas.items():
        suite = build_suite(schema, GateLimits(), previous_rows=100, as_of=AS_OF)
        assert suite.name == source
        declared = sum(1 for c in schema.checks)
        from_checks = [e for e in suite.expectations
                       if e.meta["reason"] in {c.reason for c in schema.checks}]
        assert len(from_checks) >= declared, source


def test_region_and_range_checks(schemas):
    roster = build_suite(schemas["roster"], GateLimits(), None, AS_OF)
    (region,) = [e for e in roster.expectations if e.meta["reason"] == "UNKNOWN_REGION"]
    codes = set(region.configuration.kwargs["value_set"])
    assert codes == set(CHONGQING) | set(RETIRED) and "500221" in codes  # retired 长寿县
    estate = build_suite(schemas["real_estate"], GateLimits(), None, AS_OF)
    share = next(e for e in estate.expectations if e.configuration.kwargs.get("column") == "share"
                 and e.meta["reason"] == "OUT_OF_RANGE")
    assert (share.configuration.kwargs["min_value"], share.configuration.kwargs["max_value"]) == (0, 1)
    (unique,) = [e for e in estate.expectations if e.meta["reason"] == "DUPLICATE_KEY"]
    assert unique.configuration.kwargs["column_list"] == ["certificate_no", "owner_seq"]


def test_bad_limits_and_missing_as_of_are_refused(bank):
    with pytest.raises(ValueError, match="max_invalid_row_share"):
        GateLimits(max_invalid_row_share=5)
    with pytest.raises(ValueError, match="as_of_date"):
        build_suite(bank, GateLimits(), None, as_of=None)


# ------------------------------------------------------------------------------- gates


def test_clean_extract_passes_quietly_and_offline(spark, bank, gates, capsys, monkeypatch):
    connect = socket.socket.connect
    outside: list[object] = []

    def guarded(sock, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            outside.append(address)
            raise OSError("no network in tests")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    df = bank_frame(spark, bank, [bank_row(i) for i in range(50)])
    result = gates.validate(df, bank, GateLimits(), 48, AS_OF, [FILE])
    gates.build_docs()

    assert result.success and result.critical == []
    assert all(e["success"] for e in result.expectations)
    assert "passed all 18 checks" in result.message()
    assert outside == []
    out, err = capsys.readouterr()
    assert out == "" and "Calculating Metrics" not in err
    result.raise_if_rejected()  # no exception


def test_invalid_row_share_rejects_the_extract(spark, bank, gates):
    rows = [bank_row(i, balance=Decimal("-5.00"), _row_ok=False) if i % 10 < 3 else bank_row(i)
            for i in range(100)]
    result = gates.validate(bank_frame(spark, bank, rows), bank, GateLimits(), None, AS_OF, [FILE])

    assert not result.success
    assert [f.reason for f in result.critical] == ["INVALID_ROW_SHARE"]
    assert (result.critical[0].observed, result.critical[0].expected) == ("30.0 % of rows", "at most 5.0 %")
    message = result.message()
    assert message.startswith(f"bank_deposits: extract {FILE} rejected: ")
    assert "30.0 % of rows fail a row check (limit 5.0 %) [expect_column_values_to_be_in_set on _row_ok]" in message
    assert message.endswith("data_docs/index.html.")
    negative = by_reason(result)["NEGATIVE_AMOUNT"]
    assert (negative["success"], negative["unexpected_count"], negative["severity"]) == (False, 30, ROW)
    with pytest.raises(GateRejected, match="_row_ok"):
        result.raise_if_rejected()


@pytest.mark.parametrize(
    ("previous", "reason", "words"),
    [
        (10_000, "ROW_COUNT_COLLAPSE",
         "row count 100 is below 50 % of the previous extract's 10,000 [expect_table_row_count_to_be_between]"),
        (20, "ROW_COUNT_GROWTH",
         "row count 100 is above 3 × the previous extract's 20 [expect_table_row_count_to_be_between]"),
    ],
)
def test_row_count_change_rejects_the_extract(spark, bank, gates, previous, reason, words):
    df = bank_frame(spark, bank, [bank_row(i) for i in range(100)])
    result = gates.validate(df, bank, GateLimits(), previous, AS_OF, [FILE])

    assert not result.success
    assert [f.reason for f in result.critical] == [reason]
    assert by_reason(result)[reason]["observed_value"] == 100
    assert words in result.message()


def test_required_column_all_null_rejects_the_extract(spark, bank, gates):
    df = bank_frame(spark, bank, [bank_row(i, balance=None) for i in range(20)])
    result = gates.validate(df, bank, GateLimits(), None, AS_OF, [FILE])

    assert not result.success
    assert [(f.reason, f.column) for f in result.critical] == [("MISSING_REQUIRED", "balance")]
    assert "required column balance is empty or unreadable (wrong type, unknown code) in 100.0 % of rows (limit 5.0 %)" in result.message()


def test_missing_required_column_is_one_finding(spark, bank, gates):
    df = bank_frame(spark, bank, [bank_row(i) for i in range(20)]).drop("balance")
    result = gates.validate(df, bank, GateLimits(), None, AS_OF, [FILE])

    assert [(f.reason, f.column) for f in result.critical] == [("MISSING_COLUMN", "balance")]
    assert "required column balance is missing [expect_column_to_exist on balance]" in result.message()
    assert by_reason(result)["NEGATIVE_AMOUNT"]["error"] == "column balance is absent"
    assert by_reason(result)["UNKNOWN_CODE"]["success"]  # the rest was still checked


def test_missing_helper_column_rejects_loudly(spark, bank, gates):
    df = bank_frame(spark, bank, [bank_row(i) for i in range(20)]).drop("_row_ok")
    result = gates.validate(df, bank, GateLimits(), None, AS_OF, [FILE])

    assert [f.reason for f in result.critical] == ["INVALID_ROW_SHARE"]
    assert "could not be evaluated (column _row_ok is absent)" in result.message()


def test_low_id_validity_rejects_the_extract(spark, bank, gates):
    # 10 rows without an ID do not count; of the 90 with one, 30 fail the checksum: 66.7 % valid
    rows = [bank_row(i, id_number=None) if i < 10
            else bank_row(i, id_number=valid_id(i)[:17] + ("0" if valid_id(i)[17] != "0" else "1"))
            if i < 40 else bank_row(i) for i in range(100)]
    result = gates.validate(bank_frame(spark, bank, rows), bank, GateLimits(), None, AS_OF, [FILE])

    assert [f.reason for f in result.critical] == ["ID_CHECKSUM_RATE"]
    ids = by_reason(result)["ID_CHECKSUM_RATE"]
    assert (ids["unexpected_count"], ids["element_count"]) == (30, 100)
    assert "only 66.7 % of the non-empty id_number values are valid" in result.message()
    assert "at least 80.0 % required" in result.message()


def test_ids_missing_are_not_invalid(spark, bank, gates):
    rows = [bank_row(i, id_number=None) if i < 40 else bank_row(i) for i in range(100)]
    result = gates.validate(bank_frame(spark, bank, rows), bank, GateLimits(), None, AS_OF, [FILE])
    assert result.success, result.message()


def test_row_failures_alone_do_not_reject(spark, bank, gates):
    rows = [bank_row(i, account_type="bogus", _row_ok=False) if i == 7 else bank_row(i)
            for i in range(100)]
    result = gates.validate(bank_frame(spark, bank, rows), bank, GateLimits(), None, AS_OF, [FILE])

    assert result.success and result.critical == []
    code = by_reason(result)["UNKNOWN_CODE"]
    assert (code["success"], code["element_count"], code["unexpected_count"]) == (False, 100, 1)
    assert code["unexpected_percent"] == 1.0
    assert "UNKNOWN_CODE on account_type (1 row, quarantined)" in result.message()


def test_compound_key_and_ranges_on_real_estate(spark, schemas, gates):
    estate = schemas["real_estate"]
    rows = [
        {"certificate_no": f"渝(2020)第{i // 2:05d}号", "owner_seq": i % 2, "owner_id": valid_id(i),
         "owner_name": "王五", "share": Decimal("0.5"), "location": "渝中区", "use": "residential",
         "area": Decimal("80.00"), "registration_date": dt.date(2015, 5, 1), "status": "current"}
        for i in range(30)
    ]
    rows[29]["owner_seq"] = 0  # the same (certificate, owner) as row 28
    rows[3]["share"] = Decimal("1.5")
    types = {"decimal": "decimal(20,2)", "date": "date", "int": "bigint"}
    ddl = ", ".join(f"{c.name} {types.get(c.type, 'string')}" for c in estate.columns)
    df = spark.createDataFrame([tuple(r[n] for n in estate.names) for r in rows], ddl)
    df = with_id_validity(df.withColumn("_row_ok", F.lit(True)), estate)
    result = gates.validate(df, estate, GateLimits(), None, AS_OF, ["estate.parquet"])

    assert result.success, result.message()
    found = {(e["reason"], e["column"]): e for e in result.expectations}
    assert found[("DUPLICATE_KEY", "certificate_no|owner_seq")]["unexpected_count"] == 2
    assert found[("OUT_OF_RANGE", "share")]["unexpected_count"] == 1
    assert found[("OUT_OF_RANGE", "area")]["success"]


def test_docs_show_each_source_of_their_own_run(spark, bank, schemas, tmp_path):
    first = Gates(tmp_path / "run1" / "data_docs", "run-1")
    second = Gates(tmp_path / "run2" / "data_docs", "run-2")  # a newer context must not steal runs
    first.validate(bank_frame(spark, bank, [bank_row(i) for i in range(10)]), bank,
                   GateLimits(), None, AS_OF, [FILE])
    hukou = schemas["hukou"]
    people = spark.createDataFrame(
        [(valid_id(i), "李四", "normal", dt.date(1960, 1, 1)) for i in range(10)],
        "id_number string, name string, status string, birth_date date",
    )
    people = with_id_validity(people.withColumn("_row_ok", F.lit(True)), hukou)
    first.validate(people, hukou, GateLimits(), None, AS_OF, ["hukou.csv"])

    index = first.build_docs()
    assert index == tmp_path / "run1" / "data_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "bank_deposits" in html and "hukou" in html
    pages = {p.name for p in (index.parent / "validations").rglob("*.html")}
    assert len(pages) == 2
    assert not (tmp_path / "run2" / "data_docs" / "index.html").exists()
    second.validate(people, hukou, GateLimits(), None, AS_OF, ["hukou.csv"])
    assert "bank_deposits" not in second.build_docs().read_text(encoding="utf-8")


def test_same_frame_gives_the_same_summary(spark, bank, gates, tmp_path):
    rows = [bank_row(i, balance=Decimal("-1.00"), _row_ok=False) if i % 25 == 0 else bank_row(i)
            for i in range(100)]
    df = bank_frame(spark, bank, rows)
    once = gates.validate(df, bank, GateLimits(), 90, AS_OF, [FILE])
    again = gates.validate(df, bank, GateLimits(), 90, AS_OF, [FILE])
    elsewhere = Gates(tmp_path / "other", "other-run").validate(df, bank, GateLimits(), 90, AS_OF, [FILE])

    assert once.expectations == again.expectations == elsewhere.expectations
    dumped = json.dumps(once.as_dict(), sort_keys=True, ensure_ascii=False)
    assert dumped == json.dumps(elsewhere.as_dict(), sort_keys=True, ensure_ascii=False)
    assert {k for e in once.expectations for k in e} == {  # no GE run ids, no times
        "expectation", "column", "severity", "reason", "success", "element_count",
        "unexpected_count", "unexpected_percent", "observed_value", "expected"}
    assert once.message() == again.message()


def test_the_frame_ge_checks_keeps_every_answer(spark, schemas, gates):
    """Dates out of range, amounts around zero and past 2^53 cents, equal and empty keys:
    Great Expectations counts on its frame what it would count on the values themselves."""
    estate = schemas["real_estate"]
    big = 2**60
    rows = [
        {"certificate_no": f"C{i % 20}", "owner_seq": big + (i // 20) % 2 if i % 5 == 0 else i,
         "owner_id": valid_id(i), "owner_name": "王五",
         "share": [Decimal("-0.01"), Decimal("0.00"), Decimal("1.00"), Decimal("1.01"), None][i % 5],
         "location": "渝中区", "use": "residential",
         "area": Decimal("99999999999999999.99") if i == 7 else Decimal("80.00"),
         "registration_date": [dt.date(1949, 12, 31), dt.date(1950, 1, 1), AS_OF,
                               AS_OF + dt.timedelta(days=1), None][i % 5],
         "status": "current"}
        for i in range(60)
    ]
    types = {"decimal": "decimal(20,2)", "date": "date", "int": "bigint"}
    ddl = ", ".join(f"{c.name} {types.get(c.type, 'string')}" for c in estate.columns)
    df = spark.createDataFrame([tuple(r[n] for n in estate.names) for r in rows], ddl)
    df = with_id_validity(df.withColumn("_row_ok", F.lit(True)), estate)
    result = gates.validate(df, estate, GateLimits(), None, AS_OF, ["estate.parquet"])

    found = {(e["reason"], e["column"]): e for e in result.expectations}
    assert found[("OUT_OF_RANGE", "share")]["unexpected_count"] == 24  # -0.01 and 1.01
    assert found[("OUT_OF_RANGE", "share")]["element_count"] == 60
    assert found[("OUT_OF_RANGE", "area")]["unexpected_count"] == 1
    assert found[("DATE_OUT_OF_RANGE", "registration_date")]["unexpected_count"] == 24
    # 2^60 and 2^60 + 1 are one float: the rows of i = 0, 5, 10, 15 repeat at 40..55 only
    assert found[("DUPLICATE_KEY", "certificate_no|owner_seq")]["unexpected_count"] == 8
