"""The five later sources: applications, securities, provident fund, state payroll, disability.

Each agrees with the rest of the world (the applicants are in the hukou extract, the payroll
in social insurance, wheelchair owners in the disability registry) and carries its noise."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines.standardize.ids import standardize_id
from pipelines.synth import NoiseRates
from tests.synth.conftest import read_jsonl, read_xlsx
from tests.synth.facts import household_facts, people

NEW = ("applications", "securities", "provident_fund", "state_payroll", "disability")


def _planted(g, code: str) -> set[str]:
    planted = g.planted()
    return set(planted.loc[planted["code"] == code, "household_id"])


def _roster_rows(g, source: str) -> pd.DataFrame:
    clean = g.clean(source)
    return clean[clean["person_key"].notna()].assign(
        household_id=lambda d: d["person_key"].str[:14]
    )


@pytest.mark.parametrize("source", NEW)
def test_new_sources_carry_noise(default_size, source):
    links = default_size.links()
    noise = links.loc[links["source"] == source, "noise"]
    kinds = set(",".join(noise).split(",")) - {""}
    assert kinds & {"id_typo", "id_transposition", "id_missing", "id_fullwidth_or_lowercase"}
    assert "traditional_chars" in kinds
    fmt = default_size.schemas[source].format
    if fmt == "csv":
        assert "mixed_date_formats" in kinds or source == "state_payroll"  # no date column
        if len(noise) * NoiseRates().duplicate_rows >= 5:
            assert "duplicate_rows" in kinds
    else:  # dates and repeated rows are noise of CSV files only
        assert not kinds & {"mixed_date_formats", "duplicate_rows"}
    # mostly clean: a fifth of CSV records have a date in another format (contact data,
    # phone and address, are messier and not counted here)
    contact = {"phone_missing", "phone_outdated", "phone_format"}
    contact |= {"address_missing", "address_variant"}
    other = noise.map(lambda s: set(s.split(",")) - {""} - contact)
    assert other.map(len).eq(0).mean() > (0.7 if fmt == "csv" else 0.9)


def test_state_payroll_has_repeated_rows(default_size):
    links = default_size.links()
    noise = links.loc[links["source"] == "state_payroll", "noise"]
    assert noise.str.contains("duplicate_rows").sum() >= 5


# ---- applications ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def applicant_facts(default_size, params) -> pd.DataFrame:
    hh = household_facts(default_size.truth, params, "2025-07", of="applications")
    planted = default_size.planted()
    planted = planted[planted["kind"] == "application"].set_index("household_id")
    hh["code"] = planted["code"].reindex(hh.index)
    return hh


def test_applicants_are_new_households_in_every_registry(default_size):
    g = default_size
    apps = g.clean("applications")
    roster = g.clean("roster")
    assert apps["household_id"].nunique() == 100  # 5 % of 2,000 roster households
    assert apps["person_key"].isna().all()  # not on the roster
    assert not set(apps["synthetic_person_id"]) & set(roster["synthetic_person_id"])
    assert not set(apps["id_number"]) & set(roster["id_number"])
    dates = pd.to_datetime(apps["application_date"])
    assert dates.between("2025-07-01", "2025-07-31").all() and (dates.dt.dayofweek < 5).all()
    assert set(apps["status"]) <= {"received", "under_review", "public_notice"}
    # one application per household, numbered in its district, the same on every member
    per_hh = apps.groupby("household_id")
    assert (
        per_hh["application_no"].nunique().eq(1).all()
        and apps["application_no"].str[:6].eq(apps["region_code"]).all()
    )
    assert per_hh["relation"].apply(lambda r: (r == "head").sum()).eq(1).all()
    assert per_hh["declared_income"].nunique().eq(1).all()
    # the applicants are people of the hukou extract, one hukou household each, alive
    hukou = g.clean("hukou").set_index("synthetic_person_id")
    assert set(apps["synthetic_person_id"]) <= set(hukou.index)
    person = hukou.loc[apps["synthetic_person_id"]]
    assert (person["id_number"].to_numpy() == apps["id_number"].to_numpy()).all()
    assert (person["status"] == "normal").all()
    hukou_no = pd.Series(person["hukou_no"].to_numpy(), index=apps["household_id"].to_numpy())
    assert hukou_no.groupby(level=0).nunique().eq(1).all()
    assert apps["id_number"].map(lambda i: standardize_id(i).valid).all()
    # and they are in the other registries like anybody else
    links = g.links()
    seen = set(links.loc[links["source"] == "bank_deposits", "person_id"])
    assert len(set(apps["synthetic_person_id"]) & seen) > 0.5 * len(apps)


def test_applications_file_is_utf8_with_a_bom_and_carries_labels(default_size):
    raw = default_size.landing("applications").read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    written = default_size.written("applications")
    assert {"本人", "配偶"} <= set(written["relation"])
    assert {"受理", "审核中"} <= set(written["status"])


def test_applicant_outcomes(applicant_facts):
    hh = applicant_facts
    assert hh["code"].notna().all()
    eligible = hh[hh["code"] == "APPLICANT_ELIGIBLE"]
    assert len(eligible) >= 90 and eligible["eligible"].all()
    assert (eligible["per_capita"] < 0.5 * eligible["standard"]).all()
    assert (eligible["assets"] <= 0.5 * eligible["limit"]).all()
    assert (eligible["per_capita_with_resident_pension"] < eligible["standard"]).all()

    def of(code):
        return hh[hh["code"] == code]

    assert (of("APPLICANT_VEHICLE_OWNED")["vehicles"] >= 1).all()
    assets = of("APPLICANT_ASSETS_ABOVE_LIMIT")
    assert (assets["assets"] > 1.25 * assets["limit"]).all()
    income = of("APPLICANT_INCOME_ABOVE_STANDARD")
    assert (income["per_capita"] > 1.15 * income["standard"]).all()
    failing = hh[hh["code"] != "APPLICANT_ELIGIBLE"]
    assert len(failing) == 9 and not failing["eligible"].any()


def test_applicant_declares_less_than_the_registries_show(default_size, applicant_facts):
    apps = default_size.clean("applications").groupby("household_id")["declared_income"].first()
    income = applicant_facts[applicant_facts["code"] == "APPLICANT_INCOME_ABOVE_STANDARD"]
    registered = income["income"] / 12
    assert (apps.loc[income.index] < 0.5 * registered).all()


# ---- securities ----------------------------------------------------------------------


def test_securities_minority_and_small_roster_holdings(default_size):
    g = default_size
    sec = g.clean("securities")
    hukou = g.clean("hukou")
    holders = sec["synthetic_person_id"].nunique()
    assert 0.02 * len(hukou) < holders < 0.15 * len(hukou)
    assert set(sec["market"]) == {"sh", "sz"}
    assert sec["account_no"].str.match(r"^(A\d{9}|0\d{9})$").all()
    assert ((sec["market"] == "sh") == sec["account_no"].str.startswith("A")).all()
    assert (pd.to_datetime(sec["as_of_date"]) == "2025-06-30").all()
    roster = _roster_rows(g, "securities")
    planted = set(g.planted()["household_id"])
    background = roster[~roster["household_id"].isin(planted)]
    assert 10 <= background["household_id"].nunique() <= 0.1 * 2000
    assert (
        background["market_value"].max()
        < sec.loc[sec["person_key"].isna(), "market_value"].median()
    )
    # no applicant holds securities
    apps = set(g.clean("applications")["synthetic_person_id"])
    assert not apps & set(sec["synthetic_person_id"])


def test_securities_file_is_gbk_with_market_labels(default_size):
    written = default_size.written("securities")
    assert set(written["market"]) <= {"上海", "沪市", "深圳", "深市"}
    assert {"上海", "深圳"} <= set(written["market"])


# ---- provident fund ----------------------------------------------------------------------


def test_provident_fund_accounts(default_size):
    g = default_size
    pf = g.clean("provident_fund")
    assert {"active", "sealed", "closed"} == set(pf["status"])
    assert pf["last_paid_month"].str.match(r"^\d{4}-\d{2}$").all()
    assert pf["last_paid_month"].max() == "2025-06"
    # outside the roster, an active account is paid up to the extract; on the roster only
    # the planted ones are active (test_roster_has_only_old_provident_fund_accounts)
    pf = pf[pf["person_key"].isna()]
    active = pf[pf["status"] == "active"]
    assert (active["last_paid_month"] == "2025-06").all()
    assert (pf["monthly_contribution"] == 2 * (pf["base"] * 0.05).round()).any()
    assert (pf["monthly_contribution"] <= 0.25 * pf["base"] + 1).all()
    # an employee's account matches a job in the social-insurance extract
    si = g.clean("social_insurance")
    jobs = set(zip(si["synthetic_person_id"], si["employer"], strict=True))
    assert all(
        (p, e) in jobs
        for p, e in zip(active["synthetic_person_id"], active["employer"], strict=True)
    )


def test_roster_has_only_old_provident_fund_accounts(default_size):
    """Roster members hold only planted accounts: old sealed or closed ones, an old one still
    marked active (OLD_EMPLOYER_FUND), and a recent active one without a wage
    (PROVIDENT_WITHOUT_WAGE, a point to verify)."""
    g = default_size
    rows = _roster_rows(g, "provident_fund")
    old = _planted(g, "OLD_PROVIDENT_FUND")
    stale = _planted(g, "OLD_EMPLOYER_FUND")
    recent = _planted(g, "PROVIDENT_WITHOUT_WAGE")
    assert set(rows["household_id"]) == old | stale | recent
    roster = rows[rows["household_id"].isin(old)]
    assert len(roster) >= 30
    assert set(roster["status"]) == {"sealed", "closed"}
    assert (roster["last_paid_month"] <= "2022-04").all()  # three years or more before
    for households, months in ((stale, ("2005-01", "2022-06")), (recent, ("2025-04", "2025-06"))):
        mine = rows[rows["household_id"].isin(households)]
        assert len(mine) == len(households) and (mine["status"] == "active").all()
        assert mine["last_paid_month"].between(*months).all()
    apps = set(g.clean("applications")["synthetic_person_id"])
    applicants = g.clean("provident_fund")["synthetic_person_id"].isin(apps)
    assert not (g.clean("provident_fund").loc[applicants, "status"] == "active").any()


def test_provident_fund_jsonl_writes_compact_months_and_numbers(default_size):
    docs = read_jsonl(default_size.landing("provident_fund"))
    months = {d["缴至年月"] for d in docs}
    assert all(len(m) == 6 and m.isdigit() for m in months)
    assert all(isinstance(d["缴存基数"], float) for d in docs)
    assert {"正常缴存", "封存", "销户"} <= {d["账户状态"] for d in docs}
    assert any(d["证件号码"] is None for d in docs)  # id_missing: null, not ""


# ---- state payroll ----------------------------------------------------------------------


def test_state_payroll(default_size):
    g = default_size
    sp = g.clean("state_payroll")
    assert sp["month"].between("2024-05", "2025-06").all()
    assert sp["employer"].str.startswith("重庆市").all()
    assert not sp["employer"].str.endswith(("自来水公司", "供电公司")).any()
    wider = sp[sp["person_key"].isna()]
    assert wider["synthetic_person_id"].nunique() > 100
    # every payroll month is also a wage month at the same employer in social insurance
    si = g.clean("social_insurance")
    si = si[si["insurance_type"] == "employee"]
    paid = set(zip(si["synthetic_person_id"], si["employer"], si["month"], strict=True))
    assert all(
        key in paid
        for key in zip(sp["synthetic_person_id"], sp["employer"], sp["month"], strict=True)
    )
    # the roster only where planted, in the months before the month checked
    roster = _roster_rows(g, "state_payroll")
    planted = g.planted()
    members = planted.loc[planted["code"] == "STATE_PAYROLL_MEMBER", "person_key"]
    assert set(roster["person_key"]) == set(members) and len(members) == 20
    assert (roster.groupby("person_key")["month"].max() == "2025-06").all()
    assert g.written("state_payroll")["month"].str.match(r"^\d{6}$").all()


# ---- disability ----------------------------------------------------------------------


def test_disability_registry_covers_disabled_members_and_wheelchair_owners(default_size):
    g = default_size
    dis = g.clean("disability")
    roster = g.clean("roster")
    disabled = set(roster.loc[roster["category"] == "disabled", "synthetic_person_id"])
    assert len(disabled) > 200 and disabled <= set(dis["synthetic_person_id"])
    vehicles = g.clean("vehicles")
    wheel = vehicles[vehicles["vehicle_type"] == "disabled_wheelchair"]
    by_person = dis.set_index("synthetic_person_id")
    assert len(wheel) >= 30 and set(wheel["synthetic_person_id"]) <= set(by_person.index)
    owners = by_person.loc[wheel["synthetic_person_id"].unique()]
    assert (owners["category"] == "physical").all() and (owners["grade"] <= 3).all()
    planted = _planted(g, "DISABLED_WHEELCHAIR")
    owners_on_roster = wheel["person_key"].dropna().str[:14]
    assert planted <= set(owners_on_roster)
    outside = dis[dis["person_key"].isna()]
    assert len(outside) > 100  # non-recipients too
    # the 漏保 leads planted outside the roster (outreach.py) hold the grade 1 or 2 certificate
    # their detail names: "HK" + 户号 + "-" + the holder's number there (户主 first, then by
    # birth date and ID)
    every = g.planted()
    leads = every[every["kind"].isin(["outreach", "outreach_lookalike"])]
    assert len(leads) == 20
    hukou = g.clean("hukou")
    for row in leads.itertuples():
        hukou_no, number = row.person_key[2:].rsplit("-", 1)
        assert row.household_id == f"HK{hukou_no}"
        m = hukou[hukou["hukou_no"] == hukou_no]
        m = m.assign(other=m["relation"] != "户主").sort_values(
            ["other", "birth_date", "id_number"], kind="stable"
        )
        holder = m["synthetic_person_id"].iat[int(number) - 1]
        grade = by_person.loc[holder, "grade"]
        assert grade in (1, 2) and f"grade-{grade} " in row.detail, (row, grade)
    assert set(dis["category"]) == {
        "visual",
        "hearing",
        "speech",
        "physical",
        "intellectual",
        "mental",
        "multiple",
    }
    assert dis["grade"].between(1, 4).all() and set(dis["grade"]) == {1, 2, 3, 4}
    digit = {"visual": 1, "hearing": 2, "speech": 3, "physical": 4}
    digit |= {"intellectual": 5, "mental": 6, "multiple": 7}
    # true IDs and births from hukou (a member hukou does not hold, NOT_IN_HUKOU: their ID's)
    hukou = people(g.truth)
    true_id = hukou.loc[dis["synthetic_person_id"], "id_number"].to_numpy()
    expected = [
        f"{i}{digit[c]}{gr}"
        for i, c, gr in zip(true_id, dis["category"], dis["grade"], strict=True)
    ]
    assert dis["certificate_no"].tolist() == expected
    issued = pd.to_datetime(dis["issue_date"])
    born = pd.to_datetime(hukou.loc[dis["synthetic_person_id"], "birth_date"].to_numpy())
    assert (issued <= "2025-06-30").all() and (issued.to_numpy() >= born.to_numpy()).all()


def test_disability_workbook_cells(default_size):
    g = default_size
    header, rows = read_xlsx(g.landing("disability"))
    clean = g.clean("disability").set_index("record_key")
    assert len(rows) == len(clean)
    for row in rows:
        ident, name, cert, category, grade, issued = row
        truth = clean.loc[cert]
        assert isinstance(grade, int) and grade == truth["grade"]
        assert isinstance(issued, dt.datetime)  # a real date cell, not text
        assert issued.date() == pd.Timestamp(truth["issue_date"]).date()
        assert ident is None or isinstance(ident, str)  # ID numbers stay text
        assert category in {"视力", "视力残疾", "听力", "听力残疾", "言语", "言语残疾", "肢体"} | {
            "肢体残疾",
            "智力",
            "智力残疾",
            "精神",
            "精神残疾",
            "多重",
            "多重残疾",
        }


def test_no_id_damage_on_applicants_with_a_problem(default_size):
    g = default_size
    planted = g.planted()
    failing = planted[
        (planted["kind"] == "application") & (planted["code"] != "APPLICANT_ELIGIBLE")
    ]
    apps = g.clean("applications")
    people = set(
        apps.loc[apps["household_id"].isin(failing["household_id"]), "synthetic_person_id"]
    )
    links = g.links()
    mine = links[links["person_id"].isin(people)]
    assert len(mine) > 20
    assert not mine["noise"].str.contains("id_typo|id_transposition|id_missing").any()
    # the planted person key names the applicant: <application household>-<member no>
    keys = failing["person_key"]
    assert keys.notna().all()
    assert set(keys) <= set(apps["household_id"] + "-" + apps["member_no"].map("{:02d}".format))
