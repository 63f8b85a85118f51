"""Pulling a database table or query into one Parquet file, chunk by chunk.

SQLAlchemy opens the URL and streams the rows (`stream_results` with `yield_per`: a
server-side cursor where the database has one, SQLite's lazy cursor otherwise), and each
chunk of `chunk_rows` rows becomes one Parquet row group, so memory holds one chunk at a time
whatever the table's size. The file is written under a temporary name and renamed into place.

Types: each column keeps the type its values have in the first chunk — integers int64,
floats float64, booleans, dates date32 (dates stay dates), datetimes timestamp[us],
times time64[us], bytes binary — and everything else, including DECIMAL, is text (decimals as
their exact digits, never as binary floats). A later value that does not fit its column's
type (SQLite lets a column hold anything) turns that column into text, and the pull starts
again, so a column never silently loses a value. Columns that are null throughout the first
chunk are text. A table's values first go through SQLAlchemy's types for the table (so
SQLite DATE columns come back as dates); if that conversion fails on a bad stored value, the
pull is redone with the values as the database returns them, and a note says so.

Table names go through SQLAlchemy's reflection (`Table(..., autoload_with=...)`) and its
quoting, never into SQL text; URLs in messages have their password masked.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from pipelines.errors import ConfigError, InputError
from pipelines.sources.files import sha256_of
from pipelines.storage import atomic_path


@dataclass(frozen=True)
class PullResult:
    path: Path
    rows: int
    columns: list[str]
    sha256: str
    seconds: float
    notes: list[str] = field(default_factory=list)


class _Retype(Exception):
    def __init__(self, column: str):
        self.column = column


class _Untyped(Exception):
    def __init__(self, reason: str):
        self.reason = reason


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError, TypeError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", str(url))


def database_url(url: str | None, env: str | None = "WV_PULL_URL", file: Path | None = None) -> str:
    """The URL to pull from: `--url` (refused when it holds a password: the process list and the
    shell history would keep it), else the variable `env`, else the first line of `file`."""
    given = [name for name, v in (("--url", url), ("--url-file", file)) if v is not None]
    if len(given) > 1:
        raise InputError("give one of --url or --url-file (or the URL in the variable of --url-env)")
    if url is not None:
        if _password(url):
            raise InputError(f"--url {mask_url(url)}: holds a password, which the process list and "
                             f"the shell history would keep; put the URL in the variable "
                             f"{env or 'WV_PULL_URL'} or an owner-only file (--url-file)")
        return url
    if file is not None:
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--url-file {file}: cannot be read ({exc})") from None
        if mode & 0o077:
            raise InputError(f"--url-file {file}: readable by others (mode {mode:o}); chmod 600 it")
        if not lines or not lines[0].strip():
            raise InputError(f"--url-file {file}: empty (expected the URL on its first line)")
        return lines[0].strip()
    value = os.environ.get(env or "")
    if not value:
        raise InputError(f"no database URL: give --url (without a password), set the variable "
                         f"{env or 'WV_PULL_URL'} or give --url-file")
    return value


def pull_database(
    url: str,
    dest: Path,
    *,
    table: str | None = None,
    query: str | None = None,
    chunk_rows: int = 50_000,
    schema: str | None = None,
) -> PullResult:
    """Stream `table` (in `schema`, if given) or `query` from `url` into the Parquet file `dest`."""
    if (table is None) == (query is None):
        raise ConfigError("pull_database: give exactly one of table= or query=")
    if chunk_rows < 1:
        raise ConfigError(f"pull_database: chunk_rows must be at least 1 (got {chunk_rows})")
    where = mask_url(url)
    started = time.perf_counter()
    _refuse_missing_sqlite_file(url, where)
    try:
        engine = sa.create_engine(url)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ValueError, ImportError) as exc:
        raise InputError(
            f"{where}: not a database URL this installation can open ({_scrub(exc, url, where)})"
        ) from None
    dest = Path(dest)
    notes: list[str] = []
    text_columns: set[str] = set()
    typed = True
    try:
        while True:
            try:
                rows, names = _pull_once(
                    engine, where, dest, table, schema, query, chunk_rows, text_columns, typed
                )
                break
            except _Retype as retype:
                text_columns.add(retype.column)
                notes.append(
                    f"column {retype.column!r} holds values of mixed types; written as text"
                )
            except _Untyped as untyped:
                typed = False
                notes.append(
                    f"the table's declared types could not be applied ({untyped.reason}); values as stored"
                )
    finally:
        engine.dispose()
    return PullResult(dest, rows, names, sha256_of(dest), time.perf_counter() - started, notes)


def _pull_once(engine, where, dest, table, schema, query, chunk_rows, text_columns, typed):
    what = f"table {table!r}" if table is not None else f"query {query[:200]!r}"
    try:
        conn = engine.connect()
    except sa_exc.SQLAlchemyError as exc:
        raise InputError(f"{where}: cannot connect ({_scrub(exc, engine.url, where)})") from None
    try:
        with conn:
            streaming = conn.execution_options(stream_results=True, yield_per=chunk_rows)
            if table is not None:
                result = streaming.execute(_table_select(conn, table, schema, typed))
            else:  # the driver gets the query as written: no ":name" bind parsing, no rewriting
                result = streaming.exec_driver_sql(query)
            names = list(result.keys())
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise InputError(
                    f"{where}: {what} returns more than one column named {', '.join(dupes)}; alias them"
                )
            return _write(result, names, dest, chunk_rows, text_columns), names
    except sa_exc.NoSuchTableError:
        raise InputError(
            f"{where}: no table {table!r}{_in_schema(schema)}; tables there: {_tables(engine, schema)}"
        ) from None
    except sa_exc.SQLAlchemyError as exc:
        raise InputError(f"{where}: {what} failed: {_scrub(exc, engine.url, where)}") from None
    except (ValueError, TypeError) as exc:
        if typed and table is not None:
            raise _Untyped(str(exc)) from None
        raise InputError(f"{where}: {what}: a value could not be read ({exc})") from None


def _write(result, names, dest, chunk_rows, text_columns) -> int:
    """Each chunk one row group of `dest`, written under a temporary name and renamed."""
    rows = 0
    with atomic_path(dest) as tmp:
        writer = None
        try:
            for chunk in result.partitions(chunk_rows):
                columns = list(zip(*chunk, strict=True))
                if writer is None:
                    schema = pa.schema(
                        [
                            (n, pa.string() if n in text_columns else _infer(c))
                            for n, c in zip(names, columns, strict=True)
                        ]
                    )
                    writer = pq.ParquetWriter(tmp, schema, compression="snappy")
                arrays = [_array(c, f.type, f.name) for c, f in zip(columns, schema, strict=True)]
                writer.write_table(
                    pa.Table.from_arrays(arrays, schema=schema), row_group_size=chunk_rows
                )
                rows += len(chunk)
            if writer is None:
                writer = pq.ParquetWriter(tmp, pa.schema([(n, pa.string()) for n in names]))
        finally:
            if writer is not None:
                writer.close()
    return rows


def _scrub(exc: BaseException, url, where: str) -> str:
    """The error's text with the URL, and its password wherever it appears, masked."""
    text = str(getattr(exc, "orig", None) or exc)
    raw = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    text = text.replace(raw, where)
    for password in {_password(raw), getattr(url, "password", None)} - {None, ""}:
        text = text.replace(str(password), "***")
    return text


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except (sa_exc.ArgumentError, ValueError, TypeError):
        match = re.search(r"://[^:/@]*:([^@]*)@", url)
        return match.group(1) if match else None


