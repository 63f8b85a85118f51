"""漏保 leads planted in the wider population, for the outreach screen (pipelines/flags/outreach.py).

POSSIBLY_ELIGIBLE (kind "outreach"): a 户籍 household of the wider population, neither on the
roster nor applying, with a member holding a disability certificate of grade 1 or 2, income
per capita at most 45 % of the standard, deposits at 5–40 % of the asset limit (its
securities and insurance gone), at most its own home, no vehicle, no business. The screen
must list it.
NEEDY_NOT_POOR (kind "outreach_lookalike"): the same kind of household, as needy-looking,
that the rules keep out, in turn: a member's wage putting income per capita at 1.6–2.2 × the
standard (households with an able adult), or a car in normal status registered in the last
six years. The screen must not list it.

Chosen among households whose members are all living and registered, never held, hold no
role in a business, no vehicle, no provident-fund account (it would have no wage beside it),
at most one current home and no commercial property, and that no other plan touches (roster
plans' co-investors, co-owners, spouses, 特困 enrolments, protected people); households with a member already
disabled first, so that the certificate fits the person. Income: every stream of the members
goes; those aged 60 or more get the residents' pension back, and every other POSSIBLY_ELIGIBLE
household with an able adult a short wage inside its budget.

The certificates: the disability registry draws who of the disabled holds one and of which
grade; `world.outreach_certificates` (pid → grade, attached at run time: World declares no
such field) pins the planted ones, and `planted_certificates`, called by
registries.disability after its draws, applies them, so that nobody else's certificate
changes. The planted people join `world.protected_pids` (their records keep a valid ID, and
later plans leave them alone); their `household_id` in truth/planted.parquet is the screen's
key, "HK" + 户号; `person_key` the certificate holder's key in the screen, "HK" + 户号 + "-" +
the member's number there (head first, then by birth date and ID).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.synth.assets import adult_dates
from pipelines.synth.income import MIN_WAGE_BASE, resident_pensions
from pipelines.synth.tables import load_yaml
from pipelines.synth.world import World

CODE, LOOKALIKE = "POSSIBLY_ELIGIBLE", "NEEDY_NOT_POOR"
KIND, LOOKALIKE_KIND = "outreach", "outreach_lookalike"
KEY_PREFIX = "HK"  # pipelines/flags/outreach.py: household_id = "HK" + 户号
INCOME_SHARE = (0.1, 0.45)  # POSSIBLY_ELIGIBLE: countable income per capita / standard
LOOKALIKE_INCOME = (1.6, 2.2)  # NEEDY_NOT_POOR: per capita / standard
ASSET_SHARE = (0.05, 0.4)  # deposits / the asset limit
MAX_RESIDENT_PENSION = 260  # economy.yaml resident_pension max: a pension planted is at most this
CAR_YEARS = 6  # a planted car was first registered within this many years
MAX_SIZE = 6


def household_key(hukou_no: str) -> str:
    """The screen's key of a 户籍 household."""
    return f"{KEY_PREFIX}{hukou_no}"


def _used_pids(pl) -> np.ndarray:
    """People another plan already uses (their households are left alone)."""
    w = pl.w
    lists = [pl.new_roles, pl.new_vehicles, pl.new_homes, pl.new_custody, pl.new_securities,
             pl.new_insurance, pl.new_provident]
    used = [np.array([r["pid"] for rows in lists for r in rows], dtype=np.int64)]
    used += [np.asarray(s["pid"], dtype=np.int64) for s in pl.new_streams]
    used += [np.asarray(a["pid"], dtype=np.int64) for a in pl.new_accounts]
    used.append(np.asarray(list(getattr(pl, "coowners_used", ())), dtype=np.int64))
    used.append(np.asarray(getattr(w, "protected_pids", []), dtype=np.int64))
    marriages = getattr(w, "marriages", None)
    if marriages is not None and len(marriages):
        used.append(marriages[["husband", "wife"]].to_numpy().astype(np.int64).ravel())
    if len(w.enrolments):
        used.append(w.enrolments["pid"].to_numpy().astype(np.int64))
    tekun = getattr(w, "tekun", None)  # 特困 enrolments of the wider population (identity.py)
    if tekun is not None and len(tekun):
        used.append(tekun["pid"].to_numpy().astype(np.int64))
    if "hukou_elsewhere" in w.persons:  # not in the hukou extract (identity.py)
        used.append(np.flatnonzero(w.persons["hukou_elsewhere"].fillna(False).to_numpy().astype(bool)))
    return np.concatenate(used)


