"""Area codes and district names: Chongqing's current, retired and Sichuan-era codes.

The history lives in `data/region_codes.yaml`; this module reads it and classifies one value
(a code, a 12-digit statistical code, or a district/county name) on a given day:

- `current`: a Chongqing county-level code in force (on `on`, or today);
- `retired`: a Chongqing code replaced by another; `current_code` follows the chain of
  successors to the code in force;
- `legacy_sichuan`: a Sichuan-era code (5102xx, 5122xx, 5123xx) that people born before 1997
  carry; valid, `group` "chongqing_legacy", `current_code` None (the county mapping is a
  reconstruction the engine must not depend on);
- `other_province`: a code of another province (only the province is checked);
- `invalid`: anything else, with a reason (REASONS); `code` is then None.

`current_code` is set only for Chongqing codes (for a retired one, on or after its retirement,
the code in force); `group` says chongqing / chongqing_legacy / other_province.
A name is looked up in simplified form after dropping 重庆市/重庆/中国 (綦江區 → 500110); the
name of a retired county gives the retired code (綦江县 → 500222, current_code 500110).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from pipelines.errors import ConfigError
from pipelines.standardize.ids import (
    ASCII_UPPER,
    DASHES,
    NULL_TOKENS,
    PROVINCE_CODES,
    WHITESPACE,
    coerce_text,
)
from pipelines.standardize.names import simplified_key

STATUSES = ("current", "retired", "legacy_sichuan", "other_province", "invalid")
CHONGQING = "chongqing"  # the group of current and retired Chongqing codes
REASONS = (
    "missing",
    "bad_chars",
    "bad_length",
    "bad_province",
    "not_county_level",
    "unknown_code",
    "unknown_name",
    "not_yet_in_force",
)
DATA_FILE = "region_codes.yaml"
# Lengths that carry a county code in their first six digits: the code itself, a township
# code (GB/T 10114) and the 12-digit statistical division code.
CODE_LENGTHS = (6, 9, 12)
# Written before a district name and meaning nothing for the lookup.
NAME_PREFIXES = ("中华人民共和国", "中国", "重庆市", "重庆")

_STRIP = re.compile("[" + re.escape(WHITESPACE + DASHES) + "]")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_CHAIN_LIMIT = 32


@dataclass(frozen=True)
class CodeEntry:
    """One code of the table, current or retired."""

    code: str
    name: str
    kind: str  # district | county | autonomous_county | retired
    short: str | None = None
    aliases: tuple[str, ...] = ()
    since: datetime.date | None = None
    successor: str | None = None
    retired: datetime.date | None = None
    former_names: tuple[tuple[str, datetime.date], ...] = ()
    confidence: str | None = None
    precision: str | None = None

    def name_on(self, on: datetime.date | None) -> str:
        """The name the code carried on `on` (its current name when `on` is None)."""
        if on is not None:
            for name, until in sorted(self.former_names, key=lambda item: item[1]):
                if on < until:
                    return name
        return self.name


@dataclass(frozen=True)
class RegionTable:
    """The parsed data file: current and retired codes, legacy prefixes and a name index."""

    current: dict[str, CodeEntry]
    retired: dict[str, CodeEntry]
    legacy_prefixes: dict[str, str]
    legacy_group: str
    legacy_until: datetime.date | None
    names: dict[str, str]  # any known spelling of a name (simplified) → code
    ordered_names: tuple[tuple[str, str], ...] = ()  # names longest first, for text search

    def successor_on(self, code: str, on: datetime.date | None) -> str | None:
        """The code in force on `on` for a Chongqing code, following chains; None if unknown."""
        seen = set()
        while code in self.retired and code not in seen and len(seen) < _CHAIN_LIMIT:
            entry = self.retired[code]
            if on is not None and entry.retired is not None and on < entry.retired:
                return code
            seen.add(code)
            code = entry.successor or ""
        return code if code in self.current else None


@dataclass(frozen=True)
class RegionResult:
    """Outcome of standardising one area code or district name; see the module docstring."""

    raw: Any
    code: str | None
    current_code: str | None
    name: str | None
    status: str
    valid: bool
    reason: str | None
    retired_on: datetime.date | None = None
    confidence: str | None = None
    # chongqing (current or retired code), chongqing_legacy (Sichuan era), other_province.
    group: str | None = None


# ----------------------------------------------------------------------------- the table


def _date(value: Any, where: str, problems: list[str]) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    problems.append(f"{where}: expected a date YYYY-MM-DD, got {value!r}")
    return None


def _code(value: Any, where: str, problems: list[str]) -> str:
    if isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit():
        return value
    problems.append(f"{where}: expected a 6-digit code in quotes, got {value!r}")
    return str(value)


def _entries(doc: dict, source: str, problems: list[str]) -> tuple[dict, dict]:
    current: dict[str, CodeEntry] = {}
    retired: dict[str, CodeEntry] = {}
    for i, row in enumerate(doc.get("current") or []):
        where = f"{source}: current[{i}]"
        code = _code(row.get("code"), f"{where}.code", problems)
        former = tuple(
            (f["name"], _date(f.get("until"), f"{where}.former_names.until", problems))
            for f in row.get("former_names") or []
        )
        if code in current:
            problems.append(f"{where}: code {code} listed twice")
        current[code] = CodeEntry(
            code=code,
            name=row.get("name") or "",
            kind=row.get("kind") or "",
            short=row.get("short"),
            aliases=tuple(row.get("aliases") or ()),
            since=_date(row.get("since"), f"{where}.since", problems),
            former_names=tuple((n, d) for n, d in former if d is not None),
            confidence=row.get("confidence"),
            precision=row.get("precision"),
        )
    for i, row in enumerate(doc.get("retired") or []):
        where = f"{source}: retired[{i}]"
        code = _code(row.get("code"), f"{where}.code", problems)
        if code in current or code in retired:
            problems.append(f"{where}: code {code} listed twice")
        retired[code] = CodeEntry(
            code=code,
            name=row.get("name") or "",
            kind="retired",
            successor=_code(row.get("successor"), f"{where}.successor", problems),
            retired=_date(row.get("retired"), f"{where}.retired", problems),
            confidence=row.get("confidence"),
            precision=row.get("precision"),
        )
    for code, entry in retired.items():
        if entry.successor not in current and entry.successor not in retired:
            problems.append(f"{source}: retired {code}: successor {entry.successor} is not listed")
    return current, retired


def _name_index(current: dict[str, CodeEntry], retired: dict[str, CodeEntry]) -> dict[str, str]:
    index: dict[str, str] = {}
    # Retired names first so that a current unit's spelling wins any collision.
    for code, entry in retired.items():
        index[simplified_key(entry.name) or entry.name] = code
    for code, entry in current.items():
        spellings = [entry.name, entry.short, *entry.aliases, *(n for n, _ in entry.former_names)]
        for spelling in spellings:
            if spelling:
                index[simplified_key(spelling) or spelling] = code
    return index


def parse_region_table(doc: dict, source: str = DATA_FILE) -> RegionTable:
    """Build a RegionTable from the parsed YAML; every problem is reported at once."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    current, retired = _entries(doc, source, problems)
    legacy = doc.get("legacy_sichuan") or {}
    prefixes = {}
    for i, row in enumerate(legacy.get("prefixes") or []):
        prefix = row.get("prefix")
        if not (isinstance(prefix, str) and len(prefix) == 4 and prefix.isdigit()):
            problems.append(
                f"{source}: legacy_sichuan.prefixes[{i}]: expected 4 digits, got {prefix!r}"
            )
            continue
        prefixes[prefix] = row.get("name") or prefix
    until = _date(legacy.get("until"), f"{source}: legacy_sichuan.until", problems)
    if problems:
        raise ConfigError(problems)
    index = _name_index(current, retired)
    return RegionTable(
        current=current,
        retired=retired,
        legacy_prefixes=prefixes,
        legacy_group=legacy.get("group") or "chongqing_legacy",
        legacy_until=until,
        names=index,
        ordered_names=tuple(sorted(index.items(), key=lambda item: (-len(item[0]), item[0]))),
    )


