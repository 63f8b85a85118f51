"""People look like Chongqing residents: valid IDs that agree with them, every district, names.
(The planted identity problems: test_identity_plants.py.)"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.standardize.counties import CHONGQING
from pipelines.standardize.ids import standardize_id
from pipelines.synth.geography import load_regions
from tests.synth.facts import people, second_enrolments


def _not_in_hukou(g) -> set[str]:
    """Person keys of the members planted outside the hukou extract (NOT_IN_HUKOU)."""
    planted = g.planted()
    return set(planted.loc[planted["code"] == "NOT_IN_HUKOU", "person_key"])


def test_roster_and_hukou_ids_are_valid_and_agree_with_the_person(small):
    hukou = small.clean("hukou")
    persons = hukou.set_index("synthetic_person_id")
    roster = small.clean("roster")
    # only the members planted outside it lack a hukou record to agree with
    missing = ~roster["synthetic_person_id"].isin(persons.index)
    assert set(roster.loc[missing, "person_key"]) == _not_in_hukou(small) != set()
    for frame in (hukou, roster):
        for row in frame.itertuples():
            result = standardize_id(row.id_number)
            assert result.valid, (row.id_number, result.reason)
            assert len(row.id_number) == 18 and result.id18 == row.id_number
            if row.synthetic_person_id not in persons.index:
                continue
            person = persons.loc[row.synthetic_person_id]
            birth = person["birth_date"]
            birth = birth.date() if isinstance(birth, pd.Timestamp) else birth
            assert result.birth_date == birth
            assert result.sex == person["sex"]
    # one ID per person; only a person enrolled twice (in 低保 twice, or in 特困 as well) has
    # two rows
    assert roster.groupby("id_number")["synthetic_person_id"].nunique().eq(1).all()
    second = second_enrolments(small.truth)
    assert set(second["programme"]) == {"dibao", "tekun"}
    assert roster[~roster["person_key"].isin(second["person_key"])]["id_number"].is_unique
    assert hukou["id_number"].is_unique


def test_all_38_region_codes_used_with_their_names(default_size):
    reg = load_regions()
    assert dict(zip(reg.codes, reg.names, strict=True)) == CHONGQING
    kinds = pd.Series(reg.kinds).value_counts().to_dict()
    assert kinds == {"district": 26, "county": 8, "autonomous_county": 4}
    roster = default_size.clean("roster")
    assert set(roster["region_code"]) == set(CHONGQING)
    hukou = default_size.clean("hukou")
    assert set(hukou["hukou_no"].str[:6]) == set(CHONGQING)


def test_urban_share_follows_the_district(default_size):
    roster = default_size.clean("roster")
    roster = roster[roster["programme"] == "dibao"].drop_duplicates("household_id")
    urban = roster.assign(u=roster["urban_rural"] == "urban").groupby("region_code")["u"].mean()
    assert urban["500103"] == 1.0  # 渝中区
    main = urban[["500103", "500105", "500106", "500107", "500108"]].mean()
    remote = urban[["500229", "500238", "500242", "500243"]].mean()
    assert main > 0.85 and remote < 0.6


def test_retired_and_sichuan_area_codes_only_for_people_born_before_the_change(default_size):
    hukou = default_size.clean("hukou")
    area = hukou["id_number"].str[:6]
    year = pd.to_datetime(hukou["birth_date"]).dt.year
    sichuan = area.str.match(r"^51(02|22|23)")
    assert sichuan.sum() > 100
    assert (year[sichuan] < 1985).all()
    qijiang_county = area == "500222"  # 綦江县 until 2011
    assert qijiang_county.any() and (year[qijiang_county] < 2012).all()


def test_names_are_realistic(default_size):
    hukou = default_size.clean("hukou")
    names = hukou["name"]
    top = names.str[0].value_counts().head(12).index
    assert {"王", "李", "张", "刘", "陈"} <= set(top)
    assert names.str.len().between(2, 12).all()
    dotted = names[names.str.contains("·", regex=False)]
    assert len(dotted) >= 2 and (hukou.loc[dotted.index, "ethnicity"] == "维吾尔族").all()
    assert names.str.contains("䶮").any() and names.str.contains("堃|喆|赟|燚|犇|淼|垚").any()
    roster = default_size.clean("roster")
    assert roster["name"].str.contains("䶮").any()
    assert roster["name"].str.contains("·", regex=False).any()
    south_east = hukou["hukou_no"].str[:6].isin(["500240", "500241", "500242", "500243", "500114"])
    minority = hukou.loc[south_east, "ethnicity"].isin(["土家族", "苗族"]).mean()
    assert minority > 0.4
    assert hukou.loc[~south_east, "ethnicity"].eq("汉族").mean() > 0.97


def test_households_are_consistent(default_size):
    roster = default_size.clean("roster")
    # birth dates from hukou; a member hukou does not hold (NOT_IN_HUKOU): their ID's
    persons = people(default_size.truth)
    as_of = dt.date(2025, 6, 30)
    roster["birth"] = persons.loc[roster["synthetic_person_id"], "birth_date"].to_numpy()
    roster["age"] = [(as_of - pd.Timestamp(b).date()).days / 365.25 for b in roster["birth"]]
    head = roster[roster["relation"] == "head"].set_index("household_id")["age"]
    assert (
        roster.groupby("household_id")["relation"].apply(lambda r: (r == "head").sum()).eq(1).all()
    )
    kids = roster[roster["relation"] == "child"]
    assert (head.loc[kids["household_id"]].to_numpy() - kids["age"].to_numpy() > 15).all()
    parents = roster[roster["relation"] == "parent"]
    assert (parents["age"].to_numpy() - head.loc[parents["household_id"]].to_numpy() > 15).all()
    elderly = roster[roster["category"] == "elderly"]
    assert (elderly["age"] >= 60).all()
    minors = roster[roster["category"] == "minor"]
    assert (minors["age"] < 18).all()
    assert set(roster["category"]) == {"elderly", "disabled", "ill", "minor", "general"}
    # a person enrolled a second time in 低保 is a parent, a child, a sibling or another
    # relative there, and has their hukou with their first household; one enrolled in 特困
    # as well heads a household of their own (TEKUN_AND_DIBAO)
    second = roster["person_key"].isin(second_enrolments(default_size.truth)["person_key"])
    tekun = roster["programme"] == "tekun"
    assert tekun.any() and (tekun <= second).all()
    assert (roster.loc[tekun, "relation"] == "head").all() and (
        roster.loc[tekun, "age"] >= 18
    ).all()
    assert roster.loc[tekun, "household_id"].str.startswith("TK").all()
    assert roster.loc[tekun, "household_id"].is_unique
    assert set(roster.loc[~second, "relation"]) == {
        "head",
        "spouse",
        "child",
        "parent",
        "grandchild",
    }
    again = second & ~tekun
    assert (
        again.any()
        and roster.loc[again, "relation"].isin(["parent", "child", "sibling", "other"]).all()
    )
    roster = roster[~second]
    # A roster household is one hukou household (members hukou does not hold aside).
    hukou = default_size.clean("hukou").set_index("synthetic_person_id")
    held = roster[roster["synthetic_person_id"].isin(hukou.index)]
    assert set(roster["person_key"]) - set(held["person_key"]) == _not_in_hukou(default_size)
    hukou_no = hukou.loc[held["synthetic_person_id"], "hukou_no"].to_numpy()
    assert pd.Series(hukou_no).groupby(held["household_id"].to_numpy()).nunique().eq(1).all()
    sizes = roster.groupby("household_id").size()
    assert 2.0 < sizes.mean() < 3.2 and (sizes == 1).mean() > 0.2
