"""Reading a landing file into text columns, whatever its format and encoding, with exact lines.

Every cell is kept as text here; typing happens in validation so that a bad value can be
quarantined with its raw form. A row that cannot be read as a row is returned as a bad row
with its line and reason, never dropped; a file that cannot be read at all raises InputError
naming the file and what was expected. The format is chosen by the file's suffix:

    .csv .txt .tsv → csvfile (UTF-8, UTF-8 with BOM, GBK or GB18030, detected)
    .xlsx          → excel (first sheet, or `sheet=`)
    .jsonl .ndjson → jsonl
    .parquet       → parquetfile
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pipelines.errors import InputError
from pipelines.sources.csvfile import read_csv
from pipelines.sources.excel import read_xlsx
from pipelines.sources.extract import BadRow, RawExtract
from pipelines.sources.jsonl import read_jsonl
from pipelines.sources.parquetfile import read_parquet

__all__ = [
    "BadRow",
    "RawExtract",
    "landing_files",
    "read_extract",
    "sha256_of",
    "SUFFIXES",
]

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
PARQUET_SUFFIXES = (".parquet",)
SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES


def read_extract(
    path: Path,
    declared_encoding: str | None = None,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> RawExtract:
    """One extract file as header, text columns, exact lines, bad rows and notes.

    `declared_encoding` is what the schema says (compared with the bytes, noted when wrong);
    `sheet` picks an Excel sheet by name; `delimiter` overrides the CSV delimiter sniffing.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(f"{path}: legacy Excel .xls is not read; save it as .xlsx or CSV")
    if suffix not in SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type '{suffix}' (expected one of {', '.join(SUFFIXES)})"
        )
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    try:
        if suffix in CSV_SUFFIXES:
            return read_csv(
                path,
                declared_encoding,
                "\t" if suffix == ".tsv" and delimiter is None else delimiter,
            )
        if suffix in EXCEL_SUFFIXES:
            return read_xlsx(path, sheet)
        if suffix in JSONL_SUFFIXES:
            return read_jsonl(path, declared_encoding)
        return read_parquet(path)
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except MemoryError:
        raise InputError(f"{path}: too large to read into memory on this machine") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def landing_files(folder: Path) -> Iterator[Path]:
    """Extract files in a landing folder, by name; hidden files and Excel's ~$ lock files skipped."""
    for path in sorted(Path(folder).iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            yield path
