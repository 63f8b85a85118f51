"""Undeclared spouses from the marriage registry, on tiny hand-built frames in a real Spark.

Checked for 2025-07. Households and what the registry says of them:
- H1: head and wife, both on the roster, both rows linked: declared.
- H2: a woman married to a man who is on no roster: one undeclared spouse.
- H3: married, then divorced; the member's divorce row has a mistyped ID and is not linked,
  the pair is found by the certificate's other row: nothing.
- H4: two members married to people who died by the month's end (户籍; a cremation record).
- H5: the spouse's cremation record dates the death after the month: counted.
- H6: the wife is on the roster under a mistyped ID; her own row is linked to her: declared.
- H7: the same, but her row's link is only a possible match (clerical): declared all the same.
- H8 and H9: married to each other, each enrolled in their own household: each counts the
  other, with the other's household.
- H10: the wife's row is linked to nobody, but her ID is on the household's roster: declared.
- H11: married, divorced, remarried (复婚): counted once, with the remarriage's certificate.
- H12: a marriage registered after the month: nothing. H13: the member is not active.
- H14: the member's only link is clerical: nothing.
- H15: divorced, the divorce certificate naming the member by no valid ID; the divorce row is
  linked to the member: nothing.
- H16: the wife is on the roster under a mistyped ID and her row is linked to nobody: counted
  (a reviewer verifies who she is).
- H17: the husband's row is a possible match (clerical) for a member of H9: counted, without
  naming H9 as his household.
- H18 and H19: a man enrolled in both (his row linked to both), his wife in H18: nothing; the
  double enrolment is its own point for review.
- H20: like H16, but the wife's 户籍 record (her true ID) is linked to her: declared.
"""

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from pipelines.household.contrib import CONTRIBUTION_COLUMNS
from pipelines.household.marriage import marriage_contributions
from pipelines.standardize.ids import make_id

PERIOD = SimpleNamespace(month="2025-07", start=dt.date(2025, 7, 1), end=dt.date(2025, 7, 31))
META = "_as_of string, _file string, _row bigint, _source string"
d = dt.date
REG = ("record_key string, certificate_no string, party string, id_number string, name string, "
       "spouse_id_number string, spouse_name string, event string, registration_date date")

_seq = iter(range(1, 999))


def person(male: bool, born: dt.date = d(1980, 5, 1)) -> str:
    seq = next(_seq)
    return make_id("500103", born, seq * 2 - 1 if male else seq * 2)


def typo(id18: str) -> str:
    """One digit changed: the check character no longer fits."""
    return id18[:14] + str((int(id18[14]) + 1) % 10) + id18[15:]


M, F_ = True, False
ID = {name: person(sex) for name, sex in (
    ("A", M), ("B", F_), ("C", F_), ("D", M), ("E", M), ("F", F_), ("G", M), ("Gs", F_),
    ("I", F_), ("Is", M), ("K", M), ("Ks", F_), ("Mm", M), ("N", F_), ("O", M), ("P", F_),
    ("Q", M), ("R", F_), ("S", M), ("T", F_), ("U", M), ("V", F_), ("W", M), ("X", F_),
    ("Y", M), ("Z", F_), ("AA", M), ("AB", F_), ("AC", M), ("AD", F_), ("AE", M), ("AF", F_),
    ("AG", M), ("AH", F_), ("AI", M), ("AJ", F_), ("AK", M), ("AL", F_),
)}


def cert(no, event, day, husband, wife, husband_id=None, wife_id=None, told_wife=None, told_husband=None):
    """The two rows of a certificate; the *_id arguments override what a row writes."""
    h_id = ID[husband] if husband_id is None else husband_id
    w_id = ID[wife] if wife_id is None else wife_id
    return [
        (f"{no}|男方", no, "男方", h_id, husband, told_wife if told_wife is not None else ID[wife],
         wife, event, day),
        (f"{no}|女方", no, "女方", w_id, wife, told_husband if told_husband is not None else ID[husband],
         husband, event, day),
    ]


