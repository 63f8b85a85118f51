"""漏保 leads planted in the wider population: what the world holds for each planted household.

A small world is built and planted with the outreach codes alone (World + Planter, as synth/plant
does); the disability registry is drawn as the generator draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.synth import outreach, registries
from pipelines.synth.config import SynthConfig, random_streams
from pipelines.synth.plant import Planter
from pipelines.synth.world import build_world

K_PROBLEM, K_LOOKALIKE = 4, 4
MONTH = "2025-07"


def planted_world(params, k_problem=K_PROBLEM, k_lookalike=K_LOOKALIKE, seed=20250701):
    cfg = SynthConfig(households=300, seed=seed, month=MONTH)
    rngs = random_streams(cfg.seed)
    world = build_world(cfg, params, rngs)
    pl = Planter(world, rngs("plant"))
    outreach.plant(pl, k_problem, k_lookalike)
    pl.apply()
    return world, rngs


def disability(world, rngs) -> pd.DataFrame:
    """The registry as the generator writes it (planted_certificates is idempotent, so this
    holds whether or not registries.disability applies it already)."""
    reg = registries.disability(world, rngs("reg.disability"))
    return outreach.planted_certificates(world, rngs("reg.disability.check"), reg)


@pytest.fixture(scope="module")
def built(params):
    world, rngs = planted_world(params)
    return world, disability(world, rngs)


def planted(world) -> pd.DataFrame:
    df = pd.DataFrame(world.planted)
    return df[df["kind"].isin([outreach.KIND, outreach.LOOKALIKE_KIND])]


def members(world, row) -> pd.DataFrame:
    p = world.persons
    return p[p["hh"] == row["hh"]]


def countable_per_capita(world, row) -> float:
    """Wages and employee pensions paid in the look-back window, per member and month."""
    m = members(world, row)
    s = world.streams[world.streams["pid"].isin(m["pid"])]
    s = s[s["kind"].isin(["wage", "employee_pension"])]
    first = world.window_first
    months = (np.minimum(s["last_m"], len(world.months) - 1) - np.maximum(s["first_m"], first) + 1).clip(lower=0)
    return float((months * s["amount"]).sum()) / world.policy.lookback / len(m)


def test_planted_counts_kinds_and_keys(built):
    world, _ = built
    df = planted(world)
    assert (df["code"] == outreach.CODE).sum() == K_PROBLEM
    assert (df["code"] == outreach.LOOKALIKE).sum() == K_LOOKALIKE
    assert set(df.loc[df["code"] == outreach.CODE, "kind"]) == {"outreach"}
    assert set(df.loc[df["code"] == outreach.LOOKALIKE, "kind"]) == {"outreach_lookalike"}
    assert df["household_id"].is_unique and df["hh"].is_unique
    hh = world.households.set_index("hh").loc[df["hh"]]
    assert (df["household_id"].to_numpy() == ("HK" + hh["hukou_no"]).to_numpy()).all()
    assert not hh["roster"].any() and not hh["applicant"].any()
    assert df["person_key"].str.fullmatch(r"HK\d+-\d{2}").all()
    assert df["detail"].str.len().gt(20).all()


def test_each_holds_a_grade_1_or_2_certificate(built):
    world, reg = built
    for _, row in planted(world).iterrows():
        m = members(world, row)
        # the holder is the member the screen numbers so: head first, then by birth and ID
        order = m.assign(_h=m["hukou_relation"] != "户主").sort_values(["_h", "birth", "id_number"])
        holder = int(order["pid"].iat[int(row["person_key"][-2:]) - 1])
        certs = reg[reg["pid"] == holder]
        assert len(certs) == 1 and certs["grade"].iat[0] in (1, 2), row["household_id"]
        assert certs["certificate_no"].iat[0] == (
            certs["id_number"].iat[0] + certs["certificate_no"].iat[0][18] + str(certs["grade"].iat[0]))
        assert (m["status"] == "normal").all() and m["death_date"].isna().all()


def test_possibly_eligible_are_poor_in_income_and_property(built):
    world, _ = built
    pol = world.policy
    for _, row in planted(world).iterrows():
        m = members(world, row)
        pids = m["pid"]
        hh = np.array([row["hh"]])
        limit = float(world.limit_of(hh)[0])
        assert world.accounts.loc[world.accounts["pid"].isin(pids), "balance"].sum() <= 0.4 * limit
        assert not world.securities["pid"].isin(pids).any()
        assert not world.insurance["pid"].isin(pids).any()
        assert not world.roles["pid"].isin(pids).any()
        homes = world.homes[world.homes["pid"].isin(pids) & (world.homes["status"] == "current")]
        assert homes["use"].isin(pol.commercial_uses).sum() == 0
        assert homes.loc[homes["use"].isin(pol.residential_uses), "cert"].nunique() <= 1
        assert not world.streams.loc[world.streams["pid"].isin(pids), "payroll"].any()
        if row["code"] == outreach.CODE:
            assert countable_per_capita(world, row) <= 0.5 * float(world.standard_of(hh)[0])
            assert not world.vehicles["pid"].isin(pids).any()


def test_lookalikes_fail_on_income_or_a_car(built):
    world, _ = built
    look = planted(world)[lambda d: d["code"] == outreach.LOOKALIKE]
    kinds = set()
    for _, row in look.iterrows():
        pids = members(world, row)["pid"]
        std = float(world.standard_of(np.array([row["hh"]]))[0])
        cars = world.vehicles[world.vehicles["pid"].isin(pids)]
        rich = countable_per_capita(world, row) >= 1.5 * std
        car = len(cars) == 1 and cars["vehicle_type"].iat[0] == "car" and cars["status"].iat[0] == "normal"
        assert rich != car, row["detail"]
        kinds.add("income" if rich else "car")
        if car:
            assert cars["first_registration"].iat[0] >= world.as_of - np.timedelta64(7 * 366, "D")
    assert kinds == {"income", "car"}


def test_no_other_certificate_changes(params, built):
    world, reg = built
    plain, rngs = planted_world(params, 0, 0)
    before = registries.disability(plain, rngs("reg.disability"))
    mine = set(pd.DataFrame(planted(world))["hh"])
    others = ~world.persons["hh"].isin(mine).to_numpy()[reg["pid"].to_numpy()]
    cols = ["pid", "certificate_no", "category", "grade", "issue_date"]
    kept = reg[others][cols].sort_values("pid").reset_index(drop=True)
    was = before[~world.persons["hh"].isin(mine).to_numpy()[before["pid"].to_numpy()]]
    pd.testing.assert_frame_equal(kept, was[cols].sort_values("pid").reset_index(drop=True))


def test_deterministic(params, built):
    world, reg = built
    again, rngs = planted_world(params)
    assert again.planted == world.planted
    pd.testing.assert_frame_equal(disability(again, rngs), reg)
    pd.testing.assert_frame_equal(again.streams, world.streams)
    pd.testing.assert_frame_equal(again.accounts, world.accounts)
