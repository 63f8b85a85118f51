"""Income facts: registered income by type over the look-back window, and new work (渐退).

Social insurance is the income registry: an employee row's contribution base stands for the
wage of the month, a pension row for the pension paid. Every type is kept, the excluded ones
too (the rules set them aside with `dibao.excluded_income_types`), so a reviewer sees both.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.household.contrib import DECIMAL, contribution, detail_field
from pipelines.household.period import Period


def no_income() -> Column:
    """The income_by_type of a household without registered income: an empty map."""
    return F.create_map().cast(f"map<string,{DECIMAL}>")


def income_type(insurance_type: Column, kind: str) -> Column:
    """Income-type code of a social-insurance amount: wages, or the pension by scheme."""
    if kind == "wage":
        return F.lit("wage")
    return F.when(insurance_type == "resident", F.lit("resident_basic_pension")).otherwise(
        F.lit("employee_pension")
    )


def income_contributions(social_insurance: DataFrame, period: Period) -> list[DataFrame]:
    """One contribution per social-insurance amount paid in the look-back window."""
    window = social_insurance.where(F.col("month").isin(list(period.lookback_months)))
    excluded = list(period.excluded_income_types)
    parts = []
    for kind, amount in (("wage", "contribution_base"), ("pension", "pension_paid")):
        rows = window.where(F.col(amount).isNotNull() & (F.col(amount) > 0))
        if kind == "wage":  # a resident scheme's base is a contribution grade, not a wage
            rows = rows.where(F.col("insurance_type") == "employee")
        itype = income_type(F.col("insurance_type"), kind)
        detail = F.struct(
            itype.alias("income_type"),
            "month",
            "employer",
            itype.isin(excluded).alias("excluded"),
        )
        parts.append(contribution(rows, "income_by_type", F.col("record_key"), F.col(amount), detail))
    return parts


def provident_contributions(
    provident_fund: DataFrame, social_insurance: DataFrame | None, period: Period
) -> DataFrame:
    """A member whose provident fund was paid in the look-back window while social insurance
    shows them no wage in it: employment the income registry does not show, to verify (an old
    employer's account, still open but unpaid for years, is not recent and raises nothing)."""
    paid = provident_fund.where(
        (F.col("status") == "active") & F.col("last_paid_month").isin(list(period.lookback_months))
    )
    if social_insurance is not None:
        waged = social_insurance.where(
            F.col("month").isin(list(period.lookback_months))
            & (F.col("insurance_type") == "employee")
            & (F.col("contribution_base") > 0)
        ).select("person_key").distinct()
        paid = paid.join(waged, "person_key", "left_anti")
    detail = F.struct("employer", "base", "status", "last_paid_month")
    return contribution(paid, "members_provident_without_wage", F.col("person_key"), F.lit(1), detail)


def _income_rows(contrib: DataFrame) -> DataFrame:
    return contrib.where(F.col("fact") == "income_by_type").select(
        "household_id",
        "person_key",
        "amount",
        detail_field("income_type").alias("income_type"),
        detail_field("month").alias("month"),
    )


def income_facts(contrib: DataFrame, period: Period) -> DataFrame:
    """household_id, income_by_type (map sorted by type), countable and excluded totals."""
    excluded = list(period.excluded_income_types)
    by_type = (
        _income_rows(contrib)
        .groupBy("household_id", "income_type")
        .agg(F.sum("amount").cast(DECIMAL).alias("amount"))
    )
    is_excluded = F.col("income_type").isin(excluded)
    return by_type.groupBy("household_id").agg(
        F.map_from_entries(F.array_sort(F.collect_list(F.struct("income_type", "amount")))).alias(
            "income_by_type"
        ),
        F.sum(F.when(~is_excluded, F.col("amount"))).cast(DECIMAL).alias("countable_income_total"),
        F.sum(F.when(is_excluded, F.col("amount"))).cast(DECIMAL).alias("excluded_income_total"),
    )


def new_work(contrib: DataFrame, period: Period) -> DataFrame:
    """household_id, new_work_months, new_work_income.

    A member's new work is their latest run of consecutive wage months when it reaches the
    last month of the window and began inside it (a month without wage precedes it there):
    someone who worked the whole window has no new job. The household's months are its
    longest such run; its income the wages of all of them."""
    months = list(period.lookback_months)
    n = len(months)
    index = F.array_position(F.array(*[F.lit(m) for m in months]), F.col("month")) - 1
    wages = (
        _income_rows(contrib)
        .where(F.col("income_type") == "wage")
        .groupBy("household_id", "person_key", index.alias("m"))
        .agg(F.sum("amount").alias("wage"))
    )
    # length of the run of wage months ending in the last month (0 if none, n if all)
    run = F.expr(f"array_min(filter(sequence(0, {n}), k -> NOT array_contains(worked, {n - 1} - k)))")
    runs = (
        wages.groupBy("household_id", "person_key")
        .agg(F.collect_set("m").alias("worked"))
        .select("household_id", "person_key", run.alias("run"))
        .where((F.col("run") > 0) & (F.col("run") < n))
    )
    return (
        wages.join(runs, ["household_id", "person_key"])
        .groupBy("household_id")
        .agg(
            F.max("run").cast("int").alias("new_work_months"),
            F.sum(F.when(F.col("m") >= F.lit(n) - F.col("run"), F.col("wage")))
            .cast(DECIMAL)
            .alias("new_work_income"),
        )
    )
