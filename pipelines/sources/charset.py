"""Which encoding a text extract is in (UTF-8, GBK or GB18030), and its text as UTF-8 bytes.

Agencies' files come in all three, often with the wrong one declared, and now and then with a
line of bytes that no encoding decodes (a truncated write, a record pasted from elsewhere).
The bytes decide:
1. a UTF-8 BOM followed by valid UTF-8 → "utf-8-bom"; valid UTF-8 → "utf-8" (pure ASCII is
   reported as UTF-8 and never conflicts with a declaration, being valid in all three);
2. otherwise GBK → "gbk"; once a line needs a character GBK lacks (such as 䶮 or 𠀀), the rest
   is read as GB18030 → "gb18030" (GB18030 decodes everything GBK does, to the same characters);
3. otherwise no encoding decodes every line. No character of the three spans a line break, so
   each line decodes or fails on its own: the file is read in the encoding (UTF-8, or GBK and
   GB18030 as in 2) that decodes the most lines, as long as it fails on at most half of them.
   On a tie UTF-8 wins, unless GBK or GB18030 is declared and there is no BOM. Each line it
   cannot decode is listed in `undecodable` (line, byte offset, the line's bytes) for the
   reader to quarantine; in `text` the line keeps its place, its bad bytes read as U+FFFD;
4. when every encoding fails on more than half of the lines, InputError names the first line
   that cannot be decoded in the encoding that reads furthest (line, byte offset, bytes).
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
# after a line that fails, decode 64 KB at a time (doubling back to CHUNK while clean): a
# decoder sizes its output for its whole input, so each failure must not cost 16 MB
SMALL_CHUNK = 1 << 16
SNIFF = 1024
# An encoding that fails on more than this share of a file's lines is not the file's encoding:
# the file is refused instead of quarantining most of it line by line.
MAX_UNDECODABLE_SHARE = 0.5

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


@dataclass(frozen=True)
class Undecodable:
    """A line holding bytes the file's encoding cannot decode; offsets count from the file's
    first byte (a BOM included)."""

    line: int  # physical line, 1-based; \n, \r\n or a lone \r ends a line, as for the CSV parser
    offset: int  # the first byte that cannot be decoded
    start: int  # the line's first byte
    end: int  # just past the line's last byte (its line break excluded)
    sample: bytes  # up to 4 bytes from `offset`, for messages


@dataclass
class Decoded:
    text: bytes | bytearray  # the file's text as UTF-8, without a BOM
    encoding: str
    notes: list[str] = field(default_factory=list)
    undecodable: list[Undecodable] = field(default_factory=list)  # in line order
    source: bytes = b""  # the file's bytes, kept only when a line is undecodable

    def raw_lines(self, first: int, last: int) -> bytes:
        """The file's bytes of physical lines first..last (the breaks between them kept), a
        span holding an undecodable line: a record with a quoted line break may span more."""
        anchor = next(u for u in self.undecodable if first <= u.line <= last)
        src = self.source
        floor = len(UTF8_BOM) if src.startswith(UTF8_BOM) else 0
        start, stop = anchor.start, anchor.end
        for _ in range(anchor.line - first):
            if start <= floor:
                break
            end = start - 1  # the line break before this line
            if src[end] == 0x0A and end > floor and src[end - 1] == 0x0D:
                end -= 1
            start = _line_start(src, end, floor)
        for _ in range(last - anchor.line):
            if stop >= len(src):
                break
            stop = _line_end(src, stop + (2 if src[stop : stop + 2] == b"\r\n" else 1))
        return src[start:stop]


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
    """The text as UTF-8 bytes, the encoding the bytes are in, notes on the declaration, and
    the lines that cannot be decoded."""
    notes: list[str] = []
    bom = data.startswith(UTF8_BOM)
    base = len(UTF8_BOM) if bom else 0
    body = data[base:] if bom else data
    declared_family = family(declared)
    if declared_family == "unknown":
        notes.append(
            f"declared encoding {declared!r} is not one this reader knows (UTF-8, GBK, GB18030)"
        )
    if _valid_utf8(body):
        if body.isascii():
            return Decoded(body, "utf-8-bom" if bom else "utf-8", notes)
        if not bom and declared_family in ("gbk", "gb18030"):
            declared_reading = _Reading(body, declared_family, base, upgrade=False)
            if declared_reading.run(0):
                notes.append(
                    f"the bytes are valid as both UTF-8 and {declared_family.upper()}; "
                    f"read as {declared_family} as declared"
                )
                return Decoded(declared_reading.text, declared_family, notes)
        encoding = "utf-8-bom" if bom else "utf-8"
        if declared_family in ("gbk", "gb18030"):
            notes.append(f"declared encoding {declared} but file is {encoding}")
        return Decoded(body, encoding, notes)
    gb = _Reading(body, "gbk", base)
    if gb.run(0):
        return Decoded(gb.text, gb.encoding, notes + _gb_notes(gb, bom, declared, declared_family))
    return _with_undecodable_lines(data, body, base, path, gb, declared, declared_family, notes)


def _with_undecodable_lines(
    data, body, base, path, gb, declared, declared_family, notes
) -> Decoded:
    """Steps 3 and 4 of the module's docstring: no encoding decodes every line."""
    bom = base > 0
    utf = _Reading(body, "utf-8", base)
    if utf.run(0):  # Arrow and Python disagree on what is UTF-8: the codec has the last word
        return Decoded(utf.text, "utf-8-bom" if bom else "utf-8", notes)
    preferred = gb if declared_family in ("gbk", "gb18030") and not bom else utf
    # The reading whose first bad line comes later goes on first: it is the likely winner, and
    # the other can stop as soon as it has failed on as many lines. The first one reads to
    # the end, so the lines are counted only from its last bad line on.
    first, second = sorted((utf, gb), key=lambda r: (-r.bad[0].line, r is not preferred))
    first.run(len(body))
    lines = first.lines()
    most = int(lines * MAX_UNDECODABLE_SHARE)
    if len(first.bad) <= most:
        winner = second if second.run(len(first.bad) - (first is preferred)) else first
    elif second.run(most):
        winner = second
    else:
        u = first.bad[0]
        raise InputError(
            f"{path}: not text in UTF-8, GBK or GB18030 (line {u.line}, byte {u.offset}: "
            f"{u.sample.hex(' ')} cannot be decoded; more than half of its {lines} lines "
            f"fail in each of them)"
        )
    if winner is utf:
        encoding = "utf-8-bom" if bom else "utf-8"
        if declared_family in ("gbk", "gb18030"):
            notes.append(f"declared encoding {declared} but file is {encoding}")
    else:
        encoding = gb.encoding
        notes += _gb_notes(gb, bom, declared, declared_family)
    bad = winner.bad
    where = ", ".join(str(u.line) for u in bad[:5]) + (", …" if len(bad) > 5 else "")
    notes.append(
        f"{len(bad)} line(s) hold bytes that cannot be decoded as {encoding} (line {where}; "
        f"first at byte {bad[0].offset}): each is quarantined, its bytes kept in hex"
    )
    return Decoded(winner.text, encoding, notes, list(bad), data)