ROWS = [
    *cert("J1", "marriage", d(2010, 1, 1), "A", "B"),
    *cert("J2", "marriage", d(2018, 3, 3), "D", "C"),
    *cert("J3", "marriage", d(2005, 5, 5), "E", "F"),
    *cert("L3", "divorce", d(2015, 5, 5), "E", "F", husband_id=typo(ID["E"])),
    *cert("J4", "marriage", d(2000, 1, 1), "G", "Gs"),
    *cert("J4b", "marriage", d(2001, 1, 1), "Is", "I"),
    *cert("J5", "marriage", d(2002, 1, 1), "K", "Ks"),
    *cert("J6", "marriage", d(2003, 1, 1), "Mm", "N"),
    *cert("J7", "marriage", d(2004, 1, 1), "O", "P"),
    *cert("J8", "marriage", d(2019, 9, 9), "Q", "R"),
    *cert("J10", "marriage", d(2006, 1, 1), "S", "T"),
    *cert("J11", "marriage", d(2005, 1, 1), "U", "V"),
    *cert("L11", "divorce", d(2010, 1, 1), "U", "V"),
    *cert("J11b", "marriage", d(2012, 6, 1), "U", "V"),
    *cert("J12", "marriage", d(2025, 8, 5), "W", "X"),
    *cert("J13", "marriage", d(2011, 1, 1), "Y", "Z"),
    *cert("J14", "marriage", d(2012, 1, 1), "AA", "AB"),
    *cert("J15", "marriage", d(2013, 1, 1), "AC", "AD"),
    *cert("L15", "divorce", d(2020, 1, 1), "AC", "AD", husband_id=typo(ID["AC"]), told_husband=""),
    *cert("J16", "marriage", d(2014, 1, 1), "AE", "AF"),
    *cert("J17", "marriage", d(2015, 1, 1), "AG", "AH"),
    *cert("J18", "marriage", d(2016, 1, 1), "AI", "AJ"),
    *cert("J20", "marriage", d(2017, 1, 1), "AK", "AL", wife_id=typo(ID["AL"])),
]

# (household, member_no, person, roster status, ID the roster writes when not theirs)
ROSTER = [
    ("H1", 1, "A"), ("H1", 2, "B"), ("H2", 1, "C"), ("H3", 1, "E"), ("H4", 1, "G"), ("H4", 2, "I"),
    ("H5", 1, "K"), ("H6", 1, "Mm"), ("H6", 2, "N", "active", typo(ID["N"])), ("H7", 1, "O"),
    ("H7", 2, "P", "active", typo(ID["P"])), ("H8", 1, "Q"), ("H9", 1, "R"), ("H10", 1, "S"),
    ("H10", 2, "T"), ("H11", 1, "U"), ("H12", 1, "W"), ("H13", 1, "Y", "suspended"), ("H14", 1, "AA"),
    ("H15", 1, "AC"), ("H16", 1, "AE"), ("H16", 2, "AF", "active", typo(ID["AF"])), ("H17", 1, "AH"),
    ("H18", 1, "AI"), ("H18", 2, "AJ"), ("H19", 1, "AI"), ("H20", 1, "AK"),
    ("H20", 2, "AL", "active", typo(typo(ID["AL"]))),
]
KEY_OF = {r[2]: f"{r[0]}-{r[1]:02d}" for r in ROSTER}

