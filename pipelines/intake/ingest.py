"""Ingest: landing files → raw Parquet with canonical column names, every cell kept as text.

The extract of a month is the newest as-of folder on or before the month's end, and it must be
as fresh as the source's schema asks (`freshness:`); an older one is refused with StaleExtract.
Raw files are content-addressed (`raw/<source>/<sha256>.parquet`): an extract already ingested
(same SHA-256) is not parsed again. Rows the reader could not split into fields stay in the raw
file with `_read_error` and their text, so they reach quarantine like any other bad row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import EngineError, InputError
from pipelines.schemas import Schema, normalize_header
from pipelines.sources.files import landing_files, read_extract, sha256_of
from pipelines.storage import write_arrow, write_json

RAW_META = ("_row", "_read_error", "_read_raw")


@dataclass
class Extract:
    """One landing file as registered in the run's manifest."""

    source: str
    as_of: str
    file: str
    sha256: str
    size_bytes: int
    format: str
    encoding: str
    declared_encoding: str | None
    rows_read: int
    rows_unreadable: int
    raw: str
    reused_raw: bool = False
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """For the manifest: whether the raw file was reused depends on earlier runs, not on
        the inputs, so it goes to the run log instead."""
        out = asdict(self)
        out.pop("reused_raw")
        return out


class StaleExtract(EngineError):
    """The newest extract of a source for the month is older than the source's freshness limit:
    checking the month with it would judge households on facts that may have changed."""

    def __init__(self, schema: Schema, folder: str, as_of: dt.date, month_end: dt.date):
        limit = schema.freshness
        self.source, self.as_of, self.month_end = schema.source, as_of, month_end
        self.oldest_as_of = limit.oldest_as_of(month_end)
        self.age_days = limit.age_days(as_of, month_end)
        months = f"{limit.max_age_months} month{'' if limit.max_age_months == 1 else 's'}"
        super().__init__(
            f"{schema.source}: extract {folder} refused as stale for month {month_end:%Y-%m}: "
            f"as of {as_of}, {self.age_days} days before the month's end {month_end}; the limit "
            f"in {Path(schema.file).name} is {months}, as of {self.oldest_as_of} or later "
            f"({limit.reason.rstrip('.')}). Deliver a newer extract to landing/{schema.source}/<as-of date>/ "
            f"(or `welfare-verify pull`), then run the month again."
        )


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
                f"for source {schema.source}; the agency must send one of them"
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


def raw_table(path: Path, schema: Schema) -> tuple[pa.Table, dict]:
    """Read one landing file into the raw table and what the manifest says about the read."""
    extract = read_extract(path, schema.encoding)
    mapped, unknown = map_header(extract.header, schema, path)
    n = len(extract.lines)
    positions = {name: i for i, name in enumerate(mapped) if name is not None}
    arrays: dict[str, pa.Array] = {}
    bad = extract.bad_rows
    for col in schema.columns:
        values = extract.columns[positions[col.name]] if col.name in positions else pa.nulls(n, pa.string())
        arrays[col.name] = _then(values.cast(pa.string()), pa.nulls(len(bad), pa.string()))
    arrays["_row"] = _then(extract.lines.cast(pa.int64()), pa.array([b.line for b in bad], pa.int64()))
    arrays["_read_error"] = pa.concat_arrays(
        [pa.nulls(n, pa.string()), pa.array([b.reason for b in bad], pa.string())]
    )
    arrays["_read_raw"] = pa.concat_arrays(
        [pa.nulls(n, pa.string()), pa.array([b.raw[:2000] for b in bad], pa.string())]
    )
    info = {
        "format": extract.format,
        "encoding": extract.encoding,
        "rows_read": n + len(bad),
        "rows_unreadable": len(bad),
        "unknown_columns": unknown,
        "missing_columns": [c.name for c in schema.columns if c.name not in positions],
        "notes": list(extract.notes),
    }
    return pa.table(arrays), info


def _then(rows: pa.Array, more: pa.Array) -> pa.Array:
    """`rows` followed by `more` (no copy when there is nothing more)."""
    return rows if not len(more) else pa.concat_arrays([rows, more])


def ingest_file(path: Path, schema: Schema, as_of: str, data_dir: Path,
                written: dict[Path, pa.Table] | None = None) -> Extract:
    """Parse one landing file to raw Parquet unless the same content was ingested before; the
    table written is left in `written` under its path, when given."""
    digest = sha256_of(path)
    raw_path = data_dir / "raw" / schema.source / f"{digest}.parquet"
    info_path = raw_path.with_suffix(".json")
    rel = path.relative_to(data_dir).as_posix() if path.is_relative_to(data_dir) else str(path)
    reused = raw_path.exists() and info_path.exists()
    if reused:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    else:
        table, info = raw_table(path, schema)
        write_arrow(table, raw_path)
        write_json(info, info_path)
        if written is not None:
            written[raw_path] = table
    return Extract(
        source=schema.source,
        as_of=as_of,
        file=rel,
        sha256=digest,
        size_bytes=path.stat().st_size,
        declared_encoding=schema.encoding,
        raw=raw_path.relative_to(data_dir).as_posix(),
        reused_raw=reused,
        **info,
    )


def extract_files(schema: Schema, data_dir: Path, month_end: dt.date) -> tuple[str | None, list[Path]]:
    """The as-of folder chosen for the month and the landing files in it; StaleExtract when it
    is older than the source's freshness limit."""
    source_dir = data_dir / "landing" / schema.source
    as_of = choose_as_of(source_dir, month_end)
    if as_of is None:
        return None, []
    if not schema.freshness.accepts(dt.date.fromisoformat(as_of), month_end):
        folder = (source_dir / as_of).relative_to(data_dir).as_posix()
        raise StaleExtract(schema, folder, dt.date.fromisoformat(as_of), month_end)
    files = list(landing_files(source_dir / as_of))
    if not files:
        raise InputError(
            f"{source_dir / as_of}: no extract file (.csv, .xlsx, .jsonl or .parquet) in the folder"
        )
    return as_of, files


def raw_rows(raw_path: Path) -> int:
    return pq.ParquetFile(raw_path).metadata.num_rows
