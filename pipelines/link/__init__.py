"""Linking registry records to the people on the roster."""

from pipelines.link.deterministic import LINK_COLUMNS, link_by_id, roster_people, source_people

__all__ = ["LINK_COLUMNS", "link_by_id", "roster_people", "source_people"]
