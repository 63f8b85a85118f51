"""Each distinct raw text of a column: its typed value and what is wrong with it.

Validation works on distinct values: a column of a million rows holds a few thousand distinct
dates, IDs or codes, and what a value means depends on nothing else in its row. Each column is
dictionary-encoded once; its distinct texts are typed and checked here, and the rows take their
results by index (`validate.check`).

What a text means is defined by the Spark expressions of this module (`typed_value`,
`unsafe_id`) and of the standardizer (`parse_date_col`, `id_valid_col`). The plain forms that
make up nearly every extract are typed in Arrow instead, vectorized, and only where the meaning
cannot differ:

- int: `-?digits` (up to 18) with an optional `.000` → the integer;
- decimal: `-?digits(.d or .dd)` (up to 18 digits) once `, ，¥ ￥` and Java's `\\s` are removed;
- date: `YYYY-MM-DD`, a real date from MIN_DATE to MAX_DATE;
- month: `YYYY-MM` or `YYYYMM` with a month 01..12 → `YYYY-MM`;
- code: the schema's table, looked up; string: the text itself;
- an id's safety when its text is printable ASCII, Latin-1 or common CJK (no character there
  is a control, format or separator character in any Unicode version);
- an ID's checksum validity when it is 17 digits and a digit or X, ASCII or full-width.

Other dates and IDs (Excel serials, `2025年6月30日`, 15-digit or full-width IDs…) go through the
standardizer's Python functions, `parse_date` and `standardize_id`, once per distinct text: the
Spark forms are their mirrors and agree with them on every text (tests/standardize). The rest
(`1e3`, `＋5`, `2025年5月`, non-ASCII ids…) is typed by the Spark expressions, every column's
leftovers together in one small Spark job, only when an extract holds such values.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.schemas import Check, Column
from pipelines.standardize import ids
from pipelines.standardize.counties import CHONGQING, RETIRED
from pipelines.standardize.dates import MAX_DATE, MIN_DATE, parse_date
from pipelines.standardize.ids import standardize_id

DECIMAL = "decimal(20,2)"
ARROW_DECIMAL = pa.decimal128(20, 2)
ARROW_TYPES = {
    "string": pa.string(),
    "code": pa.string(),
    "month": pa.string(),
    "int": pa.int64(),
    "decimal": ARROW_DECIMAL,
    "date": pa.date32(),
}
MAX_FIELD_CHARS = 4000  # no registry field is longer; a longer one is a broken extract
SHOWN_CHARS = 500  # a quarantined raw value is kept up to this length, with its full length
MAX_ID_CHARS = 64  # the longest key of any registry (a 不动产权证号) is under 30
# Java regex: control, format, surrogate, line and paragraph separator characters; a path
# separator; a `..`; a leading `.`
UNSAFE_ID_PATTERN = r"[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}/\\]|\.\.|^\."
UNSAFE_ID = "UNSAFE_ID"
# blanks cut from both ends of every value: spaces, tabs (spreadsheets export an ID as text with a
# leading tab), line ends, no-break and ideographic spaces
BLANKS = " \t\r\n\u00a0\u3000"
# the reason code of a value that does not convert to its column's type
TYPE_REASONS = {
    "int": "BAD_INT",
    "decimal": "BAD_DECIMAL",
    "date": "BAD_DATE",
    "month": "BAD_MONTH",
    "code": "UNKNOWN_CODE",
}
REGION_CODES = sorted(set(CHONGQING) | set(RETIRED))

# ---- the plain forms typed in Arrow (RE2 patterns; each accepts ASCII only where it says digits)
PLAIN_INT = r"^-?[0-9]{1,18}(\.0+)?$"
# Java's \s is [ \t\n\x0B\f\r]; the other characters are the separators and currency signs cut
DECIMAL_CUT = "[,，¥￥ \t\n\x0b\x0c\r]"
PLAIN_DECIMAL = r"^-?[0-9]{1,18}(\.[0-9]{1,2})?$"
PLAIN_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PLAIN_MONTH = r"^[0-9]{4}-?(0[1-9]|1[0-2])$"
PLAIN_ID = r"^[0-9]{17}[0-9Xx]$"
WIDE_ID = r"^[0-9\x{ff10}-\x{ff19}]{17}[0-9Xx\x{ff10}-\x{ff19}\x{ff38}\x{ff58}]$"
WIDE_FOLD = [(chr(0xFF10 + i), str(i)) for i in range(10)] + [("\uff38", "X"), ("\uff58", "x")]
# characters no Unicode version puts among the controls, format characters or separators:
# printable ASCII, Latin-1 but the soft hyphen, CJK punctuation, unified ideographs, full-width forms
SAFE_ALPHABET = (r"^[\x{20}-\x{7e}\x{a0}-\x{ac}\x{ae}-\x{ff}\x{3000}-\x{303f}"
                 r"\x{4e00}-\x{9fff}\x{ff00}-\x{ffef}]*$")
UNSAFE_IN_SAFE_ALPHABET = r"[/\\]|\.\.|^\."


# ------------------------------------------------------------------------- the Spark meaning
def typed_value(col: Column, text):
    """The typed value of one column's text (null when it does not convert), as a Spark column."""
    from pyspark.sql import functions as F

    if col.type == "int":
        return F.regexp_replace(text, r"\.0+$", "").try_cast("bigint")
    if col.type == "decimal":
        return F.regexp_replace(text, r"[,，¥￥\s]", "").try_cast(DECIMAL)
    if col.type == "date":
        return _date(text)
    if col.type == "month":
        return _month(text)
    if col.type == "code":
        pairs = [F.lit(x) for k, v in sorted(col.codes.items()) for x in (k, v)]
        canonical = F.when(text.isin(sorted(set(col.codes.values()))), text)
        return F.coalesce(F.create_map(*pairs)[text], canonical)
    return text


