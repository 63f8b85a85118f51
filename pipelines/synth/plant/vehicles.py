"""VEHICLE_OWNED (a car or truck in normal status, young enough to count) and its look-alikes
SCRAPPED_CAR (scrapped or deregistered) and DISABLED_WHEELCHAIR (a disabled member's
wheelchair vehicle)."""

from __future__ import annotations

import numpy as np

from pipelines.synth.assets import adult_dates
from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    as_of = pl.w.as_of
    for hh in hhs:
        m = pl.members(hh)
        age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
        if code == "disabled_wheelchair":
            pid = pl.pick_person(m, (cond == 1) & (age >= 18) & (age <= 80))
            vtype, status, lo = "disabled_wheelchair", "normal", "2012-01-01"
        elif code == "vehicle_owned":
            pid = pl.pick_person(m, (age >= 18) & (age <= 75))
            vtype = "car" if pl.rng.random() < 0.75 else "truck"
            status, lo = "normal", pl.young_vehicle_from("2010-01-01")
        else:
            pid = pl.pick_person(m, (age >= 18) & (age <= 75))
            vtype = str(pl.rng.choice(["car", "truck", "motorcycle"], p=[0.6, 0.15, 0.25]))
            status = "scrapped" if pl.rng.random() < 0.7 else "deregistered"
            lo = "2000-01-01"
        birth = pl.w.persons["birth"].to_numpy()[[pid]]
        first = adult_dates(pl.rng, birth, lo, as_of - np.timedelta64(30, "D"))[0]
        pl.new_vehicles.append(
            {"pid": pid, "vehicle_type": vtype, "status": status, "first_registration": first}
        )
        pl.record(hh, code, f"{vtype}, status {status}", pid)
