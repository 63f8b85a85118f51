"""What people own: deposits, real estate, vehicles and roles in businesses.

Each function returns specification rows without registry identifiers; registries.py numbers
them (account, certificate, plate, credit code) once the planted rows have been added.
Roster households hold little by construction: deposits under a cap per household, at most
one small home, no vehicle and no business.

Vehicles of the wider population include some overdue for inspection or due for scrapping,
and old ones still registered as normal; deposit accounts carry the date of their last
transaction (`last_activity`), some small current accounts none for years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.tables import load_yaml

NAT = np.datetime64("NaT", "D")


def _choice(rng, values, n, p=None) -> np.ndarray:
    values = np.array(values, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return values[rng.choice(len(values), n, p=p)]


def adult_dates(rng, birth: np.ndarray, lo, hi: np.datetime64) -> np.ndarray:
    """Dates between `lo` and `hi`, but not before each owner turned 18."""
    at18 = birth.astype("datetime64[D]") + np.timedelta64(6575, "D")  # 18 years incl. leap days
    start = np.maximum(np.datetime64(lo, "D"), at18)
    span = np.maximum((hi - start).astype(int), 0)
    out = start + np.floor(rng.random(len(birth)) * (span + 1)).astype("int64").astype(
        "timedelta64[D]"
    )
    return np.minimum(out, hi)


def pick_banks(rng, urban: np.ndarray) -> np.ndarray:
    banks = load_yaml("economy.yaml")["banks"]
    names = [b["name"] for b in banks]
    out = _choice(rng, names, len(urban), [b["rural"] for b in banks])
    out[urban] = _choice(rng, names, int(urban.sum()), [b["urban"] for b in banks])
    return out


def accounts(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    roster_cap: np.ndarray,
    per_adult: float = 2.0,
) -> pd.DataFrame:
    """Deposit and wealth-management accounts; roster households stay under `roster_cap`
    (per household index) in total. Adults of the wider population hold 1 + Poisson
    (`per_adult` − 1) accounts, at most max(6, 3 × `per_adult`)."""
    eco = load_yaml("economy.yaml")
    p = persons
    n = len(p)
    roster = p["roster"].to_numpy()
    adult = p["age"].to_numpy() >= 18
    cap = max(6, int(np.ceil(3 * per_adult)))
    wider_n = np.where(
        adult,
        np.minimum(1 + rng.poisson(per_adult - 1.0, n), cap),
        (rng.random(n) < 0.3).astype(int),
    )
    roster_n = np.where(
        adult, rng.choice([0, 1, 2], n, p=[0.25, 0.6, 0.15]), (rng.random(n) < 0.1).astype(int)
    )
    count = np.where(roster, roster_n, wider_n)
    pid = np.repeat(p["pid"].to_numpy(), count)
    k = len(pid)
    r = roster[pid]
    kind = np.where(
        r,
        _choice(rng, ["demand", "time"], k, [0.9, 0.1]),
        _choice(rng, ["demand", "time", "wealth"], k, [0.62, 0.28, 0.10]),
    )
    balance = np.zeros(k)
    for t in ("demand", "time", "wealth"):
        spec = eco[f"deposit_{t}"]
        m = kind == t
        balance[m] = rng.lognormal(np.log(spec["median"]), spec["sigma"], int(m.sum()))
    factor = np.where(p["urban"].to_numpy()[pid], 1.0, 0.6) * np.where(
        p["age"].to_numpy()[pid] >= 55, 1.3, 1.0
    )
    balance = balance * factor
    balance[r] = rng.lognormal(np.log(1500), 1.0, int(r.sum()))
    out = pd.DataFrame({"pid": pid, "account_type": kind, "balance": balance})
    hh = p["hh"].to_numpy()[pid]
    total = pd.Series(balance).groupby(hh).transform("sum").to_numpy()
    scale = np.where(r & (total > roster_cap[hh]), roster_cap[hh] / np.maximum(total, 1e-9), 1.0)
    out["balance"] = np.floor(balance * scale * 100) / 100  # floor: rounding must not cross the cap
    out["bank"] = pick_banks(rng, p["urban"].to_numpy()[pid])
    out["force_duplicate"] = False
    return out


# Last transaction of an account: most within RECENT_DAYS (exponential, mean RECENT_MEAN),
# some within OLDER_DAYS, never near the dormancy cut-off; small current accounts
# (balance under DORMANT_BALANCE) are dormant with DORMANT_SHARE, DORMANT_DAYS before it.
RECENT_MEAN, RECENT_DAYS = 20.0, 120
OLDER_SHARE, OLDER_DAYS = 0.1, (120, 600)
DORMANT_SHARE, DORMANT_BALANCE, DORMANT_DAYS = 0.1, 3000.0, (60, 3000)


def last_activity(
    rng: np.random.Generator,
    accounts: pd.DataFrame,
    persons: pd.DataFrame,
    as_of: np.datetime64,
    dormant_before: np.datetime64,
) -> np.ndarray:
    """The date of each account's last transaction (datetime64[D]), on or before `as_of`.

    Most accounts moved within the last few months, some within the last year and a half;
    a share of the small current accounts has been dormant for years (before
    `dormant_before`). Never before the holder's first birthday, never after their death."""
    n = len(accounts)
    pid = accounts["pid"].to_numpy().astype(np.int64)
    u = rng.random(n)
    recent = np.minimum(rng.exponential(RECENT_MEAN, n), RECENT_DAYS).astype(np.int64)
    older = rng.integers(OLDER_DAYS[0], OLDER_DAYS[1] + 1, n)
    dormant_days = rng.integers(DORMANT_DAYS[0], DORMANT_DAYS[1] + 1, n)
    small = (accounts["account_type"].to_numpy() == "demand") & (
        accounts["balance"].to_numpy().astype(float) < DORMANT_BALANCE
    )
    dormant = small & (u < DORMANT_SHARE)
    date = np.where(
        dormant,
        dormant_before - dormant_days.astype("timedelta64[D]"),
        as_of - np.where(u > 1 - OLDER_SHARE, older, recent).astype("timedelta64[D]"),
    ).astype("datetime64[D]")
    birth = persons["birth"].to_numpy().astype("datetime64[D]")[pid]
    date = np.maximum(date, birth + np.timedelta64(365, "D"))
    death = persons["death_date"].to_numpy().astype("datetime64[D]")[pid]
    date = np.where(np.isnat(death), date, np.minimum(date, death))
    return np.minimum(date, as_of)


