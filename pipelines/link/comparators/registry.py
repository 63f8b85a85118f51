"""Every comparator kind by name, and `comparator(kind, params)`: one with its parameters checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from pipelines.link.comparators.address import ADDRESS
from pipelines.link.comparators.dates import DATE
from pipelines.link.comparators.ids import ID_NUMBER
from pipelines.link.comparators.names import PERSON_NAME
from pipelines.link.comparators.phone import PHONE
from pipelines.link.comparators.spec import ComparatorConfigError, ComparatorSpec
from pipelines.link.comparators.text import EXACT, LEVENSHTEIN, TEXT

COMPARATORS: dict[str, ComparatorSpec] = {
    spec.kind: spec
    for spec in (EXACT, TEXT, LEVENSHTEIN, ID_NUMBER, PERSON_NAME, DATE, PHONE, ADDRESS)
}


def parameter_problems(kind: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """What is wrong with comparator `kind` and `params`, each naming the kind and the key."""
    spec = COMPARATORS.get(kind)
    if spec is None:
        return [f"comparator kind {kind!r} is unknown (expected one of: {', '.join(COMPARATORS)})"]
    params = dict(params or {})
    problems = [
        f"comparator {kind!r}: unknown parameter {key!r} "
        f"(expected {', '.join(spec.params) if spec.params else 'none'})"
        for key in params
        if key not in spec.params
    ]
    if problems:
        return problems
    return [f"comparator {kind!r}: {p}" for p in spec.check({**spec.params, **params})]


def comparator(kind: str, params: Mapping[str, Any] | None = None) -> ComparatorSpec:
    """The comparator of `kind` with `params` over its defaults; all problems reported at once."""
    problems = parameter_problems(kind, params)
    if problems:
        raise ComparatorConfigError(problems)
    spec = COMPARATORS[kind]
    return replace(spec, params=MappingProxyType({**spec.params, **dict(params or {})}))
