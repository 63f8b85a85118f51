"""The outcome of every new application (kind "application"): a few applicant households fail
a test (APPLICANT_VEHICLE_OWNED, APPLICANT_ASSETS_ABOVE_LIMIT, APPLICANT_INCOME_ABOVE_STANDARD),
one each at most; every other one is APPLICANT_ELIGIBLE. Their `household_id` is the
application's household id and their `person_key` the member's application key."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pipelines.synth.assets import adult_dates
from pipelines.synth.config import APPLICANT_PROBLEMS
from pipelines.synth.income import MIN_WAGE_BASE
from pipelines.synth.plant.planter import Planter


def vehicle_owned(pl: Planter, hh: int) -> None:
    m = pl.members(hh)
    age = m["age"].to_numpy()
    pid = pl.pick_person(m, (age >= 18) & (age <= 75))
    vtype = "car" if pl.rng.random() < 0.8 else "truck"
    birth = pl.w.persons["birth"].to_numpy()[[pid]]
    last = pl.w.as_of - np.timedelta64(30, "D")
    first = adult_dates(pl.rng, birth, pl.young_vehicle_from("2012-01-01"), last)[0]
    pl.new_vehicles.append(
        {"pid": pid, "vehicle_type": vtype, "status": "normal", "first_registration": first}
    )
    pl.record_application(hh, "applicant_vehicle_owned", f"{vtype}, status normal", pid)


def assets_above_limit(pl: Planter, hh: int) -> None:
    m = pl.members(hh)
    limit = float(pl.w.limit_of(np.array([hh]))[0])
    total = float(pl.rng.uniform(1.3, 3.0)) * limit
    k = pl.replace_accounts(hh, m, total, [0.4, 0.4, 0.2])
    bal = pl.new_accounts[-1]["balance"].sum()
    owner = int(pl.new_accounts[-1]["pid"].iat[int(pl.new_accounts[-1]["balance"].argmax())])
    pl.record_application(
        hh,
        "applicant_assets_above_limit",
        f"deposits {bal:.2f} in {k} accounts; limit {limit:.2f}",
        owner,
    )


def income_above_standard(pl: Planter, hh: int) -> None:
    pol = pl.w.policy
    m = pl.members(hh)
    n = len(m)
    std = float(pl.w.standard_of(np.array([hh]))[0])
    age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
    earner = pl.pick_person(m, (age >= 18) & (age < 60) & (cond == 0))
    pl.drop_streams.append(m["pid"].to_numpy())
    total = float(pl.rng.uniform(1.3, 1.9)) * std * n * pol.lookback
    months = int(pl.rng.integers(8, pol.lookback + 1))
    if total / months < MIN_WAGE_BASE:
        total = MIN_WAGE_BASE * months
    amount, months = pl.add_wage(earner, total, months)
    # They declare only what the registries do not see.
    pl.declared[hh] = float(round(pl.rng.uniform(0.1, 0.4) * std * n))
    per_capita = amount * months / pol.lookback / n
    pl.record_application(
        hh,
        "applicant_income_above_standard",
        f"wage {amount:.2f} x {months} months; per capita {per_capita:.2f} > standard "
        f"{std:.0f}; declared {pl.declared[hh]:.0f} per month",
        earner,
    )


# What fails the test of each applicant problem, by code.
PLANTERS: dict[str, Callable[[Planter, int], None]] = {
    "applicant_vehicle_owned": vehicle_owned,
    "applicant_assets_above_limit": assets_above_limit,
    "applicant_income_above_standard": income_above_standard,
}


def plant(pl: Planter) -> None:
    """A few applicant households fail a test; every other one is eligible."""
    ap = pl.ap
    app_hh = np.array(sorted(pl.ap_by_hh), dtype=np.int64)
    if len(app_hh) == 0:
        return
    age = ap["age"].to_numpy()
    cond = ap["condition"].to_numpy()
    hh = ap["hh"].to_numpy()

    def has(mask):
        return np.isin(app_hh, hh[mask])

    free = np.ones(len(app_hh), dtype=bool)
    masks = {
        "applicant_vehicle_owned": has((age >= 18) & (age <= 75)),
        "applicant_assets_above_limit": has(age >= 18),
        "applicant_income_above_standard": has((age >= 18) & (age < 60) & (cond == 0)),
    }
    for code in APPLICANT_PROBLEMS:
        # at least one household stays eligible
        k = min(pl.w.cfg.planted_count(code), int(free.sum()) - 1)
        cand = np.flatnonzero(masks[code] & free)
        k = max(0, min(k, len(cand)))
        chosen = np.sort(pl.rng.choice(cand, k, replace=False)) if k else cand[:0]
        free[chosen] = False
        for h in app_hh[chosen]:
            PLANTERS[code](pl, int(h))
    for h in app_hh[free]:
        m = pl.members(int(h))
        std = float(pl.w.standard_of(np.array([h]))[0])
        pl.record_application(
            int(h), "applicant_eligible", f"{len(m)} members; standard {std:.0f}", None
        )
