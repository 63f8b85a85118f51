"""DECEASED_MEMBER: the eldest member died 45 to 540 days before the month, shown in turn in
hukou and cremation, in hukou only, or in cremation only."""

from __future__ import annotations

import numpy as np

from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    p = pl.w.persons
    for i, hh in enumerate(hhs):
        m = pl.members(hh)
        pid = int(m.sort_values("age", ascending=False)["pid"].iat[0])
        death = pl.w.month_start - np.timedelta64(int(pl.rng.integers(45, 540)), "D")
        mode = ("hukou and cremation", "hukou only", "cremation only")[i % 3]
        if mode != "cremation only":
            p.loc[pid, "status"] = "deceased"
            p.loc[pid, "status_date"] = death + np.timedelta64(int(pl.rng.integers(0, 11)), "D")
        if mode != "hukou only":
            p.loc[pid, "cremation_date"] = death + np.timedelta64(int(pl.rng.integers(1, 5)), "D")
        p.loc[pid, "death_date"] = death
        pl.record(hh, code, f"died {death}; shown in {mode}", pid)
