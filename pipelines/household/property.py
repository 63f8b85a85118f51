"""Real-estate facts: homes, their floor area by the household's shares, commercial property.

The registry has one row per owner of a certificate. A household's part of a certificate is
the sum of its counted members' shares, at most the whole; a share left blank is split evenly
among the certificate's owner rows found for the household (members in custody included: their
part is set aside, not handed to the others).

A certificate whose other owner (not a member of the household) has died by the month's end,
by 户籍 or a cremation record matched on the standardized ID, is *doubtful* (DOMAIN §4: a
deceased co-owner, the register not yet updated after an inheritance): it is counted apart, in
`homes_doubtful` / `commercial_properties_doubtful`, for a reviewer to verify.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from pipelines.household.contrib import DECIMAL, contribution, deceased_ids, detail_field
from pipelines.household.period import Period
from pipelines.standardize.spark import fast_id18

SHARE = "decimal(20,6)"
CURRENT = "current"  # 现势: a right in force (not cancelled, not only seized)


def deceased_owner_rows(clean: dict[str, DataFrame], period: Period) -> DataFrame | None:
    """certificate_no, _dead_key (record key), owner_seq, death_source: the real-estate owner
    rows whose owner died by the month's end, by 户籍 status or a cremation record (matched on
    the standardized 18-digit ID, the owner being anyone, on the roster or not)."""
    if "real_estate" not in clean or "owner_id" not in clean["real_estate"].columns:
        return None
    ids = deceased_ids(clean.get("hukou"), clean.get("cremation"), period.end)
    if ids is None:
        return None
    owners = clean["real_estate"].select(
        "certificate_no", "owner_seq", F.col("record_key").alias("_dead_key"),
        fast_id18(F.col("owner_id")).alias("_id18"),
    )
    return owners.join(ids, "_id18").drop("_id18")


def property_contributions(real_estate: DataFrame, period: Period,
                           deceased_owners: DataFrame | None = None) -> list[DataFrame]:
    """One contribution per linked owner row of a current home or commercial certificate.

    `amount` is area × the owner's share; the detail keeps the share as registered and the
    share counted (`share_counted`), which `property_facts` adds up per certificate. Given the
    owner rows of deceased people (`deceased_owner_rows`), a certificate with a deceased owner
    outside the household counts under the `_doubtful` facts instead."""
    owners = F.count(F.lit(1)).over(Window.partitionBy("household_id", "certificate_no"))
    even = F.lit(1).cast(SHARE) / owners.cast("decimal(20,0)")
    rows = real_estate.withColumn(
        "_share", F.coalesce(F.col("share").cast(SHARE), even.cast(SHARE))
    ).where(F.col("status") == CURRENT)
    if deceased_owners is not None:
        mine = real_estate.select("household_id", "certificate_no", F.col("record_key").alias("_dead_key"))
        others = (
            mine.select("household_id", "certificate_no").distinct()
            .join(deceased_owners, "certificate_no")
            .join(mine, ["household_id", "certificate_no", "_dead_key"], "left_anti")
            .groupBy("household_id", "certificate_no")
            .agg(F.min_by(F.struct("owner_seq", "death_source"), F.col("owner_seq")).alias("_dead"))
        )
        rows = rows.join(others, ["household_id", "certificate_no"], "left")
    else:
        rows = rows.withColumn("_dead", F.lit(None).cast("struct<owner_seq:int,death_source:string>"))
    detail = F.struct(
        "use",
        "area",
        "share",
        F.col("_share").alias("share_counted"),
        "status",
        "registration_date",
        F.col("_dead.owner_seq").alias("deceased_coowner_seq"),
        F.col("_dead.death_source").alias("deceased_coowner_source"),
    )
    amount = F.round(F.col("area") * F.col("_share"), 2)
    doubtful = F.col("_dead").isNotNull()
    parts = []
    for fact, uses in (
        ("homes", period.residential_uses),
        ("commercial_properties", period.commercial_property_uses),
    ):
        owned = rows.where(F.col("use").isin(list(uses)))
        parts.append(contribution(owned.where(~doubtful), fact, F.col("certificate_no"), amount, detail))
        parts.append(contribution(owned.where(doubtful), f"{fact}_doubtful", F.col("certificate_no"), amount,
                                  detail))
    return parts


PROPERTY_FACTS = ("homes", "commercial_properties", "homes_doubtful", "commercial_properties_doubtful")


def property_facts(contrib: DataFrame) -> DataFrame:
    """household_id, homes, home_area, commercial_properties and the same of the doubtful
    certificates (homes_doubtful, home_area_doubtful, commercial_properties_doubtful)."""
    certs = (
        contrib.where(F.col("fact").isin(*PROPERTY_FACTS))
        .groupBy("household_id", "fact", "item")
        .agg(
            F.max(detail_field("area", DECIMAL)).alias("area"),
            F.sum(detail_field("share_counted", SHARE)).alias("share"),
        )
    )
    part = F.round(F.col("area") * F.least(F.col("share"), F.lit(1).cast(SHARE)), 2)
    aggs = []
    for suffix in ("", "_doubtful"):
        is_home = F.col("fact") == f"homes{suffix}"
        aggs += [
            F.count(F.when(is_home, F.lit(1))).cast("int").alias(f"homes{suffix}"),
            F.coalesce(F.sum(F.when(is_home, part)), F.lit(0)).cast(DECIMAL).alias(f"home_area{suffix}"),
            F.count(F.when(F.col("fact") == f"commercial_properties{suffix}", F.lit(1)))
            .cast("int").alias(f"commercial_properties{suffix}"),
        ]
    return certs.groupBy("household_id").agg(*aggs)
