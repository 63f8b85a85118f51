"""Preparation: a table's identifying columns → the standardized sub-columns the linker uses.

Pure pandas, so the same function serves a pandas table and a Spark `mapInPandas` batch; the
standardizers never raise, so no value of any shape stops a batch: an unusable value becomes
null (the comparison then says "missing") and the raw value stays in the record.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterator

import pandas as pd

from pipelines.link.config import KINDS, LinkConfig
from pipelines.standardize import addresses, names, phones
from pipelines.standardize.dates import parse_date
from pipelines.standardize.ids import clean_id_text, is_missing_value, standardize_id
from pipelines.standardize.name_parts import former_names, pinyin_tokens
from pipelines.standardize.name_parts import name_parts as split_name


def prepared_columns(config: LinkConfig) -> list[str]:
    """Every prepared column, in a fixed order: `<field>__<sub>`."""
    return [f"{name}__{sub}" for name, f in config.fields.items() for sub in KINDS[f.kind]]


def _text(raw: object) -> str | None:
    if is_missing_value(raw):
        return None
    try:
        text = raw if isinstance(raw, str) else str(raw)
    except Exception:
        return None
    text = " ".join(unicodedata.normalize("NFKC", text).split()).lower()
    return text or None


# ---------------------------------------------------------------------------------- per kind
@functools.lru_cache(maxsize=262_144)
def _id_parts(raw: str) -> tuple:
    result = standardize_id(raw)
    if result.valid:
        id18 = result.id18
        return id18, id18, result.birth_date.isoformat(), id18[:14], id18[:6], id18[14:]
    try:
        clean = clean_id_text(raw) or None
    except Exception:
        clean = None
    if clean is None or not clean.isascii() or not clean.isalnum():
        return None, clean, None, None, None, None
    # A broken ID still carries most of its digits: keep what can be read for blocking.
    body = clean[:6] + "19" + clean[6:] if len(clean) == 15 and clean.isdigit() else clean
    birth = None
    if len(body) in (17, 18, 19) and body[:14].isdigit():
        parsed = parse_date(body[6:14])
        birth = parsed.value.isoformat() if parsed.value else None
    prefix = body[:14] if len(body) >= 14 and body[:14].isdigit() else None
    region = body[:6] if len(body) >= 6 and body[:6].isdigit() else None
    tail = body[14:18] if len(body) in (17, 18, 19) else None
    return None, clean, birth, prefix, region, tail


def _prepare_id(raw: object) -> tuple:
    if is_missing_value(raw):
        return (None,) * 6
    try:
        text = raw if isinstance(raw, str) else str(raw)
    except Exception:
        return (None,) * 6
    return _id_parts(text)


@functools.lru_cache(maxsize=262_144)
def _name_parts(raw: str) -> tuple:
    norm = names.normalize_name(raw)
    if norm is None:
        return (None,) * 6
    tokens = pinyin_tokens(norm)
    parts = split_name(norm)
    return (
        norm,
        names.simplified_key(norm),
        names.variant_key(norm),
        # the tokens joined are the pinyin key (name_parts.pinyin_tokens): one pypinyin pass
        "".join(tokens) or None,
        "".join(sorted(tokens)) or None,
        (parts.surname_pinyin or None) if parts is not None else None,
    )


def _prepare_name(raw: object) -> tuple:
    if is_missing_value(raw) or not isinstance(raw, str):
        raw = None if is_missing_value(raw) else str(raw)
    return (None,) * 6 if raw is None else _name_parts(raw)


def _former(raw: object) -> str | None:
    """Former names as `simplified:pinyin` joined by '|' (the person_name comparator's input)."""
    if is_missing_value(raw):
        return None
    out = []
    for name in former_names(raw):
        simplified, pinyin = names.simplified_key(name), names.pinyin_key(name)
        if simplified:
            out.append(f"{simplified}:{pinyin or ''}")
    return "|".join(out) or None


def _prepare_date(raw: object) -> tuple:
    value = parse_date(raw).value
    return (value.isoformat(), str(value.year)) if value else (None, None)


def _prepare_phone(raw: object) -> tuple:
    result = phones.standardize_phone(raw)
    if not result.valid:
        return None, None
    return result.number, result.number[-8:]


def _prepare_address(raw: object) -> tuple:
    result = addresses.normalize_address(raw)
    return (result.text if result.valid else None,)


def _prepare_text(raw: object) -> tuple:
    value = _text(raw)
    return value, (value[0] if value else None)


_PREPARERS: dict[str, Callable[[object], tuple]] = {
    "id_number": _prepare_id,
    "person_name": _prepare_name,
    "date": _prepare_date,
    "phone": _prepare_phone,
    "address": _prepare_address,
    "text": _prepare_text,
    "exact": _prepare_text,
    "levenshtein": _prepare_text,
}


def _none_series(n: int, index) -> pd.Series:
    return pd.Series([None] * n, index=index, dtype=object)


def prepare_frame(pdf: pd.DataFrame, config: LinkConfig, side: str) -> pd.DataFrame:
    """Prepared columns of one side (`left` or `right`) for a pandas frame.

    The output holds the side's key column (renamed `rec_key`) and every prepared column.
    """
    key = config.left_key if side == "left" else config.right_key
    out = {"rec_key": pdf[key].astype(object).where(pdf[key].notna(), None)}
    n, index = len(pdf), pdf.index
    for name, f in config.fields.items():
        column = getattr(f, side)
        subs = KINDS[f.kind]
        if column is None or column not in pdf.columns:
            values = [(None,) * len(subs)] * n
        else:
            prep = _PREPARERS[f.kind]
            values = [prep(v) for v in pdf[column].tolist()]
        for i, sub in enumerate(subs):
            if sub == "former":
                continue
            out[f"{name}__{sub}"] = pd.Series([v[i] for v in values], index=index, dtype=object)
        if f.kind == "person_name":
            former_col = f.left_former if side == "left" else None
            out[f"{name}__former"] = (
                pd.Series([_former(v) for v in pdf[former_col].tolist()], index=index, dtype=object)
                if former_col and former_col in pdf.columns
                else _none_series(n, index)
            )
    # A date taken from an ID when its own column is absent or empty.
    for name, f in config.fields.items():
        if f.kind == "date" and f.from_id:
            iso, year = out[f"{name}__iso"], out[f"{name}__year"]
            birth = out[f"{f.from_id}__birth"]
            missing = iso.isna()
            out[f"{name}__iso"] = iso.where(~missing, birth)
            out[f"{name}__year"] = year.where(~missing, birth.str[:4])
    return pd.DataFrame(out, index=index)[["rec_key", *prepared_columns(config)]]


def source_columns(config: LinkConfig, side: str) -> list[str]:
    """The input columns one side needs (its key first)."""
    key = config.left_key if side == "left" else config.right_key
    cols = [key]
    for f in config.fields.values():
        for c in (getattr(f, side), f.left_former if side == "left" else None):
            if c is not None and c not in cols:
                cols.append(c)
    return cols


def prepare_spark(df, config: LinkConfig, side: str):
    """Spark form: `mapInPandas` over Arrow batches; every prepared column a string."""
    from pyspark.sql.types import StringType, StructField, StructType

    present = [c for c in source_columns(config, side) if c in df.columns]
    schema = StructType(
        [StructField("rec_key", StringType())]
        + [StructField(c, StringType()) for c in prepared_columns(config)]
    )

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            prepared = prepare_frame(pdf, config, side)
            prepared["rec_key"] = prepared["rec_key"].map(lambda v: None if v is None else str(v))
            yield prepared

    from pyspark.sql import functions as F

    return df.select(*[F.col(c).cast("string") for c in present]).mapInPandas(run, schema)
