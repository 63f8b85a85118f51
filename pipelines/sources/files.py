"""Reading a landing file into rows of text, whatever its encoding, with exact line numbers.

Every cell is kept as text here; typing happens in validation so that a bad value can be
quarantined with its raw form. A row whose field count is wrong is returned as a bad row,
never dropped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import InputError

# Tried in order: strict UTF-8 (with or without BOM) first, then the Chinese national sets.
ENCODINGS = ("utf-8-sig", "gb18030")
CSV_SUFFIXES = (".csv", ".txt")
PARQUET_SUFFIXES = (".parquet",)


@dataclass
class BadRow:
    line: int
    reason: str
    raw: str


@dataclass
class TextTable:
    """A file's header and rows of text, plus what could not be read as a row."""

    header: list[str]
    rows: list[list[str | None]]
    lines: list[int]
    encoding: str
    bad_rows: list[BadRow] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_encoding(data: bytes, path: Path) -> str:
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "utf-8" if encoding == "utf-8-sig" else encoding
    raise InputError(f"{path}: not text in UTF-8, GBK or GB18030; cannot read it as CSV")


def read_csv_text(path: Path) -> TextTable:
    """Decode and parse a CSV; header row first; rows with the wrong field count become bad rows."""
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path}: the file is empty (expected a header row and data rows)")
    encoding = detect_encoding(data, path)
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"{path}: cannot read a header row ({exc})") from None
    width = len(header)
    table = TextTable(header=header, rows=[], lines=[], encoding=encoding)
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            table.bad_rows.append(BadRow(start, "CSV_SYNTAX", str(exc)))
            continue
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line: not a row
        if len(row) != width:
            reason = "TOO_MANY_FIELDS" if len(row) > width else "TOO_FEW_FIELDS"
            table.bad_rows.append(BadRow(start, reason, ",".join(row)[:2000]))
            continue
        table.rows.append([cell if cell != "" else None for cell in row])
        table.lines.append(start)
    return table


def read_parquet_text(path: Path) -> TextTable:
    """A Parquet extract as text cells (dates ISO, numbers as written); row numbers from 1."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
    columns = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
            col = col.cast(pa.date32()) if pa.types.is_timestamp(col.type) else col
        columns.append(col.cast(pa.string()).to_pylist())
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return TextTable(
        header=list(table.column_names),
        rows=rows,
        lines=list(range(1, len(rows) + 1)),
        encoding="parquet",
    )


def read_text_table(path: Path) -> TextTable:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv_text(path)
    if suffix in PARQUET_SUFFIXES:
        return read_parquet_text(path)
    raise InputError(f"{path}: unsupported file type '{suffix}' (expected .csv or .parquet)")


def landing_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in CSV_SUFFIXES + PARQUET_SUFFIXES:
            yield path
