"""Ingest: landing files → raw Parquet with canonical column names, all cells kept as text.

Each extract is registered with its source, as-of date, SHA-256, size, encoding and row
count. Rows that cannot be read as rows are kept with their line and reason (quarantine).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.errors import InputError
from pipelines.schemas import Schema, normalize_header
from pipelines.sources.files import landing_files, read_text_table, sha256_of
from pipelines.storage import write_arrow

META_COLUMNS = ("_source", "_as_of", "_file", "_row")


@dataclass
class Extract:
    source: str
    as_of: str
    file: str
    sha256: str
    size_bytes: int
    encoding: str
    declared_encoding: str | None
    rows_read: int
    rows_unreadable: int
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def choose_as_of(source_dir: Path, month_end: dt.date) -> str | None:
    """The newest extract folder dated on or before the end of the month checked."""
    dates = []
    for child in source_dir.iterdir() if source_dir.is_dir() else ():
        try:
            day = dt.date.fromisoformat(child.name)
        except ValueError:
            continue
        if child.is_dir() and day <= month_end:
            dates.append(child.name)
    return max(dates) if dates else None


def map_header(header: list[str], schema: Schema, path: Path) -> tuple[list[str | None], list[str]]:
    """Canonical name for each header cell (None for unknown ones) and the unknown cells."""
    lookup = schema.header_map()
    mapped: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in header:
        name = lookup.get(normalize_header(cell))
        if name is None:
            unknown.append(cell)
        elif name in seen:
            raise InputError(
                f"{path}: columns '{seen[name]}' and '{cell}' both mean '{name}' "
                f"for source {schema.source}; keep one"
            )
        else:
            seen[name] = cell
        mapped.append(name)
    missing_required = [c.name for c in schema.columns if c.required and c.name not in seen]
    if missing_required:
        wanted = "; ".join(
            f"{c} (header {' / '.join(schema.column(c).aliases) or c})" for c in missing_required
        )
        raise InputError(f"{path}: required column(s) missing for source {schema.source}: {wanted}")
    return mapped, unknown


def ingest_file(path: Path, schema: Schema, as_of: str, data_dir: Path) -> tuple[Extract, pa.Table, pa.Table]:
    """Read one landing file; returns its registration, its raw rows and its unreadable rows."""
    table = read_text_table(path)
    mapped, unknown = map_header(table.header, schema, path)
    rel = str(path.relative_to(data_dir)) if path.is_relative_to(data_dir) else str(path)
    n = len(table.rows)
    arrays: dict[str, pa.Array] = {}
    positions = {name: i for i, name in enumerate(mapped) if name is not None}
    for col in schema.columns:
        if col.name in positions:
            i = positions[col.name]
            arrays[col.name] = pa.array([row[i] for row in table.rows], type=pa.string())
        else:
            arrays[col.name] = pa.nulls(n, type=pa.string())
    arrays["_source"] = pa.array([schema.source] * n, type=pa.string())
    arrays["_as_of"] = pa.array([as_of] * n, type=pa.string())
    arrays["_file"] = pa.array([rel] * n, type=pa.string())
    arrays["_row"] = pa.array(table.lines, type=pa.int64())
    raw = pa.table(arrays)
    bad = pa.table(
        {
            "source": pa.array([schema.source] * len(table.bad_rows), type=pa.string()),
            "as_of": pa.array([as_of] * len(table.bad_rows), type=pa.string()),
            "file": pa.array([rel] * len(table.bad_rows), type=pa.string()),
            "row": pa.array([b.line for b in table.bad_rows], type=pa.int64()),
            "column": pa.nulls(len(table.bad_rows), type=pa.string()),
            "reason": pa.array([b.reason for b in table.bad_rows], type=pa.string()),
            "raw_value": pa.array([b.raw for b in table.bad_rows], type=pa.string()),
        }
    )
    extract = Extract(
        source=schema.source,
        as_of=as_of,
        file=rel,
        sha256=sha256_of(path),
        size_bytes=path.stat().st_size,
        encoding=table.encoding,
        declared_encoding=schema.encoding,
        rows_read=n + len(table.bad_rows),
        rows_unreadable=len(table.bad_rows),
        unknown_columns=unknown,
        missing_columns=[c.name for c in schema.columns if c.name not in positions],
    )
    return extract, raw, bad


def ingest_source(schema: Schema, data_dir: Path, month_end: dt.date) -> tuple[list[Extract], Path | None, pa.Table]:
    """Ingest the extract of one source for the month; raw Parquet under raw/<source>/<as_of>/."""
    source_dir = data_dir / "landing" / schema.source
    as_of = choose_as_of(source_dir, month_end)
    if as_of is None:
        return [], None, pa.table({})
    extracts, raws, bads = [], [], []
    for path in landing_files(source_dir / as_of):
        extract, raw, bad = ingest_file(path, schema, as_of, data_dir)
        extracts.append(extract)
        raws.append(raw)
        bads.append(bad)
    if not extracts:
        raise InputError(f"{source_dir / as_of}: no .csv or .parquet file in the extract folder")
    target = data_dir / "raw" / schema.source / as_of / "raw.parquet"
    write_arrow(pa.concat_tables(raws), target)
    return extracts, target, pa.concat_tables(bads)
