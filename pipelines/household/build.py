"""Household facts: from the roster, the links and the registries, per household for one month.

Every figure is an aggregate of *contributions*: one row per registry record that added to a
fact, with its source, as-of date, file, row, amount and link. A flag shows the contributions
behind the facts it used, so a reviewer sees the records themselves.

Only base facts are built here (counts, amounts by source and type, areas); the derived figures
(members counted, countable and per-capita income, financial assets, area per person) are
formulas of the rules (rules/national/formulas.yaml), so that a change of law is a change of
YAML. Income (`income`), real estate (`property`), identity (`identity`) and marriage
(`marriage`) have their own modules; the month and its parameters are `period.Period`.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipelines.household.contrib import (
    CONTRIBUTION_COLUMNS,
    DECIMAL,
    contribution,
    detail_field,
    dibao_enrolment,
)
from pipelines.household.identity import identity_contributions
from pipelines.household.income import (
    income_contributions,
    income_facts,
    new_work,
    no_income,
    provident_contributions,
)
from pipelines.household.marriage import marriage_contributions
from pipelines.household.period import Period
from pipelines.household.property import deceased_owner_rows, property_contributions, property_facts
from pipelines.link.registries import person_key

# base fact → how its contributions aggregate
SUM_FACTS = ("deposits", "deposits_dormant", "securities", "insurance_cash_value")
COUNT_FACTS = (
    "members_in_custody",
    "members_enrolled_elsewhere",
    "deceased_members",
    "state_payroll_members",
    "vehicles_nonexempt",
    "vehicles_doubtful",
    "businesses_active",
    "members_provident_without_wage",
    "members_identity_unverified",
    "undeclared_spouses",
)
# financial-asset registry → (the fact it adds to, its amount column, the detail shown)
ASSET_SOURCES = {
    "bank_deposits": ("deposits", "balance", ("bank", "account_type", "as_of_date")),
    "securities": ("securities", "market_value", ("market", "as_of_date")),
    "insurance": ("insurance_cash_value", "cash_value", ("insurer", "product_type", "as_of_date")),
}

# fact (base or derived by a formula) → the contribution facts to show as its evidence
_ASSETS = ("deposits", "securities", "insurance_cash_value")
_INCOME = ("income_by_type", "members_in_custody")
FACT_EVIDENCE = {
    "members_in_custody": ("members_in_custody",),
    "member_exclusions": ("members_in_custody",),
    "members_counted": ("members_in_custody",),
    "deceased_members": ("deceased_members",),
    "members_enrolled_elsewhere": ("members_enrolled_elsewhere",),
    "state_payroll_members": ("state_payroll_members",),
    "vehicles_nonexempt": ("vehicles_nonexempt",),
    "vehicles_doubtful": ("vehicles_doubtful",),
    "deposits_dormant": ("deposits_dormant",),
    "homes_doubtful": ("homes_doubtful",),
    "home_area_doubtful": ("homes_doubtful",),
    "commercial_properties_doubtful": ("commercial_properties_doubtful",),
    "members_provident_without_wage": ("members_provident_without_wage",),
    "members_identity_unverified": ("members_identity_unverified",),
    "undeclared_spouses": ("undeclared_spouses",),
    "businesses_active": ("businesses_active",),
    "income_by_type": ("income_by_type",),
    "countable_income_total": _INCOME,
    "excluded_income_total": ("income_by_type",),
    "countable_income": _INCOME,
    "excluded_income": ("income_by_type",),
    "per_capita_income": _INCOME,
    "per_capita_income_without_new_work": _INCOME,
    "new_work_months": ("income_by_type",),
    "new_work_income": ("income_by_type",),
    "deposits": ("deposits",),
    "securities": ("securities",),
    "insurance_cash_value": ("insurance_cash_value",),
    "financial_assets": _ASSETS,
    "homes": ("homes",),
    "home_area": ("homes",),
    "home_area_per_capita": ("homes", "members_in_custody"),
    "commercial_properties": ("commercial_properties",),
}


def duplicate_contributions(duplicates: DataFrame, roster: DataFrame) -> DataFrame:
    """A member also enrolled in another household: one contribution per other enrolment.

    `duplicates` is the roster linked to itself (pipelines/link/duplicates.py); only matches
    across two households count, of any programme (低保 and 特困 at once is one of them). The record shown is the other enrolment's roster row, with
    how the two were found to be one person."""
    pairs = duplicates.where((F.col("band") == "match") & ~F.col("same_household"))
    sides = [
        pairs.select(F.col(f"person_key_{me}").alias("person_key"), F.col(f"household_{me}").alias("household_id"),
                     F.col(f"person_key_{other}").alias("_other"), F.col(f"household_{other}").alias("_other_household"),
                     "method", "probability", "evidence")
        for me, other in (("a", "b"), ("b", "a"))
    ]
    programme = F.col("programme") if "programme" in roster.columns else F.lit("dibao")
    rows = roster.select(
        person_key().alias("_other"),
        F.col("region_code").alias("_other_region"), programme.alias("_other_programme"),
        "_source", "_as_of", "_file", "_row",
    )
    joined = sides[0].unionByName(sides[1]).join(rows, "_other")
    return joined.select(
        "household_id",
        "person_key",
        F.lit("members_enrolled_elsewhere").alias("fact"),
        F.col("person_key").alias("item"),
        F.lit(1).cast(DECIMAL).alias("amount"),
        F.col("_source").alias("source"),
        F.col("_other").alias("record_key"),
        F.col("_as_of").alias("as_of"),
        F.col("_file").alias("file"),
        F.col("_row").alias("row"),
        F.to_json(F.struct(F.col("_other_household").alias("other_household"),
                           F.col("_other_region").alias("other_region_code"),
                           F.col("_other_programme").alias("other_programme"))).alias("detail"),
        F.col("method").alias("link_method"),
        F.col("probability").alias("link_score"),
        F.col("evidence").alias("link_evidence"),
    )


def contributions(clean: dict[str, DataFrame], links: DataFrame, period: Period,
                  duplicates: DataFrame | None = None) -> DataFrame:
    """Every linked record that adds to a household fact for the period (and, given the roster's
    duplicates, every other enrolment of a member)."""
    # Each input used by several parts is materialized once (localCheckpoint): inlined, the
    # plan repeated every registry's join and ID standardization in each part that read it
    # (hundreds of scans and Python evaluations), and planning it alone took longer than
    # running it at the demo's size.
    accepted = links.where(F.col("method") != "clerical").select(
        "person_key", "household_id", "source", F.col("source_record_key").alias("record_key"),
        "method", "score", "evidence",
    ).localCheckpoint()
    joined: dict[str, DataFrame] = {}

    def linked(source: str) -> DataFrame | None:
        if source not in clean:
            return None
        if source not in joined:
            joined[source] = clean[source].join(
                accepted.where(F.col("source") == source).drop("source"), "record_key"
            ).localCheckpoint()
        return joined[source]

    end, start = F.lit(period.end), F.lit(period.start)
    person = F.col("person_key")
    parts: list[DataFrame] = []
    if (df := linked("hukou")) is not None:
        dead = df.where((F.col("status") == "deceased") & (F.col("status_date").isNull() | (F.col("status_date") <= end)))
        parts.append(contribution(dead, "deceased_members", person, F.lit(1),
                                  F.struct("status", "status_date")))
    if (df := linked("cremation")) is not None:
        dead = df.where(F.col("death_date") <= end)
        parts.append(contribution(dead, "deceased_members", person, F.lit(1),
                                  F.struct("death_date", "cremation_date")))
    if (df := linked("custody")) is not None:
        # held on the first day of the month: the month's count leaves them out (DOMAIN §1.1)
        held = df.where((F.col("start_date") <= start) & (F.col("end_date").isNull() | (F.col("end_date") >= start)))
        parts.append(contribution(held, "members_in_custody", person, F.lit(1),
                                  F.struct("custody_type", "start_date", "end_date")))
    for source, (fact, amount, fields) in ASSET_SOURCES.items():
        if (df := linked(source)) is not None:
            if source == "bank_deposits" and "last_activity_date" in df.columns:
                dormant = F.coalesce(F.col("last_activity_date") < F.lit(period.dormant_before), F.lit(False))
                detail = F.struct(*fields, "last_activity_date")
                parts.append(contribution(df.where(~dormant), fact, F.col("record_key"), F.col(amount), detail))
                parts.append(contribution(df.where(dormant), "deposits_dormant", F.col("record_key"),
                                          F.col(amount), detail))
                continue
            parts.append(contribution(df, fact, F.col("record_key"), F.col(amount), F.struct(*fields)))
    if (df := linked("real_estate")) is not None:
        parts.extend(property_contributions(df, period, deceased_owner_rows(clean, period)))
    if (df := linked("state_payroll")) is not None:
        paid = df.where(F.col("month").isin(list(period.payroll_months)))
        parts.append(contribution(paid, "state_payroll_members", person, F.lit(1),
                                  F.struct("employer", "month")))
    if (df := linked("vehicles")) is not None:
        counted = F.col("status").isin(list(period.vehicle_counted_statuses))
        # still registered, but likely scrapped or sold (DOMAIN §4): to verify, not counted
        doubtful = F.col("status").isin(list(period.vehicle_doubtful_statuses)) | (
            counted & F.coalesce(F.col("first_registration") <= F.lit(period.vehicle_doubtful_before), F.lit(False))
        )
        nonexempt = df.where(~F.col("vehicle_type").isin(list(period.vehicle_exempt_types)))
        detail = F.struct("vehicle_type", "status", "first_registration")
        parts.append(contribution(nonexempt.where(counted & ~doubtful), "vehicles_nonexempt", F.col("plate"),
                                  F.lit(1), detail))
        parts.append(contribution(nonexempt.where(doubtful), "vehicles_doubtful", F.col("plate"), F.lit(1), detail))
    if (df := linked("business")) is not None:
        active = df.where(
            F.col("status").isin(list(period.business_active_statuses))
            & F.col("role").isin(list(period.business_counted_roles))
        )
        parts.append(contribution(active, "businesses_active", F.col("uscc"), F.lit(1),
                                  F.struct("uscc", "entity_name", "entity_type", "role", "status")))
    if (df := linked("social_insurance")) is not None:
        parts.extend(income_contributions(df, period))
    if (df := linked("provident_fund")) is not None:
        parts.append(provident_contributions(df, linked("social_insurance"), period))
    if "roster" in clean:
        parts.append(identity_contributions(clean["roster"], links))
    if "marriage" in clean and "roster" in clean:  # all links: a spouse's possible match counts
        parts.append(marriage_contributions(
            clean["marriage"], links, clean["roster"].where(F.col("status") == "active"),
            clean.get("hukou"), clean.get("cremation"), period))
    if duplicates is not None and "roster" in clean:
        active = clean["roster"].where(F.col("status") == "active")
        parts.append(duplicate_contributions(duplicates, active))
    result = reduce(DataFrame.unionByName, parts)
    # a member in custody is not counted, so nothing of theirs counts but the custody itself
    held = result.where(F.col("fact") == "members_in_custody").select("person_key").distinct()
    kept = result.join(held.withColumn("_held", F.lit(True)), "person_key", "left")
    return kept.where(F.col("_held").isNull() | (F.col("fact") == "members_in_custody")).select(
        *CONTRIBUTION_COLUMNS
    )


def member_exclusions(contrib: DataFrame) -> DataFrame:
    """household_id, member_exclusions: JSON array of the members left out of the count and why,
    sorted by person and record; nulls written (an open-ended custody has end_date null)."""
    entry = F.struct(  # fields in name order: the JSON reads as json.dumps(sort_keys=True)
        detail_field("end_date").alias("end_date"),
        F.col("person_key"),
        F.lit("custody").alias("reason"),
        F.col("record_key"),
        F.col("source"),
        detail_field("start_date").alias("start_date"),
    )
    keyed = F.struct(F.col("person_key"), F.col("record_key"), entry.alias("entry"))
    return (
        contrib.where(F.col("fact") == "members_in_custody")
        .groupBy("household_id")
        .agg(F.sort_array(F.collect_list(keyed)).alias("_entries"))
        .select(
            "household_id",
            F.to_json(
                F.transform("_entries", lambda e: e["entry"]), {"ignoreNullFields": "false"}
            ).alias("member_exclusions"),
        )
    )


def facts(roster: DataFrame, contrib: DataFrame, period: Period) -> DataFrame:
    """One row per 低保 roster household with active members: every base fact the rules read.
    (Other programmes' enrolments, 特困 for one, count only as a member's other enrolment.)"""
    active = roster.where((F.col("status") == "active") & dibao_enrolment(roster))
    first = active.groupBy("household_id").agg(
        F.min_by(F.struct("region_code", "urban_rural", "declared_income", "benefit_amount"), F.col("member_no")).alias("h"),
        F.count("*").cast("int").alias("members_enrolled"),
    ).select("household_id", "h.*", "members_enrolled")
    aggs = [
        F.sum(F.when(F.col("fact") == f, F.col("amount"))).cast(DECIMAL).alias(f) for f in SUM_FACTS
    ] + [
        F.count_distinct(F.when(F.col("fact") == f, F.col("item"))).cast("int").alias(f)
        for f in COUNT_FACTS
    ]
    parts = [
        contrib.groupBy("household_id").agg(*aggs),
        member_exclusions(contrib),
        income_facts(contrib, period),
        property_facts(contrib),
        new_work(contrib, period),
    ]
    joined = reduce(lambda df, part: df.join(part, "household_id", "left"), parts, first)
    zero = F.lit(0).cast(DECIMAL)

    def amount(name: str):
        return F.coalesce(F.col(name), zero).alias(name)

    def count(name: str):
        return F.coalesce(F.col(name), F.lit(0)).cast("int").alias(name)

    return joined.select(
        F.lit(period.month).alias("month"),
        "household_id",
        "region_code",
        "urban_rural",
        "members_enrolled",
        count("members_in_custody"),
        F.coalesce(F.col("member_exclusions"), F.lit("[]")).alias("member_exclusions"),
        count("deceased_members"),
        count("members_enrolled_elsewhere"),
        count("undeclared_spouses"),
        count("state_payroll_members"),
        count("vehicles_nonexempt"),
        count("vehicles_doubtful"),
        count("businesses_active"),
        count("members_provident_without_wage"),
        count("members_identity_unverified"),
        F.coalesce(F.col("income_by_type"), no_income()).alias("income_by_type"),
        amount("countable_income_total"),
        amount("excluded_income_total"),
        amount("deposits"),
        amount("deposits_dormant"),
        amount("securities"),
        amount("insurance_cash_value"),
        count("homes"),
        amount("home_area"),
        count("commercial_properties"),
        count("homes_doubtful"),
        amount("home_area_doubtful"),
        count("commercial_properties_doubtful"),
        count("new_work_months"),
        amount("new_work_income"),
        F.col("declared_income").cast(DECIMAL).alias("declared_income"),
        F.col("benefit_amount").cast(DECIMAL).alias("benefit_amount"),
    )
