"""Real-estate facts: homes, their floor area by the household's shares, commercial property.

The registry has one row per owner of a certificate. A household's part of a certificate is
the sum of its counted members' shares, at most the whole; a share left blank is split evenly
among the certificate's owner rows found for the household (members in custody included: their
part is set aside, not handed to the others).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from pipelines.household_contrib import DECIMAL, contribution, detail_field

if TYPE_CHECKING:
    from pipelines.household import Period

SHARE = "decimal(20,6)"
CURRENT = "current"  # 现势: a right in force (not cancelled, not only seized)


def property_contributions(real_estate: DataFrame, period: Period) -> list[DataFrame]:
    """One contribution per linked owner row of a current home or commercial certificate.

    `amount` is area × the owner's share; the detail keeps the share as registered and the
    share counted (`share_counted`), which `property_facts` adds up per certificate."""
    owners = F.count(F.lit(1)).over(Window.partitionBy("household_id", "certificate_no"))
    even = F.lit(1).cast(SHARE) / owners.cast("decimal(20,0)")
    rows = real_estate.withColumn(
        "_share", F.coalesce(F.col("share").cast(SHARE), even.cast(SHARE))
    ).where(F.col("status") == CURRENT)
    detail = F.struct(
        "use",
        "area",
        "share",
        F.col("_share").alias("share_counted"),
        "status",
        "registration_date",
    )
    amount = F.round(F.col("area") * F.col("_share"), 2)
    parts = []
    for fact, uses in (
        ("homes", period.residential_uses),
        ("commercial_properties", period.commercial_property_uses),
    ):
        owned = rows.where(F.col("use").isin(list(uses)))
        parts.append(contribution(owned, fact, F.col("certificate_no"), amount, detail))
    return parts


def property_facts(contrib: DataFrame) -> DataFrame:
    """household_id, homes, home_area, commercial_properties from the contributions."""
    certs = (
        contrib.where(F.col("fact").isin("homes", "commercial_properties"))
        .groupBy("household_id", "fact", "item")
        .agg(
            F.max(detail_field("area", DECIMAL)).alias("area"),
            F.sum(detail_field("share_counted", SHARE)).alias("share"),
        )
    )
    part = F.round(F.col("area") * F.least(F.col("share"), F.lit(1).cast(SHARE)), 2)
    is_home = F.col("fact") == "homes"
    return certs.groupBy("household_id").agg(
        F.count(F.when(is_home, F.lit(1))).cast("int").alias("homes"),
        F.coalesce(F.sum(F.when(is_home, part)), F.lit(0)).cast(DECIMAL).alias("home_area"),
        F.count(F.when(~is_home, F.lit(1))).cast("int").alias("commercial_properties"),
    )
