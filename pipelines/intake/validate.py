"""Validate: raw text rows → typed rows with their problems → clean rows + quarantined rows.

Pure Arrow table → table functions; the stage runner does the reading and writing. Each column's
distinct texts are typed and checked once (`values`), and the rows take the results by index.
Reason codes are stable: MISSING_REQUIRED, BAD_INT, BAD_DECIMAL, BAD_DATE, BAD_MONTH,
UNKNOWN_CODE, the row checks of the schema (DATE_OUT_OF_RANGE, NEGATIVE_AMOUNT, OUT_OF_RANGE,
UNKNOWN_REGION), FIELD_TOO_LONG, UNSAFE_ID, DUPLICATE_ROW, DUPLICATE_KEY, plus the reading
reasons of `sources`.

UNSAFE_ID: a value of a key column, or of an id column that names files (ID_COLUMNS), that is
not printable, bounded text: a control, format or line-separator character (\\x1b, a tab, a
zero-width space, a BOM), a path separator (`/`, `\\`), `..`, a leading `.`, or more than
MAX_ID_CHARS characters. Such a value becomes a record key, a file name, a URL and a
spreadsheet cell downstream, so its row is quarantined rather than cleaned. Only string key and
id columns are checked, because other columns (a 户号, a certificate number outside the key)
may legitimately hold a slash and their rows hold facts the checks need; a registry whose
keys themselves hold `/` would see those rows quarantined, counted in the manifest, and its
key must then be re-encoded at ingest.

Duplicates: among the rows without a problem, the first of each record key (by file, then
line) is clean; a later one is DUPLICATE_ROW when its raw values are those of the first (the
non-empty ones, in order), else DUPLICATE_KEY.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.intake import values as V
from pipelines.intake.values import MAX_FIELD_CHARS, MAX_ID_CHARS, SHOWN_CHARS, UNSAFE_ID  # noqa: F401
from pipelines.schemas import Check, Schema

# id-like columns outside the key whose values name files (a household's case file)
ID_COLUMNS = ("household_id",)
QUARANTINE_COLUMNS = ("source", "as_of", "file", "row", "column", "reason", "raw_value")
META = ("_source", "_as_of", "_file", "_row")
RAW_PREFIX = "_raw_"
PROBLEM = pa.struct([("column", pa.string()), ("reason", pa.string()), ("raw_value", pa.string())])


def id_columns(schema: Schema) -> tuple[str, ...]:
    """The string columns whose values must be safe ids: the key's, then ID_COLUMNS present."""
    names = dict.fromkeys([*schema.key, *(c for c in ID_COLUMNS if c in schema.names)])
    return tuple(n for n in names if schema.column(n).type == "string")


def id_valid_column(id_column: str) -> str:
    return f"{id_column}__id_valid"


def record_key(raw: pa.Table, schema: Schema) -> pa.Array:
    """The key's raw values, spaces cut from both ends, empty for none, joined by `|`."""
    parts = [pc.fill_null(pc.utf8_trim(_column(raw, k), " "), "") for k in schema.key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "|")


def _column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    return _whole(table.column(name))


