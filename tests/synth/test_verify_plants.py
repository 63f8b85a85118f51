"""The known false-positive patterns (DOMAIN §4), raised as "verify", never as violations.

Problems: STALE_VEHICLE (the only car doubtful: overdue for inspection, due for scrapping or
registered 16 years ago or more), DORMANT_ACCOUNT (above the asset limit only with a dormant
account), DECEASED_COOWNER (above the housing limit only with a second home co-owned with a
deceased relative), PROVIDENT_WITHOUT_WAGE (an active provident fund, no wage). Look-alikes:
DORMANT_SMALL, OLD_EMPLOYER_FUND, LIVING_COOWNER. Every other roster household stays clear of
the four "verify" rules, and the truth computes the new facts as the contract defines them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from pipelines.policy import load_ruleset
from pipelines.synth.expected_flags import household_facts as truth_facts
from tests.synth.conftest import RULES
from tests.synth.facts import TO_VERIFY, household_facts

MONTH = "2025-07"
START = pd.Timestamp("2025-07-01")
# planted code -> the verify flag it raises
PROBLEMS = TO_VERIFY
LOOKALIKES = ("DORMANT_SMALL", "OLD_EMPLOYER_FUND", "LIVING_COOWNER")
VERIFY = ("vehicle_verify", "assets_verify", "property_verify", "employment_verify")
# the violation each problem would be taken for, if the pattern were counted
VIOLATION = {
    "STALE_VEHICLE": "VEHICLE_OWNED",
    "DORMANT_ACCOUNT": "FINANCIAL_ASSETS_ABOVE_LIMIT",
    "DECEASED_COOWNER": "HOUSING_ABOVE_LIMIT",
    "PROVIDENT_WITHOUT_WAGE": "INCOME_ABOVE_STANDARD",
}
# the new facts of the contract, with their names in tests/synth/facts.py
NEW_FACTS = {
    "vehicles_nonexempt": "vehicles",
    "vehicles_doubtful": "vehicles_doubtful",
    "deposits": "deposits",
    "deposits_dormant": "dormant",
    "homes": "homes",
    "home_area": "home_area",
    "homes_doubtful": "homes_doubtful",
    "home_area_doubtful": "home_area_doubtful",
    "commercial_properties": "commercial",
    "commercial_properties_doubtful": "commercial_doubtful",
    "members_provident_without_wage": "provident_without_wage",
}


@pytest.fixture(scope="module")
def facts(default_size, params) -> pd.DataFrame:
    hh = household_facts(default_size.truth, params, MONTH)
    planted = default_size.planted()
    planted = planted[planted["kind"] != "application"]
    hh["code"] = planted.set_index("household_id")["code"].reindex(hh.index).fillna("")
    return hh


def _rows(g, source: str, codes) -> pd.DataFrame:
    """Clean records of roster members of the households planted with `codes`."""
    planted = g.planted()
    households = set(planted.loc[planted["code"].isin(codes), "household_id"])
    clean = g.clean(source)
    clean = clean[clean["person_key"].notna()]
    clean = clean.assign(household_id=clean["person_key"].str[:14])
    return clean[clean["household_id"].isin(households)]


def test_each_code_is_planted_at_its_rate(default_size, small):
    for g in (default_size, small):
        planted = g.planted()
        counts = planted["code"].value_counts()
        for code in (*PROBLEMS, *LOOKALIKES):
            assert counts.get(code, 0) == g.config.planted_households(code.lower()) >= 1, code
            kind = "problem" if code in PROBLEMS else "lookalike"
            assert (planted.loc[planted["code"] == code, "kind"] == kind).all()
    assert default_size.config.planted_households("stale_vehicle") == 15


def test_stale_vehicles_are_doubtful_and_nothing_else(facts, default_size):
    stale = facts[facts["code"] == "STALE_VEHICLE"]
    assert (stale["vehicles"] == 0).all() and (stale["vehicles_doubtful"] == 1).all()
    assert stale["vehicle_verify"].all() and stale["eligible"].all()
    cars = _rows(default_size, "vehicles", ["STALE_VEHICLE"])
    assert len(cars) == len(stale) and (cars["vehicle_type"] == "car").all()
    assert set(cars["status"]) == {"overdue_inspection", "scrap_due", "normal"}
    normal = cars[cars["status"] == "normal"]
    first = pd.to_datetime(normal["first_registration"])
    assert (first <= START - pd.DateOffset(years=16)).all()
    # written with the registry's own labels
    written = set(default_size.written("vehicles")["status"])
    assert {"逾期未检验", "达到报废标准"} <= written


def test_cars_that_count_are_normal_and_younger_than_the_doubtful_age(default_size, facts):
    for codes in (["VEHICLE_OWNED"], ["APPLICANT_VEHICLE_OWNED"]):
        if codes == ["VEHICLE_OWNED"]:
            cars = _rows(default_size, "vehicles", codes)
        else:
            apps = default_size.clean("applications")
            planted = default_size.planted()
            households = set(planted.loc[planted["code"].isin(codes), "household_id"])
            people = set(apps.loc[apps["household_id"].isin(households), "synthetic_person_id"])
            vehicles = default_size.clean("vehicles")
            cars = vehicles[vehicles["synthetic_person_id"].isin(people)]
        assert len(cars) >= 3 and (cars["status"] == "normal").all()
        first = pd.to_datetime(cars["first_registration"])
        assert (first > START - pd.DateOffset(years=13)).all(), codes
    owned = facts[facts["code"] == "VEHICLE_OWNED"]
    assert (owned["vehicles"] >= 1).all() and (owned["vehicles_doubtful"] == 0).all()


def test_dormant_account_is_above_the_limit_only_with_it(facts, default_size):
    dormant = facts[facts["code"] == "DORMANT_ACCOUNT"]
    assert (dormant["assets"] <= 0.6 * dormant["limit"]).all()
    assert (dormant["assets"] + dormant["dormant"] >= 1.15 * dormant["limit"]).all()
    assert dormant["assets_verify"].all() and dormant["eligible"].all()
    accounts = _rows(default_size, "bank_deposits", ["DORMANT_ACCOUNT"])
    last = pd.to_datetime(accounts["last_activity_date"])
    old = accounts[last < START - pd.DateOffset(months=24)]
    assert len(old) == len(dormant)  # one dormant account each
    years = (START - pd.to_datetime(old["last_activity_date"])).dt.days / 365.25
    assert years.between(2.99, 8.01).all()
    # the others moved within the last three months before the extract
    recent = accounts[last >= START - pd.DateOffset(months=24)]
    assert (pd.to_datetime(recent["last_activity_date"]) >= START - pd.Timedelta(days=92)).all()


def test_dormant_small_stays_within_the_limit(facts):
    small = facts[facts["code"] == "DORMANT_SMALL"]
    assert (small["dormant"] > 0).all()
    assert (small["assets"] + small["dormant"] <= 0.85 * small["limit"]).all()
    assert not small[list(VERIFY)].any().any() and small["eligible"].all()


def test_deceased_coowner_is_above_the_limit_only_with_the_shared_home(facts, default_size):
    shared = facts[facts["code"] == "DECEASED_COOWNER"]
    assert (shared["homes"] == 1).all() and (shared["homes_doubtful"] == 1).all()
    area = (shared["home_area"] + shared["home_area_doubtful"]) / shared["counted"]
    assert (area >= 1.15 * shared["home_limit"]).all()
    assert shared["property_verify"].all() and not shared["housing_fails"].any()
    assert shared["eligible"].all()
    _coowners(default_size, "DECEASED_COOWNER", deceased=True)


def test_living_coowner_stays_within_the_limits(facts, default_size):
    shared = facts[facts["code"] == "LIVING_COOWNER"]
    assert (shared["homes"] == 2).all() and (shared["homes_doubtful"] == 0).all()
    assert (shared["home_area_per_capita"] <= 0.8 * shared["home_limit"]).all()
    assert not shared[list(VERIFY)].any().any() and shared["eligible"].all()
    _coowners(default_size, "LIVING_COOWNER", deceased=False)


def _coowners(g, code: str, deceased: bool) -> None:
    """The shared certificate is half a member's, half a person's outside the roster, dead
    (hukou status deceased, before the month) or alive, whose record keeps a valid ID."""
    estate = g.clean("real_estate")
    mine = _rows(g, "real_estate", [code])
    hukou = g.clean("hukou").set_index("synthetic_person_id")
    links = g.links()
    noisy = set(
        links.loc[links["noise"].str.contains("id_typo|id_transposition|id_missing"), "record_key"]
    )
    seen = 0
    for cert, rows in estate[estate["certificate_no"].isin(set(mine["certificate_no"]))].groupby(
        "certificate_no"
    ):
        others = rows[rows["person_key"].isna()]
        if others.empty:  # the household's own first home
            continue
        seen += 1
        assert len(rows) == 2 and (rows["share"] == 0.5).all(), cert
        assert (rows["status"] == "current").all() and (rows["use"] == "residential").all()
        person = hukou.loc[others["synthetic_person_id"].iat[0]]
        if deceased:
            assert person["status"] == "deceased"
            assert pd.Timestamp(person["status_date"]) < START
        else:
            assert person["status"] == "normal"
        assert others["record_key"].iat[0] not in noisy
        assert others["owner_id"].iat[0] == person["id_number"]
    assert seen == g.planted()["code"].eq(code).sum()


def test_provident_without_wage(facts, default_size):
    fund = facts[facts["code"] == "PROVIDENT_WITHOUT_WAGE"]
    assert (fund["provident_without_wage"] == 1).all()
    assert fund["employment_verify"].all() and fund["eligible"].all()
    old = facts[facts["code"].isin(["OLD_EMPLOYER_FUND", "OLD_PROVIDENT_FUND"])]
    assert (old["provident_without_wage"] == 0).all()
    assert not old[list(VERIFY)].any().any()
    accounts = _rows(default_size, "provident_fund", ["OLD_EMPLOYER_FUND"])
    assert (accounts["status"] == "active").all()
    assert (accounts["last_paid_month"] <= "2022-07").all()  # three years or more before
    # the member holding a recent active account has no wage in social insurance
    recent = _rows(default_size, "provident_fund", ["PROVIDENT_WITHOUT_WAGE"])
    si = default_size.clean("social_insurance")
    wages = si[(si["insurance_type"] == "employee") & (si["contribution_base"] > 0)]
    assert not recent["synthetic_person_id"].isin(set(wages["synthetic_person_id"])).any()


def test_no_other_household_tips_a_verify_rule(facts):
    other = facts[~facts["code"].isin(list(PROBLEMS))]
    assert not other[list(VERIFY)].any().any()
    # by construction, nothing doubtful outside the planted households; dormant accounts are
    # ordinary (small, forgotten ones), never near the limit
    plain = facts[facts["code"] == ""]
    assert (plain[["vehicles_doubtful", "homes_doubtful", "commercial_doubtful"]] == 0).all().all()
    assert (plain["provident_without_wage"] == 0).all()
    assert 20 <= (plain["dormant"] > 0).sum() <= 0.3 * len(plain)
    assert (plain["assets"] + plain["dormant"] <= 0.5 * plain["limit"]).all()


def test_every_account_has_a_last_activity_date(default_size):
    bank = default_size.clean("bank_deposits")
    last = pd.to_datetime(bank["last_activity_date"])
    assert last.notna().all() and (last <= pd.Timestamp(default_size.config.as_of)).all()
    # most moved recently, a minority has been dormant for years
    recent = last >= START - pd.DateOffset(months=4)
    dormant = last < START - pd.DateOffset(months=24)
    assert recent.mean() > 0.7 and 0.01 < dormant.mean() < 0.15
    written = default_size.written("bank_deposits")
    assert (written["last_activity_date"] != "").all()
    header = default_size.landing("bank_deposits").read_text(encoding="utf-8").splitlines()[0]
    assert "最后交易日期" in header


def test_truth_computes_the_contract(default_size, params, facts):
    """expected_flags' facts (Decimal, per the engine's definitions) agree with the
    independent pandas computation of tests/synth/facts.py on every roster household."""
    truth = pd.DataFrame(truth_facts(default_size.truth, params, MONTH)).set_index("household_id")
    assert set(truth.index) == set(facts.index)
    for fact, column in NEW_FACTS.items():
        mine = truth[fact].map(float)
        theirs = facts.loc[truth.index, column].astype(float)
        assert ((mine - theirs).abs() <= 0.011).all(), fact
    assert truth["vehicles_doubtful"].sum() >= 15 and truth["homes_doubtful"].sum() == 15
    assert isinstance(truth["deposits_dormant"].iat[0], Decimal)


def test_truth_flags_exactly_the_planted_households(default_size, small):
    """Where the rule set has the "verify" rules (the engine's side), the truth raises each
    exactly on its planted households; without them, nothing is raised on those households."""
    known = {r.flag_code for r in load_ruleset(RULES, "chongqing").flag_rules}
    for g in (default_size, small):
        planted = g.planted()
        flags = pd.read_parquet(g.truth / "flags.parquet")
        for code, flag in PROBLEMS.items():
            mine = set(planted.loc[planted["code"] == code, "household_id"])
            raised = set(flags.loc[flags["flag_code"] == flag, "household_id"])
            if flag not in known:
                assert not flags["household_id"].isin(mine).any(), code
            else:
                assert raised == mine, code
                # and nothing else on them, in particular not the violation
                assert set(flags.loc[flags["household_id"].isin(mine), "flag_code"]) == {flag}
            assert VIOLATION[code] not in set(
                flags.loc[flags["household_id"].isin(mine), "flag_code"]
            )
        look = set(planted.loc[planted["code"].isin(LOOKALIKES), "household_id"])
        assert not flags["household_id"].isin(look).any()


def test_months_back_and_doubtful_age_follow_the_parameters(params):
    from pipelines.synth.expected_flags import _months_back

    assert _months_back(dt.date(2025, 7, 1), 24) == dt.date(2023, 7, 1)
    assert _months_back(dt.date(2025, 1, 1), 1) == dt.date(2024, 12, 1)
    assert _months_back(dt.date(2025, 3, 1), 26) == dt.date(2023, 1, 1)
    on = dt.date(2025, 7, 1)
    assert int(params.at("dibao.vehicle_doubtful_age_years", on)) == 15
    assert set(params.at("dibao.vehicle_doubtful_statuses", on)) == {
        "overdue_inspection",
        "scrap_due",
    }
