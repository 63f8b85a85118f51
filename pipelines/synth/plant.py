"""Planted problems and look-alikes on chosen roster households, recorded as ground truth.

Every amount is derived from the policy parameters of the month checked (the standard, the
asset months, the look-back), with clear margins: a problem is at least 15 % beyond its
threshold, a look-alike stays clear of it unless it is SAVINGS_JUST_UNDER, which sits at
95–99.5 % of the limit on purpose. Each household carries at most one planted code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.synth.assets import adult_dates, pick_banks
from pipelines.synth.config import LOOKALIKES, PROBLEMS
from pipelines.synth.income import resident_pensions
from pipelines.synth.world import World

NAT = np.datetime64("NaT", "D")
MIN_WAGE_BASE = 3600  # lowest contribution base used for a planted wage (yuan per month)
# A residents' basic pension above this would not be credible (yuan per month).
MAX_RESIDENT_PENSION = 450


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
        self.declared: dict[int, float] = {}
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

    def members(self, hh: int) -> pd.DataFrame:
        return self.rp.iloc[self.by_hh[hh]]

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
            }
        )

    # ---- helpers -----------------------------------------------------------------------
    def _pick_person(self, m: pd.DataFrame, mask: np.ndarray, prefer_male=False) -> int:
        cand = m[mask]
        if prefer_male and cand["male"].any():
            cand = cand[cand["male"]]
        return int(cand["pid"].iat[int(self.rng.integers(0, len(cand)))])

    def _wage(self, pid: int, total: float, months: int) -> tuple[float, int]:
        """A wage spell ending in the last extract month, paying `total` over the window."""
        months = max(1, min(months, self.w.policy.lookback))
        amount = total / months
        n_months = len(self.w.months)
        self.new_streams.append(
            pd.DataFrame(
                {
                    "pid": [pid],
                    "kind": ["wage"],
                    "first_m": [n_months - months],
                    "last_m": [n_months - 1],
                    "amount": [amount],
                    "employer": [
                        self.w.employer_pool[int(self.rng.integers(0, len(self.w.employer_pool)))]
                    ],
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
        for i, hh in enumerate(hhs):
            m = self.members(hh)
            limit = float(self.w.limit_of(np.array([hh]))[0])
            if code == "financial_assets_above_limit":
                total = float(self.rng.uniform(1.3, 3.0)) * limit
                k = self._accounts(hh, m, total, [0.4, 0.4, 0.2])
            else:
                total = float(self.rng.uniform(0.95, 0.995)) * limit
                k = self._accounts(hh, m, total, [0.5, 0.5, 0.0])
                if i == 0:  # a repeated row here turns double counting into a false flag
                    acc = self.new_accounts[-1]
                    acc.loc[acc["balance"].idxmax(), "force_duplicate"] = True
            bal = self.new_accounts[-1]["balance"].sum()
            self.record(hh, code, f"deposits {bal:.2f} in {k} accounts; limit {limit:.2f}")

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
                status, lo = "normal", "2010-01-01"
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

    def business(self, hhs: list[int], code: str) -> None:
        p = self.w.persons
        wider_adults = np.flatnonzero(
            ~p["roster"].to_numpy()
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
        acc = w.accounts
        hh_of = w.persons["hh"].to_numpy()
        keep = ~np.isin(hh_of[acc["pid"].to_numpy()], np.array(self.drop_accounts, dtype=int))
        w.accounts = pd.concat([acc[keep], *self.new_accounts], ignore_index=True)
        if self.new_vehicles:
            w.vehicles = pd.concat([w.vehicles, pd.DataFrame(self.new_vehicles)], ignore_index=True)
        if self.new_entities:
            w.entities = pd.concat([w.entities, pd.DataFrame(self.new_entities)], ignore_index=True)
            w.roles = pd.concat([w.roles, pd.DataFrame(self.new_roles)], ignore_index=True)
        if self.new_custody:
            w.custody = pd.concat([w.custody, pd.DataFrame(self.new_custody)], ignore_index=True)
        w.persons.loc[[p["pid"] for p in self.new_custody], "in_custody"] = True
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
    pl.apply()
