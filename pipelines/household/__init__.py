"""Household facts: from the roster, the links and the registries, per household for one month.

- `period`: the month checked and the parameters in force on its first day (`Period.of`);
- `contrib`: a contribution, one registry record that adds to one fact, with where it came from;
- `build`: every contribution of the month (`contributions`) and the base facts they add up to
  (`facts`), with `income`, `property`, `identity` and `marriage` for their own facts.
"""

from pipelines.household.build import (
    ASSET_SOURCES,
    COUNT_FACTS,
    FACT_EVIDENCE,
    SUM_FACTS,
    contributions,
    duplicate_contributions,
    facts,
    member_exclusions,
)
from pipelines.household.contrib import CONTRIBUTION_COLUMNS, contribution
from pipelines.household.period import Period

__all__ = [
    "ASSET_SOURCES",
    "CONTRIBUTION_COLUMNS",
    "COUNT_FACTS",
    "FACT_EVIDENCE",
    "SUM_FACTS",
    "Period",
    "contribution",
    "contributions",
    "duplicate_contributions",
    "facts",
    "member_exclusions",
]
