"""Dated parameters: one YAML per parameter, values keyed by the date they took effect.

A parameter's name is its path under `<jurisdiction>/parameters/` with dots, e.g.
`rules/chongqing/parameters/dibao/standard.yaml` is `dibao.standard`. Jurisdictions are
layered (national, then the province): a later layer wins wherever it defines the parameter.
A district overrides its province where `<province>/districts/<region code>/parameters/` defines
the parameter; a household takes the value of its own district, else the province's.

A proposal (a what-if) is a folder laid out like `rules/` holding only the files it changes;
each of its files replaces the file at the same place, everything else comes from the base.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError
from pipelines.policy.yamlio import read_mapping

REQUIRED_KEYS = ("description", "unit", "legal_basis", "values")
CONFIDENCE = ("sure", "likely", "open")
DISTRICT = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class ParameterValue:
    """One value of a parameter and where it came from."""

    name: str
    value: Any
    effective_from: dt.date
    effective_to: dt.date | None
    reference: str
    confidence: str
    legal_basis: str
    file: str
    district: str | None = None

    def trace(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "reference": self.reference,
            "confidence": self.confidence,
            "legal_basis": self.legal_basis,
            "file": self.file,
            "district": self.district,
        }


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    legal_basis: str
    breakdown: str | None
    file: str
    values: tuple[ParameterValue, ...]  # sorted by effective_from
    district: str | None = None

    def at(self, on: dt.date) -> ParameterValue | None:
        found = None
        for v in self.values:
            if v.effective_from <= on:
                found = v
        return found

    @property
    def is_open(self) -> bool:
        return any(v.confidence == "open" for v in self.values)


class ParameterSet:
    """All parameters of a jurisdiction chain, looked up by name, date and district."""

    def __init__(self, parameters: dict[str, Parameter], chain: tuple[str, ...],
                 districts: dict[str, dict[str, Parameter]] | None = None, roots: tuple[str, ...] = ()):
        self.parameters = parameters
        self.chain = chain
        self.districts = districts or {}  # name -> region code -> Parameter
        self.roots = roots
        self.broken: set[str] = set()  # names whose files had problems (see load_parameters)

    def names(self) -> list[str]:
        return sorted(self.parameters)

    def display(self, file: str) -> str:
        """A file's path relative to its rules folder (a proposal's prefixed `proposal:`), for traces.

        Traces keep no absolute path, so two checkouts of the same rules give identical outputs.
        """
        path = Path(file)
        for i, root in reversed(list(enumerate(self.roots))):
            if path.is_relative_to(root):
                rel = path.relative_to(root).as_posix()
                return rel if i == 0 else f"proposal:{rel}"
        return path.name

    def trace(self, name: str, on: dt.date, district: str | None = None) -> dict[str, Any]:
        """The value in force with its dates, reference and (relative) file."""
        out = self.entry(name, on, district).trace()
        out["file"] = self.display(out["file"])
        return out

    def files(self) -> list[str]:
        """Every file read, city and district level."""
        out = [p.file for p in self.parameters.values()]
        out += [p.file for by_code in self.districts.values() for p in by_code.values()]
        return sorted(set(out))

    def parameter(self, name: str, district: str | None = None) -> Parameter:
        if district is not None and district in self.districts.get(name, {}):
            return self.districts[name][district]
        try:
            return self.parameters[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown parameter '{name}' (known: {known})") from None

    def overrides(self, name: str) -> dict[str, Parameter]:
        """District overrides of `name`, by region code (sorted)."""
        return dict(sorted(self.districts.get(name, {}).items()))

    def entry(self, name: str, on: dt.date, district: str | None = None) -> ParameterValue:
        param = self.parameter(name, district)
        found = param.at(on)
        if found is None and param.district is not None:  # the district's text starts later
            return self.entry(name, on)
        if found is None:
            first = param.values[0].effective_from.isoformat()
            raise ConfigError(
                f"{param.file}: parameter '{name}' has no value in force on {on.isoformat()} "
                f"(first value takes effect {first})"
            )
        return found

    def at(self, name: str, on: dt.date, district: str | None = None) -> Any:
        """The value of `name` in force on `on` (in `district` when it overrides the province)."""
        return self.entry(name, on, district).value

    def open_parameters(self) -> list[Parameter]:
        """Parameters with at least one value marked [open], city and district level."""
        found = [p for p in self.parameters.values() if p.is_open]
        found += [p for by_code in self.districts.values() for p in by_code.values() if p.is_open]
        return sorted(found, key=lambda p: (p.name, p.district or ""))


def _as_date(key: Any) -> dt.date | None:
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError:
        return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _check_value(path: Path, where: str, value: Any, doc: dict, problems: list[str]) -> bool:
    """Problems with one dated value: its shape, its numbers, its range."""
    breakdown = doc.get("breakdown")
    if breakdown:
        if not isinstance(value, dict) or not value:
            problems.append(f"{path}: {where}.value must map {breakdown} to numbers")
            return False
        bad = [k for k, v in value.items() if _kind(v) != "number"]
        for k in bad:
            problems.append(f"{path}: {where}.value.{k} must be a number, not {value[k]!r}")
        numbers = [v for v in value.values() if _kind(v) == "number"]
    elif _kind(value) == "list":
        if any(not isinstance(v, str) for v in value):
            problems.append(f"{path}: {where}.value must be a list of codes (text)")
            return False
        return True
    elif _kind(value) != "number":
        problems.append(f"{path}: {where}.value must be a number, a list of codes or a mapping "
                        f"by breakdown, not {value!r}")
        return False
    else:
        bad, numbers = [], [value]
    limits = doc.get("range")
    if limits is not None:
        if not (isinstance(limits, list) and len(limits) == 2 and all(_kind(v) == "number" for v in limits)):
            problems.append(f"{path}: range must be [min, max]")
            return False
        for n in numbers:
            if not limits[0] <= n <= limits[1]:
                problems.append(f"{path}: {where}.value {n} is outside the range {limits[0]}–{limits[1]}")
                return False
    return not bad


def _read_parameter(path: Path, name: str, problems: list[str], district: str | None = None) -> Parameter | None:
    doc = read_mapping(path, problems, f"a mapping with keys {', '.join(REQUIRED_KEYS)}")
    if doc is None:
        return None
    missing = [k for k in REQUIRED_KEYS if not doc.get(k)]
    if missing:
        problems.append(f"{path}: missing key(s) {', '.join(missing)}")
        return None
    raw_values = doc["values"]
    if not isinstance(raw_values, dict):
        problems.append(f"{path}: key 'values' must map dates to entries")
        return None
    dated: list[tuple[dt.date, dict]] = []
    for key, entry in raw_values.items():
        day = _as_date(key)
        if day is None:
            problems.append(f"{path}: values key '{key}' is not a date (YYYY-MM-DD)")
            continue
        where = f"values.{day.isoformat()}"
        if not isinstance(entry, dict) or "value" not in entry:
            problems.append(f"{path}: {where} needs a 'value'")
            continue
        if entry.get("confidence", "likely") not in CONFIDENCE:
            problems.append(f"{path}: {where}.confidence must be one of {', '.join(CONFIDENCE)}")
            continue
        if _check_value(path, where, entry["value"], doc, problems):
            dated.append((day, entry))
    if not dated:
        return None
    dated.sort(key=lambda item: item[0])
    kinds = {_kind(entry["value"]) for _, entry in dated}
    if len(kinds) > 1:
        problems.append(f"{path}: values mix kinds ({', '.join(sorted(kinds))}); every date needs the same kind")
        return None
    values = []
    for i, (day, entry) in enumerate(dated):
        end = dated[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(dated) else None
        values.append(
            ParameterValue(
                name=name,
                value=entry["value"],
                effective_from=day,
                effective_to=end,
                reference=str(entry.get("reference", "")),
                confidence=str(entry.get("confidence", "likely")),
                legal_basis=str(doc["legal_basis"]),
                file=str(path),
                district=district,
            )
        )
    return Parameter(
        name=name,
        description=str(doc["description"]),
        unit=str(doc["unit"]),
        legal_basis=str(doc["legal_basis"]),
        breakdown=doc.get("breakdown"),
        file=str(path),
        values=tuple(values),
        district=district,
    )


def layered_files(roots: list[Path], folder: str) -> dict[str, Path]:
    """Files under `<root>/<folder>` by their path relative to it; a later root wins."""
    found: dict[str, Path] = {}
    for root in roots:
        base = root / folder
        if base.is_dir():
            for path in sorted(base.rglob("*.yaml")):
                found[path.relative_to(base).as_posix()] = path
    return dict(sorted(found.items()))


def _names(files: dict[str, Path]) -> dict[str, Path]:
    return {rel[: -len(".yaml")].replace("/", "."): path for rel, path in files.items()}


def load_parameters(rules_dir: Path | str, chain: tuple[str, ...] = ("national", "chongqing"),
                    overlay: Path | str | None = None, problems: list[str] | None = None) -> ParameterSet:
    """Read every parameter of the jurisdiction chain and its districts; report all problems together.

    With a `problems` list, problems are added to it and the parameters that could be read are
    returned (the policy loader goes on to check the rules, to report everything at once);
    names whose files had problems are in `ParameterSet.broken`.
    """
    roots = [Path(rules_dir)] + ([Path(overlay)] if overlay else [])
    collect = problems is not None
    problems = problems if collect else []
    broken: set[str] = set()
    parameters: dict[str, Parameter] = {}
    districts: dict[str, dict[str, Parameter]] = {}
    for jurisdiction in chain:
        if not any((root / jurisdiction / "parameters").is_dir() for root in roots):
            problems.append(f"{roots[0] / jurisdiction / 'parameters'}: jurisdiction '{jurisdiction}' "
                            "has no parameters folder")
            continue
        for name, path in _names(layered_files(roots, f"{jurisdiction}/parameters")).items():
            before = len(problems)
            param = _read_parameter(path, name, problems)
            if len(problems) > before:
                broken.add(name)
            if param is not None:
                parameters[name] = param
        codes = sorted({p.name for root in roots if (root / jurisdiction / "districts").is_dir()
                        for p in (root / jurisdiction / "districts").iterdir() if p.is_dir()})
        for code in codes:
            folder = f"{jurisdiction}/districts/{code}/parameters"
            if not DISTRICT.match(code):
                problems.append(f"{roots[0] / jurisdiction / 'districts' / code}: a district folder "
                                "is named by its 6-digit region code")
                continue
            for name, path in _names(layered_files(roots, folder)).items():
                param = _read_parameter(path, name, problems, district=code)
                if param is not None:
                    districts.setdefault(name, {})[code] = param
    for name, by_code in districts.items():
        if name not in parameters:
            for param in by_code.values():
                problems.append(f"{param.file}: district parameter '{name}' has no city or national "
                                "value to override")
        elif any(p.breakdown != parameters[name].breakdown for p in by_code.values()):
            problems.append(f"{parameters[name].file}: district overrides of '{name}' must use the "
                            "same breakdown")
    if problems and not collect:
        raise ConfigError(problems)
    found = ParameterSet(parameters, tuple(chain), districts, tuple(str(r) for r in roots))
    found.broken = broken
    return found
