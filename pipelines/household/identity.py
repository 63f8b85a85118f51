"""Identity: whether 户籍 confirms who each counted member is (DOMAIN §4, the fourth tier).

A member is verified when a 户籍 record is linked to them by a checksum-valid ID equal to theirs
and a compatible name (link method `id_exact`). Otherwise their identity is *to verify*: the
roster's ID is invalid or missing, no 户籍 record was found, or the only candidates agree by
name and birth date or a near ID, or are possible matches (equal IDs, conflicting names). Never
a violation by itself; every other point about that member rests on who they are.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from pipelines.household.contrib import contribution, dibao_enrolment
from pipelines.link.registries import person_key
from pipelines.standardize.spark import fast_id18

FACT = "members_identity_unverified"
# the strongest 户籍 link first: a member's identity rests on the best candidate
_METHOD_RANK = {"id_exact": 0, "id_fuzzy": 1, "probabilistic": 2, "clerical": 3}


def best_hukou_links(links: DataFrame) -> DataFrame:
    """person_key, method, score, evidence: each member's strongest 户籍 link (clerical ones too)."""
    rank = F.coalesce(
        *[F.when(F.col("method") == m, F.lit(r)) for m, r in _METHOD_RANK.items()], F.lit(len(_METHOD_RANK))
    )
    order = Window.partitionBy("person_key").orderBy(rank, F.col("score").desc_nulls_last(), "source_record_key")
    return (
        links.where(F.col("source") == "hukou")
        .withColumn("_n", F.row_number().over(order))
        .where(F.col("_n") == 1)
        .select("person_key", "method", "score", "evidence")
    )


def identity_contributions(roster: DataFrame, links: DataFrame) -> DataFrame:
    """One contribution per active 低保 member whose identity 户籍 does not confirm: the roster
    row itself, with the best 户籍 candidate's link (method, score, per-field comparison)."""
    members = roster.where((F.col("status") == "active") & dibao_enrolment(roster)).withColumn(
        "person_key", person_key()
    )
    joined = members.join(best_hukou_links(links), "person_key", "left")
    unverified = joined.where(F.col("method").isNull() | (F.col("method") != "id_exact"))
    reason = (
        F.when(F.col("method").isNull(), F.lit("no_hukou_record"))
        .when(F.col("method") == "clerical", F.lit("hukou_possible_match"))
        .otherwise(F.lit("hukou_matched_without_id"))
    )
    detail = F.struct(
        reason.alias("reason"),
        fast_id18(F.col("id_number")).isNotNull().alias("roster_id_valid"),
    )
    return contribution(unverified, FACT, F.col("person_key"), F.lit(1), detail)
