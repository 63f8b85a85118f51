"""Planted problems and look-alikes on chosen roster households, recorded as ground truth,
and the outcome of every new application (kind "application").

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
enrolments.py plants a person enrolled twice and namesakes; estate.py, real estate). Applicant households carry exactly one:
APPLICANT_ELIGIBLE unless an applicant problem was planted; their `household_id` is the
application's household id and their `person_key` the member's application key
(<household_id>-<member_no>), since applicants have no roster person key.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.synth import enrolments, estate, identity, marriage, outreach
from pipelines.synth.assets import adult_dates, pick_banks
from pipelines.synth.config import APPLICANT_PROBLEMS, LOOKALIKES, PROBLEMS
from pipelines.synth.employment import old_month
from pipelines.synth.income import companies, is_state_funded, resident_pensions
from pipelines.synth.tables import load_yaml
from pipelines.synth.world import World

NAT = np.datetime64("NaT", "D")
MIN_WAGE_BASE = 3600  # lowest contribution base used for a planted wage (yuan per month)
# A residents' basic pension above this would not be credible (yuan per month).
MAX_RESIDENT_PENSION = 450
# Planted accounts other than the dormant ones moved at most this many days before the extract.
RECENT_ACTIVITY_DAYS = 90


class Planter:
    """Chooses households, plans their changes, then applies them to the world at once."""

    def __init__(self, world: World, rng: np.random.Generator):
        self.w, self.rng = world, rng
        p = world.persons
        # Only the columns planting reads: row selection on a narrow frame is much cheaper.
        self.rp = p.loc[
            p["roster"], ["pid", "hh", "age", "male", "condition", "region_code", "household_id"]
        ]
        self.by_hh = self.rp.groupby("hh").indices
        self.n = int(world.households["roster"].sum())
        self.available = np.ones(self.n, dtype=bool)
        self.drop_streams: list[np.ndarray] = []  # pids whose wage streams go
        self.drop_all_streams: list[np.ndarray] = []  # pids whose every stream goes
        self.new_streams: list[pd.DataFrame] = []
        self.drop_accounts: list[int] = []  # households whose accounts are replaced
        self.new_accounts: list[pd.DataFrame] = []
        self.new_vehicles: list[dict] = []
        self.new_entities: list[dict] = []
        self.new_roles: list[dict] = []
        self.new_custody: list[dict] = []
        self.new_securities: list[dict] = []
        self.new_insurance: list[dict] = []
        self.new_provident: list[dict] = []
        self.new_homes: list[dict] = []  # real-estate owner rows (estate.py)
        self.coowners_used: set[int] = set()  # co-owners outside the roster (estate.py)
        self.next_cert = int(world.homes["cert"].max()) + 1 if len(world.homes) else 0
        self.declared: dict[int, float] = {}
        self.companies = companies(world.employer_pool)
        self.state_funded = world.employer_pool[is_state_funded(world.employer_pool)]
        self.ap = p.loc[
            p["applicant"], ["pid", "hh", "age", "male", "condition", "application_id", "member_no"]
        ]
        self.ap_by_hh = self.ap.groupby("hh").indices
        self.next_eid = int(world.entities["eid"].max()) + 1 if len(world.entities) else 0
        self._features()

    # ---- household features and selection -------------------------------------------------
    def _features(self) -> None:
        rp = self.rp
        age, cond = rp["age"].to_numpy(), rp["condition"].to_numpy()
        hh = rp["hh"].to_numpy()

        def count(mask):
            return np.bincount(hh[mask], minlength=self.n)

        self.size = np.bincount(hh, minlength=self.n)
        self.n_able = count((age >= 18) & (age < 60) & (cond != 1))
        self.n_adult = count(age >= 18)
        self.n_custody = count((age >= 20) & (age <= 60))  # old enough to be held since 18
        self.n_able_20 = count((age >= 20) & (age < 60) & (cond != 1))
        self.n_adult_70 = count((age >= 18) & (age <= 70))
        self.n_adult_75 = count((age >= 18) & (age <= 75))
        self.n_disabled = count((cond == 1) & (age >= 18) & (age <= 80))
        self.n_old = count(age >= 62)
        self.n_adult_30_80 = count((age >= 30) & (age <= 80))
        self.n_adult_40_80 = count((age >= 40) & (age <= 80))
        self.n_able_22 = count((age >= 22) & (age < 60) & (cond != 1))

    def members(self, hh: int) -> pd.DataFrame:
        if hh in self.by_hh:
            return self.rp.iloc[self.by_hh[hh]]
        return self.ap.iloc[self.ap_by_hh[hh]]

    def choose(self, mask: np.ndarray, k: int) -> list[int]:
        cand = np.flatnonzero(mask & self.available)
        k = min(k, len(cand))
        chosen = np.sort(self.rng.choice(cand, k, replace=False)) if k else cand[:0]
        self.available[chosen] = False
        return [int(h) for h in chosen]

    def record(self, hh: int, code: str, detail: str, pid: int | None = None) -> None:
        p = self.w.persons
        self.w.planted.append(
            {
                "household_id": self.rp["household_id"].iat[self.by_hh[hh][0]],
                "person_key": None if pid is None else p["person_key"].iat[pid],
                "kind": "problem" if code in PROBLEMS else "lookalike",
                "code": code.upper(),
                "detail": detail,
                "hh": hh,
            }
        )

    def record_application(self, hh: int, code: str, detail: str, pid: int | None) -> None:
        p = self.w.persons
        app_id = p["application_id"].iat[int(self.ap["pid"].iat[self.ap_by_hh[hh][0]])]
        key = None if pid is None else f"{app_id}-{int(p['member_no'].iat[pid]):02d}"
        self.w.planted.append(
            {
                "household_id": app_id,
                "person_key": key,
                "kind": "application",
                "code": code.upper(),
                "detail": detail,
                "hh": hh,
            }
        )

    # ---- helpers -----------------------------------------------------------------------
    def _pick_person(self, m: pd.DataFrame, mask: np.ndarray, prefer_male=False) -> int:
        cand = m[mask]
        if prefer_male and cand["male"].any():
            cand = cand[cand["male"]]
        return int(cand["pid"].iat[int(self.rng.integers(0, len(cand)))])

    def _earner(self, m: pd.DataFrame) -> int:
        """A member of working age able to work, a healthy one when there is one."""
        age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
        able = (age >= 20) & (age < 60) & (cond != 1)
        healthy = able & (cond == 0)
        return self._pick_person(m, healthy if healthy.any() else able)

    def _wage(
        self, pid: int, total: float, months: int, employer: str | None = None
    ) -> tuple[float, int]:
        """A wage spell ending in the last extract month, paying `total` over the window.

        A company pays it unless `employer` is given; a budget-funded employer puts the
        person on the state payroll for those months."""
        months = max(1, min(months, self.w.policy.lookback))
        amount = total / months
        n_months = len(self.w.months)
        if employer is None:
            employer = self.companies[int(self.rng.integers(0, len(self.companies)))]
        self.new_streams.append(
            pd.DataFrame(
                {
                    "pid": [pid],
                    "kind": ["wage"],
                    "first_m": [n_months - months],
                    "last_m": [n_months - 1],
                    "amount": [amount],
                    "employer": [employer],
                    "payroll": [bool(is_state_funded(np.array([employer]))[0])],
                }
            )
        )
        return amount, months

    def _custody(self, pid: int) -> None:
        """Held since before the look-back window began and not released by the month checked.

        Custody starts after the 18th birthday; people held are chosen aged 20 or more.
        """
        window_start = np.datetime64(self.w.months[self.w.window_first], "D")
        birth = self.w.persons["birth"].to_numpy()[[pid]]
        start = adult_dates(
            self.rng,
            birth,
            window_start - np.timedelta64(1500, "D"),
            window_start - np.timedelta64(30, "D"),
        )[0]
        if self.rng.random() < 0.3:
            end = NAT
        else:
            month_end = (self.w.month_start.astype("datetime64[M]") + 1).astype("datetime64[D]")
            end = month_end + np.timedelta64(int(self.rng.integers(60, 1500)), "D")
        kind = "prison" if self.rng.random() < 0.7 else "drug_rehab"
        self.new_custody.append(
            {"pid": pid, "custody_type": kind, "start_date": start, "end_date": end}
        )
        self.drop_all_streams.append(np.array([pid]))

    def _securities(self, m: pd.DataFrame, total: float) -> int:
        """Securities worth `total` held by one adult, on one exchange or both."""
        adults = m[m["age"] >= 18]
        pool = adults if len(adults) else m
        pid = int(pool["pid"].iat[int(self.rng.integers(0, len(pool)))])
        k = 2 if self.rng.random() < 0.4 else 1
        split = self.rng.dirichlet(np.full(k, 2.0)) if k == 2 else np.array([1.0])
        values = np.floor(split * total * 100) / 100
        markets = ["sh", "sz"] if k == 2 else [str(self.rng.choice(["sh", "sz"]))]
        for market, value in zip(markets, values, strict=True):
            self.new_securities.append({"pid": pid, "market": market, "market_value": value})
        return k

    def _insurance(self, m: pd.DataFrame, total: float) -> int:
        """Life-insurance cash value worth `total` under the eldest member (an adult when the
        policies took effect), in one policy or two."""
        pid = int(m.sort_values("age", ascending=False, kind="stable")["pid"].iat[0])
        k = 2 if self.rng.random() < 0.3 else 1
        split = self.rng.dirichlet(np.full(k, 2.0)) if k == 2 else np.array([1.0])
        values = np.floor(split * total * 100) / 100
        eco = load_yaml("economy.yaml")
        insurers = [i["name"] for i in eco["insurers"]]
        birth = self.w.persons["birth"].to_numpy()[[pid] * k]
        dates = adult_dates(self.rng, birth, "2005-01-01", self.w.as_of - np.timedelta64(30, "D"))
        for value, date in zip(values, dates, strict=True):
            self.new_insurance.append(
                {
                    "pid": pid,
                    "cash_value": float(value),
                    "insurer": str(self.rng.choice(insurers)),
                    "product_type": str(self.rng.choice(["whole_life", "endowment", "annuity"])),
                    "effective_date": date,
                }
            )
        return k

    def _accounts(self, hh: int, m: pd.DataFrame, total: float, kinds_p) -> int:
        k = int(self.rng.integers(2, 5))
        adults = m[m["age"] >= 18]
        owners_pool = (adults if len(adults) else m)["pid"].to_numpy()
        owners = self.rng.choice(owners_pool, k)
        split = self.rng.dirichlet(np.full(k, 2.0))
        bal = np.floor(split * total * 100) / 100
        kinds = self.rng.choice(["demand", "time", "wealth"], k, p=kinds_p)
        urban = np.full(k, bool(self.w.households["urban"].iat[hh]))
        self.drop_accounts.append(hh)
        # last_activity is set in apply(): a recent one
        self.new_accounts.append(
            pd.DataFrame(
                {
                    "pid": owners,
                    "account_type": kinds,
                    "balance": bal,
                    "bank": pick_banks(self.rng, urban),
                    "force_duplicate": False,
                }
            )
        )
        return k

    def _recent(self, k: int) -> np.ndarray:
        """Dates of a last transaction within the three months before the extract."""
        days = self.rng.integers(0, RECENT_ACTIVITY_DAYS + 1, k).astype("timedelta64[D]")
        return (self.w.as_of - days).astype("datetime64[D]")

    # ---- the codes ---------------------------------------------------------------------
    def deceased_member(self, hhs: list[int]) -> None:
        p = self.w.persons
        for i, hh in enumerate(hhs):
            m = self.members(hh)
            pid = int(m.sort_values("age", ascending=False)["pid"].iat[0])
            death = self.w.month_start - np.timedelta64(int(self.rng.integers(45, 540)), "D")
            mode = ("hukou and cremation", "hukou only", "cremation only")[i % 3]
            if mode != "cremation only":
                p.loc[pid, "status"] = "deceased"
                p.loc[pid, "status_date"] = death + np.timedelta64(
                    int(self.rng.integers(0, 11)), "D"
                )
            if mode != "hukou only":
                p.loc[pid, "cremation_date"] = death + np.timedelta64(
                    int(self.rng.integers(1, 5)), "D"
                )
            p.loc[pid, "death_date"] = death
            self.record(hh, "deceased_member", f"died {death}; shown in {mode}", pid)

    def income_above_standard(self, hhs: list[int], custody_variant: bool) -> None:
        pol = self.w.policy
        for hh in hhs:
            m = self.members(hh)
            n = len(m)
            std = float(self.w.standard_of(np.array([hh]))[0])
            able = ((m["age"] >= 18) & (m["age"] < 60) & (m["condition"] != 1)).to_numpy()
            self.drop_streams.append(m["pid"].to_numpy())
            if custody_variant:
                held = self._pick_person(m, able & (m["age"] >= 20).to_numpy(), prefer_male=True)
                earner = self._pick_person(m, able & (m["pid"] != held).to_numpy())
                self._custody(held)
                # Below the standard while the held member is counted, well above without.
                per_month = (1.15 * (n - 1) + 0.85 * n) / 2 * std
                total = per_month * pol.lookback
                amount, months = self._wage(earner, total, int(total // MIN_WAGE_BASE))
                detail = (
                    f"wage {amount:.2f} x {months} months; per capita {per_month / n:.2f} with "
                    f"{n} members, {per_month / (n - 1):.2f} without the member in custody; "
                    f"standard {std:.0f}"
                )
                self.record(hh, "income_above_standard", detail, earner)
                continue
            earner = (
                self._pick_person(m, able & (m["condition"] == 0).to_numpy())
                if (able & (m["condition"] == 0).to_numpy()).any()
                else self._pick_person(m, able)
            )
            total = float(self.rng.uniform(1.3, 1.9)) * std * n * pol.lookback
            months = int(self.rng.integers(8, pol.lookback + 1))
            if total / months < MIN_WAGE_BASE:
                total = MIN_WAGE_BASE * months
            amount, months = self._wage(earner, total, months)
            per_capita = amount * months / pol.lookback / n
            detail = (
                f"wage {amount:.2f} x {months} months; "
                f"per capita {per_capita:.2f} > standard {std:.0f}"
            )
            self.record(hh, "income_above_standard", detail, earner)

    def resident_pension(self, hhs: list[int]) -> None:
        pol = self.w.policy
        birth = self.w.persons["birth"].to_numpy().astype("datetime64[D]")
        n_months = len(self.w.months)
        for hh in hhs:
            m = self.members(hh)
            n = len(m)
            std = float(self.w.standard_of(np.array([hh]))[0])
            c = float(self.rng.uniform(0.80, 0.85))
            countable = math.floor(c * std * n)
            able = ((m["age"] >= 18) & (m["age"] < 60) & (m["condition"] != 1)).to_numpy()
            old = m[(m["age"] >= 62).to_numpy()].sort_values("age", ascending=False)
            self.drop_all_streams.append(m["pid"].to_numpy())
            if able.any():
                earner = self._pick_person(m, able)
                total = countable * pol.lookback
                self._wage(earner, total, int(total // MIN_WAGE_BASE))
                receivers = old["pid"].to_numpy()
            else:
                retiree = int(old["pid"].iat[0])
                self.new_streams.append(
                    pd.DataFrame(
                        {
                            "pid": [retiree],
                            "kind": ["employee_pension"],
                            "first_m": [0],
                            "last_m": [n_months - 1],
                            "amount": [float(countable)],
                            "employer": [None],
                        }
                    )
                )
                receivers = old["pid"].to_numpy()[1:]
            pension = math.ceil((1.06 - c) * std * n / len(receivers))
            self.new_streams.append(
                resident_pensions(
                    self.rng,
                    receivers,
                    birth,
                    n_months,
                    self.w.first_month,
                    np.full(len(receivers), float(pension)),
                )
            )
            rest = m[(m["age"] >= 60).to_numpy() & ~m["pid"].isin(old["pid"]).to_numpy()][
                "pid"
            ].to_numpy()
            self.new_streams.append(
                resident_pensions(self.rng, rest, birth, n_months, self.w.first_month)
            )
            self.declared[hh] = float(countable)
            detail = (
                f"countable {countable}/month, {countable / n:.2f} per capita "
                f"< standard {std:.0f}; "
                f"with {len(receivers)} resident pension(s) of {pension} it would be "
                f"{(countable + pension * len(receivers)) / n:.2f}"
            )
            self.record(hh, "resident_pension", detail, int(receivers[0]))

    def resident_pension_feasible(self) -> np.ndarray:
        hh = np.arange(self.n)
        std = self.w.standard_of(hh)
        receivers = np.where(self.n_able > 0, self.n_old, self.n_old - 1)
        ok = (self.n_old >= 1) & ((self.n_able > 0) | (self.n_old >= 2)) & (receivers >= 1)
        need = 0.26 * std * self.size / np.maximum(receivers, 1)
        return ok & (need <= MAX_RESIDENT_PENSION)

    def assets(self, hhs: list[int], code: str) -> None:
        """Deposits (and for some, securities or insurance) replacing the household's own.

        The last FINANCIAL_ASSETS_ABOVE_LIMIT household is over the limit only through its
        securities, the one before it only through the cash value of its life insurance;
        among the SAVINGS_JUST_UNDER households every third holds part of its total in
        securities and every third another part in insurance, so that each must be counted,
        and counted once."""
        for i, hh in enumerate(hhs):
            m = self.members(hh)
            limit = float(self.w.limit_of(np.array([hh]))[0])
            shares = policies = 0.0
            if code == "financial_assets_above_limit":
                total = float(self.rng.uniform(1.3, 3.0)) * limit
                if i >= len(hhs) - 2:
                    total = float(self.rng.uniform(1.3, 2.0)) * limit
                    rest = total - float(self.rng.uniform(0.5, 0.8)) * limit
                    if i == len(hhs) - 1:
                        shares = rest
                    else:
                        policies = rest
                k = self._accounts(hh, m, total - shares - policies, [0.4, 0.4, 0.2])
            else:
                total = float(self.rng.uniform(0.95, 0.995)) * limit
                if i % 3 == 2:
                    shares = float(self.rng.uniform(0.2, 0.5)) * total
                elif i % 3 == 1:
                    policies = float(self.rng.uniform(0.1, 0.4)) * total
                k = self._accounts(hh, m, total - shares - policies, [0.5, 0.5, 0.0])
                if i == 0:  # a repeated row here turns double counting into a false flag
                    acc = self.new_accounts[-1]
                    acc.loc[acc["balance"].idxmax(), "force_duplicate"] = True
            bal = self.new_accounts[-1]["balance"].sum()
            detail = f"deposits {bal:.2f} in {k} accounts"
            if shares > 0:
                n_sec = self._securities(m, shares)
                value = sum(r["market_value"] for r in self.new_securities[-n_sec:])
                detail += f", securities {value:.2f} in {n_sec} accounts, total {bal + value:.2f}"
            if policies > 0:
                n_pol = self._insurance(m, policies)
                value = sum(r["cash_value"] for r in self.new_insurance[-n_pol:])
                detail += (
                    f", insurance cash value {value:.2f} in {n_pol} policies, "
                    f"total {bal + value:.2f}"
                )
            self.record(hh, code, f"{detail}; limit {limit:.2f}")

    def vehicle(self, hhs: list[int], code: str) -> None:
        as_of = self.w.as_of
        for hh in hhs:
            m = self.members(hh)
            age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
            if code == "disabled_wheelchair":
                pid = self._pick_person(m, (cond == 1) & (age >= 18) & (age <= 80))
                vtype, status, lo = "disabled_wheelchair", "normal", "2012-01-01"
            elif code == "vehicle_owned":
                pid = self._pick_person(m, (age >= 18) & (age <= 75))
                vtype = "car" if self.rng.random() < 0.75 else "truck"
                status, lo = "normal", self._young_vehicle_from("2010-01-01")
            else:
                pid = self._pick_person(m, (age >= 18) & (age <= 75))
                vtype = str(self.rng.choice(["car", "truck", "motorcycle"], p=[0.6, 0.15, 0.25]))
                status = "scrapped" if self.rng.random() < 0.7 else "deregistered"
                lo = "2000-01-01"
            birth = self.w.persons["birth"].to_numpy()[[pid]]
            first = adult_dates(self.rng, birth, lo, as_of - np.timedelta64(30, "D"))[0]
            self.new_vehicles.append(
                {"pid": pid, "vehicle_type": vtype, "status": status, "first_registration": first}
            )
            self.record(hh, code, f"{vtype}, status {status}", pid)

    def _young_vehicle_from(self, lo: str) -> np.datetime64:
        """`lo`, or two years after the day from which a normal vehicle is doubtful by its
        age (dibao.vehicle_doubtful_age_years), whichever is later: a vehicle first registered
        from then on counts."""
        return max(np.datetime64(lo, "D"), self.w.vehicle_old_on + np.timedelta64(731, "D"))

    def business(self, hhs: list[int], code: str) -> None:
        p = self.w.persons
        wider_adults = np.flatnonzero(
            ~p["roster"].to_numpy()
            & ~p["applicant"].to_numpy()
            & (p["age"].to_numpy() >= 20)
            & (p["status"].to_numpy() == "normal")
        )
        for hh in hhs:
            m = self.members(hh)
            age = m["age"].to_numpy()
            pid = self._pick_person(m, (age >= 18) & (age <= 70))
            company = self.rng.random() < 0.6
            etype = "company" if company else "individual"
            role = (
                ("legal_rep" if self.rng.random() < 0.6 else "investor") if company else "legal_rep"
            )
            if code == "active_business":
                status = "active"
            else:
                status = "revoked" if self.rng.random() < 0.55 else "cancelled"
            eid = self.next_eid
            self.next_eid += 1
            capital = round(
                float(self.rng.lognormal(np.log(300_000 if company else 30_000), 0.8)), -3
            )
            self.new_entities.append(
                {
                    "eid": eid,
                    "entity_type": etype,
                    "status": status,
                    "registered_capital": max(capital, 10_000.0),
                    "region_code": str(m["region_code"].iat[0]),
                    "owner_pid": pid,
                }
            )
            self.new_roles.append({"eid": eid, "pid": pid, "role": role})
            if company:
                others = self.rng.choice(wider_adults, int(self.rng.integers(1, 3)), replace=False)
                if role == "investor":  # somebody else represents the company
                    self.new_roles.append({"eid": eid, "pid": int(others[0]), "role": "legal_rep"})
                for o in others:
                    self.new_roles.append({"eid": eid, "pid": int(o), "role": "investor"})
            self.record(hh, code, f"{etype}, role {role}, status {status}", pid)

    def state_payroll_member(self, hhs: list[int]) -> None:
        """A member paid from the budget in the last months before the month checked.

        The wage is registered (social insurance) too, but short enough that the household's
        per-capita income stays under 60 % of the standard: only the payroll rule catches it."""
        pol = self.w.policy
        for hh in hhs:
            m = self.members(hh)
            n = len(m)
            std = float(self.w.standard_of(np.array([hh]))[0])
            pid = self._earner(m)
            self.drop_streams.append(m["pid"].to_numpy())
            wage = float(self.rng.integers(360, 461)) * 10
            months = max(1, int(min(6, math.floor(0.6 * std * n * pol.lookback / wage))))
            employer = str(self.state_funded[int(self.rng.integers(0, len(self.state_funded)))])
            self._wage(pid, wage * months, months, employer)
            first = self.w.months[len(self.w.months) - months]
            detail = (
                f"on the state payroll of {employer} from {first} to {self.w.months[-1]} "
                f"({months} months, wage {wage:.0f}); per capita "
                f"{wage * months / pol.lookback / n:.2f} < standard {std:.0f}"
            )
            self.record(hh, "state_payroll_member", detail, pid)

    def old_provident_fund(self, hhs: list[int]) -> None:
        """An account of a former employer, sealed or closed years ago: not income now."""
        first = np.datetime64(self.w.months[0], "M")
        birth = self.w.persons["birth"].to_numpy().astype("datetime64[D]")
        rates = load_yaml("economy.yaml")["provident_fund"]["rate"]
        for hh in hhs:
            m = self.members(hh)
            age = m["age"].to_numpy()
            pid = self._pick_person(m, (age >= 30) & (age <= 80))
            k = 2 if self.rng.random() < 0.25 else 1
            details = []
            for _ in range(k):
                status = "sealed" if self.rng.random() < 0.6 else "closed"
                employer = str(
                    self.w.employer_pool[int(self.rng.integers(len(self.w.employer_pool)))]
                )
                last = old_month(self.rng, birth[[pid]], first - 36)[0]
                self.new_provident.append(
                    {
                        "pid": pid,
                        "employer": employer,
                        "base": float(round(self.rng.uniform(1500, 3200))),
                        "rate": float(self.rng.choice(rates)),
                        "status": status,
                        "last_paid": last,
                    }
                )
                details.append(f"{status}, last paid {last} ({employer})")
            self.record(hh, "old_provident_fund", "; ".join(details), pid)

    # ---- known false-positive patterns (DOMAIN §4): "verify", never a violation ---------
    def stale_vehicle(self, hhs: list[int]) -> None:
        """STALE_VEHICLE: the household's only vehicle is a car overdue for inspection, one
        due for scrapping, or one registered as normal but first registered 16 to 22 years
        before the month (in turn): doubtful, so it does not count and VEHICLE_OWNED does not
        hold, but it is raised to verify. Owners are aged 40 to 80."""
        w = self.w
        start = w.cfg.month_start
        old_on = w.vehicle_old_on
        years = w.policy.vehicle_doubtful_age

        def years_before(n: int) -> np.datetime64:
            return np.datetime64(start.replace(year=start.year - n).isoformat(), "D")

        doubtful = w.policy.vehicle_doubtful
        for i, hh in enumerate(hhs):
            m = self.members(hh)
            age = m["age"].to_numpy()
            pid = self._pick_person(m, (age >= 40) & (age <= 80))
            variant = i % 3
            if variant == 0:
                status = "overdue_inspection" if "overdue_inspection" in doubtful else doubtful[0]
                lo, hi = years_before(years + 5), w.as_of - np.timedelta64(2 * 366, "D")
            elif variant == 1:
                status = "scrap_due" if "scrap_due" in doubtful else doubtful[-1]
                lo, hi = years_before(years + 7), old_on + np.timedelta64(3 * 365, "D")
            else:
                status = "normal"
                lo, hi = years_before(years + 7), years_before(years + 1)
            birth = w.persons["birth"].to_numpy()[[pid]]
            first = adult_dates(self.rng, birth, lo, hi)[0]
            self.new_vehicles.append(
                {"pid": pid, "vehicle_type": "car", "status": status, "first_registration": first}
            )
            detail = f"car, status {status}, first registered {first}"
            if status == "normal":
                detail += f" ({years} years or more before {w.cfg.month}: doubtful by its age)"
            self.record(hh, "stale_vehicle", detail + "; no other vehicle", pid)

    def dormant(self, hhs: list[int], code: str) -> None:
        """DORMANT_ACCOUNT: accounts moved in the last three months holding 30–60 % of the
        limit and one without a transaction for 3–8 years taking the total to 120–170 % of it
        (dibao.dormant_account_months); DORMANT_SMALL: 15–40 % active, 50–80 % in all. They
        replace the household's accounts, securities and insurance; the dormant account is
        held by a member aged 30 or more."""
        w = self.w
        start = w.cfg.month_start
        birth = w.persons["birth"].to_numpy()
        if code == "dormant_account":
            active_share, total_share = (0.3, 0.6), (1.2, 1.7)
        else:
            active_share, total_share = (0.15, 0.4), (0.5, 0.8)
        for hh in hhs:
            m = self.members(hh)
            limit = float(w.limit_of(np.array([hh]))[0])
            active = float(self.rng.uniform(*active_share)) * limit
            total = float(self.rng.uniform(*total_share)) * limit
            adults = m[(m["age"] >= 18).to_numpy()]
            k = int(self.rng.integers(1, 4))
            owners = self.rng.choice((adults if len(adults) else m)["pid"].to_numpy(), k)
            split = self.rng.dirichlet(np.full(k, 2.0)) if k > 1 else np.array([1.0])
            bal = np.floor(split * active * 100) / 100
            kinds = self.rng.choice(["demand", "time"], k, p=[0.7, 0.3])
            holder = self._pick_person(m, (m["age"] >= 30).to_numpy())
            dormant = math.floor((total - bal.sum()) * 100) / 100
            last = adult_dates(
                self.rng,
                birth[[holder]],
                np.datetime64(start.replace(year=start.year - 8).isoformat(), "D"),
                np.datetime64(start.replace(year=start.year - 3).isoformat(), "D"),
            )[0]
            urban = np.full(k + 1, bool(w.households["urban"].iat[hh]))
            self.drop_accounts.append(hh)
            self.new_accounts.append(
                pd.DataFrame(
                    {
                        "pid": np.append(owners, holder),
                        "account_type": np.append(
                            kinds, "demand" if self.rng.random() < 0.6 else "time"
                        ),
                        "balance": np.append(bal, dormant),
                        "bank": pick_banks(self.rng, urban),
                        "force_duplicate": False,
                        "last_activity": np.append(self._recent(k), last).astype("datetime64[D]"),
                    }
                )
            )
            self.record(
                hh,
                code,
                f"deposits {bal.sum():.2f} in {k} active accounts ({bal.sum() / limit:.0%} of "
                f"the limit); {dormant:.2f} in an account without a transaction since {last} "
                f"(dormant), {(bal.sum() + dormant) / limit:.0%} of the limit in all; "
                f"limit {limit:.2f}",
                holder,
            )

    def provident(self, hhs: list[int], code: str) -> None:
        """PROVIDENT_WITHOUT_WAGE: a member aged 22 to 59 able to work holds an active
        account of a company, paid in one of the last three months of the look-back, and no
        wage of theirs is registered (their wage streams go). OLD_EMPLOYER_FUND: a member
        aged 30 to 80 holds an account of a former employer still marked active, last paid
        37 months or more before the month checked (outside the look-back)."""
        w = self.w
        birth = w.persons["birth"].to_numpy().astype("datetime64[D]")
        rates = load_yaml("economy.yaml")["provident_fund"]["rate"]
        checked = np.datetime64(w.cfg.month, "M")
        for hh in hhs:
            m = self.members(hh)
            age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
            if code == "provident_without_wage":
                pid = self._pick_person(m, (age >= 22) & (age < 60) & (cond != 1))
                last = w.months[-1 - int(self.rng.choice(3, p=[0.6, 0.25, 0.15]))]
                employer = str(self.companies[int(self.rng.integers(0, len(self.companies)))])
                self.drop_streams.append(np.array([pid]))
                detail = (
                    f"active account at {employer}, last paid {last}; no wage registered in "
                    f"the {w.policy.lookback} months before {w.cfg.month}"
                )
            else:
                pid = self._pick_person(m, (age >= 30) & (age <= 80))
                last = str(old_month(self.rng, birth[[pid]], checked - 37)[0])
                employer = str(w.employer_pool[int(self.rng.integers(len(w.employer_pool)))])
                detail = (
                    f"account at {employer} still active, last paid {last}, before the "
                    f"{w.policy.lookback}-month look-back"
                )
            self.new_provident.append(
                {
                    "pid": pid,
                    "employer": employer,
                    "base": float(round(self.rng.uniform(1800, 3600))),
                    "rate": float(self.rng.choice(rates)),
                    "status": "active",
                    "last_paid": last,
                }
            )
            self.record(hh, code, detail, pid)

    # ---- applications ------------------------------------------------------------------
    def applications(self) -> None:
        """A few applicant households fail a test; every other one is eligible."""
        ap = self.ap
        app_hh = np.array(sorted(self.ap_by_hh), dtype=np.int64)
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
            k = min(self.w.cfg.planted_count(code), int(free.sum()) - 1)
            cand = np.flatnonzero(masks[code] & free)
            k = max(0, min(k, len(cand)))
            chosen = np.sort(self.rng.choice(cand, k, replace=False)) if k else cand[:0]
            free[chosen] = False
            for h in app_hh[chosen]:
                getattr(self, f"_{code}")(int(h))
        for h in app_hh[free]:
            m = self.members(int(h))
            std = float(self.w.standard_of(np.array([h]))[0])
            self.record_application(
                int(h), "applicant_eligible", f"{len(m)} members; standard {std:.0f}", None
            )

    def _applicant_vehicle_owned(self, hh: int) -> None:
        m = self.members(hh)
        age = m["age"].to_numpy()
        pid = self._pick_person(m, (age >= 18) & (age <= 75))
        vtype = "car" if self.rng.random() < 0.8 else "truck"
        birth = self.w.persons["birth"].to_numpy()[[pid]]
        last = self.w.as_of - np.timedelta64(30, "D")
        first = adult_dates(self.rng, birth, self._young_vehicle_from("2012-01-01"), last)[0]
        self.new_vehicles.append(
            {"pid": pid, "vehicle_type": vtype, "status": "normal", "first_registration": first}
        )
        self.record_application(hh, "applicant_vehicle_owned", f"{vtype}, status normal", pid)

    def _applicant_assets_above_limit(self, hh: int) -> None:
        m = self.members(hh)
        limit = float(self.w.limit_of(np.array([hh]))[0])
        total = float(self.rng.uniform(1.3, 3.0)) * limit
        k = self._accounts(hh, m, total, [0.4, 0.4, 0.2])
        bal = self.new_accounts[-1]["balance"].sum()
        owner = int(
            self.new_accounts[-1]["pid"].iat[int(self.new_accounts[-1]["balance"].argmax())]
        )
        self.record_application(
            hh,
            "applicant_assets_above_limit",
            f"deposits {bal:.2f} in {k} accounts; limit {limit:.2f}",
            owner,
        )

    def _applicant_income_above_standard(self, hh: int) -> None:
        pol = self.w.policy
        m = self.members(hh)
        n = len(m)
        std = float(self.w.standard_of(np.array([hh]))[0])
        age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
        earner = self._pick_person(m, (age >= 18) & (age < 60) & (cond == 0))
        self.drop_streams.append(m["pid"].to_numpy())
        total = float(self.rng.uniform(1.3, 1.9)) * std * n * pol.lookback
        months = int(self.rng.integers(8, pol.lookback + 1))
        if total / months < MIN_WAGE_BASE:
            total = MIN_WAGE_BASE * months
        amount, months = self._wage(earner, total, months)
        # They declare only what the registries do not see.
        self.declared[hh] = float(round(self.rng.uniform(0.1, 0.4) * std * n))
        per_capita = amount * months / pol.lookback / n
        self.record_application(
            hh,
            "applicant_income_above_standard",
            f"wage {amount:.2f} x {months} months; per capita {per_capita:.2f} > standard "
            f"{std:.0f}; declared {self.declared[hh]:.0f} per month",
            earner,
        )

    def declared_income(self, hhs: list[int], code: str) -> None:
        """A wage registered for one member; the household declares less than it.

        INCOME_UNDER_DECLARED: the registered monthly income exceeds the declared one by at
        least 15 % more than the tolerance, max(amount, ratio × declared); every third
        declares nothing. DECLARED_WITHIN_TOLERANCE: by 30–85 % of the tolerance; every other
        one declares so little that the gap, within the amount, is beyond what the ratio
        alone allows (an engine forgetting the amount flags it). Either way per-capita income
        stays under 75 % of the standard: no other rule fires."""
        pol = self.w.policy
        amount_tol, ratio_tol = pol.declared_tolerance_amount, pol.declared_tolerance_ratio
        for i, hh in enumerate(hhs):
            m = self.members(hh)
            n = len(m)
            std = float(self.w.standard_of(np.array([hh]))[0])
            earner = self._earner(m)
            self.drop_streams.append(m["pid"].to_numpy())
            small_gap = code == "declared_within_tolerance" and i % 2 == 0
            if small_gap:  # a gap within the amount, declared below amount / ratio
                gap = float(self.rng.uniform(0.6, 0.85)) * amount_tol
                most = min(gap / (1.15 * ratio_tol), 0.75 * std * n - gap)
                target = float(self.rng.uniform(0.3, 0.9)) * most + gap
            else:
                target = float(self.rng.uniform(0.45, 0.75)) * std * n
            total = target * pol.lookback
            amount, months = self._wage(earner, total, int(total // MIN_WAGE_BASE))
            registered = amount * months / pol.lookback
            if code == "income_under_declared":
                ceiling = min(registered - 1.15 * amount_tol, registered / (1 + 1.15 * ratio_tol))
                share = 0.0 if i % 3 == 0 else float(self.rng.uniform(0.2, 0.9))
                declared = float(math.floor(share * ceiling / 10) * 10)
            elif small_gap:
                declared = float(math.ceil(registered - gap))
            else:
                f = float(self.rng.uniform(0.3, 0.85))
                declared = registered - f * amount_tol
                if declared * ratio_tol > amount_tol:  # the ratio is the tolerance
                    declared = registered / (1 + f * ratio_tol)
                declared = float(math.ceil(declared))
            self.declared[hh] = declared
            tolerance = max(amount_tol, ratio_tol * declared)
            self.record(
                hh,
                code,
                f"wage {amount:.2f} x {months} months: registered {registered:.2f} per month, "
                f"{registered / n:.2f} per capita < standard {std:.0f}; declared {declared:.0f}, "
                f"{registered - declared:.2f} below, tolerance {tolerance:.2f}",
                earner,
            )

    def custody_member(self, hhs: list[int]) -> None:
        for hh in hhs:
            m = self.members(hh)
            age = m["age"].to_numpy()
            pid = self._pick_person(m, (age >= 20) & (age <= 60), prefer_male=True)
            self._custody(pid)
            self.record(
                hh, "custody_member", f"held; {len(m) - 1} of {len(m)} members counted", pid
            )

    # ---- applying the plan -------------------------------------------------------------
    def apply(self) -> None:
        w = self.w
        s = w.streams
        drop_wage = np.concatenate(self.drop_streams) if self.drop_streams else np.array([], int)
        drop_all = (
            np.concatenate(self.drop_all_streams) if self.drop_all_streams else np.array([], int)
        )
        keep = ~((s["kind"].eq("wage") & s["pid"].isin(drop_wage)) | s["pid"].isin(drop_all))
        w.streams = pd.concat([s[keep], *self.new_streams], ignore_index=True)
        w.streams["payroll"] = w.streams["payroll"].eq(True).to_numpy()
        acc = w.accounts
        hh_of = w.persons["hh"].to_numpy()
        dropped = np.array(self.drop_accounts, dtype=int)
        keep = ~np.isin(hh_of[acc["pid"].to_numpy()], dropped)
        w.accounts = pd.concat([acc[keep], *self.new_accounts], ignore_index=True)
        if "last_activity" not in w.accounts:  # a world built without build_world
            w.accounts["last_activity"] = NAT
        last = w.accounts["last_activity"].to_numpy().astype("datetime64[D]")
        unset = np.isnat(last)
        last[unset] = self._recent(int(unset.sum()))
        # nobody moves money after their death (a planted death is recent: never dormant)
        death = (
            w.persons["death_date"]
            .to_numpy()
            .astype("datetime64[D]")[w.accounts["pid"].to_numpy().astype(np.int64)]
        )
        w.accounts["last_activity"] = np.where(np.isnat(death), last, np.minimum(last, death))
        sec = w.securities
        keep = ~np.isin(hh_of[sec["pid"].to_numpy()], dropped)
        parts = [sec[keep]]
        if self.new_securities:
            parts.append(pd.DataFrame(self.new_securities, columns=sec.columns))
        w.securities = pd.concat(parts, ignore_index=True)
        ins = w.insurance
        keep = ~np.isin(hh_of[ins["pid"].to_numpy()], dropped)
        parts = [ins[keep]]
        if self.new_insurance:
            parts.append(pd.DataFrame(self.new_insurance, columns=ins.columns))
        w.insurance = pd.concat(parts, ignore_index=True)
        if self.new_provident:
            w.provident = pd.concat(
                [w.provident, pd.DataFrame(self.new_provident)], ignore_index=True
            )
        if self.new_vehicles:
            w.vehicles = pd.concat([w.vehicles, pd.DataFrame(self.new_vehicles)], ignore_index=True)
        if self.new_entities:
            w.entities = pd.concat([w.entities, pd.DataFrame(self.new_entities)], ignore_index=True)
            w.roles = pd.concat([w.roles, pd.DataFrame(self.new_roles)], ignore_index=True)
        if self.new_custody:
            w.custody = pd.concat([w.custody, pd.DataFrame(self.new_custody)], ignore_index=True)
        w.persons.loc[[p["pid"] for p in self.new_custody], "in_custody"] = True
        estate.apply(self)
        declared = np.full(len(w.households), np.nan)
        for hh, value in self.declared.items():
            declared[hh] = value
        w.households["declared_override"] = declared


def plant(world: World, rng: np.random.Generator) -> None:
    """Choose households, plant every code at its configured rate, record it in world.planted.

    The most demanding codes choose first, from households whose members make them possible.
    """
    pl = Planter(world, rng)
    count = {code: world.cfg.planted_count(code) for code in PROBLEMS + LOOKALIKES}
    n_income = count["income_above_standard"]
    n_variant = max(1, n_income // 4) if n_income >= 2 else 0
    variant = pl.choose(
        np.isin(pl.size, (2, 3)) & (pl.n_able >= 2) & (pl.n_able_20 >= 1), n_variant
    )
    pl.income_above_standard(variant, custody_variant=True)
    pl.resident_pension(pl.choose(pl.resident_pension_feasible(), count["resident_pension"]))
    pl.vehicle(pl.choose(pl.n_disabled >= 1, count["disabled_wheelchair"]), "disabled_wheelchair")
    pl.custody_member(pl.choose((pl.size >= 2) & (pl.n_custody >= 1), count["custody_member"]))
    pl.income_above_standard(
        pl.choose(pl.n_able >= 1, n_income - len(variant)), custody_variant=False
    )
    pl.deceased_member(pl.choose(pl.size >= 1, count["deceased_member"]))
    for code in ("financial_assets_above_limit", "savings_just_under"):
        pl.assets(pl.choose(pl.n_adult >= 1, count[code]), code)
    for code in ("vehicle_owned", "scrapped_car"):
        pl.vehicle(pl.choose(pl.n_adult_75 >= 1, count[code]), code)
    for code in ("active_business", "revoked_business"):
        pl.business(pl.choose(pl.n_adult_70 >= 1, count[code]), code)
    pl.state_payroll_member(
        pl.choose((pl.size >= 2) & (pl.n_able_20 >= 1), count["state_payroll_member"])
    )
    pl.old_provident_fund(pl.choose(pl.n_adult_30_80 >= 1, count["old_provident_fund"]))
    for code in ("income_under_declared", "declared_within_tolerance"):
        pl.declared_income(pl.choose((pl.size >= 2) & (pl.n_able_20 >= 1), count[code]), code)
    homes = estate.feasible(pl)
    for code in ("housing_above_limit", "sold_home_cancelled", "two_small_homes"):
        estate.second_home(pl, pl.choose(homes[code], count[code]), code)
    for code in ("commercial_property", "parking_space"):
        estate.other_property(pl, pl.choose(homes[code], count[code]), code)
    enrolments.duplicate_enrolment(pl, count["duplicate_enrolment"])
    enrolments.namesakes(pl, count["namesake_other_household"])
    pl.applications()
    # the known false-positive patterns last, so that the codes above stay as they were
    pl.stale_vehicle(pl.choose(pl.n_adult_40_80 >= 1, count["stale_vehicle"]))
    for code in ("dormant_account", "dormant_small"):
        pl.dormant(pl.choose(pl.n_adult_30_80 >= 1, count[code]), code)
    pl.provident(
        pl.choose(pl.n_able_22 >= 1, count["provident_without_wage"]), "provident_without_wage"
    )
    pl.provident(pl.choose(pl.n_adult_30_80 >= 1, count["old_employer_fund"]), "old_employer_fund")
    homes = estate.feasible(pl)
    for code in ("deceased_coowner", "living_coowner"):
        estate.coowned_home(pl, pl.choose(homes[code], count[code]), code)
    elsewhere = identity.not_in_hukou_feasible(pl)
    identity.not_in_hukou(pl, pl.choose(elsewhere, count["not_in_hukou"]))
    identity.id_name_conflict(pl, pl.choose(pl.n_adult >= 1, count["id_name_conflict"]))
    identity.tekun(pl, count["tekun_and_dibao"])
    marriage.plant(pl, count["undeclared_spouse"], count["divorced_spouse"], count["spouse_deceased"])
    # 漏保 leads in the wider population, once every other plan has chosen its people
    outreach.plant(pl, world.cfg.planted_count("possibly_eligible"), world.cfg.planted_count("needy_not_poor"))
    pl.apply()
