"""Ground-truth flags: what a perfect engine raises, from the noise-free records and true links.

An independent pandas computation of the household facts (the engine's is in Spark), then the
same rule set evaluated in Python. Not only the planted problems: any household that fails a
rule on the clean data is expected, so precision and recall both mean something.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa

from pipelines.config import month_bounds, months_before
from pipelines.policy import load_ruleset
from pipelines.storage import write_arrow

CENT = Decimal("0.01")


def _read(truth: Path, source: str) -> pd.DataFrame:
    path = truth / "clean" / f"{source}.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _dec(x) -> Decimal:
    return Decimal(str(round(float(x), 2)))


def _date(v) -> dt.date | None:
    if v is None or (not isinstance(v, dt.date) and pd.isna(v)):
        return None
    return v.date() if isinstance(v, dt.datetime | pd.Timestamp) else v


def household_facts(truth: Path, params, month: str) -> list[dict]:
    """Facts per roster household, from truth/clean with the true person keys."""
    start, end = month_bounds(month)
    roster = _read(truth, "roster")
    active = roster[roster["status"] == "active"].sort_values(["household_id", "member_no"])
    household_of = dict(zip(active["person_key"], active["household_id"], strict=True))

    def records(source: str) -> pd.DataFrame:
        df = _read(truth, source)
        if df.empty:
            return df
        return df[df["person_key"].isin(household_of)]

    custody = records("custody")
    held = set()
    for r in custody.itertuples():
        s, e = _date(r.start_date), _date(r.end_date)
        if s is not None and s <= start and (e is None or e >= start):
            held.add(r.person_key)

    def counted(df: pd.DataFrame) -> pd.DataFrame:
        return df[~df["person_key"].isin(held)] if not df.empty else df

    dead: set[str] = set()
    for r in counted(records("hukou")).itertuples():
        d = _date(r.status_date)
        if r.status == "deceased" and (d is None or d <= end):
            dead.add(r.person_key)
    for r in counted(records("cremation")).itertuples():
        d = _date(r.death_date)
        if d is not None and d <= end:
            dead.add(r.person_key)

    assets: dict[str, Decimal] = {}
    for r in counted(records("bank_deposits")).itertuples():
        h = household_of[r.person_key]
        assets[h] = assets.get(h, Decimal(0)) + _dec(r.balance)

    for r in counted(records("securities")).itertuples():
        h = household_of[r.person_key]
        assets[h] = assets.get(h, Decimal(0)) + _dec(r.market_value)

    payroll_window = set(months_before(start, int(params.at("dibao.state_payroll_lookback_months", start))))
    payroll: set[str] = {
        r.person_key for r in counted(records("state_payroll")).itertuples() if r.month in payroll_window
    }

    exempt = set(params.at("dibao.vehicle_exempt_types", start))
    statuses = set(params.at("dibao.vehicle_counted_statuses", start))
    vehicles: dict[str, set] = {}
    for r in counted(records("vehicles")).itertuples():
        if r.status in statuses and r.vehicle_type not in exempt:
            vehicles.setdefault(household_of[r.person_key], set()).add(r.plate)

    roles = set(params.at("dibao.business_counted_roles", start))
    active_status = set(params.at("dibao.business_active_statuses", start))
    business: dict[str, set] = {}
    for r in counted(records("business")).itertuples():
        if r.role in roles and r.status in active_status:
            business.setdefault(household_of[r.person_key], set()).add(r.uscc)

    n_months = int(params.at("dibao.income_lookback_months", start))
    window = set(months_before(start, n_months))
    excluded = set(params.at("dibao.excluded_income_types", start))
    income: dict[str, Decimal] = {}
    for r in counted(records("social_insurance")).itertuples():
        if r.month not in window:
            continue
        h = household_of[r.person_key]
        amounts = []
        if r.insurance_type == "employee" and pd.notna(r.contribution_base) and r.contribution_base > 0:
            amounts.append(("wage", r.contribution_base))
        if pd.notna(r.pension_paid) and r.pension_paid > 0:
            kind = "resident_basic_pension" if r.insurance_type == "resident" else "employee_pension"
            amounts.append((kind, r.pension_paid))
        for kind, amount in amounts:
            if kind not in excluded:
                income[h] = income.get(h, Decimal(0)) + _dec(amount)

    out = []
    for hid, members in active.groupby("household_id", sort=True):
        first = members.iloc[0]
        keys = set(members["person_key"])
        n_counted = len(keys - held)
        total = income.get(hid, Decimal(0))
        per_capita = (
            (total / n_counted / n_months).quantize(CENT, rounding=ROUND_HALF_UP) if n_counted else None
        )
        out.append(
            {
                "household_id": hid,
                "region_code": first["region_code"],
                "urban_rural": first["urban_rural"],
                "members_counted": n_counted,
                "deceased_members": len(dead & keys),
                "per_capita_income": per_capita,
                "financial_assets": assets.get(hid, Decimal(0)),
                "vehicles_nonexempt": len(vehicles.get(hid, ())),
                "businesses_active": len(business.get(hid, ())),
                "state_payroll_members": len(payroll & keys),
            }
        )
    return out


def expected_flags(data_dir: Path, rules_dir: Path, ruleset_name: str, month: str) -> pa.Table:
    ruleset = load_ruleset(rules_dir, ruleset_name)
    start, _ = month_bounds(month)
    facts = household_facts(data_dir / "truth", ruleset.params, month)
    evaluable = [f for f in facts if f["per_capita_income"] is not None]
    results = ruleset.evaluate_python(evaluable, start)
    rows = sorted(
        {(r["household_id"], r["flag_code"], r["rule_id"]) for r in results if r["fired"]}
    )
    return pa.table(
        {
            "month": [month] * len(rows),
            "household_id": [r[0] for r in rows],
            "flag_code": [r[1] for r in rows],
            "rule_id": [r[2] for r in rows],
        },
        schema=pa.schema(
            [("month", pa.string()), ("household_id", pa.string()), ("flag_code", pa.string()), ("rule_id", pa.string())]
        ),
    )


def write_expected_flags(data_dir: Path, rules_dir: Path, ruleset_name: str, month: str) -> int:
    """Write `truth/flags.parquet`; returns the number of expected flags."""
    table = expected_flags(Path(data_dir), Path(rules_dir), ruleset_name, month)
    write_arrow(table, Path(data_dir) / "truth" / "flags.parquet")
    return table.num_rows
