"""CUSTODY_MEMBER (look-alike): a member aged 20 to 60 held in prison or drug rehabilitation;
the household left without them still meets every condition."""

from __future__ import annotations

from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    for hh in hhs:
        m = pl.members(hh)
        age = m["age"].to_numpy()
        pid = pl.pick_person(m, (age >= 20) & (age <= 60), prefer_male=True)
        pl.hold_in_custody(pid)
        pl.record(hh, code, f"held; {len(m) - 1} of {len(m)} members counted", pid)
