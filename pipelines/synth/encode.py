"""From a canonical registry frame to what the agency's file holds, and back to the truth.

`encode` writes codes as the schema's Chinese labels, applies the configured noise to the
records allowed to get it, renders CSV text (dates, amounts) and marks duplicate rows. It
also returns the noise-free, typed frame for truth/clean and a per-record noise record.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from pipelines.errors import ConfigError
from pipelines.synth import noise as nz
from pipelines.synth.config import NoiseRates
from pipelines.synth.names import load_names

NOISE_KINDS = tuple(f.name for f in fields(NoiseRates))
OLD_SYSTEMS = frozenset({"bank_deposits", "real_estate", "vehicles", "cremation"})
AUTHORITATIVE = frozenset({"hukou"})  # public security's own extract: no noise
ID_15_BORN_BEFORE = 1985
SYNONYM_SHARE = 0.1
# Codes whose alternative labels are common in practice (SUVs register as 小型普通客车).
SYNONYM_SHARES = {
    ("vehicles", "vehicle_type", "car"): 0.35,
    ("vehicles", "vehicle_type", "truck"): 0.2,
    ("vehicles", "vehicle_type", "disabled_wheelchair"): 0.3,
    ("business", "status", "active"): 0.3,
    ("business", "role", "investor"): 0.5,
    ("business", "role", "legal_rep"): 0.0,  # 经营者 only for individual businesses (pinned)
    ("roster", "programme", "dibao"): 0.2,
    ("roster", "relation", "child"): 0.15,
    ("applications", "relation", "child"): 0.15,
    ("applications", "relation", "head"): 0.2,
    ("applications", "status", "received"): 0.3,
    ("provident_fund", "status", "active"): 0.2,
    ("disability", "category", None): 0.25,  # 肢体残疾 beside 肢体, any category
}
# Systems that write a month as YYYYMM (the canonical form is YYYY-MM).
COMPACT_MONTHS = frozenset({"provident_fund", "state_payroll"})
# Sources whose relation column names sons and daughters (子, 女) by the member's sex.
BY_SEX = frozenset({"roster", "applications"})


@dataclass
class Encoded:
    source: str
    written: pd.DataFrame  # schema columns, values as written to the file
    clean: (
        pd.DataFrame
    )  # canonical typed schema columns + record_key, person_id, synthetic_person_id, person_key
    noise: np.ndarray  # comma-joined noise kinds per record ("" if none)
    duplicate: np.ndarray  # records written twice


def _labels(source: str, col, values: np.ndarray, frame: pd.DataFrame, rng) -> np.ndarray:
    by_code: dict[str, list[str]] = {}
    for label, code in col.codes.items():
        by_code.setdefault(code, []).append(label)
    out = np.empty(len(values), dtype=object)
    pinned = frame.get(f"_label_{col.name}")
    u = rng.random(len(values))
    alt_pick = rng.random(len(values))
    for code in pd.unique(values):
        if code is None or (isinstance(code, float) and np.isnan(code)):
            continue
        at = values == code
        labels = by_code.get(code)
        if not labels:
            raise ConfigError(
                f"{source}.{col.name}: canonical code '{code}' has no label in the schema"
            )
        out[at] = labels[0]
        alts = labels[1:]
        share = SYNONYM_SHARES.get(
            (source, col.name, code), SYNONYM_SHARES.get((source, col.name, None), SYNONYM_SHARE)
        )
        if alts and share > 0:
            use = at & (u < share)
            if source in BY_SEX and (col.name, code) == ("relation", "child"):
                out[use] = np.where(frame["_male"].to_numpy(), "子", "女")[use]
            elif (source, col.name, code) == ("roster", "programme", "dibao"):
                urban = frame["urban_rural"].to_numpy() == "urban"
                out[use] = np.where(urban, "城市低保", "农村低保")[use]
            else:
                idx = (alt_pick * len(alts)).astype(int)
                out[use] = np.array(alts, dtype=object)[idx][use]
        if pinned is not None:
            pin = at & pd.notna(pinned).to_numpy()
            out[pin] = pinned.to_numpy()[pin]
    return out


def _clean(frame: pd.DataFrame, schema, persons: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in schema.columns:
        v = frame[col.name]
        if col.type == "date":
            out[col.name] = pd.to_datetime(v).to_numpy().astype("datetime64[D]")
        elif col.type == "decimal":
            out[col.name] = v.astype(float).round(2)
        elif col.type == "int":
            out[col.name] = v.astype(np.int64)
        else:
            out[col.name] = v.astype(object).where(v.notna(), None)
    clean = pd.DataFrame(out)
    clean["record_key"] = _record_key(frame, schema)
    pid = frame["pid"].to_numpy()
    synthetic = persons["person_id"].to_numpy()[pid]
    # business has a schema column named person_id (the ID number): the schema's wins there,
    # and every file carries the synthetic id as synthetic_person_id as well.
    if "person_id" not in clean:
        clean["person_id"] = synthetic
    clean["synthetic_person_id"] = synthetic
    clean["person_key"] = persons["person_key"].to_numpy()[pid]
    return clean


def _record_key(frame: pd.DataFrame, schema) -> np.ndarray:
    parts = [frame[k].astype(str).to_numpy() for k in schema.key]
    key = parts[0].astype(object)
    for part in parts[1:]:
        key = key + "|" + part
    return key


def _names(source, schema, frame, written, rates, rng, marks) -> None:
    col = schema.person_name
    names = frame[col].to_numpy().astype(object)
    n = len(names)
    out = names.copy()
    t = load_names()
    pinyin = np.zeros(n, dtype=bool)
    if source == "bank_deposits":
        pinyin = rng.random(n) < rates.pinyin_name_bank
        styles = rng.integers(0, 3, n)
        for i in np.flatnonzero(pinyin):
            out[i] = nz.to_pinyin(names[i], int(styles[i]))
        rare = np.array([any(c in t.rare for c in nm) for nm in names]) & ~pinyin
        lost = rare & (rng.random(n) < rates.rare_char_placeholder)
        out[lost] = [nz.replace_chars(nm, t.rare, "?") for nm in names[lost]]
        marks["pinyin_name_bank"] = pinyin
        marks["rare_char_placeholder"] = lost
    uniq = pd.unique(names)
    trad = dict(zip(uniq, nz.traditional(list(uniq)), strict=True))
    converted = pd.Series(names).map(trad).to_numpy()
    convertible = (converted != names) & ~pinyin & (out == names)
    hit = convertible & (rng.random(n) < rates.traditional_chars)
    out[hit] = converted[hit]
    marks["traditional_chars"] = hit
    written[col] = out


def encode(
    source: str,
    frame: pd.DataFrame,
    schema,
    persons: pd.DataFrame,
    rates: NoiseRates,
    rng: np.random.Generator,
    protected: np.ndarray,
) -> Encoded:
    """See the module docstring; `protected` (per pid) marks planted households' people."""
    n = len(frame)
    csv = schema.format == "csv"
    gbk = (schema.encoding or "").lower() in ("gbk", "gb2312", "gb18030")
    written = pd.DataFrame({c.name: frame[c.name].to_numpy() for c in schema.columns})
    for col in schema.columns:
        if col.type == "code":
            written[col.name] = _labels(source, col, frame[col.name].to_numpy(), frame, rng)
    marks: dict[str, np.ndarray] = {}
    pid = frame["pid"].to_numpy()
    if source not in AUTHORITATIVE:
        id_col = schema.person_id
        ids = frame[id_col].to_numpy().astype(object)
        free = ~protected[pid]
        born = pd.DatetimeIndex(persons["birth"].to_numpy()[pid]).year.to_numpy()
        allow = {
            "id_typo": free,
            "id_transposition": free,
            "id_15_digit": np.full(n, source in OLD_SYSTEMS) & (born < ID_15_BORN_BEFORE),
            "id_missing": free & (not schema.column(id_col).required),
            "id_fullwidth_or_lowercase": np.ones(n, dtype=bool),
        }
        written[id_col], id_marks = nz.id_noise(rng, ids, rates, allow)
        marks.update(id_marks)
        _names(source, schema, frame, written, rates, rng, marks)
    if gbk:
        placeholder = "□" if source in AUTHORITATIVE else "?"
        lost = np.zeros(n, dtype=bool)
        for col in schema.columns:
            if col.type != "string":
                continue
            values = written[col.name].to_numpy()
            safe = np.array([nz.gbk_safe(v, placeholder) for v in values], dtype=object)
            lost |= np.array(
                [a is not None and a != b for a, b in zip(safe, values, strict=True)], dtype=bool
            )
            written[col.name] = safe
        marks["rare_char_placeholder"] = (
            marks.get("rare_char_placeholder", np.zeros(n, bool)) | lost
        )
    if source in COMPACT_MONTHS:
        for col in schema.columns:
            if col.type == "month":
                written[col.name] = [
                    None if v is None or v != v else str(v).replace("-", "")
                    for v in written[col.name]
                ]
    duplicate = np.zeros(n, dtype=bool)
    if csv:
        _render_csv(written, schema, rates, rng, marks, noisy=source not in AUTHORITATIVE)
        if source not in AUTHORITATIVE:
            duplicate = rng.random(n) < rates.duplicate_rows
            if "force_duplicate" in frame and rates.duplicate_rows > 0:
                duplicate |= frame["force_duplicate"].to_numpy().astype(bool)
            marks["duplicate_rows"] = duplicate
    return Encoded(
        source, written, _clean(frame, schema, persons), _noise_text(marks, n), duplicate
    )


