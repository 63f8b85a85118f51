"""DORMANT_ACCOUNT (a known false-positive pattern, DOMAIN §4: "verify", never a violation)
and its look-alike DORMANT_SMALL: an account without a transaction for years."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pipelines.synth.assets import adult_dates, pick_banks
from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """DORMANT_ACCOUNT: accounts moved in the last three months holding 30–60 % of the
    limit and one without a transaction for 3–8 years taking the total to 120–170 % of it
    (dibao.dormant_account_months); DORMANT_SMALL: 15–40 % active, 50–80 % in all. They
    replace the household's accounts, securities and insurance; the dormant account is
    held by a member aged 30 or more."""
    w = pl.w
    start = w.cfg.month_start
    birth = w.persons["birth"].to_numpy()
    if code == "dormant_account":
        active_share, total_share = (0.3, 0.6), (1.2, 1.7)
    else:
        active_share, total_share = (0.15, 0.4), (0.5, 0.8)
    for hh in hhs:
        m = pl.members(hh)
        limit = float(w.limit_of(np.array([hh]))[0])
        active = float(pl.rng.uniform(*active_share)) * limit
        total = float(pl.rng.uniform(*total_share)) * limit
        adults = m[(m["age"] >= 18).to_numpy()]
        k = int(pl.rng.integers(1, 4))
        owners = pl.rng.choice((adults if len(adults) else m)["pid"].to_numpy(), k)
        split = pl.rng.dirichlet(np.full(k, 2.0)) if k > 1 else np.array([1.0])
        bal = np.floor(split * active * 100) / 100
        kinds = pl.rng.choice(["demand", "time"], k, p=[0.7, 0.3])
        holder = pl.pick_person(m, (m["age"] >= 30).to_numpy())
        dormant = math.floor((total - bal.sum()) * 100) / 100
        last = adult_dates(
            pl.rng,
            birth[[holder]],
            np.datetime64(start.replace(year=start.year - 8).isoformat(), "D"),
            np.datetime64(start.replace(year=start.year - 3).isoformat(), "D"),
        )[0]
        urban = np.full(k + 1, bool(w.households["urban"].iat[hh]))
        pl.drop_accounts.append(hh)
        pl.new_accounts.append(
            pd.DataFrame(
                {
                    "pid": np.append(owners, holder),
                    "account_type": np.append(kinds, "demand" if pl.rng.random() < 0.6 else "time"),
                    "balance": np.append(bal, dormant),
                    "bank": pick_banks(pl.rng, urban),
                    "force_duplicate": False,
                    "last_activity": np.append(pl.recent_dates(k), last).astype("datetime64[D]"),
                }
            )
        )
        pl.record(
            hh,
            code,
            f"deposits {bal.sum():.2f} in {k} active accounts ({bal.sum() / limit:.0%} of "
            f"the limit); {dormant:.2f} in an account without a transaction since {last} "
            f"(dormant), {(bal.sum() + dormant) / limit:.0%} of the limit in all; "
            f"limit {limit:.2f}",
            holder,
        )
