"""Household facts recomputed from truth/clean for the tests, independently of the generator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.config import month_bounds, months_before

# planted problems of the known false-positive patterns (DOMAIN §4) -> the "verify" flag each
# raises instead of a violation
TO_VERIFY = {
    "STALE_VEHICLE": "VEHICLE_TO_VERIFY",
    "DORMANT_ACCOUNT": "ASSETS_TO_VERIFY",
    "DECEASED_COOWNER": "PROPERTY_TO_VERIFY",
    "PROVIDENT_WITHOUT_WAGE": "EMPLOYMENT_TO_VERIFY",
}


def household_facts(truth: Path, params, month: str, of: str = "roster") -> pd.DataFrame:
    """One row per roster household (or, with of="applications", per applicant household):
    members counted, per-capita income (with and without the resident pension), financial
    assets (deposits + securities + insurance cash value) and limit, counted vehicles and businesses, members on the
    state payroll, deaths, homes with their area against the district's limit per person, and
    commercial properties; and the known false-positive patterns apart (DOMAIN §4): doubtful
    vehicles, dormant deposits, homes and commercial property co-owned with a deceased person
    outside the household, members with an active provident fund but no wage, and whether
    each "verify" rule holds (`*_verify`).

    People are matched on the true synthetic person id, so that applicants (who have no
    roster person key) are handled like roster members. A person enrolled twice counts as a
    member of both households; their records count in the first (`enrolled_elsewhere`: such
    members per household). `registered` is the countable income per month, `declared` the
    roster's declared monthly income."""
    start, end = month_bounds(month)
    read = lambda s: pd.read_parquet(truth / "clean" / f"{s}.parquet")  # noqa: E731
    members = read(of)
    first = members
    if of == "roster":
        # 低保 households only: a 特困 enrolment (identity.py) is checked by its own programme
        members = members[(members["status"] == "active") & (members["programme"] == "dibao")]
        first = members[~members["person_key"].isin(second_enrolments(truth)["person_key"])]
    hh_of = dict(zip(first["synthetic_person_id"], first["household_id"], strict=True))

    def mine(df):
        df = df[df["synthetic_person_id"].isin(list(hh_of))].copy()
        df["household_id"] = df["synthetic_person_id"].map(hh_of)
        return df

    cust = mine(read("custody"))
    s = pd.to_datetime(cust["start_date"])
    e = pd.to_datetime(cust["end_date"])
    held_mask = (s <= pd.Timestamp(start)) & (e.isna() | (e >= pd.Timestamp(start)))
    held = set(cust.loc[held_mask, "synthetic_person_id"])

    def counted(df):
        return df[~df["synthetic_person_id"].isin(held)]

    hk = mine(read("hukou"))
    dead = set(
        hk.loc[
            (hk["status"] == "deceased") & (pd.to_datetime(hk["status_date"]) <= pd.Timestamp(end)),
            "synthetic_person_id",
        ]
    )
    cr = mine(read("cremation"))
    dead |= set(
        cr.loc[pd.to_datetime(cr["death_date"]) <= pd.Timestamp(end), "synthetic_person_id"]
    )

    lookback = int(params.at("dibao.income_lookback_months", start))
    window = months_before(start, lookback)
    excluded = set(params.at("dibao.excluded_income_types", start))
    si = counted(mine(read("social_insurance")))
    si = si[si["month"].isin(window)]
    employee = si["insurance_type"] == "employee"
    countable = si["contribution_base"].fillna(0) + si["pension_paid"].fillna(0).where(employee, 0)
    resident = si["pension_paid"].fillna(0).where(~employee, 0)
    if "resident_basic_pension" not in excluded:
        countable = countable + resident
    income = countable.groupby(si["household_id"]).sum()
    income_all = (countable + resident).groupby(si["household_id"]).sum()

    bank = counted(mine(read("bank_deposits")))
    dormant_months = int(params.at("dibao.dormant_account_months", start))
    dormant_before = (pd.Timestamp(start) - pd.DateOffset(months=dormant_months)).normalize()
    last = pd.to_datetime(bank["last_activity_date"])
    is_dormant = last.notna() & (last < dormant_before)
    deposits = bank[~is_dormant].groupby("household_id")["balance"].sum()
    dormant = bank[is_dormant].groupby("household_id")["balance"].sum()
    shares = counted(mine(read("securities"))).groupby("household_id")["market_value"].sum()
    policies = counted(mine(read("insurance"))).groupby("household_id")["cash_value"].sum()

    veh = counted(mine(read("vehicles")))
    veh = veh[~veh["vehicle_type"].isin(params.at("dibao.vehicle_exempt_types", start))]
    normal = veh["status"].isin(params.at("dibao.vehicle_counted_statuses", start))
    years = int(params.at("dibao.vehicle_doubtful_age_years", start))
    old = pd.to_datetime(veh["first_registration"]) <= pd.Timestamp(start) - pd.DateOffset(
        years=years
    )
    shaky = veh["status"].isin(params.at("dibao.vehicle_doubtful_statuses", start)) | (normal & old)
    doubtful_veh = veh[shaky]
    veh = veh[normal & ~shaky]
    biz = counted(mine(read("business")))
    biz = biz[
        biz["role"].isin(params.at("dibao.business_counted_roles", start))
        & biz["status"].isin(params.at("dibao.business_active_statuses", start))
    ]
    pay = counted(mine(read("state_payroll")))
    pay = pay[pay["month"].isin(window)]
    fund = counted(mine(read("provident_fund")))
    fund = fund[(fund["status"] == "active") & fund["last_paid_month"].isin(window)]
    waged = set(si.loc[employee & (si["contribution_base"].fillna(0) > 0), "synthetic_person_id"])
    fund = fund[~fund["synthetic_person_id"].isin(waged)]

    std = params.at("dibao.standard", start)
    months = int(params.at("dibao.financial_asset_months", start))
    hh = members.groupby("household_id").agg(
        urban_rural=("urban_rural", "first"),
        region_code=("region_code", "first"),
        members=("synthetic_person_id", "size"),
    )
    hh["held"] = members[members["synthetic_person_id"].isin(held)].groupby("household_id").size()
    hh["held"] = hh["held"].fillna(0).astype(int)
    hh["counted"] = hh["members"] - hh["held"]
    hh["standard"] = hh["urban_rural"].map(std).astype(float)
    hh["income"] = income.reindex(hh.index).fillna(0.0)
    hh["income_with_resident_pension"] = income_all.reindex(hh.index).fillna(0.0)
    hh["registered"] = hh["income"] / lookback
    hh["declared"] = members.groupby("household_id")["declared_income"].first()
    twice = members["synthetic_person_id"].duplicated(keep=False)
    hh["enrolled_elsewhere"] = (
        members[twice].groupby("household_id").size().reindex(hh.index).fillna(0).astype(int)
    )
    hh["per_capita"] = hh["income"] / hh["counted"] / lookback
    hh["per_capita_with_resident_pension"] = (
        hh["income_with_resident_pension"] / hh["counted"] / lookback
    )
    hh["deposits"] = deposits.reindex(hh.index).fillna(0.0)
    hh["dormant"] = dormant.reindex(hh.index).fillna(0.0)
    hh["securities"] = shares.reindex(hh.index).fillna(0.0)
    hh["insurance"] = policies.reindex(hh.index).fillna(0.0)
    hh["assets"] = hh["deposits"] + hh["securities"] + hh["insurance"]
    hh["limit"] = hh["counted"] * hh["standard"] * months
    hh["vehicles"] = veh.groupby("household_id").size().reindex(hh.index).fillna(0).astype(int)
    hh["vehicles_doubtful"] = (
        doubtful_veh.groupby("household_id").size().reindex(hh.index).fillna(0).astype(int)
    )
    hh["provident_without_wage"] = (
        fund.groupby("household_id")["synthetic_person_id"]
        .nunique()
        .reindex(hh.index)
        .fillna(0)
        .astype(int)
    )
    hh["businesses"] = (
        biz.groupby("household_id")["uscc"].nunique().reindex(hh.index).fillna(0).astype(int)
    )
    hh["payroll_members"] = (
        pay.groupby("household_id")["synthetic_person_id"]
        .nunique()
        .reindex(hh.index)
        .fillna(0)
        .astype(int)
    )
    hh["deceased"] = (
        members[members["synthetic_person_id"].isin(dead)]
        .groupby("household_id")
        .size()
        .reindex(hh.index)
        .fillna(0)
        .astype(int)
    )
    # real estate: current certificates with a counted owner; homes by the owners' shares. A
    # certificate another owner of which, outside the household, has died is doubtful.
    everyone = read("real_estate")
    people = read("hukou")
    gone = set(
        people.loc[
            (people["status"] == "deceased")
            & (pd.to_datetime(people["status_date"]) <= pd.Timestamp(end)),
            "synthetic_person_id",
        ]
    )
    burned = read("cremation")
    gone |= set(
        burned.loc[pd.to_datetime(burned["death_date"]) <= pd.Timestamp(end), "synthetic_person_id"]
    )
    dead_owner = everyone[everyone["synthetic_person_id"].isin(gone)][
        ["certificate_no", "synthetic_person_id"]
    ]
    dead_owner = dead_owner.assign(owner_household=dead_owner["synthetic_person_id"].map(hh_of))
    est = counted(mine(everyone))
    est = est[est["status"] == "current"]
    pairs = est[["household_id", "certificate_no"]].drop_duplicates()
    pairs = pairs.merge(dead_owner, on="certificate_no")
    pairs = pairs[pairs["owner_household"] != pairs["household_id"]]
    shaky = set(zip(pairs["household_id"], pairs["certificate_no"], strict=True))
    est = est.assign(
        doubtful=[
            (h, c) in shaky for h, c in zip(est["household_id"], est["certificate_no"], strict=True)
        ]
    )
    homes = est[est["use"].isin(params.at("dibao.residential_uses", start))]
    by_cert = homes.groupby(["household_id", "certificate_no"]).agg(
        area=("area", "first"), share=("share", "sum"), doubtful=("doubtful", "first")
    )
    by_cert["counted_area"] = by_cert["area"] * by_cert["share"].clip(upper=1.0)
    for suffix, part in (
        ("", by_cert[~by_cert["doubtful"]]),
        ("_doubtful", by_cert[by_cert["doubtful"]]),
    ):
        per_hh = part.groupby("household_id")
        hh[f"homes{suffix}"] = per_hh.size().reindex(hh.index).fillna(0).astype(int)
        hh[f"home_area{suffix}"] = per_hh["counted_area"].sum().reindex(hh.index).fillna(0.0)
    hh["home_area_per_capita"] = hh["home_area"] / hh["counted"]
    hh["home_limit"] = [
        float(params.at("dibao.home_area_multiple", start, r))
        * float(params.at("dibao.min_housing_area", start, r))
        for r in hh["region_code"]
    ]
    shops = est[est["use"].isin(params.at("dibao.commercial_property_uses", start))]
    for column, part in (
        ("commercial", shops[~shops["doubtful"]]),
        ("commercial_doubtful", shops[shops["doubtful"]]),
    ):
        hh[column] = (
            part.groupby("household_id")["certificate_no"]
            .nunique()
            .reindex(hh.index)
            .fillna(0)
            .astype(int)
        )
    max_homes = int(params.at("dibao.max_homes", start))
    hh["housing_fails"] = (hh["homes"] >= max_homes) & (
        hh["home_area_per_capita"] > hh["home_limit"]
    )
    max_vehicles = int(params.at("dibao.max_vehicles", start))
    max_shops = int(params.at("dibao.max_commercial_properties", start))
    # the "verify" rules: a pattern that would breach a limit only if it were counted
    hh["vehicle_verify"] = (hh["vehicles_doubtful"] > max_vehicles) & (
        hh["vehicles"] <= max_vehicles
    )
    hh["assets_verify"] = (hh["assets"] + hh["dormant"] > hh["limit"]) & (
        hh["assets"] <= hh["limit"]
    )
    hh["property_verify"] = (
        (hh["homes"] + hh["homes_doubtful"] >= max_homes)
        & ((hh["home_area"] + hh["home_area_doubtful"]) / hh["counted"] > hh["home_limit"])
        & ~hh["housing_fails"]
    ) | ((hh["commercial_doubtful"] > max_shops) & (hh["commercial"] <= max_shops))
    hh["employment_verify"] = hh["provident_without_wage"] > 0
    hh["eligible"] = (
        (hh["per_capita"] < hh["standard"])
        & (hh["assets"] <= hh["limit"])
        & (hh["vehicles"] == 0)
        & (hh["businesses"] == 0)
        & (hh["payroll_members"] == 0)
        & (hh["deceased"] == 0)
        & ~hh["housing_fails"]
        & (hh["commercial"] <= int(params.at("dibao.max_commercial_properties", start)))
    )
    return hh


