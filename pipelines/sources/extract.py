"""What every file reader returns: the header as written, text columns, exact lines, bad rows.

A row is either returned (in `columns`, with its line in `lines`) or quarantined (in
`bad_rows`, with its line, reason and raw text); blank lines are neither and are only counted
in `notes`. So rows in the file = `num_rows` + `len(bad_rows)`, for every format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

# Reason codes of rows that cannot be read as rows (the validator adds its own for values).
TOO_MANY_FIELDS = "TOO_MANY_FIELDS"  # more cells than the header
TOO_FEW_FIELDS = "TOO_FEW_FIELDS"  # fewer cells than the header (e.g. a truncated last line)
UNTERMINATED_QUOTE = "UNTERMINATED_QUOTE"  # the file ends inside a quoted value
NUL_BYTE = "NUL_BYTE"  # a NUL character inside the row (corruption, never valid text)
FORMULA_CELL = "FORMULA_CELL"  # an Excel cell whose text starts with "=" (never evaluated)
BAD_JSON = "BAD_JSON"  # a JSON Lines line that is not a JSON object
# a line with bytes the file's encoding cannot decode; its raw text is the line's bytes in hex
UNDECODABLE_BYTES = "UNDECODABLE_BYTES"

# A quarantined row keeps at most this many characters of its raw text (a 10 MB runaway quote
# must not be copied into every report).
RAW_LIMIT = 4000


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str
    raw: str


@dataclass
class RawExtract:
    """One extract file as text: header cells in order, one string column per header cell."""

    path: Path
    header: list[str]
    columns: list[pa.Array]
    lines: pa.Array
    encoding: str
    format: str
    bad_rows: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return len(self.lines)

    def to_table(self) -> pa.Table:
        """Columns named by the header as written (Arrow allows the duplicates a file may have)."""
        return pa.Table.from_arrays(self.columns, names=list(self.header))


def clip(raw: str) -> str:
    """Raw text of a bad row, cut to RAW_LIMIT characters with the full length said."""
    if len(raw) <= RAW_LIMIT:
        return raw
    return f"{raw[:RAW_LIMIT]}…[cut: {len(raw)} characters in all]"


def empty_extract(path: Path, header: list[str], encoding: str, fmt: str) -> RawExtract:
    return RawExtract(
        path=path,
        header=header,
        columns=[pa.array([], type=pa.string()) for _ in header],
        lines=pa.array([], type=pa.int64()),
        encoding=encoding,
        format=fmt,
    )


NOT_SIMPLE = object()


def simple_text(value) -> str | None | object:
    """The text cell for a value every reader writes the same way: nothing, text (empty text is
    nothing), a boolean as `true`/`false`, an integer or decimal as its digits. Anything else
    gives `NOT_SIMPLE`, for the reader's own rule (Excel dates, JSON objects, floats)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return NOT_SIMPLE