def _refuse_missing_sqlite_file(url: str, where: str) -> None:
    """SQLite would create an empty database at a mistyped path; say the file is missing instead."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        return
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and not in_memory and not Path(database).is_file():
        raise InputError(f"{where}: no SQLite database file at {database}")


def _table_select(conn, table, schema, typed):
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
    if typed:
        return sa.select(reflected)
    # Values as the driver returns them: no SQLAlchemy result processing.
    return sa.select(
        *(sa.type_coerce(c, sa.types.NullType()).label(c.name) for c in reflected.columns)
    )


def _in_schema(schema: str | None) -> str:
    return f" in schema {schema!r}" if schema else ""


def _tables(engine, schema: str | None) -> str:
    try:
        names = sa.inspect(engine).get_table_names(schema=schema)
    except Exception:  # noqa: BLE001 - the listing only decorates the message
        return "(cannot list them)"
    return ", ".join(names[:30]) + (" …" if len(names) > 30 else "") if names else "(none)"


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime_tz" if value.tzinfo is not None else "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes"
    return "text"


KIND_TYPES = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "datetime": pa.timestamp("us"),
    "datetime_tz": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "time": pa.time64("us"),
    "bytes": pa.binary(),
}
FITS = {
    pa.bool_(): {"bool"},
    pa.int64(): {"int"},
    pa.float64(): {"int", "float"},
    pa.timestamp("us"): {"datetime"},
    pa.timestamp("us", tz="UTC"): {"datetime_tz"},
    pa.date32(): {"date"},
    pa.time64("us"): {"time"},
    pa.binary(): {"bytes"},
}


def _infer(values) -> pa.DataType:
    kinds = {_kind(v) for v in values if v is not None}
    if kinds == {"int", "float"}:
        kinds = {"float"}
    if len(kinds) != 1 or (kind := kinds.pop()) not in KIND_TYPES:
        return pa.string()
    if kind == "int" and any(not -(2**63) <= v < 2**63 for v in values if v is not None):
        return pa.string()
    return KIND_TYPES[kind]


def _array(values, kind: pa.DataType, name: str) -> pa.Array:
    if kind == pa.string():
        return pa.array([_text(v) for v in values], type=pa.string())
    allowed = FITS[kind]
    if any(v is not None and _kind(v) not in allowed for v in values):
        raise _Retype(name)
    try:
        return pa.array(
            [bytes(v) if isinstance(v, memoryview | bytearray) else v for v in values], type=kind
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        raise _Retype(name) from None


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat()
            if value.time() == dt.time(0) and value.tzinfo is None
            else value.isoformat(sep=" ")
        )
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    return str(value)
