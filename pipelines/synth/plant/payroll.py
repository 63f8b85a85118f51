"""STATE_PAYROLL_MEMBER: a member paid from the budget in the last months before the month
checked."""

from __future__ import annotations

import math

import numpy as np

from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """The wage is registered (social insurance) too, but short enough that the household's
    per-capita income stays under 60 % of the standard: only the payroll rule catches it."""
    pol = pl.w.policy
    for hh in hhs:
        m = pl.members(hh)
        n = len(m)
        std = float(pl.w.standard_of(np.array([hh]))[0])
        pid = pl.earner(m)
        pl.drop_streams.append(m["pid"].to_numpy())
        wage = float(pl.rng.integers(360, 461)) * 10
        months = max(1, int(min(6, math.floor(0.6 * std * n * pol.lookback / wage))))
        employer = str(pl.state_funded[int(pl.rng.integers(0, len(pl.state_funded)))])
        pl.add_wage(pid, wage * months, months, employer)
        first = pl.w.months[len(pl.w.months) - months]
        detail = (
            f"on the state payroll of {employer} from {first} to {pl.w.months[-1]} "
            f"({months} months, wage {wage:.0f}); per capita "
            f"{wage * months / pol.lookback / n:.2f} < standard {std:.0f}"
        )
        pl.record(hh, code, detail, pid)
