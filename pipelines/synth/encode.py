"""From a canonical registry frame to what the agency's file holds, and back to the truth.

`encode` fills the person's phone and address where the schema has such columns, writes
codes as the schema's Chinese labels, applies the configured noise to the records allowed to
get it (IDs, then names, then contact data; see NoiseRates), renders CSV text (dates,
amounts) and marks duplicate rows. It also returns the noise-free, typed frame for
truth/clean and a per-record noise record.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from pipelines.errors import ConfigError
from pipelines.synth import noise as nz
from pipelines.synth.config import EXCLUSIVE_NOISE, PLANTED_NOISE, NoiseRates
from pipelines.synth.contacts import other_phones
from pipelines.synth.names import load_names

# every kind a record's noise may name: the configured ones, then those only a plant writes
NOISE_KINDS = (*(f.name for f in fields(NoiseRates)), *PLANTED_NOISE)
NAME_KINDS = EXCLUSIVE_NOISE[1]
OLD_SYSTEMS = frozenset({"bank_deposits", "real_estate", "vehicles", "cremation"})
AUTHORITATIVE = frozenset({"hukou"})  # public security's own extract: no noise
# Registries whose records may carry a person's former name (registered before the change).
FORMER_NAME_SOURCES = frozenset({"real_estate", "vehicles", "business", "bank_deposits"})
# Contact columns filled from the person where a schema declares them.
CONTACT_COLUMNS = ("phone", "address")
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
    # a roster row names its own key: a person enrolled twice has two
    own = frame.get("_person_key")
    clean["person_key"] = (
        own.to_numpy() if own is not None else persons["person_key"].to_numpy()[pid]
    )
    return clean


def _record_key(frame: pd.DataFrame, schema) -> np.ndarray:
    parts = [frame[k].astype(str).to_numpy() for k in schema.key]
    key = parts[0].astype(object)
    for part in parts[1:]:
        key = key + "|" + part
    return key


def _interval_pick(rng: np.random.Generator, rates, kinds: tuple[str, ...], n: int) -> np.ndarray:
    """Index of the kind each record drew (len(kinds) for none): one uniform per record in
    consecutive intervals of the rates, so each kind hits its rate among the records allowed
    to get it and at most one applies."""
    cum = np.cumsum([getattr(rates, k) for k in kinds])
    return np.searchsorted(cum, rng.random(n), side="right")


def _names(source, schema, frame, written, rates, rng, marks, persons, protected, id_noisy):
    """Name noise in three steps: at most one identity change (former name, variant,
    Chinese order swapped, homophone), then the bank's pinyin (some in Western order) and
    lost rare characters, then traditional characters on names nothing else touched.
    `protected` (per record) marks planted households' people, `id_noisy` records whose ID
    carries noise; see NoiseRates for who may get what."""
    col = schema.person_name
    names = frame[col].to_numpy().astype(object)
    n = len(names)
    out = names.copy()
    t = load_names()
    pinyin = np.zeros(n, dtype=bool)
    styles = np.zeros(n, dtype=np.int64)
    if source == "bank_deposits":
        pinyin = rng.random(n) < rates.pinyin_name_bank
        styles = rng.integers(0, 3, n)

    # 1. identity changes: the name another record of the same person may not agree with
    pick = _interval_pick(rng, rates, NAME_KINDS, n)
    choice = rng.integers(0, 2**31, n)
    free = ~protected
    pid = frame["pid"].to_numpy()
    former = persons["former_name"].to_numpy()[pid]
    allow = {
        "former_name_used": free & (source in FORMER_NAME_SOURCES),
        "variant_chars": free,
        "name_order_swapped": free & ~pinyin,
        # homophones agree in pinyin: planted households' records too, if their ID is clean
        "homophone_chars": free | ~id_noisy,
    }
    options = {
        "former_name_used": lambda i: nz.former_options(former[i]),
        "variant_chars": lambda i: nz.variant_options(names[i]),
        "name_order_swapped": lambda i: _one(nz.swapped_name(names[i])),
        "homophone_chars": lambda i: _one(nz.homophone(names[i], int(choice[i]))),
    }
    for k, kind in enumerate(NAME_KINDS):
        changed = np.zeros(n, dtype=bool)
        for i in np.flatnonzero((pick == k) & allow[kind]):
            opts = options[kind](i)
            if opts:
                out[i] = opts[int(choice[i]) % len(opts)]
                changed[i] = out[i] != names[i]
        marks[kind] = changed
    identity = out != names

    # 2. the bank's pinyin names (a share in Western order) and rare characters lost
    if source == "bank_deposits":
        dotted = _any_char(out, frozenset("·"))
        swap = pinyin & free & ~dotted & (rng.random(n) < rates.pinyin_name_swapped)
        for i in np.flatnonzero(pinyin):
            out[i] = nz.to_pinyin(out[i], int(styles[i]), bool(swap[i]))
        rare = _any_char(out, frozenset(t.rare)) & ~pinyin
        lost = rare & (rng.random(n) < rates.rare_char_placeholder)
        out[lost] = [nz.replace_chars(nm, t.rare, "?") for nm in out[lost]]
        marks["pinyin_name_bank"] = pinyin
        marks["pinyin_name_swapped"] = swap
        marks["rare_char_placeholder"] = lost

    # 3. traditional characters, on names nothing else changed
    uniq = pd.unique(names)
    trad = dict(zip(uniq, nz.traditional(list(uniq)), strict=True))
    converted = pd.Series(names).map(trad).to_numpy()
    convertible = (converted != names) & ~pinyin & (out == names) & ~identity
    hit = convertible & (rng.random(n) < rates.traditional_chars)
    out[hit] = converted[hit]
    marks["traditional_chars"] = hit
    written[col] = out


def _any_char(values: np.ndarray, chars: frozenset[str]) -> np.ndarray:
    """Per value: does it hold any of `chars`? Computed once per distinct value."""
    codes, uniq = pd.factorize(pd.Series(values, dtype=object))
    hit = np.array([any(c in chars for c in str(u)) for u in uniq], dtype=bool)
    return hit[codes] if len(uniq) else np.zeros(len(values), dtype=bool)


def _one(value):
    return () if value is None else (value,)


def _fill_contacts(frame: pd.DataFrame, schema, persons: pd.DataFrame) -> pd.DataFrame:
    """The person's phone and address in the schema's `phone` / `address` columns, where the
    schema has them and the registry frame does not set them itself (hukou's address)."""
    pid = frame["pid"].to_numpy()
    add = {
        name: persons[name].to_numpy()[pid]
        for name in CONTACT_COLUMNS
        if name in schema.names and name not in frame
    }
    return frame.assign(**add) if add else frame


def _contacts(schema, frame, written, rates, rng, marks, id_missing) -> None:
    """Phones missing, outdated or written in another format; addresses missing or written
    another way. A record whose ID is missing keeps its address when its phone is missing or
    outdated (and always when it has no phone column), so it stays linkable by a person."""
    n = len(frame)
    has_phone = "phone" in schema.names
    has_address = "address" in schema.names
    phone_gone = np.ones(n, dtype=bool)
    if has_phone:
        phone = frame["phone"].to_numpy().astype(object)
        present = pd.notna(phone)
        pick = _interval_pick(rng, rates, ("phone_missing", "phone_outdated"), n)
        missing = (pick == 0) & present
        outdated = (pick == 1) & present
        fmt = (rng.random(n) < rates.phone_format) & present & ~missing
        style = rng.integers(0, nz.PHONE_STYLES, n)
        out = phone.copy()
        out[outdated] = other_phones(rng, phone[outdated])
        out[missing] = None
        for i in np.flatnonzero(fmt):
            out[i] = nz.format_phone(out[i], int(style[i]))
        phone_gone = missing | outdated
        marks.update(phone_missing=missing, phone_outdated=outdated, phone_format=fmt)
        written["phone"] = out
    if has_address:
        address = frame["address"].to_numpy().astype(object)
        present = pd.notna(address)
        pick = _interval_pick(rng, rates, ("address_missing", "address_variant"), n)
        choice = rng.integers(0, 2**31, n)
        missing = (pick == 0) & present & ~(id_missing & phone_gone)
        variant = (pick == 1) & present
        out = address.copy()
        out[missing] = None
        for i in np.flatnonzero(variant):
            out[i] = nz.address_variant(address[i], int(choice[i]))
        marks.update(address_missing=missing, address_variant=variant)
        written["address"] = out


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
    frame = _fill_contacts(frame, schema, persons)
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
        contact = any(c in schema.names for c in CONTACT_COLUMNS)
        allow = {
            "id_typo": free,
            "id_transposition": free,
            "id_15_digit": np.full(n, source in OLD_SYSTEMS) & (born < ID_15_BORN_BEFORE),
            "id_missing": free & (not schema.column(id_col).required) & contact,
            "id_fullwidth_or_lowercase": np.ones(n, dtype=bool),
        }
        written[id_col], id_marks = nz.id_noise(rng, ids, rates, allow)
        marks.update(id_marks)
        id_noisy = np.zeros(n, dtype=bool)
        for m in id_marks.values():
            id_noisy |= m
        _names(source, schema, frame, written, rates, rng, marks, persons, protected[pid], id_noisy)
        _contacts(schema, frame, written, rates, rng, marks, id_marks["id_missing"])
        _planted_writing(frame, schema, written, marks)
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


def _planted_writing(frame: pd.DataFrame, schema, written: pd.DataFrame, marks) -> None:
    """Rows with a planted writing (a second enrolment, enrolments.py) write the ID and the
    name exactly as planted: `_written_id` / `_written_name` where set, else the person's,
    whatever noise drew; the planted difference is their noise (`_planted_noise`)."""
    if "_planted_noise" not in frame:
        return
    kinds = frame["_planted_noise"].fillna("").to_numpy().astype(str)
    planted = np.flatnonzero(kinds != "")
    if not len(planted):
        return
    name_kinds = (*NAME_KINDS, "traditional_chars", "pinyin_name_bank", "pinyin_name_swapped")
    for column, override, group in (
        (schema.person_id, "_written_id", EXCLUSIVE_NOISE[0]),
        (schema.person_name, "_written_name", name_kinds),
    ):
        values = frame[override].to_numpy()[planted]
        own = frame[column].to_numpy()[planted]
        written.loc[written.index[planted], column] = np.where(pd.notna(values), values, own)
        for kind in group:
            if kind in marks:
                marks[kind][planted] = False
    for kind in set(kinds[planted]):
        hit = marks.setdefault(kind, np.zeros(len(frame), dtype=bool))
        hit[planted[kinds[planted] == kind]] = True


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
            values = v.to_numpy(dtype=float)
            text = np.char.mod("%.2f", values).astype(object)
            text[np.isnan(values)] = ""
            written[col.name] = text
        elif col.type == "int":
            written[col.name] = v.to_numpy(dtype=np.int64).astype(str).astype(object)
        elif col.type != "date":
            written[col.name] = _as_text(v.to_numpy(dtype=object))


def _as_text(values: np.ndarray) -> np.ndarray:
    """Text cells: "" for None and NaN, str() of anything else; strings are kept as they are
    (the same objects, so that a large extract is not copied)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        out = values.copy()
        out[pd.isna(values)] = ""
        return out
    return np.array(
        ["" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x) for x in values],
        dtype=object,
    )


def _noise_text(marks: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The kinds applied to each record, comma-joined in NoiseRates' field order (then the
    planted-only kinds, PLANTED_NOISE): one bit per kind, one text per distinct combination
    (records share the string objects)."""
    bits = np.zeros(n, dtype=np.int64)
    for k, kind in enumerate(NOISE_KINDS):
        if kind in marks:
            bits |= marks[kind].astype(np.int64) << k
    combos, inverse = np.unique(bits, return_inverse=True)
    texts = [",".join(kind for k, kind in enumerate(NOISE_KINDS) if c >> k & 1) for c in combos]
    return np.array(texts, dtype=object)[inverse.reshape(-1)] if n else np.array([], dtype=object)
