"""Income streams behind the social-insurance extract: wages, employee and resident pensions.

A stream is one row: pid, kind (wage, employee_pension, resident_pension), first_m, last_m
(indices into the extract's months, 0 = the oldest), amount per month, employer, payroll
(a wage paid from the budget: the state-payroll extract lists it month by month). Roster
households get small streams only, bounded so that they stay eligible (see `roster_streams`),
and never from a public employer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.geography import load_regions
from pipelines.synth.tables import load_yaml

MIN_WAGE_BASE = 3600  # lowest contribution base used for a planted wage (yuan per month)

COLUMNS = ["pid", "kind", "first_m", "last_m", "amount", "employer", "payroll"]


def month_labels(month_start: np.datetime64, n: int) -> list[str]:
    """The n months before `month_start`, oldest first, as YYYY-MM."""
    first = month_start.astype("datetime64[M]") - n
    return [str(first + i) for i in range(n)]


def employers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic employer names: mostly companies, some public bodies."""
    eco = load_yaml("economy.yaml")
    reg = load_regions()
    stems = np.array(eco["company_stems"], dtype=object)
    inds = np.array(eco["industries"], dtype=object)
    pubs = np.array(eco["public_employers"], dtype=object)
    company = (
        "重庆"
        + stems[rng.integers(0, len(stems), n)]
        + inds[rng.integers(0, len(inds), n)]
        + "有限公司"
    )
    region_names = np.array(
        [
            nm.replace("土家族自治县", "")
            .replace("土家族苗族自治县", "")
            .replace("苗族土家族自治县", "")
            for nm in reg.names
        ],
        dtype=object,
    )
    public = (
        "重庆市"
        + region_names[rng.integers(0, len(region_names), n)]
        + pubs[rng.integers(0, len(pubs), n)]
    )
    names = np.where(rng.random(n) < 0.85, company, public)
    return np.array(sorted(set(names.tolist())), dtype=object)


def is_public(names: np.ndarray) -> np.ndarray:
    """Public employers are named 重庆市<district><body>; companies 重庆<stem>…有限公司."""
    return np.array([str(n).startswith("重庆市") for n in names], dtype=bool)


def is_state_funded(names: np.ndarray) -> np.ndarray:
    """Public employers paid from the budget (财政供养), not the state utilities."""
    funded = tuple(load_yaml("economy.yaml")["state_funded"])
    return is_public(names) & np.array([str(n).endswith(funded) for n in names], dtype=bool)


def companies(employer_pool: np.ndarray) -> np.ndarray:
    return employer_pool[~is_public(employer_pool)]


def mark_payroll(rng: np.random.Generator, streams: pd.DataFrame, persons: pd.DataFrame) -> None:
    """Wages of people outside the roster at a budget-funded employer: most are on the state
    payroll, the others are contract staff. Sets the `payroll` column in place."""
    share = float(load_yaml("economy.yaml")["state_payroll_share"])
    employer = streams["employer"].to_numpy()
    funded = np.zeros(len(streams), dtype=bool)
    wage = (streams["kind"] == "wage").to_numpy()
    funded[wage] = is_state_funded(employer[wage])
    wider = ~persons["roster"].to_numpy()[streams["pid"].to_numpy().astype(np.int64)]
    streams["payroll"] = funded & wider & (rng.random(len(streams)) < share)


def _lognormal(rng, n, spec) -> np.ndarray:
    x = rng.lognormal(np.log(spec["median"]), spec["sigma"], n)
    return np.clip(np.round(x), spec.get("min", 0), spec.get("max", np.inf))


def pension_start(birth: np.ndarray, age: int, first_month: np.datetime64) -> np.ndarray:
    """Month index from which a pension is paid: the month after reaching `age`."""
    due = birth.astype("datetime64[M]") + 12 * age + 1
    return np.maximum((due - first_month.astype("datetime64[M]")).astype(int), 0)


