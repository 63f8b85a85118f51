"""The noise-free synthetic world: people, their households, income streams and property.

Policy numbers come from the rules (the standard, the asset months, the look-back); the
roster's own holdings (deposits, securities and insurance cash value together) are capped
well inside them so that every roster household is eligible by construction until plant.py
plants a problem. The applicant households (applicants.py) get the same caps.

Every deposit account gets the date of its last transaction (`accounts["last_activity"]`,
assets.last_activity): most within the last few months, a minority of small current accounts
dormant for years; a dormant account's balance is not counted but reported apart
(dibao.dormant_account_months), and a roster household's whole deposits, dormant ones
included, stay under its cap, so no roster household crosses a limit unplanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.synth import applicants, assets, contacts, employment, events, income
from pipelines.synth.config import SynthConfig
from pipelines.synth.geography import load_regions
from pipelines.synth.names import more_former_names
from pipelines.synth.population import build_population

# Roster households keep their deposits under this share of the limit and the wages of a
# spell under this share of the standard, both computed for one member fewer than they
# have, so that removing a member in custody or deceased still leaves them eligible.
ROSTER_ASSET_SHARE = 0.35
ROSTER_INCOME_SHARE = 0.30


@dataclass
class Policy:
    """The parameter values the generator needs, read for the month checked."""

    standard: dict[str, float]
    asset_months: int
    lookback: int
    vehicle_exempt: list[str]
    vehicle_counted: list[str]
    business_active: list[str]
    business_roles: list[str]
    excluded_income: list[str]
    # how far registered monthly income may exceed the declared one: max(amount, ratio × declared)
    declared_tolerance_amount: float
    declared_tolerance_ratio: float
    # real estate: uses counted as homes and as commercial property, and the floor area per
    # person above which two homes or more fail (multiple × the district's minimum standard)
    residential_uses: list[str] = field(default_factory=list)
    commercial_uses: list[str] = field(default_factory=list)
    home_area_limit: dict[str, float] = field(default_factory=dict)
    # known false-positive patterns (DOMAIN §4): vehicle statuses and age that make a vehicle
    # doubtful, months without a transaction that make an account dormant
    vehicle_doubtful: list[str] = field(default_factory=list)
    vehicle_doubtful_age: int = 15
    dormant_months: int = 24

    @classmethod
    def read(cls, params, on) -> Policy:
        return cls(
            standard={k: float(v) for k, v in params.at("dibao.standard", on).items()},
            asset_months=int(params.at("dibao.financial_asset_months", on)),
            lookback=int(params.at("dibao.income_lookback_months", on)),
            vehicle_exempt=list(params.at("dibao.vehicle_exempt_types", on)),
            vehicle_counted=list(params.at("dibao.vehicle_counted_statuses", on)),
            business_active=list(params.at("dibao.business_active_statuses", on)),
            business_roles=list(params.at("dibao.business_counted_roles", on)),
            excluded_income=list(params.at("dibao.excluded_income_types", on)),
            declared_tolerance_amount=float(
                params.at("dibao.declared_income_tolerance_amount", on)
            ),
            declared_tolerance_ratio=float(params.at("dibao.declared_income_tolerance_ratio", on)),
            residential_uses=list(params.at("dibao.residential_uses", on)),
            commercial_uses=list(params.at("dibao.commercial_property_uses", on)),
            home_area_limit={
                code: float(params.at("dibao.home_area_multiple", on, code))
                * float(params.at("dibao.min_housing_area", on, code))
                for code in load_regions().codes
            },
            vehicle_doubtful=list(params.at("dibao.vehicle_doubtful_statuses", on)),
            vehicle_doubtful_age=int(params.at("dibao.vehicle_doubtful_age_years", on)),
            dormant_months=int(params.at("dibao.dormant_account_months", on)),
        )


@dataclass
class World:
    cfg: SynthConfig
    policy: Policy
    households: pd.DataFrame
    persons: pd.DataFrame
    months: list[str]
    streams: pd.DataFrame
    accounts: pd.DataFrame
    homes: pd.DataFrame
    vehicles: pd.DataFrame
    entities: pd.DataFrame
    roles: pd.DataFrame
    custody: pd.DataFrame
    employer_pool: np.ndarray
    securities: pd.DataFrame = field(default_factory=pd.DataFrame)
    insurance: pd.DataFrame = field(default_factory=pd.DataFrame)
    provident: pd.DataFrame = field(default_factory=pd.DataFrame)
    applications: pd.DataFrame = field(default_factory=pd.DataFrame)
    planted: list[dict] = field(default_factory=list)
    # Second roster enrolments of people already on the roster (enrolments.py): pid, hh (the
    # second household), member_no, relation, phone, address, written_id / written_name (what
    # the roster writes when it differs from the person's) and noise (that difference's kind).
    enrolments: pd.DataFrame = field(default_factory=pd.DataFrame)
    # People outside the roster whose records must keep a valid ID (the co-owners of planted
    # real estate, estate.py): the engine finds them in hukou and cremation by their ID alone.
    protected_pids: list[int] = field(default_factory=list)
    # Roster rows written otherwise than the person (identity.py): pid, written_name, noise.
    roster_overrides: pd.DataFrame = field(default_factory=pd.DataFrame)
    # 特困 enrolments, one-person households on the roster extract (identity.py).
    tekun: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Marriage and divorce registrations planted (marriage.py): husband, wife, event, date, code.
    marriages: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def as_of(self) -> np.datetime64:
        return np.datetime64(self.cfg.as_of.isoformat(), "D")

    @property
    def month_start(self) -> np.datetime64:
        return np.datetime64(self.cfg.month_start.isoformat(), "D")

    @property
    def first_month(self) -> np.datetime64:
        return np.datetime64(self.months[0], "M")

    @property
    def vehicle_old_on(self) -> np.datetime64:
        """A vehicle in a counted status first registered on or before this day is doubtful:
        the first day of the month checked, dibao.vehicle_doubtful_age_years earlier."""
        start = self.cfg.month_start
        return np.datetime64(
            start.replace(year=start.year - self.policy.vehicle_doubtful_age).isoformat(), "D"
        )

    @property
    def dormant_before(self) -> np.datetime64:
        """An account whose last transaction is before this day is dormant: the first day of
        the month checked, dibao.dormant_account_months earlier."""
        start = np.datetime64(self.cfg.month_start.isoformat(), "M")
        return (start - self.policy.dormant_months).astype("datetime64[D]")

    @property
    def window_first(self) -> int:
        """Index of the first month of the look-back window."""
        return len(self.months) - self.policy.lookback

    def standard_of(self, hh: np.ndarray) -> np.ndarray:
        urban = self.households["urban"].to_numpy()[hh]
        return np.where(urban, self.policy.standard["urban"], self.policy.standard["rural"])

    def limit_of(self, hh: np.ndarray, members: np.ndarray | None = None) -> np.ndarray:
        """Financial-asset limit: members × standard × months."""
        if members is None:
            members = self.households["size"].to_numpy()[hh]
        return members * self.standard_of(hh) * self.policy.asset_months


def build_world(cfg: SynthConfig, params, rngs) -> World:
    policy = Policy.read(params, cfg.month_start)
    pop = build_population(cfg, rngs)
    persons, hh_df = pop.persons, pop.households
    # drawn with streams of their own, so that the rest of the world does not change
    more_former_names(rngs("former_names"), persons)
    contacts.assign(rngs("contacts"), persons, hh_df)
    as_of = np.datetime64(cfg.as_of.isoformat(), "D")
    events.life_events(rngs("events"), persons, as_of)
    custody = events.wider_custody(rngs("custody"), persons, as_of)

    months = income.month_labels(np.datetime64(cfg.month_start.isoformat(), "D"), cfg.income_months)
    first_month = np.datetime64(months[0], "M")
    size = hh_df["size"].to_numpy()
    urban = hh_df["urban"].to_numpy()
    std = np.where(urban, policy.standard["urban"], policy.standard["rural"])
    counted = np.maximum(size - 1, 1)
    roster = hh_df["roster"].to_numpy()
    poor_asset_cap = ROSTER_ASSET_SHARE * std * policy.asset_months * counted
    poor_income_cap = ROSTER_INCOME_SHARE * std * counted * policy.lookback
    asset_cap = np.where(roster, poor_asset_cap, np.inf)
    income_cap = np.where(roster, poor_income_cap, np.inf)

    rng = rngs("income")
    pool = income.employers(rng, max(60, len(persons) // 40))
    streams = pd.concat(
        [
            income.roster_streams(rng, persons, len(months), first_month, pool, income_cap),
            income.wider_streams(rng, persons, len(months), first_month, pool),
        ],
        ignore_index=True,
    )
    income.mark_payroll(rngs("payroll"), streams, persons)
    rng = rngs("assets")
    entities, roles = assets.businesses(rng, persons, hh_df)
    world = World(
        cfg=cfg,
        policy=policy,
        households=hh_df,
        persons=persons,
        months=months,
        streams=streams,
        accounts=assets.accounts(rng, persons, asset_cap, cfg.bank_accounts_per_adult),
        homes=assets.homes(rng, hh_df, persons, as_of),
        vehicles=assets.vehicles(rng, hh_df, persons, as_of),
        entities=entities,
        roles=roles,
        custody=custody,
        employer_pool=pool,
    )
    applicants.select(world, rngs("applicants"), poor_asset_cap, poor_income_cap)
    # drawn with a stream of its own, once the applicants' balances are set
    world.accounts["last_activity"] = assets.last_activity(
        rngs("account_activity"), world.accounts, persons, as_of, world.dormant_before
    )
    # Securities: the wider population (not the applicants) and a little for a few roster
    # households, inside what their cap leaves beside their deposits.
    acc = world.accounts
    deposits = np.bincount(
        persons["hh"].to_numpy()[acc["pid"].to_numpy().astype(np.int64)],
        weights=acc["balance"].to_numpy().astype(float),
        minlength=len(hh_df),
    )
    room = np.where(roster, np.maximum(asset_cap - deposits, 0.0), 0.0)
    holders = ~persons["roster"].to_numpy() & ~persons["applicant"].to_numpy()
    world.securities = assets.securities(rngs("securities"), persons, holders, room)
    # Insurance cash value: the same people, inside what deposits and securities leave.
    sec = world.securities
    shares = np.bincount(
        persons["hh"].to_numpy()[sec["pid"].to_numpy().astype(np.int64)],
        weights=sec["market_value"].to_numpy().astype(float),
        minlength=len(hh_df),
    )
    world.insurance = assets.insurance(
        rngs("insurance"), persons, holders, np.maximum(room - shares, 0.0), as_of
    )
    world.provident = employment.provident_accounts(
        rngs("provident_fund"), persons, world.streams, months, pool
    )
    return world