# (record key, person) and the link method; everything else unlinked
LINKS = [
    ("J1|男方", "A"), ("J1|女方", "B"), ("J2|女方", "C"), ("J3|男方", "E"),
    ("J4|男方", "G"), ("J4b|女方", "I"), ("J5|男方", "K"), ("J6|男方", "Mm"),
    ("J6|女方", "N", "id_fuzzy"), ("J7|男方", "O"), ("J7|女方", "P", "clerical"),
    ("J8|男方", "Q"), ("J8|女方", "R"), ("J10|男方", "S"), ("J11|男方", "U"),
    ("L11|男方", "U"), ("J11b|男方", "U"), ("J12|男方", "W"), ("J13|男方", "Y"),
    ("J14|男方", "AA", "clerical"), ("J15|男方", "AC"), ("L15|男方", "AC", "id_fuzzy"),
    ("J16|男方", "AE"), ("J17|女方", "AH"), ("J20|男方", "AK"),
]
# other links: possible matches with another person than the row's, and a second enrolment
STRAY = [("H9-01", "J17|男方", "clerical"), ("H18-01", "J18|男方", "id_exact"),
         ("H19-01", "J18|男方", "id_exact"), ("H18-02", "J18|女方", "id_exact")]


def frame(spark, ddl, rows, source):
    full = [(*r, "2025-06-30", f"landing/{source}.csv", i + 2, source) for i, r in enumerate(rows)]
    return spark.createDataFrame(full, f"{ddl}, {META}")


@pytest.fixture(scope="module")
def result(spark):
    marriage = frame(spark, REG, ROWS, "marriage")
    status = {r[2]: (r[3] if len(r) > 3 else "active") for r in ROSTER}
    roster = spark.createDataFrame(
        [(h, n, (rest[1] if len(rest) > 1 else ID[p]), status[p]) for h, n, p, *rest in ROSTER],
        "household_id string, member_no bigint, id_number string, status string",
    )
    hukou = frame(spark, "record_key string, id_number string, status string, status_date date", [
        ("HK1", ID["Gs"], "deceased", d(2024, 3, 1)), ("HK2", ID["D"], "normal", None),
        ("HK3", ID["AL"], "normal", None),
    ], "hukou")
    cremation = frame(spark, "record_key string, id_number string, death_date date", [
        ("CR1", ID["Is"], d(2025, 7, 10)), ("CR2", ID["Ks"], d(2025, 8, 3)),
    ], "cremation")
    links = spark.createDataFrame(
        [(KEY_OF[p], KEY_OF[p].split("-")[0], "marriage", k, (m[0] if m else "id_exact"), 0.99, '{"id": "exact"}')
         for k, p, *m in LINKS]
        + [(p, p.split("-")[0], "marriage", k, m, 0.7, "{}") for p, k, m in STRAY]
        + [("H2-01", "H2", "hukou", "J2|女方", "id_exact", 1.0, "{}")]  # another source's key
        + [("H20-02", "H20", "hukou", "HK3", "probabilistic", 0.98, "{}")],  # her 户籍, by name and birth
        "person_key string, household_id string, source string, source_record_key string, "
        "method string, score double, evidence string",
    )
    out = marriage_contributions(marriage, links, roster.where("status = 'active'"), hukou, cremation, PERIOD)
    return out, [r.asDict() for r in out.collect()]


def by_household(rows):
    found = {}
    for r in rows:
        found.setdefault(r["household_id"], []).append(r)
    return found


def test_the_contract_columns_and_one_row_per_undeclared_spouse(result):
    out, rows = result
    assert tuple(out.columns) == CONTRIBUTION_COLUMNS
    assert sorted((r["household_id"], r["item"]) for r in rows) == sorted([
        ("H2", ID["D"]), ("H5", ID["Ks"]), ("H8", ID["R"]), ("H9", ID["Q"]), ("H11", ID["V"]),
        ("H16", ID["AF"]), ("H17", ID["AG"]),
    ])
    assert {r["fact"] for r in rows} == {"undeclared_spouses"}
    assert all(r["amount"] == 1 for r in rows)


