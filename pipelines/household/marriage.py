"""Undeclared spouses: members married, per the marriage registry, to someone the household
does not list (DOMAIN §1.1: the household is derived from the roster, the 户籍 household and the
marriage record; a difference is a point for review, never a silent merge).

The registry (民政 婚姻登记) has one row per party of a registration, each naming the other. A
certificate's two rows together give both parties' standardized IDs: a party's own ID, or, when
it is missing or mistyped, the ID the other party's row gives for them. A member's marriage is
in force for the month when no divorce of the same pair is registered on or after it by the
month's end: the same pair by their IDs on both certificates, or a divorce row linked to the
same member naming the same spouse. A remarriage of the pair (复婚) is a marriage again.

The spouse is declared when the other party's row of the certificate is linked to an active
member of the same household (a possible match, clerical, is enough), or when the spouse's
standardized ID is an active member's there, by the roster or by the member's 户籍 record
(the roster and the marriage row may both mistype it); a member enrolled in two households (their row linked to both) whose spouse is
in one of them has declared the spouse. The member's own row needs an accepted link. A spouse who has died by the
month's end (户籍 status deceased, dated by then or undated; a cremation record with a death by
then; both matched on the standardized ID) is not counted. One contribution per member and
spouse: the member's marriage row, with the member's link; the item is the spouse's
standardized ID, so that the fact counts spouses. A registration naming no valid ID for the
spouse cannot be compared with the roster and adds nothing.

Members in custody are left out by `pipelines.household.contributions`, like all their records.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from pipelines.household.contrib import CONTRIBUTION_COLUMNS, contribution, deceased_ids
from pipelines.household.period import Period
from pipelines.link.registries import person_key
from pipelines.standardize.spark import fast_id18

FACT = "undeclared_spouses"
SOURCE = "marriage"
MARRIAGE, DIVORCE = "marriage", "divorce"


def _marriage_links(links: DataFrame) -> DataFrame:
    """record_key, person_key, household_id, method, score, evidence: the marriage rows'
    links. Takes the run's links (`source`, `source_record_key`) or links keyed by
    `record_key` (the accepted links of `contributions`)."""
    if "source_record_key" in links.columns:
        links = links.withColumnRenamed("source_record_key", "record_key")
    if "source" in links.columns:
        links = links.where(F.col("source") == SOURCE)
    return links.select("record_key", "person_key", "household_id", "method", "score", "evidence")


def _members(roster_active: DataFrame) -> DataFrame:
    """person_key, household_id, _member18: the active members and their standardized IDs."""
    roster = roster_active
    if "status" in roster.columns:
        roster = roster.where(F.col("status") == "active")
    key = F.col("person_key") if "person_key" in roster.columns else person_key()
    return roster.select(
        key.alias("person_key"), "household_id", fast_id18(F.col("id_number")).alias("_member18")
    )


def _hukou_ids(links: DataFrame, hukou: DataFrame | None, members: DataFrame) -> DataFrame | None:
    """_spouse18, _where: the standardized ID of each active member as 户籍 holds it (their
    accepted 户籍 link), with the member's household — the route when both the roster and the
    marriage row mistype the spouse's ID."""
    if hukou is None or "source" not in links.columns or "id_number" not in hukou.columns:
        return None
    linked = links.where((F.col("source") == "hukou") & (F.col("method") != "clerical")).select(
        F.col("source_record_key").alias("record_key"), "person_key", "household_id"
    ).join(members.select("person_key", "household_id"), ["person_key", "household_id"], "left_semi")
    ids = hukou.select("record_key", fast_id18(F.col("id_number")).alias("_spouse18"))
    return linked.join(ids, "record_key").where(F.col("_spouse18").isNotNull()).select(
        "_spouse18", F.col("household_id").alias("_where")
    ).distinct()


def _registrations(marriage: DataFrame, period: Period) -> DataFrame:
    """The rows registered by the month's end, each with both parties' standardized IDs from
    its certificate: _me18 (the row's party), _spouse18 (the other) and the unordered pair
    (_pair_lo, _pair_hi, null unless both are known). The other row is the certificate's row
    of the other party, whatever the labels."""
    rows = marriage.where(F.col("registration_date") <= F.lit(period.end)).select(
        "*",
        fast_id18(F.col("id_number")).alias("_own18"),
        fast_id18(F.col("spouse_id_number")).alias("_told18"),
    )
    other = rows.groupBy("certificate_no", "party").agg(
        F.max("_own18").alias("_other_own18"), F.max("_told18").alias("_other_told18")
    ).select(
        F.col("certificate_no").alias("_other_cert"), F.col("party").alias("_other_party"),
        "_other_own18", "_other_told18",
    )
    joined = rows.join(
        other,
        (F.col("certificate_no") == F.col("_other_cert")) & (F.col("party") != F.col("_other_party")),
        "left",
    )
    me = F.coalesce(F.col("_own18"), F.col("_other_told18"))
    spouse = F.coalesce(F.col("_told18"), F.col("_other_own18"))
    both = me.isNotNull() & spouse.isNotNull()
    return joined.select(
        *rows.columns,
        spouse.alias("_spouse18"),
        F.when(both, F.least(me, spouse)).alias("_pair_lo"),
        F.when(both, F.greatest(me, spouse)).alias("_pair_hi"),
    )


