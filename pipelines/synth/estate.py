"""Real estate beyond the roster's one small home: a second home, a shop, a parking space.

HOUSING_ABOVE_LIMIT: a roster household owning one current home gets a second current
residential home, owned by the head or by head and spouse half each, large enough that the
floor area per counted member is 25–70 % above the limit (dibao.home_area_multiple × the
district's dibao.min_housing_area). COMMERCIAL_PROPERTY: a current shop (commercial) or office
owned the same way; the household keeps its home, if any.

Look-alikes: TWO_SMALL_HOMES, two current homes with 45–80 % of the limit per person;
SOLD_HOME_CANCELLED, a second home as large as a planted one whose certificate is cancelled
(sold): counted, it would raise HOUSING_ABOVE_LIMIT; PARKING_SPACE, a current parking space,
neither a home nor commercial property.

DECEASED_COOWNER (a problem to verify, DOMAIN §4): a roster household owning one current home
gets a second current home owned half by its head and half by a relative outside the
household (a person of the wider population, same surname when one fits) who has died since
(hukou status deceased before the month): counted, the head's half would put the floor area
per counted member 25–70 % above the limit with two homes, so the engine raises it to verify
(PROPERTY_TO_VERIFY), not HOUSING_ABOVE_LIMIT. LIVING_COOWNER (look-alike): the same with a
living relative, the floor area per person at 45–80 % of the limit.
The co-owners' records keep a valid ID (world.protected_pids): the engine finds them in hukou
and cremation by their ID.

Every new certificate was registered more than three years before the month checked, after
its owners turned 18, and nothing else about the household changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.assets import adult_dates

# Per-capita floor area as a share of the limit: problems, cancelled homes, small homes.
ABOVE = (1.25, 1.7)
SMALL = (0.45, 0.8)
MIN_SECOND_HOME, MAX_SECOND_HOME = 30.0, 250.0  # m²
MIN_SMALL_HOME = 20.0  # m²
OLDER_THAN_DAYS = 3 * 366 + 30


def _home_area(pl) -> tuple[np.ndarray, np.ndarray]:
    """Per roster household: current homes (certificates) and their area by owners' shares."""
    h = pl.w.homes
    h = h[
        (h["hh"] < pl.n) & h["use"].isin(pl.w.policy.residential_uses) & (h["status"] == "current")
    ]
    hh = h["hh"].to_numpy().astype(np.int64)
    area = np.bincount(
        hh,
        weights=(h["area"] * h["share"].fillna(1.0)).to_numpy().astype(float),
        minlength=pl.n,
    )
    homes = np.bincount(h.drop_duplicates("cert")["hh"].to_numpy().astype(np.int64), minlength=pl.n)
    return homes, area


def _limit(pl) -> np.ndarray:
    """The floor-area limit per person of each roster household's district."""
    region = pl.w.households["region_code"].to_numpy()[: pl.n]
    lim = pl.w.policy.home_area_limit
    return np.array([lim[str(r)] for r in region], dtype=float)


def feasible(pl) -> dict[str, np.ndarray]:
    """Roster households each code can be planted on."""
    homes, area = _home_area(pl)
    cap = pl.size * _limit(pl)  # the limit for the whole household
    one = (homes == 1) & (pl.n_adult >= 1)
    second = ABOVE[0] * cap - area  # the smallest second home that is enough
    above = one & (second >= MIN_SECOND_HOME) & (second <= MAX_SECOND_HOME)
    small = one & (SMALL[1] * cap - area >= MIN_SMALL_HOME + 5)
    anyone = (homes <= 1) & (pl.n_adult >= 1)
    # a half share of a second home between the smallest and the largest: twice the half
    half = 2 * second
    coowned_above = one & (half >= MIN_SECOND_HOME) & (half <= MAX_SECOND_HOME)
    coowned_small = one & (2 * (SMALL[1] * cap - area) >= MIN_SMALL_HOME + 10)
    return {
        "housing_above_limit": above,
        "sold_home_cancelled": above,
        "two_small_homes": small,
        "commercial_property": anyone,
        "parking_space": anyone,
        "deceased_coowner": coowned_above,
        "living_coowner": coowned_small,
    }


