"""Housing provident fund accounts behind the 公积金 extract.

An account is one row: pid, employer, base (monthly wage base), rate (each side's share;
employer and employee pay the same), status (active, sealed, closed), last_paid (YYYY-MM).
Employees of the wider population are enrolled by their employer, most surely when it is
public; a job that ended leaves a sealed account; some adults keep a sealed account of a
former employer and some pensioners an account closed when they retired. Roster and
applicant households get none here: plant.py gives some roster members an old sealed or
closed account (the look-alike OLD_PROVIDENT_FUND).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth.income import is_public, is_state_funded
from pipelines.synth.tables import load_yaml

COLUMNS = ["pid", "employer", "base", "rate", "status", "last_paid"]
OLDEST_MONTH = np.datetime64("2005-01", "M")


def old_month(rng: np.random.Generator, birth: np.ndarray, hi: np.datetime64) -> np.ndarray:
    """Months between 2005-01 (or the person's 22nd birthday) and `hi`, as YYYY-MM."""
    lo = np.maximum(OLDEST_MONTH, birth.astype("datetime64[M]") + 12 * 22)
    span = np.maximum((hi - lo).astype(int), 0)
    month = lo + np.floor(rng.random(len(birth)) * (span + 1)).astype(np.int64)
    return np.datetime_as_string(np.minimum(month, hi), unit="M").astype(object)


def provident_accounts(
    rng: np.random.Generator,
    persons: pd.DataFrame,
    streams: pd.DataFrame,
    months: list[str],
    employer_pool: np.ndarray,
) -> pd.DataFrame:
    """Accounts of people outside the roster who are not applicants (see the module doc)."""
    spec = load_yaml("economy.yaml")["provident_fund"]
    p = persons
    n_months = len(months)
    outside = ~p["roster"].to_numpy() & ~p["applicant"].to_numpy()
    rates = np.array(spec["rate"], dtype=float)

    # Current and recent jobs.
    s = streams[(streams["kind"] == "wage").to_numpy()]
    s = s[outside[s["pid"].to_numpy().astype(np.int64)]]
    employer = s["employer"].to_numpy()
    pid = s["pid"].to_numpy().astype(np.int64)
    enrol = spec["enrolled"]
    p_enrol = np.where(
        is_state_funded(employer),
        enrol["state_funded"],
        np.where(
            is_public(employer),
            enrol["public"],
            np.where(p["urban"].to_numpy()[pid], enrol["urban"], enrol["rural"]),
        ),
    )
    enrolled = rng.random(len(s)) < p_enrol
    s, pid = s[enrolled], pid[enrolled]
    rate = rates[rng.integers(0, len(rates), len(s))]
    # Nothing is paid after a death: the account is sealed at the month of death.
    death = p["death_date"].to_numpy().astype("datetime64[M]")[pid]
    died = ~np.isnat(death)
    death_idx = np.where(died, (death - np.datetime64(months[0], "M")).astype(np.int64), n_months)
    last_m = np.minimum(s["last_m"].to_numpy(), death_idx)
    paid = last_m >= s["first_m"].to_numpy()
    jobs = pd.DataFrame(
        {
            "pid": pid,
            "employer": s["employer"].to_numpy(),
            "base": np.round(s["amount"].to_numpy().astype(float)),
            "rate": rate,
            "status": np.where((last_m >= n_months - 1) & ~died, "active", "sealed"),
            "last_paid": np.array(months, dtype=object)[np.maximum(last_m, 0)],
        }
    )[paid]

    # A former employer's sealed account.
    age = p["age"].to_numpy()
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    first_month = np.datetime64(months[0], "M")
    old = np.flatnonzero(outside & (age >= 30) & (rng.random(len(p)) < spec["old_account_share"]))
    sealed = pd.DataFrame(
        {
            "pid": old,
            "employer": employer_pool[rng.integers(0, len(employer_pool), len(old))],
            "base": np.round(rng.lognormal(np.log(2600), 0.35, len(old)).clip(1500)),
            "rate": rates[rng.integers(0, len(rates), len(old))],
            "status": "sealed",
            "last_paid": old_month(rng, birth[old], first_month - 24),
        }
    )

    # Pensioners whose account was closed when they retired (60 for men, 55 for women).
    pensioners = streams.loc[streams["kind"] == "employee_pension", "pid"].to_numpy()
    pensioners = np.unique(pensioners.astype(np.int64))
    pensioners = pensioners[outside[pensioners]]
    retired = birth[pensioners].astype("datetime64[M]") + 12 * np.where(
        p["male"].to_numpy()[pensioners], 60, 55
    )
    keep = (rng.random(len(pensioners)) < spec["closed_at_retirement"]) & (
        retired - 1 >= OLDEST_MONTH
    )
    pensioners, retired = pensioners[keep], retired[keep]
    closed = pd.DataFrame(
        {
            "pid": pensioners,
            "employer": employer_pool[rng.integers(0, len(employer_pool), len(pensioners))],
            "base": np.round(rng.lognormal(np.log(3000), 0.35, len(pensioners)).clip(1500)),
            "rate": rates[rng.integers(0, len(rates), len(pensioners))],
            "status": "closed",
            "last_paid": np.datetime_as_string(retired - 1, unit="M").astype(object),
        }
    )
    out = pd.concat([jobs, sealed, closed], ignore_index=True)
    out["pid"] = out["pid"].astype(np.int64)
    return out.sort_values(["pid", "last_paid"], kind="stable").reset_index(drop=True)[COLUMNS]