def second_enrolments(truth: Path) -> pd.DataFrame:
    """Roster rows of people enrolled a second time: in 低保 (DUPLICATE_ENROLMENT) or in 特困
    (TEKUN_AND_DIBAO, programme "tekun", person key TK…). The person's records, hukou
    included, carry the person key of their first enrolment, not this one. A member 户籍 does
    not hold (NOT_IN_HUKOU) has no hukou record, yet is enrolled once: not a second enrolment."""
    roster = pd.read_parquet(truth / "clean" / "roster.parquet")
    hukou = pd.read_parquet(truth / "clean" / "hukou.parquet", columns=["person_key"])
    twice = roster["synthetic_person_id"].duplicated(keep=False)
    return roster[twice & ~roster["person_key"].isin(set(hukou["person_key"].dropna()))]


def people(truth: Path) -> pd.DataFrame:
    """Everyone's true ID number, birth date and sex, by synthetic person id: the hukou
    record, or for a roster member 户籍 does not hold (NOT_IN_HUKOU) the true ID of their
    roster row and the birth date and sex it encodes."""
    columns = ["id_number", "birth_date", "sex"]
    hukou = pd.read_parquet(truth / "clean" / "hukou.parquet")
    hukou = hukou.set_index("synthetic_person_id")[columns]
    roster = pd.read_parquet(truth / "clean" / "roster.parquet")
    roster = roster[~roster["synthetic_person_id"].isin(hukou.index)]
    roster = roster.drop_duplicates("synthetic_person_id").set_index("synthetic_person_id")
    ids = roster["id_number"]
    rest = pd.DataFrame(
        {
            "id_number": ids,
            "birth_date": pd.to_datetime(ids.str[6:14], format="%Y%m%d").dt.date,
            "sex": ids.str[16].astype(int).mod(2).map({1: "male", 0: "female"}),
        },
        index=roster.index,
    )
    birth = pd.to_datetime(hukou["birth_date"]).dt.date
    return pd.concat([hukou.assign(birth_date=birth), rest])
