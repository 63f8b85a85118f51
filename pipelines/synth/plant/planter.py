"""The plan the planters add to: the roster households still free, their features, what to change.

A planter (one per case kind, see `table.py`) chooses households through the `Planter`, adds
wages, accounts, vehicles and the like to its lists, and records each planted case as ground
truth; `apply()` then changes the world at once. The building blocks two or more planters use
(a wage, custody, accounts, securities, insurance) live here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth import estate
from pipelines.synth.assets import adult_dates, pick_banks
from pipelines.synth.config import PROBLEMS
from pipelines.synth.income import companies, is_state_funded
from pipelines.synth.tables import load_yaml
from pipelines.synth.world import World

NAT = np.datetime64("NaT", "D")
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

    def planted(self, code: str) -> int:
        """Households planted with `code` so far."""
        return sum(1 for r in self.w.planted if r["code"] == code.upper())

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

    # ---- building blocks of the planters -------------------------------------------------
    def pick_person(self, m: pd.DataFrame, mask: np.ndarray, prefer_male=False) -> int:
        cand = m[mask]
        if prefer_male and cand["male"].any():
            cand = cand[cand["male"]]
        return int(cand["pid"].iat[int(self.rng.integers(0, len(cand)))])

    def earner(self, m: pd.DataFrame) -> int:
        """A member of working age able to work, a healthy one when there is one."""
        age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
        able = (age >= 20) & (age < 60) & (cond != 1)
        healthy = able & (cond == 0)
        return self.pick_person(m, healthy if healthy.any() else able)

    def add_wage(
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

    def hold_in_custody(self, pid: int) -> None:
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

    def add_securities(self, m: pd.DataFrame, total: float) -> int:
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

    def add_insurance(self, m: pd.DataFrame, total: float) -> int:
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

    def replace_accounts(self, hh: int, m: pd.DataFrame, total: float, kinds_p) -> int:
        """Two to four deposits worth `total` in all, held by adults, in place of the
        household's accounts (its securities and insurance go too); returns how many."""
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

    def recent_dates(self, k: int) -> np.ndarray:
        """Dates of a last transaction within the three months before the extract."""
        days = self.rng.integers(0, RECENT_ACTIVITY_DAYS + 1, k).astype("timedelta64[D]")
        return (self.w.as_of - days).astype("datetime64[D]")

    def young_vehicle_from(self, lo: str) -> np.datetime64:
        """`lo`, or two years after the day from which a normal vehicle is doubtful by its
        age (dibao.vehicle_doubtful_age_years), whichever is later: a vehicle first registered
        from then on counts."""
        return max(np.datetime64(lo, "D"), self.w.vehicle_old_on + np.timedelta64(731, "D"))

    # ---- applying the plan -------------------------------------------------------------
    def apply(self) -> None:
        """Change the world as planned: streams, accounts, assets, vehicles, firms, custody,
        homes and the income each household declares."""
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
        last[unset] = self.recent_dates(int(unset.sum()))
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
