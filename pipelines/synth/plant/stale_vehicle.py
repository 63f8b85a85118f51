"""STALE_VEHICLE: a known false-positive pattern (DOMAIN §4): "verify", never a violation."""

from __future__ import annotations

import numpy as np

from pipelines.synth.assets import adult_dates
from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """The household's only vehicle is a car overdue for inspection, one
    due for scrapping, or one registered as normal but first registered 16 to 22 years
    before the month (in turn): doubtful, so it does not count and VEHICLE_OWNED does not
    hold, but it is raised to verify. Owners are aged 40 to 80."""
    w = pl.w
    start = w.cfg.month_start
    old_on = w.vehicle_old_on
    years = w.policy.vehicle_doubtful_age

    def years_before(n: int) -> np.datetime64:
        return np.datetime64(start.replace(year=start.year - n).isoformat(), "D")

    doubtful = w.policy.vehicle_doubtful
    for i, hh in enumerate(hhs):
        m = pl.members(hh)
        age = m["age"].to_numpy()
        pid = pl.pick_person(m, (age >= 40) & (age <= 80))
        variant = i % 3
        if variant == 0:
            status = "overdue_inspection" if "overdue_inspection" in doubtful else doubtful[0]
            lo, hi = years_before(years + 5), w.as_of - np.timedelta64(2 * 366, "D")
        elif variant == 1:
            status = "scrap_due" if "scrap_due" in doubtful else doubtful[-1]
            lo, hi = years_before(years + 7), old_on + np.timedelta64(3 * 365, "D")
        else:
            status = "normal"
            lo, hi = years_before(years + 7), years_before(years + 1)
        birth = w.persons["birth"].to_numpy()[[pid]]
        first = adult_dates(pl.rng, birth, lo, hi)[0]
        pl.new_vehicles.append(
            {"pid": pid, "vehicle_type": "car", "status": status, "first_registration": first}
        )
        detail = f"car, status {status}, first registered {first}"
        if status == "normal":
            detail += f" ({years} years or more before {w.cfg.month}: doubtful by its age)"
        pl.record(hh, code, detail + "; no other vehicle", pid)
