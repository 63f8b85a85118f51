"""The planters in the order they choose: one entry per case kind, like the rules of a rule set.

The order is part of the output: every planter draws from the same random stream and takes its
households out of those still free, so the most demanding codes choose first, from households
whose members make them possible, and the known false-positive patterns come after the codes
they must not disturb. Appending an entry leaves every earlier one's households as they were.

Two kinds of entry:
- `Chosen`: the Planter chooses the households (among those `households` allows, as many as
  `count` gives of the code's configured number), then `plant(pl, hhs, code)` plants them;
- `ChoosingOwn`: a planter that chooses its own households (pairs of households, applicants,
  the wider population) and plants several codes at once, given each code's configured number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipelines.synth import enrolments, estate, identity, marriage, outreach
from pipelines.synth.plant import (
    applications,
    business,
    custody,
    deceased,
    declared,
    dormant,
    financial_assets,
    income,
    payroll,
    pension,
    provident,
    stale_vehicle,
    vehicles,
)
from pipelines.synth.plant.planter import Planter


def configured(pl: Planter, code: str, n: int) -> int:
    """The code's configured number of households."""
    return n


def rest(pl: Planter, code: str, n: int) -> int:
    """What an earlier entry of the same code left of its configured number."""
    return n - pl.planted(code)


@dataclass(frozen=True)
class Chosen:
    """A code planted on households the Planter chooses."""

    code: str
    households: Callable[[Planter], np.ndarray]  # roster households able to carry the code
    plant: Callable[[Planter, list[int], str], None]
    count: Callable[[Planter, str, int], int] = configured

    def run(self, pl: Planter) -> None:
        n = self.count(pl, self.code, pl.w.cfg.planted_count(self.code))
        self.plant(pl, pl.choose(self.households(pl), n), self.code)


@dataclass(frozen=True)
class ChoosingOwn:
    """Codes whose planter chooses its own households."""

    codes: tuple[str, ...]
    plant: Callable[..., None]  # plant(pl, *configured number of each code)

    def run(self, pl: Planter) -> None:
        self.plant(pl, *(pl.w.cfg.planted_count(code) for code in self.codes))


def _estate(code: str) -> Callable[[Planter], np.ndarray]:
    return lambda pl: estate.feasible(pl)[code]


def _ignoring_code(
    fn: Callable[[Planter, list[int]], None],
) -> Callable[[Planter, list[int], str], None]:
    return lambda pl, hhs, code: fn(pl, hhs)


PLANTERS: tuple[Chosen | ChoosingOwn, ...] = (
    Chosen(
        "income_above_standard",
        income.custody_households,
        income.with_custody,
        count=income.custody_count,
    ),
    Chosen("resident_pension", pension.households, pension.plant),
    Chosen("disabled_wheelchair", lambda pl: pl.n_disabled >= 1, vehicles.plant),
    Chosen("custody_member", lambda pl: (pl.size >= 2) & (pl.n_custody >= 1), custody.plant),
    Chosen("income_above_standard", lambda pl: pl.n_able >= 1, income.plant, count=rest),
    Chosen("deceased_member", lambda pl: pl.size >= 1, deceased.plant),
    Chosen("financial_assets_above_limit", lambda pl: pl.n_adult >= 1, financial_assets.plant),
    Chosen("savings_just_under", lambda pl: pl.n_adult >= 1, financial_assets.plant),
    Chosen("vehicle_owned", lambda pl: pl.n_adult_75 >= 1, vehicles.plant),
    Chosen("scrapped_car", lambda pl: pl.n_adult_75 >= 1, vehicles.plant),
    Chosen("active_business", lambda pl: pl.n_adult_70 >= 1, business.plant),
    Chosen("revoked_business", lambda pl: pl.n_adult_70 >= 1, business.plant),
    Chosen("state_payroll_member", lambda pl: (pl.size >= 2) & (pl.n_able_20 >= 1), payroll.plant),
    Chosen("old_provident_fund", lambda pl: pl.n_adult_30_80 >= 1, provident.old_accounts),
    Chosen(
        "income_under_declared", lambda pl: (pl.size >= 2) & (pl.n_able_20 >= 1), declared.plant
    ),
    Chosen(
        "declared_within_tolerance", lambda pl: (pl.size >= 2) & (pl.n_able_20 >= 1), declared.plant
    ),
    Chosen("housing_above_limit", _estate("housing_above_limit"), estate.second_home),
    Chosen("sold_home_cancelled", _estate("sold_home_cancelled"), estate.second_home),
    Chosen("two_small_homes", _estate("two_small_homes"), estate.second_home),
    Chosen("commercial_property", _estate("commercial_property"), estate.other_property),
    Chosen("parking_space", _estate("parking_space"), estate.other_property),
    ChoosingOwn(("duplicate_enrolment",), enrolments.duplicate_enrolment),
    ChoosingOwn(("namesake_other_household",), enrolments.namesakes),
    ChoosingOwn((), applications.plant),
    # the known false-positive patterns last, so that the codes above stay as they were
    Chosen("stale_vehicle", lambda pl: pl.n_adult_40_80 >= 1, stale_vehicle.plant),
    Chosen("dormant_account", lambda pl: pl.n_adult_30_80 >= 1, dormant.plant),
    Chosen("dormant_small", lambda pl: pl.n_adult_30_80 >= 1, dormant.plant),
    Chosen("provident_without_wage", lambda pl: pl.n_able_22 >= 1, provident.active_account),
    Chosen("old_employer_fund", lambda pl: pl.n_adult_30_80 >= 1, provident.active_account),
    Chosen("deceased_coowner", _estate("deceased_coowner"), estate.coowned_home),
    Chosen("living_coowner", _estate("living_coowner"), estate.coowned_home),
    Chosen("not_in_hukou", identity.not_in_hukou_feasible, _ignoring_code(identity.not_in_hukou)),
    Chosen(
        "id_name_conflict", lambda pl: pl.n_adult >= 1, _ignoring_code(identity.id_name_conflict)
    ),
    ChoosingOwn(("tekun_and_dibao",), identity.tekun),
    ChoosingOwn(("undeclared_spouse", "divorced_spouse", "spouse_deceased"), marriage.plant),
    # 漏保 leads in the wider population, once every other plan has chosen its people
    ChoosingOwn(("possibly_eligible", "needy_not_poor"), outreach.plant),
)
