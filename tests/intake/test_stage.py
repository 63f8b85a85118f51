"""Bad input through the whole intake of a source: a clear message or quarantined rows, and
rows in = rows clean + rows quarantined whenever the extract is accepted."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.intake import GateLimits, GateRejected, Gates, intake_source
from pipelines.schemas import load_schemas
from pipelines.sources.registry import ExtractRegistry
from pipelines.standardize.ids import make_id

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")
MONTH_END = dt.date(2025, 7, 31)
HEADER = "开户银行,账号,证件号码,户名,账户类型,余额,余额日期"


def ids(n):
    return [make_id("500103", dt.date(1950, 1, 1) + dt.timedelta(days=i * 37), i % 999) for i in range(n)]


def bank_lines(n, start=0):
    return [f"农商行,{6200 + start + i},{pid},张三,活期,{100 + i}.00,2025-06-30" for i, pid in enumerate(ids(n))]


def drop(data, text: str | bytes, name="bank.csv", encoding="gbk", source="bank_deposits"):
    path = data / "landing" / source / "2025-06-30" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def intake(spark, data, source="bank_deposits"):
    registry = ExtractRegistry(data / "registry.sqlite")
    gates = Gates(data / "docs", "t")
    return intake_source(spark, SCHEMAS[source], data, MONTH_END, gates, GateLimits(), registry, "t")


def quarantined(data, source="bank_deposits"):
    return pq.ParquetDataset(data / "quarantine" / source / "2025-06-30").read().to_pylist()


def balanced(outcome):
    return outcome.rows_in == outcome.rows_clean + outcome.rows_quarantined


def test_negative_balance_truncated_line_and_field_counts(spark, tmp_path):
    lines = bank_lines(100)
    lines[3] = lines[3].replace(",103.00,", ",-103.00,")
    lines.insert(10, "农商行,9999,1,李四")  # too few fields
    lines.insert(20, lines[5] + ",extra")  # too many fields
    text = HEADER + "\r\n" + "\r\n".join(lines) + "\r\n" + "农商行,77777,500103"  # truncated last line
    drop(tmp_path, text)
    outcome = intake(spark, tmp_path)
    assert balanced(outcome) and outcome.rows_in == 103
    reasons = {(r["row"], r["reason"]) for r in quarantined(tmp_path)}
    assert (5, "NEGATIVE_AMOUNT") in reasons
    assert (12, "TOO_FEW_FIELDS") in reasons and (22, "TOO_MANY_FIELDS") in reasons
    assert (104, "TOO_FEW_FIELDS") in reasons


def test_ten_megabyte_field_is_quarantined_not_fatal(spark, tmp_path):
    lines = bank_lines(40)
    lines[7] = lines[7].replace("张三", "张" * (10 * 2**20 // 2))
    drop(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n")
    outcome = intake(spark, tmp_path)
    assert balanced(outcome)
    (row,) = [r for r in quarantined(tmp_path) if r["reason"] == "FIELD_TOO_LONG"]
    assert row["row"] == 9 and row["column"] == "name" and len(row["raw_value"]) < 600


def test_headers_with_spaces_full_width_unknown_columns_and_wrong_declared_encoding(spark, tmp_path):
    header = " 开户银行 ,账号,证件号码,户名,账户类型,余额　,余额日期,备注"  # full-width space, extra column
    lines = [line + ",x" for line in bank_lines(30)]
    drop(tmp_path, header + "\n" + "\n".join(lines) + "\n", encoding="gbk")  # schema declares utf-8
    outcome = intake(spark, tmp_path)
    (extract,) = outcome.extracts
    assert extract.unknown_columns == ["备注"] and outcome.rows_clean == 30
    assert extract.encoding == "gbk" and extract.declared_encoding == "utf-8"
    assert any("gbk" in note for note in extract.notes)
    assert balanced(outcome)


def test_dates_as_excel_serials_parse(spark, tmp_path):
    lines = [line.replace("2025-06-30", "45800" if i % 2 else "2025年6月30日") for i, line in enumerate(bank_lines(40))]
    lines[0] = lines[0].replace("2025年6月30日", "45839")  # 2025-07-01: after the extract's date
    drop(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n")
    outcome = intake(spark, tmp_path)
    assert [(r["row"], r["reason"]) for r in quarantined(tmp_path)] == [(2, "DATE_OUT_OF_RANGE")]
    dates = {r["as_of_date"] for r in pq.ParquetDataset(outcome.clean_path).read().to_pylist()}
    assert dates == {dt.date(2025, 5, 23), dt.date(2025, 6, 30)}


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe\x80" * 200, "not text"),
        ("<!DOCTYPE html><html><body><table><tr><td>余额</td></tr></table></body></html>".encode(), "HTML"),
        ((HEADER.replace(",余额,", ",") + "\n").encode("gbk"), "balance"),
        ((HEADER.replace("账号", "开户银行") + "\n").encode("gbk"), "both mean"),
    ],
    ids=["empty file", "binary garbage", "HTML page", "required column missing", "duplicate column names"],
)
def test_unreadable_extracts_stop_with_a_clear_message(spark, tmp_path, content, message):
    path = drop(tmp_path, content)
    with pytest.raises(InputError) as err:
        intake(spark, tmp_path)
    assert message.lower() in str(err.value).lower() and path.name in str(err.value)


def test_header_only_is_rejected_by_the_gate(spark, tmp_path):
    drop(tmp_path, HEADER + "\n")
    with pytest.raises(GateRejected) as err:
        intake(spark, tmp_path)
    assert "bank_deposits" in str(err.value) and "bank.csv" in str(err.value)


def test_too_many_bad_rows_reject_the_extract(spark, tmp_path):
    lines = bank_lines(40)
    lines = [line.replace(",2025-06-30", ",not-a-date") if i % 3 == 0 else line for i, line in enumerate(lines)]
    drop(tmp_path, HEADER + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(GateRejected) as err:
        intake(spark, tmp_path)
    assert "row" in str(err.value).lower()


def test_same_extract_is_not_parsed_twice(spark, tmp_path):
    drop(tmp_path, HEADER + "\n" + "\n".join(bank_lines(25)) + "\n")
    first = intake(spark, tmp_path)
    again = intake(spark, tmp_path)
    assert not first.extracts[0].reused_raw and again.extracts[0].reused_raw
    assert first.extracts[0].raw == again.extracts[0].raw
    assert again.rows_clean == first.rows_clean == 25


def test_excel_formula_cells_are_quarantined_never_evaluated(spark, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["公民身份号码", "姓名", "残疾人证号", "残疾类别", "残疾等级", "发证日期"])
    for i, pid in enumerate(ids(40)):
        ws.append([pid, "王五", f"{pid}{i % 7 + 1}{i % 4 + 1}", "肢体", i % 4 + 1, dt.date(2020, 1, 1)])
    ws["B5"] = '=HYPERLINK("http://example.invalid","x")'
    path = tmp_path / "landing" / "disability" / "2025-06-30" / "残联.xlsx"
    path.parent.mkdir(parents=True)
    wb.save(path)
    outcome = intake(spark, tmp_path, "disability")
    assert balanced(outcome) and outcome.rows_in == 40
    (row,) = quarantined(tmp_path, "disability")
    assert (row["row"], row["reason"]) == (5, "FORMULA_CELL")
