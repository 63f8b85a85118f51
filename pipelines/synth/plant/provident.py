"""Housing provident-fund accounts: OLD_PROVIDENT_FUND (look-alike: sealed or closed years
ago), and the known false-positive patterns (DOMAIN §4: "verify", never a violation)
PROVIDENT_WITHOUT_WAGE and OLD_EMPLOYER_FUND (an account marked active)."""

from __future__ import annotations

import numpy as np

from pipelines.synth.employment import old_month
from pipelines.synth.plant.planter import Planter
from pipelines.synth.tables import load_yaml


def old_accounts(pl: Planter, hhs: list[int], code: str) -> None:
    """An account of a former employer, sealed or closed years ago: not income now."""
    first = np.datetime64(pl.w.months[0], "M")
    birth = pl.w.persons["birth"].to_numpy().astype("datetime64[D]")
    rates = load_yaml("economy.yaml")["provident_fund"]["rate"]
    for hh in hhs:
        m = pl.members(hh)
        age = m["age"].to_numpy()
        pid = pl.pick_person(m, (age >= 30) & (age <= 80))
        k = 2 if pl.rng.random() < 0.25 else 1
        details = []
        for _ in range(k):
            status = "sealed" if pl.rng.random() < 0.6 else "closed"
            employer = str(pl.w.employer_pool[int(pl.rng.integers(len(pl.w.employer_pool)))])
            last = old_month(pl.rng, birth[[pid]], first - 36)[0]
            pl.new_provident.append(
                {
                    "pid": pid,
                    "employer": employer,
                    "base": float(round(pl.rng.uniform(1500, 3200))),
                    "rate": float(pl.rng.choice(rates)),
                    "status": status,
                    "last_paid": last,
                }
            )
            details.append(f"{status}, last paid {last} ({employer})")
        pl.record(hh, code, "; ".join(details), pid)


def active_account(pl: Planter, hhs: list[int], code: str) -> None:
    """PROVIDENT_WITHOUT_WAGE: a member aged 22 to 59 able to work holds an active
    account of a company, paid in one of the last three months of the look-back, and no
    wage of theirs is registered (their wage streams go). OLD_EMPLOYER_FUND: a member
    aged 30 to 80 holds an account of a former employer still marked active, last paid
    37 months or more before the month checked (outside the look-back)."""
    w = pl.w
    birth = w.persons["birth"].to_numpy().astype("datetime64[D]")
    rates = load_yaml("economy.yaml")["provident_fund"]["rate"]
    checked = np.datetime64(w.cfg.month, "M")
    for hh in hhs:
        m = pl.members(hh)
        age, cond = m["age"].to_numpy(), m["condition"].to_numpy()
        if code == "provident_without_wage":
            pid = pl.pick_person(m, (age >= 22) & (age < 60) & (cond != 1))
            last = w.months[-1 - int(pl.rng.choice(3, p=[0.6, 0.25, 0.15]))]
            employer = str(pl.companies[int(pl.rng.integers(0, len(pl.companies)))])
            pl.drop_streams.append(np.array([pid]))
            detail = (
                f"active account at {employer}, last paid {last}; no wage registered in "
                f"the {w.policy.lookback} months before {w.cfg.month}"
            )
        else:
            pid = pl.pick_person(m, (age >= 30) & (age <= 80))
            last = str(old_month(pl.rng, birth[[pid]], checked - 37)[0])
            employer = str(w.employer_pool[int(pl.rng.integers(len(w.employer_pool)))])
            detail = (
                f"account at {employer} still active, last paid {last}, before the "
                f"{w.policy.lookback}-month look-back"
            )
        pl.new_provident.append(
            {
                "pid": pid,
                "employer": employer,
                "base": float(round(pl.rng.uniform(1800, 3600))),
                "rate": float(pl.rng.choice(rates)),
                "status": "active",
                "last_paid": last,
            }
        )
        pl.record(hh, code, detail, pid)
