"""漏保 screening: people in the 户籍 register, not enrolled and not applying, who look eligible.

可能符合条件（漏保线索）/ possibly eligible, for outreach. The list is a lead for a caseworker
to visit or invite an application; it is never a decision, never a flag, and it changes no
payment. It is kept apart from the roster's flags (DOMAIN §4, "Also find 漏保").

1. Candidate households: people of the hukou extract with status normal, grouped by 户号
   (`household_id` = "HK" + 户号, members numbered head first, then by birth date and ID).
   A 户号 is dropped when any member is on the active roster (any programme, 特困 too) or in
   the applications extract (any status):
   by standardized 18-digit ID (`fast_id18`), or, for a roster or application row whose ID
   does not standardize, by an ID within two edits of the member's with the same name or the
   same birth digits (a mistyped enrolment must not come back as a lead).
2. Registries: matched to members **by exact standardized ID only** (method `id_exact_screen`,
   names not compared; a record with a missing or broken ID is not found, so income or
   property held under one is missed). Screening trades recall of records for simplicity;
   the caseworker's 核对 after an application links properly.
3. Facts and rules: the roster's own code (`household.contributions`, `household.facts`,
   `evaluate.evaluate`) on a roster-like frame of the candidates, declared income and benefit
   unknown. Listed: status `dibao` with a benefit above zero and at least one member counted,
   and a sign of need — a member holding a disability certificate of grade
   `outreach.severe_disability_max_grade` or more severe (issued by the month's end), or every
   member aged `outreach.elderly_age` or more on the first day of the month with no pension of
   any kind registered in the look-back window.

Region: the district named at the start of the head's 户籍地址 (after 重庆市), retired names
mapped to the code in force; else the 户号's first six digits when they are a Chongqing county
code; else the area code of the head's ID when it is one; else none (the city's parameters).
Urban or rural: rural when the address has a village and group (…村…组), urban when it has a
street, community or road (街道, 社区, 路, 街, 巷); otherwise urban, the higher standard, so that
nobody is missed. Each row says which basis it used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

import pandas as pd
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from pipelines import evaluate as evaluate_stage
from pipelines import household
from pipelines.errors import InputError
from pipelines.household.contrib import DECIMAL
from pipelines.policy import Policy
from pipelines.standardize.counties import CHONGQING, RETIRED, current_code
from pipelines.standardize.masking import mask_middle
from pipelines.standardize.regions import region_table
from pipelines.standardize.spark import fast_id18, nfkc_fold

LABEL = "可能符合条件（漏保线索）/ possibly eligible, for outreach"
LINK_METHOD = "id_exact_screen"
MATCHING = (
    "registries matched by exact standardized 18-digit ID only (names not compared); records "
    "with a missing or broken ID are not found / 仅按标准化身份证号精确匹配，证号缺失或错误的记录未计入"
)
# The status whose programme a lead must be eligible for (rules/chongqing/policy.yaml), and
# the roster's programme code the candidates are screened as (schemas/roster.yaml).
ELIGIBLE_STATUS = "dibao"
ROSTER_PROGRAMME = "dibao"
# Pension income types as household.income.income_type names them.
PENSION_TYPES = ("employee_pension", "resident_basic_pension")
# Sources that are not registries of the household's means.
NOT_REGISTRIES = ("roster", "applications")
SIGNS = ("severe_disability", "elderly_no_pension")
HEAD = "户主"
RURAL_ADDRESS = "村.*组"
URBAN_ADDRESS = "街道|社区|路|街|巷"
# What an address may start with before the district name.
ADDRESS_PREFIX = "^(中华人民共和国|中国)?(重庆市|重庆)?"
MAX_ID_EDITS = 2

OUTPUT_COLUMNS = (
    "month",
    "household_id",
    "hukou_no",
    "region_code",
    "region_basis",
    "urban_rural",
    "urban_rural_basis",
    "members",
    "per_capita_income",
    "standard",
    "benefit_estimated",
    "sign_of_need",
    "member_keys_masked",
    "label",
    "matching",
    "reason",
)


@dataclass(frozen=True)
class Screen:
    """The screen's parameters in force on the first day of the month."""

    max_grade: int
    elderly_age: int

    @classmethod
    def of(cls, policy: Policy, on: dt.date) -> Screen:
        return cls(
            max_grade=int(policy.params.at("outreach.severe_disability_max_grade", on)),
            elderly_age=int(policy.params.at("outreach.elderly_age", on)),
        )


