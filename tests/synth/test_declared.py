"""Declared against registered income: INCOME_UNDER_DECLARED households declare well below
their registered wages, DECLARED_WITHIN_TOLERANCE a little below, within the tolerance."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.policy import load_ruleset
from tests.synth.conftest import RULES
from tests.synth.facts import TO_VERIFY, household_facts

MONTH = "2025-07"
# the flag a planted problem raises, where it is not the problem's own code
PLANTED_FLAG = {
    **TO_VERIFY,
    "TEKUN_AND_DIBAO": "DUPLICATE_ENROLMENT",
    "NOT_IN_HUKOU": "IDENTITY_UNVERIFIED",
    "ID_NAME_CONFLICT": "IDENTITY_UNVERIFIED",
    "UNDECLARED_SPOUSE": "HOUSEHOLD_MISMATCH",
}


@pytest.fixture(scope="module")
def facts(default_size, params) -> pd.DataFrame:
    hh = household_facts(default_size.truth, params, MONTH)
    planted = default_size.planted()
    planted = planted[planted["kind"] != "application"].set_index("household_id")["code"]
    hh["code"] = planted.reindex(hh.index).fillna("")
    on = dt.date(2025, 7, 1)
    amount = float(params.at("dibao.declared_income_tolerance_amount", on))
    ratio = float(params.at("dibao.declared_income_tolerance_ratio", on))
    hh["gap"] = hh["registered"] - hh["declared"]
    hh["tolerance"] = (hh["declared"] * ratio).clip(lower=amount)
    hh["ratio_only"] = hh["declared"] * ratio
    return hh


def test_under_declared_households_are_beyond_the_tolerance_and_below_the_standard(
    facts, default_size
):
    under = facts[facts["code"] == "INCOME_UNDER_DECLARED"]
    assert len(under) == default_size.config.planted_count("income_under_declared") == 30
    assert (under["gap"] > 1.15 * under["tolerance"]).all()
    # only this rule: per-capita income stays well under the standard, nothing else is wrong
    assert (under["per_capita"] < 0.8 * under["standard"]).all()
    assert under["eligible"].all()
    assert (under["declared"] == 0).sum() >= 5  # some declare nothing at all
    assert (under["declared"] > 0).sum() >= 10


def test_lookalikes_declare_less_but_within_the_tolerance(facts, default_size):
    within = facts[facts["code"] == "DECLARED_WITHIN_TOLERANCE"]
    assert len(within) == default_size.config.planted_count("declared_within_tolerance") == 30
    assert (within["gap"] > 0).all()
    assert (within["gap"] <= 0.85 * within["tolerance"]).all()
    assert (within["per_capita"] < 0.8 * within["standard"]).all()
    assert within["eligible"].all()
    # most would be flagged by an engine that forgot the amount and compared the ratio only
    assert (within["gap"] > within["ratio_only"]).sum() >= 15


def test_every_other_household_declares_at_least_its_registered_income(facts):
    others = facts[~facts["code"].isin(["INCOME_UNDER_DECLARED", "DECLARED_WITHIN_TOLERANCE"])]
    assert (others["gap"] <= 0.01).all(), others[others["gap"] > 0.01]


def test_truth_flags_follow_the_planted_codes(default_size, small):
    """Every flag of the truth is a planted problem's own code (a member in custody: the
    custody variant of INCOME_ABOVE_STANDARD as well; a pattern to verify: its "verify" flag)
    and every planted problem is flagged (those to verify once the rule set has their rule);
    no look-alike raises anything. An unverified identity (IDENTITY_UNVERIFIED) may also stem
    from an ordinary roster row's mistyped ID: only its planted cases are checked."""
    known = {r.flag_code for r in load_ruleset(RULES, "chongqing").flag_rules}
    for g in (small, default_size):
        every = pd.read_parquet(g.truth / "flags.parquet")
        flags = every[every["flag_code"] != "IDENTITY_UNVERIFIED"]
        planted = g.planted()
        planted = planted[planted["kind"].isin(["problem", "lookalike"])]
        code_of = planted.set_index("household_id")["code"].replace(PLANTED_FLAG)
        for row in flags.itertuples():
            assert row.household_id in code_of.index, row
            code = code_of[row.household_id]
            assert row.flag_code == code or (
                row.flag_code == "MEMBER_IN_CUSTODY" and code == "INCOME_ABOVE_STANDARD"
            ), row
        flagged = set(zip(every["household_id"], every["flag_code"], strict=True))
        problems = planted[planted["kind"] == "problem"]
        expected = problems["code"].replace(PLANTED_FLAG)
        problems = problems[expected.isin(known)]
        expected = expected[expected.isin(known)]
        assert len(problems) >= 10
        assert set(zip(problems["household_id"], expected, strict=True)) <= flagged
        custody = flags[flags["flag_code"] == "MEMBER_IN_CUSTODY"]
        assert len(custody) == max(1, g.config.planted_count("income_above_standard") // 4)
        lookalikes = set(planted.loc[planted["kind"] == "lookalike", "household_id"])
        assert not lookalikes & set(flags["household_id"])
