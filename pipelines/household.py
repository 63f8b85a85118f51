"""Household facts: from the roster, the links and the registries, per household for one month.

Every figure is an aggregate of *contributions*: one row per registry record that added to a
fact, with its source, as-of date, file, row, amount and link. A flag shows the contributions
behind the facts it used, so a reviewer sees the records themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.config import month_bounds, months_before
from pipelines.policy import ParameterSet

DECIMAL = "decimal(20,2)"

# fact → how its contributions aggregate
SUM_FACTS = ("financial_assets", "countable_income_total", "excluded_income_total")
COUNT_FACTS = (
    "deceased_members",
    "vehicles_nonexempt",
    "businesses_active",
    "members_in_custody",
    "state_payroll_members",
)

# the contribution facts a household fact is computed from (what evidence to show)
FACT_EVIDENCE = {
    "deceased_members": ("deceased_members",),
    "per_capita_income": ("countable_income_total", "excluded_income_total", "members_in_custody"),
    "members_counted": ("members_in_custody",),
    "financial_assets": ("financial_assets",),
    "vehicles_nonexempt": ("vehicles_nonexempt",),
    "businesses_active": ("businesses_active",),
    "state_payroll_members": ("state_payroll_members",),
}

CONTRIBUTION_COLUMNS = (
    "household_id",
    "person_key",
    "fact",
    "item",
    "amount",
    "source",
    "record_key",
    "as_of",
    "file",
    "row",
    "detail",
    "link_method",
    "link_score",
    "link_evidence",
)


@dataclass(frozen=True)
class Period:
    """The month checked and the parameters in force on its first day."""

    month: str
    start: dt.date
    end: dt.date
    lookback_months: tuple[str, ...]
    excluded_income_types: tuple[str, ...]
    vehicle_exempt_types: tuple[str, ...]
    vehicle_counted_statuses: tuple[str, ...]
    business_active_statuses: tuple[str, ...]
    business_counted_roles: tuple[str, ...]
    payroll_months: tuple[str, ...]

    @classmethod
    def of(cls, month: str, params: ParameterSet) -> Period:
        start, end = month_bounds(month)
        n = int(params.at("dibao.income_lookback_months", start))
        return cls(
            month=month,
            start=start,
            end=end,
            lookback_months=tuple(months_before(start, n)),
            excluded_income_types=tuple(params.at("dibao.excluded_income_types", start)),
            vehicle_exempt_types=tuple(params.at("dibao.vehicle_exempt_types", start)),
            vehicle_counted_statuses=tuple(params.at("dibao.vehicle_counted_statuses", start)),
            business_active_statuses=tuple(params.at("dibao.business_active_statuses", start)),
            business_counted_roles=tuple(params.at("dibao.business_counted_roles", start)),
            payroll_months=tuple(
                months_before(start, int(params.at("dibao.state_payroll_lookback_months", start)))
            ),
        )


def income_type(insurance_type: Column, kind: str) -> Column:
    """Income-type code of a social-insurance amount: wages, or the pension by scheme."""
    if kind == "wage":
        return F.lit("wage")
    return F.when(insurance_type == "resident", F.lit("resident_basic_pension")).otherwise(
        F.lit("employee_pension")
    )


def _contrib(df: DataFrame, fact: Column | str, item: Column, amount: Column, detail: Column) -> DataFrame:
    return df.select(
        "household_id",
        "person_key",
        (F.lit(fact) if isinstance(fact, str) else fact).alias("fact"),
        item.cast("string").alias("item"),
        amount.cast(DECIMAL).alias("amount"),
        F.col("_source").alias("source"),
        F.col("record_key"),
        F.col("_as_of").alias("as_of"),
        F.col("_file").alias("file"),
        F.col("_row").alias("row"),
        F.to_json(detail).alias("detail"),
        F.col("method").alias("link_method"),
        F.col("score").alias("link_score"),
        F.col("evidence").alias("link_evidence"),
    )


def contributions(clean: dict[str, DataFrame], links: DataFrame, period: Period) -> DataFrame:
    """Every linked record that adds to a household fact for the period."""
    accepted = links.where(F.col("method") != "clerical").select(
        "person_key", "household_id", "source", F.col("source_record_key").alias("record_key"),
        "method", "score", "evidence",
    )

    def linked(source: str) -> DataFrame | None:
        if source not in clean:
            return None
        return clean[source].join(
            accepted.where(F.col("source") == source).drop("source"), "record_key"
        )

    end, start = F.lit(period.end), F.lit(period.start)
    parts: list[DataFrame] = []
    if (df := linked("hukou")) is not None:
        dead = df.where((F.col("status") == "deceased") & (F.col("status_date").isNull() | (F.col("status_date") <= end)))
        parts.append(_contrib(dead, "deceased_members", F.col("person_key"), F.lit(1),
                              F.struct("status", "status_date")))
    if (df := linked("cremation")) is not None:
        dead = df.where(F.col("death_date") <= end)
        parts.append(_contrib(dead, "deceased_members", F.col("person_key"), F.lit(1),
                              F.struct("death_date", "cremation_date")))
    if (df := linked("custody")) is not None:
        held = df.where((F.col("start_date") <= start) & (F.col("end_date").isNull() | (F.col("end_date") >= start)))
        parts.append(_contrib(held, "members_in_custody", F.col("person_key"), F.lit(1),
                              F.struct("custody_type", "start_date", "end_date")))
    if (df := linked("bank_deposits")) is not None:
        parts.append(_contrib(df, "financial_assets", F.col("record_key"), F.col("balance"),
                              F.struct("bank", "account_type", "as_of_date")))
    if (df := linked("securities")) is not None:
        parts.append(_contrib(df, "financial_assets", F.col("record_key"), F.col("market_value"),
                              F.struct("as_of_date")))
    if (df := linked("state_payroll")) is not None:
        paid = df.where(F.col("month").isin(list(period.payroll_months)))
        parts.append(_contrib(paid, "state_payroll_members", F.col("person_key"), F.lit(1),
                              F.struct("employer", "month")))
    if (df := linked("vehicles")) is not None:
        owned = df.where(
            F.col("status").isin(list(period.vehicle_counted_statuses))
            & ~F.col("vehicle_type").isin(list(period.vehicle_exempt_types))
        )
        parts.append(_contrib(owned, "vehicles_nonexempt", F.col("plate"), F.lit(1),
                              F.struct("vehicle_type", "status", "first_registration")))
    if (df := linked("business")) is not None:
        active = df.where(
            F.col("status").isin(list(period.business_active_statuses))
            & F.col("role").isin(list(period.business_counted_roles))
        )
        parts.append(_contrib(active, "businesses_active", F.col("uscc"), F.lit(1),
                              F.struct("uscc", "entity_name", "entity_type", "role", "status")))
    if (df := linked("social_insurance")) is not None:
        window = df.where(F.col("month").isin(list(period.lookback_months)))
        excluded = list(period.excluded_income_types)
        for kind, amount in (("wage", "contribution_base"), ("pension", "pension_paid")):
            rows = window.where(F.col(amount).isNotNull() & (F.col(amount) > 0))
            if kind == "wage":
                rows = rows.where(F.col("insurance_type") == "employee")
            itype = income_type(F.col("insurance_type"), kind)
            fact = F.when(itype.isin(excluded), F.lit("excluded_income_total")).otherwise(
                F.lit("countable_income_total")
            )
            parts.append(_contrib(rows, fact, F.col("record_key"), F.col(amount),
                                  F.struct("month", "employer", itype.alias("income_type"))))
    result = reduce(DataFrame.unionByName, parts)
    # a member in custody is not counted, so nothing of theirs counts but the custody itself
    held = result.where(F.col("fact") == "members_in_custody").select("person_key").distinct()
    kept = result.join(held.withColumn("_held", F.lit(True)), "person_key", "left")
    return kept.where(F.col("_held").isNull() | (F.col("fact") == "members_in_custody")).select(
        *CONTRIBUTION_COLUMNS
    )


def facts(roster: DataFrame, contrib: DataFrame, period: Period) -> DataFrame:
    """One row per roster household with every fact the rules read."""
    active = roster.where(F.col("status") == "active")
    first = active.groupBy("household_id").agg(
        F.min_by(F.struct("region_code", "urban_rural", "declared_income", "benefit_amount"), F.col("member_no")).alias("h"),
        F.count("*").alias("members_enrolled"),
    ).select("household_id", "h.*", "members_enrolled")
    aggs = [
        F.coalesce(F.sum(F.when(F.col("fact") == f, F.col("amount"))), F.lit(0)).cast(DECIMAL).alias(f)
        for f in SUM_FACTS
    ] + [
        F.count_distinct(F.when(F.col("fact") == f, F.col("item"))).alias(f) for f in COUNT_FACTS
    ]
    per_household = contrib.groupBy("household_id").agg(*aggs)
    joined = first.join(per_household, "household_id", "left").fillna(0, subset=[*SUM_FACTS, *COUNT_FACTS])
    lookback = len(period.lookback_months)
    counted = F.col("members_enrolled") - F.col("members_in_custody")
    per_capita = F.when(
        counted > 0,
        F.round(F.col("countable_income_total") / counted / F.lit(lookback), 2),
    ).cast(DECIMAL)
    return joined.select(
        F.lit(period.month).alias("month"),
        "household_id",
        "region_code",
        "urban_rural",
        "members_enrolled",
        "members_in_custody",
        counted.cast("int").alias("members_counted"),
        "deceased_members",
        F.lit(lookback).alias("income_lookback_months"),
        "countable_income_total",
        "excluded_income_total",
        per_capita.alias("per_capita_income"),
        "financial_assets",
        "vehicles_nonexempt",
        "businesses_active",
        "state_payroll_members",
        F.col("declared_income").cast(DECIMAL).alias("declared_income"),
        F.col("benefit_amount").cast(DECIMAL).alias("benefit_amount"),
    )
