"""The life-insurance registry (cash value per policy): generated for a minority, linked in the
truth like every other source, and small enough on the roster never to raise a flag unplanned."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.synth.facts import household_facts


@pytest.fixture(scope="module")
def facts(default_size, params) -> pd.DataFrame:
    hh = household_facts(default_size.truth, params, "2025-07")
    planted = default_size.planted()
    planted = planted[planted["kind"] != "application"].set_index("household_id")["code"]
    hh["code"] = planted.reindex(hh.index).fillna("")
    return hh


def test_a_minority_holds_policies(default_size):
    g = default_size
    ins = g.clean("insurance")
    people = g.clean("hukou").set_index("synthetic_person_id")
    holders = ins["synthetic_person_id"].nunique()
    assert 0.03 * len(people) < holders < 0.15 * len(people)
    assert ins.groupby("synthetic_person_id").size().max() >= 2  # some hold a second policy
    assert set(ins["product_type"]) == {"whole_life", "endowment", "annuity", "universal"}
    assert ins["policy_no"].is_unique
    assert ins["policy_no"].str.fullmatch(r"[0-9A-Z]{2,4}\d{14}").all()
    assert (ins["cash_value"] > 0).all()
    assert (pd.to_datetime(ins["as_of_date"]) == "2025-06-30").all()
    # bought as an adult, before the extract
    effective = pd.to_datetime(ins["effective_date"])
    born = pd.to_datetime(people.loc[ins["synthetic_person_id"], "birth_date"].to_numpy())
    assert (effective < "2025-06-30").all()
    assert (effective.to_numpy() >= born.to_numpy() + pd.Timedelta(days=6570)).all()
    # the holder is the person of the ID and name written
    assert (ins["holder_id"].to_numpy() == people.loc[ins["synthetic_person_id"], "id_number"].to_numpy()).all()
    # no applicant holds one (their assets are planted on purpose)
    applicants = set(g.clean("applications")["synthetic_person_id"])
    assert not applicants & set(ins["synthetic_person_id"])


def test_the_file_carries_chinese_labels(default_size):
    written = default_size.written("insurance")
    assert {"终身寿险", "两全保险", "年金保险"} <= set(written["product_type"])
    assert written["insurer"].str.endswith("公司").all()


def test_every_policy_is_linked_in_the_truth(default_size):
    g = default_size
    links = g.links()
    links = links[links["source"] == "insurance"]
    clean = g.clean("insurance")
    assert len(links) == len(clean) == g.summary.records["insurance"]
    merged = clean.merge(links, on="record_key", suffixes=("", "_link"))
    assert (merged["synthetic_person_id"] == merged["person_id"]).all()
    on_roster = merged[merged["person_key"].notna()]
    assert (on_roster["person_key"] == on_roster["person_key_link"]).all()
    assert on_roster["person_key"].str[:14].nunique() >= 30
    # noisy like the other agencies' extracts, but an insurer always holds the holder's ID
    kinds = set(",".join(links["noise"]).split(",")) - {""}
    assert {"id_typo", "traditional_chars", "mixed_date_formats"} <= kinds
    assert "id_missing" not in kinds


def test_roster_policies_are_small_and_raise_no_flag(default_size, facts):
    g = default_size
    insured = facts[(facts["insurance"] > 0) & (facts["code"] == "")]
    assert len(insured) >= 20
    assert insured["eligible"].all()
    assert (insured["assets"] <= 0.5 * insured["limit"]).all()
    # the truth's flags: none on an unplanned household holding a policy (but identity to
    # verify, when a roster row has no valid ID: nothing to do with the policy)
    flags = pd.read_parquet(g.truth / "flags.parquet")
    flags = flags[flags["flag_code"] != "IDENTITY_UNVERIFIED"]
    assert not set(flags["household_id"]) & set(insured.index)
    # and the household over the limit only through its policies is expected to be flagged
    over = facts[(facts["code"] == "FINANCIAL_ASSETS_ABOVE_LIMIT") & (facts["insurance"] > 0)]
    assert len(over) == 1
    flagged = set(flags.loc[flags["flag_code"] == "FINANCIAL_ASSETS_ABOVE_LIMIT", "household_id"])
    assert set(over.index) <= flagged
