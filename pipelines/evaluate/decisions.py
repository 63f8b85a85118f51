"""Evaluate: household facts + the policy in force → one decision row per household with its trace.

The formulas, rules, programmes and status compile to Spark column expressions (no per-row
Python). The trace records, for every rule, the facts and formulas it read with their values,
the parameter values with the dates they took effect (the household's district's where it
overrides the city), and the result; `explain` prints it.
"""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.policy import Policy, Rule
from pipelines.policy.expressions import DISTRICT_FACT, sql_text, to_sql
from pipelines.policy.facts import FACTS

DECIMAL = "decimal(20,2)"


def parameter_trace_json(policy: Policy, names: tuple[str, ...], on: dt.date, district: str | None = None) -> str:
    """The parameters read, with value, dates, reference and file, as JSON (one district's view)."""
    return json.dumps(
        [policy.params.trace(name, on, district) for name in names],
        ensure_ascii=False,
        sort_keys=True,
    )


def parameter_trace(policy: Policy, names: tuple[str, ...], on: dt.date) -> Column:
    """The parameters read, with value, dates, reference and file, as JSON; per district where overridden."""
    column = F.lit(parameter_trace_json(policy, names, on, None))
    codes = sorted({code for name in names for code in policy.params.overrides(name)})
    if not codes:
        return column
    chained = None
    for code in codes:
        branch = F.lit(parameter_trace_json(policy, names, on, code))
        cond = F.col(DISTRICT_FACT) == F.lit(code)
        chained = F.when(cond, branch) if chained is None else chained.when(cond, branch)
    return chained.otherwise(column)


def _margin(value: str, threshold: str) -> str:
    return f"CAST(CASE WHEN {threshold} != 0 THEN round(({value} - {threshold}) / {threshold}, 4) END AS DECIMAL(12,4))"


def _inputs(names: tuple[str, ...]) -> str:
    """The facts and formulas a rule read, as JSON (maps and numbers as they were)."""
    if not names:
        return "'{}'"
    return "to_json(named_struct(" + ", ".join(f"'{n}', `{n}`" for n in names) + "))"


def _default(name: str) -> Column:
    kind = FACTS[name].kind
    if kind == "amounts_by_code":
        return F.create_map().cast(f"map<string,{DECIMAL}>")
    if kind == "text":
        return F.lit(None).cast("string")
    return F.lit(FACTS[name].default()).cast(DECIMAL if kind == "amount" else "int")


def with_formulas(facts: DataFrame, policy: Policy, on: dt.date) -> DataFrame:
    """Add every formula as a column, each rounded to the cent, in dependency order."""
    missing = [name for name in FACTS if name not in facts.columns]
    if missing:
        facts = facts.withColumns({name: _default(name) for name in missing})
    for formula in policy.formulas:
        sql = f"CAST(round({to_sql(formula.expression, policy.params, on)}, 2) AS {DECIMAL})"
        facts = facts.withColumn(formula.name, F.expr(sql))
    return facts


def rule_columns(policy: Policy, on: dt.date) -> list[Column]:
    """Per rule a struct `_rule_<n>`: value, threshold, holds, margin, borderline, inputs, parameters."""
    limit = f"CAST('{policy.params.at(policy.margin_parameter, on)}' AS DECIMAL(12,4))"
    value_sql, threshold_sql, compared = {}, {}, {}
    for rule in policy.rules:
        value_sql[rule.id] = f"CAST(round({to_sql(rule.value, policy.params, on)}, 2) AS {DECIMAL})"
        threshold_sql[rule.id] = f"CAST(round({to_sql(rule.threshold, policy.params, on)}, 2) AS {DECIMAL})"
        in_force = "true" if rule.in_force(on) else "false"
        compared[rule.id] = (f"(coalesce({value_sql[rule.id]} {rule.op} {threshold_sql[rule.id]}, false) "
                             f"AND {in_force})")

    def holds(rule: Rule) -> str:
        parts = [compared[rule.id], *[f"({holds(policy.rule(r))})" for r in rule.requires]]
        if rule.requires_any:
            parts.append("(" + " OR ".join(f"({holds(policy.rule(r))})" for r in rule.requires_any) + ")")
        parts.extend(f"NOT ({holds(policy.rule(r))})" for r in rule.unless)
        return " AND ".join(parts)

    out = []
    for i, rule in enumerate(policy.rules):
        value, threshold = value_sql[rule.id], threshold_sql[rule.id]
        fired = f"({holds(rule)})"
        margin = _margin(value, threshold)
        borderline = (f"({fired} AND {'true' if rule.borderline else 'false'} "
                      f"AND coalesce(abs({margin}) <= {limit}, false))")
        fields = {
            "rule_id": sql_text(rule.id),
            "rule_version": str(rule.version),
            "ruleset": sql_text(rule.ruleset),
            "flag_code": sql_text(rule.flag_code) if rule.flag_code else "CAST(NULL AS STRING)",
            "tier": sql_text(rule.tier) if rule.tier else "CAST(NULL AS STRING)",
            "in_force": "true" if rule.in_force(on) else "false",
            "value_expression": sql_text(rule.value.text),
            "op": sql_text(rule.op),
            "threshold_expression": sql_text(rule.threshold.text),
            "requires": sql_text(",".join(rule.requires)),
            "requires_any": sql_text(",".join(rule.requires_any)),
            "unless": sql_text(",".join(rule.unless)),
            "value": value,
            "threshold": threshold,
            "fired": fired,
            "margin": margin,
            "borderline": borderline,
            "inputs": _inputs(rule.names),
        }
        struct = "named_struct(" + ", ".join(f"'{k}', {v}" for k, v in fields.items()) + ")"
        out.append(F.expr(struct).withField("parameters", parameter_trace(policy, rule.parameters, on))
                   .alias(f"_rule_{i}"))
    return out


