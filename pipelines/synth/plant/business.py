"""ACTIVE_BUSINESS (a member the legal representative or an investor of an active firm) and its
look-alike REVOKED_BUSINESS (the firm revoked or cancelled); a company has one or two other
people of the wider population among its investors."""

from __future__ import annotations

import numpy as np

from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    p = pl.w.persons
    wider_adults = np.flatnonzero(
        ~p["roster"].to_numpy()
        & ~p["applicant"].to_numpy()
        & (p["age"].to_numpy() >= 20)
        & (p["status"].to_numpy() == "normal")
    )
    for hh in hhs:
        m = pl.members(hh)
        age = m["age"].to_numpy()
        pid = pl.pick_person(m, (age >= 18) & (age <= 70))
        company = pl.rng.random() < 0.6
        etype = "company" if company else "individual"
        role = ("legal_rep" if pl.rng.random() < 0.6 else "investor") if company else "legal_rep"
        if code == "active_business":
            status = "active"
        else:
            status = "revoked" if pl.rng.random() < 0.55 else "cancelled"
        eid = pl.next_eid
        pl.next_eid += 1
        capital = round(float(pl.rng.lognormal(np.log(300_000 if company else 30_000), 0.8)), -3)
        pl.new_entities.append(
            {
                "eid": eid,
                "entity_type": etype,
                "status": status,
                "registered_capital": max(capital, 10_000.0),
                "region_code": str(m["region_code"].iat[0]),
                "owner_pid": pid,
            }
        )
        pl.new_roles.append({"eid": eid, "pid": pid, "role": role})
        if company:
            others = pl.rng.choice(wider_adults, int(pl.rng.integers(1, 3)), replace=False)
            if role == "investor":  # somebody else represents the company
                pl.new_roles.append({"eid": eid, "pid": int(others[0]), "role": "legal_rep"})
            for o in others:
                pl.new_roles.append({"eid": eid, "pid": int(o), "role": "investor"})
        pl.record(hh, code, f"{etype}, role {role}, status {status}", pid)