def _month(text):
    from pyspark.sql import functions as F

    pattern = r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?$"
    year = F.regexp_extract(text, pattern, 1)
    mon = F.regexp_extract(text, pattern, 2)
    ok = (year != "") & (mon.try_cast("int").between(1, 12))
    return F.when(ok, F.concat_ws("-", year, F.lpad(mon, 2, "0")))


def _date(text):
    """Dates: the usual `YYYY-MM-DD` natively, anything else through the full parser."""
    from pyspark.sql import functions as F

    from pipelines.standardize.spark import parse_date_col

    iso = F.try_to_date(text, "yyyy-MM-dd")
    in_range = iso.between(F.lit(MIN_DATE), F.lit(MAX_DATE))
    fast = text.rlike(r"^\d{4}-\d{2}-\d{2}$") & F.coalesce(in_range, F.lit(False))
    return F.when(fast, iso).otherwise(parse_date_col(text))


def unsafe_id(text):
    """True where a non-null id is not printable, bounded text (see validate's UNSAFE_ID)."""
    from pyspark.sql import functions as F

    return text.rlike(UNSAFE_ID_PATTERN) | (F.length(text) > MAX_ID_CHARS)


# --------------------------------------------------------------------- one column's distinct texts
@dataclass
class Distinct:
    """The distinct raw texts of one column (the last one null) and what each becomes.

    `indices` maps each row to its distinct text. `value`, `unsafe` and `id_valid` hold null
    where the text waits for Spark (`pending`, by task) until `resolve` fills them in.
    """

    column: Column
    indices: np.ndarray
    raw: pa.Array
    text: pa.Array
    value: pa.Array
    unsafe: pa.Array | None = None
    id_valid: pa.Array | None = None
    pending: dict[str, np.ndarray] = field(default_factory=dict)
    why: pa.Array | None = None
    row_by_row: bool = False  # each row its own entry (indices 0..n-1): no gather needed

    def per_row(self, array: pa.Array) -> pa.Array:
        """A result per distinct text as a result per row."""
        if self.row_by_row:
            return array.slice(0, len(self.indices))
        if array.null_count == len(array):
            return pa.nulls(len(self.indices), array.type)
        return array.take(pa.array(self.indices))

    def shown_at(self, at: np.ndarray) -> list[str | None]:
        """The raw values at these distinct positions as quarantine keeps them."""
        return [shown(v) for v in self.raw.take(pa.array(at, pa.int64())).to_pylist()]


def shown(raw: str | None) -> str | None:
    """A raw value as kept in quarantine: long values cut, with their length."""
    if raw is None or len(raw) <= SHOWN_CHARS:
        return raw
    return f"{raw[:SHOWN_CHARS]}…({len(raw)} chars)"


# a column whose sample is mostly distinct values (account numbers, amounts) is typed row by
# row when its type is typed vectorized: encoding it would cost a hash of every value and a
# gather, to save nothing. Dates, codes and ID numbers, whose odd values are typed one by one
# in Python, are always encoded: a sample cannot tell 232,000 people among 3.5M rows from
# 3.5M different ones.
SAMPLE = 4096
MOSTLY_DISTINCT = 0.9
ROW_BY_ROW_TYPES = ("string", "int", "decimal", "month")


