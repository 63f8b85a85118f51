"""Which encoding a text extract is in (UTF-8, GBK or GB18030), and its text as UTF-8 bytes.

Agencies' files come in all three, often with the wrong one declared. The bytes decide:
1. a UTF-8 BOM followed by valid UTF-8 → "utf-8-bom"; valid UTF-8 → "utf-8" (pure ASCII is
   reported as UTF-8 and never conflicts with a declaration, being valid in all three);
2. otherwise strict GBK → "gbk"; otherwise strict GB18030 → "gb18030" (a file needs GB18030
   only for characters GBK lacks, such as 䶮 or 𠀀);
3. otherwise the file is not text and InputError names the first byte that fails.
A handful of Chinese characters can be valid as both UTF-8 and GBK; then a declared GBK or
GB18030 wins, and without a declaration UTF-8 does. A declaration that disagrees with the
bytes is reported in `notes`, never trusted over them.

Before any of that, files that are plainly something else are refused by name: HTML pages
(portals save their export page), Excel workbooks and Parquet files with a text suffix,
UTF-16 text, binary data.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.errors import InputError

UTF8_BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 24  # transcode 16 MB at a time: the decoded str never holds the whole file
SNIFF = 1024

FAMILY = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf_8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-8-bom": "utf-8",
    "utf8-bom": "utf-8",
    "ascii": "utf-8",
    "gbk": "gbk",
    "cp936": "gbk",
    "ms936": "gbk",
    "936": "gbk",
    "gb2312": "gbk",
    "euc-cn": "gbk",
    "gb18030": "gb18030",
}
HTML_MARKERS = (b"<!doctype html", b"<html", b"<table")
CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 26))


@dataclass
class Decoded:
    text: bytes | bytearray  # the file's text as UTF-8, without a BOM
    encoding: str
    notes: list[str] = field(default_factory=list)


def is_blank(data: bytes) -> bool:
    """Nothing but whitespace (and a BOM): checked without copying a big file."""
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    head = data[start : start + SNIFF]
    if head and not head.isspace():
        return False
    return len(data) == start or data[start:].isspace()


def refuse_non_text(data: bytes, path: Path, what: str) -> None:
    """InputError for a file that is plainly not `what` (a CSV, a JSON Lines file)."""
    head = data[:SNIFF]
    lowered = head.lstrip(UTF8_BOM + b" \t\r\n").lower()
    if any(marker in lowered for marker in HTML_MARKERS):
        raise InputError(
            f"{path}: this is an HTML page, not a {what} file (a portal saved its web page "
            f"instead of the data; download the extract file itself)"
        )
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a zip archive or an Excel .xlsx workbook, not a {what} file; name it .xlsx or export it as {what}"
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path}: this is a legacy Excel .xls workbook, not a {what} file; save it as .xlsx or {what}"
        )
    if head.startswith(b"PAR1"):
        raise InputError(f"{path}: this is a Parquet file, not a {what} file; name it .parquet")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise InputError(
            f"{path}: this is UTF-16 text (Excel's 'Unicode text'), expected a {what} file in "
            f"UTF-8, GBK or GB18030; save it as CSV UTF-8"
        )
    if head and sum(head.count(c) for c in CONTROL) > max(len(head) // 20, 3):
        raise InputError(
            f"{path}: binary data, not a {what} file (not text in UTF-8, GBK or GB18030)"
        )


def _looks_utf16(head: bytes) -> bool:
    if len(head) < 16:
        return False
    # ASCII in UTF-16 puts a NUL in every other byte, and (almost) none in the others
    odd, even = head[1::2].count(0), head[0::2].count(0)
    return max(odd, even) > len(head) // 4 and min(odd, even) < len(head) // 32


def family(declared: str | None) -> str | None:
    if declared is None:
        return None
    return FAMILY.get(declared.strip().lower().replace(" ", ""), "unknown")


def decode(data: bytes, path: Path, declared: str | None = None) -> Decoded:
    """The text as UTF-8 bytes, the encoding the bytes are in, and notes on the declaration."""
    notes: list[str] = []
    body, bom = (data[len(UTF8_BOM) :], True) if data.startswith(UTF8_BOM) else (data, False)
    declared_family = family(declared)
    if declared_family == "unknown":
        notes.append(
            f"declared encoding {declared!r} is not one this reader knows (UTF-8, GBK, GB18030)"
        )
    if _valid_utf8(body):
        if body.isascii():
            return Decoded(body, "utf-8-bom" if bom else "utf-8", notes)
        if not bom and declared_family in ("gbk", "gb18030") and _strict(body, declared_family):
            notes.append(
                f"the bytes are valid as both UTF-8 and {declared_family.upper()}; "
                f"read as {declared_family} as declared"
            )
            return Decoded(_transcode(body, declared_family), declared_family, notes)
        encoding = "utf-8-bom" if bom else "utf-8"
        if declared_family in ("gbk", "gb18030"):
            notes.append(f"declared encoding {declared} but file is {encoding}")
        return Decoded(body, encoding, notes)
    if bom:
        notes.append("the file starts with a UTF-8 BOM but is not UTF-8")
    try:
        text = _transcode(body, "gbk")
        if declared_family == "utf-8":
            notes.append(f"declared encoding {declared} but file is gbk")
        return Decoded(text, "gbk", notes)
    except UnicodeDecodeError as exc:
        first_outside_gbk = exc.start
    try:
        text = _transcode(body, "gb18030")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}: not text in UTF-8, GBK or GB18030 (byte {exc.start + (3 if bom else 0)}, "
            f"line {line}: {body[exc.start : exc.start + 4].hex(' ')} cannot be decoded)"
        ) from None
    line = body.count(b"\n", 0, first_outside_gbk) + 1
    if declared_family in ("utf-8", "gbk"):
        notes.append(
            f"declared encoding {declared} but file is gb18030 "
            f"(first character outside GBK on line {line})"
        )
    else:
        notes.append(f"gb18030: first character outside GBK on line {line}")
    return Decoded(text, "gb18030", notes)


def _valid_utf8(data: bytes) -> bool:
    # Arrow's validator is SIMD: ~10x faster than bytes.decode and builds no str.
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _strict(data: bytes, encoding: str) -> bool:
    try:
        codecs.decode(data, encoding)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(data: bytes, encoding: str) -> bytearray:
    """Strict decode, 16 MB at a time, re-encoded as UTF-8; errors carry absolute offsets.

    The output grows in place (a bytearray), so the text is never held twice.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    out = bytearray()
    for start in range(0, len(data), CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            out += decoder.decode(
                data[start : start + CHUNK], final=start + CHUNK >= len(data)
            ).encode("utf-8")
        except UnicodeDecodeError as exc:
            offset = start - pending + exc.start
            raise UnicodeDecodeError(encoding, data, offset, offset + 1, exc.reason) from None
    return out


def count_breaks(data: bytes | bytearray, start: int = 0) -> int:
    """Line breaks (\\n, \\r\\n or a lone \\r, as the CSV parser sees them) from `start` on."""
    crs = data.count(b"\r", start)
    lfs = data.count(b"\n", start)
    return lfs + crs - (data.count(b"\r\n", start) if crs else 0)
