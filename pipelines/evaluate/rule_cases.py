"""The rule cases (`pipelines.policy.cases`) through the engine's Spark evaluator.

pytest collects the cases beside the rules (conftest.py) and compares each one's expected
outcome with the decision computed here and with the policy's Python reference.
"""

from __future__ import annotations

from typing import Any

from pipelines.evaluate.decisions import evaluate, facts_frame
from pipelines.policy.cases import Case
from pipelines.policy.ruleset import Policy


def spark_decisions(spark, policy: Policy, cases: list[Case]) -> dict[tuple[str, int], dict[str, Any]]:
    """Run the cases (of any files) through the engine's Spark evaluator, one job per period."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for period in sorted({c.period for c in cases}):
        batch = {str(n): c for n, c in enumerate(cases) if c.period == period}
        frame = facts_frame(spark, period, [c.facts() | {"household_id": n} for n, c in batch.items()])
        for row in evaluate(frame, policy, next(iter(batch.values())).on).collect():
            case = batch[row["household_id"]]
            out[(case.file, case.index)] = {
                "formulas": dict(row["formulas"]),
                "rules": {r["rule_id"]: r.asDict() for r in row["rule_results"]},
                "status": row["status"],
                "benefit": row["benefit_computed"],
            }
    return out
