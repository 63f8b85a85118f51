"""Chongqing's county-level region codes (GB/T 2260), current and retired, as reference data.

The codes and their history are data: pipelines/standardize/data/region_codes.yaml, read by
pipelines.standardize.regions (which also classifies codes and names on a given day). This
module keeps the plain dictionaries other modules use.
"""

from __future__ import annotations

from pipelines.standardize.regions import region_table

_TABLE = region_table()

# The 38 county-level units in force: 26 districts, 8 counties, 4 autonomous counties.
CHONGQING: dict[str, str] = {code: entry.name for code, entry in _TABLE.current.items()}

# Retired codes still printed in IDs issued before the renumbering → (name, code in force now).
RETIRED: dict[str, tuple[str, str]] = {
    code: (entry.name, _TABLE.successor_on(code, None) or "")
    for code, entry in _TABLE.retired.items()
}

AUTONOMOUS = tuple(
    code for code, entry in _TABLE.current.items() if entry.kind == "autonomous_county"
)


def region_name(code: str | None) -> str:
    """Name of a current or retired Chongqing code; the code itself when unknown."""
    if code in CHONGQING:
        return CHONGQING[code]
    if code in RETIRED:
        return RETIRED[code][0] + "（已撤销）"
    return str(code or "")


def current_code(code: str) -> str:
    """The code in force for a possibly retired one."""
    return RETIRED[code][1] if code in RETIRED else code
