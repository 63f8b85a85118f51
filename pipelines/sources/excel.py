"""Excel .xlsx into text columns, each row numbered as Excel shows it.

openpyxl in read-only mode with `data_only=False`: a formula is read as its text, never
evaluated and never replaced by a cached result. Decisions:
- the first sheet, or the one named; the first row with any value is the header (trailing
  empty header cells dropped), cells as written;
- text of values: dates `YYYY-MM-DD` (a datetime keeps ` HH:MM:SS` unless it is midnight),
  times `HH:MM:SS`, integers without ".0", other floats as Python's shortest repr, booleans
  "true"/"false"; a date typed as a number (an Excel serial such as 45000) is a number cell
  and stays "45000" — the validator parses serials; empty cells and "" are null;
- a number too large for a float to hold exactly (an ID typed as a number) keeps its float
  text (e.g. "5.001031950010110e+17") so validation rejects it, and a note says so;
- a cell whose text starts with "=" (a formula, or text that a spreadsheet would run as one)
  quarantines its row as FORMULA_CELL; the raw text keeps the formula exactly, so whatever
  writes it back into a spreadsheet must escape it (a leading apostrophe);
- a value beyond the header's last column makes the row TOO_MANY_FIELDS; empty rows are
  skipped (counted in notes) and the rows after keep their Excel row numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pyarrow as pa

from pipelines.errors import InputError
from pipelines.sources import extract as ex
from pipelines.sources.charset import refuse_non_text
from pipelines.sources.extract import BadRow, RawExtract

EXACT_FLOAT = 2**53


def read_xlsx(path: Path, sheet: str | None = None) -> RawExtract:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as fh:
        head = fh.read(1024)
    if not head:
        raise InputError(f"{path}: the file is empty (expected an Excel .xlsx workbook)")
    if not head.startswith(b"PK\x03\x04"):
        refuse_non_text(head, path, "Excel .xlsx")
        raise InputError(
            f"{path}: not an Excel .xlsx workbook (not a zip archive); is it a CSV named .xlsx?"
        )
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable Excel .xlsx workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                f"{path}: no sheet named {sheet!r}; sheets: {', '.join(book.sheetnames)}"
            )
        if not book.worksheets:
            raise InputError(f"{path}: the workbook has no worksheet")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # some writers record a wrong size; read every row there is
        return _rows_to_extract(path, ws.iter_rows(values_only=True), ws.title)
    finally:
        book.close()


def _rows_to_extract(path: Path, rows, title: str) -> RawExtract:
    header: list[str] | None = None
    width = 0
    cells: list[list[str | None]] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    notes: list[str] = []
    blanks = 0
    inexact: dict[int, int] = {}
    for number, values in enumerate(rows, start=1):
        texts = [_text(v, i, inexact) for i, v in enumerate(values)]
        while texts and texts[-1] is None:
            texts.pop()
        if header is None:
            if texts:
                header = ["" if t is None else t for t in texts]
                width = len(header)
            continue
        if not texts:
            blanks += 1
            continue
        if len(texts) > width:
            bad.append(BadRow(number, ex.TOO_MANY_FIELDS, ex.clip(_as_csv(texts))))
            continue
        if any(t is not None and t.startswith("=") for t in texts):
            bad.append(BadRow(number, ex.FORMULA_CELL, ex.clip(_as_csv(texts))))
            continue
        texts.extend([None] * (width - len(texts)))
        cells.append(texts)
        lines.append(number)
    if header is None:
        raise InputError(f"{path}: sheet {title!r} is empty (expected a header row and data rows)")
    if blanks:
        notes.append(f"{blanks} empty row(s) skipped (not rows)")
    for column, count in sorted(inexact.items()):
        name = header[column] if column < width else f"column {column + 1}"
        notes.append(
            f"{name}: {count} number(s) too long for Excel to hold exactly (IDs typed as numbers?); "
            f"kept as float text"
        )
    notes.append(f"sheet {title!r}")
    columns = [pa.array([row[i] for row in cells], type=pa.string()) for i in range(width)]
    return RawExtract(
        path, header, columns, pa.array(lines, type=pa.int64()), "utf-8", "xlsx", bad, notes
    )


def _text(value, column: int, inexact: dict[int, int]) -> str | None:
    if (text := ex.simple_text(value)) is not ex.NOT_SIMPLE:
        return text
    if isinstance(value, float):
        if value.is_integer() and abs(value) < EXACT_FLOAT:
            return str(int(value))
        if value.is_integer():
            inexact[column] = inexact.get(column, 0) + 1
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    text = getattr(value, "text", None)  # array formulas
    if isinstance(text, str):
        return text
    if type(value).__name__ == "DataTableFormula":
        return "=TABLE()"
    return str(value)


def _as_csv(cells: list[str | None]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(["" if c is None else c for c in cells])
    return out.getvalue()
