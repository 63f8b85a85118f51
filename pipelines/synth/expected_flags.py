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
SHARE = Decimal("0.000001")  # a blank share's even split, to the engine's six places


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
    """Base facts per roster household, from truth/clean with the true person keys: the same
    names and definitions as pipelines/household.py (member_exclusions aside). A person
    enrolled twice has two person keys; their registry records carry the first one."""
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

    assets: dict[tuple[str, str], Decimal] = {}
    for source, fact, column in (
        ("bank_deposits", "deposits", "balance"),
        ("securities", "securities", "market_value"),
        ("insurance", "insurance_cash_value", "cash_value"),
    ):
        for r in counted(records(source)).itertuples():
            key = (household_of[r.person_key], fact)
            assets[key] = assets.get(key, Decimal(0)) + _dec(getattr(r, column))

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

    # the same person (true identity) on the roster of two households or more: each of those
    # households counts them once; like any of their records, not while they are in custody
    person_of = dict(zip(active["person_key"], active["synthetic_person_id"], strict=True))
    held_people = {person_of[k] for k in held}
    enrolled = active[~active["synthetic_person_id"].isin(held_people)]
    households_of = enrolled.groupby("synthetic_person_id")["household_id"].nunique()
    twice = enrolled[enrolled["synthetic_person_id"].isin(households_of[households_of > 1].index)]
    elsewhere = twice.groupby("household_id")["synthetic_person_id"].nunique().to_dict()

    income, new_work = _income(counted(records("social_insurance")), household_of, params, start)
    homes = _property(records("real_estate"), household_of, held, params, start)

    excluded = set(params.at("dibao.excluded_income_types", start))
    out = []
    for hid, members in active.groupby("household_id", sort=True):
        first = members.iloc[0]
        keys = set(members["person_key"])
        by_type = dict(sorted(income.get(hid, {}).items()))
        home = homes.get(hid, {})
        months, earned = new_work.get(hid, (0, Decimal(0)))
        out.append(
            {
                "month": month,
                "household_id": hid,
                "region_code": first["region_code"],
                "urban_rural": first["urban_rural"],
                "members_enrolled": len(keys),
                "members_in_custody": len(keys & held),
                "deceased_members": len(dead & keys),
                "members_enrolled_elsewhere": int(elsewhere.get(hid, 0)),
                "state_payroll_members": len(payroll & keys),
                "vehicles_nonexempt": len(vehicles.get(hid, ())),
                "businesses_active": len(business.get(hid, ())),
                "income_by_type": by_type,
                "countable_income_total": sum(
                    (v for k, v in by_type.items() if k not in excluded), Decimal("0.00")
                ),
                "excluded_income_total": sum(
                    (v for k, v in by_type.items() if k in excluded), Decimal("0.00")
                ),
                **{
                    fact: assets.get((hid, fact), Decimal("0.00"))
                    for fact in ("deposits", "securities", "insurance_cash_value")
                },
                "homes": len(home.get("homes", ())),
                "home_area": sum(home.get("homes", {}).values(), Decimal("0.00")),
                "commercial_properties": len(home.get("commercial_properties", ())),
                "new_work_months": months,
                "new_work_income": earned,
                "declared_income": _dec(first["declared_income"]),
                "benefit_amount": _dec(first["benefit_amount"]),
            }
        )
    return out


def _income(si: pd.DataFrame, household_of: dict, params, start: dt.date):
    """Income by type per household over the look-back window, and new work per household:
    (longest run of wage months reaching the window's last month and begun inside it, the
    wages of all such runs)."""
    window = months_before(start, int(params.at("dibao.income_lookback_months", start)))
    position = {m: i for i, m in enumerate(window)}
    n = len(window)
    income: dict[str, dict[str, Decimal]] = {}
    wages: dict[str, dict[int, Decimal]] = {}  # person → month index → wage
    for r in si.itertuples():
        if r.month not in position:
            continue
        h = household_of[r.person_key]
        amounts = []
        if r.insurance_type == "employee" and pd.notna(r.contribution_base) and r.contribution_base > 0:
            amounts.append(("wage", r.contribution_base))
            months = wages.setdefault(r.person_key, {})
            i = position[r.month]
            months[i] = months.get(i, Decimal(0)) + _dec(r.contribution_base)
        if pd.notna(r.pension_paid) and r.pension_paid > 0:
            kind = "resident_basic_pension" if r.insurance_type == "resident" else "employee_pension"
            amounts.append((kind, r.pension_paid))
        for kind, amount in amounts:
            types = income.setdefault(h, {})
            types[kind] = types.get(kind, Decimal(0)) + _dec(amount)
    new_work: dict[str, tuple[int, Decimal]] = {}
    for person, months in wages.items():
        run = 0
        while run < n and (n - 1 - run) in months:
            run += 1
        if 0 < run < n:
            h = household_of[person]
            longest, earned = new_work.get(h, (0, Decimal(0)))
            wage = sum((months[i] for i in range(n - run, n)), Decimal(0))
            new_work[h] = (max(longest, run), earned + wage)
    return income, new_work


def _property(estate: pd.DataFrame, household_of: dict, held: set, params, start: dt.date):
    """Per household: {"homes" | "commercial_properties": {certificate: area by the counted
    members' shares}}. A blank share is an even split among the certificate's owner rows of
    the household (members in custody included: their part is set aside)."""
    out: dict[str, dict[str, dict[str, Decimal]]] = {}
    if estate.empty:
        return out
    kinds = {u: "homes" for u in params.at("dibao.residential_uses", start)}
    kinds |= {u: "commercial_properties" for u in params.at("dibao.commercial_property_uses", start)}
    estate = estate.assign(household_id=estate["person_key"].map(household_of))
    for (hid, _cert), rows in estate.groupby(["household_id", "certificate_no"], sort=True):
        counted = rows[~rows["person_key"].isin(held)]
        current = counted[(counted["status"] == "current") & counted["use"].isin(list(kinds))]
        if current.empty:
            continue
        even = (Decimal(1) / Decimal(len(rows))).quantize(SHARE, rounding=ROUND_HALF_UP)
        share = sum(
            (even if pd.isna(s) else Decimal(str(s)).quantize(SHARE) for s in current["share"]),
            Decimal(0),
        )
        first = current.iloc[0]
        area = (_dec(first["area"]) * min(share, Decimal(1))).quantize(CENT, rounding=ROUND_HALF_UP)
        out.setdefault(hid, {}).setdefault(kinds[first["use"]], {})[first["certificate_no"]] = area
    return out


def expected_flags(data_dir: Path, rules_dir: Path, ruleset_name: str, month: str) -> pa.Table:
    ruleset = load_ruleset(rules_dir, ruleset_name)
    start, _ = month_bounds(month)
    # every household, also one with no member counted (its per-capita formulas give no value)
    facts = household_facts(data_dir / "truth", ruleset.params, month)
    results = ruleset.evaluate_python(facts, start)
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
