"""Where synthetic people live and which area code their ID carries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipelines.synth.tables import load_yaml


@dataclass(frozen=True)
class Regions:
    codes: tuple[str, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    population: np.ndarray
    urban: np.ndarray
    plates: tuple[str, ...]
    minority: tuple[dict[str, float], ...]
    legacy: tuple[tuple[tuple[str, int], ...], ...]  # (code, born_before), oldest first
    legacy_share: float
    main_city: frozenset[str]
    main_city_inbound_share: float
    other_province_share: float
    other_province_codes: tuple[str, ...]
    scattered_minorities: dict[str, float]


@lru_cache(maxsize=1)
def load_regions() -> Regions:
    doc = load_yaml("regions.yaml")
    rows = doc["regions"]
    return Regions(
        codes=tuple(r["code"] for r in rows),
        names=tuple(r["name"] for r in rows),
        kinds=tuple(r["kind"] for r in rows),
        population=np.array([r["population"] for r in rows], dtype=float),
        urban=np.array([r["urban"] for r in rows], dtype=float),
        plates=tuple(r["plate"] for r in rows),
        minority=tuple(dict(r.get("minority") or {}) for r in rows),
        legacy=tuple(
            tuple(
                sorted(
                    ((lg["code"], int(lg["born_before"])) for lg in r.get("legacy") or ()),
                    key=lambda item: item[1],
                )
            )
            for r in rows
        ),
        legacy_share=float(doc["legacy_share"]),
        main_city=frozenset(doc["main_city"]),
        main_city_inbound_share=float(doc["main_city_inbound_share"]),
        other_province_share=float(doc["other_province_share"]),
        other_province_codes=tuple(c["code"] for c in doc["other_province_codes"]),
        scattered_minorities=dict(doc["scattered_minorities"]),
    )


def choose_regions(rng: np.random.Generator, n: int, roster: bool, cover_all: bool) -> np.ndarray:
    """Region index per household, weighted by population.

    Roster households lean rural (低保 is more common where incomes are lower). With
    `cover_all`, the first 38 draws are one per region so every district appears.
    """
    reg = load_regions()
    weights = reg.population * ((1.6 - reg.urban) if roster else 1.0)
    weights = weights / weights.sum()
    out = rng.choice(len(reg.codes), size=n, p=weights)
    if cover_all and n >= len(reg.codes):
        out[: len(reg.codes)] = rng.permutation(len(reg.codes))
        out = rng.permutation(out)
    return out


def ethnicity(rng: np.random.Generator, region_idx: np.ndarray) -> np.ndarray:
    """Ethnicity per household: 土家族/苗族 by county share, a few scattered others, else 汉族."""
    reg = load_regions()
    out = np.full(len(region_idx), "汉族", dtype=object)
    u = rng.random(len(region_idx))
    for i, shares in enumerate(reg.minority):
        mask = region_idx == i
        lo = 0.0
        for name, share in shares.items():
            out[mask & (u >= lo) & (u < lo + share)] = name
            lo += share
    v = rng.random(len(region_idx))
    lo = 0.0
    for name, share in reg.scattered_minorities.items():
        out[(out == "汉族") & (v >= lo) & (v < lo + share)] = name
        lo += share
    return out


def id_area_codes(
    rng: np.random.Generator, region_idx: np.ndarray, birth_year: np.ndarray, adult: np.ndarray
) -> np.ndarray:
    """Area code printed in each person's ID: the code in force where and when it was issued.

    Main-city residents were often born in another district or county; a few adults came
    from neighbouring provinces; older people keep Sichuan-era or pre-renumbering codes.
    """
    reg = load_regions()
    n = len(region_idx)
    origin = region_idx.copy()
    main = np.array([c in reg.main_city for c in reg.codes])
    non_main = np.flatnonzero(~main)
    w = reg.population[non_main] / reg.population[non_main].sum()
    inbound = main[region_idx] & adult & (rng.random(n) < reg.main_city_inbound_share)
    origin[inbound] = rng.choice(non_main, size=int(inbound.sum()), p=w)

    out = np.array(reg.codes, dtype=object)[origin]
    keeps_legacy = rng.random(n) < reg.legacy_share
    for i, entries in enumerate(reg.legacy):
        at = origin == i
        # Oldest code first: a person gets the first code still issued in their birth year.
        assigned = np.zeros(n, dtype=bool)
        for code, born_before in entries:
            hit = at & keeps_legacy & ~assigned & (birth_year < born_before)
            out[hit] = code
            assigned |= hit
    outside = adult & (rng.random(n) < reg.other_province_share)
    out[outside] = rng.choice(
        np.array(reg.other_province_codes, dtype=object), size=int(outside.sum())
    )
    return out
