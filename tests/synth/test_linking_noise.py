"""Identity noise that a probabilistic linker must cope with: homophones, variant characters,
former names, swapped name order, contact data (phones, addresses) and records without ID;
and the generation of a subset of sources at scale."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

import pandas as pd
import pytest

from pipelines.errors import ConfigError
from pipelines.standardize.names import SURNAME_PINYIN, pinyin_key
from pipelines.synth import SOURCES, NoiseRates, SynthConfig, generate
from pipelines.synth import noise as nz
from pipelines.synth.names import surname_length
from tests.synth.conftest import RULES
from tests.synth.facts import second_enrolments
from tests.synth.test_noise import NAME_KINDS, _joined, address_key, phone_digits

NOISY = [s for s in SOURCES if s != "hukou"]
REPRESENTATION = {"pinyin_name_bank", "traditional_chars", "rare_char_placeholder"}


def _records(g, kind: str, alone: bool = True) -> list[tuple[str, str, dict]]:
    """(written name, clean name, row) of every record with `kind`; `alone`: and no other
    name noise (so the written name is the kind's value itself)."""
    out = []
    for source in NOISY:
        name_col = g.schemas[source].person_name
        j = _joined(g, source)
        for _, row in j[j["kinds"].map(lambda k: kind in k)].iterrows():
            others = row["kinds"] & (NAME_KINDS | REPRESENTATION)
            if alone and others - {kind}:
                continue
            out.append((row[f"{name_col}_w"], row[f"{name_col}_c"], row))
    return out


@pytest.fixture(scope="module")
def homophones(default_size):
    return _records(default_size, "homophone_chars")


def test_homophone_has_the_same_pinyin_and_one_other_given_name_character(homophones):
    table, _ = nz.char_tables()
    assert len(homophones) >= 100
    for w, c, _row in homophones:
        diff = [i for i, (a, b) in enumerate(zip(w, c, strict=True)) if a != b]
        assert len(w) == len(c) and len(diff) == 1, (w, c)
        i = diff[0]
        assert i >= surname_length(c), (w, c)  # never the surname
        assert w[i] in table[c[i]], (w, c)
        assert pinyin_key(w) == pinyin_key(c), (w, c)
    # many different characters, not one pair
    assert len({(c[i], w[i]) for w, c, _ in homophones for i in range(len(c)) if w[i] != c[i]}) > 30


def test_variant_character_replaces_one_character_by_its_variant(default_size):
    _, table = nz.char_tables()
    records = _records(default_size, "variant_chars")
    assert len(records) >= 30
    surnames = 0
    for w, c, _row in records:
        diff = [i for i, (a, b) in enumerate(zip(w, c, strict=True)) if a != b]
        assert len(w) == len(c) and len(diff) == 1, (w, c)
        assert w[diff[0]] in table[c[diff[0]]], (w, c)
        surnames += diff[0] == 0
    assert surnames >= 5  # 阎/闫, 萧/肖, 于/於 in surnames too


def test_former_name_is_one_of_the_hukou_former_names(default_size):
    hukou = default_size.clean("hukou").set_index("synthetic_person_id")
    records = _records(default_size, "former_name_used")
    assert len(records) >= 30
    for w, c, row in records:
        former = hukou.at[row["synthetic_person_id_c"], "former_name"]
        assert w != c and w in former.split("、"), (w, c, former)
    links = default_size.links()
    used = links[links["noise"].str.contains("former_name_used")]
    assert set(used["source"]) == {"real_estate", "vehicles", "business", "bank_deposits"}


def test_a_realistic_share_of_people_have_former_names(default_size):
    hukou = default_size.clean("hukou")
    former = hukou["former_name"].dropna()
    share = len(former) / len(hukou)
    assert 0.05 < share < 0.12, share
    several = former[former.str.contains("、")]
    assert len(several) >= 20
    for value, name in zip(former, hukou.loc[former.index, "name"], strict=True):
        parts = value.split("、")
        assert name not in parts and len(set(parts)) == len(parts), (name, value)
        assert all(p[: surname_length(name)] == name[: surname_length(name)] for p in parts)
    older = pd.to_datetime(hukou.loc[former.index, "birth_date"]).dt.year < 1960
    born_old = (pd.to_datetime(hukou["birth_date"]).dt.year < 1960).mean()
    assert older.mean() > born_old  # the older cohorts were renamed more often


def test_chinese_name_with_the_given_name_first(default_size):
    records = _records(default_size, "name_order_swapped")
    assert len(records) >= 30
    for w, c, _row in records:
        k = surname_length(c)
        assert w == c[k:] + c[:k], (w, c)


def test_pinyin_name_in_western_order(default_size):
    records = _records(default_size, "pinyin_name_swapped", alone=False)
    records = [r for r in records if not r[2]["kinds"] & NAME_KINDS]
    assert len(records) >= 30
    for w, c, row in records:
        assert "pinyin_name_bank" in row["kinds"]
        words = w.lower().split()
        k = surname_length(c)
        surname = SURNAME_PINYIN.get(c[:k]) or pinyin_key(c[:k])
        assert words[-1] == surname, (w, c)
        assert "".join(words[:-1]) == pinyin_key(c[k:]), (w, c)
        assert w in {nz.to_pinyin(c, style, True) for style in range(3)}


def test_people_have_stable_phones_and_share_their_household_address(default_size):
    g = default_size
    roster = g.clean("roster")
    hukou = g.clean("hukou").set_index("synthetic_person_id")
    assert roster["phone"].notna().all()
    assert roster["phone"].str.fullmatch(r"1\d{10}|023-\d{8}").all()
    # a person enrolled a second time gives that household's address (their mobile stays);
    # a 特困 enrolment (TEKUN_AND_DIBAO) is a household of the person alone, at their address
    second = second_enrolments(g.truth)
    first = roster[~roster["person_key"].isin(second["person_key"])]
    phones = first.set_index("synthetic_person_id").loc[second["synthetic_person_id"], "phone"]
    assert len(second) >= 1 and (second["phone"].to_numpy() == phones.to_numpy()).all()
    assert second["phone"].str.match(r"1\d{10}$").all()
    own = hukou.loc[second["synthetic_person_id"], "address"].to_numpy()
    tekun = (second["programme"] == "tekun").to_numpy()
    assert tekun.any() and not tekun.all()
    assert (second["address"].to_numpy()[~tekun] != own[~tekun]).all()
    assert (second["address"].to_numpy()[tekun] == own[tekun]).all()
    roster = roster[~roster["person_key"].isin(second["person_key"])]
    # a member hukou does not hold (NOT_IN_HUKOU) gives their household's address: the
    # hukou address of the other members
    missing = ~roster["synthetic_person_id"].isin(hukou.index)
    planted = g.planted()
    assert set(roster.loc[missing, "person_key"]) == set(
        planted.loc[planted["code"] == "NOT_IN_HUKOU", "person_key"]
    )
    housemates = roster[~missing].drop_duplicates("household_id").set_index("household_id")
    housemates = hukou.loc[housemates["synthetic_person_id"], "address"].set_axis(housemates.index)
    alone = ~roster.loc[missing, "household_id"].isin(housemates.index)
    assert not alone.all()
    shared = roster[missing][~alone]
    assert (shared["address"].to_numpy() == housemates[shared["household_id"]].to_numpy()).all()
    roster = roster[~missing]
    assert (
        roster["address"].to_numpy() == hukou.loc[roster["synthetic_person_id"], "address"]
    ).all()
    mobile = roster[roster["phone"].str.startswith("1")]
    # a mobile is one person's, or their household's (a child's or an elder's contact)
    per_phone = mobile.groupby("phone")["household_id"].nunique()
    assert (per_phone == 1).all()
    assert roster["phone"].str.startswith("023").mean() > 0.03  # some landlines
    # the same person's phone is the same in every registry holding it
    for source in ("bank_deposits", "securities", "vehicles", "provident_fund"):
        clean = g.clean(source)
        merged = clean.merge(
            roster[["synthetic_person_id", "phone", "address"]], on="synthetic_person_id"
        )
        assert len(merged) > 0, source
        assert (merged["phone_x"] == merged["phone_y"]).all(), source
        assert (merged["address_x"] == merged["address_y"]).all(), source
    apps = g.clean("applications")
    assert apps["phone"].notna().all()
    assert (apps["address"].to_numpy() == hukou.loc[apps["synthetic_person_id"], "address"]).all()


@pytest.mark.parametrize("source", [s for s in NOISY if s not in ("hukou",)])
def test_records_without_id_keep_name_and_a_contact(default_size, source):
    schema = default_size.schemas[source]
    j = _joined(default_size, source)
    missing = j[j["kinds"].map(lambda k: "id_missing" in k)]
    contact = {"phone", "address"} & set(schema.names)
    if not contact or schema.column(schema.person_id).required:
        assert missing.empty, source
        return
    if len(j) * NoiseRates().id_missing >= 5:
        assert len(missing) >= 1, source
    for _, row in missing.iterrows():
        assert row[f"{schema.person_name}_w"] != ""
        current_phone = "phone" in contact and not row["kinds"] & {
            "phone_missing",
            "phone_outdated",
        }
        assert current_phone or row["address_w"] != "", row


def test_phone_and_address_formats_vary(default_size):
    j = _joined(default_size, "bank_deposits")
    phones = j.loc[j["kinds"].map(lambda k: "phone_format" in k), "phone_w"]
    assert phones.str.startswith("+86").any() and phones.str.startswith("0086").any()
    assert phones.str.contains(" ").any() and phones.str.contains("-").any()
    assert phones.str.contains("[０-９]").any()
    assert all(re.fullmatch(r"1\d{10}|023\d{8}", phone_digits(p)) for p in phones)
    addresses = j.loc[j["kinds"].map(lambda k: "address_variant" in k), "address_w"]
    assert (~addresses.str.startswith("重庆")).any()
    assert addresses.str.contains("號").any() and addresses.str.contains(" ").any()
    assert addresses.str.contains("[０-９]").any()
    clean = j.loc[addresses.index, "address_c"]
    assert (addresses.map(address_key) == clean.map(address_key)).all()


def test_meta_lists_the_noise_rates_and_sources(default_size):
    meta = json.loads((default_size.truth / "meta.json").read_text(encoding="utf-8"))
    assert meta["noise_rates"] == asdict(NoiseRates())
    assert meta["sources"] == list(SOURCES)
    assert meta["truth"]["flags"] == "truth/flags.parquet"
    assert ["phone_missing", "phone_outdated"] in meta["noise_exclusive_groups"]


def test_noise_settings_are_checked():
    with pytest.raises(ConfigError) as err:
        SynthConfig(
            noise=NoiseRates(former_name_used=0.6, variant_chars=0.5, homophone_chars=0.1),
            sources=("bank", "roster"),
            bank_accounts_per_adult=0.5,
        )
    text = str(err.value)
    assert "former_name_used + variant_chars" in text and "bank_accounts_per_adult" in text
    assert "unknown source(s) bank" in text
    with pytest.raises(ConfigError, match="phone_format"):
        SynthConfig(noise=NoiseRates(phone_format=1.2))
    cfg = SynthConfig(sources=["bank_deposits", "bank_deposits"])
    assert cfg.sources == ("roster", "bank_deposits") and not cfg.all_sources
    assert SynthConfig().generated_sources == SOURCES and SynthConfig().all_sources


# ---- a subset of sources, a bigger bank extract ----------------------------------------


def test_a_subset_of_sources_is_written_as_it_would_be_with_all(small, tmp_path):
    cfg = SynthConfig(households=300, sources=("bank_deposits",))
    summary = generate(cfg, tmp_path, RULES)
    assert set(summary.records) == {"roster", "bank_deposits"}
    landing = sorted(p.parent.parent.name for p in (tmp_path / "landing").rglob("*.*"))
    assert landing == ["bank_deposits", "roster"]
    for source in ("roster", "bank_deposits"):
        ours = (tmp_path / summary.files[source]).read_bytes()
        assert ours == small.landing(source).read_bytes(), source
        assert (tmp_path / "truth" / "clean" / f"{source}.parquet").exists()
    assert not (tmp_path / "truth" / "clean" / "hukou.parquet").exists()
    links = pd.read_parquet(tmp_path / "truth" / "links.parquet")
    assert set(links["source"]) == {"roster", "bank_deposits"}
    everything = small.links()
    assert len(links) == everything["source"].isin(["roster", "bank_deposits"]).sum()
    assert not (tmp_path / "truth" / "flags.parquet").exists()
    meta = json.loads((tmp_path / "truth" / "meta.json").read_text(encoding="utf-8"))
    assert meta["sources"] == ["roster", "bank_deposits"] and meta["truth"]["flags"] is None
    planted = pd.read_parquet(tmp_path / "truth" / "planted.parquet")
    assert planted.equals(small.planted())
    assert "bank_deposits" in str(summary)


def test_more_bank_accounts_per_adult(small, tmp_path):
    cfg = SynthConfig(households=300, sources=("bank_deposits",), bank_accounts_per_adult=5.0)
    summary = generate(cfg, tmp_path, RULES)
    base = small.summary.records["bank_deposits"]
    assert summary.records["bank_deposits"] > 2.0 * base
    assert summary.records["roster"] == small.summary.records["roster"]
    clean = pd.read_parquet(tmp_path / "truth" / "clean" / "bank_deposits.parquet")
    wider = clean[clean["person_key"].isna()]
    per_holder = wider.groupby("synthetic_person_id").size()
    assert 3.5 < per_holder.mean() < 6.0 and per_holder.max() <= 15


def test_the_engine_reads_every_phone_and_address_variant_back(default_size):
    """Format variants are noise of presentation only: the standardizers (when present) give
    the canonical value back; outdated phones and missing values are the real differences."""
    phones = pytest.importorskip("pipelines.standardize.phones")
    addresses = pytest.importorskip("pipelines.standardize.addresses")
    for source in ("roster", "bank_deposits", "vehicles", "securities"):
        j = _joined(default_size, source)
        fmt = j[j["kinds"].map(lambda k: "phone_format" in k and "phone_outdated" not in k)]
        assert len(fmt) >= 10, source
        for w, c in zip(fmt["phone_w"], fmt["phone_c"], strict=True):
            assert phones.standardize_phone(w).number == c.replace("-", ""), (w, c)
        var = j[j["kinds"].map(lambda k: "address_variant" in k)]
        for w, c in zip(var["address_w"], var["address_c"], strict=True):
            norm = addresses.normalize_address
            assert norm(w).text == norm(c).text, (w, c)
