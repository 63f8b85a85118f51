"""The two-pass linker on a real SparkSession: deterministic IDs, then Fellegi–Sunter by EM."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from pipelines.errors import ConfigError
from pipelines.link.config import builtin_config, parse_config
from pipelines.link.linker import link_tables
from pipelines.standardize.ids import make_id

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "晓明", "海燕"]
DISTRICTS = ["500103", "500110", "500222", "510212", "500242", "500236"]

CONFIG = builtin_config("chongqing_person").with_columns(
    "right",
    {"id": "id_number", "name": "name", "phone": "phone", "address": "address",
     "birth_date": None},
    key="record_key",
)


def _typo(id18: str, rng) -> str:
    pos = int(rng.integers(6, 16))
    digit = str((int(id18[pos]) + int(rng.integers(1, 10))) % 10)
    return id18[:pos] + digit + id18[pos + 1 :]


def _world(seed: int = 5):
    """400 roster people; their registry records with noise; 300 records of other people."""
    rng = np.random.default_rng(seed)
    people = []
    for i in range(700):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=int(rng.integers(0, 25_000)))
        area = DISTRICTS[i % len(DISTRICTS)]
        people.append(
            {
                "person_key": f"H{i // 2:04d}-{i % 2 + 1:02d}",
                "id_number": make_id(area, born, int(rng.integers(1, 999))),
                "name": SURNAMES[int(rng.integers(0, len(SURNAMES)))]
                + GIVEN[int(rng.integers(0, len(GIVEN)))],
                "phone": f"1{int(rng.integers(3, 10))}{int(rng.integers(0, 10**9)):09d}",
                "address": f"重庆市{area}街道{int(rng.integers(1, 300))}号",
                "former_name": None,
            }
        )
    roster, others = people[:400], people[400:]
    records, truth = [], {}
    for j, p in enumerate(roster + others):
        key = f"R{j:04d}"
        rec = {"record_key": key, "id_number": p["id_number"], "name": p["name"],
               "phone": p["phone"], "address": p["address"], "noise": ""}
        if j < 400:
            truth[key] = p["person_key"]
            if j % 10 == 1:
                rec["id_number"], rec["noise"] = _typo(p["id_number"], rng), "typo"
            elif j % 10 == 2:
                rec["id_number"], rec["noise"] = None, "missing"
            elif j % 10 == 3:
                rec["phone"] = "+86 " + p["phone"][:3] + "-" + p["phone"][3:]
                rec["address"] = p["address"].removeprefix("重庆市")
        records.append(rec)
    # the same ID under another person's name: not a match, a question for a person
    records.append({"record_key": "R9999", "id_number": roster[0]["id_number"], "name": "欧阳娜娜",
                    "phone": None, "address": None, "noise": "conflict"})
    return pd.DataFrame(roster), pd.DataFrame(records), truth


@pytest.fixture(scope="module")
def linked(spark):
    roster, records, truth = _world()
    left = spark.createDataFrame(roster.astype(object).where(roster.notna(), None))
    right = spark.createDataFrame(records.drop(columns="noise"))
    result = link_tables(left, right, CONFIG)
    rows = {r["r_key"]: r.asDict() for r in result.links.collect()}
    return rows, records.set_index("record_key"), truth, result


def test_exact_ids_link_deterministically(linked):
    rows, records, truth, _ = linked
    exact = [k for k, n in records["noise"].items() if n == "" and k in truth]
    assert all(rows[k]["method"] == "id_exact" and rows[k]["l_key"] == truth[k] for k in exact)


def test_same_id_other_name_goes_to_a_person(linked):
    rows, *_ = linked
    assert rows["R9999"]["method"] == "clerical"
    assert rows["R9999"]["band"] == "possible"


def test_mistyped_ids_link_as_id_fuzzy(linked):
    rows, records, truth, _ = linked
    typos = [k for k, n in records["noise"].items() if n == "typo"]
    found = [k for k in typos if k in rows and rows[k]["l_key"] == truth[k]]
    assert len(found) >= 0.95 * len(typos)
    assert {rows[k]["method"] for k in found} <= {"id_fuzzy", "probabilistic"}
    assert sum(rows[k]["method"] == "id_fuzzy" for k in found) >= 0.8 * len(found)


def test_missing_ids_link_on_name_phone_address(linked):
    rows, records, truth, _ = linked
    missing = [k for k, n in records["noise"].items() if n == "missing"]
    found = [k for k in missing if k in rows and rows[k]["band"] == "match"]
    assert len(found) >= 0.95 * len(missing)
    assert all(rows[k]["l_key"] == truth[k] for k in found)


def test_other_people_are_not_linked(linked):
    rows, records, truth, _ = linked
    others = [k for k in records.index if k not in truth and k != "R9999"]
    wrong = [k for k in others if k in rows and rows[k]["band"] == "match"]
    assert wrong == []


def test_evidence_is_a_waterfall_that_adds_up(linked):
    rows, records, truth, result = linked
    k = next(k for k, n in records["noise"].items() if n == "missing")
    ev = json.loads(rows[k]["evidence"])
    assert [f["field"] for f in ev["fields"]] == ["id", "name", "birth_date", "phone", "address"]
    assert ev["fields"][0]["level"] == "missing" and ev["fields"][0]["weight"] == 0
    total = ev["prior_weight"] + sum(f["weight"] for f in ev["fields"])
    assert total == pytest.approx(ev["match_weight"], abs=1e-3)
    # no personal value is stored in the evidence
    assert records.loc[k, "name"] not in rows[k]["evidence"]


def test_model_learns_that_agreement_is_evidence(linked):
    *_, result = linked
    weights = dict(zip([c.name for c in result.model.comparisons], result.model.weights(),
                       strict=True))
    for field in ("id", "name", "phone", "address"):
        assert weights[field][0] > 3, field
        assert weights[field][-1] < 0, field


def test_same_inputs_give_the_same_links(spark, linked):
    rows, *_ = linked
    roster, records, _ = _world()
    left = spark.createDataFrame(roster.astype(object).where(roster.notna(), None))
    right = spark.createDataFrame(records.drop(columns="noise"))
    again = {r["r_key"]: r.asDict() for r in link_tables(left, right, CONFIG).links.collect()}
    assert again == rows


def test_config_problems_are_reported_together(tmp_path):
    bad = {
        "name": "x", "left_key": "a", "right_key": "b",
        "fields": {"id": {"kind": "id_number", "left": "id"}, "nm": {"kind": "nickname"}},
        "blocking": [["idd"]],
        "comparisons": [{"field": "zzz"}],
        "thresholds": {"match": 0.4, "possible": 0.9},
    }
    with pytest.raises(ConfigError) as err:
        parse_config(bad, "link.yaml")
    text = str(err.value)
    assert "link.yaml: fields.nm.kind" in text
    assert "link.yaml: thresholds" in text


def test_roster_linked_to_itself_finds_people_enrolled_twice(spark, linked):
    from pipelines.link.duplicates import roster_duplicates

    *_, result = linked
    roster, _, _ = _world()
    rng = np.random.default_rng(9)
    roster["household_id"] = roster["person_key"].str[:5]
    twice = roster.iloc[[10, 20, 30]].copy()
    twice["person_key"] = ["H9000-01", "H9001-01", "H9002-01"]
    twice["household_id"] = ["H9000", "H9001", "H9002"]
    twice.iloc[1, twice.columns.get_loc("id_number")] = _typo(twice.iloc[1]["id_number"], rng)
    # a relative: the same phone and address, another name, a mistyped ID of her own
    relative = make_id("500103", dt.date(1990, 6, 1), 7)
    twice.iloc[2, twice.columns.get_loc("id_number")] = _typo(relative, rng)
    twice.iloc[2, twice.columns.get_loc("name")] = "欧阳丽娟"
    people = spark.createDataFrame(
        pd.concat([roster, twice]).astype(object).where(lambda d: d.notna(), None)
    )
    config = builtin_config("chongqing_person")
    pairs = {
        (r["person_key_a"], r["person_key_b"]): r.asDict()
        for r in roster_duplicates(people, config, result.model).collect()
    }
    a, b = roster.iloc[10]["person_key"], roster.iloc[20]["person_key"]
    assert pairs[(a, "H9000-01")]["method"] == "id_exact"
    assert pairs[(b, "H9001-01")]["band"] == "match"
    assert not pairs[(b, "H9001-01")]["same_household"]
    assert all(p["band"] != "match" for k, p in pairs.items()
               if k not in {(a, "H9000-01"), (b, "H9001-01")})
    c = roster.iloc[30]["person_key"]
    assert pairs.get((c, "H9002-01"), {"band": "non_match"})["band"] != "match"


def test_a_match_needs_the_name_to_agree(spark, linked):
    """Phone and address are a household's: with the name in conflict, a pair however strong
    stays a possible match, and the evidence says which field capped it."""
    from pipelines.link.probabilistic import require_agreement

    *_, result = linked
    names = next(c.levels for c in result.model.comparisons if c.name == "name")
    scored = spark.createDataFrame(
        [("a", 0, "match"), ("b", len(names) - 1, "match"), ("c", -1, "match"),
         ("d", len(names) - 1, "possible")],
        "l_key string, lvl_name int, band string",
    )
    out = {r["l_key"]: (r["band"], r["capped_by"])
           for r in require_agreement(scored, result.model, CONFIG).collect()}
    assert out == {"a": ("match", []), "b": ("possible", ["name"]),
                   "c": ("possible", ["name"]), "d": ("possible", ["name"])}
