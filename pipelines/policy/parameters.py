"""Dated parameters: one YAML per parameter, values keyed by the date they took effect.

A parameter's name is its path under `<jurisdiction>/parameters/` with dots, e.g.
`rules/chongqing/parameters/dibao/standard.yaml` is `dibao.standard`. Jurisdictions are
layered (national, then the province, then a district): a later layer wins wherever it
defines the parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipelines.errors import ConfigError

REQUIRED_KEYS = ("description", "unit", "legal_basis", "values")
CONFIDENCE = ("sure", "likely", "open")


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

    def at(self, on: dt.date) -> ParameterValue | None:
        found = None
        for v in self.values:
            if v.effective_from <= on:
                found = v
        return found


class ParameterSet:
    """All parameters of a jurisdiction chain, looked up by name and date."""

    def __init__(self, parameters: dict[str, Parameter], chain: tuple[str, ...]):
        self.parameters = parameters
        self.chain = chain

    def names(self) -> list[str]:
        return sorted(self.parameters)

    def parameter(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown parameter '{name}' (known: {known})") from None

    def entry(self, name: str, on: dt.date) -> ParameterValue:
        param = self.parameter(name)
        found = param.at(on)
        if found is None:
            first = param.values[0].effective_from.isoformat()
            raise ConfigError(
                f"{param.file}: parameter '{name}' has no value in force on {on.isoformat()} "
                f"(first value takes effect {first})"
            )
        return found

    def at(self, name: str, on: dt.date) -> Any:
        """The value of `name` in force on `on`."""
        return self.entry(name, on).value


def _as_date(key: Any) -> dt.date | None:
    if isinstance(key, dt.datetime):
        return key.date()
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError:
        return None


def _read_parameter(path: Path, name: str, problems: list[str]) -> Parameter | None:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid YAML ({exc})")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{path}: expected a mapping with keys {', '.join(REQUIRED_KEYS)}")
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
        if not isinstance(entry, dict) or "value" not in entry:
            problems.append(f"{path}: values.{day.isoformat()} needs a 'value'")
            continue
        if entry.get("confidence", "likely") not in CONFIDENCE:
            problems.append(
                f"{path}: values.{day.isoformat()}.confidence must be one of {', '.join(CONFIDENCE)}"
            )
            continue
        breakdown = doc.get("breakdown")
        if breakdown and not isinstance(entry["value"], dict):
            problems.append(f"{path}: values.{day.isoformat()}.value must map {breakdown} to values")
            continue
        dated.append((day, entry))
    if not dated:
        return None
    dated.sort(key=lambda item: item[0])
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
    )


def load_parameters(rules_dir: Path | str, chain: tuple[str, ...] = ("national", "chongqing")) -> ParameterSet:
    """Read every parameter of the jurisdiction chain; report all problems together."""
    rules_dir = Path(rules_dir)
    problems: list[str] = []
    parameters: dict[str, Parameter] = {}
    for jurisdiction in chain:
        root = rules_dir / jurisdiction / "parameters"
        if not root.is_dir():
            problems.append(f"{root}: jurisdiction '{jurisdiction}' has no parameters folder")
            continue
        for path in sorted(root.rglob("*.yaml")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            param = _read_parameter(path, name, problems)
            if param is not None:
                parameters[name] = param
    if problems:
        raise ConfigError(problems)
    return ParameterSet(parameters, tuple(chain))
