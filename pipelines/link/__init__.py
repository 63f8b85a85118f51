"""Linking registry records to the people on the roster (and any two person tables).

A thin facade: the configuration (`config`), the two passes (`linker`), and the domain use
that links every registry to the roster (`registries`).
"""

from pipelines.link.config import LinkConfig, builtin_config, load_config, resolve_config
from pipelines.link.linker import LinkResult, link_tables
from pipelines.link.registries import LINK_COLUMNS, link_registries, roster_people

__all__ = [
    "LINK_COLUMNS",
    "LinkConfig",
    "LinkResult",
    "builtin_config",
    "link_registries",
    "link_tables",
    "load_config",
    "resolve_config",
    "roster_people",
]
