"""JSON Lines (.jsonl, .ndjson) into text columns: one object per line, numbered by its line.

Decisions: the header is the union of the objects' keys in first-seen order, and a key an
object lacks is null there; a line that is not valid JSON, or not an object, is a bad row
BAD_JSON with its text; blank lines are skipped (counted in notes). Values as text: strings as
written ("" is null), numbers as written in the file, booleans "true"/"false", nested arrays
and objects as compact JSON. Any of UTF-8, GBK and GB18030 is read, as for CSV, and a line
the file's encoding cannot decode is a bad row UNDECODABLE_BYTES, its raw text the line's
bytes in hex.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from pipelines.errors import InputError
from pipelines.sources import extract as ex
from pipelines.sources.charset import UTF8_BOM, Decoded, decode, is_blank, refuse_non_text
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
    undecodable = _undecodable_lines(decoded)
    blanks = 0
    for number, line in enumerate(decoded.text.decode("utf-8").split("\n"), start=1):
        line = line.removesuffix("\r")
        if number in undecodable:
            bad.append(BadRow(number, ex.UNDECODABLE_BYTES, ex.clip(undecodable[number].hex())))
            continue
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


def _undecodable_lines(decoded: Decoded) -> dict[int, bytes]:
    """The bytes of each line holding undecodable bytes, by line number. A JSON Lines line ends
    at \\n only, where `charset` counts a lone \\r as a break too, so lines are counted here."""
    src = decoded.source
    floor = len(UTF8_BOM) if src.startswith(UTF8_BOM) else 0
    out: dict[int, bytes] = {}
    number, counted = 1, floor
    for u in decoded.undecodable:
        number += src.count(b"\n", counted, u.offset)
        counted = u.offset
        if number not in out:
            start = max(src.rfind(b"\n", floor, u.offset) + 1, floor)
            end = src.find(b"\n", u.offset)
            out[number] = src[start : len(src) if end == -1 else end].removesuffix(b"\r")
    return out


def _text(value) -> str | None:
    if (text := ex.simple_text(value)) is not ex.NOT_SIMPLE:
        return text
    if isinstance(value, float):  # NaN and Infinity, which Python's json accepts
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=float)
