"""The marriage registry of the synthetic world, its planted spouses and their ground truth.

A small world is built and planted with the marriage codes alone (World + Planter, as
synth/plant does), the registry written in canonical form, and the noise-free records of the
sources the truth reads written under truth/clean as the generator writes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.schemas import load_schemas
from pipelines.synth import marriage as mg
from pipelines.synth import registries
from pipelines.synth.config import NoiseRates, SynthConfig, random_streams
from pipelines.synth.encode import encode
from pipelines.synth.plant import Planter
from pipelines.synth.world import build_world
from tests.synth.conftest import SCHEMAS

K_PROBLEM, K_DIVORCED, K_DECEASED = 6, 4, 5
MONTH = "2025-07"


def planted_world(params, seed: int = 20250701):
    cfg = SynthConfig(households=300, seed=seed, month=MONTH)
    rngs = random_streams(cfg.seed)
    world = build_world(cfg, params, rngs)
    pl = Planter(world, rngs("plant"))
    mg.plant(pl, K_PROBLEM, K_DIVORCED, K_DECEASED)
    pl.apply()
    return world, mg.marriage(world, rngs("reg.marriage")), rngs


@pytest.fixture(scope="module")
def built(params):
    return planted_world(params)


@pytest.fixture(scope="module")
def truth(built, tmp_path_factory):
    """truth/clean/<source>.parquet of the sources the expected spouses read."""
    world, reg, rngs = built
    schemas = load_schemas(SCHEMAS)
    frames = {
        "roster": registries.roster(world, rngs("reg.roster")),
        "hukou": registries.hukou(world),
        "cremation": registries.cremation(world, rngs("reg.cremation")),
        "custody": registries.custody(world, rngs("reg.custody")),
        "marriage": reg,
    }
    root = tmp_path_factory.mktemp("marriage_truth") / "truth"
    (root / "clean").mkdir(parents=True)
    protected = np.zeros(len(world.persons), dtype=bool)
    for source, frame in frames.items():
        enc = encode(source, frame, schemas[source], world.persons, NoiseRates(),
                     rngs(f"noise.{source}"), protected)
        enc.clean.to_parquet(root / "clean" / f"{source}.parquet")
    return root


def planted(world, code: str) -> pd.DataFrame:
    df = pd.DataFrame(world.planted)
    return df[df["code"] == code.upper()]


def certificates(reg: pd.DataFrame) -> pd.DataFrame:
    """One row per certificate: husband, wife (pids), event, date."""
    h = reg[reg["party"] == "男方"].set_index("certificate_no")
    w = reg[reg["party"] == "女方"].set_index("certificate_no")
    return pd.DataFrame({
        "husband": h["pid"], "wife": w["pid"].reindex(h.index), "event": h["event"],
        "date": pd.to_datetime(h["registration_date"]),
    })


def test_two_rows_per_certificate_each_naming_the_other(built):
    world, reg, _ = built
    p = world.persons
    parties = reg.groupby("certificate_no")["party"].agg(lambda x: ",".join(sorted(x)))
    assert (parties == "女方,男方").all()
    assert not reg.duplicated(["certificate_no", "party"]).any()
    pair = reg.merge(reg, on="certificate_no", suffixes=("", "_other"))
    pair = pair[pair["party"] != pair["party_other"]]
    assert (pair["spouse_id_number"] == pair["id_number_other"]).all()
    assert (pair["spouse_name"] == pair["name_other"]).all()
    assert (pair[["event", "registration_date"]].to_numpy()
            == pair[["event_other", "registration_date_other"]].to_numpy()).all()
    male = p["male"].to_numpy()[reg["pid"].to_numpy()]
    assert (male == (reg["party"] == "男方").to_numpy()).all()
    assert (reg["id_number"].to_numpy() == p["id_number"].to_numpy()[reg["pid"].to_numpy()]).all()
    prefix = np.where(reg["event"] == "marriage", "J", "L")
    assert (reg["certificate_no"].str[0].to_numpy() == prefix).all()
    assert reg["certificate_no"].str.fullmatch(r"[JL]5[01]\d{4}-\d{4}-\d{6}").all()


def test_every_couple_is_married_once_at_a_legal_age_before_the_extract(built):
    world, reg, _ = built
    p = world.persons
    couples = mg.couples(p)
    certs = certificates(reg)
    married = certs[certs["event"] == "marriage"]
    counts = married.groupby(["husband", "wife"]).size()
    found = couples.join(counts.rename("n"), on=["husband", "wife"])
    assert found["n"].fillna(0).le(1).all()
    # only couples too young to have married are left unregistered
    missing = found[found["n"].isna()]
    lo = mg.legal_from(p, missing["husband"].to_numpy(), missing["wife"].to_numpy())
    assert (lo > world.as_of).all()
    assert len(missing) < 0.05 * len(couples)
    assert len(found) - len(missing) > 200  # 300 households and 600 more in the wider population
    birth = pd.to_datetime(p["birth"]).to_numpy()
    day = married["date"].to_numpy()
    husband_age = (pd.DatetimeIndex(day) - pd.DatetimeIndex(birth[married["husband"]])).days / 365.2425
    wife_age = (pd.DatetimeIndex(day) - pd.DatetimeIndex(birth[married["wife"]])).days / 365.2425
    assert husband_age.min() >= 22 - 0.01 and wife_age.min() >= 20 - 0.01
    assert (certs["date"] <= pd.Timestamp(world.as_of)).all()
    assert (certs["date"] >= pd.Timestamp("1950-01-01")).all()
    death = pd.to_datetime(p["death_date"]).to_numpy()
    for side in ("husband", "wife"):
        died = death[married[side]]
        assert ~(married["date"].to_numpy() >= died).any(), f"{side} married after dying"


def test_divorces_end_an_earlier_marriage_of_the_same_pair(built):
    _, reg, _ = built
    certs = certificates(reg)
    divorces = certs[certs["event"] == "divorce"]
    assert len(divorces) >= 10 + K_DIVORCED  # the share of unpartnered adults, and the planted
    marriages = certs[certs["event"] == "marriage"]
    joined = divorces.merge(marriages, on=["husband", "wife"], suffixes=("", "_m"))
    assert len(joined) == len(divorces)
    assert ((joined["date"] - joined["date_m"]).dt.days >= 365).all()


def test_the_planted_spouses(built):
    world, reg, _ = built
    p = world.persons
    certs = certificates(reg)
    month_start = pd.Timestamp(world.month_start)
    rel = p["relation"].to_numpy()

    def records_of(head: int) -> pd.DataFrame:
        return certs[(certs["husband"] == head) | (certs["wife"] == head)]

    def partner(row) -> int:
        return int(row["wife"] if row["husband"] == head else row["husband"])

    for code, n, kind in (("undeclared_spouse", K_PROBLEM, "problem"),
                          ("divorced_spouse", K_DIVORCED, "lookalike"),
                          ("spouse_deceased", K_DECEASED, "lookalike")):
        rows = planted(world, code)
        assert len(rows) == n and (rows["kind"] == kind).all(), code
        for r in rows.itertuples():
            head = int(p.index[p["person_key"] == r.person_key][0])
            assert rel[head] == "head" and p["roster"].iat[head]
            members = p[p["hh"] == r.hh]
            assert "spouse" not in set(members["relation"]), code
            mine = records_of(head).sort_values("date")
            spouse = partner(mine.iloc[0])
            assert not p["roster"].iat[spouse] and not p["applicant"].iat[spouse]
            assert p["male"].iat[spouse] != p["male"].iat[head]
            assert (mine["date"] < month_start).all()
            if code == "undeclared_spouse":
                assert list(mine["event"]) == ["marriage"]
                assert p["status"].iat[spouse] == "normal" and pd.isna(p["death_date"].iat[spouse])
            elif code == "divorced_spouse":
                assert list(mine["event"]) == ["marriage", "divorce"]
                assert p["status"].iat[spouse] == "normal"
            else:
                assert list(mine["event"]) == ["marriage"]
                assert p["status"].iat[spouse] == "deceased"
                died = pd.Timestamp(p["death_date"].iat[spouse])
                assert mine["date"].iat[0] < died < pd.Timestamp(p["status_date"].iat[spouse]) + pd.Timedelta(days=1)
                assert pd.Timestamp(p["status_date"].iat[spouse]) < month_start
    deceased = planted(world, "spouse_deceased")
    cremated = deceased["detail"].str.contains("cremation")
    assert cremated.sum() == 4 and (~cremated).sum() == 1  # two in three, as DECEASED_MEMBER


def test_expected_spouses_are_the_undeclared_ones(built, truth):
    world, _, _ = built
    expected = mg.expected_undeclared_spouses(truth, MONTH)
    assert expected == {h: 1 for h in planted(world, "undeclared_spouse")["household_id"]}


def test_expected_spouses_follow_divorces_and_deaths(built, truth, tmp_path):
    """Without the divorces, or the deaths, the look-alikes would be undeclared spouses."""
    world, _, _ = built
    clean = tmp_path / "clean"
    clean.mkdir()
    for source in ("roster", "custody", "cremation", "hukou", "marriage"):
        df = pd.read_parquet(truth / "clean" / f"{source}.parquet")
        if source == "marriage":
            df = df[df["event"] == "marriage"]
        if source == "hukou":
            df = df.assign(status="normal")
        if source == "cremation":
            df = df.iloc[:0]
        df.to_parquet(clean / f"{source}.parquet")
    expected = mg.expected_undeclared_spouses(tmp_path, MONTH)
    wanted = set(planted(world, "undeclared_spouse")["household_id"]) | set(
        planted(world, "divorced_spouse")["household_id"]) | set(planted(world, "spouse_deceased")["household_id"])
    # and the roster's other divorced people (not planted) too
    assert set(expected) > wanted
    # before the marriages were registered, nothing
    assert mg.expected_undeclared_spouses(truth, "1949-12") == {}


def test_the_same_seed_gives_the_same_registry_and_plants(built, params):
    world, reg, _ = built
    world2, reg2, _ = planted_world(params)
    pd.testing.assert_frame_equal(reg, reg2)
    assert world.planted == world2.planted
    pd.testing.assert_frame_equal(world.marriages, world2.marriages)
    _, other, _ = planted_world(params, seed=7)
    assert not reg["certificate_no"].equals(other["certificate_no"])


def test_a_person_enrolled_twice_has_declared_a_spouse_living_in_either_household(
    built, truth, tmp_path
):
    """A second enrolment (DUPLICATE_ENROLMENT) of a married member whose spouse lives in the
    first household adds no undeclared spouse; of an undeclared spouse's partner, it does."""
    world, reg, _ = built
    p = world.persons
    clean = tmp_path / "clean"
    clean.mkdir()
    for source in ("custody", "cremation", "hukou", "marriage"):
        pd.read_parquet(truth / "clean" / f"{source}.parquet").to_parquet(clean / f"{source}.parquet")
    roster = pd.read_parquet(truth / "clean" / "roster.parquet")
    certs = certificates(reg)
    on_roster = p["roster"].to_numpy()
    couple = certs[on_roster[certs["husband"]] & on_roster[certs["wife"]]].iloc[0]
    undeclared = planted(world, "undeclared_spouse")["person_key"].iat[0]
    twice = [p["person_id"].iat[int(couple["husband"])],
             roster.loc[roster["person_key"] == undeclared, "synthetic_person_id"].iat[0]]
    extra = roster[roster["synthetic_person_id"].isin(twice)].copy()
    extra["household_id"] = np.where(extra["synthetic_person_id"] == twice[0], "DBX1", "DBX2")
    pd.concat([roster, extra], ignore_index=True).to_parquet(clean / "roster.parquet")
    expected = mg.expected_undeclared_spouses(tmp_path, MONTH)
    assert "DBX1" not in expected and expected["DBX2"] == 1
    assert expected == {**mg.expected_undeclared_spouses(truth, MONTH), "DBX2": 1}