def marriage_contributions(
    marriage: DataFrame,
    links: DataFrame,
    roster_active: DataFrame,
    hukou: DataFrame | None,
    cremation: DataFrame | None,
    period: Period,
) -> DataFrame:
    """Contributions to `undeclared_spouses` (CONTRIBUTION_COLUMNS); see the module docstring.

    `marriage` is the clean registry (record_key and lineage columns); `links` the run's links
    (of any source: the marriage rows' are used), clerical ones included: the member's own row
    needs an accepted link (not clerical), while a possible match (clerical) of the spouse's
    row with a member of the same household is enough to call the spouse declared, since a
    flag would then rest on an identity doubt that the identity tier already raises;
    `roster_active` the roster's active rows (household_id, member_no, id_number)."""
    regs = _registrations(marriage, period).localCheckpoint()  # read by eight joins below
    members = _members(roster_active).localCheckpoint()
    every = _marriage_links(links).join(
        members.select("person_key", "household_id"), ["person_key", "household_id"], "left_semi"
    ).localCheckpoint()
    # each frame read by several joins below is materialized once: inlined, the plan grew to
    # hundreds of exchanges (every reuse repeats its whole subtree)
    linked = regs.join(every.where(F.col("method") != "clerical"), "record_key").localCheckpoint()
    married = linked.where((F.col("event") == MARRIAGE) & F.col("_spouse18").isNotNull())

    # ended: a divorce of the same pair on or after the marriage, by IDs or by the member's link
    divorces = regs.where(F.col("event") == DIVORCE)
    by_ids = divorces.where(F.col("_pair_lo").isNotNull()).select(
        "_pair_lo", "_pair_hi", F.col("registration_date").alias("_ended")
    )
    by_link = linked.where(F.col("event") == DIVORCE).select(
        "person_key", "_spouse18", F.col("registration_date").alias("_ended")
    )
    on_or_after = F.col("_ended") >= F.col("registration_date")
    keys = married.select("record_key", "person_key", "_pair_lo", "_pair_hi", "_spouse18",
                          "registration_date")
    ended = keys.join(by_ids, ["_pair_lo", "_pair_hi"]).where(on_or_after).select(
        "record_key", "person_key"
    ).unionByName(
        keys.join(by_link, ["person_key", "_spouse18"]).where(on_or_after).select(
            "record_key", "person_key"
        )
    )
    current = married.join(ended, ["record_key", "person_key"], "left_anti")
    dead = deceased_ids(hukou, cremation, period.end)
    if dead is not None:
        dead = dead.select(F.col("_id18").alias("_spouse18"))
        current = current.join(dead, "_spouse18", "left_anti")
    current = current.localCheckpoint()

    # where the spouse is enrolled: by the link of the certificate's other row, or by their ID
    rows = current.select("record_key", "certificate_no", "party", "_spouse18").distinct()
    other_rows = regs.join(every, "record_key").select(
        F.col("certificate_no").alias("_other_cert"), F.col("party").alias("_other_party"),
        F.col("household_id").alias("_where"), (F.col("method") != "clerical").alias("_sure"),
    )
    by_other_row = rows.join(
        other_rows,
        (F.col("certificate_no") == F.col("_other_cert")) & (F.col("party") != F.col("_other_party")),
    ).select("record_key", "_where", "_sure")
    by_id = rows.join(
        members.where(F.col("_member18").isNotNull()).select(
            F.col("_member18").alias("_spouse18"), F.col("household_id").alias("_where")
        ),
        "_spouse18",
    ).select("record_key", "_where", F.lit(True).alias("_sure"))
    spouse_at = by_other_row.unionByName(by_id)
    if (known := _hukou_ids(links, hukou, members)) is not None:
        spouse_at = spouse_at.unionByName(
            rows.join(known, "_spouse18").select("record_key", "_where", F.lit(True).alias("_sure"))
        )
    spouse_at = spouse_at.localCheckpoint()
    # where the member is enrolled: every household the member's row is linked to. A member
    # enrolled twice (DUPLICATE_ENROLMENT) living with the spouse in one household has no
    # spouse missing from the other: that difference is the double enrolment itself.
    member_at = linked.select("record_key", F.col("household_id").alias("_where")).distinct()
    together = spouse_at.join(member_at, ["record_key", "_where"], "left_semi")
    elsewhere = (
        spouse_at.where(F.col("_sure"))  # another household only on an accepted link or the ID
        .join(member_at, ["record_key", "_where"], "left_anti")
        .groupBy("record_key")
        .agg(F.min("_where").alias("_spouse_household"))
    )
    shown = current.join(together.select("record_key").distinct(), "record_key", "left_anti").join(
        elsewhere, "record_key", "left"
    )
    # one contribution per member and spouse: their latest marriage certificate
    latest = Window.partitionBy("household_id", "person_key", "_spouse18").orderBy(
        F.col("registration_date").desc(), F.col("record_key").desc()
    )
    shown = shown.withColumn("_n", F.row_number().over(latest)).where(F.col("_n") == 1)
    # the certificate number is in the record key, masked like it (schemas/marriage.yaml)
    detail = F.struct(
        "event",
        "registration_date",
        F.lit(False).alias("spouse_on_roster"),
        F.col("_spouse_household").alias("spouse_household"),
    )
    return contribution(shown, FACT, F.col("_spouse18"), F.lit(1), detail).select(
        *CONTRIBUTION_COLUMNS
    )
