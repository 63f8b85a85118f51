"""Evaluate: household facts + the rule set in force → one decision row per household with a trace.

The rules compile to Spark column expressions (no per-row Python). The trace records, for every
rule, the inputs, the parameter values with the dates they took effect, and the result.
"""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.policy import Rule, RuleSet
from pipelines.policy.expressions import compare, to_spark

DECIMAL = "decimal(20,2)"


def parameter_trace(ruleset: RuleSet, rule: Rule, on: dt.date) -> str:
    """The parameters a rule read, with value, dates and reference, as JSON."""
    return json.dumps(
        [ruleset.params.entry(name, on).trace() for name in rule.parameters],
        ensure_ascii=False,
        sort_keys=True,
    )


def _margin(value: Column, threshold: Column) -> Column:
    return F.when(threshold != 0, F.round((value - threshold) / threshold, 4)).cast("decimal(12,4)")


def rule_columns(ruleset: RuleSet, on: dt.date) -> list[Column]:
    """One struct per rule: value, threshold, fired, margin, borderline and its parameters."""
    margin_limit = F.lit(str(ruleset.params.at(ruleset.margin_parameter, on))).cast("decimal(12,4)")
    out = []
    for rule in ruleset.rules:
        value = F.round(to_spark(rule.value, ruleset.params, on), 2).cast(DECIMAL)
        threshold = F.round(to_spark(rule.threshold, ruleset.params, on), 2).cast(DECIMAL)
        fired = F.coalesce(compare(rule.op, value, threshold), F.lit(False))
        margin = _margin(value, threshold)
        borderline = F.lit(rule.borderline) & F.coalesce(F.abs(margin) <= margin_limit, F.lit(False))
        out.append(
            F.struct(
                F.lit(rule.id).alias("rule_id"),
                F.lit(rule.version).alias("rule_version"),
                F.lit(rule.flag_code).alias("flag_code"),
                F.lit(rule.tier).alias("tier"),
                F.lit(rule.value.text).alias("value_expression"),
                F.lit(rule.op).alias("op"),
                F.lit(rule.threshold.text).alias("threshold_expression"),
                value.alias("value"),
                threshold.alias("threshold"),
                fired.alias("fired"),
                margin.alias("margin"),
                borderline.alias("borderline"),
                F.lit(parameter_trace(ruleset, rule, on)).alias("parameters"),
            )
        )
    return out


def evaluate(facts: DataFrame, ruleset: RuleSet, on: dt.date) -> DataFrame:
    """Decisions: per household the rule results, whether any fired, and the benefit computed."""
    benefit = F.greatest(to_spark(ruleset.benefit, ruleset.params, on), F.lit(0))
    results = F.array(*rule_columns(ruleset, on))
    fired = F.transform(F.filter(results, lambda r: r["fired"]), lambda r: r["flag_code"])
    return facts.select(
        "*",
        results.alias("rule_results"),
    ).select(
        "month",
        "household_id",
        "region_code",
        "urban_rural",
        "members_counted",
        "per_capita_income",
        F.lit(ruleset.name).alias("ruleset"),
        F.lit(ruleset.version).alias("ruleset_version"),
        (F.size(fired) == 0).alias("passes_all_rules"),
        fired.alias("rules_fired"),
        F.round(benefit, 2).cast(DECIMAL).alias("benefit_computed"),
        "rule_results",
    )
