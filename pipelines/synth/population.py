"""The synthetic people: roster households and a wider population, with names, IDs and homes.

`persons` has one row per person, ordered by household then member number; the roster
households come first. Columns: pid, person_id, hh, roster, household_id, member_no,
person_key, relation, hukou_relation, male, birth (datetime64[D]), age, region, urban,
ethnicity, name, former_name, id_area, id_number, condition (0 none, 1 disabled, 2 ill),
category (roster only), hukou_no, address.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.synth import households as hs
from pipelines.synth import names as nm
from pipelines.synth.config import MIN_HOUSEHOLDS_FOR_EVERY_CODE, SynthConfig
from pipelines.synth.geography import choose_regions, ethnicity, id_area_codes, load_regions
from pipelines.synth.idcodes import allocate_sequences, make_ids, unique_numbers
from pipelines.synth.tables import load_yaml


@dataclass
class Population:
    households: pd.DataFrame
    persons: pd.DataFrame


def _draw_types(rng, n, table) -> np.ndarray:
    keys = list(table)
    p = np.array([table[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=p / p.sum())]


def _members(rng, types: np.ndarray, offset: int, roster: bool) -> pd.DataFrame:
    parts = []
    for htype in sorted(set(types.tolist())):  # sorted: set order must not decide the draws
        idx = np.flatnonzero(types == htype)
        for b in hs.build(rng, htype, len(idx), roster):
            parts.append(
                pd.DataFrame(
                    {
                        "hh": idx[b.hh] + offset,
                        "relation": b.relation,
                        "age_f": b.age,
                        "male": b.male,
                        "condition": b.condition,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _birth_and_age(age_f: np.ndarray, as_of: np.datetime64) -> tuple[np.ndarray, np.ndarray]:
    birth = as_of - (age_f * 365.2425).astype("int64").astype("timedelta64[D]")
    b = pd.DatetimeIndex(birth)
    ref = pd.Timestamp(as_of)
    before = (b.month > ref.month) | ((b.month == ref.month) & (b.day > ref.day))
    age = ref.year - b.year.to_numpy() - before.astype(int)
    return birth.astype("datetime64[D]"), np.asarray(age)


def _numbered(rng, region: np.ndarray, template: str, capacity: int) -> list[str]:
    """Numbers unique within each region, rising in household order, with random gaps."""
    reg = load_regions()
    out = np.empty(len(region), dtype=object)
    for r in np.unique(region):
        idx = np.flatnonzero(region == r)
        gap = max(1, min(30, (capacity - 1000) // len(idx)))
        seqs = np.sort(unique_numbers(rng, len(idx), 100, gap))
        out[idx] = [template.format(code=reg.codes[r], seq=int(s)) for s in seqs]
    return out.tolist()


def _pick(rng, candidates: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(candidates))
    return np.sort(rng.choice(candidates, k, replace=False)) if k else candidates[:0]


def _addresses(rng, region_idx: np.ndarray, urban: np.ndarray) -> np.ndarray:
    reg = load_regions()
    eco = load_yaml("economy.yaml")
    n = len(region_idx)
    towns = np.array(eco["towns"], dtype=object)[rng.integers(0, len(eco["towns"]), n)]
    roads = np.array(eco["roads"], dtype=object)[rng.integers(0, len(eco["roads"]), n)]
    villages = np.array(eco["villages"], dtype=object)[rng.integers(0, len(eco["villages"]), n)]
    num, floor, unit, group = (
        rng.integers(1, 400, n),
        rng.integers(1, 33, n),
        rng.integers(1, 9, n),
        rng.integers(1, 13, n),
    )
    out = []
    for i in range(n):
        head = f"重庆市{reg.names[region_idx[i]]}{towns[i]}"
        if urban[i]:
            out.append(f"{head}街道{roads[i]}路{num[i]}号{floor[i]}-{unit[i]}")
        else:
            out.append(f"{head}镇{villages[i]}村{group[i]}组{num[i] % 90 + 1}号")
    return np.array(out, dtype=object)


def _hukou_relations(
    rng, p: pd.DataFrame, head_surname: np.ndarray, surname: np.ndarray
) -> np.ndarray:
    rel = p["relation"].to_numpy()
    male = p["male"].to_numpy()
    out = np.full(len(p), "其他", dtype=object)
    out[rel == "head"] = "户主"
    spouse = rel == "spouse"
    out[spouse] = np.where(rng.random(len(p)) < 0.7, "配偶", np.where(male, "夫", "妻"))[spouse]
    child = rel == "child"
    # Children are numbered by sex in age order: 长子, 次子, 三子…; persons are age-sorted.
    rank = p[child].groupby(["hh", "male"]).cumcount().to_numpy()
    ordinal = np.array(["长", "次", "三", "四", "五", "六"], dtype=object)[np.minimum(rank, 5)]
    out[child] = ordinal + np.where(male[child], "子", "女")
    out[rel == "parent"] = np.where(male, "父亲", "母亲")[rel == "parent"]
    grand = rel == "grandchild"
    outer = surname != head_surname  # a daughter's child: 外孙
    out[grand] = (np.where(outer, "外", "") + np.where(male, "孙子", "孙女"))[grand]
    return out


def _names(rng, p: pd.DataFrame, cfg: SynthConfig) -> pd.DataFrame:
    reg = load_regions()
    t = nm.load_names()
    region = p["region"].to_numpy()
    eth = p["ethnicity"].to_numpy()
    local_mix = np.array([0.35 if m else 0.0 for m in reg.minority])[region]
    minority = np.isin(eth, ["土家族", "苗族"])
    surname = nm.draw_surnames(rng, local_mix, minority)
    hh = p["hh"].to_numpy()
    rel = p["relation"].to_numpy()
    male = p["male"].to_numpy()
    first = np.r_[True, hh[1:] != hh[:-1]]
    head_row = np.maximum.accumulate(np.where(first, np.arange(len(p)), 0))
    # The family name passes through the father: the head if a man, else a husband.
    spouse_male = (
        pd.Series(np.where((rel == "spouse") & male, np.arange(len(p)), -1))
        .groupby(hh)
        .transform("max")
        .to_numpy()
    )
    father_row = np.where(
        male[head_row], head_row, np.where(spouse_male >= 0, spouse_male, head_row)
    )
    family = surname[father_row]
    child = rel == "child"
    keep_own = (~male[head_row]) & (spouse_male < 0) & (rng.random(len(p)) < 0.5)
    surname = np.where(child & ~keep_own, family, surname)
    surname = np.where((rel == "parent") & male, surname[head_row], surname)
    grand = (rel == "grandchild") & (rng.random(len(p)) < 0.7)
    surname = np.where(grand, surname[head_row], surname)

    year = pd.DatetimeIndex(p["birth"]).year.to_numpy()
    given = nm.add_rare_chars(rng, nm.draw_given(rng, year, male), year)
    roster = p["roster"].to_numpy()
    if cfg.households >= MIN_HOUSEHOLDS_FOR_EVERY_CODE:
        # Make sure the roster holds rare characters inside and outside GBK.
        wanted_chars = (
            [c for c in t.rare if c in t.rare_non_gbk][0],
            [c for c in t.rare if c not in t.rare_non_gbk][0],
        )
        for wanted in wanted_chars:
            if not any(wanted in g for g in given[roster]):
                pool = np.flatnonzero(roster & (year >= 1980))
                i = int(rng.choice(pool)) if len(pool) else int(np.flatnonzero(roster)[0])
                given[i] = given[i][:-1] + wanted if len(given[i]) > 1 else given[i] + wanted
    name = surname + given
    dotted = eth == "维吾尔族"
    name[dotted] = nm.dotted_names(rng, male[dotted])
    former = np.full(len(p), None, dtype=object)
    has_former = (~dotted) & (rng.random(len(p)) < t.former_share) & (p["age"].to_numpy() >= 3)
    alt = nm.draw_given(rng, year[has_former], male[has_former])
    alt_name = surname[has_former] + alt
    former[has_former] = np.where(alt_name != name[has_former], alt_name, None)
    p["name"] = name
    p["former_name"] = former
    p["hukou_relation"] = _hukou_relations(rng, p, surname[head_row], surname)
    return p


def build_population(cfg: SynthConfig, rngs) -> Population:
    """Roster households first, then the wider population; see the module docstring."""
    rng = rngs("population")
    reg = load_regions()
    as_of = np.datetime64(cfg.as_of.isoformat(), "D")

    roster_types = _draw_types(rng, cfg.households, hs.ROSTER_TYPES)
    roster_m = _members(rng, roster_types, 0, roster=True)
    target = round(len(roster_m) * cfg.population_per_roster_person)
    mean = sum(hs.MEAN_SIZE[t] * w for t, w in hs.WIDER_TYPES.items()) / sum(
        hs.WIDER_TYPES.values()
    )
    n_wider = int(round(target / mean))
    wider_types = _draw_types(rng, n_wider, hs.WIDER_TYPES)
    wider_m = _members(rng, wider_types, cfg.households, roster=False) if n_wider else roster_m[:0]

    n_hh = cfg.households + n_wider
    is_roster = np.arange(n_hh) < cfg.households
    region = np.empty(n_hh, dtype=np.int64)
    region[is_roster] = choose_regions(rng, cfg.households, roster=True, cover_all=True)
    region[~is_roster] = choose_regions(rng, n_wider, roster=False, cover_all=True)
    urban = rng.random(n_hh) < reg.urban[region]
    eth = ethnicity(rng, region)
    types = np.concatenate([roster_types, wider_types])
    t = nm.load_names()
    dotted_hh = np.flatnonzero(
        ~is_roster
        & np.isin(types, ["young_single", "couple_no_children"])
        & np.isin(np.array(reg.codes)[region], sorted(reg.main_city))
    )
    eth[_pick(rng, dotted_hh, max(2, round(t.dotted_share * target)))] = "维吾尔族"
    if cfg.households >= MIN_HOUSEHOLDS_FOR_EVERY_CODE:
        alone = np.flatnonzero(
            is_roster & np.isin(types, ["elderly_alone", "ill_or_disabled_alone"])
        )
        eth[_pick(rng, alone, 1)] = "维吾尔族"

    hh_df = pd.DataFrame(
        {
            "hh": np.arange(n_hh),
            "roster": is_roster,
            "htype": types,
            "region": region,
            "urban": urban,
            "ethnicity": eth,
        }
    )
    hh_df["region_code"] = np.array(reg.codes, dtype=object)[region]
    hh_df["address"] = _addresses(rng, region, urban)
    hh_df["hukou_no"] = _numbered(rng, region, "{code}{seq:07d}", 10**7)
    hh_df["household_id"] = None
    hh_df.loc[is_roster, "household_id"] = _numbered(
        rng, region[is_roster], "DB{code}{seq:06d}", 10**6
    )

    p = pd.concat([roster_m, wider_m], ignore_index=True)
    p["rel_order"] = p["relation"].map(hs.RELATION_ORDER)
    p = p.sort_values(["hh", "rel_order", "age_f"], ascending=[True, True, False], kind="stable")
    p = p.drop(columns="rel_order").reset_index(drop=True)
    p["member_no"] = p.groupby("hh").cumcount() + 1
    p["birth"], p["age"] = _birth_and_age(p["age_f"].to_numpy(), as_of)
    for col in (
        "roster",
        "region",
        "urban",
        "ethnicity",
        "household_id",
        "hukou_no",
        "address",
        "region_code",
    ):
        p[col] = hh_df[col].to_numpy()[p["hh"].to_numpy()]
    random_cond = hs.random_conditions(rng, p["age"].to_numpy(), p["roster"].to_numpy())
    p["condition"] = np.where(p["condition"] > 0, p["condition"], random_cond).astype(np.int8)
    p = _names(rng, p, cfg)

    year = pd.DatetimeIndex(p["birth"]).year.to_numpy()
    area = id_area_codes(rng, p["region"].to_numpy(), year, p["age"].to_numpy() >= 18)
    dotted = p["ethnicity"].to_numpy() == "维吾尔族"
    area[dotted] = np.array(t.dotted_areas, dtype=object)[
        rng.integers(0, len(t.dotted_areas), dotted.sum())
    ]
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    seq = allocate_sequences(area.astype(str), birth.astype("int64"), p["male"].to_numpy(), rng)
    p["id_area"] = area
    p["id_number"] = make_ids(area.astype(str), birth, seq)
    p["pid"] = np.arange(len(p))
    p["person_id"] = [f"P{i:08d}" for i in range(len(p))]
    p["person_key"] = np.where(
        p["roster"], p["household_id"].astype(str) + "-" + p["member_no"].map("{:02d}".format), None
    )
    p["category"] = _category(p)
    hh_df["size"] = p.groupby("hh").size().to_numpy()
    return Population(hh_df, p)


def _category(p: pd.DataFrame) -> np.ndarray:
    """Roster category (人员类别): disability and illness first, then age."""
    cond, age = p["condition"].to_numpy(), p["age"].to_numpy()
    cat = np.select(
        [cond == hs.DISABLED, cond == hs.ILL, age >= 60, age < 18],
        ["disabled", "ill", "elderly", "minor"],
        "general",
    ).astype(object)
    cat[~p["roster"].to_numpy()] = None
    return cat
