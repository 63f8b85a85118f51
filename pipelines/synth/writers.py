"""Files as the agencies send them: CSV with Chinese headers in the schema's encoding, or typed
Parquet with canonical names. Every file is written to a temporary name and renamed into
place, so an interrupted run leaves no half file.
"""

from __future__ import annotations

import csv
import io
import json
import os
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


def write_csv(path: Path, written: pd.DataFrame, schema, duplicate: np.ndarray) -> None:
    """Header = each column's first alias; a duplicated record is repeated on the next line."""
    encoding = schema.encoding or "utf-8"
    # Files from Windows-based GBK systems end lines with CR LF.
    newline = "\r\n" if encoding.lower().startswith("gb") else "\n"
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow([c.aliases[0] for c in schema.columns])
    columns = [written[c.name].tolist() for c in schema.columns]
    dup = duplicate.tolist()
    for i, row in enumerate(zip(*columns, strict=True)):
        writer.writerow(row)
        if dup[i]:
            writer.writerow(row)
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
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
