"""Identities 户籍 does not confirm, and 低保 members also enrolled in 特困 (identity.py)."""

from __future__ import annotations

from pipelines.synth.expected_flags import household_facts


def _of(g, code):
    planted = g.planted()
    return planted[planted["code"] == code]


def test_a_member_not_in_hukou_has_no_hukou_record(default_size):
    planted = _of(default_size, "NOT_IN_HUKOU")
    assert len(planted) == 10
    roster = default_size.clean("roster").set_index("person_key")
    hukou = default_size.clean("hukou")
    people = set(roster.loc[planted["person_key"], "synthetic_person_id"])
    assert not people & set(hukou["synthetic_person_id"])
    assert len(hukou) > 10_000  # everyone else is there


def test_a_name_conflict_writes_the_members_id_with_another_name(default_size):
    planted = _of(default_size, "ID_NAME_CONFLICT")
    assert len(planted) == 10
    written = default_size.written("roster")
    clean = default_size.clean("roster").set_index("person_key")
    keys = clean.loc[planted["person_key"], "record_key"]
    rows = written.assign(record_key=written["household_id"] + "|" + written["member_no"])
    rows = rows.drop_duplicates("record_key").set_index("record_key")  # duplicate_rows noise
    for key, record in zip(planted["person_key"], keys, strict=True):
        assert rows.loc[record, "id_number"] == clean.loc[key, "id_number"]  # the ID as in 户籍
        assert rows.loc[record, "name"][0] != clean.loc[key, "name"][0]  # another surname
    # truth/links records the planted writing as the row's noise, on these rows only
    links = default_size.links()
    links = links[links["source"] == "roster"].set_index("record_key")["noise"]
    conflict = links[links.str.split(",").map(lambda kinds: "name_conflict" in kinds)]
    assert set(conflict.index) == set(keys)


def test_tekun_enrolments_on_the_roster(default_size):
    roster = default_size.clean("roster")
    tekun = roster[roster["programme"] == "tekun"]
    planted = _of(default_size, "TEKUN_AND_DIBAO")
    assert len(planted) == len(tekun) == 10
    assert tekun["household_id"].str.startswith("TK").all() and tekun["household_id"].is_unique
    assert (tekun["member_no"] == 1).all()
    dibao = roster.set_index("person_key")
    # the same person in both programmes
    assert set(dibao.loc[planted["person_key"], "synthetic_person_id"]) == set(tekun["synthetic_person_id"])


def test_truth_expects_identity_and_tekun_points_on_dibao_households_only(default_size, params):
    facts = {f["household_id"]: f for f in household_facts(default_size.truth, params, "2025-07")}
    assert not any(h.startswith("TK") for h in facts)
    for code in ("NOT_IN_HUKOU", "ID_NAME_CONFLICT"):
        for hid in _of(default_size, code)["household_id"]:
            assert facts[hid]["members_identity_unverified"] >= 1, (code, hid)
    for hid in _of(default_size, "TEKUN_AND_DIBAO")["household_id"]:
        assert facts[hid]["members_enrolled_elsewhere"] == 1
    # the roster's own noise: every household with a mistyped or missing ID of a counted member
    links = default_size.links()
    noisy = links[(links["source"] == "roster") & links["noise"].str.contains("id_typo|id_transposition|id_missing")]
    custody = set(default_size.clean("custody")["person_key"])
    households = {k.rsplit("-", 1)[0] for k in noisy["person_key"] if not k.startswith("TK") and k not in custody}
    assert households and all(facts[h]["members_identity_unverified"] >= 1 for h in households)
