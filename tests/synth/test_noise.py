"""The files really carry each kind of noise, at roughly the configured rate, where recorded."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import opencc
import pandas as pd
import pytest

from pipelines.synth import SOURCES
from pipelines.synth import noise as nz
from pipelines.synth.config import NoiseRates
from pipelines.synth.names import surname_length
from tests.synth.facts import people, second_enrolments

NOISY = [s for s in SOURCES if s != "hukou"]
OLD_SYSTEMS = {"bank_deposits", "real_estate", "vehicles", "cremation"}
FORMER_NAME_SOURCES = {"real_estate", "vehicles", "business", "bank_deposits"}
NAME_KINDS = {"former_name_used", "variant_chars", "name_order_swapped", "homophone_chars"}
ID_KINDS = {"id_typo", "id_transposition", "id_15_digit", "id_missing", "id_fullwidth_or_lowercase"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T2S = opencc.OpenCC("t2s")
S2T = opencc.OpenCC("s2t")


def phone_digits(text: str) -> str:
    """A written phone back to its canonical digits: 13812345678 or 02361234567."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) in (12, 13):
        digits = digits[2:]
    if digits.startswith("23") and len(digits) == 10:
        digits = "0" + digits
    return digits


def address_key(text: str) -> str:
    """A written address without the variations address_variant makes."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "").replace("號", "号")
    for prefix in ("重庆市", "重庆"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def expected_names(kinds: set, clean: str, former: str | None) -> set[str]:
    """The names a record may carry given its identity kind (the clean name if none)."""
    if "former_name_used" in kinds:
        return set(nz.former_options(former))
    if "variant_chars" in kinds:
        return set(nz.variant_options(clean))
    if "name_order_swapped" in kinds:
        return {nz.swapped_name(clean)}
    if "homophone_chars" in kinds:
        return set(nz.homophone_options(clean))
    return {clean}


def pinyin_forms(names: set[str], swapped: bool) -> set[str]:
    return {nz.to_pinyin(n, style, swapped) for n in names for style in range(3)}


def _joined(g, source: str) -> pd.DataFrame:
    """Written values (suffix _w), clean values (suffix _c) and the recorded noise, per record."""
    schema = g.schemas[source]
    written = g.written(source)
    written["record_key"] = written[list(schema.key)].astype(str).agg("|".join, axis=1)
    written = written.drop_duplicates("record_key").set_index("record_key")
    clean = g.clean(source).set_index("record_key")
    links = g.links()
    noise = links[links["source"] == source].set_index("record_key")["noise"]
    out = written.add_suffix("_w").join(clean.add_suffix("_c")).join(noise)
    out["kinds"] = out["noise"].map(lambda s: set(s.split(",")) - {""})
    return out


def _id_ok(kinds: set, w: str, c: str) -> bool:
    if "id_missing" in kinds:
        return w == ""
    if "id_15_digit" in kinds:
        return w == c[:6] + c[8:17]
    if "id_fullwidth_or_lowercase" in kinds:
        return w != c and unicodedata.normalize("NFKC", w).upper() == c
    diff = [i for i in range(18) if len(w) == 18 and w[i] != c[i]]
    if "id_typo" in kinds:
        return len(w) == 18 and len(diff) == 1
    if "id_transposition" in kinds:
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and w[diff[0]] == c[diff[1]]
            and w[diff[1]] == c[diff[0]]
        )
    return w == c


@pytest.fixture(scope="module")
def former_of(default_size) -> pd.Series:
    hukou = default_size.clean("hukou")
    return hukou.set_index("synthetic_person_id")["former_name"]


@pytest.mark.parametrize("source", NOISY)
def test_recorded_noise_is_in_the_file_and_nothing_else(default_size, former_of, source):
    schema = default_size.schemas[source]
    j = _joined(default_size, source)
    id_col, name_col = schema.person_id, schema.person_name
    bad_ids = [
        k
        for k, row in j.iterrows()
        if not _id_ok(row["kinds"], row[f"{id_col}_w"], row[f"{id_col}_c"])
    ]
    assert bad_ids == []
    trad_roundtrip = []
    for _, row in j.iterrows():
        w, c, kinds = row[f"{name_col}_w"], row[f"{name_col}_c"], row["kinds"]
        if "name_conflict" in kinds:  # ID_NAME_CONFLICT: the roster writes another's name
            assert source == "roster" and not kinds & (NAME_KINDS | ID_KINDS), kinds
            assert w[: surname_length(w)] != c[: surname_length(c)], (w, c)
            continue
        identity = kinds & NAME_KINDS
        assert len(identity) <= 1, kinds
        names = expected_names(kinds, c, former_of.get(row["synthetic_person_id_c"]))
        assert c not in names or not identity, (w, c, kinds)
        if "pinyin_name_bank" in kinds:
            assert w.isascii() and re.fullmatch(r"[A-Za-z ]+", w), w
            assert w in pinyin_forms(names, "pinyin_name_swapped" in kinds), (w, c, kinds)
        elif "traditional_chars" in kinds:
            assert w != c and not identity
            trad_roundtrip.append(T2S.convert(w.replace("?", "")) == c.replace("?", ""))
        elif "rare_char_placeholder" in kinds:
            assert ("?" in w or "□" in w) and any(
                len(w) == len(n) and all(a == b or a in "?□" for a, b in zip(w, n, strict=True))
                for n in names
            ), (w, c, kinds)
        else:
            assert w in names, (w, c, kinds)
    if trad_roundtrip:
        assert np.mean(trad_roundtrip) > 0.9
    date_cols = [c.name for c in schema.columns if c.type == "date"]
    if schema.format == "csv" and date_cols:
        for _, row in j.iterrows():
            texts = [row[f"{d}_w"] for d in date_cols]
            if "mixed_date_formats" in row["kinds"]:
                assert any(t and not ISO.match(t) for t in texts), texts
            else:
                expected = [
                    ""
                    if pd.isna(row[f"{d}_c"])
                    else pd.Timestamp(row[f"{d}_c"]).strftime("%Y-%m-%d")
                    for d in date_cols
                ]
                assert texts == expected
    if "phone" in schema.names:
        for _, row in j.iterrows():
            w, c, kinds = row["phone_w"], row["phone_c"], row["kinds"]
            assert c is not None and re.fullmatch(r"1\d{10}|023-\d{8}", c), c
            if "phone_missing" in kinds:
                assert w == "" and not kinds & {"phone_outdated", "phone_format"}
                continue
            number = phone_digits(w)
            assert re.fullmatch(r"1\d{10}|023\d{8}", number), (w, c)
            assert (number != c.replace("-", "")) == ("phone_outdated" in kinds), (w, c, kinds)
            canonical = re.fullmatch(r"1\d{10}|023-\d{8}", w) is not None
            assert canonical != ("phone_format" in kinds), (w, c, kinds)
    if "address" in schema.names:
        for _, row in j.iterrows():
            w, c, kinds = row["address_w"], row["address_c"], row["kinds"]
            assert c.startswith("重庆市")
            if "address_missing" in kinds:
                assert w == "" and "address_variant" not in kinds
            elif "address_variant" in kinds:
                assert w != c and address_key(w) == address_key(c), (w, c)
            else:
                assert w == c, (w, c)


def test_hukou_is_noise_free_but_for_characters_gbk_cannot_hold(default_size):
    j = _joined(default_size, "hukou")
    kinds = set().union(*j["kinds"])
    assert kinds <= {"rare_char_placeholder"}
    lost = j[j["kinds"].map(bool)]
    assert len(lost) >= 1 and lost["name_w"].str.contains("□").all()
    assert (j.loc[~j["kinds"].map(bool), "name_w"] == j.loc[~j["kinds"].map(bool), "name_c"]).all()
    assert (j["id_number_w"] == j["id_number_c"]).all()


def test_noise_rates_are_close_to_the_configuration(default_size, former_of):
    g = default_size
    rates = NoiseRates()
    planted = set(g.planted()["household_id"])
    # birth dates from hukou, or a member's ID where hukou does not hold them (NOT_IN_HUKOU)
    hukou = people(g.truth)
    observed: dict[str, int] = {}
    eligible: dict[str, int] = {}

    def add(kind, mask, frame):
        eligible[kind] = eligible.get(kind, 0) + int(mask.sum())
        observed[kind] = observed.get(kind, 0) + int(
            frame.loc[mask, "kinds"].map(lambda k: kind in k).sum()
        )

    for source in NOISY:
        schema = g.schemas[source]
        j = _joined(g, source)
        person_key = j["person_key_c"]
        free = person_key.isna() | ~person_key.str[:14].isin(planted)
        everyone = pd.Series(True, index=j.index)
        kinds = j["kinds"]
        has = lambda kind, kinds=kinds: kinds.map(lambda k: kind in k)  # noqa: E731
        add("id_typo", free, j)
        add("id_transposition", free, j)
        add("id_fullwidth_or_lowercase", everyone, j)
        contact = "phone" in schema.names or "address" in schema.names
        if not schema.column(schema.person_id).required and contact:
            add("id_missing", free, j)
        else:
            assert not has("id_missing").any(), source
        if source in OLD_SYSTEMS:
            year = pd.to_datetime(
                hukou.loc[j["synthetic_person_id_c"], "birth_date"]
            ).dt.year.to_numpy()
            add("id_15_digit", pd.Series(year < 1985, index=j.index), j)
        names = j[f"{schema.person_name}_c"]
        pinyin = has("pinyin_name_bank")
        identity = j["kinds"].map(lambda k: bool(k & NAME_KINDS))
        dotted = names.str.contains("·", regex=False)
        convertible = pd.Series([S2T.convert(n) != n for n in names], index=j.index)
        add("traditional_chars", convertible & ~pinyin & ~identity, j)
        id_clean = j["kinds"].map(lambda k: not k & ID_KINDS)
        homophones = pd.Series([bool(nz.homophone_options(n)) for n in names], index=j.index)
        add("homophone_chars", homophones & (free | id_clean), j)
        variants = pd.Series([bool(nz.variant_options(n)) for n in names], index=j.index)
        add("variant_chars", variants & free, j)
        add("name_order_swapped", free & ~dotted & ~pinyin, j)
        former = j["synthetic_person_id_c"].map(former_of).notna()
        if source in FORMER_NAME_SOURCES:
            add("former_name_used", former & free, j)
        else:
            assert not has("former_name_used").any(), source
        if source == "bank_deposits":
            add("pinyin_name_bank", everyone, j)
            add("pinyin_name_swapped", pinyin & free & ~dotted, j)
        if "phone" in schema.names:
            add("phone_missing", everyone, j)
            add("phone_outdated", everyone, j)
            add("phone_format", ~has("phone_missing"), j)
        if "address" in schema.names:
            add("address_missing", ~has("id_missing"), j)
            add("address_variant", everyone, j)
        if schema.format == "csv":
            add("mixed_date_formats", everyone, j)
            add("duplicate_rows", everyone, j)
    assert set(eligible) == set(NoiseRates.__dataclass_fields__) - {"rare_char_placeholder"}
    for kind, n in eligible.items():
        expected = getattr(rates, kind) * n
        assert expected >= 30, (kind, expected)
        assert 0.6 * expected <= observed[kind] <= 1.5 * expected, (kind, observed[kind], expected)


def test_no_id_damage_on_planted_households(default_size):
    g = default_size
    planted = set(g.planted()["household_id"])
    # the 特困 enrolments (TEKUN_AND_DIBAO) of members of planted households as well
    roster = g.clean("roster")
    planted |= set(roster.loc[roster["programme"] == "tekun", "household_id"])
    links = g.links()
    mine = links[links["person_key"].notna() & links["person_key"].str[:14].isin(planted)]
    # but for the second 低保 enrolment of a person enrolled twice: its ID or name is the problem
    second = second_enrolments(g.truth)
    tekun = second.loc[second["programme"] == "tekun", "person_key"]
    assert mine["person_key"].isin(tekun).sum() == g.config.planted_count("tekun_and_dibao")
    second = second.loc[second["programme"] == "dibao", "person_key"]
    assert mine["person_key"].isin(second).sum() == g.config.planted_count("duplicate_enrolment")
    mine = mine[~(mine["source"].eq("roster") & mine["person_key"].isin(second))]
    damaged = mine["noise"].str.contains(
        "id_typo|id_transposition|id_missing|former_name|variant_chars|name_order_swapped"
        "|pinyin_name_swapped"
    )
    assert len(mine) > 100 and not damaged.any()
    # a homophone only where the ID is untouched, so that the ID link stays exact
    homophone = mine[mine["noise"].str.contains("homophone_chars")]
    assert len(homophone) >= 1
    assert not homophone["noise"].str.contains("id_").any()
    # the harmless kinds still reach them
    assert mine["noise"].str.contains("id_15_digit|id_fullwidth|traditional|pinyin").any()


def test_duplicates_hit_bank_deposits_of_a_household_just_under_the_limit(default_size):
    g = default_size
    planted = g.planted()
    under = set(planted.loc[planted["code"] == "SAVINGS_JUST_UNDER", "household_id"])
    links = g.links()
    bank = links[(links["source"] == "bank_deposits") & links["person_key"].notna()]
    dup = bank[
        bank["noise"].str.contains("duplicate_rows") & bank["person_key"].str[:14].isin(under)
    ]
    assert len(dup) >= 1