def homes(
    rng: np.random.Generator, hh_df: pd.DataFrame, persons: pd.DataFrame, as_of: np.datetime64
) -> pd.DataFrame:
    """Real-estate rights, one row per owner: cert (group number), pid, owner_seq, share, use,
    area, registration_date, status, location, region_code."""
    n = len(hh_df)
    roster = hh_df["roster"].to_numpy()
    urban = hh_df["urban"].to_numpy()
    props = []

    def add(mask, use, area, same_address):
        idx = np.flatnonzero(mask)
        props.append(
            pd.DataFrame(
                {
                    "hh": idx,
                    "use": use,
                    "area": area[idx] if area.ndim else area,
                    "home_address": same_address,
                }
            )
        )

    u = rng.random((6, n))
    first = np.where(roster, u[0] < np.where(urban, 0.35, 0.2), u[0] < np.where(urban, 0.75, 0.6))
    area_first = np.where(
        roster,
        np.where(urban, rng.uniform(35, 75, n), rng.uniform(60, 110, n)),
        np.where(
            urban,
            np.clip(rng.lognormal(np.log(90), 0.3, n), 40, 260),
            np.clip(rng.lognormal(np.log(120), 0.3, n), 50, 300),
        ),
    )
    add(first, "residential", area_first, True)
    wider = ~roster
    add(
        wider & first & (u[1] < np.where(urban, 0.2, 0.08)),
        "residential",
        np.clip(rng.lognormal(np.log(85), 0.35, n), 35, 260),
        False,
    )
    add(
        wider & first & (u[2] < 0.04),
        "residential",
        np.clip(rng.lognormal(np.log(80), 0.35, n), 35, 200),
        False,
    )
    add(
        wider & (u[3] < 0.03),
        "commercial",
        np.clip(rng.lognormal(np.log(60), 0.7, n), 12, 400),
        False,
    )
    add(wider & urban & (u[4] < 0.15), "parking", rng.uniform(12, 16, n), False)
    add(
        wider & (u[5] < 0.01), "office", np.clip(rng.lognormal(np.log(120), 0.6, n), 30, 600), False
    )
    prop = (
        pd.concat(props, ignore_index=True)
        .sort_values(["hh", "use"], kind="stable")
        .reset_index(drop=True)
    )
    k = len(prop)
    prop["cert"] = np.arange(k)
    prop["area"] = np.round(prop["area"].to_numpy(), 2)
    prop["status"] = np.where(
        roster[prop["hh"]],
        "current",
        _choice(rng, ["current", "cancelled", "seized"], k, [0.93, 0.06, 0.01]),
    )
    prop["location"] = np.where(prop["home_address"], hh_df["address"].to_numpy()[prop["hh"]], None)
    prop["region_code"] = hh_df["region_code"].to_numpy()[prop["hh"]]

    heads = persons[persons["relation"] == "head"].set_index("hh")["pid"]
    spouses = persons[persons["relation"] == "spouse"].set_index("hh")["pid"]
    prop["pid"] = heads.reindex(prop["hh"]).to_numpy()
    spouse = spouses.reindex(prop["hh"]).to_numpy()
    co = ~np.isnan(spouse) & (rng.random(k) < 0.55)
    owners = prop.assign(owner_seq=1, share=np.where(co, 0.5, 1.0))
    second = prop[co].assign(pid=spouse[co].astype(np.int64), owner_seq=2, share=0.5)
    out = pd.concat([owners, second], ignore_index=True).sort_values(["cert", "owner_seq"])
    out["pid"] = out["pid"].astype(np.int64)
    # Registered once the first owner was an adult; co-owners share the certificate's date.
    first_owner = out.groupby("cert")["pid"].transform("first").to_numpy()
    birth = persons["birth"].to_numpy()[first_owner]
    dates = adult_dates(rng, birth, "2008-01-01", as_of)
    out["registration_date"] = (
        pd.Series(dates).groupby(out["cert"].to_numpy()).transform("first").to_numpy()
    )
    return out.drop(columns=["home_address"]).reset_index(drop=True)


