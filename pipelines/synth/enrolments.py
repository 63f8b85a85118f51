"""Who is on the roster where: one person enrolled in two households, and two namesakes.

DUPLICATE_ENROLMENT: an adult of one roster household is also a member of a second roster
household in another district (a second 低保 enrolment of the same person; the hukou stays
with the first). The second household is otherwise ordinary. Its roster row writes the
person's ID and name, in turn: as they are, the ID in its 15-digit form (people born before
1985), the ID mistyped (one digit of the area or the sequence, so the birth date stays), or
the name with a variant character; the difference is the row's noise in truth/links. The
person's registry records belong to the first enrolment (truth/links maps them there). An
engine linking by ID may count them in both households, so the person holds nothing that
could fail another rule in either: aged 18 to 59 (no pension), no income stream, no deposit
account, securities or insurance, no home, vehicle or business, and not chosen for anything
else. Both rows give the person's own mobile;
the second gives its household's address.

NAMESAKE_OTHER_HOUSEHOLD (look-alike): two people of the same sex, surname, birth year and
age, in households of different districts, made namesakes: the second takes the first's given
name and birth date (never later than their own, so that nothing dated from their birth comes
before it) and a new ID for that date. Their IDs differ in area code and sequence: two people,
never to be linked as one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.geography import load_regions
from pipelines.synth.idcodes import check_chars, make_ids, to_15_digit
from pipelines.synth.names import surname_length
from pipelines.synth.noise import variant_options

# How the second enrolment writes the person, in turn ("same": as hukou does).
MODES = ("same", "id_15_digit", "id_typo", "variant_chars")
ID_15_BORN_BEFORE = 1985
# ID positions a typo may hit (0-based): the area code after the province, the sequence.
TYPO_POSITIONS = (2, 3, 4, 5, 14, 15, 16)
ENROLMENT_COLUMNS = (
    "pid",
    "hh",
    "member_no",
    "relation",
    "phone",
    "address",
    "written_id",
    "written_name",
    "noise",
)


def _district(code: str) -> str:
    reg = load_regions()
    return dict(zip(reg.codes, reg.names, strict=True))[code]


def _relation(age: int, head_age: int) -> str:
    """The relation a second household gives the person, by the age gap to its head."""
    gap = age - head_age
    if gap >= 20:
        return "parent"
    if gap <= -20:
        return "child"
    return "sibling" if abs(gap) <= 15 else "other"


def _typo(rng: np.random.Generator, id18: str) -> str:
    """One digit changed where it leaves the birth date; GB 11643's check catches it."""
    chars = list(id18)
    pos = int(rng.choice(TYPO_POSITIONS))
    chars[pos] = str((int(chars[pos]) + int(rng.integers(1, 10))) % 10)
    typo = "".join(chars)
    assert check_chars([typo[:17]])[0] != typo[17], typo  # a single change never passes
    return typo


def holders(w) -> np.ndarray:
    """Every person holding something another rule could count: an income stream, a home, an
    account, securities, insurance, a provident fund, a vehicle or a business role."""
    holdings = (w.streams, w.homes, w.accounts, w.securities, w.insurance, w.provident, w.vehicles, w.roles)
    return np.concatenate([h["pid"].to_numpy().astype(np.int64) for h in holdings if len(h)])



def _roster(pl):
    """The world, the random stream, all persons, the roster's people and, per roster person,
    their person id, household, age and name."""
    p, rp = pl.w.persons, pl.rp
    pid = rp["pid"].to_numpy()
    return pl.w, pl.rng, p, rp, pid, rp["hh"].to_numpy(), rp["age"].to_numpy(), p["name"].to_numpy()[pid]

