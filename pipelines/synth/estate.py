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

Every new certificate was registered more than three years before the month checked, after
its first owner turned 18, and nothing else about the household changes.
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
    return {
        "housing_above_limit": above,
        "sold_home_cancelled": above,
        "two_small_homes": small,
        "commercial_property": anyone,
        "parking_space": anyone,
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