VEHICLE_STATUS = (
    ["normal", "scrapped", "deregistered", "transferred_out", "overdue_inspection", "scrap_due"],
    [0.83, 0.06, 0.03, 0.03, 0.04, 0.01],
)


def vehicles(
    rng: np.random.Generator, hh_df: pd.DataFrame, persons: pd.DataFrame, as_of: np.datetime64
) -> pd.DataFrame:
    """Vehicles of the wider population: pid, vehicle_type, status, first_registration."""
    wider = ~hh_df["roster"].to_numpy()
    urban = hh_df["urban"].to_numpy()
    n = len(hh_df)
    # (type, urban share, rural share) of households owning one
    table = [
        ("car", 0.50, 0.30),
        ("car", 0.10, 0.04),
        ("motorcycle", 0.10, 0.35),
        ("truck", 0.03, 0.08),
        ("tractor", 0.0, 0.03),
        ("large_farm_machine", 0.0, 0.005),
        ("construction_machine", 0.003, 0.003),
        ("bus", 0.002, 0.002),
    ]
    adults = persons[(persons["age"] >= 18) & ~persons["roster"]]
    first_adult = adults.groupby("hh")["pid"].first()
    second_adult = adults.groupby("hh")["pid"].nth(1)
    second_adult = pd.Series(
        second_adult.to_numpy(), index=adults.loc[second_adult.index, "hh"].to_numpy()
    )
    rows = []
    for vtype, pu, pr in table:
        has = wider & (rng.random(n) < np.where(urban, pu, pr))
        hh = np.flatnonzero(has)
        hh = hh[np.isin(hh, first_adult.index.to_numpy())]
        owner = first_adult.reindex(hh).to_numpy()
        alt = second_adult.reindex(hh).to_numpy()
        use_alt = ~np.isnan(alt) & (rng.random(len(hh)) < 0.3)
        owner = np.where(use_alt, alt, owner).astype(np.int64)
        rows.append(pd.DataFrame({"pid": owner, "vehicle_type": vtype}))
    disabled = persons[(persons["condition"] == 1) & (persons["age"] >= 18) & ~persons["roster"]]
    pick = disabled["pid"].to_numpy()[rng.random(len(disabled)) < 0.05]
    rows.append(pd.DataFrame({"pid": pick, "vehicle_type": "disabled_wheelchair"}))
    out = pd.concat(rows, ignore_index=True)
    k = len(out)
    out["status"] = _choice(rng, VEHICLE_STATUS[0], k, VEHICLE_STATUS[1]) if k else []
    birth = persons["birth"].to_numpy()[out["pid"].to_numpy()]
    out["first_registration"] = adult_dates(rng, birth, "2003-01-01", as_of)
    return out.sort_values(["pid", "first_registration"], kind="stable").reset_index(drop=True)


