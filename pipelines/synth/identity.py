"""Who the roster says a member is, and where else a person is enrolled.

NOT_IN_HUKOU (problem → IDENTITY_UNVERIFIED): an adult roster member whose 户籍 is not in the
extract (registered in another province, or never registered): nothing in 户籍 confirms them.
Never the 户主 of a 户 that has other members (the extract would show a 户 without its 户主).
`persons.hukou_elsewhere` marks them and the hukou extract leaves them out.

ID_NAME_CONFLICT (problem → IDENTITY_UNVERIFIED): the member's roster row carries their ID with
an unrelated name (a name typed into the wrong row, or an ID used by someone else): the ID
agrees with 户籍, the name does not. `world.roster_overrides` holds the written name (the row's
planted writing, encode.py), which truth/links records as the row's noise `name_conflict`
(config.PLANTED_NOISE).

TEKUN_AND_DIBAO (problem → DUPLICATE_ENROLMENT on the 低保 household): an adult 低保 member also
enrolled in 特困 as a one-person household elsewhere (ID and name as in 户籍). Like the people of
DUPLICATE_ENROLMENT (enrolments.py), they hold nothing that could fail another rule.

The 特困 enrolments are `world.tekun` rows on the roster extract with programme `tekun`, person
key `TK…-01`; the 低保 check leaves 特困 households out, save as another enrolment of a member.
Only these planted ones are written: ordinary 特困 people of the wider population would need a
truth of their own (their records' person keys), left for the 特困 programme's own check.

`expected_unverified` is the ground truth of the identity fact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.synth.enrolments import holders
from pipelines.synth.geography import load_regions
from pipelines.synth.names import surname_length

# roster noise that leaves a member without a checksum-valid ID (the engine's link to 户籍 then
# rests on name and birth date), or their ID with another's name
UNVERIFIABLE_NOISE = ("id_typo", "id_transposition", "id_missing", "name_conflict")
TEKUN_COLUMNS = ("pid", "household_id", "region_code", "urban", "relation", "phone", "address",
                 "category")


def _tekun_ids(rng: np.random.Generator, regions: list[str], start: int) -> list[str]:
    return [f"TK{r}{start + i * 7 + int(rng.integers(1, 7)):06d}" for i, r in enumerate(regions)]


def not_in_hukou_feasible(pl) -> np.ndarray:
    """Roster households where an adult can be left out of 户籍 without leaving the rest of
    their 户 without its 户主: an adult who is not the 户主, or a household of one adult."""
    rp = pl.rp
    adult = rp["age"].to_numpy() >= 18
    head = pl.w.persons["hukou_relation"].to_numpy()[rp["pid"].to_numpy()] == "户主"
    other = np.bincount(rp["hh"].to_numpy()[adult & ~head], minlength=pl.n) > 0
    return other | ((pl.size == 1) & (pl.n_adult >= 1))


def not_in_hukou(pl, hhs: list[int]) -> None:
    """NOT_IN_HUKOU on `hhs` (households of `not_in_hukou_feasible`): an adult other than the
    户主 (the 户 keeps its 户主), or the one member of a household of one."""
    p = pl.w.persons
    if "hukou_elsewhere" not in p:
        p["hukou_elsewhere"] = False
    relation = p["hukou_relation"].to_numpy()
    for hh in hhs:
        m = pl.members(hh)
        adults = m[m["age"] >= 18]
        others = adults[relation[adults["pid"].to_numpy()] != "户主"]
        adults = others if len(others) else adults
        pid = int(adults["pid"].iat[int(pl.rng.integers(0, len(adults)))])
        p.loc[pid, "hukou_elsewhere"] = True
        pl.record(hh, "not_in_hukou", "户籍 not in the extract (registered elsewhere)", pid)


def id_name_conflict(pl, hhs: list[int]) -> None:
    w, rng = pl.w, pl.rng
    p = w.persons
    names = p["name"].to_numpy()
    rows = []
    for hh in hhs:
        m = pl.members(hh)
        adults = m[m["age"] >= 18]
        pid = int(adults["pid"].iat[int(rng.integers(0, len(adults)))])
        own = str(names[pid])
        surname = own[: surname_length(own)]
        while True:  # someone else's name, another surname
            other = str(names[int(rng.integers(0, len(names)))])
            if other[: surname_length(other)] != surname:
                break
        # the row's planted writing, recorded as its noise (config.PLANTED_NOISE)
        rows.append({"pid": pid, "written_name": other, "noise": "name_conflict"})
        pl.record(hh, "id_name_conflict", f"roster row writes the member's ID with the name {other}", pid)
    w.roster_overrides = pd.DataFrame(rows, columns=["pid", "written_name", "noise"])


def tekun(pl, k_duplicate: int) -> None:
    """`k_duplicate` 低保 members also enrolled in 特困, each as a one-person household."""
    w, rng = pl.w, pl.rng
    p = w.persons
    reg = load_regions()
    held = holders(w)
    rows = []
    # 低保 members also in 特困: adults holding nothing, their 特困 household in their district
    rp = pl.rp
    hh, age, pid = rp["hh"].to_numpy(), rp["age"].to_numpy(), rp["pid"].to_numpy()
    base = (age >= 18) & ~np.isin(pid, held)
    for _ in range(k_duplicate):
        mask = base & pl.available[hh]
        if not mask.any():
            break
        j = int(rng.choice(np.flatnonzero(mask)))
        pl.available[hh[j]] = False
        rows.append({"pid": int(pid[j]), "dibao_hh": int(hh[j])})
    if not rows:
        w.tekun = pd.DataFrame(columns=list(TEKUN_COLUMNS))
        return
    plan = pd.DataFrame(rows).sort_values("pid", kind="stable", ignore_index=True)
    region = p["region"].to_numpy()[plan["pid"].to_numpy()]
    codes = [reg.codes[r] for r in region]
    ids = _tekun_ids(rng, codes, 100)
    households = w.households
    out = []
    for (person, dibao_hh), hid, code in zip(plan.itertuples(index=False), ids, codes, strict=True):
        w.planted.append({
            "household_id": str(households["household_id"].iat[dibao_hh]),
            "person_key": str(p["person_key"].iat[person]), "kind": "problem", "code": "TEKUN_AND_DIBAO",
            "detail": f"also enrolled in 特困 as {hid}-01", "hh": dibao_hh,
        })
        out.append({
            "pid": person, "household_id": hid, "region_code": code,
            "urban": bool(p["urban"].iat[person]), "relation": "head",
            "phone": p["phone"].iat[person] if "phone" in p else None,
            "address": p["address"].iat[person], "category": "general",
        })
    w.tekun = pd.DataFrame(out, columns=list(TEKUN_COLUMNS))


def tekun_roster_rows(w, as_of: np.datetime64) -> pd.DataFrame:
    """The 特困 enrolments as roster rows (the columns registries.roster writes)."""
    t = getattr(w, "tekun", None)
    if t is None or not len(t):
        return pd.DataFrame()
    p = w.persons
    pid = t["pid"].to_numpy().astype(np.int64)
    return pd.DataFrame({
        "household_id": t["household_id"].to_numpy(),
        "region_code": t["region_code"].to_numpy(),
        "urban_rural": np.where(t["urban"].to_numpy().astype(bool), "urban", "rural"),
        "member_no": 1,
        "id_number": p["id_number"].to_numpy()[pid],
        "name": p["name"].to_numpy()[pid],
        "relation": "head",
        "programme": "tekun",
        "category": t["category"].to_numpy(),
        "declared_income": 0.0,
        "benefit_amount": 0.0,
        "status": "active",
        "enrolled_date": as_of - np.timedelta64(400, "D"),
        "phone": t["phone"].to_numpy(),
        "address": t["address"].to_numpy(),
        "pid": pid,
        "_male": p["male"].to_numpy()[pid],
        "_person_key": [f"{h}-01" for h in t["household_id"]],
        "_written_id": None,
        "_written_name": None,
        "_planted_noise": "",
    })


def expected_unverified(truth: Path, active: pd.DataFrame, held: set) -> dict[str, int]:
    """Per 低保 household, its counted members 户籍 cannot confirm: no 户籍 record of the person,
    or a roster row without a valid ID of theirs or with another's name (truth/links' noise)."""
    hukou_path, links_path = truth / "clean" / "hukou.parquet", truth / "links.parquet"
    in_hukou = set(pd.read_parquet(hukou_path, columns=["synthetic_person_id"])["synthetic_person_id"])
    links = pd.read_parquet(links_path, columns=["source", "record_key", "noise"])
    noise = links[links["source"] == "roster"].set_index("record_key")["noise"].fillna("")
    counted = active[~active["person_key"].isin(held)]
    kinds = noise.reindex(counted["record_key"]).fillna("").to_numpy()
    bad_row = np.array([bool(set(k.split(",")) & set(UNVERIFIABLE_NOISE)) for k in kinds], dtype=bool)
    missing = ~counted["synthetic_person_id"].isin(in_hukou).to_numpy()
    flagged = counted[bad_row | missing]
    return flagged.groupby("household_id")["person_key"].nunique().astype(int).to_dict()