# ---- where a household lives ----------------------------------------------------------


def _county(code: str) -> str | None:
    """The code in force for a current or retired Chongqing county code, else None."""
    if code in CHONGQING:
        return code
    if code in RETIRED:
        return current_code(code) or None
    return None


def region_from_address(address: Column) -> Column:
    """The county code in force for the district name an address starts with (after 重庆市)."""
    text = F.regexp_replace(F.regexp_replace(address, r"\s", ""), ADDRESS_PREFIX, "")
    out = None
    for name, code in region_table().ordered_names:  # longest first
        county = _county(code)
        if county is None:
            continue
        cond = text.startswith(name)
        out = F.when(cond, F.lit(county)) if out is None else out.when(cond, F.lit(county))
    return out if out is not None else F.lit(None).cast("string")


def region_from_code(prefix: Column) -> Column:
    """The county code in force for a six-digit Chongqing code (current or retired), else null."""
    known = {code: _county(code) for code in (*CHONGQING, *RETIRED)}
    mapping = F.create_map(*[F.lit(x) for k, v in sorted(known.items()) if v for x in (k, v)])
    return F.try_element_at(mapping, prefix)


def urban_rural_from_address(address: Column) -> tuple[Column, Column]:
    """(urban_rural, basis): rural for a village and group, urban for a street; else urban."""
    rural = address.rlike(RURAL_ADDRESS)
    urban = address.rlike(URBAN_ADDRESS)
    known = address.isNotNull() & (rural | urban)
    value = F.when(known & rural, F.lit("rural")).otherwise(F.lit("urban"))
    basis = F.when(known, F.lit("address")).otherwise(F.lit("default_urban_higher_standard"))
    return value, basis


# ---- candidate households ---------------------------------------------------------------


def hukou_members(hukou: DataFrame, on: dt.date) -> DataFrame:
    """People of the hukou extract with status normal, one row each, numbered by 户号.

    Columns: household_id ("HK" + 户号), hukou_no, member_no, person_key, id18, id_number,
    name, relation, age (on `on`), region_code, region_basis, urban_rural, urban_rural_basis."""
    people = hukou.where((F.col("status") == "normal") & F.col("hukou_no").isNotNull()).select(
        F.trim(F.col("hukou_no")).alias("hukou_no"),
        F.col("id_number").cast("string").alias("id_number"),
        F.col("name").cast("string").alias("name"),
        F.col("relation").cast("string").alias("relation"),
        "birth_date",
        F.col("address").cast("string").alias("address"),
        fast_id18(F.col("id_number")).alias("id18"),
    )
    born = F.coalesce(F.col("birth_date"), F.to_date(F.substring("id18", 7, 8), "yyyyMMdd"))
    order = Window.partitionBy("hukou_no").orderBy(
        (F.col("relation") == HEAD).desc_nulls_last(), F.col("birth_date").asc_nulls_last(),
        F.col("id_number").asc_nulls_last(),
    )
    by_address = region_from_address(F.col("address"))
    by_hukou_no = region_from_code(F.substring("hukou_no", 1, 6))
    by_id = region_from_code(F.substring("id18", 1, 6))
    urban, urban_basis = urban_rural_from_address(F.col("address"))
    numbered = people.select(
        "*",
        F.concat(F.lit("HK"), F.col("hukou_no")).alias("household_id"),
        F.row_number().over(order).alias("member_no"),
        F.floor(F.months_between(F.lit(on), born) / 12).cast("int").alias("age"),
        F.coalesce(by_address, by_hukou_no, by_id).alias("_region"),
        F.when(by_address.isNotNull(), "address").when(by_hukou_no.isNotNull(), "hukou_no")
        .when(by_id.isNotNull(), "id_area_code").otherwise("unknown").alias("_region_basis"),
        urban.alias("_urban"),
        urban_basis.alias("_urban_basis"),
    )
    # the household lives where its first member (the head) is registered
    head = Window.partitionBy("household_id").orderBy("member_no")
    return numbered.select(
        "household_id", "hukou_no", "member_no",
        F.concat_ws("-", "household_id", F.lpad(F.col("member_no").cast("string"), 2, "0"))
        .alias("person_key"),
        "id18", "id_number", "name", "relation", "age",
        *[F.first(c).over(head).alias(name) for c, name in (
            ("_region", "region_code"), ("_region_basis", "region_basis"),
            ("_urban", "urban_rural"), ("_urban_basis", "urban_rural_basis"))],
    )