def distinct(col: Column, raw: pa.Array, is_id: bool, id_check: bool) -> Distinct:
    """Encode one raw column and type its distinct texts where the form is plain."""
    raw = raw.cast(pa.string())
    sample = raw.slice(0, SAMPLE)
    row_by_row = (col.type in ROW_BY_ROW_TYPES and not id_check and len(sample) == SAMPLE
                  and pc.count_distinct(sample).as_py() > MOSTLY_DISTINCT * SAMPLE)
    if row_by_row:
        indices = np.arange(len(raw), dtype=np.int64)  # each row its own "distinct" text
        values = pa.concat_arrays([raw, pa.nulls(1, pa.string())])
    else:
        encoded = pc.dictionary_encode(raw)
        k = len(encoded.dictionary)
        indices = encoded.indices.fill_null(k).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        values = pa.concat_arrays([encoded.dictionary, pa.nulls(1, pa.string())])
    text = pc.utf8_trim(values, characters=BLANKS)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    out = Distinct(col, indices, values, text, pa.nulls(len(values), ARROW_TYPES[col.type]),
                   row_by_row=row_by_row)
    _type_plain(out)
    if is_id:
        _unsafe_plain(out)
    if id_check:
        _id_valid_plain(out)
    return out


def id_validity(ids: pa.Array) -> Distinct:
    """The checksum validity of IDs exactly as given (no blanks cut), null where there is none;
    its leftovers still to `resolve`."""
    encoded = pc.dictionary_encode(ids.cast(pa.string()))
    k = len(encoded.dictionary)
    indices = encoded.indices.fill_null(k).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    values = pa.concat_arrays([encoded.dictionary, pa.nulls(1, pa.string())])
    column = Column("id", "string", False, (), "none", {})
    out = Distinct(column, indices, values, values, values)
    _id_valid_plain(out)
    return out


def present(array: pa.Array) -> np.ndarray:
    """Where the array holds a value, as numpy booleans."""
    return pc.is_valid(array).to_numpy(zero_copy_only=False)


