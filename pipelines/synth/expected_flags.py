"""Ground-truth flags: what a perfect engine raises, from the noise-free records and true links.

An independent pandas computation of the household facts (the engine's is in Spark), then the
same rule set evaluated in Python. Not only the planted problems: any household that fails a
rule on the clean data is expected, so precision and recall both mean something.

The known false-positive patterns (DOMAIN §4) are facts of their own, never counted with the
others: doubtful vehicles (a status of dibao.vehicle_doubtful_statuses, or a counted status
and a first registration dibao.vehicle_doubtful_age_years or more before the month), the
balances of dormant accounts (no transaction for dibao.dormant_account_months), certificates
co-owned with a deceased person outside the household, and members with an active
provident-fund account paid in the look-back but no registered wage in it.
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
from pipelines.synth.identity import expected_unverified
from pipelines.synth.marriage import expected_undeclared_spouses

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


def _months_back(start: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before the month of `start`."""
    y, m = divmod(start.year * 12 + start.month - 1 - months, 12)
    return dt.date(y, m + 1, 1)


def household_facts(truth: Path, params, month: str) -> list[dict]:
    """Base facts per roster household, from truth/clean with the true person keys: the same
    names and definitions as pipelines/household/ (member_exclusions aside). A person
    enrolled twice has two person keys; their registry records carry the first one.

    "Counted members" are the active roster members not in custody on the first day of the
    month. Vehicles: non-exempt ones of counted members; doubtful when their status is one of
    dibao.vehicle_doubtful_statuses, or a counted status with a first registration on or
    before the same day dibao.vehicle_doubtful_age_years earlier; `vehicles_nonexempt` the
    distinct plates in a counted status and not doubtful, `vehicles_doubtful` the doubtful
    ones. Deposits: an account is dormant when its last transaction is before the first day
    of the month dibao.dormant_account_months earlier; `deposits` the other balances,
    `deposits_dormant` theirs. Real estate: see `_property`. `members_provident_without_wage`:
    counted members with an active provident-fund account last paid in the income look-back
    and no employee wage (contribution base > 0) in any month of it."""
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
    dormant_before = _months_back(start, int(params.at("dibao.dormant_account_months", start)))
    for source, fact, column in (
        ("bank_deposits", "deposits", "balance"),
        ("securities", "securities", "market_value"),
        ("insurance", "insurance_cash_value", "cash_value"),
    ):
        for r in counted(records(source)).itertuples():
            name = fact
            if source == "bank_deposits":
                last = _date(getattr(r, "last_activity_date", None))
                if last is not None and last < dormant_before:
                    name = "deposits_dormant"
            key = (household_of[r.person_key], name)
            assets[key] = assets.get(key, Decimal(0)) + _dec(getattr(r, column))

    payroll_window = set(months_before(start, int(params.at("dibao.state_payroll_lookback_months", start))))
    payroll: set[str] = {
        r.person_key for r in counted(records("state_payroll")).itertuples() if r.month in payroll_window
    }

    exempt = set(params.at("dibao.vehicle_exempt_types", start))
    statuses = set(params.at("dibao.vehicle_counted_statuses", start))
    doubtful_statuses = set(params.at("dibao.vehicle_doubtful_statuses", start))
    old_on = start.replace(year=start.year - int(params.at("dibao.vehicle_doubtful_age_years", start)))
    vehicles: dict[str, set] = {}
    vehicles_doubtful: dict[str, set] = {}
    for r in counted(records("vehicles")).itertuples():
        if r.vehicle_type in exempt:
            continue
        first = _date(r.first_registration)
        if r.status in doubtful_statuses or (r.status in statuses and first is not None and first <= old_on):
            vehicles_doubtful.setdefault(household_of[r.person_key], set()).add(r.plate)
        elif r.status in statuses:
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

    si = counted(records("social_insurance"))
    income, new_work = _income(si, household_of, params, start)
    provident = _provident_without_wage(si, counted(records("provident_fund")), params, start)
    deceased = _deceased_people(truth, end)
    homes = _property(_read(truth, "real_estate"), household_of, held, params, start, deceased)

    excluded = set(params.at("dibao.excluded_income_types", start))
    out = []
    # 特困 enrolments count above as another enrolment of a member; only 低保 households are checked
    dibao = active[active["programme"].fillna("dibao") == "dibao"]
    unverified = expected_unverified(truth, dibao, held)
    spouses = expected_undeclared_spouses(truth, month)
    for hid, members in dibao.groupby("household_id", sort=True):
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
                "vehicles_doubtful": len(vehicles_doubtful.get(hid, ())),
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
                    for fact in ("deposits", "deposits_dormant", "securities", "insurance_cash_value")
                },
                **{
                    fact: value
                    for suffix in ("", "_doubtful")
                    for fact, value in (
                        (f"homes{suffix}", len(home.get(f"homes{suffix}", ()))),
                        (f"home_area{suffix}", sum(home.get(f"homes{suffix}", {}).values(), Decimal("0.00"))),
                        (f"commercial_properties{suffix}", len(home.get(f"commercial_properties{suffix}", ()))),
                    )
                },
                "members_provident_without_wage": len(provident & keys),
                "members_identity_unverified": int(unverified.get(hid, 0)),
                "undeclared_spouses": int(spouses.get(hid, 0)),
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


