"""The data tables the generator ships in pipelines/synth/data (names, regions, incomes…)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=8)
def load_yaml(name: str) -> dict:
    """One of the data tables shipped in pipelines/synth/data (cached: treat as read-only)."""
    text = resources.files("pipelines.synth").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
