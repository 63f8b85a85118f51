"""FINANCIAL_ASSETS_ABOVE_LIMIT (deposits, securities and life insurance 30–200 % above the
limit) and its look-alike SAVINGS_JUST_UNDER (95–99.5 % of it)."""

from __future__ import annotations

import numpy as np

from pipelines.synth.plant.planter import Planter


def plant(pl: Planter, hhs: list[int], code: str) -> None:
    """Deposits (and for some, securities or insurance) replacing the household's own.

    The last FINANCIAL_ASSETS_ABOVE_LIMIT household is over the limit only through its
    securities, the one before it only through the cash value of its life insurance;
    among the SAVINGS_JUST_UNDER households every third holds part of its total in
    securities and every third another part in insurance, so that each must be counted,
    and counted once."""
    for i, hh in enumerate(hhs):
        m = pl.members(hh)
        limit = float(pl.w.limit_of(np.array([hh]))[0])
        shares = policies = 0.0
        if code == "financial_assets_above_limit":
            total = float(pl.rng.uniform(1.3, 3.0)) * limit
            if i >= len(hhs) - 2:
                total = float(pl.rng.uniform(1.3, 2.0)) * limit
                rest = total - float(pl.rng.uniform(0.5, 0.8)) * limit
                if i == len(hhs) - 1:
                    shares = rest
                else:
                    policies = rest
            k = pl.replace_accounts(hh, m, total - shares - policies, [0.4, 0.4, 0.2])
        else:
            total = float(pl.rng.uniform(0.95, 0.995)) * limit
            if i % 3 == 2:
                shares = float(pl.rng.uniform(0.2, 0.5)) * total
            elif i % 3 == 1:
                policies = float(pl.rng.uniform(0.1, 0.4)) * total
            k = pl.replace_accounts(hh, m, total - shares - policies, [0.5, 0.5, 0.0])
            if i == 0:  # a repeated row here turns double counting into a false flag
                acc = pl.new_accounts[-1]
                acc.loc[acc["balance"].idxmax(), "force_duplicate"] = True
        bal = pl.new_accounts[-1]["balance"].sum()
        detail = f"deposits {bal:.2f} in {k} accounts"
        if shares > 0:
            n_sec = pl.add_securities(m, shares)
            value = sum(r["market_value"] for r in pl.new_securities[-n_sec:])
            detail += f", securities {value:.2f} in {n_sec} accounts, total {bal + value:.2f}"
        if policies > 0:
            n_pol = pl.add_insurance(m, policies)
            value = sum(r["cash_value"] for r in pl.new_insurance[-n_pol:])
            detail += (
                f", insurance cash value {value:.2f} in {n_pol} policies, total {bal + value:.2f}"
            )
        pl.record(hh, code, f"{detail}; limit {limit:.2f}")
