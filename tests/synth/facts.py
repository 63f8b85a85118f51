"""Household facts recomputed from truth/clean for the tests, independently of the generator."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.config import month_bounds, months_before


def household_facts(truth: Path, params, month: str, of: str = "roster") -> pd.DataFrame:
    """One row per roster household (or, with of="applications", per applicant household):
    members counted, per-capita income (with and without the resident pension), financial
    assets (deposits + securities + insurance cash value) and limit, counted vehicles and businesses, members on the
    state payroll, deaths, homes with their area against the district's limit per person, and
    commercial properties.

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
        members = members[members["status"] == "active"]
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

    deposits = counted(mine(read("bank_deposits"))).groupby("household_id")["balance"].sum()
    shares = counted(mine(read("securities"))).groupby("household_id")["market_value"].sum()
    policies = counted(mine(read("insurance"))).groupby("household_id")["cash_value"].sum()

    veh = counted(mine(read("vehicles")))
    veh = veh[
        veh["status"].isin(params.at("dibao.vehicle_counted_statuses", start))
        & ~veh["vehicle_type"].isin(params.at("dibao.vehicle_exempt_types", start))
    ]
    biz = counted(mine(read("business")))
    biz = biz[
        biz["role"].isin(params.at("dibao.business_counted_roles", start))
        & biz["status"].isin(params.at("dibao.business_active_statuses", start))
    ]
    pay = counted(mine(read("state_payroll")))
    pay = pay[pay["month"].isin(window)]

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
    hh["securities"] = shares.reindex(hh.index).fillna(0.0)
    hh["insurance"] = policies.reindex(hh.index).fillna(0.0)
    hh["assets"] = hh["deposits"] + hh["securities"] + hh["insurance"]
    hh["limit"] = hh["counted"] * hh["standard"] * months
    hh["vehicles"] = veh.groupby("household_id").size().reindex(hh.index).fillna(0).astype(int)
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
    # real estate: current certificates with a counted owner; homes by the owners' shares
    est = counted(mine(read("real_estate")))
    est = est[est["status"] == "current"]
    homes = est[est["use"].isin(params.at("dibao.residential_uses", start))]
    by_cert = homes.groupby(["household_id", "certificate_no"]).agg(
        area=("area", "first"), share=("share", "sum")
    )
    by_cert["counted_area"] = by_cert["area"] * by_cert["share"].clip(upper=1.0)
    per_hh = by_cert.groupby("household_id")
    hh["homes"] = per_hh.size().reindex(hh.index).fillna(0).astype(int)
    hh["home_area"] = per_hh["counted_area"].sum().reindex(hh.index).fillna(0.0)
    hh["home_area_per_capita"] = hh["home_area"] / hh["counted"]
    hh["home_limit"] = [
        float(params.at("dibao.home_area_multiple", start, r))
        * float(params.at("dibao.min_housing_area", start, r))
        for r in hh["region_code"]
    ]
    shops = est[est["use"].isin(params.at("dibao.commercial_property_uses", start))]
    hh["commercial"] = (
        shops.groupby("household_id")["certificate_no"]
        .nunique()
        .reindex(hh.index)
        .fillna(0)
        .astype(int)
    )
    hh["housing_fails"] = (hh["homes"] >= int(params.at("dibao.max_homes", start))) & (
        hh["home_area_per_capita"] > hh["home_limit"]
    )
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
    """Roster rows of people enrolled a second time (DUPLICATE_ENROLMENT): the person's
    records, hukou included, carry the person key of their first enrolment, not this one."""
    roster = pd.read_parquet(truth / "clean" / "roster.parquet")
    hukou = pd.read_parquet(truth / "clean" / "hukou.parquet", columns=["person_key"])
    return roster[~roster["person_key"].isin(set(hukou["person_key"].dropna()))]
