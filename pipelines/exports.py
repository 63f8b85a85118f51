"""Files people open in a spreadsheet: every cell neutralised against formula injection.

Excel, LibreOffice and Google Sheets run a text cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return as a formula: a quarantined value `=HYPERLINK("http://x","q")` becomes a
link that leaks or lures the moment the data owner opens the file. OWASP's rule: such a cell
gets a leading single quote, which the spreadsheet reads as "this is text" and does not show.
Every CSV (and, later, Excel) export writes its cells through `safe_cell`; numbers written as
numbers are left alone, so a negative balance stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipelines.storage import atomic_path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# UTF-8 with a byte-order mark: without it Excel on Windows reads the Chinese as GBK.
CSV_ENCODING = "utf-8-sig"


def safe_cell(value: object) -> object:
    """`value` as a spreadsheet cell may hold it: text starting with = + - @ tab or CR gets a
    leading `'`; other text, numbers, dates and None are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """A CSV for a spreadsheet (UTF-8 with BOM), every cell through `safe_cell`, None as an
    empty cell; written to a temporary file and renamed, so no half file is ever left."""
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", encoding=CSV_ENCODING, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return path
