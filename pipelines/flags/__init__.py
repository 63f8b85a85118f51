"""Flags: the rules a household's decision fired, as points for review with their evidence; and
the 漏保 screen, people not enrolled whose facts look eligible, as leads for outreach.

- `build`: one flag per fired rule, with tier, evidence records, thresholds and an explanation in
  Chinese and English (`build_flags`);
- `outreach`: households on 户籍 not enrolled, screened and evaluated (`possibly_eligible`).
"""

from pipelines.flags.build import (
    FLAG_SCHEMA,
    MEMBER_FACTS,
    TIER_ORDER,
    build_flags,
    evidence_facts,
    fired_rules,
)
from pipelines.flags.outreach import OUTPUT_COLUMNS, Screen, possibly_eligible

__all__ = [
    "FLAG_SCHEMA",
    "MEMBER_FACTS",
    "OUTPUT_COLUMNS",
    "TIER_ORDER",
    "Screen",
    "build_flags",
    "evidence_facts",
    "fired_rules",
    "possibly_eligible",
]