def _whole(column: pa.ChunkedArray) -> pa.Array:
    """One array (the chunk itself when there is one: no copy)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def check(raw: pa.Table, schema: Schema, as_of: dt.date, spark=None) -> pa.Table:
    """Typed values, record key, ID validity of the ID columns, and every problem of each row.

    `raw` holds the schema's columns as text (a column absent from an older raw copy is empty:
    it was not in the file), `_row`, the reader's `_read_error`/`_read_raw` when present, and
    `_source`, `_as_of`, `_file`. `_row_ok` is true when a row has no problem; `_problems` lists
    a bad row's problems (column, reason, raw value), the first one first; `<column>__id_valid`
    is the checksum validity of an ID column (null when the ID is empty); `_raw_<column>` keeps
    the raw text. `spark` types the few values that are not in a plain form (see values).
    """
    row_checks: dict[str, list[Check]] = {}
    for chk in schema.checks:
        row_checks.setdefault(chk.column, []).append(chk)
    id_checked = {chk.column for chk in schema.checks if chk.kind == "id_checksum"}
    safe_ids = set(id_columns(schema))
    raws = {c.name: _column(raw, c.name) for c in schema.columns}
    columns = [V.distinct(c, raws[c.name], c.name in safe_ids, c.name in id_checked)
               for c in schema.columns]
    V.resolve(columns, spark)

    # which problem comes first in each row: -1 the reader's, j the j-th column's, -2 none
    read_error = _column(raw, "_read_error")
    first = np.where(V.present(read_error), -1, -2)
    failing = []
    for j, d in enumerate(columns):
        V.reasons(d, d.column.required, d.column.name in safe_ids, row_checks.get(d.column.name, []), as_of)
        bad = V.present(d.why)
        if bad.any():
            rows_bad = bad[: len(d.indices)] if d.row_by_row else bad[d.indices]
            first[(first == -2) & rows_bad] = j
            failing.append((j, rows_bad))
    ok = first == -2
    problems = _problems(raw, columns, failing, ~ok)

    out = {c.name: d.per_row(d.value) for c, d in zip(schema.columns, columns, strict=True)}
    out["record_key"] = record_key(raw, schema)
    for m in META:
        out[m] = _column(raw, m) if m != "_row" else _column(raw, "_row").cast(pa.int64())
    out["_row_ok"] = pa.array(ok)
    out["_problems"] = problems
    for d in columns:
        if d.id_valid is not None:
            out[id_valid_column(d.column.name)] = d.per_row(d.id_valid)
    for name, array in raws.items():
        out[RAW_PREFIX + name] = array
    return pa.table(out)


def _problems(raw: pa.Table, columns: list[V.Distinct], failing: list, bad: np.ndarray) -> pa.Array:
    """The list of problems of each bad row (null for a good one): the reader's first, then each
    failing column's in the schema's order."""
    at = np.flatnonzero(bad)
    lists: dict[int, list[dict]] = {int(i): [] for i in at}
    read_error = _column(raw, "_read_error")
    if read_error.null_count < len(read_error):
        read_raw = _column(raw, "_read_raw")
        rows = np.flatnonzero(V.present(read_error))
        reasons = read_error.take(pa.array(rows)).to_pylist()
        texts = read_raw.take(pa.array(rows)).to_pylist()
        for i, reason, text in zip(rows.tolist(), reasons, texts, strict=True):
            lists[i].append({"column": None, "reason": reason, "raw_value": V.shown(text)})
    for j, rows_bad in failing:
        d = columns[j]
        rows = np.flatnonzero(rows_bad)
        positions = d.indices[rows]
        reasons = d.why.take(pa.array(positions)).to_pylist()
        texts = d.shown_at(positions)
        name = d.column.name
        for i, reason, text in zip(rows.tolist(), reasons, texts, strict=True):
            lists[i].append({"column": name, "reason": reason, "raw_value": text})
    if not len(at):
        return pa.nulls(len(bad), pa.list_(PROBLEM))
    flat = pa.array([p for i in at for p in lists[int(i)]], PROBLEM)
    counts = np.zeros(len(bad), dtype=np.int32)
    counts[at] = [len(lists[int(i)]) for i in at]
    offsets = np.zeros(len(bad) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flat, mask=pa.array(~bad))


def with_id_validity(df, schema: Schema):
    """`df` plus `<column>__id_valid` for each id_checksum check: whether the ID passes the
    standardizer (checksum, dates, region), null where the ID itself is empty so that the
    gate's rate counts non-empty IDs only. `df` is an Arrow table or a Spark DataFrame."""
    checked = [chk.column for chk in schema.checks if chk.kind == "id_checksum"]
    if not isinstance(df, pa.Table):
        from pyspark.sql import functions as F

        from pipelines.standardize.spark import id_valid_col

        valid = {id_valid_column(c): F.when(F.col(c).isNotNull(), id_valid_col(c)) for c in checked}
        return df.withColumns(valid) if valid else df
    for name in checked:
        d = V.id_validity(df.column(name).combine_chunks())
        V.resolve([d], None)
        df = df.append_column(id_valid_column(name), d.id_valid.take(pa.array(d.indices)))
    return df


def _order(table: pa.Table, file_column: str, row_column: str) -> np.ndarray:
    """Row positions by file name (as bytes), then line: the order Spark's orderBy gives."""
    files = _whole(table.column(file_column)).dictionary_encode()
    names = files.dictionary.to_pylist()
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=lambda i: names[i].encode())] = np.arange(len(names))
    file_rank = rank[files.indices.to_numpy(zero_copy_only=False)] if len(names) else np.zeros(0, np.int64)
    rows = _whole(table.column(row_column))
    line = pc.fill_null(rows, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)  # nulls first
    if len(names) == 1 and (len(line) < 2 or bool((line[1:] > line[:-1]).all())):
        return np.arange(len(line))  # one file, already in line order (as read)
    return np.lexsort((line, file_rank))