def _matches(text: pa.Array, pattern: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(zero_copy_only=False)


def _scatter(target: pa.Array, where: np.ndarray, values: pa.Array) -> pa.Array:
    if not where.any():
        return target
    return pc.replace_with_mask(target, pa.array(where), values.cast(target.type))


def _type_plain(d: Distinct) -> None:
    kind, text = d.column.type, d.text
    filled = present(text)
    if kind == "string":
        d.value = text
        return
    if kind == "code":
        codes, canonical = d.column.codes, set(d.column.codes.values())
        d.value = pa.array([codes.get(t, t if t in canonical else None) if t is not None else None
                            for t in text.to_pylist()], pa.string())
        return
    if kind == "int":
        plain = _matches(text, PLAIN_INT)
        digits = pc.replace_substring_regex(text.filter(pa.array(plain)), r"\.0+$", "")
        d.value = _scatter(d.value, plain, pc.cast(digits, pa.int64()))
    elif kind == "decimal":
        plain = _matches(text, PLAIN_DECIMAL)  # nearly all: nothing to cut
        d.value = _scatter(d.value, plain, pc.cast(text.filter(pa.array(plain)), ARROW_DECIMAL))
        other = np.flatnonzero(filled & ~plain)
        if len(other):
            cut = pc.replace_substring_regex(text.take(pa.array(other, pa.int64())), DECIMAL_CUT, "")
            cut_plain = _matches(cut, PLAIN_DECIMAL)
            where = np.zeros(len(text), dtype=bool)
            where[other[cut_plain]] = True
            d.value = _scatter(d.value, where, pc.cast(cut.filter(pa.array(cut_plain)), ARROW_DECIMAL))
            plain = plain | where
    elif kind == "date":
        # ISO dates here; any other text through the standardizer's parser, whose Spark form
        # (parse_date_col) the Spark expression uses and agrees with it on every text
        plain = _matches(text, PLAIN_DATE)
        dates = [_iso_date(t) for t in text.filter(pa.array(plain)).to_pylist()]
        hit = np.zeros(len(text), dtype=bool)
        hit[np.flatnonzero(plain)] = [x is not None for x in dates]
        d.value = _scatter(d.value, hit, pa.array([x for x in dates if x is not None], pa.date32()))
        other = np.flatnonzero(filled & ~hit)
        parsed = [parse_date(t).value for t in text.take(pa.array(other, pa.int64())).to_pylist()]
        where = np.zeros(len(text), dtype=bool)
        where[other] = True
        d.value = _scatter(d.value, where, pa.array(parsed, pa.date32()))
        return
    elif kind == "month":
        plain = _matches(text, PLAIN_MONTH)
        months = text.filter(pa.array(plain))
        months = pc.binary_join_element_wise(pc.utf8_slice_codeunits(months, 0, 4),
                                             pc.utf8_slice_codeunits(months, -2), "-")
        d.value = _scatter(d.value, plain, months)
    else:
        raise ValueError(f"column {d.column.name}: unknown type {kind}")
    d.pending["value"] = np.flatnonzero(filled & ~plain)


def _iso_date(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if MIN_DATE <= day <= MAX_DATE else None


def _unsafe_plain(d: Distinct) -> None:
    text = d.text
    simple = _matches(text, SAFE_ALPHABET)
    unsafe = pc.or_(pc.fill_null(pc.match_substring_regex(text, UNSAFE_IN_SAFE_ALPHABET), False),
                    pc.greater(pc.utf8_length(text), MAX_ID_CHARS))
    d.unsafe = pc.if_else(pa.array(simple), unsafe, pa.scalar(None, pa.bool_()))
    d.pending["unsafe"] = np.flatnonzero(present(text) & ~simple)


def _id_valid_plain(d: Distinct) -> None:
    """Checksum validity of the ID values (the typed value as text), null where it is empty."""
    ids_text = d.value if d.column.type == "string" else pc.cast(d.value, pa.string())
    plain = _matches(ids_text, PLAIN_ID)
    valid = np.zeros(len(ids_text), dtype=bool)
    at = np.flatnonzero(plain)
    if len(at):
        valid[at] = plain_ids_valid(ids_text.filter(pa.array(plain)))
    # full-width digits and Ｘ fold (NFKC) to the plain form, as the standardizer folds them
    wide = _matches(ids_text, WIDE_ID) & ~plain
    if wide.any():
        folded = ids_text.filter(pa.array(wide))
        for full, ascii_ in WIDE_FOLD:
            folded = pc.replace_substring(folded, full, ascii_)
        valid[np.flatnonzero(wide)] = plain_ids_valid(folded)
        plain = plain | wide
    # any other ID through the standardizer, which id_valid_col's other branch mirrors
    other = np.flatnonzero(present(ids_text) & ~plain)
    valid[other] = [standardize_id(v).valid for v in ids_text.take(pa.array(other, pa.int64())).to_pylist()]
    d.id_valid = pc.if_else(pa.array(present(ids_text)), pa.array(valid), pa.scalar(None, pa.bool_()))


_WEIGHTS = np.array(ids.WEIGHTS, dtype=np.int32)
_CHECK = np.frombuffer(ids.CHECK_CHARS.encode(), dtype=np.uint8)
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[[int(p) for p in ids.PROVINCE_CODES]] = True
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def plain_ids_valid(values: pa.Array) -> np.ndarray:
    """Validity of IDs of 17 digits and a digit or x/X (checksum, birth date, province), as
    id_valid_col's native branch decides it; vectorized over the 18 bytes of each."""
    n = len(values)
    if not n:
        return np.zeros(0, dtype=bool)
    data = pc.utf8_upper(values).cast(pa.string())
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int32, count=n + 1, offset=data.offset * 4)
    chars = np.frombuffer(data.buffers()[2], dtype=np.uint8)
    if offsets[-1] - offsets[0] == 18 * n:  # 18 bytes each, back to back
        matrix = chars[offsets[0]:offsets[-1]].reshape(n, 18)
    else:
        matrix = chars[offsets[:-1, None] + np.arange(18)[None, :]]
    digits = matrix.astype(np.int32) - 48
    total = digits[:, :17] @ _WEIGHTS
    check_ok = _CHECK[total % 11] == (digits[:, 17] + 48)
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    dim = _DAYS[np.clip(month - 1, 0, 11)] + ((month == 2) & leap)
    born = year * 10000 + month * 100 + day
    lo, hi = (int(f"{x:%Y%m%d}") for x in (ids.MIN_BIRTH_DATE, ids.MAX_BIRTH_DATE))
    date_ok = month_ok & (day >= 1) & (day <= dim) & (born >= lo) & (born <= hi)
    province_ok = _PROVINCES[digits[:, 0] * 10 + digits[:, 1]]
    return check_ok & date_ok & province_ok


# ------------------------------------------------------------------------------- the leftovers
def resolve(columns: list[Distinct], spark) -> None:
    """Type, in one Spark job, every distinct text the plain forms left (see the module doc)."""
    tasks = []
    for d in columns:
        for task in ("value", "unsafe"):
            at = d.pending.get(task)
            if at is not None and len(at):
                tasks.append((d, task, at, d.text.take(pa.array(at, pa.int64()))))
    for d in columns:
        d.pending.clear()
    if not tasks:
        return
    if spark is None:
        from pyspark.sql import SparkSession

        spark = SparkSession.active()
    from pyspark.sql import functions as F

    rows = max(len(t[3]) for t in tasks)
    table = pa.table({f"t{i}": pa.concat_arrays([t[3], pa.nulls(rows - len(t[3]), pa.string())])
                      for i, t in enumerate(tasks)})
    exprs = []
    for i, (d, task, _, _) in enumerate(tasks):
        text = F.col(f"t{i}")
        if task == "value":
            exprs.append(typed_value(d.column, text).alias(f"r{i}"))
        else:
            exprs.append(unsafe_id(text).alias(f"r{i}"))
    result = spark.createDataFrame(table).select(*exprs).toArrow()
    for i, (d, task, at, _) in enumerate(tasks):
        got = result.column(f"r{i}").combine_chunks()[: len(at)]
        where = np.zeros(len(d.text), dtype=bool)
        where[at] = True
        setattr(d, task, _scatter(getattr(d, task), where, got))


# ----------------------------------------------------------------------------------- reasons
def reasons(d: Distinct, required: bool, is_id: bool, checks: list[Check], as_of: dt.date) -> pa.Array:
    """The reason each distinct text fails its column (null when it does not), in the order of
    precedence: FIELD_TOO_LONG, the type's reason, MISSING_REQUIRED, UNSAFE_ID, the row checks."""
    none = pa.scalar(None, pa.string())
    text_null = pc.is_null(d.text)
    value_null = pc.is_null(d.value)
    why = pa.nulls(len(d.text), pa.string())
    reason = TYPE_REASONS.get(d.column.type)
    if reason is not None:
        why = pc.if_else(pc.and_(pc.invert(text_null), value_null), reason, none)
    if required:
        why = pc.coalesce(why, pc.if_else(text_null, "MISSING_REQUIRED", none))
    if is_id:
        flagged = pc.and_(pc.invert(text_null), pc.fill_null(d.unsafe, False))
        why = pc.coalesce(why, pc.if_else(flagged, UNSAFE_ID, none))
    too_long = pc.fill_null(pc.greater(pc.utf8_length(d.raw), MAX_FIELD_CHARS), False)
    why = pc.if_else(too_long, "FIELD_TOO_LONG", why)
    for chk in checks:
        failed = check_failed(chk, d.value, as_of)
        if failed is not None:
            failed = pc.and_(pc.invert(value_null), pc.fill_null(failed, False))
            why = pc.coalesce(why, pc.if_else(failed, chk.reason, none))
    d.why = why
    return why


def _bound(value: object, as_of: dt.date) -> object:
    if value == "as_of":
        return as_of
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _scalar(bound: object, value_type: pa.DataType) -> tuple[pa.Scalar, bool]:
    """The bound as Spark compares it with the column: a float bound compares as doubles, a
    whole number exactly, in the column's own type."""
    if isinstance(bound, float) and not pa.types.is_date(value_type):
        return pa.scalar(bound, pa.float64()), True
    if isinstance(bound, dt.datetime):
        bound = bound.date()
    if pa.types.is_decimal(value_type):
        return pa.scalar(decimal.Decimal(bound), value_type), False
    return pa.scalar(bound, value_type), False


def check_failed(check: Check, value: pa.Array, as_of: dt.date) -> pa.Array | None:
    """True where a row check fails on a non-null typed value (None for rate checks)."""
    if check.kind == "non_negative":
        bound, as_double = _scalar(0, value.type)
        return pc.less(value, bound)
    if check.kind in ("date_range", "in_range"):
        failed = pa.array(np.zeros(len(value), dtype=bool))
        for limit, compare in ((check.min, pc.less), (check.max, pc.greater)):
            b = _bound(limit, as_of)
            if b is None:
                continue
            bound, as_double = _scalar(b, value.type)
            left = pc.cast(value, pa.float64()) if as_double else value
            failed = pc.or_(failed, compare(left, bound))
        return failed
    if check.kind == "region_code":
        return pc.invert(pc.is_in(value, value_set=pa.array(REGION_CODES, pa.string())))
    return None
