"""RESIDENT_PENSION (look-alike): countable income at 80–85 % of the standard (a wage, or an
employee pension when nobody can work) and residents' basic pensions of the old members that
would take it to 106 %: they are not counted, so the household stays eligible."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.synth.income import MIN_WAGE_BASE, resident_pensions
from pipelines.synth.plant.planter import Planter

# A residents' basic pension above this would not be credible (yuan per month).
MAX_RESIDENT_PENSION = 450


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    pol = pl.w.policy
    birth = pl.w.persons["birth"].to_numpy().astype("datetime64[D]")
    n_months = len(pl.w.months)
    for hh in hhs:
        m = pl.members(hh)
        n = len(m)
        std = float(pl.w.standard_of(np.array([hh]))[0])
        c = float(pl.rng.uniform(0.80, 0.85))
        countable = math.floor(c * std * n)
        able = ((m["age"] >= 18) & (m["age"] < 60) & (m["condition"] != 1)).to_numpy()
        old = m[(m["age"] >= 62).to_numpy()].sort_values("age", ascending=False)
        pl.drop_all_streams.append(m["pid"].to_numpy())
        if able.any():
            earner = pl.pick_person(m, able)
            total = countable * pol.lookback
            pl.add_wage(earner, total, int(total // MIN_WAGE_BASE))
            receivers = old["pid"].to_numpy()
        else:
            retiree = int(old["pid"].iat[0])
            pl.new_streams.append(
                pd.DataFrame(
                    {
                        "pid": [retiree],
                        "kind": ["employee_pension"],
                        "first_m": [0],
                        "last_m": [n_months - 1],
                        "amount": [float(countable)],
                        "employer": [None],
                    }
                )
            )
            receivers = old["pid"].to_numpy()[1:]
        pension = math.ceil((1.06 - c) * std * n / len(receivers))
        pl.new_streams.append(
            resident_pensions(
                pl.rng,
                receivers,
                birth,
                n_months,
                pl.w.first_month,
                np.full(len(receivers), float(pension)),
            )
        )
        rest = m[(m["age"] >= 60).to_numpy() & ~m["pid"].isin(old["pid"]).to_numpy()][
            "pid"
        ].to_numpy()
        pl.new_streams.append(resident_pensions(pl.rng, rest, birth, n_months, pl.w.first_month))
        pl.declared[hh] = float(countable)
        detail = (
            f"countable {countable}/month, {countable / n:.2f} per capita "
            f"< standard {std:.0f}; "
            f"with {len(receivers)} resident pension(s) of {pension} it would be "
            f"{(countable + pension * len(receivers)) / n:.2f}"
        )
        pl.record(hh, code, detail, int(receivers[0]))


def households(pl: Planter) -> np.ndarray:
    """An old member to receive a credible pension, and an able member or a second old one."""
    hh = np.arange(pl.n)
    std = pl.w.standard_of(hh)
    receivers = np.where(pl.n_able > 0, pl.n_old, pl.n_old - 1)
    ok = (pl.n_old >= 1) & ((pl.n_able > 0) | (pl.n_old >= 2)) & (receivers >= 1)
    need = 0.26 * std * pl.size / np.maximum(receivers, 1)
    return ok & (need <= MAX_RESIDENT_PENSION)
