"""INCOME_UNDER_DECLARED and DECLARED_WITHIN_TOLERANCE: a registered wage against the income
the household declares."""

from __future__ import annotations

import math

import numpy as np

from pipelines.synth.income import MIN_WAGE_BASE
from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """A wage registered for one member; the household declares less than it.

    INCOME_UNDER_DECLARED: the registered monthly income exceeds the declared one by at
    least 15 % more than the tolerance, max(amount, ratio × declared); every third
    declares nothing. DECLARED_WITHIN_TOLERANCE: by 30–85 % of the tolerance; every other
    one declares so little that the gap, within the amount, is beyond what the ratio
    alone allows (an engine forgetting the amount flags it). Either way per-capita income
    stays under 75 % of the standard: no other rule fires."""
    pol = pl.w.policy
    amount_tol, ratio_tol = pol.declared_tolerance_amount, pol.declared_tolerance_ratio
    for i, hh in enumerate(hhs):
        m = pl.members(hh)
        n = len(m)
        std = float(pl.w.standard_of(np.array([hh]))[0])
        earner = pl.earner(m)
        pl.drop_streams.append(m["pid"].to_numpy())
        small_gap = code == "declared_within_tolerance" and i % 2 == 0
        if small_gap:  # a gap within the amount, declared below amount / ratio
            gap = float(pl.rng.uniform(0.6, 0.85)) * amount_tol
            most = min(gap / (1.15 * ratio_tol), 0.75 * std * n - gap)
            target = float(pl.rng.uniform(0.3, 0.9)) * most + gap
        else:
            target = float(pl.rng.uniform(0.45, 0.75)) * std * n
        total = target * pol.lookback
        amount, months = pl.add_wage(earner, total, int(total // MIN_WAGE_BASE))
        registered = amount * months / pol.lookback
        if code == "income_under_declared":
            ceiling = min(registered - 1.15 * amount_tol, registered / (1 + 1.15 * ratio_tol))
            share = 0.0 if i % 3 == 0 else float(pl.rng.uniform(0.2, 0.9))
            declared = float(math.floor(share * ceiling / 10) * 10)
        elif small_gap:
            declared = float(math.ceil(registered - gap))
        else:
            f = float(pl.rng.uniform(0.3, 0.85))
            declared = registered - f * amount_tol
            if declared * ratio_tol > amount_tol:  # the ratio is the tolerance
                declared = registered / (1 + f * ratio_tol)
            declared = float(math.ceil(declared))
        pl.declared[hh] = declared
        tolerance = max(amount_tol, ratio_tol * declared)
        pl.record(
            hh,
            code,
            f"wage {amount:.2f} x {months} months: registered {registered:.2f} per month, "
            f"{registered / n:.2f} per capita < standard {std:.0f}; declared {declared:.0f}, "
            f"{registered - declared:.2f} below, tolerance {tolerance:.2f}",
            earner,
        )
