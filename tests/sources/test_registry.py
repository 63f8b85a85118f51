"""The extract registry on a real SQLite file, including many processes writing at once."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from pipelines.errors import InputError
from pipelines.sources.registry import ExtractRecord, ExtractRegistry


def record(
    source="bank",
    as_of="2025-06-30",
    path=None,
    sha="a" * 64,
    rows=100,
    run="2025-06-monthly",
    at=None,
):
    return ExtractRecord(
        source=source,
        as_of=as_of,
        path=path or f"landing/{source}/{as_of}/{source}.csv",
        sha256=sha,
        size_bytes=1234,
        rows=rows,
        encoding="gbk",
        format="csv",
        first_seen_run=run,
        ingested_at=at,
    )


def test_register_and_find(tmp_path):
    registry = ExtractRegistry.in_data_dir(tmp_path)
    assert registry.path == tmp_path / "registry.sqlite"
    assert registry.find("a" * 64) is None
    registry.register(record())
    found = registry.find("a" * 64)
    assert (
        found.path == "landing/bank/2025-06-30/bank.csv"
        and found.rows == 100
        and found.encoding == "gbk"
    )
    assert found.ingested_at.endswith("+00:00")  # stamped in UTC when not given


def test_register_is_idempotent_for_the_same_bytes_at_the_same_path(tmp_path):
    registry = ExtractRegistry(tmp_path / "r.sqlite")
    registry.register(record(run="run-1", at="2025-07-01T00:00:00+00:00"))
    registry.register(record(run="run-2", at="2025-07-02T00:00:00+00:00"))
    assert [r.first_seen_run for r in registry.history("bank")] == ["run-1"]
    registry.register(record(path="landing/bank/2025-06-30/again.csv", run="run-3"))  # re-delivered
    assert len(registry.history("bank")) == 2
    assert registry.find("a" * 64).first_seen_run == "run-1"


def test_history_is_by_as_of(tmp_path):
    registry = ExtractRegistry(tmp_path / "r.sqlite")
    for as_of, sha in (("2025-06-30", "b"), ("2025-04-30", "c"), ("2025-05-31", "d")):
        registry.register(record(as_of=as_of, sha=sha * 64))
    registry.register(record(source="vehicles", sha="e" * 64))
    assert [r.as_of for r in registry.history("bank")] == ["2025-04-30", "2025-05-31", "2025-06-30"]
    assert registry.history("nobody") == []


def test_previous_rows_is_the_newest_extract_before_the_date(tmp_path):
    registry = ExtractRegistry(tmp_path / "r.sqlite")
    registry.register(record(as_of="2025-04-30", sha="1" * 64, rows=900_000))
    registry.register(
        record(as_of="2025-05-31", path="landing/bank/2025-05-31/a.csv", sha="2" * 64, rows=600_000)
    )
    registry.register(
        record(as_of="2025-05-31", path="landing/bank/2025-05-31/b.csv", sha="3" * 64, rows=400_000)
    )
    registry.register(record(as_of="2025-06-30", sha="4" * 64, rows=10))
    assert registry.previous_rows("bank", "2025-06-30") == 1_000_000  # both files of 2025-05-31
    assert registry.previous_rows("bank", "2025-05-31") == 900_000
    assert registry.previous_rows("bank", "2025-04-30") is None
    assert registry.previous_rows("vehicles", "2025-06-30") is None


def test_a_corrected_file_at_the_same_path_replaces_the_count(tmp_path):
    registry = ExtractRegistry(tmp_path / "r.sqlite")
    path = "landing/bank/2025-05-31/bank.csv"
    registry.register(
        record(as_of="2025-05-31", path=path, sha="5" * 64, rows=10, at="2025-06-01T00:00:00+00:00")
    )
    registry.register(
        record(
            as_of="2025-05-31", path=path, sha="6" * 64, rows=950, at="2025-06-02T00:00:00+00:00"
        )
    )
    assert registry.previous_rows("bank", "2025-06-30") == 950


def test_as_of_must_be_a_date(tmp_path):
    with pytest.raises(InputError, match="as_of '2025-6' .* is not a date"):
        ExtractRegistry(tmp_path / "r.sqlite").register(record(as_of="2025-6"))


def test_wal_mode(tmp_path):
    ExtractRegistry(tmp_path / "r.sqlite")
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _register_many(path, worker, count):
    registry = ExtractRegistry(path)
    for i in range(count):
        registry.register(
            record(source=f"s{worker}", path=f"p{worker}-{i}", sha=f"{worker}{i}".ljust(64, "0"))
        )
        registry.previous_rows(f"s{worker}", "2025-07-31")


def test_many_processes_register_at_once(tmp_path):
    path = tmp_path / "r.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_register_many, args=(path, w, 40)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    registry = ExtractRegistry(path)
    assert sum(len(registry.history(f"s{w}")) for w in range(4)) == 160
