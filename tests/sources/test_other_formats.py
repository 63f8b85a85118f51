"""JSON Lines and Parquet extracts, and the landing-folder helpers."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.errors import InputError
from pipelines.sources.files import landing_files, read_extract, sha256_of


def cells(extract):
    return [column.to_pylist() for column in extract.columns]


def test_json_lines_with_a_broken_line(put):
    text = (
        '{"身份证号": "1", "余额": 12.50, "在保": true}\n'  # 1
        "\n"  # 2 blank
        '{"身份证号": "2", "账户": {"类型": "活期", "号": [1, 2.5]}, "余额": null}\n'  # 3
        '{"身份证号": "3", "余额": 1\n'  # 4 broken: truncated
        "[1, 2]\n"  # 5 not an object
        '{"余额": 7, "身份证号": ""}\r\n'  # 6
    )
    extract = read_extract(put("bank.jsonl", text))
    assert extract.format == "jsonl" and extract.encoding == "utf-8"
    assert extract.header == ["身份证号", "余额", "在保", "账户"]
    assert cells(extract) == [
        ["1", "2", None],
        ["12.50", None, "7"],
        ["true", None, None],
        [None, '{"类型":"活期","号":[1,2.5]}', None],
    ]
    assert extract.lines.to_pylist() == [1, 3, 6]
    assert [(b.line, b.reason, b.raw) for b in extract.bad_rows] == [
        (4, "BAD_JSON", '{"身份证号": "3", "余额": 1'),
        (5, "BAD_JSON", "[1, 2]"),
    ]
    assert "1 blank line(s) skipped (not rows)" in extract.notes


def test_ndjson_in_gbk(put):
    extract = read_extract(put("a.ndjson", '{"姓名": "张三"}\n{"姓名": "李四"}', "gbk"))
    assert extract.encoding == "gbk" and cells(extract) == [["张三", "李四"]]
    assert extract.lines.to_pylist() == [1, 2]


def test_json_lines_bad_files(put):
    with pytest.raises(InputError, match="empty"):
        read_extract(put("e.jsonl", "\n\n"))
    with pytest.raises(InputError, match="HTML page, not a JSON Lines"):
        read_extract(put("p.jsonl", "<html><body>登录超时</body></html>"))


def test_parquet_typed_values_as_text(tmp_path):
    path = tmp_path / "x.parquet"
    table = pa.table(
        {
            "出生日期": pa.array([dt.date(1950, 1, 1), None]),
            "登记时间": pa.array([dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 1, 10, 0, 5, 120)]),
            "人数": pa.array([3, 4], type=pa.int32()),
            "面积": pa.array([80.0, 92.5]),
            "余额": pa.array([decimal.Decimal("1.20"), decimal.Decimal("-3.00")]),
            "姓名": pa.array(["张三", ""]).dictionary_encode(),
            "在保": pa.array([True, None]),
            "标签": pa.array([["a", "b"], None]),
        }
    )
    pq.write_table(table, path)
    extract = read_extract(path)
    assert extract.format == "parquet"
    assert extract.header == table.column_names
    assert cells(extract) == [
        ["1950-01-01", None],
        ["2025-01-01", "2025-01-01 10:00:05.00012"],
        ["3", "4"],
        ["80", "92.5"],
        ["1.20", "-3.00"],
        ["张三", None],
        ["true", None],
        ['["a","b"]', None],
    ]
    assert extract.lines.to_pylist() == [1, 2]


def test_a_broken_parquet_file(tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file") as err:
        read_extract(tmp_path / "x.parquet")
    assert "x.parquet" in str(err.value)


def test_landing_files_lists_every_format_and_skips_lock_files(tmp_path):
    for name in (
        "b.csv",
        "a.xlsx",
        "c.jsonl",
        "d.ndjson",
        "e.parquet",
        "f.TXT",
        "~$a.xlsx",
        ".part.csv",
        "readme.md",
    ):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.csv").mkdir()
    assert [p.name for p in landing_files(tmp_path)] == [
        "a.xlsx",
        "b.csv",
        "c.jsonl",
        "d.ndjson",
        "e.parquet",
        "f.TXT",
    ]


def test_sha256_of(tmp_path):
    data = b"x" * (3 << 20)
    (tmp_path / "f").write_bytes(data)
    assert sha256_of(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_the_benchmark_file_reads_clean(tmp_path):
    from pipelines.bench.reader import measure_read, write_bank_csv

    write_bank_csv(tmp_path / "bank.csv", 2_000)
    figures = measure_read(tmp_path / "bank.csv")
    assert figures["rows"] == 2_000 and figures["bad_rows"] == 0 and figures["encoding"] == "gbk"