def _render_csv(written: pd.DataFrame, schema, rates, rng, marks, noisy: bool) -> None:
    """CSV text: ISO dates (some in other formats), amounts with two decimals."""
    n = len(written)
    date_cols = [c.name for c in schema.columns if c.type == "date"]
    styles = np.zeros(n, dtype=np.int64)
    if noisy and date_cols:
        mixed = rng.random(n) < rates.mixed_date_formats
        styles = np.where(mixed, rng.integers(1, 5, n), 0)
    changed = np.zeros(n, dtype=bool)
    for name in date_cols:
        values = pd.to_datetime(written[name]).to_numpy().astype("datetime64[D]")
        iso = nz.format_dates(values, np.zeros(n, dtype=np.int64))
        text = nz.format_dates(values, styles)
        # 1980-12-25 reads the same without zero padding: use the compact form instead.
        same = (text == iso) & (styles == 2) & (iso != "")
        text[same] = [t.replace("-", "") for t in iso[same]]
        written[name] = text
        changed |= text != iso
    if date_cols and noisy:
        marks["mixed_date_formats"] = changed
    for col in schema.columns:
        v = written[col.name]
        if col.type == "decimal":
            written[col.name] = ["" if pd.isna(x) else f"{x:.2f}" for x in v]
        elif col.type == "int":
            written[col.name] = [str(int(x)) for x in v]
        elif col.type != "date":
            written[col.name] = [
                "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x) for x in v
            ]


def _noise_text(marks: dict[str, np.ndarray], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    touched = np.zeros(n, dtype=bool)
    for kind in NOISE_KINDS:
        if kind in marks:
            touched |= marks[kind]
    for i in np.flatnonzero(touched):
        kinds = [k for k in NOISE_KINDS if k in marks and marks[k][i]]
        out[i] = ",".join(kinds)
    return out
