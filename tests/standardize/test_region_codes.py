"""Area codes and district names: current, retired (with chains), Sichuan-era, other provinces."""

import datetime
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import pipelines.standardize.counties as legacy_module
from pipelines.errors import ConfigError
from pipelines.standardize.ids import PROVINCE_CODES
from pipelines.standardize.regions import (
    REASONS,
    STATUSES,
    RegionResult,
    parse_region_table,
    region_table,
    standardize_region,
)
from tests.standardize.strategies import a_day, anything, region_codes

D = datetime.date


def _params(cases):
    return pytest.mark.parametrize("case", cases, ids=[c["description"] for c in cases])


# expected: (code, current_code, status, reason)
REGION_CASES = [
    {
        "description": "current code",
        "input": "500110",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "blanks around",
        "input": " 500110 ",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "full-width digits",
        "input": "５００１１０",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "ideographic space inside",
        "input": "500\u3000110",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "12-digit statistical code",
        "input": "500110101000",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "9-digit township code",
        "input": "500110101",
        "expected": ("500110", "500110", "current", None),
    },
    {"description": "int", "input": 500103, "expected": ("500103", "500103", "current", None)},
    {
        "description": "spreadsheet float",
        "input": 500103.0,
        "expected": ("500103", "500103", "current", None),
    },
    {
        "description": "綦江县 retired 2011",
        "input": "500222",
        "expected": ("500222", "500110", "retired", None),
    },
    {
        "description": "璧山县 retired 2014",
        "input": "500227",
        "expected": ("500227", "500120", "retired", None),
    },
    {
        "description": "铜梁县 retired 2014",
        "input": "500224",
        "expected": ("500224", "500151", "retired", None),
    },
    {
        "description": "开县 retired 2016",
        "input": "500234",
        "expected": ("500234", "500154", "retired", None),
    },
    {
        "description": "黔江 autonomous county retired 2000",
        "input": "500239",
        "expected": ("500239", "500114", "retired", None),
    },
    {
        "description": "江津市 retired 2006",
        "input": "500381",
        "expected": ("500381", "500116", "retired", None),
    },
    {
        "description": "Sichuan-era 重庆市",
        "input": "510212",
        "expected": ("510212", None, "legacy_sichuan", None),
    },
    {
        "description": "Sichuan-era 万县",
        "input": "512221",
        "expected": ("512221", None, "legacy_sichuan", None),
    },
    {
        "description": "Sichuan-era 涪陵",
        "input": "512301",
        "expected": ("512301", None, "legacy_sichuan", None),
    },
    {
        "description": "Chengdu is another province's code",
        "input": "510104",
        "expected": ("510104", None, "other_province", None),
    },
    {
        "description": "Beijing",
        "input": "110105",
        "expected": ("110105", None, "other_province", None),
    },
    {
        "description": "name of a district",
        "input": "綦江区",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "name of the retired county",
        "input": "綦江县",
        "expected": ("500222", "500110", "retired", None),
    },
    {
        "description": "traditional characters",
        "input": "綦江區",
        "expected": ("500110", "500110", "current", None),
    },
    {
        "description": "with the city",
        "input": "重庆市 渝中区",
        "expected": ("500103", "500103", "current", None),
    },
    {
        "description": "short name",
        "input": "秀山",
        "expected": ("500241", "500241", "current", None),
    },
    {
        "description": "alias of an autonomous county",
        "input": "石柱县",
        "expected": ("500240", "500240", "current", None),
    },
    {
        "description": "开县 by name",
        "input": "开县",
        "expected": ("500234", "500154", "retired", None),
    },
    {
        "description": "former name of a code",
        "input": "万盛区",
        "expected": ("500110", "500110", "current", None),
    },
    {"description": "None", "input": None, "expected": (None, None, "invalid", "missing")},
    {"description": "blank", "input": " \u3000", "expected": (None, None, "invalid", "missing")},
    {"description": "NULL", "input": "NULL", "expected": (None, None, "invalid", "missing")},
    {"description": "NaN", "input": float("nan"), "expected": (None, None, "invalid", "missing")},
    {
        "description": "five digits",
        "input": "50011",
        "expected": (None, None, "invalid", "bad_length"),
    },
    {
        "description": "digits and letters",
        "input": "5001A0",
        "expected": (None, None, "invalid", "bad_chars"),
    },
    {"description": "negative", "input": -500110, "expected": (None, None, "invalid", "bad_chars")},
    {"description": "bool", "input": True, "expected": (None, None, "invalid", "bad_chars")},
    {
        "description": "no such province",
        "input": "990101",
        "expected": (None, None, "invalid", "bad_province"),
    },
    {
        "description": "the municipality itself",
        "input": "500000",
        "expected": (None, None, "invalid", "not_county_level"),
    },
    {
        "description": "unknown Chongqing code",
        "input": "500299",
        "expected": (None, None, "invalid", "unknown_code"),
    },
    {
        "description": "unknown name",
        "input": "成都市",
        "expected": (None, None, "invalid", "unknown_name"),
    },
]