def _name_key(name: Column) -> Column:
    return F.regexp_replace(nfkc_fold(F.trim(name.cast("string"))), r"\s", "")


def known_households(members: DataFrame, enrolled: list[DataFrame]) -> DataFrame:
    """household_id of every 户号 with a member among `enrolled` (frames of id_number, name):
    the same standardized ID, or, for a row whose ID does not standardize, an ID within
    MAX_ID_EDITS of the member's with the same name or the same birth digits."""
    rows = reduce(DataFrame.unionByName, [
        df.select(F.col("id_number").cast("string").alias("id_number"),
                  F.col("name").cast("string").alias("name")) for df in enrolled
    ]).select("*", fast_id18(F.col("id_number")).alias("id18"))
    exact = members.join(rows.where(F.col("id18").isNotNull()).select("id18"), "id18", "left_semi")
    broken = rows.where(F.col("id18").isNull() & F.col("id_number").isNotNull()).select(
        F.upper(F.regexp_replace(nfkc_fold(F.col("id_number")), r"\s", "")).alias("_raw"),
        _name_key(F.col("name")).alias("_name"),
    )
    m = members.where(F.col("id18").isNotNull()).select(
        "household_id", "id18", _name_key(F.col("name")).alias("_name"),
    )
    near = F.levenshtein(F.col("_raw"), F.col("id18")) <= MAX_ID_EDITS
    by_name = m.join(broken, "_name").where(near).select("household_id")
    by_birth = (
        m.withColumn("_born", F.substring("id18", 7, 8))
        .join(broken.withColumn("_born", F.substring("_raw", 7, 8)).drop("_name"), "_born")
        .where(near).select("household_id")
    )
    return exact.select("household_id").unionByName(by_name).unionByName(by_birth).distinct()


def candidate_roster(members: DataFrame) -> DataFrame:
    """The candidates as a roster: what household.facts reads, declared income and benefit unknown."""
    return members.select(
        "household_id", "member_no", "region_code", "urban_rural",
        F.lit("active").alias("status"),
        F.lit(ROSTER_PROGRAMME).alias("programme"),
        F.lit(None).cast(DECIMAL).alias("declared_income"),
        F.lit(None).cast(DECIMAL).alias("benefit_amount"),
    )


def screen_links(clean: dict[str, DataFrame], members: DataFrame,
                 id_columns: dict[str, str]) -> DataFrame:
    """Links-like rows (household.contributions reads them) from an exact standardized-ID join
    of the registries in `clean` to the candidates; a record found for two people goes to the
    first."""
    people = members.where(F.col("id18").isNotNull()).select("id18", "person_key", "household_id")
    evidence = F.to_json(F.struct(
        F.lit(LINK_METHOD).alias("method"),
        F.lit("standardized 18-digit ID equal; names not compared").alias("basis"),
    ))
    parts = []
    for source in sorted(clean):
        if source not in id_columns:
            continue
        ids = clean[source].select(
            F.col("record_key").alias("source_record_key"),
            fast_id18(F.col(id_columns[source])).alias("id18"),
        ).where(F.col("id18").isNotNull())
        parts.append(ids.join(people, "id18").select(
            "person_key", "household_id", F.lit(source).alias("source"), "source_record_key",
        ))
    if not parts:
        raise InputError("outreach screen: no registry to match the candidates against")
    first = Window.partitionBy("source", "source_record_key").orderBy("person_key")
    return (
        reduce(DataFrame.unionByName, parts)
        .withColumn("_n", F.row_number().over(first)).where(F.col("_n") == 1).drop("_n")
        .select("*", F.lit(LINK_METHOD).alias("method"), F.lit(1.0).alias("score"),
                evidence.alias("evidence"))
    )


# ---- signs of need ----------------------------------------------------------------------


def severe_disability(disability: DataFrame, members: DataFrame, id_column: str,
                      screen: Screen, period: household.Period) -> DataFrame:
    """household_id, severe: the members holding a certificate of a severe grade (sorted)."""
    certs = disability.where(
        (F.col("grade") >= 1) & (F.col("grade") <= screen.max_grade)
        & (F.col("issue_date").isNull() | (F.col("issue_date") <= F.lit(period.end)))
    ).select(fast_id18(F.col(id_column)).alias("id18"), "grade", "category")
    held = certs.join(members.select("id18", "household_id", "person_key"), "id18")
    return held.groupBy("household_id").agg(
        F.array_sort(F.collect_set(F.struct("person_key", "grade", "category"))).alias("severe")
    )


