"""Reading policy YAML: dates stay text, so a bad date is reported with its file and key.

PyYAML turns `2025-02-30:` into a ValueError with no file or line; the loaders here parse
dates themselves and name what is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _TextDates(yaml.SafeLoader):
    pass


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> Any:
    """The YAML document at `path`, dates as text; raises yaml.YAMLError or UnicodeDecodeError."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_TextDates)  # noqa: S506 (a SafeLoader)


def read_mapping(path: Path, problems: list[str], expected: str = "a mapping") -> dict | None:
    """The mapping at `path`, or None with the problem (file and what was expected) added."""
    try:
        doc = load_yaml(path)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid YAML ({exc})")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{path}: expected {expected}")
        return None
    return doc
