import pyarrow.parquet as pq
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.errors import InputError
from pipelines.ingest import choose_as_of, ingest_file, ingest_source
from pipelines.schemas import load_schemas

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_gbk_csv_with_chinese_headers_and_stray_spaces(tmp_path):
    text = "火化证号, 身份证号 ,姓名,死亡日期,火化日期\nHH001,500103195001011234,张三,2025年3月1日,20250303\n"
    path = write(tmp_path / "landing" / "cremation" / "2025-06-30" / "c.csv", text, "gbk")
    extract, raw, bad = ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)
    assert extract.encoding == "gb18030" and extract.declared_encoding == "gbk"
    assert raw.column("name").to_pylist() == ["张三"]
    assert raw.column("death_date").to_pylist() == ["2025年3月1日"]
    assert raw.column("_row").to_pylist() == [2]
    assert extract.file == "landing/cremation/2025-06-30/c.csv"
    assert bad.num_rows == 0


def test_full_width_header_utf8_bom(tmp_path):
    text = "\ufeff火化证号,身份证号,姓名,死亡日期\nHH1,1,李四,2025-01-01\n"
    path = write(tmp_path / "c.csv", text)
    extract, raw, _ = ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)
    assert extract.encoding == "utf-8"
    assert raw.column("record_no").to_pylist() == ["HH1"]
    assert "cremation_date" in extract.missing_columns  # optional, absent: null column


def test_rows_with_wrong_field_count_are_kept_as_bad_rows(tmp_path):
    text = "火化证号,身份证号,姓名,死亡日期\nA,1,王五,2025-01-01\nB,2,赵六\nC,3,钱七,2025-01-01,extra\nD,4,孙八,2025-02-01\n"
    path = write(tmp_path / "c.csv", text)
    extract, raw, bad = ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)
    assert raw.column("record_no").to_pylist() == ["A", "D"]
    assert raw.column("_row").to_pylist() == [2, 5]
    assert bad.column("row").to_pylist() == [3, 4]
    assert bad.column("reason").to_pylist() == ["TOO_FEW_FIELDS", "TOO_MANY_FIELDS"]
    assert extract.rows_read == 4 and extract.rows_unreadable == 2


def test_missing_required_column_names_file_and_header(tmp_path):
    path = write(tmp_path / "c.csv", "火化证号,身份证号\nA,1\n")
    with pytest.raises(InputError) as err:
        ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)
    assert "c.csv" in str(err.value) and "death_date" in str(err.value) and "死亡日期" in str(err.value)


def test_empty_file(tmp_path):
    path = write(tmp_path / "c.csv", "")
    with pytest.raises(InputError, match="empty"):
        ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)


def test_two_headers_meaning_the_same_column(tmp_path):
    path = write(tmp_path / "c.csv", "火化证号,身份证号,逝者身份证号,姓名,死亡日期\nA,1,1,x,2025-01-01\n")
    with pytest.raises(InputError, match="both mean 'id_number'"):
        ingest_file(path, SCHEMAS["cremation"], "2025-06-30", tmp_path)


def test_choose_newest_extract_on_or_before_month_end(tmp_path):
    import datetime as dt

    for d in ("2025-05-31", "2025-06-30", "2025-07-31", "notes"):
        (tmp_path / d).mkdir()
    assert choose_as_of(tmp_path, dt.date(2025, 7, 31)) == "2025-07-31"
    assert choose_as_of(tmp_path, dt.date(2025, 7, 30)) == "2025-06-30"
    assert choose_as_of(tmp_path, dt.date(2025, 1, 1)) is None


def test_ingest_source_writes_raw_parquet(tmp_path):
    import datetime as dt

    write(tmp_path / "landing" / "custody" / "2025-06-30" / "a.csv", "记录号,身份证号,姓名,羁押类型,开始日期\nR1,1,甲,服刑,2024-01-01\n")
    extracts, raw_path, _ = ingest_source(SCHEMAS["custody"], tmp_path, dt.date(2025, 7, 31))
    assert raw_path == tmp_path / "raw" / "custody" / "2025-06-30" / "raw.parquet"
    assert pq.read_table(raw_path).column("custody_type").to_pylist() == ["服刑"]
    assert len(extracts[0].sha256) == 64