def elderly(members: DataFrame, screen: Screen) -> DataFrame:
    """household_id, all_elderly: every member of a known age at least `elderly_age`."""
    return members.groupBy("household_id").agg(
        (F.min(F.coalesce(F.col("age") >= screen.elderly_age, F.lit(False)).cast("int")) == 1)
        .alias("all_elderly")
    )


def _masked_udf():
    @F.pandas_udf(StringType())
    def masked(values: pd.Series) -> pd.Series:
        return values.map(lambda v: mask_middle(v) if v is not None else "")

    return masked


# ---- the screen ---------------------------------------------------------------------------


def _standard_rule(policy: Policy, conditions: tuple[str, ...]) -> str | None:
    """The condition comparing per-capita income with the standard."""
    for rule in policy.rules:
        if rule.id in conditions and rule.value.text.strip() == "per_capita_income":
            return rule.id
    return None


def candidates(hukou: DataFrame, roster: DataFrame, applications: DataFrame | None,
               on: dt.date) -> DataFrame:
    """hukou_members of the 户号 with no member on the active roster or applying."""
    members = hukou_members(hukou, on).localCheckpoint()
    enrolled = [roster.where(F.col("status") == "active")]
    if applications is not None:
        enrolled.append(applications)
    known = known_households(members, enrolled)
    return members.join(known, "household_id", "left_anti").localCheckpoint()


def evaluated(clean: dict[str, DataFrame], members: DataFrame, ruleset: Policy,
              period: household.Period, id_columns: dict[str, str]) -> tuple[DataFrame, DataFrame]:
    """(facts, decisions) of the candidate households, built as the roster's are."""
    registries = {s: df for s, df in clean.items() if s not in NOT_REGISTRIES}
    links = screen_links(registries, members, id_columns)
    # materialized stage by stage, as the runner writes and reads them: the plans of the
    # facts and of the rules are large, and inlining them into one query costs more than it saves
    contrib = household.contributions(registries, links, period).localCheckpoint()
    facts = household.facts(candidate_roster(members), contrib, period).localCheckpoint()
    return facts, evaluate_stage.evaluate(facts, ruleset, period.start).localCheckpoint()


def screened(decisions: DataFrame, facts: DataFrame, signs: list[DataFrame]) -> DataFrame:
    """Households eligible for dibao with a gap, and their signs of need (`_signs`, not empty).

    `signs` are the frames of severe_disability and elderly, joined by household."""
    pension = F.exists(
        F.map_entries(F.col("income_by_type")),
        lambda e: e["key"].isin(list(PENSION_TYPES)) & (e["value"] > 0),
    )
    found = F.array_compact(F.array(
        F.when(F.size(F.coalesce("severe", F.array())) > 0, F.lit(SIGNS[0])),
        F.when(F.col("all_elderly") & ~F.col("_pension"), F.lit(SIGNS[1])),
    ))
    eligible = decisions.where(
        (F.col("status") == ELIGIBLE_STATUS) & (F.col("benefit_computed") > 0)
        & (F.col("members_counted") > 0)
    ).join(facts.select("household_id", "income_by_type", "members_in_custody"), "household_id")
    joined = reduce(lambda df, part: df.join(part, "household_id", "left"), signs, eligible)
    return (
        joined.withColumn("_pension", pension)
        .withColumn("_signs", found)
        .where(F.size("_signs") > 0)
        .localCheckpoint()
    )


def member_keys(members: DataFrame, households: DataFrame) -> DataFrame:
    """household_id, _members: each member's key, masked ID, relation and age, in order."""
    return (
        members.join(households.select("household_id"), "household_id", "left_semi")
        .select("household_id", "member_no", "person_key", "relation", "age",
                _masked_udf()(F.col("id18")).alias("id_masked"))
        .groupBy("household_id")
        .agg(F.array_sort(F.collect_list(
            F.struct("member_no", "person_key", "id_masked", "relation", "age"))).alias("_members"))
    )


