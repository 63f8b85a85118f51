"""The files really carry each kind of noise, at roughly the configured rate, where recorded."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import opencc
import pandas as pd
import pytest

from pipelines.synth import SOURCES
from pipelines.synth.config import NoiseRates

NOISY = [s for s in SOURCES if s != "hukou"]
OLD_SYSTEMS = {"bank_deposits", "real_estate", "vehicles", "cremation"}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T2S = opencc.OpenCC("t2s")
S2T = opencc.OpenCC("s2t")


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


@pytest.mark.parametrize("source", NOISY)
def test_recorded_noise_is_in_the_file_and_nothing_else(default_size, source):
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
        if "pinyin_name_bank" in kinds:
            assert w.isascii() and re.fullmatch(r"[A-Za-z ]+", w), w
        elif "traditional_chars" in kinds:
            assert w != c
            trad_roundtrip.append(T2S.convert(w.replace("?", "")) == c.replace("?", ""))
        elif "rare_char_placeholder" in kinds:
            assert ("?" in w or "□" in w) and len(w) == len(c)
        else:
            assert w == c, (w, c)
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


def test_hukou_is_noise_free_but_for_characters_gbk_cannot_hold(default_size):
    j = _joined(default_size, "hukou")
    kinds = set().union(*j["kinds"])
    assert kinds <= {"rare_char_placeholder"}
    lost = j[j["kinds"].map(bool)]
    assert len(lost) >= 1 and lost["name_w"].str.contains("□").all()
    assert (j.loc[~j["kinds"].map(bool), "name_w"] == j.loc[~j["kinds"].map(bool), "name_c"]).all()
    assert (j["id_number_w"] == j["id_number_c"]).all()


def test_noise_rates_are_close_to_the_configuration(default_size):
    g = default_size
    rates = NoiseRates()
    planted = set(g.planted()["household_id"])
    hukou = g.clean("hukou").set_index("synthetic_person_id")
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
        add("id_typo", free, j)
        add("id_transposition", free, j)
        add("id_fullwidth_or_lowercase", everyone, j)
        if not schema.column(schema.person_id).required:
            add("id_missing", free, j)
        if source in OLD_SYSTEMS:
            year = pd.to_datetime(
                hukou.loc[j["synthetic_person_id_c"], "birth_date"]
            ).dt.year.to_numpy()
            add("id_15_digit", pd.Series(year < 1985, index=j.index), j)
        names = j[f"{schema.person_name}_c"]
        convertible = pd.Series([S2T.convert(n) != n for n in names], index=j.index)
        pinyin = j["kinds"].map(lambda k: "pinyin_name_bank" in k)
        add("traditional_chars", convertible & ~pinyin, j)
        if source == "bank_deposits":
            add("pinyin_name_bank", everyone, j)
        if schema.format == "csv":
            add("mixed_date_formats", everyone, j)
            add("duplicate_rows", everyone, j)
    for kind, n in eligible.items():
        expected = getattr(rates, kind) * n
        assert expected >= 30, (kind, expected)
        assert 0.6 * expected <= observed[kind] <= 1.5 * expected, (kind, observed[kind], expected)


def test_no_id_damage_on_planted_households(default_size):
    g = default_size
    planted = set(g.planted()["household_id"])
    links = g.links()
    mine = links[links["person_key"].notna() & links["person_key"].str[:14].isin(planted)]
    damaged = mine["noise"].str.contains("id_typo|id_transposition|id_missing")
    assert len(mine) > 100 and not damaged.any()
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
