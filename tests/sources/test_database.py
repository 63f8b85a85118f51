"""Database pulls from a real SQLite file: chunked, typed, atomic, with clear errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.errors import ConfigError, InputError
from pipelines.sources.database import mask_url, pull_database

ROWS = 120_000


@pytest.fixture(scope="module")
def bank_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "bank.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            'CREATE TABLE "存款 明细" (id INTEGER PRIMARY KEY, 身份证号 TEXT NOT NULL, 姓名 TEXT, '
            "余额 REAL, 开户日期 DATE, 备注 TEXT)"
        )
        conn.executemany(
            'INSERT INTO "存款 明细" VALUES (?, ?, ?, ?, ?, ?)',
            (
                (
                    i,
                    f"500103{19500101 + i % 28:08d}{i % 1000:03d}X",
                    "阿卜杜拉·买买提" if i % 1000 == 0 else f"张{i % 97}",
                    i / 4,
                    (dt.date(2000, 1, 1) + dt.timedelta(days=i % 9000)).isoformat(),
                    None if i % 3 else "定期",
                )
                for i in range(1, ROWS + 1)
            ),
        )
        conn.execute("CREATE TABLE 空表 (a TEXT, b INTEGER)")
    return path


def test_a_table_is_pulled_in_chunks_with_types_kept(bank_db, tmp_path):
    dest = tmp_path / "out" / "bank.parquet"
    result = pull_database(f"sqlite:///{bank_db}", dest, table="存款 明细", chunk_rows=10_000)
    assert result.rows == ROWS and result.path == dest
    assert result.columns == ["id", "身份证号", "姓名", "余额", "开户日期", "备注"]
    assert result.sha256 == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert result.seconds > 0
    parquet = pq.ParquetFile(dest)
    assert parquet.metadata.num_row_groups == 12  # one row group per chunk: never all rows at once
    assert parquet.metadata.row_group(0).num_rows == 10_000
    table = parquet.read()
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("余额").type == pa.float64()
    assert table.schema.field("开户日期").type == pa.date32()  # dates stay dates
    assert table.schema.field("备注").type == pa.string()
    assert table.column("姓名")[999].as_py() == "阿卜杜拉·买买提"
    assert table.column("开户日期")[0].as_py() == dt.date(2000, 1, 2)
    assert table.column("备注").null_count == ROWS - ROWS // 3
    assert [p.name for p in dest.parent.iterdir()] == ["bank.parquet"]  # no temporary left


def test_a_query_is_pulled_in_chunks(bank_db, tmp_path):
    dest = tmp_path / "q.parquet"
    query = 'SELECT 身份证号, 余额 * 2 AS 双倍, 备注 FROM "存款 明细" WHERE id % 2 = 0'
    result = pull_database(f"sqlite:///{bank_db}", dest, query=query, chunk_rows=10_000)
    assert result.rows == ROWS // 2 and result.columns == ["身份证号", "双倍", "备注"]
    assert pq.ParquetFile(dest).metadata.num_row_groups == 6
    table = pq.read_table(dest)
    assert table.column("双倍")[0].as_py() == 1.0


def test_a_query_is_passed_to_the_driver_as_written(bank_db, tmp_path):
    # SQLAlchemy's text() would take ":30" for a bind parameter; the driver gets the SQL verbatim.
    query = "SELECT '10:30' AS 时间, COUNT(*) AS n FROM \"存款 明细\""
    pull_database(f"sqlite:///{bank_db}", tmp_path / "t.parquet", query=query)
    assert pq.read_table(tmp_path / "t.parquet").to_pylist() == [{"时间": "10:30", "n": ROWS}]


def test_table_names_are_never_sql(bank_db, tmp_path):
    evil = '存款 明细"; DROP TABLE "存款 明细'
    with pytest.raises(InputError, match="no table") as err:
        pull_database(f"sqlite:///{bank_db}", tmp_path / "x.parquet", table=evil)
    assert "存款 明细" in str(err.value) and "空表" in str(err.value)  # the tables there are listed
    with sqlite3.connect(bank_db) as conn:
        assert conn.execute('SELECT COUNT(*) FROM "存款 明细"').fetchone() == (ROWS,)


def test_an_empty_table_gives_an_empty_parquet_file(bank_db, tmp_path):
    result = pull_database(f"sqlite:///{bank_db}", tmp_path / "e.parquet", table="空表")
    assert result.rows == 0 and pq.read_table(tmp_path / "e.parquet").column_names == ["a", "b"]


def test_mixed_types_and_bad_dates_fall_back_to_text(tmp_path):
    path = tmp_path / "messy.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER, d DATE, s TEXT)")
        conn.executemany(
            "INSERT INTO t VALUES (?, ?, ?)", [(i, "2025-01-02", None) for i in range(30)]
        )
        conn.execute(
            "INSERT INTO t VALUES ('十二', '2025/13/01', 5)"
        )  # SQLite stores what it is given
    result = pull_database(f"sqlite:///{path}", tmp_path / "m.parquet", table="t", chunk_rows=10)
    table = pq.read_table(tmp_path / "m.parquet")
    assert result.rows == 31
    assert table.column("n").to_pylist()[-2:] == ["29", "十二"]
    assert table.column("d").to_pylist()[-1] == "2025/13/01"
    assert table.column("s").to_pylist()[-1] == "5"
    assert any("'n'" in note and "text" in note for note in result.notes)


def test_a_failing_query_names_the_url_and_keeps_the_old_file(bank_db, tmp_path):
    dest = tmp_path / "keep.parquet"
    dest.write_bytes(b"previous pull")
    with pytest.raises(InputError, match="failed") as err:
        pull_database(f"sqlite:///{bank_db}", dest, query="SELEC 1")
    assert str(bank_db) in str(err.value)
    assert dest.read_bytes() == b"previous pull"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.parquet"]


def test_bad_urls_are_clear_and_never_show_the_password(tmp_path):
    with pytest.raises(InputError, match="not a database URL"):
        pull_database("not a url", tmp_path / "x.parquet", table="t")
    with pytest.raises(InputError) as err:
        pull_database("nosuchdb://admin:s3cret@127.0.0.1/db", tmp_path / "x.parquet", table="t")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)
    with pytest.raises(InputError, match="no SQLite database file"):
        pull_database(f"sqlite:///{tmp_path / 'missing.sqlite'}", tmp_path / "x.parquet", table="t")
    assert not (tmp_path / "missing.sqlite").exists()
    with pytest.raises(InputError) as err:
        pull_database(
            "postgresql://admin:s3cret@127.0.0.1:notaport/db", tmp_path / "x.parquet", table="t"
        )
    assert "s3cret" not in str(err.value)
    assert mask_url("postgresql://u:p%40ss@db.example/x") == "postgresql://u:***@db.example/x"


def test_table_or_query_not_both(tmp_path):
    with pytest.raises(ConfigError, match="exactly one"):
        pull_database("sqlite://", tmp_path / "x.parquet")
    with pytest.raises(ConfigError, match="exactly one"):
        pull_database("sqlite://", tmp_path / "x.parquet", table="a", query="SELECT 1")