def programme_columns(policy: Policy) -> list[Column]:
    """Per programme `_programme_<n>`: eligible (every condition as required) and what failed.

    Reads the rule results from the `_rule_<n>` columns of an earlier projection, so each rule's
    expression is built once.
    """
    index = {r.id: i for i, r in enumerate(policy.rules)}
    out = []
    for i, p in enumerate(policy.programmes):
        checks = [(c, f"(`_rule_{index[c.rule_id]}`.fired = {'true' if c.must_hold else 'false'})")
                  for c in p.conditions]
        eligible = " AND ".join(ok for _, ok in checks) or "true"
        failed = ", ".join(f"CASE WHEN NOT {ok} THEN {sql_text(c.text)} END" for c, ok in checks)
        failed_sql = f"filter(array({failed}), x -> x IS NOT NULL)" if checks else "CAST(array() AS ARRAY<STRING>)"
        out.append(F.expr(
            f"named_struct('programme', {sql_text(p.name)}, 'version', {sql_text(p.version)}, "
            f"'eligible', ({eligible}), 'failed_conditions', {failed_sql})"
        ).alias(f"_programme_{i}"))
    return out


def status_columns(policy: Policy, on: dt.date) -> tuple[str, str]:
    """SQL of the status (the first whose programme is eligible) and of its benefit."""
    position = {p.name: i for i, p in enumerate(policy.programmes)}
    status, benefit = [], []
    fallback = "not_eligible"
    for s in policy.statuses:
        if s.programme is None:
            fallback = s.name
            break
        cond = f"`_programme_{position[s.programme]}`.eligible"
        computed = to_sql(policy.programme(s.programme).benefit, policy.params, on)
        status.append(f"WHEN {cond} THEN {sql_text(s.name)}")
        benefit.append(f"WHEN {cond} THEN coalesce(greatest({computed}, 0), 0)")
    return (f"CASE {' '.join(status)} ELSE {sql_text(fallback)} END",
            f"CAST(round(CASE {' '.join(benefit)} ELSE 0 END, 2) AS {DECIMAL})")


def facts_frame(spark, month: str, households: list[dict]) -> DataFrame:
    """A facts DataFrame from plain dicts (rule cases, tests): every fact of the catalog, typed,
    with its default where a household does not give it; `member_exclusions` defaults to "[]"."""
    from pyspark.sql import types as T

    dec = T.DecimalType(20, 2)
    kinds = {"text": T.StringType(), "count": T.IntegerType(), "amount": dec,
             "amounts_by_code": T.MapType(T.StringType(), dec)}
    schema = T.StructType(
        [T.StructField("month", T.StringType()), T.StructField("household_id", T.StringType())]
        + [T.StructField(name, kinds[f.kind]) for name, f in FACTS.items()]
        + [T.StructField("member_exclusions", T.StringType())]
    )
    rows = []
    for given in households:
        facts = {name: f.default() for name, f in FACTS.items()} | given
        rows.append([month, str(given["household_id"]), *[facts[n] for n in FACTS],
                     given.get("member_exclusions", "[]")])
    return spark.createDataFrame(rows, schema)


def evaluate(facts: DataFrame, policy: Policy, on: dt.date) -> DataFrame:
    """Decisions: per household the formulas, rule results, programmes, status and benefit."""
    staged = with_formulas(facts, policy, on).select("*", *rule_columns(policy, on))
    staged = staged.select("*", *programme_columns(policy))
    status, benefit = status_columns(policy, on)
    flag_rules = ", ".join(f"`_rule_{i}`" for i, r in enumerate(policy.rules) if r.flag_code)
    fired = f"transform(filter(array({flag_rules}), r -> r.fired), r -> r.flag_code)"
    formulas = "map(" + ", ".join(f"'{f.name}', `{f.name}`" for f in policy.formulas) + ")"
    return staged.selectExpr(
        "month",
        "household_id",
        "region_code",
        "urban_rural",
        "CAST(members_enrolled AS INT) AS members_enrolled",
        "CAST(members_counted AS INT) AS members_counted",
        "per_capita_income",
        f"{sql_text(policy.name)} AS ruleset",
        f"{sql_text(policy.version)} AS ruleset_version",
        f"{status} AS status",
        f"size({fired}) = 0 AS passes_all_rules",
        f"{fired} AS rules_fired",
        f"{benefit} AS benefit_computed",
        f"CAST(benefit_amount AS {DECIMAL}) AS benefit_amount",
        f"{formulas} AS formulas",
        "array(" + ", ".join(f"`_programme_{i}`" for i in range(len(policy.programmes))) + ") AS programmes",
        "array(" + ", ".join(f"`_rule_{i}`" for i in range(len(policy.rules))) + ") AS rule_results",
    )
