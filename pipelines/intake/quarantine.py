"""The quarantine of a run: counts by source and reason, and the rows for each data owner.

Each quarantined row keeps its source, file, line or row number, column, reason code and raw
value. Exports mask the raw values of personal-data columns unless unmasking is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.errors import InputError
from pipelines.exports import write_csv
from pipelines.schemas import Schema
from pipelines.standardize.masking import mask_key, mask_middle, mask_value


@dataclass(frozen=True)
class QuarantineCount:
    source: str
    reason: str
    rows: int


def run_manifest(data_dir: Path, run_id: str) -> dict:
    path = data_dir / "runs" / run_id / "manifest.json"
    if not path.exists():
        raise InputError(f"{path}: no manifest for run '{run_id}' (has it finished?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sources"), dict):
        raise InputError(f"{path}: not a finished run's manifest (no table of sources)")
    return manifest


def counts(manifest: dict) -> list[QuarantineCount]:
    out = []
    for source, info in sorted(manifest["sources"].items()):
        for reason, n in sorted((info.get("quarantine_by_reason") or {}).items()):
            out.append(QuarantineCount(source, reason, n))
    return out


HEADER = ("source", "as_of", "file", "row", "column", "reason", "raw_value")


def _pii_class(schema: Schema | None, column: str) -> str | None:
    if schema is None or column not in schema.names:
        return None
    return schema.column(column).pii


def masked_raw_value(value: object, column: str | None, schema: Schema | None) -> str:
    """A quarantined raw value as the default export shows it: masked by its column's PII class;
    a key's value (`certificate_no|party` of a duplicate) part by part; a column the schema does
    not declare, whole. A line that could not be split into columns keeps only its first few
    characters: its end is a field like any other (often a name)."""
    if value is None:
        return ""
    if not column:
        return mask_middle(value, keep_end=0)
    names = column.split("|")
    classes = [_pii_class(schema, n) for n in names]
    if None in classes:
        return mask_middle(value)
    if len(names) == 1:
        return mask_value(value, classes[0])
    return mask_key(value, classes)


def export(data_dir: Path, manifest: dict, schemas: dict[str, Schema], out_dir: Path,
           unmasked: bool = False, source: str | None = None) -> list[Path]:
    """One CSV per source (UTF-8 with BOM, opens in Excel) of its quarantined rows; cells that
    a spreadsheet would run as a formula are neutralised (exports.safe_cell)."""
    written = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, info in sorted(manifest["sources"].items()):
        if (source and name != source) or not info.get("as_of") or not info.get("rows_quarantined"):
            continue
        folder = data_dir / "quarantine" / name / info["as_of"]
        rows = pq.ParquetDataset(folder).read().to_pylist()
        schema = schemas.get(name)
        path = out_dir / f"quarantine_{manifest['run_id']}_{name}.csv"
        written.append(write_csv(path, HEADER, (
            [r["source"], r["as_of"], r["file"], r["row"], r["column"] or "", r["reason"],
             (r["raw_value"] or "") if unmasked else masked_raw_value(r["raw_value"], r["column"], schema)]
            for r in sorted(rows, key=lambda r: (r["file"], r["row"]))
        )))
    return written