@_params(REGION_CASES)
def test_standardize_region(case):
    r = standardize_region(case["input"])
    assert (r.code, r.current_code, r.status, r.reason) == case["expected"]
    assert r.valid is (case["expected"][2] != "invalid")
    assert r.raw is case["input"]


ON_CASES = [
    {
        "description": "綦江县 before its retirement",
        "input": ("500222", D(2010, 1, 1)),
        "expected": ("500222", "current", None),
    },
    {
        "description": "綦江县 after",
        "input": ("500222", D(2012, 1, 1)),
        "expected": ("500110", "retired", None),
    },
    {
        "description": "开州区 before it existed",
        "input": ("500154", D(2010, 1, 1)),
        "expected": (None, "invalid", "not_yet_in_force"),
    },
    {
        "description": "开州区 after",
        "input": ("500154", D(2017, 1, 1)),
        "expected": ("500154", "current", None),
    },
    {
        "description": "500110 in 2005 is 万盛区",
        "input": ("500110", D(2005, 1, 1)),
        "expected": ("500110", "current", None),
    },
]


@_params(ON_CASES)
def test_standardize_region_on_a_day(case):
    raw, on = case["input"]
    r = standardize_region(raw, on)
    assert (r.current_code, r.status, r.reason) == case["expected"]


def test_names_follow_the_day():
    assert standardize_region("500110", D(2005, 1, 1)).name == "万盛区"
    assert standardize_region("500110", D(2012, 1, 1)).name == "綦江区"
    assert standardize_region("500110").name == "綦江区"


def test_groups():
    groups = {
        "500110": "chongqing",
        "500222": "chongqing",
        "510212": "chongqing_legacy",
        "512230": "chongqing_legacy",
        "110105": "other_province",
        "990101": None,
    }
    assert {code: standardize_region(code).group for code in groups} == groups


def test_retired_result_carries_date_and_confidence():
    r = standardize_region("500222")
    assert r.retired_on == D(2011, 10, 27) and r.confidence == "likely"
    assert standardize_region("500110").retired_on is None


# ------------------------------------------------------------------ the data file


def test_table_has_the_38_units_and_consistent_history():
    t = region_table()
    assert len(t.current) == 38
    kinds = [e.kind for e in t.current.values()]
    assert (kinds.count("district"), kinds.count("county"), kinds.count("autonomous_county")) == (
        26,
        8,
        4,
    )
    for code, entry in t.retired.items():
        assert code not in t.current
        assert t.successor_on(code, None) in t.current, code
        assert entry.retired is not None and entry.retired >= D(1997, 6, 18)
        successor = t.current.get(entry.successor)
        # A code created by the change comes into force the day the old one is retired.
        if successor is not None and successor.since is not None:
            assert successor.since == entry.retired, code
    assert set(t.legacy_prefixes) == {"5102", "5122", "5123"}
    assert t.legacy_group == "chongqing_legacy"


