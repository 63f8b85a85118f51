"""New 低保 applications: households outside the roster applying in the month checked.

Applicant households are households of the wider population, so they are in the hukou
extract and every other registry like anybody else. They are chosen among households whose
members are all living, registered, never held in custody and hold no role in a business,
favouring the structures that apply (elderly people, single parents, grandparents raising
grandchildren), and then made as poor as the roster: their wages and pensions are replaced
by the roster's kind of income (a resident pension, sometimes a short job), their deposits
are capped like the roster's, they keep at most their own home and no vehicle. plant.py
then makes a few of them ineligible; every other one is APPLICANT_ELIGIBLE.

Adds to the world: households["applicant"], persons["applicant"], persons["application_id"]
and `world.applications` (hh, household_id, application_no, application_date, status).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth import income
from pipelines.synth.idcodes import unique_numbers

# Relative chance of applying, by household structure.
APPLYING = {
    "elderly_alone": 3.0,
    "elderly_couple": 2.0,
    "single_parent": 3.0,
    "grandparents_with_grandchildren": 3.0,
    "couple_with_children": 1.2,
    "three_generations": 0.8,
    "couple_no_children": 0.4,
    "young_single": 0.2,
}


def mark_none(world) -> None:
    world.households["applicant"] = False
    world.persons["applicant"] = False
    world.persons["application_id"] = None
    world.applications = pd.DataFrame(
        {
            "hh": np.array([], dtype=np.int64),
            "household_id": np.array([], dtype=object),
            "application_no": np.array([], dtype=object),
            "application_date": np.array([], dtype="datetime64[D]"),
            "status": np.array([], dtype=object),
        }
    )


def _choose(rng, world, k: int) -> np.ndarray:
    hh_df, p = world.households, world.persons
    n_hh = len(hh_df)
    bad = (
        (p["status"].to_numpy() != "normal")
        | p["in_custody"].to_numpy()
        | p["death_date"].notna().to_numpy()
        | p["cremation_date"].notna().to_numpy()
        | p["pid"].isin(world.custody["pid"]).to_numpy()
        | p["pid"].isin(world.roles["pid"]).to_numpy()
    )
    bad_hh = np.bincount(p["hh"].to_numpy()[bad], minlength=n_hh) > 0
    cand = np.flatnonzero(~hh_df["roster"].to_numpy() & ~bad_hh)
    weight = hh_df["htype"].map(APPLYING).fillna(0.0).to_numpy()[cand]
    cand, weight = cand[weight > 0], weight[weight > 0]
    k = min(k, len(cand))
    if k == 0:
        return cand[:0]
    return np.sort(rng.choice(cand, k, replace=False, p=weight / weight.sum()))


def _dates(rng, world, k: int) -> np.ndarray:
    """Working days of the month checked."""
    start = world.month_start
    end = (start.astype("datetime64[M]") + 1).astype("datetime64[D]")
    days = np.arange(start, end, dtype="datetime64[D]")
    workdays = days[np.is_busday(days)]
    return np.sort(workdays[rng.integers(0, len(workdays), k)])


def _status(rng, dates: np.ndarray, month_end: np.datetime64) -> np.ndarray:
    """Received first, then under review (入户调查, 审核), then on public notice."""
    waited = (month_end - dates).astype(int)
    u = rng.random(len(dates))
    return np.where(
        waited <= 5,
        np.where(u < 0.85, "received", "under_review"),
        np.where(
            waited <= 15,
            np.where(u < 0.2, "received", "under_review"),
            np.where(u < 0.6, "under_review", "public_notice"),
        ),
    ).astype(object)


def _numbers(rng, region_code: np.ndarray, dates: np.ndarray, month: str) -> tuple[list, list]:
    """Application household ids SQ<region><6 digits> and application numbers
    <region><yyyymm><4 digits>, rising with the application date within a district."""
    k = len(region_code)
    hh_id = np.empty(k, dtype=object)
    app_no = np.empty(k, dtype=object)
    ym = month.replace("-", "")
    for r in sorted(set(region_code.tolist())):
        idx = np.flatnonzero(region_code == r)
        idx = idx[np.argsort(dates[idx], kind="stable")]
        ids = unique_numbers(rng, len(idx), 2000, 900)
        seq = np.sort(unique_numbers(rng, len(idx), 0, 6))
        hh_id[idx] = [f"SQ{r}{v:06d}" for v in ids]
        app_no[idx] = [f"{r}{ym}{s:04d}" for s in seq]
    return hh_id.tolist(), app_no.tolist()


def select(world, rng: np.random.Generator, asset_cap: np.ndarray, income_cap: np.ndarray) -> None:
    """Choose the applicant households and make them as poor as the roster (module doc).

    `asset_cap` and `income_cap` are per household index, as world.py computes them for the
    roster (applicant households get the same caps)."""
    mark_none(world)
    k = world.cfg.applicant_households()
    chosen = _choose(rng, world, k)
    if len(chosen) == 0:
        return
    hh_df, p = world.households, world.persons
    is_app = np.zeros(len(hh_df), dtype=bool)
    is_app[chosen] = True
    hh_df["applicant"] = is_app
    member = is_app[p["hh"].to_numpy()]
    p["applicant"] = member

    # Income: what the roster has (resident pensions, sometimes a short job), nothing else.
    s = world.streams
    s = s[~member[s["pid"].to_numpy().astype(np.int64)]]
    new = income.roster_streams(
        rng, p, len(world.months), world.first_month, world.employer_pool, income_cap, member
    )
    new["payroll"] = False
    world.streams = pd.concat([s, new], ignore_index=True)

    # Deposits: small balances under the cap, like the roster's.
    acc = world.accounts
    hh_of = p["hh"].to_numpy()
    mine = member[acc["pid"].to_numpy().astype(np.int64)]
    bal = acc["balance"].to_numpy().copy()
    bal[mine] = rng.lognormal(np.log(1800), 1.0, int(mine.sum()))
    acc_hh = hh_of[acc["pid"].to_numpy().astype(np.int64)]
    total = pd.Series(np.where(mine, bal, 0.0)).groupby(acc_hh).transform("sum").to_numpy()
    cap = asset_cap[acc_hh]
    scale = np.where(mine & (total > cap), cap / np.maximum(total, 1e-9), 1.0)
    bal[mine] = np.floor(bal[mine] * scale[mine] * 100) / 100
    acc = acc.copy()
    acc["balance"] = bal
    acc.loc[mine, "account_type"] = np.where(rng.random(int(mine.sum())) < 0.9, "demand", "time")
    world.accounts = acc

    # Property: their own home at most, no vehicle.
    h = world.homes
    app_home = is_app[h["hh"].to_numpy()]
    first_home = (
        (h["use"] == "residential").to_numpy()
        & h["location"].notna().to_numpy()
        & (h["status"] == "current").to_numpy()
    )
    world.homes = h[~app_home | first_home].reset_index(drop=True)
    v = world.vehicles
    world.vehicles = v[~member[v["pid"].to_numpy().astype(np.int64)]].reset_index(drop=True)

    # The applications themselves.
    dates = _dates(rng, world, len(chosen))
    month_end = (world.month_start.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
    region = hh_df["region_code"].to_numpy()[chosen]
    order = rng.permutation(len(chosen))  # which household applied when
    dates = dates[np.argsort(order, kind="stable")]
    hh_ids, app_nos = _numbers(rng, region, dates, world.cfg.month)
    world.applications = pd.DataFrame(
        {
            "hh": chosen,
            "household_id": hh_ids,
            "application_no": app_nos,
            "application_date": dates,
            "status": _status(rng, dates, month_end),
        }
    )
    app_id = np.full(len(hh_df), None, dtype=object)
    app_id[chosen] = hh_ids
    p["application_id"] = app_id[hh_of]
