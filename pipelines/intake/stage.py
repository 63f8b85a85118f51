"""Intake of one source for a run: ingest its extract, gate it, validate it, write clean rows
and quarantine. Every row that came in is either clean or quarantined with its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.intake import validate
from pipelines.intake.gates import GateRejected
from pipelines.intake.ingest import Extract, extract_files, ingest_file
from pipelines.intake.output import write_table
from pipelines.schemas import Schema
from pipelines.sources.registry import ExtractRecord, ExtractRegistry

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass
class SourceOutcome:
    source: str
    as_of: str | None = None
    extracts: list[Extract] = field(default_factory=list)
    rows_in: int = 0
    rows_clean: int = 0
    rows_quarantined: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    gate_seconds: float = 0.0
    clean_path: Path | None = None

    def manifest(self) -> dict[str, Any]:
        if self.as_of is None:
            return {"extract": None}
        return {
            "as_of": self.as_of,
            "rows_in": self.rows_in,
            "rows_clean": self.rows_clean,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_by_reason": dict(sorted(self.quarantine_by_reason.items())),
            "balanced": self.rows_in == self.rows_clean + self.rows_quarantined,
            "gate": self.gate,
        }

    def to_state(self, data_dir: Path) -> dict[str, Any]:
        """Everything later stages need, as JSON (paths relative to the data directory)."""
        return {
            "source": self.source, "as_of": self.as_of,
            "extracts": [asdict(e) for e in self.extracts],
            "rows_in": self.rows_in, "rows_clean": self.rows_clean,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_by_reason": self.quarantine_by_reason, "gate": self.gate,
            "gate_seconds": self.gate_seconds,
            "clean_path": (self.clean_path.relative_to(data_dir).as_posix()
                           if self.clean_path is not None else None),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], data_dir: Path) -> SourceOutcome:
        return cls(
            source=state["source"], as_of=state["as_of"],
            extracts=[Extract(**e) for e in state["extracts"]],
            rows_in=state["rows_in"], rows_clean=state["rows_clean"],
            rows_quarantined=state["rows_quarantined"],
            quarantine_by_reason=state["quarantine_by_reason"], gate=state["gate"],
            gate_seconds=state["gate_seconds"],
            clean_path=data_dir / state["clean_path"] if state["clean_path"] else None,
        )


# The raw tables this process has just written, by path: validate takes them from here instead
# of reading back what ingest wrote a moment before (the CLI runs both in one process; an
# Airflow task of its own reads the file). Only the last source ingested is kept.
_JUST_WRITTEN: dict[Path, pa.Table] = {}


def read_raw(data_dir: Path, extracts: list[Extract]) -> pa.Table:
    """The raw rows of the extracts, with their source, as-of date and file (a column one raw
    copy lacks is empty in its rows)."""
    tables = []
    for e in extracts:
        path = data_dir / e.raw
        table = _JUST_WRITTEN.pop(path, None)
        if table is None:
            table = pq.read_table(path)
        n = table.num_rows
        for name, value in (("_source", e.source), ("_as_of", e.as_of), ("_file", e.file)):
            table = table.append_column(name, pa.repeat(value, n).cast(pa.string()))
        tables.append(table)
    return pa.concat_tables(tables, promote_options="default")


# columns Spark wrote as required (they were literals or a concatenation), kept so for its readers
CLEAN_NOT_NULL = frozenset({"record_key", "_source", "_as_of", "_file"})
QUARANTINE_NOT_NULL = frozenset({"source", "as_of", "file"})


def ingest_source(schema: Schema, data_dir: Path, month_end: dt.date) -> SourceOutcome:
    """Ingest the source's extract for the month (landing → raw Parquet); no Spark needed."""
    outcome = SourceOutcome(schema.source)
    as_of, files = extract_files(schema, data_dir, month_end)
    if as_of is None:
        return outcome
    outcome.as_of = as_of
    _JUST_WRITTEN.clear()
    outcome.extracts = [ingest_file(path, schema, as_of, data_dir, _JUST_WRITTEN) for path in files]
    outcome.rows_in = sum(e.rows_read for e in outcome.extracts)
    return outcome


def validate_source(
    spark: SparkSession,
    schema: Schema,
    data_dir: Path,
    outcome: SourceOutcome,
    gates,
    limits,
    registry: ExtractRegistry,
    run_id: str,
) -> SourceOutcome:
    """Gate and validate an ingested source: clean rows and quarantine; raises GateRejected on
    a critical failure. A source without an extract for the month passes through unchanged."""
    if outcome.as_of is None:
        return outcome
    as_of = outcome.as_of
    previous = registry.previous_rows(schema.source, as_of)
    raw = read_raw(data_dir, outcome.extracts)
    # every typed value and check in one pass over the distinct values of each column
    checked = validate.check(raw, schema, dt.date.fromisoformat(as_of), spark)
    del raw
    result = gates.validate(
        checked, schema, limits, previous, dt.date.fromisoformat(as_of),
        [e.file for e in outcome.extracts],
    )
    outcome.gate = result.as_dict()
    outcome.gate_seconds = result.seconds
    if not result.success:
        raise GateRejected(result)
    clean, quarantine = validate.split(checked, schema)
    del checked
    outcome.clean_path = data_dir / "clean" / schema.source / as_of
    outcome.rows_clean = write_table(clean, outcome.clean_path, CLEAN_NOT_NULL)
    quarantine_path = data_dir / "quarantine" / schema.source / as_of
    outcome.rows_quarantined = write_table(quarantine, quarantine_path, QUARANTINE_NOT_NULL)
    reasons = pc.value_counts(quarantine.column("reason")).to_pylist()
    outcome.quarantine_by_reason = {r["values"]: r["counts"] for r in reasons}
    for e in outcome.extracts:
        registry.register(
            ExtractRecord(
                source=e.source, as_of=e.as_of, path=e.file, sha256=e.sha256,
                size_bytes=e.size_bytes, rows=e.rows_read, encoding=e.encoding,
                format=e.format, first_seen_run=run_id,
            )
        )
    return outcome


def intake_source(
    spark: SparkSession,
    schema: Schema,
    data_dir: Path,
    month_end: dt.date,
    gates,
    limits,
    registry: ExtractRegistry,
    run_id: str,
) -> SourceOutcome:
    """Ingest, gate and validate one source; raises GateRejected on a critical failure."""
    outcome = ingest_source(schema, data_dir, month_end)
    return validate_source(spark, schema, data_dir, outcome, gates, limits, registry, run_id)
