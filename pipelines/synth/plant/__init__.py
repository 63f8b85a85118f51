"""Planted problems and look-alikes on chosen roster households, recorded as ground truth,
and the outcome of every new application (kind "application").

One small planter per case kind (a module of this package, or estate.py, enrolments.py,
identity.py, marriage.py, outreach.py), each listed in `table.PLANTERS` in the order they
choose; the `Planter` holds what they share: the households still free, their features, and
the changes planned, applied to the world at once when every planter has run.

Every amount is derived from the policy parameters of the month checked (the standard, the
asset months, the look-back), with clear margins: a problem is at least 15 % beyond its
threshold, a look-alike stays clear of it unless it is SAVINGS_JUST_UNDER, which sits at
95–99.5 % of the limit on purpose. Financial assets are deposits, securities and the cash
value of life insurance together.
The known false-positive patterns (DOMAIN §4) are planted as problems of a "verify" kind
with their look-alikes: STALE_VEHICLE (the only vehicle is a car overdue for inspection, due
for scrapping, or normal but first registered 16 years or more before the month),
DORMANT_ACCOUNT (active assets at most 60 % of the limit, an account without a transaction
for 3–8 years taking the total to 115 % or more) and DORMANT_SMALL (a dormant account, the
total under 85 %), PROVIDENT_WITHOUT_WAGE (an active provident-fund account paid in the last
months of the look-back, no wage registered in it) and OLD_EMPLOYER_FUND (an account never
closed, last paid three years or more before the month); estate.py plants DECEASED_COOWNER
and LIVING_COOWNER. Every other planted car is in normal status and younger than
dibao.vehicle_doubtful_age_years by two years or more, and every other planted account moved
within the last three months, so that no other code tips a "verify" rule.
Each household carries at most one planted code (a pair of households one code each:
enrolments.py plants a person enrolled twice and namesakes; estate.py, real estate). Applicant
households carry exactly one: APPLICANT_ELIGIBLE unless an applicant problem was planted; their
`household_id` is the application's household id and their `person_key` the member's
application key (<household_id>-<member_no>), since applicants have no roster person key.
"""

from __future__ import annotations

import numpy as np

from pipelines.synth.plant.planter import Planter
from pipelines.synth.plant.table import PLANTERS
from pipelines.synth.world import World

__all__ = ["PLANTERS", "Planter", "plant"]


def plant(world: World, rng: np.random.Generator) -> None:
    """Choose households, plant every code at its configured rate, record it in world.planted."""
    pl = Planter(world, rng)
    for planter in PLANTERS:
        planter.run(pl)
    pl.apply()