def _gb_notes(
    gb: _Reading, bom: bool, declared: str | None, declared_family: str | None
) -> list[str]:
    notes = ["the file starts with a UTF-8 BOM but is not UTF-8"] if bom else []
    if gb.encoding == "gbk":
        if declared_family == "utf-8":
            notes.append(f"declared encoding {declared} but file is gbk")
    elif declared_family in ("utf-8", "gbk"):
        notes.append(
            f"declared encoding {declared} but file is gb18030 "
            f"(first character outside GBK on line {gb.outside_gbk})"
        )
    else:
        notes.append(f"gb18030: first character outside GBK on line {gb.outside_gbk}")
    return notes


class _Reading:
    """A body decoded in one encoding, chunk by chunk, each chunk ending at a line break.

    `run(k)` decodes on until the end (True) or until more than k lines have failed (False),
    and can be called again with a larger k to go on. A clean chunk costs one strict decode
    (no Python per line); a failing line is found from the decoder's error offset, written
    with U+FFFD for its bad bytes, and listed in `bad`. A GBK reading switches to GB18030 at
    the first line that only GB18030 decodes (`outside_gbk`), as GB18030 reads the lines
    before it to the same characters.
    """

    def __init__(self, body: bytes, encoding: str, base: int, upgrade: bool = True):
        self.body, self.encoding, self.base = body, encoding, base
        self.upgrade = upgrade and encoding == "gbk"
        self.text = bytearray()
        self.bad: list[Undecodable] = []
        self.outside_gbk: int | None = None
        self._pos = 0  # the body before this byte is in `text`
        self._chunk = CHUNK
        self._line, self._counted = 1, 0  # the line number at byte `_counted`, a line start

    def lines(self) -> int:
        """The body's physical lines (once `run` has reached the end)."""
        ends_with_break = self.body.endswith((b"\n", b"\r"))
        return self._line + count_breaks(self.body, self._counted) - ends_with_break

    def run(self, max_bad: int) -> bool:
        body, view = self.body, memoryview(self.body)
        while len(self.bad) <= max_bad:
            pos = self._pos
            if pos >= len(body):
                return True
            end = _chunk_end(body, pos, self._chunk)
            try:
                self.text += codecs.decode(view[pos:end], self.encoding).encode("utf-8")
                self._pos, self._chunk = end, min(self._chunk * 2, CHUNK)
                continue
            except UnicodeDecodeError as exc:
                at = pos + exc.start
            self._chunk = SMALL_CHUNK
            start, stop = _line_start(body, at, 0), _line_end(body, at)
            self.text += codecs.decode(view[pos:start], self.encoding).encode("utf-8")
            self._line += count_breaks(body, self._counted, start)
            self._counted = self._pos = start
            if self.upgrade and _decodes(view[start:stop], "gb18030"):
                self.encoding, self.upgrade, self.outside_gbk = "gb18030", False, self._line
                continue
            b, sample = self.base, body[at : min(at + 4, stop)]
            self.bad.append(Undecodable(self._line, b + at, b + start, b + stop, sample))
            self.text += codecs.decode(view[start:stop], self.encoding, "replace").encode("utf-8")
            self._pos = stop
        return False


