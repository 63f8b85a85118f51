"""Evaluate: household facts + the policy in force → one decision row per household with its trace.

- `decisions`: the formulas, rules, programmes and status as Spark column expressions, and the
  trace of every rule (`evaluate`);
- `whatif`: the same facts under the policy in force and a proposal, compared by district;
- `rule_cases`: the YAML cases beside the rules through the Spark evaluator.
"""

from pipelines.evaluate.decisions import (
    evaluate,
    facts_frame,
    parameter_trace,
    parameter_trace_json,
    programme_columns,
    rule_columns,
    status_columns,
    with_formulas,
)
from pipelines.evaluate.rule_cases import spark_decisions
from pipelines.evaluate.whatif import compare_policies, fact_warnings, run_whatif, summarise

__all__ = [
    "compare_policies",
    "evaluate",
    "fact_warnings",
    "facts_frame",
    "parameter_trace",
    "parameter_trace_json",
    "programme_columns",
    "rule_columns",
    "run_whatif",
    "spark_decisions",
    "status_columns",
    "summarise",
    "with_formulas",
]
