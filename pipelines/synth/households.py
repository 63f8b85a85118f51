"""Household structures: who lives together, their relation to the head, ages and sexes.

Each structure is built for many households at once. A builder returns member blocks
(household index, relation, age in years, male?, condition) that population.py assembles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Condition forced on a member: 0 none, 1 disabled, 2 seriously ill.
NONE, DISABLED, ILL = 0, 1, 2

# Shares of household structures. The roster leans to elderly people living alone, people
# with a disability or serious illness, single parents and grandparents raising grandchildren
# (留守儿童); the wider population to couples with children and three generations.
ROSTER_TYPES = {
    "elderly_alone": 0.20,
    "elderly_couple": 0.10,
    "ill_or_disabled_alone": 0.08,
    "couple_with_children": 0.20,
    "single_parent": 0.14,
    "three_generations": 0.12,
    "grandparents_with_grandchildren": 0.08,
    "adult_with_parents": 0.08,
}
WIDER_TYPES = {
    "young_single": 0.12,
    "couple_no_children": 0.14,
    "couple_with_children": 0.32,
    "single_parent": 0.05,
    "three_generations": 0.15,
    "elderly_alone": 0.08,
    "elderly_couple": 0.10,
    "grandparents_with_grandchildren": 0.04,
}
MEAN_SIZE = {
    "elderly_alone": 1.0,
    "elderly_couple": 2.0,
    "ill_or_disabled_alone": 1.0,
    "couple_with_children": 3.8,
    "single_parent": 2.6,
    "three_generations": 4.9,
    "grandparents_with_grandchildren": 3.1,
    "adult_with_parents": 2.4,
    "young_single": 1.0,
    "couple_no_children": 2.0,
}
RELATION_ORDER = {"head": 0, "spouse": 1, "child": 2, "parent": 3, "grandchild": 4}


@dataclass
class Block:
    hh: np.ndarray
    relation: str
    age: np.ndarray
    male: np.ndarray
    condition: np.ndarray


def _block(hh, relation, age, male, condition=None) -> Block:
    n = len(hh)
    cond = np.zeros(n, dtype=np.int8) if condition is None else condition.astype(np.int8)
    return Block(
        np.asarray(hh), relation, np.clip(age, 0.0, 99.5), np.asarray(male, dtype=bool), cond
    )


def _counts(rng, n, probs) -> np.ndarray:
    """Member counts 1, 2, 3… with the given probabilities."""
    return rng.choice(np.arange(1, len(probs) + 1), size=n, p=probs)


def _elderly_age(rng, n, lo):
    return np.clip(lo + rng.gamma(2.2, 6.0, n), lo, 98.0)


def _spouse(rng, hh, head_age, head_male, present=None) -> Block:
    """Husbands are on average two years older than their wives."""
    if present is not None:
        hh, head_age, head_male = hh[present], head_age[present], head_male[present]
    gap = rng.normal(2.0, 3.0, len(hh))
    age = np.where(head_male, head_age - gap, head_age + gap)
    return _block(hh, "spouse", np.maximum(age, 18.5), ~head_male)


def _offspring(rng, hh, relation, parent_age, counts, max_age, min_gap=20.0) -> Block:
    rep = np.repeat(hh, counts)
    pa = np.repeat(parent_age, counts)
    top = np.clip(np.minimum(pa - min_gap, max_age), 0.05, None)
    age = rng.random(len(rep)) * top
    return _block(rep, relation, age, rng.random(len(rep)) < 0.52)


def _parents(rng, hh, head_age, counts) -> list[Block]:
    """One or two parents of the head, 22–34 years older; two parents are a couple."""
    father_age = head_age + rng.uniform(24, 34, len(hh))
    one = counts == 1
    one_male = rng.random(len(hh)) < 0.35
    blocks = []
    two = ~one
    blocks.append(_block(hh[two], "parent", father_age[two], np.ones(two.sum(), bool)))
    blocks.append(
        _block(
            hh[two],
            "parent",
            father_age[two] - rng.normal(2, 2.5, two.sum()),
            np.zeros(two.sum(), bool),
        )
    )
    blocks.append(
        _block(hh[one], "parent", father_age[one] - np.where(one_male[one], 0, 2), one_male[one])
    )
    return blocks


def _forced(rng, n, share_disabled=0.6) -> np.ndarray:
    return np.where(rng.random(n) < share_disabled, DISABLED, ILL)


def build(rng: np.random.Generator, htype: str, n: int, roster: bool) -> list[Block]:
    """Member blocks for n households of one structure; household indices 0..n-1."""
    hh = np.arange(n)
    if htype == "elderly_alone":
        return [_block(hh, "head", _elderly_age(rng, n, 60.5), rng.random(n) < 0.4)]
    if htype == "elderly_couple":
        age = _elderly_age(rng, n, 62.0)
        male = rng.random(n) < 0.85
        head = _block(hh, "head", age, male)
        return [head, _spouse(rng, hh, age, male)]
    if htype == "ill_or_disabled_alone":
        return [_block(hh, "head", rng.uniform(25, 60, n), rng.random(n) < 0.6, _forced(rng, n))]
    if htype in ("couple_with_children", "couple_no_children"):
        if htype == "couple_no_children":
            age = np.where(rng.random(n) < 0.5, rng.uniform(22, 35, n), rng.uniform(48, 68, n))
        else:
            age = rng.uniform(28 if roster else 26, 55, n)
        male = rng.random(n) < 0.85
        head = _block(hh, "head", age, male)
        spouse = _spouse(rng, hh, age, male)
        blocks = [head, spouse]
        if htype == "couple_with_children":
            mother_age = np.where(male, spouse.age, age)
            probs = (0.35, 0.45, 0.20) if roster else (0.50, 0.42, 0.08)
            blocks.append(_offspring(rng, hh, "child", mother_age, _counts(rng, n, probs), 24))
            if roster:
                sick = rng.random(n) < 0.55
                on_head = rng.random(n) < 0.6
                head.condition[sick & on_head] = _forced(rng, int((sick & on_head).sum()))
                spouse.condition[sick & ~on_head] = _forced(rng, int((sick & ~on_head).sum()))
        return blocks
    if htype == "single_parent":
        age = rng.uniform(26, 55, n)
        male = rng.random(n) < 0.3
        head = _block(hh, "head", age, male)
        if roster:
            sick = rng.random(n) < 0.35
            head.condition[sick] = _forced(rng, int(sick.sum()))
        kids = _offspring(rng, hh, "child", age, _counts(rng, n, (0.5, 0.38, 0.12)), 22)
        return [head, kids]
    if htype == "three_generations":
        age = rng.uniform(32, 52, n)
        male = rng.random(n) < 0.8
        present = rng.random(n) < 0.85
        head = _block(hh, "head", age, male)
        spouse = _spouse(rng, hh, age, male, present)
        mother_age = np.where(male & present, age - 2, age)
        kids = _offspring(rng, hh, "child", mother_age, _counts(rng, n, (0.55, 0.45)), 25)
        blocks = [head, spouse, kids, *_parents(rng, hh, age, _counts(rng, n, (0.55, 0.45)))]
        if roster:
            sick = rng.random(n) < 0.5
            head.condition[sick] = _forced(rng, int(sick.sum()))
        return blocks
    if htype == "grandparents_with_grandchildren":
        age = np.clip(55 + rng.gamma(2.0, 5.0, n), 55, 85)
        male = rng.random(n) < 0.6
        present = rng.random(n) < 0.65
        head = _block(hh, "head", age, male)
        spouse = _spouse(rng, hh, age, male, present)
        rep = np.repeat(hh, _counts(rng, n, (0.55, 0.35, 0.10)))
        grand = _block(
            rep, "grandchild", rng.uniform(0.2, 16.5, len(rep)), rng.random(len(rep)) < 0.52
        )
        return [head, spouse, grand]
    if htype == "adult_with_parents":
        age = rng.uniform(25, 55, n)
        head = _block(hh, "head", age, rng.random(n) < 0.6, _forced(rng, n))
        return [head, *_parents(rng, hh, age, _counts(rng, n, (0.6, 0.4)))]
    if htype == "young_single":
        return [_block(hh, "head", rng.uniform(18, 35, n), rng.random(n) < 0.55)]
    raise ValueError(f"unknown household structure {htype!r}")


def random_conditions(rng: np.random.Generator, age: np.ndarray, roster: np.ndarray) -> np.ndarray:
    """Disability and serious illness beyond the forced ones; more frequent with age and among
    households on the roster."""
    n = len(age)
    base_dis = np.where(roster, 0.07, 0.02) * (1 + (age >= 60))
    base_ill = np.where(roster, 0.05, 0.012) * (1 + (age >= 60))
    u = rng.random(n)
    return np.where(u < base_dis, DISABLED, np.where(u < base_dis + base_ill, ILL, NONE)).astype(
        np.int8
    )