def _owners(pl, hh: int) -> tuple[list[int], list[float], str]:
    """The head alone, or head and spouse half each."""
    m = pl.members(hh)
    pids = m["pid"].to_numpy()
    relation = pl.w.persons["relation"].to_numpy()[pids]
    age = m["age"].to_numpy()
    heads = pids[(relation == "head") & (age >= 18)]
    head = int(heads[0]) if len(heads) else int(pids[age >= 18][0])
    spouses = pids[(relation == "spouse") & (age >= 18)]
    if len(spouses) and pl.rng.random() < 0.5:
        return [head, int(spouses[0])], [0.5, 0.5], "head and spouse, 0.5 each"
    return [head], [1.0], "head"


def _add(pl, hh: int, use: str, area: float, status: str) -> str:
    """A new certificate for `hh`; returns who owns it."""
    owners, shares, who = _owners(pl, hh)
    w = pl.w
    cert = pl.next_cert
    pl.next_cert += 1
    birth = w.persons["birth"].to_numpy()[[owners[0]]]
    date = adult_dates(pl.rng, birth, "2008-01-01", w.as_of - np.timedelta64(OLDER_THAN_DAYS, "D"))[
        0
    ]
    for seq, (pid, share) in enumerate(zip(owners, shares, strict=True), start=1):
        pl.new_homes.append(
            {
                "hh": hh,
                "use": use,
                "area": round(float(area), 2),
                "cert": cert,
                "status": status,
                "location": None,
                "region_code": w.households["region_code"].iat[hh],
                "pid": pid,
                "owner_seq": seq,
                "share": share,
                "registration_date": date,
            }
        )
    return who


def second_home(pl, hhs: list[int], code: str) -> None:
    """HOUSING_ABOVE_LIMIT, SOLD_HOME_CANCELLED or TWO_SMALL_HOMES (module docstring)."""
    homes, area = _home_area(pl)
    limit = _limit(pl)
    for hh in hhs:
        n, a1, lim = int(pl.size[hh]), float(area[hh]), float(limit[hh])
        cap = n * lim
        if code == "two_small_homes":
            lo = max(SMALL[0], (MIN_SMALL_HOME + a1) / cap)
            t = float(pl.rng.uniform(lo, SMALL[1]))
        else:
            t = float(pl.rng.uniform(ABOVE[0], min(ABOVE[1], (MAX_SECOND_HOME + a1) / cap)))
        a2 = round(t * cap - a1, 2)
        status = "cancelled" if code == "sold_home_cancelled" else "current"
        who = _add(pl, hh, "residential", a2, status)
        total = a1 + (0.0 if status == "cancelled" else a2)
        detail = (
            f"second home {a2:.2f} m² ({status}, {who}) beside one of {a1:.2f} m²: "
            f"{total / n:.2f} m² per person for {n} members; limit {lim:g} m²"
        )
        if status == "cancelled":
            detail += f" ({(a1 + a2) / n:.2f} if the cancelled one were counted)"
        pl.record(hh, code, detail)


def _coowners(pl, deceased: bool) -> np.ndarray:
    """People of the wider population (not applicants) who could co-own a home registered
    more than three years ago: adults by then, and deceased before the month checked (hukou
    status deceased) or living (status normal)."""
    w = pl.w
    p = w.persons
    hi = w.as_of - np.timedelta64(OLDER_THAN_DAYS, "D")
    at18 = p["birth"].to_numpy().astype("datetime64[D]") + np.timedelta64(6575, "D")
    status = p["status"].to_numpy()
    ok = ~p["roster"].to_numpy() & ~p["applicant"].to_numpy() & (at18 <= hi)
    if deceased:
        date = p["status_date"].to_numpy().astype("datetime64[D]")
        ok &= (status == "deceased") & (date < w.month_start)
    else:
        ok &= (status == "normal") & ~p["in_custody"].to_numpy()
    return np.flatnonzero(ok)


def _relative(
    pl, owner: int, pool: dict[str, np.ndarray], used: set[int], deceased: bool
) -> int | None:
    """A co-owner for `owner` from `pool` (candidates by the first character of their name):
    one of the same surname (a parent, for a deceased one, when one is old enough), else
    anyone; never the same person twice. None when nobody is left."""
    p = pl.w.persons
    age = p["age"].to_numpy()
    taken = np.fromiter(used, dtype=np.int64, count=len(used))
    same = pool.get(str(p["name"].iat[owner])[:1], np.array([], dtype=np.int64))
    same = same[~np.isin(same, taken)]
    tries = [same[age[same] >= age[owner] + 18]] if deceased else []
    for cand in (*tries, same, None):
        if cand is None:  # anyone: a handful of draws from the whole pool
            everyone = np.concatenate(list(pool.values())) if pool else np.array([], np.int64)
            cand = everyone[~np.isin(everyone, taken)]
        if len(cand):
            pid = int(cand[int(pl.rng.integers(0, len(cand)))])
            used.add(pid)
            return pid
    return None


