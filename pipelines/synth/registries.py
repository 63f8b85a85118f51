"""The registry extracts in canonical form: schema column names, canonical codes, no noise.

One frame per source, with `pid` (the synthetic person) beside the schema columns. A column
`_label_<name>` pins the Chinese label of a code where it must agree with another field
(a company called …股份有限公司 is written 股份有限公司); `force_duplicate` marks rows the
noise step must repeat. Identifiers (accounts, plates, certificates, credit codes, record
numbers) are drawn here, after planting, so planted rows look like all others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.synth import marriage, outreach
from pipelines.synth.geography import load_regions
from pipelines.synth.idcodes import make_uscc, unique_numbers
from pipelines.synth.identity import tekun_roster_rows
from pipelines.synth.tables import load_yaml
from pipelines.synth.world import World

NAT = np.datetime64("NaT", "D")
_PLATE_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"), dtype=object)


def _person_cols(w: World, pid: np.ndarray, id_col: str, name_col: str) -> dict:
    p = w.persons
    return {id_col: p["id_number"].to_numpy()[pid], name_col: p["name"].to_numpy()[pid]}


def _declared_income(w: World, rng: np.random.Generator, hh: np.ndarray) -> np.ndarray:
    """Declared monthly income of households `hh`: informal earnings the registries do not
    see, plus the registered countable income of the look-back window (households declare
    what they have), unless planting set what they declare."""
    size = w.households["size"].to_numpy()[hh]
    std = w.standard_of(hh)
    s = w.streams
    in_window = (s["last_m"] >= w.window_first) & s["kind"].isin(["wage", "employee_pension"])
    s = s[in_window]
    months = (
        np.minimum(s["last_m"], len(w.months) - 1) - np.maximum(s["first_m"], w.window_first) + 1
    )
    hh_of = w.persons["hh"].to_numpy()[s["pid"].to_numpy().astype(np.int64)]
    countable = np.bincount(hh_of, weights=months * s["amount"], minlength=len(w.households))[hh]
    countable = countable / w.policy.lookback
    informal = rng.uniform(0, 0.4, len(hh)) * std * size
    declared = np.round(informal + countable)
    override = w.households["declared_override"].to_numpy()[hh]
    return np.where(np.isnan(override), declared, override)


def roster(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Every member of every roster household, 低保 and 在保, and the second enrolments of
    people enrolled twice (world.enrolments, last in their second household).

    declared_income is the household's monthly income (repeated on each member's row);
    benefit_amount is each member's share of the gap: standard − declared per-capita income.
    `_person_key` is each row's roster person key; `_written_id` / `_written_name` /
    `_planted_noise` what a second enrolment writes instead of the person's ID or name.
    """
    p = w.persons[w.persons["roster"]]
    hh_df = w.households[w.households["roster"]]
    hh = hh_df["hh"].to_numpy()
    rows = pd.DataFrame(
        {
            "pid": p["pid"].to_numpy(),
            "hh": p["hh"].to_numpy(),
            "member_no": p["member_no"].to_numpy(),
            "relation": p["relation"].to_numpy(),
            "phone": p["phone"].to_numpy(),
            "address": p["address"].to_numpy(),
            "written_id": None,
            "written_name": None,
            "noise": "",
        }
    )
    if len(w.roster_overrides):  # first enrolments written otherwise (identity.py)
        o = w.roster_overrides.set_index("pid")
        at_pid = rows["pid"].isin(o.index).to_numpy()
        pids = rows.loc[at_pid, "pid"]
        rows.loc[at_pid, "written_name"] = o["written_name"].reindex(pids).to_numpy()
        rows.loc[at_pid, "noise"] = o["noise"].reindex(pids).to_numpy()
    if len(w.enrolments):
        rows = pd.concat([rows, w.enrolments[rows.columns]], ignore_index=True)
        rows = rows.sort_values(["hh", "member_no"], kind="stable", ignore_index=True)
    at = rows["hh"].to_numpy().astype(np.int64)  # roster households are 0..n-1
    pid = rows["pid"].to_numpy().astype(np.int64)
    size = np.bincount(at, minlength=len(hh))  # second enrolments included
    std = w.standard_of(hh)
    declared = _declared_income(w, rng, hh)
    benefit = np.maximum(np.round(std - declared / size), 0.0)
    enrolled = np.datetime64("2012-01-01", "D") + rng.integers(
        0, int((w.as_of - np.datetime64("2012-01-01", "D")).astype(int)) - 60, len(hh)
    ).astype("timedelta64[D]")
    household_id = hh_df["household_id"].to_numpy()[at]
    member_no = rows["member_no"].to_numpy().astype(np.int64)
    persons = w.persons
    out = pd.DataFrame(
        {
            "household_id": household_id,
            "region_code": hh_df["region_code"].to_numpy()[at],
            "urban_rural": np.where(hh_df["urban"].to_numpy()[at], "urban", "rural"),
            "member_no": member_no,
            "id_number": persons["id_number"].to_numpy()[pid],
            "name": persons["name"].to_numpy()[pid],
            "relation": rows["relation"].to_numpy(),
            "programme": "dibao",
            "category": persons["category"].to_numpy()[pid],
            "declared_income": declared[at].astype(float),
            "benefit_amount": benefit[at].astype(float),
            "status": "active",
            "enrolled_date": enrolled[at],
            "phone": rows["phone"].to_numpy(),
            "address": rows["address"].to_numpy(),
            "pid": pid,
            "_male": persons["male"].to_numpy()[pid],
            "_person_key": [f"{h}-{k:02d}" for h, k in zip(household_id, member_no, strict=True)],
            "_written_id": rows["written_id"].to_numpy(),
            "_written_name": rows["written_name"].to_numpy(),
            "_planted_noise": rows["noise"].to_numpy(),
        }
    )
    tekun = tekun_roster_rows(w, w.as_of)  # 特困 enrolments last (identity.py)
    return pd.concat([out, tekun], ignore_index=True) if len(tekun) else out


