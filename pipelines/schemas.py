"""Registry schemas: one YAML per source in `schemas/`, the contract of what each agency sends
and how old an extract a run may use (`freshness`)."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.errors import ConfigError

TYPES = ("string", "int", "decimal", "date", "month", "code")
# Domain checks a schema may declare. Row checks quarantine the failing row with the reason;
# rate checks look at the whole extract and stop the run when the share is too low.
CHECKS = {
    "id_checksum": ("rate", "ID_CHECKSUM_RATE"),  # share of valid IDs >= min_valid_share
    "date_range": ("row", "DATE_OUT_OF_RANGE"),  # min/max: ISO date, or "as_of" (extract date)
    "non_negative": ("row", "NEGATIVE_AMOUNT"),
    "in_range": ("row", "OUT_OF_RANGE"),  # min/max numbers, inclusive
    "region_code": ("row", "UNKNOWN_REGION"),  # a Chongqing county-level code, current or retired
}
PII = ("none", "id_number", "name", "amount", "address", "account", "quasi", "sensitive")
FORMATS = ("csv", "parquet", "xlsx", "jsonl")
# Roles a column can play in identifying the record's person (the linker's fields).
PERSON_ROLES = ("id", "name", "former_name", "birth_date", "phone", "address")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool
    aliases: tuple[str, ...]
    pii: str
    codes: dict[str, str]


@dataclass(frozen=True)
class Check:
    """A declared domain check on one column (see CHECKS)."""

    kind: str
    column: str
    min: object = None
    max: object = None
    min_valid_share: float | None = None

    @property
    def severity(self) -> str:
        return CHECKS[self.kind][0]

    @property
    def reason(self) -> str:
        return CHECKS[self.kind][1]


@dataclass(frozen=True)
class Freshness:
    """How old a source's extract may be for the month checked, and why.

    `max_age_months` N: the extract must be dated on or after the last day of the Nth month
    before the month checked. 1 = the previous month's close or later (the state at the start of
    the month checked); 3 = within a quarter; 0 = the last day of the month checked itself."""

    max_age_months: int
    reason: str

    def oldest_as_of(self, month_end: dt.date) -> dt.date:
        """The oldest as-of date accepted for the month ending on `month_end`."""
        months = month_end.year * 12 + month_end.month - 1 - self.max_age_months
        year, month = divmod(months, 12)
        return _month_end(year, month + 1)

    def age_days(self, as_of: dt.date, month_end: dt.date) -> int:
        """Days from the extract's as-of date to the end of the month checked."""
        return (month_end - as_of).days

    def accepts(self, as_of: dt.date, month_end: dt.date) -> bool:
        return as_of >= self.oldest_as_of(month_end)

    def record(self, as_of: str | None, month_end: dt.date) -> dict[str, object]:
        """For the manifest: the limit, the oldest date it accepts and, with an extract, its age."""
        out: dict[str, object] = {"max_age_months": self.max_age_months,
                                  "oldest_as_of": self.oldest_as_of(month_end).isoformat()}
        if as_of is not None:
            out["age_days"] = self.age_days(dt.date.fromisoformat(as_of), month_end)
        return out


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@dataclass(frozen=True)
class Schema:
    source: str
    title_zh: str
    holder: str
    file: str
    format: str
    encoding: str | None
    key: tuple[str, ...]
    person_id: str
    person_name: str | None
    columns: tuple[Column, ...]
    freshness: Freshness
    checks: tuple[Check, ...] = ()
    # Columns that identify the record's person, by role (id, name, birth_date, phone, ...).
    person: dict[str, str] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def header_map(self) -> dict[str, str]:
        """Normalized header text (canonical name or any alias) → canonical column name."""
        mapping: dict[str, str] = {}
        for col in self.columns:
            for label in (col.name, *col.aliases):
                mapping[normalize_header(label)] = col.name
        return mapping


