"""Package names loaded on first use, so a light import (an Airflow DAG file, a CLI command) does
not pull in PySpark through a package that also holds Spark stages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `table` maps each name to the submodule defining it."""

    def load(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{table[name]}"), name)

    return load
