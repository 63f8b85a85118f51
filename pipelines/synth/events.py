"""Life events of the wider population before the extract date: deaths, moves, custody.

Roster households get none of these by construction; plant.py adds the ones it plants.
Adds to persons: status (normal, deceased, moved_out, deregistered), status_date,
death_date, cremation_date (NaT when no cremation record).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.assets import adult_dates

NAT = np.datetime64("NaT", "D")


def _days(rng, n, lo, hi) -> np.ndarray:
    return rng.integers(lo, hi + 1, n).astype("timedelta64[D]")


def life_events(rng: np.random.Generator, persons: pd.DataFrame, as_of: np.datetime64) -> None:
    """Set hukou status and death fields in place."""
    n = len(persons)
    wider = ~persons["roster"].to_numpy()
    age = persons["age"].to_numpy()
    status = np.full(n, "normal", dtype=object)
    status_date = np.full(n, NAT)
    death = np.full(n, NAT)
    cremation = np.full(n, NAT)

    # Gompertz-like yearly mortality, over the two years before the extract.
    q = np.clip(0.0008 * np.exp(0.085 * (age - 40.0)), 0.0002, 0.3)
    dies = wider & (rng.random(n) < 2 * q)
    k = int(dies.sum())
    death[dies] = as_of - _days(rng, k, 0, 730)
    registered = death[dies] + _days(rng, k, 0, 40)
    # A death registered after the extract date is not yet in the hukou extract.
    shown = registered <= as_of
    idx = np.flatnonzero(dies)
    status[idx[shown]] = "deceased"
    status_date[idx[shown]] = registered[shown]
    cremated_on = death[dies] + _days(rng, k, 1, 5)
    has_cremation = (rng.random(k) < 0.9) & (cremated_on <= as_of)
    cremation[idx[has_cremation]] = cremated_on[has_cremation]

    alive_adult = wider & ~dies & (age >= 18)
    u = rng.random(n)
    moved = alive_adult & (u < 0.01)
    dereg = alive_adult & (u >= 0.01) & (u < 0.013)
    status[moved] = "moved_out"
    status[dereg] = "deregistered"
    changed = moved | dereg
    status_date[changed] = as_of - _days(rng, int(changed.sum()), 10, 1800)

    persons["status"] = status
    persons["status_date"] = status_date
    persons["death_date"] = death
    persons["cremation_date"] = cremation


def wider_custody(
    rng: np.random.Generator, persons: pd.DataFrame, as_of: np.datetime64
) -> pd.DataFrame:
    """Custody records of the wider population: current ones and some already ended.

    Returns pid, custody_type (prison, drug_rehab), start_date, end_date (NaT: not set).
    """
    n = len(persons)
    age = persons["age"].to_numpy()
    male = persons["male"].to_numpy()
    eligible = (
        (~persons["roster"].to_numpy())
        & (persons["status"].to_numpy() == "normal")
        & (age >= 18)
        & (age <= 65)
    )
    rate = np.where(male, 0.005, 0.001)
    u = rng.random(n)
    current = eligible & (u < rate)
    # An ended custody needs time for it: the person is at least 21 now.
    past = eligible & (age >= 21) & (u >= rate) & (u < 2 * rate)
    birth = persons["birth"].to_numpy()
    rows = []
    for pids, is_current in ((np.flatnonzero(current), True), (np.flatnonzero(past), False)):
        k = len(pids)
        kind = np.where(rng.random(k) < 0.8, "prison", "drug_rehab")
        if is_current:
            start = adult_dates(
                rng, birth[pids], as_of - np.timedelta64(2500, "D"), as_of - np.timedelta64(30, "D")
            )
            end = as_of + _days(rng, k, 30, 2500)
            end = np.where(rng.random(k) < 0.25, NAT, end)  # release date not recorded
        else:
            start = adult_dates(
                rng,
                birth[pids],
                as_of - np.timedelta64(4000, "D"),
                as_of - np.timedelta64(900, "D"),
            )
            end = start + _days(rng, k, 180, 800)
        rows.append(
            pd.DataFrame({"pid": pids, "custody_type": kind, "start_date": start, "end_date": end})
        )
    out = pd.concat(rows, ignore_index=True)
    persons["in_custody"] = False
    persons.loc[
        out.loc[out["end_date"].isna() | (out["end_date"] > as_of), "pid"].to_numpy(), "in_custody"
    ] = True
    return out