def duplicate_enrolment(pl, k: int) -> None:
    """Plant `k` people enrolled twice (see the module docstring); sets `world.enrolments`."""
    w, rng, p, rp, pid, hh, age, names = _roster(pl)
    year = pd.DatetimeIndex(p["birth"].to_numpy()[pid]).year.to_numpy()
    holds = holders(w)
    mobile = p["mobile"].to_numpy()[pid]
    base = (age >= 18) & (age < 60) & ~np.isin(pid, holds) & pd.notna(mobile)
    feasible = {
        "same": base,
        "id_15_digit": base & (year < ID_15_BORN_BEFORE),
        "id_typo": base,
        "variant_chars": base & np.array([bool(variant_options(n)) for n in names], dtype=bool),
    }
    region_of = w.households["region_code"].to_numpy()[: pl.n]
    relation = p["relation"].to_numpy()
    rows = []
    for i in range(k):
        mode = MODES[i % len(MODES)]
        mask = feasible[mode] & pl.available[hh]
        if not mask.any():
            mode, mask = "same", base & pl.available[hh]
        if not mask.any():
            break
        j = int(rng.choice(np.flatnonzero(mask)))
        person, first = int(pid[j]), int(hh[j])
        pl.available[first] = False
        chosen = pl.choose(region_of != region_of[first], 1)
        if not chosen:
            break
        second = chosen[0]
        m2 = pl.members(second)
        head = m2[relation[m2["pid"].to_numpy()] == "head"]
        head_age = int((head if len(head) else m2)["age"].iat[0])
        id18 = str(p["id_number"].iat[person])
        written_id = written_name = None
        if mode == "id_15_digit":
            written_id = to_15_digit(id18)
        elif mode == "id_typo":
            written_id = _typo(rng, id18)
        elif mode == "variant_chars":
            options = variant_options(names[j])
            written_name = options[int(rng.integers(0, len(options)))]
        rows.append(
            {
                "pid": person,
                "hh": second,
                "member_no": int(pl.size[second]) + 1,
                "relation": _relation(int(age[j]), head_age),
                "phone": mobile[j],
                "address": w.households["address"].iat[second],
                "written_id": written_id,
                "written_name": written_name,
                "noise": "" if mode == "same" else mode,
            }
        )
        key1 = str(p["person_key"].iat[person])
        hid1, hid2 = str(rp["household_id"].iat[j]), str(w.households["household_id"].iat[second])
        key2 = f"{hid2}-{int(pl.size[second]) + 1:02d}"
        shown = {
            "same": "ID and name as in hukou",
            "id_15_digit": f"15-digit ID {written_id}",
            "id_typo": f"mistyped ID {written_id}",
            "variant_chars": f"name written {written_name}",
        }[mode]
        for h, key, other, other_key, other_region in (
            (first, key1, hid2, key2, region_of[second]),
            (second, key2, hid1, key1, region_of[first]),
        ):
            w.planted.append(
                {
                    "household_id": hid1 if h == first else hid2,
                    "person_key": key,
                    "kind": "problem",
                    "code": "DUPLICATE_ENROLMENT",
                    "detail": (
                        f"the same person as {other_key} of {other} ({_district(other_region)}), "
                        f"enrolled in both; second enrolment {key2}: {shown}"
                    ),
                    "hh": h,
                }
            )
    w.enrolments = pd.DataFrame(rows, columns=list(ENROLMENT_COLUMNS))


def namesakes(pl, k: int) -> None:
    """Plant `k` pairs of namesakes (see the module docstring)."""
    w, rng, p, rp, pid, hh, age, names = _roster(pl)
    male = rp["male"].to_numpy()
    region = rp["region_code"].to_numpy()
    birth = p["birth"].to_numpy().astype("datetime64[D]")[pid]
    year = pd.DatetimeIndex(birth).year.to_numpy()
    area = p["id_area"].to_numpy()[pid]
    plain = np.array(["·" not in n for n in names], dtype=bool)
    surname = np.array([n[: surname_length(n)] for n in names], dtype=object)
    ok = plain & (age >= 25) & (age < 60)
    group = pd.Series(
        [f"{m}|{y}|{a}|{s}" for m, y, a, s in zip(male, year, age, surname, strict=True)]
    ).to_numpy()
    taken = set(p["id_number"])
    region_name = {c: _district(c) for c in set(region)}
    done = 0
    for j in rng.permutation(np.flatnonzero(ok)):
        if done == k:
            break
        if not pl.available[hh[j]]:
            continue
        mates = np.flatnonzero(
            ok
            & (group == group[j])
            & (region != region[j])
            & (area != area[j])
            & (birth >= birth[j])
            & (names != names[j])
            & pl.available[hh]
        )
        if not len(mates):
            continue
        b = int(rng.choice(mates))
        a_pid, b_pid = int(pid[j]), int(pid[b])
        new_id = _free_id(rng, str(area[b]), birth[j], bool(male[b]), taken)
        taken.add(new_id)
        old_name, old_birth = names[b], birth[b]
        p.loc[b_pid, "name"] = names[j]
        p.loc[b_pid, "birth"] = birth[j]
        p.loc[b_pid, "id_number"] = new_id
        former = p["former_name"].iat[b_pid]
        if isinstance(former, str):
            kept = [f for f in former.split("、") if f and f != names[j]]
            p.loc[b_pid, "former_name"] = "、".join(kept) if kept else None
        names[b] = names[j]
        for x in (hh[j], hh[b]):
            pl.available[x] = False
        for me, other in ((j, b), (b, j)):
            w.planted.append(
                {
                    "household_id": str(rp["household_id"].iat[me]),
                    "person_key": str(p["person_key"].iat[int(pid[me])]),
                    "kind": "lookalike",
                    "code": "NAMESAKE_OTHER_HOUSEHOLD",
                    "detail": (
                        f"{names[j]}, born {birth[j]}, as {p['person_key'].iat[int(pid[other])]} "
                        f"of {rp['household_id'].iat[other]} ({region_name[region[other]]}), "
                        f"another person: IDs {p['id_number'].iat[a_pid]} and {new_id}"
                    ),
                    "hh": int(hh[me]),
                }
            )
        w.planted[-1]["detail"] += f" (was {old_name}, born {old_birth})"
        done += 1


def _free_id(
    rng: np.random.Generator, area: str, birth: np.datetime64, male: bool, taken: set
) -> str:
    """A valid ID of `area` and `birth` that nobody holds; odd sequence for men."""
    for _ in range(1000):
        seq = 2 * int(rng.integers(0, 499)) + (1 if male else 2)
        new = str(make_ids(np.array([area]), np.array([birth]), np.array([seq]))[0])
        if new not in taken:
            return new
    raise ValueError(f"no free ID sequence for {area} born {birth}")
