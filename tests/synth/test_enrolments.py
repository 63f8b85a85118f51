"""A person enrolled in two households (DUPLICATE_ENROLMENT) and namesakes in two households
(NAMESAKE_OTHER_HOUSEHOLD): one person against two people, as the truth tells them apart."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.standardize.ids import standardize_id
from pipelines.synth.idcodes import to_15_digit
from pipelines.synth.noise import variant_options
from tests.synth.facts import people as everyone_of
from tests.synth.facts import second_enrolments

REGISTRIES = (
    "social_insurance",
    "bank_deposits",
    "securities",
    "insurance",
    "real_estate",
    "vehicles",
    "business",
    "provident_fund",
    "state_payroll",
    "custody",
    "cremation",
)


def _planted(g, code: str) -> pd.DataFrame:
    planted = g.planted()
    return planted[planted["code"] == code]


@pytest.fixture(scope="module")
def pairs(default_size) -> pd.DataFrame:
    """One row per person enrolled twice: both person keys, households and districts, and
    what the second enrolment writes (id, name) with its noise."""
    g = default_size
    roster = g.clean("roster")
    second = second_enrolments(g.truth)
    first = roster[~roster["person_key"].isin(second["person_key"])]
    second = second[second["programme"] == "dibao"]  # 低保 twice (特困 as well: test_identity.py)
    merged = second.merge(first, on="synthetic_person_id", suffixes=("_2", "_1"))
    written = g.written("roster").set_index(["household_id", "member_no"])
    at = list(zip(merged["household_id_2"], merged["member_no_2"].astype(str), strict=True))
    merged["written_id"] = written.loc[at, "id_number"].to_numpy()
    merged["written_name"] = written.loc[at, "name"].to_numpy()
    links = g.links()
    noise = links[links["source"] == "roster"].set_index("person_key")["noise"]
    merged["noise"] = noise.loc[merged["person_key_2"]].to_numpy()
    return merged


def test_a_duplicate_is_one_person_in_two_households_of_two_districts(default_size, pairs):
    g = default_size
    n = g.config.planted_count("duplicate_enrolment")
    assert n == 20 and len(pairs) == n
    assert pairs["synthetic_person_id"].is_unique
    assert (pairs["household_id_1"] != pairs["household_id_2"]).all()
    assert (pairs["region_code_1"] != pairs["region_code_2"]).all()
    # the same true ID and name in the clean truth, whatever the second row writes
    assert (pairs["id_number_1"] == pairs["id_number_2"]).all()
    assert (pairs["name_1"] == pairs["name_2"]).all()
    # both households are planted, each with its own member's key
    planted = _planted(g, "DUPLICATE_ENROLMENT").set_index("household_id")["person_key"]
    assert len(planted) == 2 * n
    keys = set(pairs["person_key_1"]) | set(pairs["person_key_2"])
    assert set(planted) == keys
    assert set(planted.index) == set(pairs["household_id_1"]) | set(pairs["household_id_2"])
    # the hukou record (and every other record) is the first enrolment's
    hukou = g.clean("hukou").set_index("synthetic_person_id")
    assert (
        hukou.loc[pairs["synthetic_person_id"], "person_key"].to_numpy()
        == pairs["person_key_1"].to_numpy()
    ).all()
    assert (hukou.loc[pairs["synthetic_person_id"], "status"] == "normal").all()
    # the second household is otherwise ordinary: nothing else planted there
    assert g.planted()["household_id"].is_unique


def test_the_second_enrolment_writes_the_person_in_four_ways(pairs):
    ways: dict[str, int] = {}
    for row in pairs.itertuples():
        truth, kinds = row.id_number_1, set(row.noise.split(","))
        planted = kinds & {"id_15_digit", "id_typo", "variant_chars"}
        assert len(planted) <= 1
        way = planted.pop() if planted else "same"
        ways[way] = ways.get(way, 0) + 1
        if way == "id_15_digit":
            assert row.written_id == to_15_digit(truth)
            assert standardize_id(row.written_id).id18 == truth
        elif way == "id_typo":
            assert not standardize_id(row.written_id).valid
            differ = [i for i in range(18) if row.written_id[i] != truth[i]]
            assert len(differ) == 1 and not 6 <= differ[0] < 14  # the birth date stays
        else:  # the ID as it is (maybe full-width or a lower-case x)
            assert standardize_id(row.written_id).id18 == truth
        if way == "variant_chars":
            assert row.written_name in variant_options(row.name_1)
        elif way != "same":
            assert row.written_name == row.name_1  # one difference at a time
        else:  # the harmless name noise a planted household's record may get
            assert row.written_name == row.name_1 or kinds & {
                "homophone_chars",
                "traditional_chars",
            }
    assert ways == {"same": 5, "id_15_digit": 5, "id_typo": 5, "variant_chars": 5}


def test_a_duplicate_holds_nothing_another_rule_could_count(default_size, pairs):
    """Whichever enrolment an engine links their records to, no other rule changes."""
    g = default_size
    people = set(pairs["synthetic_person_id"])
    for source in REGISTRIES:
        clean = g.clean(source)
        assert not set(clean["synthetic_person_id"]) & people, source
    hukou = g.clean("hukou").set_index("synthetic_person_id")
    born = pd.to_datetime(hukou.loc[list(people), "birth_date"])
    age = (pd.Timestamp("2025-06-30") - born).dt.days / 365.25
    assert age.between(18, 60).all()


def test_the_second_relation_agrees_with_the_ages(default_size, pairs):
    roster = default_size.clean("roster")
    hukou = default_size.clean("hukou").set_index("synthetic_person_id")
    birth = pd.to_datetime(hukou["birth_date"])
    heads = roster[roster["relation"] == "head"].set_index("household_id")["synthetic_person_id"]
    for row in pairs.itertuples():
        gap = (birth[heads[row.household_id_2]] - birth[row.synthetic_person_id]).days / 365.25
        if row.relation_2 == "parent":
            assert gap > 19
        elif row.relation_2 == "child":
            assert gap < -19
        else:
            assert row.relation_2 in ("sibling", "other") and abs(gap) < 21


def test_namesakes_are_two_people_of_one_name_and_birth_date(default_size, small):
    for g in (small, default_size):
        planted = _planted(g, "NAMESAKE_OTHER_HOUSEHOLD")
        n = g.config.planted_count("namesake_other_household")
        assert len(planted) == 2 * n >= 2
        roster = g.clean("roster").set_index("person_key")
        people = roster.loc[planted["person_key"]]
        # birth dates from hukou (for a member hukou does not hold, NOT_IN_HUKOU, their ID's)
        hukou = everyone_of(g.truth)
        people = people.assign(
            birth=hukou.loc[people["synthetic_person_id"], "birth_date"].to_numpy()
        )
        groups = people.groupby(["name", "birth"])
        assert groups.ngroups == n and (groups.size() == 2).all()
        for _, two in groups:
            assert two["synthetic_person_id"].nunique() == 2
            assert two["household_id"].nunique() == 2 and two["region_code"].nunique() == 2
            ids = two["id_number"].tolist()
            assert ids[0] != ids[1] and ids[0][:6] != ids[1][:6]
            assert all(standardize_id(i).valid for i in ids)
            # nobody else on the roster shares the name and birth date by chance
        everyone = roster.assign(
            birth=hukou.loc[roster["synthetic_person_id"], "birth_date"].to_numpy()
        ).drop_duplicates("synthetic_person_id")
        shared = everyone.groupby(["name", "birth"])["synthetic_person_id"].transform("size") > 1
        assert set(everyone.index[shared]) >= set(planted["person_key"])


def test_the_truth_flags_exactly_the_duplicates(default_size, small):
    for g in (small, default_size):
        flags = pd.read_parquet(g.truth / "flags.parquet")
        flagged = set(flags.loc[flags["flag_code"] == "DUPLICATE_ENROLMENT", "household_id"])
        # a 低保 member also enrolled in 特困 (TEKUN_AND_DIBAO) is another enrolment as well
        duplicates = set(_planted(g, "DUPLICATE_ENROLMENT")["household_id"])
        tekun = set(_planted(g, "TEKUN_AND_DIBAO")["household_id"])
        assert tekun and not tekun & duplicates
        assert flagged == duplicates | tekun
        namesakes = set(_planted(g, "NAMESAKE_OTHER_HOUSEHOLD")["household_id"])
        assert not namesakes & set(flags["household_id"])