def normalize_header(text: str) -> str:
    """Headers as agencies write them: full-width forms, stray spaces, BOMs, case."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return "".join(text.split()).lower()


def _column(entry: dict, where: str, problems: list[str]) -> Column | None:
    if not isinstance(entry, dict) or not entry.get("name"):
        problems.append(f"{where}: each column needs a 'name'")
        return None
    ctype = entry.get("type", "string")
    if ctype not in TYPES:
        problems.append(f"{where} ({entry['name']}): type '{ctype}' is not one of {', '.join(TYPES)}")
    pii = entry.get("pii", "none")
    if pii not in PII:
        problems.append(f"{where} ({entry['name']}): pii '{pii}' is not one of {', '.join(PII)}")
    codes = entry.get("codes") or {}
    if ctype == "code" and not codes:
        problems.append(f"{where} ({entry['name']}): a code column needs a 'codes' table")
    return Column(
        name=str(entry["name"]),
        type=ctype,
        required=bool(entry.get("required", False)),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        pii=pii,
        codes={str(k): str(v) for k, v in codes.items()},
    )


FRESHNESS_KEYS = ("max_age_months", "reason")
MAX_AGE_MONTHS = 60  # a longer limit is a typo, not a policy


def _freshness(entry: object, where: str, problems: list[str]) -> Freshness:
    """The `freshness:` mapping of a schema: {max_age_months: N, reason: why}."""
    if not isinstance(entry, dict):
        problems.append(f"{where}: expected a mapping {{max_age_months: N, reason: why}}, got {entry!r}")
        return Freshness(0, "")
    for key in sorted(set(entry) - set(FRESHNESS_KEYS), key=str):
        problems.append(f"{where}.{key}: unknown key; expected {' and '.join(FRESHNESS_KEYS)}")
    months = entry.get("max_age_months")
    if isinstance(months, bool) or not isinstance(months, int) or not 0 <= months <= MAX_AGE_MONTHS:
        problems.append(f"{where}.max_age_months: expected a whole number of months from 0 to "
                        f"{MAX_AGE_MONTHS} (1 = the previous month's close or later), got {months!r}")
        months = 0
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}.reason: say why the limit is what it is (who relies on the "
                        "source being that fresh)")
        reason = ""
    return Freshness(months, " ".join(reason.split()))


def load_schema(path: Path) -> Schema:
    problems: list[str] = []
    schema = _load(path, problems)
    if problems:
        raise ConfigError(problems)
    return schema


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> object:
    """A schema file's YAML, parsed once per content in a process (each stage of a run loads
    every schema); libyaml's parser when PyYAML has it, the same documents as safe_load."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises again, with the pure parser's message


def _load(path: Path, problems: list[str]) -> Schema | None:
    try:
        doc = copy.deepcopy(_parsed(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML ({exc})")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{path}: expected a mapping")
        return None
    before = len(problems)  # the list holds every file's problems: look at this file's only
    for key in ("source", "format", "key", "person", "columns", "freshness"):
        if not doc.get(key):
            problems.append(f"{path}: missing key '{key}'")
    if len(problems) > before:
        return None
    columns = [c for i, e in enumerate(doc["columns"]) if (c := _column(e, f"{path}: columns[{i}]", problems))]
    names = {c.name for c in columns}
    fmt = doc["format"].get("type")
    if fmt not in FORMATS:
        problems.append(f"{path}: format.type '{fmt}' is not one of {', '.join(FORMATS)}")
    for k in doc["key"]:
        if k not in names:
            problems.append(f"{path}: key column '{k}' is not a declared column")
    person = doc["person"] if isinstance(doc["person"], dict) else {}
    for role, column in person.items():
        if role not in PERSON_ROLES:
            problems.append(f"{path}: person.{role} is not one of {', '.join(PERSON_ROLES)}")
        elif column and column not in names:
            problems.append(f"{path}: person.{role} '{column}' is not a declared column")
    checks = []
    for i, entry in enumerate(doc.get("checks") or []):
        where = f"{path}: checks[{i}]"
        if not isinstance(entry, dict) or entry.get("check") not in CHECKS:
            problems.append(f"{where}: 'check' must be one of {', '.join(CHECKS)}")
            continue
        if entry.get("column") not in names:
            problems.append(f"{where}: column '{entry.get('column')}' is not a declared column")
            continue
        checks.append(
            Check(
                kind=entry["check"],
                column=entry["column"],
                min=entry.get("min"),
                max=entry.get("max"),
                min_valid_share=entry.get("min_valid_share"),
            )
        )
    if path.stem != doc["source"]:
        problems.append(f"{path}: source '{doc['source']}' must match the file name")
    freshness = _freshness(doc["freshness"], f"{path}: freshness", problems)
    return Schema(
        source=str(doc["source"]),
        title_zh=str(doc.get("title_zh", doc["source"])),
        holder=str(doc.get("holder", "")),
        file=str(path),
        format=str(fmt),
        encoding=doc["format"].get("encoding"),
        key=tuple(doc["key"]),
        person_id=str(person.get("id")),
        person_name=person.get("name"),
        columns=tuple(columns),
        freshness=freshness,
        person={k: str(v) for k, v in sorted(person.items()) if v and k in PERSON_ROLES},
        checks=tuple(checks),
    )


def load_schemas(schemas_dir: Path | str) -> dict[str, Schema]:
    """Every schema in the folder, keyed by source; all problems reported together."""
    schemas_dir = Path(schemas_dir)
    problems: list[str] = []
    schemas: dict[str, Schema] = {}
    for path in sorted(schemas_dir.glob("*.yaml")):
        schema = _load(path, problems)
        if schema is not None:
            schemas[schema.source] = schema
    if not schemas and not problems:
        problems.append(f"{schemas_dir}: no schema files (*.yaml)")
    if problems:
        raise ConfigError(problems)
    return schemas