def _chunk_end(body: bytes, pos: int, size: int) -> int:
    """Just past the first line break at least `size` bytes on (no character spans a break)."""
    at = pos + size
    if at >= len(body):
        return len(body)
    lf = body.find(b"\n", at)
    cr = body.find(b"\r", at, lf if lf != -1 else len(body))
    if lf == -1 and cr == -1:
        return len(body)
    return (cr if cr != -1 else lf) + 1


def _line_start(data: bytes, at: int, floor: int) -> int:
    """The first byte of the line holding byte `at` (which is not a line break)."""
    lf = data.rfind(b"\n", floor, at)
    return max(lf, data.rfind(b"\r", max(lf, floor), at), floor - 1) + 1


def _line_end(data: bytes, at: int) -> int:
    """Just past the last byte of the line holding byte `at`, its line break excluded."""
    lf = data.find(b"\n", at)
    cr = data.find(b"\r", at, lf if lf != -1 else len(data))
    if cr != -1:
        return cr
    return lf if lf != -1 else len(data)


def _decodes(data, encoding: str) -> bool:
    try:
        codecs.decode(data, encoding)
    except UnicodeDecodeError:
        return False
    return True


def _valid_utf8(data: bytes) -> bool:
    # Arrow's validator is SIMD: ~10x faster than bytes.decode and builds no str.
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def count_breaks(data: bytes | bytearray, start: int = 0, end: int | None = None) -> int:
    """Line breaks (\\n, \\r\\n or a lone \\r, as the CSV parser sees them) in data[start:end]."""
    end = len(data) if end is None else end
    crs = data.count(b"\r", start, end)
    lfs = data.count(b"\n", start, end)
    return lfs + crs - (data.count(b"\r\n", start, end) if crs else 0)
