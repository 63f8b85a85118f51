"""Real estate planted by estate.py: a second home above the area limit (HOUSING_ABOVE_LIMIT),
a shop or office (COMMERCIAL_PROPERTY), and their look-alikes: two small homes, a second home
whose certificate is cancelled, a parking space."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.synth.world import Policy
from tests.synth.facts import household_facts

CODES = (
    "HOUSING_ABOVE_LIMIT",
    "COMMERCIAL_PROPERTY",
    "TWO_SMALL_HOMES",
    "SOLD_HOME_CANCELLED",
    "PARKING_SPACE",
)


@pytest.fixture(scope="module")
def facts(default_size, params) -> pd.DataFrame:
    hh = household_facts(default_size.truth, params, "2025-07")
    planted = default_size.planted()
    planted = planted[planted["kind"] != "application"]
    hh["code"] = planted.set_index("household_id")["code"].reindex(hh.index).fillna("")
    return hh


@pytest.fixture(scope="module")
def estate(default_size) -> pd.DataFrame:
    """Real-estate rows of roster members, with their household."""
    est = default_size.clean("real_estate")
    roster = default_size.clean("roster")
    hh_of = dict(zip(roster["person_key"], roster["household_id"], strict=True))
    est = est[est["person_key"].isin(list(hh_of))].copy()
    est["household_id"] = est["person_key"].map(hh_of)
    return est


def test_each_code_is_planted_at_its_rate(default_size, small):
    for g in (default_size, small):
        counts = g.planted()["code"].value_counts()
        for code in CODES:
            assert counts.get(code, 0) == g.config.planted_households(code.lower()) >= 1, code
    assert default_size.config.planted_households("housing_above_limit") == 20


def test_housing_above_limit_is_clearly_above_the_district_limit(facts):
    above = facts[facts["code"] == "HOUSING_ABOVE_LIMIT"]
    assert len(above) == 20
    assert (above["homes"] == 2).all()
    assert (above["home_area_per_capita"] >= 1.15 * above["home_limit"]).all()
    assert above["housing_fails"].all()
    assert not above["eligible"].any()
    # nothing else fails
    assert (above["per_capita"] < above["standard"]).all()
    assert (above["assets"] <= above["limit"]).all()
    assert (
        (above[["vehicles", "businesses", "deceased", "payroll_members", "commercial"]] == 0)
        .all()
        .all()
    )


def test_the_generator_reads_each_district_limit(params):
    on = dt.date(2025, 7, 1)
    limits = Policy.read(params, on).home_area_limit
    multiple = float(params.at("dibao.home_area_multiple", on))
    overrides = params.overrides("dibao.min_housing_area")
    assert overrides  # some district has its own standard
    for code, limit in limits.items():
        assert limit == multiple * float(params.at("dibao.min_housing_area", on, code))
    assert len({limits[c] for c in overrides} | {limits["500101"]}) == len(overrides) + 1


def test_lookalikes_stay_within_the_limits(facts, estate):
    small = facts[facts["code"] == "TWO_SMALL_HOMES"]
    assert len(small) == 20 and (small["homes"] == 2).all()
    assert (small["home_area_per_capita"] <= 0.8 * small["home_limit"]).all()
    cancelled = facts[facts["code"] == "SOLD_HOME_CANCELLED"]
    assert (cancelled["homes"] == 1).all()
    assert (cancelled["home_area_per_capita"] <= cancelled["home_limit"]).all()
    # counted, the cancelled home would put them above the limit
    rows = estate[estate["household_id"].isin(set(cancelled.index))]
    gone = rows[rows["status"] == "cancelled"].drop_duplicates("certificate_no")
    assert set(gone["household_id"]) == set(cancelled.index) and len(gone) == len(cancelled)
    with_it = cancelled["home_area"] + gone.set_index("household_id")["area"]
    assert (with_it / cancelled["counted"] > 1.15 * cancelled["home_limit"]).all()
    parking = facts[facts["code"] == "PARKING_SPACE"]
    rows = estate[estate["household_id"].isin(set(parking.index))]
    assert set(rows.loc[rows["use"] == "parking", "household_id"]) == set(parking.index)
    assert (rows.loc[rows["use"] == "parking", "status"] == "current").all()
    assert (parking["commercial"] == 0).all()
    look = facts[facts["code"].isin(["TWO_SMALL_HOMES", "SOLD_HOME_CANCELLED", "PARKING_SPACE"])]
    assert look["eligible"].all()


def test_commercial_property_is_a_current_shop_or_office(facts, estate):
    shops = facts[facts["code"] == "COMMERCIAL_PROPERTY"]
    assert len(shops) == 20 and (shops["commercial"] == 1).all()
    assert not shops["eligible"].any()
    assert (shops["homes"] <= 1).all()
    rows = estate[estate["household_id"].isin(set(shops.index))]
    uses = set(rows.loc[rows["use"].isin(["commercial", "office"]), "use"])
    assert uses == {"commercial", "office"}


def test_no_other_roster_household_fails_on_real_estate(facts):
    other = facts[~facts["code"].isin(["HOUSING_ABOVE_LIMIT", "COMMERCIAL_PROPERTY"])]
    assert not other["housing_fails"].any()
    assert (other["commercial"] == 0).all()


def test_truth_flags_exactly_the_planted_households(default_size, small):
    for g in (default_size, small):
        planted = g.planted()
        flags = pd.read_parquet(g.truth / "flags.parquet")
        for code in ("HOUSING_ABOVE_LIMIT", "COMMERCIAL_PROPERTY"):
            mine = set(planted.loc[planted["code"] == code, "household_id"])
            assert set(flags.loc[flags["flag_code"] == code, "household_id"]) == mine, code
            # and nothing else on them
            assert set(flags.loc[flags["household_id"].isin(mine), "flag_code"]) == {code}
        look = set(
            planted.loc[
                planted["code"].isin(["TWO_SMALL_HOMES", "SOLD_HOME_CANCELLED", "PARKING_SPACE"]),
                "household_id",
            ]
        )
        assert not flags["household_id"].isin(look).any()