def hukou(w: World) -> pd.DataFrame:
    """Everyone, roster and wider population, grouped by 户号, but people whose 户籍 is
    elsewhere (identity.py)."""
    p = w.persons
    if "hukou_elsewhere" in p:
        p = p[~p["hukou_elsewhere"].fillna(False).to_numpy().astype(bool)]
    out = pd.DataFrame(
        {
            "id_number": p["id_number"],
            "name": p["name"],
            "former_name": p["former_name"],
            "sex": np.where(p["male"], "male", "female"),
            "birth_date": p["birth"],
            "ethnicity": p["ethnicity"],
            "hukou_no": p["hukou_no"],
            "relation": p["hukou_relation"],
            "address": p["address"],
            "status": p["status"],
            "status_date": p["status_date"],
            "pid": p["pid"],
        }
    )
    return out.sort_values(["hukou_no", "pid"], kind="stable").reset_index(drop=True)


def cremation(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One record per cremation, numbered by district and year."""
    p = w.persons[w.persons["cremation_date"].notna()].sort_values(["cremation_date", "pid"])
    k = len(p)
    year = pd.DatetimeIndex(p["cremation_date"]).year.to_numpy()
    seq = np.sort(unique_numbers(rng, k, 1000, 20))
    return pd.DataFrame(
        {
            "record_no": [
                f"{r}{y}{s:06d}" for r, y, s in zip(p["region_code"], year, seq, strict=True)
            ],
            "id_number": p["id_number"].to_numpy(),
            "name": p["name"].to_numpy(),
            "death_date": p["death_date"].to_numpy(),
            "cremation_date": p["cremation_date"].to_numpy(),
            "pid": p["pid"].to_numpy(),
        }
    )


def bank_deposits(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Balances per account at the extract date, one bank card number each, with the date of
    the account's last transaction."""
    a = w.accounts
    bins = {b["name"]: b["bin"] for b in load_yaml("economy.yaml")["banks"]}
    numbers = unique_numbers(rng, len(a), 10**11, 5000)
    pid = a["pid"].to_numpy().astype(np.int64)
    out = pd.DataFrame(
        {
            "bank": a["bank"].to_numpy(),
            "account_no": [f"{bins[b]}{v:013d}" for b, v in zip(a["bank"], numbers, strict=True)],
            **_person_cols(w, pid, "id_number", "name"),
            "account_type": a["account_type"].to_numpy(),
            "balance": np.round(a["balance"].to_numpy().astype(float), 2),
            "as_of_date": w.as_of,
            "last_activity_date": a["last_activity"].to_numpy().astype("datetime64[D]"),
            "pid": pid,
            "force_duplicate": a["force_duplicate"].to_numpy().astype(bool),
        }
    )
    return out.sort_values("account_no", kind="stable").reset_index(drop=True)


def real_estate(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per owner of a certificate; co-owners share it with their shares."""
    h = w.homes
    reg = load_regions()
    names = dict(zip(reg.codes, reg.names, strict=True))
    certs = h.drop_duplicates("cert")[["cert", "region_code", "registration_date"]]
    seq = unique_numbers(rng, len(certs), 10_000, 300)
    year = pd.DatetimeIndex(certs["registration_date"]).year.to_numpy()
    cert_no = {
        c: f"渝({y}){names[r]}不动产权第{s:07d}号"
        for c, r, y, s in zip(certs["cert"], certs["region_code"], year, seq, strict=True)
    }
    # A second home's address: elsewhere in the same district.
    eco = load_yaml("economy.yaml")
    towns, roads = eco["towns"], eco["roads"]
    loc = h["location"].to_numpy().copy()
    missing = np.flatnonzero(pd.isna(loc))
    t = rng.integers(0, len(towns), len(missing))
    r = rng.integers(0, len(roads), len(missing))
    num = rng.integers(1, 500, len(missing))
    for i, ti, ri, ni in zip(missing, t, r, num, strict=True):
        loc[i] = f"重庆市{names[h['region_code'].iat[i]]}{towns[ti]}街道{roads[ri]}路{ni}号"
    by_cert = pd.Series(loc).groupby(h["cert"].to_numpy()).transform("first").to_numpy()
    pid = h["pid"].to_numpy().astype(np.int64)
    out = pd.DataFrame(
        {
            "certificate_no": [cert_no[c] for c in h["cert"]],
            "owner_seq": h["owner_seq"].to_numpy().astype(np.int64),
            **_person_cols(w, pid, "owner_id", "owner_name"),
            "share": h["share"].to_numpy().astype(float),
            "location": by_cert,
            "use": h["use"].to_numpy(),
            "area": h["area"].to_numpy().astype(float),
            "registration_date": h["registration_date"].to_numpy(),
            "status": h["status"].to_numpy(),
            "pid": pid,
        }
    )
    return out.sort_values(["certificate_no", "owner_seq"], kind="stable").reset_index(drop=True)


def vehicles(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per plate, with the owner's district letter after 渝."""
    v = w.vehicles
    reg = load_regions()
    pid = v["pid"].to_numpy().astype(np.int64)
    letter = np.array(reg.plates, dtype=object)[w.persons["region"].to_numpy()[pid]]
    capacity = 34 * 34 * 1000
    n = unique_numbers(rng, len(v), 0, max(1, min(40, capacity // max(len(v), 1) - 1)))
    if len(n) and n.max() >= capacity:
        raise ValueError("too many vehicles for the plate numbering scheme")
    plates = [
        "渝"
        + ltr
        + _PLATE_CHARS[(x // 1000) % 34]
        + _PLATE_CHARS[(x // 34000) % 34]
        + f"{x % 1000:03d}"
        for ltr, x in zip(letter, n, strict=True)
    ]
    out = pd.DataFrame(
        {
            "plate": plates,
            **_person_cols(w, pid, "owner_id", "owner_name"),
            "vehicle_type": v["vehicle_type"].to_numpy(),
            "first_registration": v["first_registration"].to_numpy(),
            "status": v["status"].to_numpy(),
            "pid": pid,
        }
    )
    return out.sort_values("plate", kind="stable").reset_index(drop=True)


def business(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person and role in a registered business."""
    e = w.entities.reset_index(drop=True)
    eco = load_yaml("economy.yaml")
    reg = load_regions()
    short = {c: n for c, n in zip(reg.codes, reg.names, strict=True)}
    k = len(e)
    body = unique_numbers(rng, k, 10_000_000, 900)
    prefix = e["entity_type"].map({"company": "91", "individual": "92", "cooperative": "93"})
    uscc = [
        make_uscc(pf, rc, f"{b:08d}")
        for pf, rc, b in zip(prefix, e["region_code"], body, strict=True)
    ]
    joint_stock = (e["entity_type"].to_numpy() == "company") & (rng.random(k) < 0.05)
    stems, inds = eco["company_stems"], eco["industries"]
    owner_name = w.persons["name"].to_numpy()[e["owner_pid"].to_numpy().astype(np.int64)]
    names = []
    for i in range(k):
        etype = e["entity_type"].iat[i]
        if etype == "company":
            form = "股份有限公司" if joint_stock[i] else "有限公司"
            names.append(
                f"重庆{stems[rng.integers(len(stems))]}{inds[rng.integers(len(inds))]}{form}"
            )
        elif etype == "individual":
            trade = eco["shop_trades"][rng.integers(len(eco["shop_trades"]))]
            names.append(f"{short[e['region_code'].iat[i]]}{owner_name[i][0]}记{trade}")
        else:
            town = eco["towns"][rng.integers(len(eco["towns"]))]
            names.append(
                f"{short[e['region_code'].iat[i]]}{town}{eco['coop_trades'][rng.integers(len(eco['coop_trades']))]}"
            )
    ent = pd.DataFrame(
        {
            "eid": e["eid"].to_numpy(),
            "uscc": uscc,
            "entity_name": names,
            "entity_type": e["entity_type"].to_numpy(),
            "_label_entity_type": np.where(joint_stock, "股份有限公司", None),
            "registered_capital": e["registered_capital"].to_numpy().astype(float),
            "status": e["status"].to_numpy(),
        }
    )
    r = w.roles.merge(ent, on="eid", how="left").sort_values(["uscc", "role", "pid"], kind="stable")
    pid = r["pid"].to_numpy().astype(np.int64)
    seq = np.sort(unique_numbers(rng, len(r), 10**9, 7))
    # An individual business's holder is its 经营者, not a 法定代表人.
    label_role = np.where(
        (r["entity_type"].to_numpy() == "individual") & (r["role"].to_numpy() == "legal_rep"),
        "经营者",
        None,
    )
    return pd.DataFrame(
        {
            "record_no": [f"SC{s:011d}" for s in seq],
            "uscc": r["uscc"].to_numpy(),
            "entity_name": r["entity_name"].to_numpy(),
            "entity_type": r["entity_type"].to_numpy(),
            **_person_cols(w, pid, "person_id", "person_name"),
            "role": r["role"].to_numpy(),
            "registered_capital": r["registered_capital"].to_numpy(),
            "status": r["status"].to_numpy(),
            "pid": pid,
            "_label_entity_type": r["_label_entity_type"].to_numpy(),
            "_label_role": label_role,
        }
    )


def _stream_months(w: World, s: pd.DataFrame):
    """Streams expanded to one row per month paid: pid, kind, month index, stream row.

    Nothing is paid after a death; pensions stop only once the hukou records it."""
    p = w.persons
    span = (s["last_m"] - s["first_m"] + 1).to_numpy()
    row = np.repeat(np.arange(len(s)), span)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(span) - span, span)
    m_idx = s["first_m"].to_numpy()[row] + offset
    pid = s["pid"].to_numpy().astype(np.int64)[row]
    kind = s["kind"].to_numpy()[row]
    death = p["death_date"].to_numpy().astype("datetime64[M]")[pid]
    death_idx = (death - w.first_month).astype("int64")
    died = ~np.isnat(death)
    shown = p["status"].to_numpy()[pid] == "deceased"
    stop = died & (m_idx > death_idx) & ((kind == "wage") | shown)
    keep = ~stop
    return pid[keep], kind[keep], m_idx[keep], row[keep]


def social_insurance(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person, insurance and month, expanded from the income streams."""
    s = w.streams.reset_index(drop=True)
    p = w.persons
    pid, kind, m_idx, row = _stream_months(w, s)
    amount = np.round(s["amount"].to_numpy().astype(float)[row], 2)
    order = np.lexsort((p["id_number"].to_numpy()[pid].astype(str), kind, m_idx))
    pid, kind, m_idx, row, amount = pid[order], kind[order], m_idx[order], row[order], amount[order]
    seq = np.sort(unique_numbers(rng, len(pid), 10**10, 3))
    months = np.array(w.months, dtype=object)
    wage = kind == "wage"
    return pd.DataFrame(
        {
            "record_no": [f"SB{x:012d}" for x in seq],
            **_person_cols(w, pid, "id_number", "name"),
            "employer": s["employer"].to_numpy()[row],
            "insurance_type": np.where(kind == "resident_pension", "resident", "employee"),
            "contribution_base": np.where(wage, amount, np.nan),
            "pension_paid": np.where(wage, np.nan, amount),
            "month": months[m_idx],
            "pid": pid,
        }
    )


def custody(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per custody, current or ended."""
    c = w.custody.sort_values(["start_date", "pid"], kind="stable").reset_index(drop=True)
    pid = c["pid"].to_numpy().astype(np.int64)
    seq = np.sort(unique_numbers(rng, len(c), 10**7, 40))
    return pd.DataFrame(
        {
            "record_no": [f"SF{x:09d}" for x in seq],
            "id_number": w.persons["id_number"].to_numpy()[pid],
            "name": w.persons["name"].to_numpy()[pid],
            "custody_type": c["custody_type"].to_numpy(),
            "start_date": c["start_date"].to_numpy().astype("datetime64[D]"),
            "end_date": c["end_date"].to_numpy().astype("datetime64[D]"),
            "pid": pid,
        }
    )


def applications(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Every member of every applicant household, one row each, declared income repeated."""
    a = w.applications.sort_values("application_no", kind="stable").reset_index(drop=True)
    hh = a["hh"].to_numpy().astype(np.int64)
    declared = pd.Series(_declared_income(w, rng, hh), index=hh)
    p = w.persons[w.persons["applicant"]]
    at = a.set_index("hh")
    p_hh = p["hh"].to_numpy()
    out = pd.DataFrame(
        {
            "application_no": at.loc[p_hh, "application_no"].to_numpy(),
            "application_date": at.loc[p_hh, "application_date"].to_numpy(),
            "household_id": at.loc[p_hh, "household_id"].to_numpy(),
            "region_code": p["region_code"].to_numpy(),
            "urban_rural": np.where(p["urban"].to_numpy(), "urban", "rural"),
            "member_no": p["member_no"].to_numpy().astype(np.int64),
            "id_number": p["id_number"].to_numpy(),
            "name": p["name"].to_numpy(),
            "relation": p["relation"].to_numpy(),
            "declared_income": declared.loc[p_hh].to_numpy().astype(float),
            "status": at.loc[p_hh, "status"].to_numpy(),
            "pid": p["pid"].to_numpy(),
            "_male": p["male"].to_numpy(),
        }
    )
    return out.sort_values(["application_no", "member_no"], kind="stable").reset_index(drop=True)


def securities(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Market value per securities account: Shanghai accounts A + 9 digits, Shenzhen 0 + 9."""
    sec = w.securities.reset_index(drop=True)
    sh = (sec["market"] == "sh").to_numpy()
    numbers = np.empty(len(sec), dtype=np.int64)
    numbers[sh] = unique_numbers(rng, int(sh.sum()), 10**8, 3000)
    numbers[~sh] = unique_numbers(rng, int((~sh).sum()), 10**7, 3000)
    account = [
        f"A{v:09d}" if s else f"0{v:09d}"
        for s, v in zip(sh.tolist(), numbers.tolist(), strict=True)
    ]
    pid = sec["pid"].to_numpy().astype(np.int64)
    out = pd.DataFrame(
        {
            "account_no": account,
            **_person_cols(w, pid, "id_number", "name"),
            "market": sec["market"].to_numpy(),
            "market_value": np.round(sec["market_value"].to_numpy().astype(float), 2),
            "as_of_date": w.as_of,
            "pid": pid,
        }
    )
    return out.sort_values("account_no", kind="stable").reset_index(drop=True)


def insurance(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Cash value per life-insurance policy in force: the insurer's prefix and 14 digits."""
    ins = w.insurance.reset_index(drop=True)
    prefix = {i["name"]: i["prefix"] for i in load_yaml("economy.yaml")["insurers"]}
    numbers = unique_numbers(rng, len(ins), 10**13, 10**5)
    pid = ins["pid"].to_numpy().astype(np.int64)
    out = pd.DataFrame(
        {
            "policy_no": [
                f"{prefix[i]}{v:014d}" for i, v in zip(ins["insurer"], numbers.tolist(), strict=True)
            ],
            "insurer": ins["insurer"].to_numpy(),
            **_person_cols(w, pid, "holder_id", "holder_name"),
            "product_type": ins["product_type"].to_numpy(),
            "effective_date": ins["effective_date"].to_numpy().astype("datetime64[D]"),
            "cash_value": np.round(ins["cash_value"].to_numpy().astype(float), 2),
            "as_of_date": w.as_of,
            "pid": pid,
        }
    )
    return out.sort_values("policy_no", kind="stable").reset_index(drop=True)


def provident_fund(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per personal account; both sides pay base × rate, rounded to the yuan."""
    a = w.provident.reset_index(drop=True)
    pid = a["pid"].to_numpy().astype(np.int64)
    numbers = unique_numbers(rng, len(a), 10**9, 4000)
    base = a["base"].to_numpy().astype(float)
    out = pd.DataFrame(
        {
            "record_no": [f"50{v:010d}" for v in numbers.tolist()],
            **_person_cols(w, pid, "id_number", "name"),
            "employer": a["employer"].to_numpy(),
            "base": base,
            "monthly_contribution": 2 * np.round(base * a["rate"].to_numpy().astype(float)),
            "status": a["status"].to_numpy(),
            "last_paid_month": a["last_paid"].to_numpy(),
            "pid": pid,
        }
    )
    return out.sort_values("record_no", kind="stable").reset_index(drop=True)


def state_payroll(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """One row per person and month paid from the budget (the payroll wage streams)."""
    s = w.streams[w.streams["payroll"].to_numpy().astype(bool)].reset_index(drop=True)
    pid, _, m_idx, row = _stream_months(w, s)
    order = np.lexsort((w.persons["id_number"].to_numpy()[pid].astype(str), m_idx))
    pid, m_idx, row = pid[order], m_idx[order], row[order]
    seq = np.sort(unique_numbers(rng, len(pid), 10**9, 5))
    months = np.array(w.months, dtype=object)
    return pd.DataFrame(
        {
            "record_no": [f"CZ{x:011d}" for x in seq.tolist()],
            **_person_cols(w, pid, "id_number", "name"),
            "employer": s["employer"].to_numpy()[row],
            "month": months[m_idx],
            "pid": pid,
        }
    )


def disability(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """Certificate holders: every disabled roster member, most disabled people outside it and
    every owner of a disabled person's motorised wheelchair (a physical disability).

    The certificate number is the ID number, the category digit and the grade digit."""
    spec = load_yaml("economy.yaml")["disability"]
    p = w.persons
    n = len(p)
    disabled = p["condition"].to_numpy() == 1
    roster = p["roster"].to_numpy()
    certified = disabled & (roster | (rng.random(n) < spec["wider_certified"]))
    v = w.vehicles
    wheel = v.loc[v["vehicle_type"] == "disabled_wheelchair", "pid"].to_numpy().astype(np.int64)
    on_wheels = np.zeros(n, dtype=bool)
    on_wheels[wheel] = True
    pid = np.flatnonzero(certified | on_wheels)
    k = len(pid)
    cats = spec["categories"]
    share = np.array([c["share"] for c in cats], dtype=float)
    cat_idx = rng.choice(len(cats), k, p=share / share.sum())
    grades = np.array(spec["grades"], dtype=float)
    grade = rng.choice(4, k, p=grades / grades.sum()) + 1
    physical = [c["code"] for c in cats].index("physical")
    wheels = on_wheels[pid]
    cat_idx[wheels] = physical
    grade[wheels] = rng.integers(1, 4, int(wheels.sum()))
    code = np.array([c["code"] for c in cats], dtype=object)[cat_idx]
    digit = np.array([c["digit"] for c in cats], dtype=np.int64)[cat_idx]
    ids = p["id_number"].to_numpy()[pid]
    birth = p["birth"].to_numpy().astype("datetime64[D]")[pid]
    lo = np.maximum(np.datetime64("2008-01-01", "D"), birth + np.timedelta64(365, "D"))
    span = np.maximum((w.as_of - np.timedelta64(1, "D") - lo).astype(int), 0)
    issued = lo + np.floor(rng.random(k) * (span + 1)).astype(np.int64).astype("timedelta64[D]")
    issued = np.minimum(issued, w.as_of - np.timedelta64(1, "D"))  # babies: a recent one
    out = pd.DataFrame(
        {
            "id_number": ids,
            "name": p["name"].to_numpy()[pid],
            "certificate_no": [
                f"{i}{d}{g}"
                for i, d, g in zip(ids.tolist(), digit.tolist(), grade.tolist(), strict=True)
            ],
            "category": code,
            "grade": grade.astype(np.int64),
            "issue_date": issued,
            "pid": pid,
        }
    )
    out = outreach.planted_certificates(w, rng, out)  # grade 1–2 certificates of 漏保 leads
    return out.sort_values(["issue_date", "certificate_no"], kind="stable").reset_index(drop=True)


BUILDERS = {
    "roster": lambda w, rngs: roster(w, rngs("reg.roster")),
    "hukou": lambda w, rngs: hukou(w),
    "cremation": lambda w, rngs: cremation(w, rngs("reg.cremation")),
    "bank_deposits": lambda w, rngs: bank_deposits(w, rngs("reg.bank")),
    "real_estate": lambda w, rngs: real_estate(w, rngs("reg.real_estate")),
    "vehicles": lambda w, rngs: vehicles(w, rngs("reg.vehicles")),
    "business": lambda w, rngs: business(w, rngs("reg.business")),
    "social_insurance": lambda w, rngs: social_insurance(w, rngs("reg.social_insurance")),
    "custody": lambda w, rngs: custody(w, rngs("reg.custody")),
    "applications": lambda w, rngs: applications(w, rngs("reg.applications")),
    "securities": lambda w, rngs: securities(w, rngs("reg.securities")),
    "provident_fund": lambda w, rngs: provident_fund(w, rngs("reg.provident_fund")),
    "state_payroll": lambda w, rngs: state_payroll(w, rngs("reg.state_payroll")),
    "disability": lambda w, rngs: disability(w, rngs("reg.disability")),
    "insurance": lambda w, rngs: insurance(w, rngs("reg.insurance")),
    "marriage": lambda w, rngs: marriage.marriage(w, rngs("reg.marriage")),
}


def build_registry(w: World, rngs, source: str) -> pd.DataFrame:
    """One source's canonical frame; each source draws from its own stream, so a source is
    the same whether or not the others are built."""
    return BUILDERS[source](w, rngs)


def build_registries(w: World, rngs, sources=None) -> dict[str, pd.DataFrame]:
    """Every source's canonical frame (or those of `sources`), keyed by source name."""
    return {s: build_registry(w, rngs, s) for s in BUILDERS if sources is None or s in sources}
