"""Contact data of the synthetic people: a stable mobile number, a household landline, and
the phone and address each registry holds for a person.

Adds to `persons`: `mobile` (the person's own number or None), `phone` (the number agencies
hold for the person: the own mobile, else the household's landline, else the mobile of the
household head or of another member; never None) and keeps `address` (the household's
address) as the contact address. Adds `landline` to the households (None for most).

Canonical forms: mobiles are 11 digits (13812345678), Chongqing landlines 023-61234567.
Drawn with their own random stream after the population, so that nothing else changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Mobile number prefixes of the three operators (and their virtual networks).
MOBILE_PREFIXES = np.array(
    [
        *range(130, 140),
        *(150, 151, 152, 153, 155, 156, 157, 158, 159),
        *(166, 173, 175, 176, 177, 178),
        *range(180, 190),
        *(191, 195, 198, 199),
    ],
    dtype=np.int64,
)
# Own mobile by age: (lowest age, share); children under 12 have none.
MOBILE_BY_AGE = ((12, 0.35), (16, 0.9), (20, 0.98), (60, 0.92), (70, 0.75), (80, 0.45))
LANDLINE = {"urban": 0.25, "rural": 0.12}


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 11-digit mobile numbers (int64)."""
    numbers = _mobile_draw(rng, n)
    for _ in range(100):
        _, first = np.unique(numbers, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return numbers
        numbers[dup] = _mobile_draw(rng, int(dup.sum()))
    raise ValueError("could not draw distinct mobile numbers")


def _mobile_draw(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    return prefix * 10**8 + rng.integers(0, 10**8, n)


def landlines(rng: np.random.Generator, n: int) -> np.ndarray:
    """n Chongqing landline numbers 023-XXXXXXXX (eight digits starting 6, 8, 4 or 7)."""
    lead = np.array([6, 8, 4, 7])[rng.integers(0, 4, n)]
    rest = rng.integers(0, 10**7, n)
    text = [f"023-{a}{b:07d}" for a, b in zip(lead.tolist(), rest.tolist(), strict=True)]
    return np.array(text, dtype=object)


def as_text(numbers: np.ndarray) -> np.ndarray:
    return np.asarray(numbers, dtype=np.int64).astype(str).astype(object)


def other_phones(rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
    """An outdated number for each current one: another mobile for a mobile, another landline
    for a landline."""
    n = len(current)
    out = np.empty(n, dtype=object)
    land = np.array([isinstance(v, str) and v.startswith("023-") for v in current], dtype=bool)
    out[land] = landlines(rng, int(land.sum()))
    mob = as_text(mobiles(rng, int((~land).sum())))
    out[~land] = mob
    # a new draw may by chance equal the current number: take the next number instead
    same = out == current
    for i in np.flatnonzero(same):
        v = out[i]
        out[i] = v[:-1] + str((int(v[-1]) + 1) % 10)
    return out


def assign(rng: np.random.Generator, persons: pd.DataFrame, households: pd.DataFrame) -> None:
    """Own mobiles, household landlines and each person's contact phone (see the module)."""
    n = len(persons)
    age = persons["age"].to_numpy()
    share = np.zeros(n)
    for lowest, s in MOBILE_BY_AGE:
        share[age >= lowest] = s
    own = rng.random(n) < share
    numbers = mobiles(rng, n)
    mobile = np.where(own, as_text(numbers), None).astype(object)

    n_hh = len(households)
    hh = persons["hh"].to_numpy()
    urban = households["urban"].to_numpy()
    has_line = rng.random(n_hh) < np.where(urban, LANDLINE["urban"], LANDLINE["rural"])
    with_mobile = np.bincount(hh[own], minlength=n_hh) > 0
    has_line |= ~with_mobile  # a household nobody can be called in has a landline
    line = np.full(n_hh, None, dtype=object)
    line[has_line] = landlines(rng, int(has_line.sum()))

    # The household's own mobile: the head's, else the first member with one.
    rel = persons["relation"].to_numpy()
    order = np.lexsort((np.arange(n), rel != "head", ~own, hh))
    first = np.r_[True, hh[order][1:] != hh[order][:-1]]
    best = order[first]
    hh_mobile = np.full(n_hh, None, dtype=object)
    hh_mobile[hh[best]] = mobile[best]

    phone = mobile.copy()
    none = phone == None  # noqa: E711 - element-wise
    phone[none] = np.where(has_line[hh], line[hh], hh_mobile[hh])[none]
    persons["mobile"] = mobile
    persons["phone"] = phone
    households["landline"] = line