def _reason(conditions: tuple[str, ...], standard: Column, screen: Screen) -> Column:
    """The reason as JSON: the figures against the conditions of dibao, the signs, the members."""
    results = F.filter("rule_results", lambda r: r["rule_id"].isin(list(conditions)))
    return F.to_json(F.struct(
        F.lit(LABEL).alias("label"),
        F.lit(MATCHING).alias("matching"),
        F.col("status"),
        F.col("ruleset"), F.col("ruleset_version"),
        F.col("per_capita_income"),
        standard.alias("standard"),
        F.col("members_counted"),
        F.col("income_by_type"),
        F.col("formulas")["financial_assets"].alias("financial_assets"),
        F.col("members_in_custody"),
        F.col("_signs").alias("signs_of_need"),
        F.coalesce("severe", F.array()).alias("severe_disability"),
        F.struct(F.col("all_elderly"), F.lit(screen.elderly_age).alias("age"),
                 F.col("_pension").alias("pension_income")).alias("elderly"),
        F.transform(results, lambda r: F.struct(
            r["rule_id"].alias("rule_id"), r["value"].alias("value"), r["op"].alias("op"),
            r["threshold"].alias("threshold"), r["fired"].alias("holds"))).alias("conditions"),
        F.col("rules_fired"),
        F.transform("_members", lambda m: F.struct(
            m["person_key"].alias("person_key"), m["id_masked"].alias("id_masked"),
            m["relation"].alias("relation"), m["age"].alias("age"))).alias("members"),
        F.col("region_basis"), F.col("urban_rural_basis"),
    ), {"ignoreNullFields": "false"})


def possibly_eligible(
    clean: dict[str, DataFrame],
    roster: DataFrame,
    applications: DataFrame | None,
    ruleset: Policy,
    month: str,
    id_columns: dict[str, str],
) -> DataFrame:
    """可能符合条件（漏保线索）/ possibly eligible households for outreach, one row each (OUTPUT_COLUMNS),
    ordered by region and household. Never a decision: see the module docstring.

    `clean` holds the clean extracts (hukou and disability needed), `roster` the roster
    extract (its active members count as enrolled), `applications` the month's applications
    (or None), `id_columns` each source's ID column (`Schema.person_id`). Registries are
    matched by exact standardized ID only, and every row says so."""
    for needed in ("hukou", "disability"):
        if needed not in clean:
            raise InputError(f"outreach screen: no clean {needed} extract (schemas/{needed}.yaml)")
    period = household.Period.of(month, ruleset.params)
    screen = Screen.of(ruleset, period.start)
    members = candidates(clean["hukou"], roster, applications, period.start)
    signs = [
        severe_disability(clean["disability"], members, id_columns["disability"], screen, period)
        .localCheckpoint(),
        elderly(members, screen).localCheckpoint(),
    ]
    # Only a household with a sign of need can be listed, and a household's facts depend on its
    # own members' records alone: the facts and rules are built for those households, not for
    # every 户号 outside the roster (at Chongqing's scale, a tenth of them or fewer).
    with_sign = signs[0].select("household_id").unionByName(
        signs[1].where(F.col("all_elderly")).select("household_id"))
    members = members.join(with_sign.distinct(), "household_id", "left_semi").localCheckpoint()
    facts, decisions = evaluated(clean, members, ruleset, period, id_columns)
    listed = screened(decisions, facts, signs)
    firsts = members.where(F.col("member_no") == 1).select(
        "household_id", "hukou_no", "region_basis", "urban_rural_basis")
    listed = listed.join(firsts, "household_id").join(member_keys(members, listed), "household_id")

    programme = next(s.programme for s in ruleset.statuses if s.name == ELIGIBLE_STATUS)
    conditions = tuple(c.rule_id for c in ruleset.programme(programme).conditions)
    standard_rule = _standard_rule(ruleset, conditions)
    standard = (
        F.filter("rule_results", lambda r: r["rule_id"] == standard_rule)[0]["threshold"]
        if standard_rule else F.lit(None).cast(DECIMAL)
    )
    derived = {
        "members": F.col("members_counted"),
        "standard": standard,
        "benefit_estimated": F.col("benefit_computed"),
        "sign_of_need": F.array_join("_signs", ","),
        "member_keys_masked": F.transform("_members", lambda m: m["id_masked"]),
        "label": F.lit(LABEL),
        "matching": F.lit(MATCHING),
        "reason": _reason(conditions, standard, screen),
    }
    return listed.select(
        *(derived[c].alias(c) if c in derived else F.col(c) for c in OUTPUT_COLUMNS)
    ).orderBy(F.col("region_code").asc_nulls_last(), "household_id")
