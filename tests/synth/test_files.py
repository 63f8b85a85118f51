"""The landing files match the schemas; every record has its truth, and the truth is canonical."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipelines.synth import SOURCES
from tests.synth.conftest import read_xlsx

ARROW = {
    "string": "string",
    "code": "string",
    "month": "string",
    "int": "int64",
    "decimal": "double",
    "date": "date32[day]",
}


# The format each source arrives in: (file type, encoding, UTF-8 byte-order mark).
FORMATS = {
    "roster": ("csv", "utf-8", False),
    "hukou": ("csv", "gbk", False),
    "cremation": ("csv", "gbk", False),
    "bank_deposits": ("csv", "utf-8", False),
    "real_estate": ("parquet", None, False),
    "vehicles": ("csv", "gbk", False),
    "business": ("parquet", None, False),
    "social_insurance": ("parquet", None, False),
    "custody": ("csv", "utf-8", False),
    "applications": ("csv", "utf-8", True),
    "securities": ("csv", "gbk", False),
    "provident_fund": ("jsonl", "utf-8", False),
    "state_payroll": ("csv", "utf-8", False),
    "disability": ("xlsx", None, False),
    "insurance": ("csv", "gb18030", False),
    "marriage": ("csv", "utf-8", False),
}


def test_every_source_has_its_format():
    assert set(FORMATS) == set(SOURCES)


@pytest.mark.parametrize("source", SOURCES)
def test_file_format_encoding_and_header(small, source):
    schema = small.schemas[source]
    path = small.landing(source)
    fmt, encoding, bom = FORMATS[source]
    assert (schema.format, schema.encoding) == (fmt, encoding)
    # applications received during the month checked are extracted at its end
    dated = "2025-07-31" if source == "applications" else "2025-06-30"
    assert path.parent.name == dated and path.parent.parent.name == source
    assert path.name == f"{source}_{dated.replace('-', '')}.{fmt}"
    headers = [c.aliases[0] for c in schema.columns]
    if schema.format == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == bom
        text = raw.decode("utf-8-sig" if bom else schema.encoding)  # strict: every byte decodes
        header = text.splitlines()[0].split(",")
        assert header == headers
        if schema.encoding in ("gbk", "gb18030"):
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            assert b"\r\n" in raw
    elif schema.format == "jsonl":
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8")
        assert "\\u" not in text  # Chinese written as such, not escaped
        lines = text.splitlines()
        assert len(lines) == small.summary.lines[source]
        for line in lines:
            assert list(json.loads(line)) == headers
    elif schema.format == "xlsx":
        assert path.read_bytes()[:2] == b"PK"
        header, rows = read_xlsx(path)
        assert header == headers
        assert len(rows) == small.summary.lines[source]
    else:
        table = pq.read_table(path)
        assert table.column_names == [c.name for c in schema.columns]
        assert [str(t) for t in table.schema.types] == [ARROW[c.type] for c in schema.columns]


@pytest.mark.parametrize("source", SOURCES)
def test_codes_are_labels_in_files_and_canonical_in_truth(small, source):
    schema = small.schemas[source]
    written, clean = small.written(source), small.clean(source)
    for col in schema.columns:
        if col.type != "code":
            continue
        labels = set(written[col.name]) - {""}
        assert labels <= set(col.codes), (col.name, labels - set(col.codes))
        canonical = set(clean[col.name].dropna())
        assert canonical <= set(col.codes.values()), (col.name, canonical)
        if col.required:
            assert clean[col.name].notna().all()


def test_synonym_labels_appear(default_size):
    roster = default_size.written("roster")
    assert {"户主", "配偶", "子女"} <= set(roster["relation"])
    assert {"子", "女"} & set(roster["relation"])
    assert {"城市低保", "农村低保"} & set(roster["programme"])
    vehicles = default_size.written("vehicles")
    assert {"小型轿车", "小型普通客车", "残疾人专用机动轮椅车", "报废"} <= set(
        vehicles["vehicle_type"]
    ) | set(vehicles["status"])
    business = default_size.written("business")
    assert {"法定代表人", "经营者", "股东", "投资人"} <= set(business["role"])
    individual = business["entity_type"] == "个体工商户"
    assert (business.loc[individual & business["role"].isin(["法定代表人"]), "role"]).empty


@pytest.mark.parametrize("source", SOURCES)
def test_every_written_record_has_one_truth_row(small, source):
    schema = small.schemas[source]
    written = small.written(source)
    keys = written[list(schema.key)].astype(str).agg("|".join, axis=1)
    links = small.links()
    links = links[links["source"] == source]
    clean = small.clean(source)
    assert links["record_key"].is_unique
    assert set(keys) == set(links["record_key"]) == set(clean["record_key"])
    assert len(clean) == len(links) == small.summary.records[source]
    assert len(written) == small.summary.lines[source]
    duplicated = int(links["noise"].str.contains("duplicate_rows").sum())
    assert len(written) - len(set(keys)) == duplicated
    roster_people = links["person_key"].notna()
    assert links.loc[roster_people, "person_key"].str.match(r"^(DB|TK)\d{12}-\d{2}$").all()
    assert links["person_id"].str.match(r"^P\d{8}$").all()


def test_links_cover_roster_people_in_registries(small):
    links = small.links()
    roster = links[links["source"] == "roster"]
    assert roster["person_key"].notna().all()
    # every roster member is in the hukou extract, under the same synthetic person, but the
    # members planted outside it (NOT_IN_HUKOU); the hukou record of a person enrolled twice
    # (in 低保 twice, or in 特困 as well) carries their first enrolment's key
    planted = small.planted()
    elsewhere = planted.loc[planted["code"] == "NOT_IN_HUKOU", "person_key"]
    assert len(elsewhere) == small.config.planted_count("not_in_hukou") >= 1
    hukou = links[links["source"] == "hukou"]
    outside = roster["person_key"].isin(elsewhere)
    assert not set(roster.loc[outside, "person_id"]) & set(hukou["person_id"])
    assert set(roster.loc[~outside, "person_id"]) <= set(hukou["person_id"])
    roster = roster[~outside]
    second = roster[~roster["person_key"].isin(set(hukou["person_key"].dropna()))]
    twice = ("duplicate_enrolment", "tekun_and_dibao")
    assert len(second) == sum(small.config.planted_count(c) for c in twice) >= 2
    assert set(second["person_key"].str[:2]) == {"DB", "TK"}
    first = roster[roster["person_key"].isin(set(hukou["person_key"].dropna()))]
    assert first["person_id"].is_unique and second["person_id"].isin(first["person_id"]).all()
    # and the wider population is larger than the roster
    assert hukou["person_key"].isna().sum() > 1.5 * len(roster)


def test_clean_truth_is_typed(small):
    roster = pq.read_table(small.truth / "clean" / "roster.parquet").schema
    assert str(roster.field("enrolled_date").type) == "date32[day]"
    assert str(roster.field("declared_income").type) == "double"
    assert str(roster.field("member_no").type) == "int64"
    business = small.clean("business")
    # the schema's own person_id (an ID number) wins; the synthetic id is kept beside it
    assert business["person_id"].str.len().eq(18).all()
    assert business["synthetic_person_id"].str.match(r"^P\d{8}$").all()
    bank = small.clean("bank_deposits")
    assert (bank["balance"].round(2) == bank["balance"]).all()


def test_meta_and_summary(small):
    meta = json.loads((small.truth / "meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 20250701 and meta["month"] == "2025-07" and meta["as_of"] == "2025-06-30"
    assert meta["households"] == 300
    assert meta["rows"] == small.summary.records
    assert meta["files"]["hukou"]["encoding"] == "gbk"
    assert meta["files"]["business"]["format"] == "parquet"
    assert meta["files"]["disability"]["format"] == "xlsx"
    assert meta["files"]["provident_fund"] == {
        "path": small.summary.files["provident_fund"],
        "format": "jsonl",
        "encoding": "utf-8",
        "bom": False,
        "as_of": "2025-06-30",
    }
    assert meta["files"]["applications"]["bom"] is True
    assert meta["files"]["applications"]["as_of"] == "2025-07-31"
    assert meta["applications"]["households"] == small.summary.applicant_households == 15
    assert meta["applications"]["received_to"] == "2025-07-31"
    assert set(meta["rows"]) == set(SOURCES)
    assert meta["config"]["noise"]["id_typo"] == 0.01
    assert meta["policy"]["standard"] == {"urban": 770.0, "rural": 630.0}
    text = str(small.summary)
    assert "roster" in text and "DECEASED_MEMBER" in text
    assert "disability" in text and "APPLICANT_ELIGIBLE" in text and "STATE_PAYROLL" in text
    si = small.clean("social_insurance")
    assert sorted(si["month"].unique())[-1] == "2025-06"
    assert len(si["month"].unique()) == 14
    assert pd.Series(si["month"]).str.match(r"^\d{4}-\d{2}$").all()
