"""CSV (or tab, pipe, semicolon separated text) into text columns, each row with its exact line.

Parsing is pyarrow's C++ reader, run serially: only the serial reader numbers the rows it
rejects, and on two cores it is as fast as the threaded one (about 0.3 s for 1M rows × 7).
Every record the parser meets is either a row or an invalid row, in file order, because empty
lines are not ignored (they come back as all-empty rows). Quoted values may hold line breaks
(RFC 4180; an address typed with Alt+Enter in Excel), so a record's first physical line is

    header lines + 1 + Σ (physical lines of the records before it)

where a record spans 1 + the line breaks inside its values (pyarrow keeps them as written).
When the file has exactly as many lines as records, every record is one line and the sum is
skipped. The total is checked against the file's own line count, so a line number is never a
guess. A line break is \\n, \\r\\n or a lone \\r, as the parser sees them.

Decisions:
- blank lines (nothing but the delimiters, or whitespace) are not rows: they are skipped, not
  quarantined, counted in `notes`, and the rows after them keep their true line numbers;
- a row with more or fewer cells than the header is a bad row TOO_MANY_FIELDS or
  TOO_FEW_FIELDS (a truncated last line is TOO_FEW_FIELDS);
- a file that ends inside a quoted value makes its last record a bad row UNTERMINATED_QUOTE;
- a row holding a NUL character is a bad row NUL_BYTE (its raw text is rebuilt as CSV);
- a row on a line the file's encoding cannot decode (`charset.decode` lists them) is a bad row
  UNDECODABLE_BYTES whatever else is wrong with it, its raw text the hex of the bytes of its
  physical lines; the other rows are read as usual. The undecodable line is parsed with its
  bad bytes as U+FFFD, so its quotes and delimiters still say where its record ends. A header
  that cannot be decoded refuses the file, naming the line and byte;
- raw texts show NUL as \\x00 and are cut at RAW_LIMIT characters;
- cells are kept exactly as written (spaces included); an empty cell is null;
- the header is the first non-blank record, cells as written (duplicates, stray spaces,
  full-width characters and a second BOM are the caller's to normalise); an Excel `sep=X`
  first line sets the delimiter; otherwise the delimiter is the first of , TAB | ; found in
  the header line.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pipelines.errors import InputError
from pipelines.sources import extract as ex
from pipelines.sources.charset import Decoded, count_breaks, decode, is_blank, refuse_non_text
from pipelines.sources.extract import BadRow, RawExtract

DELIMITERS = (",", "\t", "|", ";")
# 32 MB parser blocks (few chunks to combine); raised, and the parse redone, for a longer record
BLOCK = 1 << 25
HEADER_LIMIT = 1 << 20
BREAK = re.compile(rb"\r\n|\r|\n")
SEP_LINE = re.compile(r"^sep=(.)$")


def read_csv(
    path: Path, declared_encoding: str | None = None, delimiter: str | None = None
) -> RawExtract:
    data = path.read_bytes()
    if is_blank(data):
        raise InputError(f"{path}: the file is empty (expected a header row and data rows)")
    refuse_non_text(data, path, "CSV")
    decoded = decode(data, path, declared_encoding)
    del data
    text, encoding = decoded.text, decoded.encoding
    header, delimiter, offset, first_line, notes = _header(text, path, delimiter)
    if decoded.undecodable and (u := decoded.undecodable[0]).line < first_line:
        raise InputError(
            f"{path}: the header row (line {u.line}) cannot be decoded as {encoding} (byte "
            f"{u.offset}: {u.sample.hex(' ')}); expected column names in UTF-8, GBK or GB18030"
        )
    notes = decoded.notes + notes
    body_len = len(text) - offset
    if body_len == 0:
        out = ex.empty_extract(path, header, encoding, "csv")
        out.notes = notes
        return out
    columns, invalid = _parse(text, offset, len(header), delimiter, path)
    lines, keep, bad = _layout(
        path, text, offset, first_line, len(header), delimiter, columns, invalid, notes, decoded
    )
    del text, decoded  # the parsed columns no longer need the text: free it before combining
    for i, column in enumerate(columns):  # one column at a time, so the table is never held twice
        columns[i] = None
        columns[i] = (
            column.combine_chunks() if keep is None else column.filter(keep).combine_chunks()
        )
        del column
    return RawExtract(path, header, columns, lines, encoding, "csv", bad, notes)


def _header(
    text: bytes, path: Path, delimiter: str | None
) -> tuple[list[str], str, int, int, list[str]]:
    """Header cells, delimiter, byte offset of the first data record, its line, notes."""
    notes: list[str] = []
    prefix = text[: HEADER_LIMIT + 1].decode("utf-8", errors="ignore")
    lines = re.split(r"\r\n|\r|\n", prefix, maxsplit=64)
    skipped = 0
    if delimiter is None and (sep := SEP_LINE.match(lines[0])):
        delimiter, skipped = sep.group(1), 1
        notes.append(f"delimiter {delimiter!r} set by the file's first line 'sep={delimiter}'")
    if delimiter is None:
        first = next((line for line in lines if line.strip()), "")
        delimiter = next((d for d in DELIMITERS if d in first), ",")
        if delimiter != ",":
            notes.append(f"delimiter is {delimiter!r}, not a comma")
    start = _offset_after_lines(text, skipped) or 0
    reader = csv.reader(
        io.StringIO(prefix[len(text[:start].decode("utf-8")) :], newline=""), delimiter=delimiter
    )
    try:
        for record in reader:
            if record and any(cell.strip() for cell in record):
                break
        else:
            raise InputError(
                f"{path}: the file holds only blank lines (expected a header row and data rows)"
            )
    except csv.Error as exc:
        raise InputError(f"{path}: cannot read the header row ({exc})") from None
    used = skipped + reader.line_num
    offset = _offset_after_lines(text, used)
    if offset is None:
        raise InputError(
            f"{path}: the header row is longer than {HEADER_LIMIT} bytes; is this a CSV file?"
        )
    return record, delimiter, offset, used + 1, notes


def _offset_after_lines(text: bytes, n: int) -> int | None:
    """Byte offset just past the n-th line break (end of text if it ends sooner), in the prefix."""
    pos, limit = 0, min(len(text), HEADER_LIMIT + 2)
    for _ in range(n):
        match = BREAK.search(text, pos, limit)
        if match is None:
            return len(text) if limit == len(text) else None
        pos = match.end()
    return pos


def _parse(
    text: bytes, offset: int, width: int, delimiter: str, path: Path
) -> tuple[list[pa.ChunkedArray], list[tuple[int, int, str]]]:
    """The parsed columns (one per header cell) and the invalid records (number, cells, text)."""
    names = [f"f{i}" for i in range(width)]
    invalid: list[tuple[int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    body = pa.py_buffer(text).slice(offset)
    block = BLOCK
    while True:
        invalid.clear()
        try:
            table = pacsv.read_csv(
                pa.BufferReader(body),
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=block, column_names=names
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    check_utf8=False,  # validated (or produced) by the decoder
                ),
            )
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block <= len(body):
                block = min(max(block * 4, len(body) + 1), (1 << 31) - 1)
                continue
            raise InputError(f"{path}: cannot be parsed as CSV ({exc})") from None
        break
    if any(number is None or number < 1 for number, _, _ in invalid):
        raise InputError(
            f"{path}: the CSV parser did not number its invalid rows; cannot give exact lines"
        )
    columns = table.columns
    del table
    pa.default_memory_pool().release_unused()  # the parser's scratch memory, before the next step
    return columns, invalid


def _layout(path, text, offset, first_line, width, delimiter, columns, invalid, notes, decoded):
    """Line of each row kept, which parsed rows are kept (None: all), the bad rows; adds notes."""
    n_valid = len(columns[0]) if columns else 0
    records = n_valid + len(invalid)
    is_invalid = np.zeros(records, dtype=bool)
    is_invalid[np.array([number for number, _, _ in invalid], dtype=np.int64) - 1] = True
    valid_at = np.flatnonzero(~is_invalid)
    if len(valid_at) != n_valid:
        raise InputError(
            f"{path}: the CSV parser's row numbers do not add up; cannot give exact lines"
        )

    body_lines = count_breaks(text, offset)
    ends_with_break = text.endswith((b"\n", b"\r"))
    if not ends_with_break:
        body_lines += 1
    spans = np.ones(records, dtype=np.int64)
    if body_lines != records:
        if n_valid:
            spans[valid_at] += _breaks_per_row(columns, n_valid)
        for number, _, raw in invalid:
            spans[number - 1] += _breaks_in(raw)
        excess = int(spans.sum()) - body_lines
        if excess == 1 and ends_with_break:
            spans[-1] -= 1  # an unclosed quote swallowed the final line break
        elif excess:
            raise InputError(
                f"{path}: {body_lines} lines but the parser's records span {int(spans.sum())}; "
                f"cannot give exact line numbers"
            )
        multi = int((spans > 1).sum())
        if multi:
            notes.append(
                f"{multi} row(s) hold quoted line breaks; each row's line is its first line"
            )
    starts = first_line + np.cumsum(spans) - spans

    bad: list[BadRow] = []
    blank_invalid = 0
    for number, actual, raw in invalid:
        if not raw.strip():
            blank_invalid += 1
            continue
        reason = ex.TOO_MANY_FIELDS if actual > width else ex.TOO_FEW_FIELDS
        bad.append(BadRow(int(starts[number - 1]), reason, _raw(raw)))

    blank = _all_null(columns, n_valid)
    keep = ~blank
    if text.find(b"\x00", offset) != -1:
        nul = _any_contains(columns, n_valid, "\x00") & keep
        for i in np.flatnonzero(nul):
            row = [column[int(i)].as_py() for column in columns]
            bad.append(BadRow(int(starts[valid_at[i]]), ex.NUL_BYTE, _raw(_as_csv(row, delimiter))))
        keep &= ~nul
    last = records - 1
    last_raw = invalid[-1][2] if is_invalid[last] else _tail(text, offset, int(spans[last]))
    if '"' in last_raw and _ends_inside_quotes(last_raw, delimiter):
        line = int(starts[last])
        bad = [b for b in bad if b.line != line]
        bad.append(BadRow(line, ex.UNTERMINATED_QUOTE, _raw(last_raw)))
        if not is_invalid[last]:
            keep[-1] = False
    if decoded.undecodable:
        bad = _undecodable(decoded, starts, spans, is_invalid, valid_at, keep, bad)
    bad.sort(key=lambda b: b.line)

    blanks = int(blank.sum()) + blank_invalid
    if blanks:
        notes.append(f"{blanks} blank line(s) skipped (not rows)")
    if keep.all():
        return pa.array(starts[valid_at], type=pa.int64()), None, bad
    return pa.array(starts[valid_at[keep]], type=pa.int64()), pa.array(keep), bad


def _undecodable(
    decoded: Decoded,
    starts: np.ndarray,
    spans: np.ndarray,
    is_invalid: np.ndarray,
    valid_at: np.ndarray,
    keep: np.ndarray,
    bad: list[BadRow],
) -> list[BadRow]:
    """Each record on an undecodable line becomes a bad row UNDECODABLE_BYTES, whatever else
    was found wrong with it; clears `keep` for the parsed rows among them."""
    lines = np.array([u.line for u in decoded.undecodable], dtype=np.int64)
    records = np.unique(np.searchsorted(starts, lines, side="right") - 1)
    firsts = {int(starts[r]) for r in records}
    bad = [b for b in bad if b.line not in firsts]
    for r in records:
        first = int(starts[r])
        raw = decoded.raw_lines(first, first + int(spans[r]) - 1)
        bad.append(BadRow(first, ex.UNDECODABLE_BYTES, ex.clip(raw.hex())))
        if not is_invalid[r]:
            keep[np.searchsorted(valid_at, r)] = False
    return bad


def _breaks_in(value: str) -> int:
    return value.count("\n") + value.count("\r") - value.count("\r\n")


def _breaks_per_row(columns: list[pa.ChunkedArray], n: int) -> np.ndarray:
    total = np.zeros(n, dtype=np.int64)
    for column in columns:
        count = pc.count_substring(column, "\n")
        if pc.any(pc.match_substring(column, "\r")).as_py():
            count = pc.subtract(
                pc.add(count, pc.count_substring(column, "\r")), pc.count_substring(column, "\r\n")
            )
        total += pc.fill_null(count, 0).to_numpy()
    return total


def _all_null(columns: list[pa.ChunkedArray], n: int) -> np.ndarray:
    if any(column.null_count == 0 for column in columns):
        return np.zeros(n, dtype=bool)  # a column with no empty cell: no blank row
    mask = pc.is_null(columns[0])
    for column in columns[1:]:
        mask = pc.and_(mask, pc.is_null(column))
    return np.concatenate(
        [chunk.to_numpy(zero_copy_only=False) for chunk in mask.chunks] or [np.zeros(0, bool)]
    )


def _any_contains(columns: list[pa.ChunkedArray], n: int, needle: str) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for column in columns:
        mask |= pc.fill_null(pc.match_substring(column, needle), False).to_numpy()
    return mask


def _tail(text: bytes, offset: int, k: int) -> str:
    """The last k physical lines of the text (from `offset` on), final line break dropped."""
    end = len(text)
    if text.endswith(b"\r\n"):
        end -= 2
    elif text.endswith((b"\n", b"\r")):
        end -= 1
    pos = end
    start = offset
    for _ in range(k):
        lf = text.rfind(b"\n", offset, pos)
        cr = text.rfind(b"\r", max(lf, offset), pos)
        i = max(lf, cr)
        if i < offset:
            start = offset
            break
        start = i + 1
        pos = i - 1 if (i == lf and i > offset and text[i - 1 : i] == b"\r") else i
    return text[start:end].decode("utf-8", errors="replace")


def _ends_inside_quotes(record: str, delimiter: str) -> bool:
    """Whether the record's text ends inside an open quoted value (pyarrow's quoting rules:
    a quote opens a value only as its first character, "" inside is a literal quote, and
    after the closing quote the rest of the value is literal)."""
    tokens = re.compile('["\r\n' + re.escape(delimiter) + "]")
    quoted = False
    field_start = 0
    pending = -2  # a quote inside a quoted value: closes it unless another quote follows
    for match in tokens.finditer(record):
        char, at = match.group(), match.start()
        if quoted and pending >= 0:
            if char == '"' and at == pending + 1:
                pending = -2
                continue
            quoted, pending = False, -2
        if quoted:
            if char == '"':
                pending = at
            continue
        if char == '"':
            quoted = at == field_start
        else:
            field_start = at + 1
    return quoted and pending < 0


def _raw(value: str) -> str:
    return ex.clip(value.replace("\x00", "\\x00"))


def _as_csv(cells: list[str | None], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(
        ["" if c is None else c.replace("\x00", "\\x00") for c in cells]
    )
    return out.getvalue()
