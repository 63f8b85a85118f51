"""Files as the agencies send them: CSV with Chinese headers in the schema's encoding (some
with a byte-order mark), typed Parquet with canonical names, an Excel workbook with Chinese
headers and real date cells, or JSON Lines keyed by the Chinese headers. Every file is
written to a temporary name and renamed into place, so an interrupted run leaves no half
file, and written byte for byte the same from the same data (no clock in any file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ARROW_TYPES = {
    "string": pa.string(),
    "code": pa.string(),
    "month": pa.string(),
    "int": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
}


def _replace(tmp: Path, path: Path) -> None:
    os.replace(tmp, path)


def write_csv(
    path: Path, written: pd.DataFrame, schema, duplicate: np.ndarray, bom: bool = False
) -> None:
    """Header = each column's first alias; a duplicated record is repeated on the next line.
    `bom`: start a UTF-8 file with a byte-order mark, as Excel's "CSV UTF-8" does."""
    encoding = schema.encoding or "utf-8"
    # Files from Windows-based GBK systems end lines with CR LF.
    newline = "\r\n" if encoding.lower().startswith("gb") else "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    columns = [written[c.name].tolist() for c in schema.columns]
    dup = duplicate.tolist()
    # Streamed to the file (a large extract is never held as one text); the encoders are
    # stateless, so the bytes are those of encoding the whole text at once.
    try:
        with tmp.open("wb") as raw:
            if bom:
                raw.write(b"\xef\xbb\xbf")
            with io.TextIOWrapper(raw, encoding=encoding, newline="") as fh:
                writer = csv.writer(fh, lineterminator=newline)
                writer.writerow([c.aliases[0] for c in schema.columns])
                for i, row in enumerate(zip(*columns, strict=True)):
                    writer.writerow(row)
                    if dup[i]:
                        writer.writerow(row)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half file left behind
        raise
    _replace(tmp, path)


def _arrow(values, arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_date32(arrow_type):
        days = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")
        return pa.array(days, type=pa.date32(), from_pandas=True)
    if pa.types.is_floating(arrow_type):
        return pa.array(
            pd.Series(values, dtype=float).to_numpy(), type=arrow_type, from_pandas=True
        )
    if pa.types.is_integer(arrow_type):
        return pa.array(np.asarray(values, dtype=np.int64), type=arrow_type)
    return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)


def write_parquet(path: Path, frame: pd.DataFrame, types: dict[str, pa.DataType]) -> None:
    """A typed Parquet file with exactly the columns of `types`, in that order."""
    table = pa.table({name: _arrow(frame[name].to_numpy(), t) for name, t in types.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="snappy")
    _replace(tmp, path)


def schema_types(schema) -> dict[str, pa.DataType]:
    return {c.name: ARROW_TYPES[c.type] for c in schema.columns}


def write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    _replace(tmp, path)


def _cell(value, ctype: str):
    """A typed value as a Python scalar for JSON or Excel: None for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if ctype == "date":
        if pd.isna(value):
            return None
        return pd.Timestamp(value).date()
    if ctype == "int":
        return int(value)
    if ctype == "decimal":
        return round(float(value), 2)
    return str(value)


def _rows(written: pd.DataFrame, schema) -> list[list]:
    columns = []
    for c in schema.columns:
        values = written[c.name].to_numpy()
        if c.type == "date":
            values = pd.to_datetime(pd.Series(values)).to_numpy()
        columns.append([_cell(v, c.type) for v in values])
    return [list(row) for row in zip(*columns, strict=True)]


def write_jsonl(path: Path, written: pd.DataFrame, schema) -> None:
    """One JSON object per line, keys = each column's first alias, in schema order; UTF-8
    without escapes; missing values are null, amounts numbers, dates ISO text."""
    keys = [c.aliases[0] for c in schema.columns]
    lines = []
    for row in _rows(written, schema):
        values = [v.isoformat() if isinstance(v, dt.date) else v for v in row]
        doc = dict(zip(keys, values, strict=True))
        lines.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
    data = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    _replace(tmp, path)


# Excel's own date format for a cell typed as a date in a Chinese locale.
XLSX_DATE_FORMAT = "yyyy/m/d"
# A fixed moment for the workbook's properties and the zip entries, so no clock gets in.
XLSX_TIMESTAMP = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_xlsx(path: Path, written: pd.DataFrame, schema, sheet: str, creator: str) -> None:
    """An .xlsx workbook, one sheet: Chinese headers (first alias) in row 1, then one row per
    record. Text stays text (ID numbers keep every digit), dates are real date cells.

    openpyxl stamps the creation and save times into docProps/core.xml and the current time
    on every zip entry; both are replaced by fixed values so that the same data gives the
    same bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    wb.properties.creator = creator
    wb.properties.created = XLSX_TIMESTAMP
    ws = wb.create_sheet(sheet)
    ws.append([c.aliases[0] for c in schema.columns])
    dates = [i for i, c in enumerate(schema.columns) if c.type == "date"]
    for row in _rows(written, schema):
        for i in dates:
            if row[i] is not None:
                cell = WriteOnlyCell(ws, value=row[i])
                cell.number_format = XLSX_DATE_FORMAT
                row[i] = cell
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    data = _normalize_zip(buf.getvalue())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    _replace(tmp, path)


def _normalize_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times and fixed document times."""
    stamp = XLSX_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>" + stamp + rb"\g<3>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            entry.create_system = 0
            dst.writestr(entry, content, compresslevel=6)
    return out.getvalue()