BUSINESS_STATUS = (["active", "revoked", "cancelled"], [0.72, 0.13, 0.15])


def businesses(
    rng: np.random.Generator, persons: pd.DataFrame, hh_df: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Registered businesses of the wider population and the people holding roles in them.

    entities: eid, entity_type, status, registered_capital, region_code, trade;
    roles: eid, pid, role (legal_rep, investor).
    """
    p = persons
    cand = (
        (~p["roster"].to_numpy())
        & (p["age"].to_numpy() >= 20)
        & (p["age"].to_numpy() <= 70)
        & (p["status"].to_numpy() == "normal")
    )
    u = rng.random(len(p))
    urban = p["urban"].to_numpy()
    individual = cand & (u < 0.05)
    company = cand & (u >= 0.05) & (u < 0.075)
    coop = cand & ~urban & (u >= 0.075) & (u < 0.08)
    ents, roles = [], []
    eid = 0
    adults = np.flatnonzero(cand)
    for etype, mask, cap in (
        ("individual", individual, (50_000, 1.0)),
        ("company", company, (1_000_000, 1.2)),
        ("cooperative", coop, (1_000_000, 0.8)),
    ):
        owners = np.flatnonzero(mask)
        k = len(owners)
        ids = np.arange(eid, eid + k)
        eid += k
        ents.append(
            pd.DataFrame(
                {
                    "eid": ids,
                    "entity_type": etype,
                    "status": _choice(rng, BUSINESS_STATUS[0], k, BUSINESS_STATUS[1]) if k else [],
                    "registered_capital": np.round(
                        rng.lognormal(np.log(cap[0]), cap[1], k), -3
                    ).clip(10_000),
                    "region_code": p["region_code"].to_numpy()[owners],
                    "owner_pid": owners,
                }
            )
        )
        roles.append(pd.DataFrame({"eid": ids, "pid": owners, "role": "legal_rep"}))
        if etype != "individual" and k:
            # The legal representative is often also a shareholder; others invest too.
            also = rng.random(k) < 0.6
            roles.append(pd.DataFrame({"eid": ids[also], "pid": owners[also], "role": "investor"}))
            extra = rng.choice([0, 1, 2], k, p=[0.4, 0.4, 0.2])
            rep = np.repeat(ids, extra)
            roles.append(
                pd.DataFrame({"eid": rep, "pid": rng.choice(adults, len(rep)), "role": "investor"})
            )
    entities = pd.concat(ents, ignore_index=True)
    role_df = pd.concat(roles, ignore_index=True).drop_duplicates(["eid", "pid", "role"])
    return entities, role_df.sort_values(["eid", "role", "pid"], kind="stable").reset_index(
        drop=True
    )


def securities(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    holders: np.ndarray,
    roster_room: np.ndarray,
) -> pd.DataFrame:
    """Securities accounts (中证登) with their market value: pid, market (sh, sz), market_value.

    A minority of the adults in `holders` (per person: the wider population without the
    applicants) hold shares, more in town; some have an account on both exchanges. A few
    roster households hold a small amount, never more than `roster_room` (per household
    index: what their asset cap leaves beside their deposits).
    """
    eco = load_yaml("economy.yaml")
    spec, small = eco["securities"], eco["roster_securities"]
    p = persons
    n = len(p)
    age = p["age"].to_numpy()
    urban = p["urban"].to_numpy()
    share = np.where(urban, spec["urban_share"], spec["rural_share"])
    holds = holders & (age >= 18) & (rng.random(n) < share)
    idx = np.flatnonzero(holds)
    both = rng.random(len(idx)) < spec["two_markets"]
    first = np.where(rng.random(len(idx)) < 0.55, "sh", "sz")
    pid = np.concatenate([idx, idx[both]])
    market = np.concatenate([first, np.where(first[both] == "sh", "sz", "sh")])
    older = np.where(age[pid] >= 50, 1.4, 1.0)
    value = rng.lognormal(np.log(spec["median"]), spec["sigma"], len(pid)) * older
    wider = pd.DataFrame({"pid": pid, "market": market, "market_value": np.round(value, 2)})

    # Roster: one adult of a few households, a small holding inside the room left.
    roster_adults = p[p["roster"].to_numpy() & (age >= 18)]
    eldest = roster_adults.groupby("hh")["pid"].first()
    hh = eldest.index.to_numpy()
    room = roster_room[hh]
    pick = (rng.random(len(hh)) < small["household_share"]) & (room >= 500)
    hh, owner, room = hh[pick], eldest.to_numpy()[pick], room[pick]
    value = rng.lognormal(np.log(small["median"]), small["sigma"], len(hh))
    value = np.floor(np.minimum(value, 0.9 * room) * 100) / 100
    market = np.where(rng.random(len(hh)) < 0.5, "sh", "sz")
    roster = pd.DataFrame({"pid": owner, "market": market, "market_value": value})
    out = pd.concat([roster, wider], ignore_index=True)
    out["pid"] = out["pid"].astype(np.int64)
    return out.sort_values(["pid", "market"], kind="stable").reset_index(drop=True)


def insurance(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    holders: np.ndarray,
    roster_room: np.ndarray,
    as_of: np.datetime64,
) -> pd.DataFrame:
    """Life-insurance policies with a cash value, under the policyholder: pid, insurer,
    product_type, effective_date, cash_value.

    Adults in `holders` (per person: the wider population without the applicants) hold one
    more often in town, some a second. A few roster households hold a small one, never more
    than `roster_room` (per household index: what their asset cap leaves beside deposits and
    securities), so that no roster household crosses a limit unplanned.
    """
    eco = load_yaml("economy.yaml")
    spec, small = eco["insurance"], eco["roster_insurance"]
    p = persons
    n = len(p)
    last = as_of - np.timedelta64(30, "D")  # the latest a policy in the extract took effect
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    # adults who were adults a month before the extract: a policy they hold is their own
    grown = birth + np.timedelta64(6575, "D") <= last
    share = np.where(p["urban"].to_numpy(), spec["urban_share"], spec["rural_share"])
    idx = np.flatnonzero(holders & grown & (rng.random(n) < share))
    second = idx[rng.random(len(idx)) < spec["second_policy"]]
    pid = np.concatenate([idx, second])
    value = rng.lognormal(np.log(spec["median"]), spec["sigma"], len(pid))
    wider = pd.DataFrame({"pid": pid, "cash_value": np.round(value, 2)})

    # Roster: the eldest adult of a few households, a small policy inside the room left.
    roster_adults = p[p["roster"].to_numpy() & grown]
    eldest = roster_adults.groupby("hh")["pid"].first()
    hh = eldest.index.to_numpy()
    room = roster_room[hh]
    pick = (rng.random(len(hh)) < small["household_share"]) & (room >= 300)
    owner, room = eldest.to_numpy()[pick], room[pick]
    value = rng.lognormal(np.log(small["median"]), small["sigma"], len(owner))
    value = np.floor(np.minimum(value, 0.9 * room) * 100) / 100  # floor: never over the room
    roster = pd.DataFrame({"pid": owner, "cash_value": value})

    out = pd.concat([roster, wider], ignore_index=True)
    out["pid"] = out["pid"].astype(np.int64)
    k = len(out)
    insurers = eco["insurers"]
    products = eco["insurance_products"]
    out["insurer"] = _choice(rng, [i["name"] for i in insurers], k, [i["weight"] for i in insurers])
    out["product_type"] = _choice(rng, list(products), k, list(products.values()))
    out["effective_date"] = adult_dates(rng, birth[out["pid"].to_numpy()], "2000-01-01", last)
    return out.sort_values(["pid", "effective_date"], kind="stable").reset_index(drop=True)
