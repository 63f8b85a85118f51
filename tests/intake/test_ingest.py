import datetime as dt

import pyarrow.parquet as pq
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.intake.ingest import choose_as_of, extract_files, ingest_file, raw_table
from pipelines.schemas import load_schemas

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_gbk_csv_with_chinese_headers_and_stray_spaces(tmp_path):
    text = "火化证号, 身份证号 ,姓名,死亡日期,火化日期\nHH001,500103195001011234,张三丰,2025年3月1日,20250303\n"
    path = write(tmp_path / "landing" / "cremation" / "2025-06-30" / "c.csv", text, "gbk")
    extract = ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)
    assert extract.encoding == "gbk" and extract.declared_encoding == "gbk"
    raw = pq.read_table(tmp_path / extract.raw)
    assert raw.column("name").to_pylist() == ["张三丰"]
    assert raw.column("death_date").to_pylist() == ["2025年3月1日"]
    assert raw.column("_row").to_pylist() == [2]
    assert extract.file == "landing/cremation/2025-06-30/c.csv"
    assert extract.rows_unreadable == 0 and len(extract.sha256) == 64


def test_full_width_header_utf8_bom_and_missing_optional_column(tmp_path):
    text = "\ufeff火化证号,身份证号,姓名,死亡日期\nHH1,1,李四,2025-01-01\n"
    table, info = raw_table(write(tmp_path / "c.csv", text), SCHEMAS["cremation"])
    assert info["encoding"].startswith("utf-8")
    assert table.column("record_no").to_pylist() == ["HH1"]
    assert "cremation_date" in info["missing_columns"]
    assert table.column("cremation_date").null_count == 1


def test_rows_with_wrong_field_count_are_kept_as_read_errors(tmp_path):
    text = "火化证号,身份证号,姓名,死亡日期\nA,1,王五,2025-01-01\nB,2,赵六\nC,3,钱七,2025-01-01,extra\nD,4,孙八,2025-02-01\n"
    table, info = raw_table(write(tmp_path / "c.csv", text), SCHEMAS["cremation"])
    rows = sorted(zip(table.column("_row").to_pylist(), table.column("record_no").to_pylist(),
                      table.column("_read_error").to_pylist(), strict=True))
    assert rows == [(2, "A", None), (3, None, "TOO_FEW_FIELDS"), (4, None, "TOO_MANY_FIELDS"), (5, "D", None)]
    assert info["rows_read"] == 4 and info["rows_unreadable"] == 2


def test_missing_required_column_names_file_and_header(tmp_path):
    path = write(tmp_path / "c.csv", "火化证号,身份证号\nA,1\n")
    with pytest.raises(InputError) as err:
        raw_table(path, SCHEMAS["cremation"])
    assert "c.csv" in str(err.value) and "death_date" in str(err.value) and "死亡日期" in str(err.value)


def test_two_headers_meaning_the_same_column(tmp_path):
    path = write(tmp_path / "c.csv", "火化证号,身份证号,逝者身份证号,姓名,死亡日期\nA,1,1,x,2025-01-01\n")
    with pytest.raises(InputError, match="both mean 'id_number'"):
        raw_table(path, SCHEMAS["cremation"])


def test_choose_newest_extract_on_or_before_month_end(tmp_path):
    for d in ("2025-05-31", "2025-06-30", "2025-07-31", "notes"):
        (tmp_path / d).mkdir()
    assert choose_as_of(tmp_path, dt.date(2025, 7, 31)) == "2025-07-31"
    assert choose_as_of(tmp_path, dt.date(2025, 7, 30)) == "2025-06-30"
    assert choose_as_of(tmp_path, dt.date(2025, 1, 1)) is None


def test_raw_is_content_addressed_and_reused(tmp_path):
    text = "记录号,身份证号,姓名,羁押类型,开始日期\nR1,1,甲,服刑,2024-01-01\n"
    write(tmp_path / "landing" / "custody" / "2025-06-30" / "a.csv", text)
    as_of, files = extract_files(SCHEMAS["custody"], tmp_path, dt.date(2025, 7, 31))
    first = ingest_file(files[0], SCHEMAS["custody"], as_of, tmp_path)
    assert first.raw == f"raw/custody/{first.sha256}.parquet" and not first.reused_raw
    assert pq.read_table(tmp_path / first.raw).column("custody_type").to_pylist() == ["服刑"]
    again = ingest_file(files[0], SCHEMAS["custody"], as_of, tmp_path)
    assert again.reused_raw and again.rows_read == first.rows_read == 1
