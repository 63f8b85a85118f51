"""JSON Lines (.jsonl, .ndjson) into text columns: one object per line, numbered by its line.

Decisions: the header is the union of the objects' keys in first-seen order, and a key an
object lacks is null there; a line that is not valid JSON, or not an object, is a bad row
BAD_JSON with its text; blank lines are skipped (counted in notes). Values as text: strings as
written ("" is null), numbers as written in the file, booleans "true"/"false", nested arrays
and objects as compact JSON. Any of UTF-8, GBK and GB18030 is read, as for CSV.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from pipelines.errors import InputError
from pipelines.sources import extract as ex
from pipelines.sources.charset import decode, is_blank, refuse_non_text
from pipelines.sources.extract import BadRow, RawExtract


def read_jsonl(path: Path, declared_encoding: str | None = None) -> RawExtract:
    data = path.read_bytes()
    if is_blank(data):
        raise InputError(f"{path}: the file is empty (expected one JSON object per line)")
    refuse_non_text(data, path, "JSON Lines")
    decoded = decode(data, path, declared_encoding)
    del data
    keys: dict[str, None] = {}
    objects: list[dict] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    blanks = 0
    for number, line in enumerate(decoded.text.decode("utf-8").split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            blanks += 1
            continue
        try:
            obj = json.loads(line, parse_float=Decimal)
        except (ValueError, RecursionError):
            obj = None
        if not isinstance(obj, dict):
            bad.append(BadRow(number, ex.BAD_JSON, ex.clip(line)))
            continue
        keys.update(dict.fromkeys(obj))
        objects.append(obj)
        lines.append(number)
    header = list(keys)
    columns = [
        pa.array([_text(obj.get(key)) for obj in objects], type=pa.string()) for key in header
    ]
    notes = list(decoded.notes)
    if decoded.text.endswith(b"\n"):
        blanks -= 1  # the final line break ends the last line; it does not start a blank one
    if blanks:
        notes.append(f"{blanks} blank line(s) skipped (not rows)")
    return RawExtract(
        path,
        header,
        columns,
        pa.array(lines, type=pa.int64()),
        decoded.encoding,
        "jsonl",
        bad,
        notes,
    )


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):  # NaN and Infinity, which Python's json accepts
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=float)