def coowned_home(pl, hhs: list[int], code: str) -> None:
    """DECEASED_COOWNER or LIVING_COOWNER (module docstring): a second home, half the head's
    and half a relative's outside the household."""
    if not hhs:
        return
    w = pl.w
    homes, area = _home_area(pl)
    limit = _limit(pl)
    deceased = code == "deceased_coowner"
    p = w.persons
    candidates = _coowners(pl, deceased)
    first = pd.Series(p["name"].to_numpy()[candidates], dtype=object).str[:1].to_numpy(str)
    pool = {str(c): candidates[first == c] for c in np.unique(first)}
    used = pl.coowners_used
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    for hh in hhs:
        n, a1, lim = int(pl.size[hh]), float(area[hh]), float(limit[hh])
        cap = n * lim
        if deceased:
            t = float(pl.rng.uniform(ABOVE[0], min(ABOVE[1], (MAX_SECOND_HOME / 2 + a1) / cap)))
        else:
            lo = max(SMALL[0], (MIN_SMALL_HOME / 2 + a1) / cap)
            t = float(pl.rng.uniform(lo, SMALL[1]))
        a2 = round(2 * (t * cap - a1), 2)
        owners, _, _ = _owners(pl, hh)
        head = owners[0]
        other = _relative(pl, head, pool, used, deceased)
        if other is None:  # nobody left to co-own it: the household stays as it is
            break
        w.protected_pids.append(other)
        younger = np.maximum(birth[[head]], birth[[other]])  # both adults at registration
        date = adult_dates(
            pl.rng, younger, "2008-01-01", w.as_of - np.timedelta64(OLDER_THAN_DAYS, "D")
        )[0]
        cert = pl.next_cert
        pl.next_cert += 1
        # the relative was often the first owner
        pair = [(other, int(p["hh"].iat[other])), (head, hh)]
        if pl.rng.random() < 0.5:
            pair.reverse()
        for seq, (pid, owner_hh) in enumerate(pair, start=1):
            pl.new_homes.append(
                {
                    "hh": owner_hh,
                    "use": "residential",
                    "area": a2,
                    "cert": cert,
                    "status": "current",
                    "location": None,
                    "region_code": w.households["region_code"].iat[hh],
                    "pid": pid,
                    "owner_seq": seq,
                    "share": 0.5,
                    "registration_date": date,
                }
            )
        if deceased:
            died = pd.Timestamp(p["death_date"].iat[other]).date()
            shown = pd.Timestamp(p["status_date"].iat[other]).date()
            state = f"died {died}, hukou deceased {shown}"
        else:
            state = "living"
        counted = a1 + a2 / 2
        detail = (
            f"second home {a2:.2f} m², registered {date}, half the head's and half a relative's "
            f"outside the household ({state}), beside one of {a1:.2f} m²: "
            f"{counted / n:.2f} m² per person for {n} members with the head's half, "
            f"{a1 / n:.2f} without; limit {lim:g} m²"
        )
        pl.record(hh, code, detail, head)


def other_property(pl, hhs: list[int], code: str) -> None:
    """COMMERCIAL_PROPERTY (a shop, every third an office) or PARKING_SPACE."""
    for i, hh in enumerate(hhs):
        if code == "parking_space":
            use, area = "parking", float(pl.rng.uniform(12, 16))
        elif i % 3 == 2:
            use, area = "office", float(pl.rng.uniform(30, 150))
        else:
            use, area = "commercial", float(pl.rng.uniform(15, 120))
        who = _add(pl, hh, use, area, "current")
        pl.record(hh, code, f"{use} {area:.2f} m², current, owned by {who}")


def apply(pl) -> None:
    """Add the planned certificates to the world's real estate."""
    if pl.new_homes:
        w = pl.w
        new = pd.DataFrame(pl.new_homes)[list(w.homes.columns)]
        w.homes = (
            pd.concat([w.homes, new], ignore_index=True)
            .sort_values(["cert", "owner_seq"], kind="stable")
            .reset_index(drop=True)
        )