@functools.cache
def region_table() -> RegionTable:
    """The table shipped in pipelines/standardize/data (cached; treat as read-only)."""
    path = resources.files("pipelines.standardize").joinpath("data", DATA_FILE)
    return parse_region_table(yaml.safe_load(path.read_text(encoding="utf-8")), DATA_FILE)


# ---------------------------------------------------------------------------- classify


def _invalid(raw: Any, reason: str) -> RegionResult:
    return RegionResult(raw, None, None, None, "invalid", False, reason)


def _coerce(raw: Any) -> tuple[str | None, str | None]:
    return coerce_text(raw, "bad_chars")


def clean_region_text(text: str) -> str:
    """NFKC (full-width digits), whitespace and dashes removed anywhere."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text))


def _strip_prefixes(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in NAME_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix):
                name, changed = name[len(prefix) :], True
    return name


def classify_code(
    code: str, on: datetime.date | None = None, table: RegionTable | None = None, raw: Any = None
) -> RegionResult:
    """Classify a 6-digit code (see the module docstring); `raw` is echoed into the result."""
    t = table or region_table()
    if len(code) != 6 or not _DIGITS.fullmatch(code):
        return _invalid(raw, "bad_length" if _DIGITS.fullmatch(code) else "bad_chars")
    if code[:2] not in PROVINCE_CODES:
        return _invalid(raw, "bad_province")
    if code in t.current:
        entry = t.current[code]
        if on is not None and entry.since is not None and on < entry.since:
            return _invalid(raw, "not_yet_in_force")
        name = entry.name_on(on)
        return RegionResult(raw, code, code, name, "current", True, None, group=CHONGQING)
    if code in t.retired:
        entry = t.retired[code]
        if on is not None and entry.retired is not None and on < entry.retired:
            return RegionResult(raw, code, code, entry.name, "current", True, None, group=CHONGQING)
        successor = t.successor_on(code, on)
        return RegionResult(
            raw,
            code,
            successor,
            entry.name,
            "retired",
            True,
            None,
            entry.retired,
            entry.confidence,
            CHONGQING,
        )
    if code[:4] in t.legacy_prefixes:
        name = t.legacy_prefixes[code[:4]]
        return RegionResult(
            raw, code, None, name, "legacy_sichuan", True, None, group=t.legacy_group
        )
    if code.startswith("50"):
        return _invalid(raw, "not_county_level" if code.endswith("00") else "unknown_code")
    return RegionResult(raw, code, None, None, "other_province", True, None, group="other_province")


def _standardize(raw: Any, on: datetime.date | None, table: RegionTable | None) -> RegionResult:
    text, reason = _coerce(raw)
    if reason is not None:
        return _invalid(raw, reason)
    s = clean_region_text(text)
    if not s or s.translate(ASCII_UPPER) in NULL_TOKENS:
        return _invalid(raw, "missing")
    if s.isascii() and s.isdigit():
        if len(s) not in CODE_LENGTHS:
            return _invalid(raw, "bad_length")
        return classify_code(s[:6], on, table, raw)
    if any("0" <= ch <= "9" for ch in s):
        return _invalid(raw, "bad_chars")
    t = table or region_table()
    name = _strip_prefixes(simplified_key(s) or s)
    code = t.names.get(name)
    if code is None:
        return _invalid(raw, "unknown_name")
    return classify_code(code, on, t, raw)


def standardize_region(
    raw: Any, on: datetime.date | None = None, *, table: RegionTable | None = None
) -> RegionResult:
    """Classify one code or district/county name on day `on`; never raises.

    `on` None (or anything that is not a date, such as NaT) means the codes in force today.
    """
    try:
        if on is not None and not isinstance(on, datetime.date):
            on = None
        elif isinstance(on, datetime.datetime):
            on = on.date()
        return _standardize(raw, on, table)
    except Exception:  # a last guard: odd objects must not stop a batch
        return _invalid(raw, "bad_chars")


def find_region_name(text: str, table: RegionTable | None = None) -> tuple[str, str] | None:
    """(code, name) of the district/county name `text` (simplified) starts with, or None; the
    longest name wins (石柱土家族自治县 before 石柱)."""
    t = table or region_table()
    for name, code in t.ordered_names:
        if text.startswith(name):
            return code, name
    return None