def split(checked: pa.Table, schema: Schema) -> tuple[pa.Table, pa.Table]:
    """Clean rows (the first of each key, by file and line) and quarantined rows (one per bad
    row, its first problem), each sorted by file and line."""
    order = _order(checked, "_file", "_row")
    ok = _whole(checked.column("_row_ok")).to_numpy(zero_copy_only=False)
    good = order[ok[order]]
    keys = _gather(_whole(checked.column("record_key")), good).dictionary_encode()
    codes = keys.indices.to_numpy(zero_copy_only=False)
    # codes number the keys in the order they first appear: a row is its key's first when its
    # code is above every code before it, and the c-th such row is where code c first is
    seen = np.maximum.accumulate(codes) if len(codes) else codes
    is_first = np.ones(len(codes), dtype=bool)
    is_first[1:] = codes[1:] > seen[:-1]
    first_at = np.flatnonzero(is_first)
    typed = [c.name for c in schema.columns]
    keep = good[is_first]
    clean = checked.select([*typed, "record_key", *META])
    if not _identity(keep, checked.num_rows):
        clean = clean.take(pa.array(keep))

    dupes = np.flatnonzero(~is_first)
    firsts = good[first_at[codes[dupes]]]
    dupe_rows = good[dupes]
    same = _same_content(checked, schema, dupe_rows, firsts)
    bad = np.flatnonzero(~ok)
    problems = _whole(checked.column("_problems")).take(pa.array(bad))
    first_problem = pc.list_element(problems, 0) if len(bad) else pa.nulls(0, PROBLEM)
    key_name = "|".join(schema.key)
    quarantine = pa.table({
        "source": _take_both(checked, "_source", bad, dupe_rows),
        "as_of": _take_both(checked, "_as_of", bad, dupe_rows),
        "file": _take_both(checked, "_file", bad, dupe_rows),
        "row": _take_both(checked, "_row", bad, dupe_rows),
        "column": pa.concat_arrays([pc.struct_field(first_problem, "column"),
                                    pa.array([key_name] * len(dupe_rows), pa.string())]),
        "reason": pa.concat_arrays([pc.struct_field(first_problem, "reason"),
                                    pa.array(["DUPLICATE_ROW" if s else "DUPLICATE_KEY" for s in same],
                                             pa.string())]),
        "raw_value": pa.concat_arrays([pc.struct_field(first_problem, "raw_value"),
                                       _whole(checked.column("record_key"))
                                       .take(pa.array(dupe_rows, pa.int64())).cast(pa.string())]),
    })
    quarantine = quarantine.take(pa.array(_order(quarantine, "file", "row")))
    return clean, quarantine


def _identity(positions: np.ndarray, n: int) -> bool:
    """Whether the positions are every row, in order."""
    return len(positions) == n and bool((positions == np.arange(n)).all())


def _gather(array: pa.Array, positions: np.ndarray) -> pa.Array:
    return array if _identity(positions, len(array)) else array.take(pa.array(positions))


def _take_both(table: pa.Table, name: str, first: np.ndarray, second: np.ndarray) -> pa.Array:
    column = _whole(table.column(name))
    return pa.concat_arrays([column.take(pa.array(first, pa.int64())),
                             column.take(pa.array(second, pa.int64()))])


def _same_content(checked: pa.Table, schema: Schema, rows: np.ndarray, firsts: np.ndarray) -> list[bool]:
    """Whether each row's raw values are its first's: the non-empty ones, in order (a hash of
    the row's raw values that skips the empty ones, as Spark's xxhash64 is, would say the same)."""
    if not len(rows):
        return []
    names = [RAW_PREFIX + c.name for c in schema.columns]
    mine = checked.select(names).take(pa.array(rows, pa.int64())).to_pylist()
    theirs = checked.select(names).take(pa.array(firsts, pa.int64())).to_pylist()
    return [[v for v in a.values() if v is not None] == [v for v in b.values() if v is not None]
            for a, b in zip(mine, theirs, strict=True)]