def _provident_without_wage(si: pd.DataFrame, pf: pd.DataFrame, params, start: dt.date) -> set[str]:
    """Person keys with an active provident-fund account last paid in the income look-back
    window and no employee wage (contribution base > 0) in any month of it."""
    if pf.empty:
        return set()
    window = months_before(start, int(params.at("dibao.income_lookback_months", start)))
    waged: set[str] = set()
    if not si.empty:
        wage = si["month"].isin(window) & (si["insurance_type"] == "employee")
        wage &= si["contribution_base"].fillna(0) > 0
        waged = set(si.loc[wage, "person_key"])
    paying = (pf["status"] == "active") & pf["last_paid_month"].isin(window)
    return set(pf.loc[paying, "person_key"]) - waged


def _deceased_people(truth: Path, end: dt.date) -> set[str]:
    """True identities (synthetic person ids) of everyone, on the roster or not, deceased by
    `end`: hukou status deceased (status date by then or none) or a cremation record with a
    death date by then."""
    dead: set[str] = set()
    by = pd.Timestamp(end)
    path = truth / "clean" / "hukou.parquet"
    if path.exists():
        hukou = pd.read_parquet(path, columns=["synthetic_person_id", "status", "status_date"])
        date = pd.to_datetime(hukou["status_date"])
        gone = (hukou["status"] == "deceased") & (date.isna() | (date <= by))
        dead |= set(hukou.loc[gone, "synthetic_person_id"])
    path = truth / "clean" / "cremation.parquet"
    if path.exists():
        cremation = pd.read_parquet(path, columns=["synthetic_person_id", "death_date"])
        dead |= set(cremation.loc[pd.to_datetime(cremation["death_date"]) <= by, "synthetic_person_id"])
    return dead


def _property(
    estate: pd.DataFrame, household_of: dict, held: set, params, start: dt.date, deceased: set[str]
):
    """Per household: {"homes" | "commercial_properties" and the same with "_doubtful":
    {certificate: area by the counted members' shares}}, from every owner row of the registry
    (`estate`). A blank share is an even split among the certificate's owner rows of the
    household (members in custody included: their part is set aside). A certificate is
    doubtful for a household when another owner row of it belongs to someone who is not an
    active roster member of that household and who is `deceased` (true identities)."""
    out: dict[str, dict[str, dict[str, Decimal]]] = {}
    if estate.empty:
        return out
    kinds = {u: "homes" for u in params.at("dibao.residential_uses", start)}
    kinds |= {u: "commercial_properties" for u in params.at("dibao.commercial_property_uses", start)}
    # per certificate, the households of its deceased owners (None: not on the roster)
    dead_rows = estate[estate["synthetic_person_id"].isin(deceased)]
    dead_owners: dict[str, set] = {}
    for cert, key in zip(dead_rows["certificate_no"], dead_rows["person_key"], strict=True):
        dead_owners.setdefault(cert, set()).add(household_of.get(key) if pd.notna(key) else None)
    estate = estate[estate["person_key"].isin(household_of)]
    estate = estate.assign(household_id=estate["person_key"].map(household_of))
    for (hid, cert), rows in estate.groupby(["household_id", "certificate_no"], sort=True):
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
        doubtful = any(h != hid for h in dead_owners.get(cert, ()))
        kind = kinds[first["use"]] + ("_doubtful" if doubtful else "")
        out.setdefault(hid, {}).setdefault(kind, {})[first["certificate_no"]] = area
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
