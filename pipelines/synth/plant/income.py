"""INCOME_ABOVE_STANDARD: a wage taking the household's per-capita income 30–90 % above the
standard; in a quarter of the households (`with_custody`) it does so only once a member held in
custody is left out of the count."""

from __future__ import annotations

import numpy as np

from pipelines.synth.income import MIN_WAGE_BASE
from pipelines.synth.plant.planter import Planter


def custody_households(pl: Planter) -> np.ndarray:
    """Two or three members, two of them able to work, one of those aged 20 or more."""
    return np.isin(pl.size, (2, 3)) & (pl.n_able >= 2) & (pl.n_able_20 >= 1)


def custody_count(pl: Planter, code: str, n: int) -> int:
    """A quarter of the code's households (one at least) when it has two or more."""
    return max(1, n // 4) if n >= 2 else 0


def _wage_households(pl: Planter, hhs: list[int]):
    """Each household with its members, size, standard and which members are able to work;
    the members' own income streams are dropped, so the planted wage is what counts."""
    for hh in hhs:
        m = pl.members(hh)
        std = float(pl.w.standard_of(np.array([hh]))[0])
        able = ((m["age"] >= 18) & (m["age"] < 60) & (m["condition"] != 1)).to_numpy()
        pl.drop_streams.append(m["pid"].to_numpy())
        yield hh, m, len(m), std, able


def with_custody(pl: Planter, hhs: list[int], code: str) -> None:
    """An able member aged 20 or more in custody, a wage for another: below the standard
    while the held member is counted, well above it without them."""
    pol = pl.w.policy
    for hh, m, n, std, able in _wage_households(pl, hhs):
        held = pl.pick_person(m, able & (m["age"] >= 20).to_numpy(), prefer_male=True)
        earner = pl.pick_person(m, able & (m["pid"] != held).to_numpy())
        pl.hold_in_custody(held)
        per_month = (1.15 * (n - 1) + 0.85 * n) / 2 * std
        total = per_month * pol.lookback
        amount, months = pl.add_wage(earner, total, int(total // MIN_WAGE_BASE))
        detail = (
            f"wage {amount:.2f} x {months} months; per capita {per_month / n:.2f} with "
            f"{n} members, {per_month / (n - 1):.2f} without the member in custody; "
            f"standard {std:.0f}"
        )
        pl.record(hh, code, detail, earner)


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """A wage for 8 months or more of the look-back paid to an able (healthy, if any) member."""
    pol = pl.w.policy
    for hh, m, n, std, able in _wage_households(pl, hhs):
        earner = (
            pl.pick_person(m, able & (m["condition"] == 0).to_numpy())
            if (able & (m["condition"] == 0).to_numpy()).any()
            else pl.pick_person(m, able)
        )
        total = float(pl.rng.uniform(1.3, 1.9)) * std * n * pol.lookback
        months = int(pl.rng.integers(8, pol.lookback + 1))
        if total / months < MIN_WAGE_BASE:
            total = MIN_WAGE_BASE * months
        amount, months = pl.add_wage(earner, total, months)
        per_capita = amount * months / pol.lookback / n
        detail = (
            f"wage {amount:.2f} x {months} months; per capita {per_capita:.2f} > standard {std:.0f}"
        )
        pl.record(hh, code, detail, earner)