def wider_streams(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    n_months: int,
    first_month: np.datetime64,
    employer_pool: np.ndarray,
) -> pd.DataFrame:
    """Jobs and pensions of people outside the roster."""
    eco = load_yaml("economy.yaml")
    p = persons
    wider = ~p["roster"].to_numpy()
    age = p["age"].to_numpy()
    male = p["male"].to_numpy()
    urban = p["urban"].to_numpy()
    alive = p["status"].to_numpy() != "deceased"
    working_age = (age >= 18) & np.where(male, age < 60, age < 55)
    healthy = p["condition"].to_numpy() == 0
    p_work = np.where(urban, 0.62, 0.30) * np.where(healthy, 1.0, 0.3)
    employed = wider & working_age & ~p["in_custody"].to_numpy() & (rng.random(len(p)) < p_work)
    rows = []
    idx = np.flatnonzero(employed)
    k = len(idx)
    partial = rng.random(k) < 0.2
    first = np.where(partial, rng.integers(0, n_months, k), 0)
    last = np.where(
        partial & (rng.random(k) < 0.5), first + rng.integers(0, n_months, k), n_months - 1
    )
    rows.append(
        pd.DataFrame(
            {
                "pid": idx,
                "kind": "wage",
                "first_m": first,
                "last_m": np.minimum(last, n_months - 1),
                "amount": _lognormal(rng, k, eco["wage"]) * np.where(urban[idx], 1.0, 0.85),
                "employer": employer_pool[rng.integers(0, len(employer_pool), k)],
            }
        )
    )
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    retired = wider & ~employed & np.where(male, age >= 60, age >= 55) & alive
    emp_pension = retired & (rng.random(len(p)) < np.where(urban, 0.6, 0.2))
    idx = np.flatnonzero(emp_pension)
    start = pension_start(birth[idx], 60, first_month)
    start = np.where(male[idx], start, pension_start(birth[idx], 55, first_month))
    rows.append(
        pd.DataFrame(
            {
                "pid": idx,
                "kind": "employee_pension",
                "first_m": start,
                "last_m": n_months - 1,
                "amount": _lognormal(rng, len(idx), eco["employee_pension"]),
                "employer": None,
            }
        )
    )
    res = wider & ~emp_pension & (age >= 60) & (rng.random(len(p)) < 0.9)
    rows.append(resident_pensions(rng, np.flatnonzero(res), birth, n_months, first_month))
    out = pd.concat(rows, ignore_index=True)
    return out[out["first_m"] <= out["last_m"]].reset_index(drop=True)


def resident_pensions(
    rng,
    idx: np.ndarray,
    birth: np.ndarray,
    n_months: int,
    first_month: np.datetime64,
    amount: np.ndarray | None = None,
) -> pd.DataFrame:
    """The basic amount of the residents' pension, paid from the month after turning 60."""
    spec = load_yaml("economy.yaml")["resident_pension"]
    if amount is None:
        amount = rng.integers(spec["min"], spec["max"] + 1, len(idx)).astype(float)
    return pd.DataFrame(
        {
            "pid": idx,
            "kind": "resident_pension",
            "first_m": pension_start(birth[idx], 60, first_month),
            "last_m": n_months - 1,
            "amount": amount,
            "employer": None,
        }
    )


def roster_streams(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    n_months: int,
    first_month: np.datetime64,
    employer_pool: np.ndarray,
    income_cap: np.ndarray,
    members: np.ndarray | None = None,
) -> pd.DataFrame:
    """Resident pensions for the roster's elderly and, in some households, a short job.

    `income_cap` (per household index) bounds the wages of a whole spell, so that even if
    every month of it falls in the look-back window the household stays clearly eligible.
    `members` (per person) selects other people treated the same way (the applicants).
    """
    p = persons
    roster = p["roster"].to_numpy() if members is None else members
    age = p["age"].to_numpy()
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    rows = [
        resident_pensions(
            rng,
            np.flatnonzero(roster & (age >= 60) & (rng.random(len(p)) < 0.95)),
            birth,
            n_months,
            first_month,
        )
    ]
    able = roster & (age >= 18) & (age < 60) & (p["condition"].to_numpy() != 1)
    cand = p[able].groupby("hh")["pid"].first()  # the eldest able adult of each household
    chosen = cand[rng.random(len(cand)) < 0.12]
    employer_pool = companies(employer_pool)
    if len(chosen):
        hh = chosen.index.to_numpy()
        wage = rng.integers(3600, 4800, len(hh)).astype(float)
        max_months = np.floor(income_cap[hh] / wage).astype(int)
        ok = max_months >= 1
        hh, wage, max_months, pids = hh[ok], wage[ok], max_months[ok], chosen.to_numpy()[ok]
        months = np.minimum(rng.integers(1, 7, len(hh)), max_months)
        first = rng.integers(0, n_months - months + 1)
        rows.append(
            pd.DataFrame(
                {
                    "pid": pids,
                    "kind": "wage",
                    "first_m": first,
                    "last_m": first + months - 1,
                    "amount": wage,
                    "employer": employer_pool[rng.integers(0, len(employer_pool), len(hh))],
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out[out["first_m"] <= out["last_m"]].reset_index(drop=True)
