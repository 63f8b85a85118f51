"""Chinese names for synthetic people: surnames by frequency, given names by cohort and sex."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipelines.synth.tables import load_yaml

COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛")


@dataclass(frozen=True)
class Cohort:
    first_year: int
    last_year: int
    single_share: float
    pools: dict[str, dict[str, tuple[str, ...]]]  # sex -> part -> characters


@dataclass(frozen=True)
class NameTables:
    surnames: tuple[str, ...]
    surname_p: np.ndarray
    local: tuple[str, ...]
    local_p: np.ndarray
    cohorts: tuple[Cohort, ...]
    rare: tuple[str, ...]
    rare_non_gbk: frozenset[str]
    rare_share: float
    dotted_given: dict[str, tuple[str, ...]]  # sex -> first parts of dotted names
    dotted_father: tuple[str, ...]
    dotted_share: float
    dotted_areas: tuple[str, ...]
    former_share: float
    former_extra: tuple[tuple[int, float], ...]  # (last birth year, extra share)
    second_former_share: float


def _weights(table: dict) -> tuple[tuple[str, ...], np.ndarray]:
    keys = tuple(table)
    w = np.array([table[k] for k in keys], dtype=float)
    return keys, w / w.sum()


@lru_cache(maxsize=1)
def load_names() -> NameTables:
    doc = load_yaml("names.yaml")
    surnames, surname_p = _weights(doc["surnames"])
    local, local_p = _weights(doc["local_surnames"])
    cohorts = tuple(
        Cohort(
            first_year=c["cohort"][0],
            last_year=c["cohort"][1],
            single_share=float(c["single_share"]),
            pools={
                sex: {part: tuple(chars) for part, chars in c[sex].items()}
                for sex in ("male", "female")
            },
        )
        for c in doc["given"]
    )
    dotted = doc["dotted"]["维吾尔族"]
    given = {
        sex: tuple(dict.fromkeys(n.split("·")[0] for n in dotted[sex]))
        for sex in ("male", "female")
    }
    fathers = tuple(
        dict.fromkeys(n.split("·")[1] for sex in ("male", "female") for n in dotted[sex])
    )
    return NameTables(
        surnames=surnames,
        surname_p=surname_p,
        local=local,
        local_p=local_p,
        cohorts=cohorts,
        rare=tuple(r["char"] for r in doc["rare_chars"]),
        rare_non_gbk=frozenset(r["char"] for r in doc["rare_chars"] if not r["gbk"]),
        rare_share=float(doc["rare_share"]),
        dotted_given=given,
        dotted_father=fathers,
        dotted_share=float(doc["dotted_share"]),
        dotted_areas=tuple(doc["dotted_area_codes"]),
        former_share=float(doc["former_name_share"]),
        former_extra=tuple((int(y), float(s)) for y, s in doc["former_name_extra_by_birth"]),
        second_former_share=float(doc["second_former_name_share"]),
    )


def draw_surnames(
    rng: np.random.Generator, local_mix: np.ndarray, minority: np.ndarray
) -> np.ndarray:
    """Surname per person: national table; the south-east's table for 土家族/苗族 residents and,
    for their Han neighbours, with probability `local_mix`."""
    t = load_names()
    n = len(local_mix)
    national = np.array(t.surnames, dtype=object)[rng.choice(len(t.surnames), n, p=t.surname_p)]
    local = np.array(t.local, dtype=object)[rng.choice(len(t.local), n, p=t.local_p)]
    use_local = minority | (rng.random(n) < local_mix)
    return np.where(use_local, local, national)


def draw_given(rng: np.random.Generator, birth_year: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Given names of one or two characters from the pools of each person's cohort and sex."""
    t = load_names()
    n = len(birth_year)
    out = np.empty(n, dtype=object)
    for cohort in t.cohorts:
        in_cohort = (birth_year >= cohort.first_year) & (birth_year <= cohort.last_year)
        for sex, is_male in (("male", True), ("female", False)):
            idx = np.flatnonzero(in_cohort & (male == is_male))
            if not len(idx):
                continue
            pool = cohort.pools[sex]
            first = np.array(pool["first"], dtype=object)[
                rng.integers(0, len(pool["first"]), len(idx))
            ]
            second = np.array(pool["second"], dtype=object)[
                rng.integers(0, len(pool["second"]), len(idx))
            ]
            single = np.array(pool["single"], dtype=object)[
                rng.integers(0, len(pool["single"]), len(idx))
            ]
            two = first + second
            out[idx] = np.where(rng.random(len(idx)) < cohort.single_share, single, two)
    return out


def add_rare_chars(
    rng: np.random.Generator, given: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """Replace the last character of some younger people's given names by a rare character."""
    t = load_names()
    given = given.copy()
    hit = np.flatnonzero((birth_year >= 1980) & (rng.random(len(given)) < t.rare_share))
    chars = np.array(t.rare, dtype=object)[rng.integers(0, len(t.rare), len(hit))]
    for i, ch in zip(hit.tolist(), chars.tolist(), strict=True):
        given[i] = given[i][:-1] + ch if len(given[i]) > 1 else given[i] + ch
    return given


def dotted_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    """Uyghur-style names: given name · father's name, joined by U+00B7."""
    t = load_names()
    n = len(male)
    m = np.array(t.dotted_given["male"], dtype=object)[
        rng.integers(0, len(t.dotted_given["male"]), n)
    ]
    f = np.array(t.dotted_given["female"], dtype=object)[
        rng.integers(0, len(t.dotted_given["female"]), n)
    ]
    k = len(t.dotted_father)
    pick = rng.integers(0, k, n)
    given = np.where(male, m, f)
    # A father's name equal to the given name is rare; take the next one instead.
    same = np.array(t.dotted_father, dtype=object)[pick] == given
    father = np.array(t.dotted_father, dtype=object)[np.where(same, (pick + 1) % k, pick)]
    return given + "·" + father


def surname_length(name: str) -> int:
    """Characters of the surname: two for a compound surname (欧阳, 司马…), else one."""
    return 2 if name[:2] in COMPOUND_SURNAMES else 1


def more_former_names(rng: np.random.Generator, persons) -> None:
    """Give more people a former name (曾用名) and some a second one ("甲、乙"), by cohort.

    Drawn after the population with its own stream, so that everything else stays as it was.
    A former name keeps the surname and is never the current name nor another former name.
    """
    t = load_names()
    n = len(persons)
    name = persons["name"].to_numpy().astype(object)
    former = persons["former_name"].to_numpy().astype(object).copy()
    year = persons["birth"].to_numpy().astype("datetime64[Y]").astype(np.int64) + 1970
    male = persons["male"].to_numpy()
    dotted = np.array(["·" in x for x in name], dtype=bool)
    share = np.zeros(n)
    lower = -np.inf
    for last, s in t.former_extra:
        share[(year > lower) & (year <= last)] = s
        lower = last
    able = ~dotted & (persons["age"].to_numpy() >= 3)
    has = np.array([f is not None for f in former], dtype=bool)
    new = able & ~has & (rng.random(n) < share)
    second = able & has & (rng.random(n) < t.second_former_share)
    idx = np.flatnonzero(new | second)
    given = draw_given(rng, year[idx], male[idx])
    for i, g in zip(idx.tolist(), given.tolist(), strict=True):
        candidate = name[i][: surname_length(name[i])] + g
        old = [] if former[i] is None else former[i].split("、")
        if candidate == name[i] or candidate in old:
            continue
        former[i] = "、".join([*old, candidate])
    persons["former_name"] = former