def test_the_brief_s_renumberings():
    t = region_table()
    assert (t.retired["500222"].successor, t.retired["500222"].retired.year) == ("500110", 2011)
    assert (t.retired["500227"].successor, t.retired["500227"].retired.year) == ("500120", 2014)
    assert (t.retired["500224"].successor, t.retired["500224"].retired.year) == ("500151", 2014)
    assert (t.retired["500234"].successor, t.retired["500234"].retired.year) == ("500154", 2016)


def test_legacy_module_reads_the_same_table():
    t = region_table()
    assert {c: e.name for c, e in t.current.items()} == legacy_module.CHONGQING
    assert set(legacy_module.RETIRED) == set(t.retired)
    assert legacy_module.AUTONOMOUS == ("500240", "500241", "500242", "500243")
    assert legacy_module.current_code("500239") == "500114"
    assert legacy_module.region_name("500222") == "綦江县（已撤销）"


CHAIN_DOC = """
current:
  - {code: "500001", name: 甲区, kind: district, since: 2010-01-01}
retired:
  - {code: "500002", name: 乙县, successor: "500003", retired: 2000-01-01}
  - {code: "500003", name: 丙市, successor: "500001", retired: 2010-01-01}
legacy_sichuan: {group: chongqing_legacy, prefixes: [{prefix: "5102", name: 旧}]}
"""


def test_chains_of_successors_are_followed_by_date():
    t = parse_region_table(yaml.safe_load(CHAIN_DOC), "chain.yaml")
    assert standardize_region("500002", table=t).current_code == "500001"
    assert standardize_region("500002", D(2005, 1, 1), table=t).current_code == "500003"
    r = standardize_region("500002", D(1999, 1, 1), table=t)
    assert (r.status, r.current_code) == ("current", "500002")
    assert standardize_region("乙县", table=t).current_code == "500001"


def test_a_broken_table_reports_every_problem_with_the_file_and_key():
    doc = yaml.safe_load(CHAIN_DOC)
    doc["current"][0]["code"] = 500001  # unquoted: an int
    doc["retired"][0]["retired"] = "sometime"
    doc["retired"][1]["successor"] = "500009"
    with pytest.raises(ConfigError) as err:
        parse_region_table(doc, "broken.yaml")
    problems = err.value.problems
    assert len(problems) == 3
    assert all(p.startswith("broken.yaml: ") for p in problems)
    assert any("current[0].code" in p for p in problems)
    assert any("retired[0].retired" in p for p in problems)
    assert any("500009" in p for p in problems)


# ------------------------------------------------------------------ properties


def _check_shape(r: RegionResult) -> None:
    assert isinstance(r, RegionResult)
    assert r.status in STATUSES
    assert r.valid is (r.status != "invalid")
    assert (r.reason is None) is r.valid
    assert (
        r.group
        == {
            "current": "chongqing",
            "retired": "chongqing",
            "legacy_sichuan": "chongqing_legacy",
            "other_province": "other_province",
            "invalid": None,
        }[r.status]
    )
    if r.valid:
        assert re.fullmatch(r"[0-9]{6}", r.code) and r.code[:2] in PROVINCE_CODES
        assert (
            r.current_code is None
            or r.current_code in region_table().current
            or r.status == "current"
        )
    else:
        assert r.reason in REASONS and r.reason
        assert r.code is r.current_code is r.name is None


@given(anything)
def test_never_raises_and_has_the_documented_shape(raw):
    _check_shape(standardize_region(raw))


@given(
    st.one_of(region_codes, st.from_regex(r"5[0-9]{5}", fullmatch=True)), st.none() | a_day(1995)
)
def test_idempotent_and_chains_end_in_force(code, on):
    r = standardize_region(code, on)
    _check_shape(r)
    if r.valid:
        again = standardize_region(r.code, on)
        assert (again.code, again.current_code, again.status) == (r.code, r.current_code, r.status)
    if r.status == "retired":
        successor = standardize_region(r.current_code, on)
        assert successor.status == "current" and successor.current_code == r.current_code


@settings(max_examples=60)
@given(st.sampled_from(sorted(region_table().names)), st.sampled_from(["", "重庆市", "重庆", " "]))
def test_every_known_name_resolves(name, prefix):
    r = standardize_region(prefix + name)
    assert r.valid and r.code == region_table().names[name]
