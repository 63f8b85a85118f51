"""The marriage registry (民政 婚姻登记) and the spouses the roster leaves out.

Every couple of the world (a head and a spouse, or the head's two parents, in one household)
has its marriage registered, after both reached the legal age (men 22, women 20), before the
extract date and, where the household shows one, before the birth of their eldest child; a
couple too young to marry lives together unregistered. A share of the other adults, on the
roster or not, married years ago and divorced since (DIVORCED_SHARE), paired by age.

Planted on roster households whose adult head has no spouse in the household (`plant`):
- UNDECLARED_SPOUSE (problem, HOUSEHOLD_MISMATCH): the head is married, not divorced, to a
  living adult of the wider population;
- DIVORCED_SPOUSE (look-alike): married, then divorced before the month; the ex-spouse lives;
- SPOUSE_DECEASED (look-alike): married; the spouse, outside the household, died before the
  month: hukou shows the death with its date (always, hukou carries no noise), a cremation
  record two times in three, as DECEASED_MEMBER marks deaths.
The spouse is an unpartnered adult of the wider population (not an applicant, not held, not
in any other plan), of the other sex and a similar age. A spouse who dies is not disabled and
dies after every dated record of theirs (a vehicle's or a home's registration, a policy, a
custody spell, the last payment into a provident-fund account: nobody paying into one now),
so that nothing shows them alive after their death (`_last_record`).

What `plant` decides is kept on the world as `world.marriages` (husband, wife, event, date,
code: one row per registration), attached at run time since World declares no such field;
`marriage(world, rng)`, run after planting like every registry, writes it beside the couples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.config import month_bounds
from pipelines.synth.world import World

NAT = np.datetime64("NaT", "D")
LEGAL_AGE = {"husband": 22, "wife": 20}  # 《民法典》第一千零四十七条
FIRST_DATE = np.datetime64("1950-01-01", "D")  # the first Marriage Law; the schema's minimum
DIVORCED_SHARE = 0.12  # of unpartnered adults aged 25 or more
YEAR = 365.2425
EVENT_PREFIX = {"marriage": "J", "divorce": "L"}
PARTY = {"husband": "男方", "wife": "女方"}  # as written: the schema's canonical codes
MARRIAGE_EVENTS = ("husband", "wife", "event", "date", "code")

UNDECLARED, DIVORCED, DECEASED = "undeclared_spouse", "divorced_spouse", "spouse_deceased"
# head's age range per code, and days before the extract date the first registration must fit
HEAD_AGES = {UNDECLARED: (24, 70), DIVORCED: (26, 75), DECEASED: (30, 85)}
SLACK_DAYS = {UNDECLARED: 30, DIVORCED: 30 + 400, DECEASED: 45 + 2 * 365}


# ---- who is married to whom -----------------------------------------------------------------
def couples(persons: pd.DataFrame) -> pd.DataFrame:
    """husband, wife (pids), before (the eldest child's birth, NaT when none is known): a head
    and a spouse of one household, and a head's two parents (a man and a woman)."""
    p = persons[["pid", "hh", "relation", "male", "birth"]]
    rel = p["relation"].to_numpy()
    head = p[rel == "head"]
    pair = head.merge(p[rel == "spouse"], on="hh", suffixes=("_a", "_b"))
    pair = pair[pair["male_a"] != pair["male_b"]]
    kids = p[rel == "child"].groupby("hh")["birth"].min()
    parents = p[rel == "parent"]
    two = parents.groupby("hh")["pid"].transform("size").to_numpy() == 2
    parents = parents[two]
    old = parents[parents["male"]].merge(parents[~parents["male"]], on="hh", suffixes=("_a", "_b"))
    parts = []
    for frame, before in (
        (pair, kids.reindex(pair["hh"]).to_numpy()),
        # the head is the parents' child
        (old, head.set_index("hh")["birth"].reindex(old["hh"]).to_numpy()),
    ):
        male_a = frame["male_a"].to_numpy()
        a, b = frame["pid_a"].to_numpy(), frame["pid_b"].to_numpy()
        parts.append(
            pd.DataFrame(
                {
                    "husband": np.where(male_a, a, b).astype(np.int64),
                    "wife": np.where(male_a, b, a).astype(np.int64),
                    "before": pd.to_datetime(before).to_numpy().astype("datetime64[D]"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values("husband", ignore_index=True)


def _years_after(birth: np.ndarray, years: int) -> np.ndarray:
    return (pd.DatetimeIndex(birth) + pd.DateOffset(years=years)).to_numpy().astype("datetime64[D]")


def legal_from(persons: pd.DataFrame, husband: np.ndarray, wife: np.ndarray) -> np.ndarray:
    """The first day both could marry: he 22, she 20, and not before 1950."""
    birth = persons["birth"].to_numpy().astype("datetime64[D]")
    h = _years_after(birth[husband], LEGAL_AGE["husband"])
    w = _years_after(birth[wife], LEGAL_AGE["wife"])
    return np.maximum(np.maximum(h, w), FIRST_DATE)


def _days(x) -> np.ndarray:
    return np.asarray(x).astype("int64").astype("timedelta64[D]")


def _soon_after(rng, lo: np.ndarray, hi: np.ndarray, mean_years: float) -> np.ndarray:
    """A date in [lo, hi], most within a few years of lo (gamma, mean `mean_years`); a draw
    beyond hi is redrawn uniformly, so that nothing piles up on hi. NaT where hi < lo."""
    span = (hi - lo).astype("int64")
    offset = rng.gamma(1.5, mean_years / 1.5 * YEAR, len(lo))
    uniform = rng.random(len(lo)) * (np.maximum(span, 0) + 1)
    offset = np.floor(np.where(offset > span, uniform, offset))
    return np.where(span >= 0, lo + _days(np.minimum(offset, np.maximum(span, 0))), NAT)


def _uniform(rng, lo, hi) -> np.datetime64:
    """One day in [lo, hi]."""
    span = int((hi - lo).astype(int))
    return lo + np.timedelta64(int(rng.integers(0, max(span, 0) + 1)), "D")


def _couple_dates(rng, persons: pd.DataFrame, c: pd.DataFrame, as_of) -> np.ndarray:
    """Each couple's marriage date (NaT when they cannot have married yet)."""
    h, w = c["husband"].to_numpy(), c["wife"].to_numpy()
    lo = legal_from(persons, h, w)
    death = persons["death_date"].to_numpy().astype("datetime64[D]")
    hi = np.full(len(c), as_of)
    for d in (death[h], death[w]):
        hi = np.where(np.isnat(d), hi, np.minimum(hi, d - np.timedelta64(1, "D")))
    before = c["before"].to_numpy().astype("datetime64[D]")
    use = ~np.isnat(before) & (before > lo)
    hi = np.where(use, np.minimum(hi, before), hi)
    return _soon_after(rng, lo, hi, 3.0)


def _divorces(rng, persons: pd.DataFrame, taken: np.ndarray, as_of) -> pd.DataFrame:
    """Old marriages ended by a divorce: unpartnered living adults (25+), paired by age."""
    p = persons
    n = len(p)
    alive = p["death_date"].isna().to_numpy() & (p["status"].to_numpy() != "deceased")
    pool = ~taken & alive & (p["age"].to_numpy() >= 25)
    drawn = pool & (rng.random(n) < DIVORCED_SHARE)
    male = p["male"].to_numpy()
    men, women = np.flatnonzero(drawn & male), np.flatnonzero(drawn & ~male)
    k = min(len(men), len(women))
    birth = p["birth"].to_numpy().astype("datetime64[D]")
    men = np.sort(rng.choice(men, k, replace=False)) if k else men[:0]
    women = np.sort(rng.choice(women, k, replace=False)) if k else women[:0]
    men = men[np.argsort(birth[men], kind="stable")]
    women = women[np.argsort(birth[women], kind="stable")]
    lo = legal_from(p, men, women)
    married = _soon_after(rng, lo, np.full(k, as_of - np.timedelta64(2 * 365, "D")), 4.0)
    ok = ~np.isnat(married)
    start = married + np.timedelta64(365, "D")
    divorced = _soon_after(rng, np.where(ok, start, as_of), np.full(k, as_of), 6.0)
    ok &= ~np.isnat(divorced)
    return pd.DataFrame(
        {"husband": men[ok], "wife": women[ok], "married": married[ok], "divorced": divorced[ok]}
    )


def _events(w: World, rng) -> pd.DataFrame:
    """Every registration: husband, wife, event, date."""
    p = w.persons
    planted = getattr(w, "marriages", None)
    if planted is None or not len(planted):
        planted = pd.DataFrame(columns=list(MARRIAGE_EVENTS))
    every = couples(p)
    c = every.assign(date=_couple_dates(rng, p, every, w.as_of))
    c = c[~np.isnat(c["date"].to_numpy())]
    # partners too young to have married are partners all the same: no divorce for them
    taken = np.zeros(len(p), dtype=bool)
    taken[every[["husband", "wife"]].to_numpy().ravel()] = True
    taken[planted[["husband", "wife"]].to_numpy().astype(np.int64).ravel()] = True
    d = _divorces(rng, p, taken, w.as_of)
    parts = [
        pd.DataFrame({"husband": c["husband"], "wife": c["wife"], "event": "marriage",
                      "date": c["date"]}),
        pd.DataFrame({"husband": d["husband"], "wife": d["wife"], "event": "marriage",
                      "date": d["married"]}),
        pd.DataFrame({"husband": d["husband"], "wife": d["wife"], "event": "divorce",
                      "date": d["divorced"]}),
        planted[["husband", "wife", "event", "date"]],
    ]
    out = pd.concat([x for x in parts if len(x)], ignore_index=True)
    out["husband"] = out["husband"].astype(np.int64)
    out["wife"] = out["wife"].astype(np.int64)
    out["date"] = pd.to_datetime(out["date"]).to_numpy().astype("datetime64[D]")
    return out.sort_values(["date", "husband", "event"], kind="stable", ignore_index=True)


def _certificates(rng, w: World, ev: pd.DataFrame) -> np.ndarray:
    """J<office>-<year>-<seq> (marriage) or L…: the office is either party's district;
    numbers rise with the date within an office, a prefix and a year."""
    region = w.persons["region_code"].to_numpy()
    husband, wife = ev["husband"].to_numpy(), ev["wife"].to_numpy()
    office = np.where(rng.random(len(ev)) < 0.5, region[husband], region[wife])
    prefix = ev["event"].map(EVENT_PREFIX).to_numpy()
    year = pd.DatetimeIndex(ev["date"]).year.to_numpy()
    gaps = rng.integers(1, 25, len(ev))
    key = pd.DataFrame({"p": prefix, "o": office, "y": year, "g": gaps})
    seq = key.groupby(["p", "o", "y"], sort=False)["g"].cumsum().to_numpy()  # ev is date-sorted
    return np.array(
        [f"{a}{b}-{y}-{s:06d}" for a, b, y, s in zip(prefix, office, year, seq, strict=True)],
        dtype=object,
    )


def marriage(w: World, rng: np.random.Generator) -> pd.DataFrame:
    """The registry extract in canonical form: two rows per registration (husband, wife), each
    naming the other party, with `pid` the row's party."""
    ev = _events(w, rng)
    cert = _certificates(rng, w, ev)
    p = w.persons
    ids, names = p["id_number"].to_numpy(), p["name"].to_numpy()
    rows = []
    for me, other in (("husband", "wife"), ("wife", "husband")):
        mine, theirs = ev[me].to_numpy(), ev[other].to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "certificate_no": cert,
                    "party": PARTY[me],
                    "id_number": ids[mine],
                    "name": names[mine],
                    "spouse_id_number": ids[theirs],
                    "spouse_name": names[theirs],
                    "event": ev["event"].to_numpy(),
                    "registration_date": ev["date"].to_numpy(),
                    "pid": mine,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)  # the husband's row first in each certificate
    return out.sort_values("certificate_no", kind="stable", ignore_index=True)


# ---- planting -----------------------------------------------------------------------------
def _single_heads(pl) -> tuple[np.ndarray, np.ndarray]:
    """Per roster household: its head's pid (-1: none fit) and whether the head is a living
    adult, not held, with no spouse in the household."""
    p = pl.w.persons
    n = pl.n
    rel = p["relation"].to_numpy()
    hh = p["hh"].to_numpy()
    roster = p["roster"].to_numpy()
    spouse = np.bincount(hh[roster & (rel == "spouse")], minlength=n)[:n] > 0
    head_pid = np.full(n, -1, dtype=np.int64)
    heads = np.flatnonzero(roster & (rel == "head"))
    head_pid[hh[heads]] = heads
    ok = head_pid >= 0
    safe = np.where(ok, head_pid, 0)
    alive = p["death_date"].isna().to_numpy()[safe] & (p["status"].to_numpy()[safe] == "normal")
    free = ~p["in_custody"].to_numpy()[safe]
    return head_pid, ok & ~spouse & alive & free


def _spouse_pool(pl) -> np.ndarray:
    """Unpartnered living adults of the wider population that no other plan uses."""
    w = pl.w
    p = w.persons
    male = p["male"].to_numpy()
    age = p["age"].to_numpy()
    ok = (
        ~p["roster"].to_numpy()
        & ~p["applicant"].to_numpy()
        & (p["status"].to_numpy() == "normal")
        & p["death_date"].isna().to_numpy()
        & ~p["in_custody"].to_numpy()
        & (age >= np.where(male, 23, 21))
    )
    used = [couples(p)[["husband", "wife"]].to_numpy().ravel()]
    used.append(np.array([r["pid"] for r in pl.new_roles + pl.new_homes], dtype=np.int64))
    used.append(np.asarray(list(getattr(pl, "coowners_used", ())), dtype=np.int64))
    used.append(np.asarray(getattr(w, "protected_pids", []), dtype=np.int64))
    earlier = getattr(w, "marriages", None)
    if earlier is not None and len(earlier):
        used.append(earlier[["husband", "wife"]].to_numpy().astype(np.int64).ravel())
    ok[np.concatenate(used)] = False
    return ok


def _last_record(w: World) -> np.ndarray:
    """Per person, the last day a record written as it stands shows them alive (NaT: none):
    the first registration of a vehicle or a home, the start of an insurance policy, a
    custody spell, the month last paid into a provident-fund account (an active one is paid
    up to the extract date). Wages, pensions and account movements stop by themselves at a
    death (registries, Planter.apply); these would not."""
    days = np.full(len(w.persons), np.iinfo(np.int64).min)  # NaT as datetime64

    def later(pid, date) -> None:
        date = pd.to_datetime(pd.Series(np.asarray(date))).to_numpy().astype("datetime64[D]")
        ok = ~np.isnat(date)
        np.maximum.at(days, np.asarray(pid, dtype=np.int64)[ok], date[ok].astype(np.int64))

    for frame, column in (
        (w.vehicles, "first_registration"),
        (w.homes, "registration_date"),
        (w.insurance, "effective_date"),
        (w.custody, "start_date"),
        (w.custody, "end_date"),
    ):
        if len(frame) and column in frame:
            later(frame["pid"], frame[column])
    pf = w.provident
    if len(pf):
        paid = pd.PeriodIndex(pf["last_paid"].astype(str), freq="M").to_timestamp().to_numpy()
        active = pf["status"].to_numpy() == "active"
        later(pf["pid"], np.where(active, np.datetime64(w.as_of, "ns"), paid))
    return days.astype("datetime64[D]")


def _partner(pl, head: int, pool: np.ndarray, latest) -> tuple[int, int, int] | None:
    """(husband, wife, partner) for `head`: someone of the other sex from `pool`, about two
    years younger for a man and older for a woman, who could marry the head by `latest`."""
    p = pl.w.persons
    male, age = p["male"].to_numpy(), p["age"].to_numpy()
    cand = np.flatnonzero(pool & (male != male[head]))
    if not len(cand):
        return None
    head_male = bool(male[head])
    husband = np.full(len(cand), head) if head_male else cand
    wife = cand if head_male else np.full(len(cand), head)
    fits = legal_from(p, husband, wife) <= latest
    cand = cand[fits]
    if not len(cand):
        return None
    target = age[head] - 2 if head_male else age[head] + 2
    gap = np.abs(age[cand] - target)
    close = cand[gap <= 5]
    other = int(pl.rng.choice(close)) if len(close) else int(cand[np.argmin(gap)])
    return (head, other, other) if head_male else (other, head, other)


def plant(pl, k_problem: int, k_lookalike: int, k_deceased: int | None = None) -> None:
    """UNDECLARED_SPOUSE on `k_problem` households; DIVORCED_SPOUSE on `k_lookalike` and
    SPOUSE_DECEASED on `k_deceased` (default `k_lookalike`). Call before `pl.apply()`, last
    among the plans that pick people of the wider population."""
    w = pl.w
    p = w.persons
    month_start, as_of = w.month_start, w.as_of
    head_pid, single = _single_heads(pl)
    age = np.where(head_pid >= 0, p["age"].to_numpy()[np.maximum(head_pid, 0)], -1)
    pool = _spouse_pool(pl)
    # a spouse who died: nobody whose records show them alive later than a death could be,
    # nor anyone disabled (registries.disability dates a certificate up to the extract)
    last = _last_record(w)
    died_by = w.month_start - 45 * np.timedelta64(1, "D")
    can_die = (np.isnat(last) | (last < died_by - 30 * np.timedelta64(1, "D"))) & (
        p["condition"].to_numpy() != 1
    )
    events: list[dict] = []
    k_deceased = k_lookalike if k_deceased is None else k_deceased
    day = np.timedelta64(1, "D")
    for code, k in ((UNDECLARED, k_problem), (DIVORCED, k_lookalike), (DECEASED, k_deceased)):
        lo_age, hi_age = HEAD_AGES[code]
        latest = as_of - SLACK_DAYS[code] * day
        for i, hh in enumerate(pl.choose(single & (age >= lo_age) & (age <= hi_age), k)):
            head = int(head_pid[hh])
            found = _partner(pl, head, pool & can_die if code == DECEASED else pool, latest)
            if found is None:
                continue
            husband, wife, other = found
            pool[other] = False
            lo = legal_from(p, np.array([husband]), np.array([wife]))[0]
            sex = "man" if p["male"].iat[other] else "woman"
            who = f"a {sex} aged {int(p['age'].iat[other])} outside the household"
            if code == UNDECLARED:
                married = _uniform(pl.rng, max(lo, as_of - int(12 * YEAR) * day), latest)
                events.append(_event(husband, wife, "marriage", married, code))
                detail = f"head married {married} to {who}; no divorce; alive"
            elif code == DIVORCED:
                married = _uniform(pl.rng, lo, latest - 400 * day)
                divorced = _uniform(pl.rng, married + 365 * day, as_of - 30 * day)
                events.append(_event(husband, wife, "marriage", married, code))
                events.append(_event(husband, wife, "divorce", divorced, code))
                detail = f"head married {married}, divorced {divorced}; the ex-spouse, {who}, is alive"
            else:
                first = max(lo + 730 * day, month_start - 1500 * day)
                if not np.isnat(last[other]):
                    first = max(first, last[other] + day)
                death = _uniform(pl.rng, first, died_by)
                married = _uniform(pl.rng, lo, death - 365 * day)
                cremated = i % 3 != 2
                p.loc[other, "status"] = "deceased"
                p.loc[other, "status_date"] = death + int(pl.rng.integers(0, 11)) * day
                if cremated:
                    p.loc[other, "cremation_date"] = death + int(pl.rng.integers(1, 5)) * day
                p.loc[other, "death_date"] = death
                events.append(_event(husband, wife, "marriage", married, code))
                shown = "hukou and cremation" if cremated else "hukou only"
                detail = f"head married {married}; the spouse, {who}, died {death}; shown in {shown}"
            pl.record(hh, code, detail, head)
            # the kind follows the code, whether or not config lists it yet
            w.planted[-1]["kind"] = "problem" if code == UNDECLARED else "lookalike"
    new = pd.DataFrame(events, columns=list(MARRIAGE_EVENTS))
    earlier = getattr(w, "marriages", None)
    w.marriages = new if earlier is None else pd.concat([earlier, new], ignore_index=True)


def _event(husband: int, wife: int, event: str, date, code: str) -> dict:
    return {"husband": husband, "wife": wife, "event": event, "date": date, "code": code}


# ---- ground truth -------------------------------------------------------------------------
def _read(truth: Path, source: str) -> pd.DataFrame:
    path = truth / "clean" / f"{source}.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _on_or_before(values: pd.Series, day) -> np.ndarray:
    return (pd.to_datetime(values) <= pd.Timestamp(day)).to_numpy()


def expected_undeclared_spouses(truth: Path, month: str) -> dict[str, int]:
    """Per roster household, the distinct living spouses of its counted members (active, not
    held on the month's first day) who are not active members of the household, nor of another
    household where the member is enrolled too, from the noise-free records by true identity
    (synthetic_person_id): married when the latest registration of the pair by the month's end
    is a marriage; deceased by a hukou status deceased (dated by the month's end, or undated)
    or a cremation record with a death by then. Households with none are left out."""
    start, end = month_bounds(month)
    roster, reg = _read(truth, "roster"), _read(truth, "marriage")
    if roster.empty or reg.empty:
        return {}
    active = roster[roster["status"] == "active"][["household_id", "synthetic_person_id"]]
    held: set[str] = set()
    custody = _read(truth, "custody")
    if not custody.empty:
        began = _on_or_before(custody["start_date"], start)
        ends = pd.to_datetime(custody["end_date"])
        still = (ends.isna() | (ends >= pd.Timestamp(start))).to_numpy()
        held = set(custody.loc[began & still, "synthetic_person_id"])
    dead: set[str] = set()
    hukou = _read(truth, "hukou")
    if not hukou.empty:
        dated = hukou["status_date"].isna().to_numpy() | _on_or_before(hukou["status_date"], end)
        dead |= set(hukou.loc[(hukou["status"] == "deceased").to_numpy() & dated,
                              "synthetic_person_id"])
    cremation = _read(truth, "cremation")
    if not cremation.empty:
        dead |= set(cremation.loc[_on_or_before(cremation["death_date"], end),
                                  "synthetic_person_id"])

    reg = reg[_on_or_before(reg["registration_date"], end)]
    # each certificate's two parties, as an unordered pair of people
    pair = reg.groupby("certificate_no").agg(
        a=("synthetic_person_id", "min"),
        b=("synthetic_person_id", "max"),
        event=("event", "first"),
        date=("registration_date", "first"),
    )
    ev = pair[pair["a"] != pair["b"]].assign(date=lambda x: pd.to_datetime(x["date"]))
    # the latest registration of each pair; on one day a divorce comes last
    ev["order"] = (ev["event"] == "divorce").astype(int)
    latest = ev.sort_values(["date", "order"], kind="stable").groupby(["a", "b"]).tail(1)
    married = latest[latest["event"] == "marriage"]
    spouses = pd.concat(
        [
            married.rename(columns={"a": "me", "b": "spouse"})[["me", "spouse"]],
            married.rename(columns={"b": "me", "a": "spouse"})[["me", "spouse"]],
        ],
        ignore_index=True,
    )
    spouses = spouses[~spouses["spouse"].isin(dead)]
    counted = active[~active["synthetic_person_id"].isin(held)]
    found = counted.merge(spouses, left_on="synthetic_person_id", right_on="me")
    # a person enrolled twice who lives with the spouse in one of the households has declared
    # the spouse: the other household's difference is the double enrolment itself
    homes = active.groupby("synthetic_person_id")["household_id"].agg(set).to_dict()
    together = [
        bool(homes.get(me, set()) & homes.get(spouse, set()))
        for me, spouse in zip(found["me"], found["spouse"], strict=True)
    ]
    found = found[~np.array(together, dtype=bool)] if len(found) else found
    counts = found.groupby("household_id")["spouse"].nunique()
    return {str(h): int(n) for h, n in counts.sort_index().items() if n > 0}