@pytest.mark.parametrize("case", [
    {"description": "both spouses on the roster and linked", "household": "H1"},
    {"description": "divorced: found through the other row of the divorce certificate", "household": "H3"},
    {"description": "spouses deceased by 户籍 and by a cremation record", "household": "H4"},
    {"description": "on the roster under a mistyped ID, her own row linked to her", "household": "H6"},
    {"description": "on the roster under a mistyped ID, her row a possible match for her", "household": "H7"},
    {"description": "her row linked to nobody, her ID on the household's roster", "household": "H10"},
    {"description": "registered after the month", "household": "H12"},
    {"description": "the member is not active", "household": "H13"},
    {"description": "the member's link is clerical", "household": "H14"},
    {"description": "divorced: the divorce row linked to the member names the same spouse", "household": "H15"},
    {"description": "enrolled twice, the wife in the first household: not the first", "household": "H18"},
    {"description": "enrolled twice, the wife in the first household: not the second", "household": "H19"},
    {"description": "roster and marriage row mistype her ID, her 户籍 record is linked to her", "household": "H20"},
], ids=lambda c: c["description"])
def test_nothing_to_review(result, case):
    assert case["household"] not in by_household(result[1])


def test_the_record_shown_is_the_members_marriage_row_with_its_link(result):
    (row,) = by_household(result[1])["H2"]
    assert (row["person_key"], row["source"], row["record_key"]) == ("H2-01", "marriage", "J2|女方")
    assert (row["as_of"], row["file"], row["row"]) == ("2025-06-30", "landing/marriage.csv", 5)  # the 4th data line
    assert (row["link_method"], row["link_score"], row["link_evidence"]) == ("id_exact", 0.99, '{"id": "exact"}')
    assert json.loads(row["detail"]) == {
        "event": "marriage", "registration_date": "2018-03-03",
        "spouse_on_roster": False,
    }


def test_a_spouse_enrolled_in_another_household_is_named(result):
    found = by_household(result[1])
    assert json.loads(found["H8"][0]["detail"])["spouse_household"] == "H9"
    assert json.loads(found["H9"][0]["detail"])["spouse_household"] == "H8"


def test_a_remarriage_counts_once_with_its_own_certificate(result):
    (row,) = by_household(result[1])["H11"]
    assert row["record_key"] == "J11b|男方"  # the certificate number shows in the key only
    assert json.loads(row["detail"])["registration_date"] == "2012-06-01"


def test_a_spouse_found_nowhere_is_counted_and_a_possible_match_elsewhere_not_named(result):
    found = by_household(result[1])
    assert "spouse_household" not in json.loads(found["H16"][0]["detail"])
    assert "spouse_household" not in json.loads(found["H17"][0]["detail"])


def test_links_in_the_form_contributions_passes_them(spark, result):
    """Links keyed by record_key, accepted ones only (as `contributions` keeps them)."""
    out, rows = result
    marriage = frame(spark, REG, ROWS, "marriage")
    roster = spark.createDataFrame(
        [(h, n, (rest[1] if len(rest) > 1 else ID[p])) for h, n, p, *rest in ROSTER
         if len(rest) == 0 or rest[0] == "active"],
        "household_id string, member_no bigint, id_number string",
    )
    accepted = spark.createDataFrame(
        [(KEY_OF[p], KEY_OF[p].split("-")[0], "marriage", k, (m[0] if m else "id_exact"), 0.99, '{"id": "exact"}')
         for k, p, *m in LINKS if not m or m[0] != "clerical"],
        "person_key string, household_id string, source string, record_key string, "
        "method string, score double, evidence string",
    )
    again = marriage_contributions(marriage, accepted, roster, None, None, PERIOD).collect()
    # without 户籍 and cremation the deceased spouses count (H4 twice), and H20's wife, known
    # by her 户籍 record only; without the possible match, H7's wife too
    items = sorted((r["household_id"], r["item"]) for r in again)
    expected = sorted([(r["household_id"], r["item"]) for r in rows]
                      + [("H4", ID["Gs"]), ("H4", ID["Is"]), ("H7", ID["P"]), ("H20", ID["AL"])])
    assert items == expected