def feasible(pl) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per world household: may be planted; has a disabled member; has an able adult."""
    w = pl.w
    p, hh_df = w.persons, w.households
    n_hh = len(hh_df)
    hh = p["hh"].to_numpy()
    age, cond = p["age"].to_numpy(), p["condition"].to_numpy()
    bad = (
        (p["status"].to_numpy() != "normal")
        | p["death_date"].notna().to_numpy()
        | p["cremation_date"].notna().to_numpy()
        | p["in_custody"].to_numpy()
        | p["pid"].isin(w.custody["pid"]).to_numpy()
        | p["pid"].isin(w.roles["pid"]).to_numpy()
        | p["pid"].isin(w.vehicles["pid"]).to_numpy()
        | p["pid"].isin(w.provident["pid"]).to_numpy()
    )
    bad[_used_pids(pl)] = True
    bad_hh = np.bincount(hh[bad], minlength=n_hh) > 0
    h = w.homes[w.homes["status"] == "current"].drop_duplicates(["cert", "pid"])
    h_hh = hh[h["pid"].to_numpy().astype(np.int64)]
    certs = pd.DataFrame({"hh": h_hh, "cert": h["cert"].to_numpy(), "use": h["use"].to_numpy()})
    certs = certs.drop_duplicates(["hh", "cert"])
    residential = certs["use"].isin(w.policy.residential_uses).to_numpy()
    commercial = certs["use"].isin(w.policy.commercial_uses).to_numpy()
    homes = np.bincount(certs["hh"].to_numpy()[residential], minlength=n_hh)
    shops = np.bincount(certs["hh"].to_numpy()[commercial], minlength=n_hh)
    size = hh_df["size"].to_numpy()
    applicant = hh_df["applicant"].to_numpy() if "applicant" in hh_df else np.zeros(n_hh, bool)
    ok = (
        ~hh_df["roster"].to_numpy() & ~applicant & ~bad_hh
        & (homes <= 1) & (shops == 0) & (size <= MAX_SIZE)
    )
    disabled = np.bincount(hh[cond == 1], minlength=n_hh) > 0
    able = np.bincount(hh[(age >= 18) & (age < 60) & (cond != 1)], minlength=n_hh) > 0
    return ok, disabled, able


def _choose(rng, ok: np.ndarray, prefer: np.ndarray, k: int) -> np.ndarray:
    """k households of `ok`, those of `prefer` first; `ok` is updated in place."""
    chosen = []
    for mask in (ok & prefer, ok & ~prefer):
        cand = np.flatnonzero(mask)
        take = min(k - len(chosen), len(cand))
        if take > 0:
            chosen.extend(rng.choice(cand, take, replace=False).tolist())
    out = np.sort(np.array(chosen, dtype=np.int64))
    ok[out] = False
    return out


class _Planting:
    """What planting one household needs: the world, the Planter and the certificates."""

    def __init__(self, pl):
        self.pl, self.w, self.rng = pl, pl.w, pl.rng
        p = self.w.persons
        self.birth = p["birth"].to_numpy().astype("datetime64[D]")
        self.by_hh = p.groupby("hh").indices
        if not hasattr(self.w, "outreach_certificates"):
            self.w.outreach_certificates = {}

    def members(self, hh: int) -> pd.DataFrame:
        return self.w.persons.iloc[self.by_hh[hh]]

    def certificate(self, m: pd.DataFrame) -> tuple[int, int]:
        """A grade 1 or 2 certificate for a disabled member (any member if none is)."""
        disabled = m[m["condition"].to_numpy() == 1]
        pool = disabled if len(disabled) else m
        pid = int(pool["pid"].iat[int(self.rng.integers(0, len(pool)))])
        grade = int(self.rng.integers(1, 3))
        self.w.outreach_certificates[pid] = grade
        return pid, grade

    def low_income(self, hh: int, m: pd.DataFrame, wage_share: float | None) -> float:
        """Every stream replaced: residents' pensions for the members aged 60 or more, and a
        wage of `wage_share` × the standard per capita for an able adult when given (and
        worth a whole month at the lowest base). Returns the countable income per capita."""
        w, pol = self.w, self.w.policy
        pids = m["pid"].to_numpy()
        self.pl.drop_all_streams.append(pids)
        n = len(m)
        std = float(w.standard_of(np.array([hh]))[0])
        old = pids[m["age"].to_numpy() >= 60]
        if len(old):
            self.pl.new_streams.append(resident_pensions(
                self.rng, old, self.birth, len(w.months), w.first_month))
        pension_counts = "resident_basic_pension" not in pol.excluded_income
        countable = len(old) * MAX_RESIDENT_PENSION * pol.lookback if pension_counts else 0.0
        able = (m["age"].to_numpy() >= 18) & (m["age"].to_numpy() < 60) & (m["condition"].to_numpy() != 1)
        if wage_share is not None and able.any():
            total = wage_share * std * n * pol.lookback - countable
            if total >= MIN_WAGE_BASE:
                earner = int(m["pid"].to_numpy()[able][int(self.rng.integers(0, int(able.sum())))])
                amount, months = self.pl.add_wage(earner, total, int(total // MIN_WAGE_BASE))
                countable += amount * months
        return countable / pol.lookback / n

    def deposits(self, hh: int, m: pd.DataFrame) -> tuple[float, float]:
        limit = float(self.w.limit_of(np.array([hh]))[0])
        self.pl.replace_accounts(hh, m, float(self.rng.uniform(*ASSET_SHARE)) * limit, [0.9, 0.1, 0.0])
        return float(self.pl.new_accounts[-1]["balance"].sum()), limit

    def person_key(self, hh: int, pid: int) -> str:
        """The screen's key of a member: household key and number, head first, then by birth
        date and ID (as pipelines/flags/outreach.py numbers the members of a 户号)."""
        m = self.members(hh)
        order = m.assign(_head=m["hukou_relation"] != "户主").sort_values(
            ["_head", "birth", "id_number"], kind="stable")
        number = int(np.flatnonzero(order["pid"].to_numpy() == pid)[0]) + 1
        return f"{household_key(str(self.w.households['hukou_no'].iat[hh]))}-{number:02d}"

    def record(self, hh: int, code: str, kind: str, holder: int, detail: str) -> None:
        w = self.w
        w.planted.append({
            "household_id": household_key(str(w.households["hukou_no"].iat[hh])),
            "person_key": self.person_key(hh, holder),
            "kind": kind,
            "code": code,
            "detail": detail,
            "hh": hh,
        })
        protected = getattr(w, "protected_pids", None)
        if protected is not None:
            protected.extend(int(x) for x in self.members(hh)["pid"])


def plant(pl, k_problem: int, k_lookalike: int) -> None:
    """Plant POSSIBLY_ELIGIBLE and NEEDY_NOT_POOR households (module docstring). Call it with
    the Planter after every roster plan and before `pl.apply()`."""
    if k_problem <= 0 and k_lookalike <= 0:
        return
    ok, disabled, able = feasible(pl)
    job = _Planting(pl)
    w, rng = pl.w, pl.rng
    for i, hh in enumerate(_choose(rng, ok, disabled, max(k_problem, 0))):
        hh = int(hh)
        m = job.members(hh)
        pid, grade = job.certificate(m)
        share = float(rng.uniform(*INCOME_SHARE)) if i % 2 == 0 else None
        per_capita = job.low_income(hh, m, share)
        balance, limit = job.deposits(hh, m)
        std = float(w.standard_of(np.array([hh]))[0])
        job.record(hh, CODE, KIND, pid,
                   f"{len(m)} members; grade-{grade} disability certificate; countable income "
                   f"{per_capita:.2f} per capita (standard {std:.0f}); deposits {balance:.2f} "
                   f"(limit {limit:.2f}); no vehicle, no business, at most one home")
    for i, hh in enumerate(_choose(rng, ok, disabled & able, max(k_lookalike, 0))):
        hh = int(hh)
        m = job.members(hh)
        pid, grade = job.certificate(m)
        std = float(w.standard_of(np.array([hh]))[0])
        adults = (m["age"].to_numpy() >= 18) & (m["age"].to_numpy() < 60) & (m["condition"].to_numpy() != 1)
        if i % 2 == 0 and adults.any():
            job.low_income(hh, m, None)
            earner = int(m["pid"].to_numpy()[adults][int(rng.integers(0, int(adults.sum())))])
            total = max(float(rng.uniform(*LOOKALIKE_INCOME)) * std * len(m), MIN_WAGE_BASE) * w.policy.lookback
            amount, months = pl.add_wage(earner, total, w.policy.lookback)
            why = (f"wage {amount:.2f} x {months} months: "
                   f"{amount * months / w.policy.lookback / len(m):.2f} per capita")
        else:
            per_capita = job.low_income(hh, m, None)
            age = m["age"].to_numpy()
            owners = m[(age >= 18) & (age <= 75)]
            owner = int((owners if len(owners) else m)["pid"].iat[int(rng.integers(0, max(len(owners), 1)))])
            lo = w.as_of - np.timedelta64(math.ceil(CAR_YEARS * 365.25), "D")
            first = adult_dates(rng, job.birth[[owner]], lo, w.as_of - np.timedelta64(30, "D"))[0]
            pl.new_vehicles.append({"pid": owner, "vehicle_type": "car", "status": "normal",
                                    "first_registration": first})
            why = f"a car (normal, first registered {first}); {per_capita:.2f} per capita"
        balance, limit = job.deposits(hh, m)
        job.record(hh, LOOKALIKE, LOOKALIKE_KIND, pid,
                   f"{len(m)} members; grade-{grade} disability certificate; {why} "
                   f"(standard {std:.0f}); deposits {balance:.2f} (limit {limit:.2f})")


def planted_certificates(w: World, rng: np.random.Generator, out: pd.DataFrame) -> pd.DataFrame:
    """The disability registry's rows with the planted certificates (world.outreach_certificates):
    a holder drawn already gets the planted grade; anyone else a certificate of their own,
    drawn after every other (so that no other certificate changes)."""
    planted = getattr(w, "outreach_certificates", None)
    if not planted:
        return out
    out = out.copy()
    row_of = {int(pid): i for i, pid in enumerate(out["pid"].to_numpy())}
    for pid, grade in sorted(planted.items()):
        if pid in row_of:
            i = row_of[pid]
            out.loc[out.index[i], "grade"] = grade
            no = str(out["certificate_no"].iat[i])
            out.loc[out.index[i], "certificate_no"] = no[:-1] + str(grade)
    missing = np.array(sorted(pid for pid in planted if pid not in row_of), dtype=np.int64)
    if not len(missing):
        return out
    spec = load_yaml("economy.yaml")["disability"]
    cats = spec["categories"]
    share = np.array([c["share"] for c in cats], dtype=float)
    cat = rng.choice(len(cats), len(missing), p=share / share.sum())
    p = w.persons
    ids = p["id_number"].to_numpy()[missing]
    birth = p["birth"].to_numpy().astype("datetime64[D]")[missing]
    lo = np.maximum(np.datetime64("2008-01-01", "D"), birth + np.timedelta64(365, "D"))
    last = w.as_of - np.timedelta64(1, "D")
    span = np.maximum((last - lo).astype(int), 0)
    issued = np.minimum(lo + np.floor(rng.random(len(missing)) * (span + 1)).astype(np.int64)
                        .astype("timedelta64[D]"), last)
    grades = np.array([planted[int(x)] for x in missing], dtype=np.int64)
    digits = [cats[c]["digit"] for c in cat]
    added = pd.DataFrame({
        "id_number": ids,
        "name": p["name"].to_numpy()[missing],
        "certificate_no": [f"{i}{d}{g}" for i, d, g in zip(ids.tolist(), digits, grades.tolist(), strict=True)],
        "category": [cats[c]["code"] for c in cat],
        "grade": grades,
        "issue_date": issued,
        "pid": missing,
    })
    return pd.concat([out, added[out.columns]], ignore_index=True)
