"""The extract registry: every extract file ever ingested, in `<data_dir>/registry.sqlite`.

One row per (sha256, path): the same bytes at the same place are one extract, so registering
again is a no-op that keeps the first run that saw it. The same bytes under another path (a
re-delivery) and new bytes at the same path (a corrected file) are rows of their own.

Safe enough for Airflow's mapped tasks on one machine: WAL mode (readers never block the
writer), one short transaction per call (`BEGIN IMMEDIATE` for writes), a busy timeout, and a
fresh connection per call so no handle crosses a fork.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from pipelines.errors import InputError

FILE_NAME = "registry.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS extracts (
    source TEXT NOT NULL,
    as_of TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    rows INTEGER,
    encoding TEXT,
    format TEXT NOT NULL,
    first_seen_run TEXT,
    ingested_at TEXT NOT NULL,
    PRIMARY KEY (sha256, path)
);
CREATE INDEX IF NOT EXISTS extracts_by_source ON extracts (source, as_of);
"""


@dataclass(frozen=True)
class ExtractRecord:
    source: str
    as_of: str  # YYYY-MM-DD, the extract's own date
    path: str  # relative to the data directory
    sha256: str
    size_bytes: int
    rows: int | None  # rows read (returned + quarantined), None when not counted
    encoding: str | None
    format: str
    first_seen_run: str | None
    ingested_at: str | None = None  # UTC, ISO 8601; set on register when None


COLUMNS = tuple(f.name for f in fields(ExtractRecord))


class ExtractRegistry:
    def __init__(self, path: Path, timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ExtractRegistry:
        return cls(Path(data_dir) / FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(
            sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        ) as conn:
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            yield conn

    def register(self, record: ExtractRecord) -> None:
        """Record an extract; the same sha256 at the same path again changes nothing."""
        try:
            dt.date.fromisoformat(record.as_of)
        except (TypeError, ValueError):
            raise InputError(
                f"extract registry: as_of {record.as_of!r} of {record.path} is not a date YYYY-MM-DD"
            ) from None
        if record.ingested_at is None:
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            record = ExtractRecord(**{**_as_dict(record), "ingested_at": now})
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    f"INSERT INTO extracts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
                    "ON CONFLICT (sha256, path) DO NOTHING",
                    astuple(record),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def find(self, sha256: str) -> ExtractRecord | None:
        """The first registration of these bytes, wherever they were."""
        rows = self._select("WHERE sha256 = ? ORDER BY ingested_at, rowid LIMIT 1", (sha256,))
        return rows[0] if rows else None

    def history(self, source: str) -> list[ExtractRecord]:
        """Every extract of the source, oldest as_of first (then in registration order)."""
        return self._select("WHERE source = ? ORDER BY as_of, ingested_at, rowid", (source,))

    def previous_rows(self, source: str, before_as_of: str) -> int | None:
        """Rows of the source's newest extract dated before `before_as_of` (None if none).

        An extract may be several files: their rows are added up, each path counted once
        with its latest registration (a corrected file replaces the one it corrects).
        """
        found = self._select(
            "WHERE source = ? AND as_of = (SELECT MAX(as_of) FROM extracts "
            "WHERE source = ? AND as_of < ? AND rows IS NOT NULL) AND rows IS NOT NULL "
            "ORDER BY ingested_at, rowid",
            (source, source, before_as_of),
        )
        if not found:
            return None
        latest = {record.path: record.rows for record in found}
        return sum(latest.values())

    def _select(self, where: str, params: tuple) -> list[ExtractRecord]:
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM extracts {where}", params
            ).fetchall()
        return [ExtractRecord(*row) for row in rows]


def _as_dict(record: ExtractRecord) -> dict:
    return {name: getattr(record, name) for name in COLUMNS}
