import json

from pipelines.config import PROJECT_ROOT
from pipelines.link import link_by_id, roster_people, source_people
from pipelines.schemas import load_schemas
from pipelines.standardize.ids import make_id

SCHEMAS = load_schemas(PROJECT_ROOT / "schemas")


def test_links_by_valid_id_with_name_check(spark):
    import datetime as dt

    a = make_id("500103", dt.date(1950, 1, 1), 11)
    b = make_id("500242", dt.date(1988, 5, 20), 22)
    c = make_id("510212", dt.date(1941, 2, 3), 33)  # retired Sichuan-era code: still valid
    legacy_c = c[:6] + c[8:17]  # the same person's 15-digit ID
    typo = a[:5] + str((int(a[5]) + 1) % 10) + a[6:]
    roster = spark.createDataFrame(
        [("H1", 1, a, "张三"), ("H1", 2, b, "李四"), ("H2", 1, c, "王五")],
        "household_id string, member_no bigint, id_number string, name string",
    )
    vehicles = spark.createDataFrame(
        [
            ("渝A1", a, "張三"),  # traditional characters: same person
            ("渝A2", typo, "张三"),  # checksum fails: no link
            ("渝A3", b, "赵六"),  # same ID, other name: for a person to check
            ("渝A4", legacy_c, "WANG WU"),  # 15-digit ID, pinyin name
        ],
        "record_key string, owner_id string, owner_name string",
    )
    people = roster_people(roster)
    links = {
        r["source_record_key"]: r.asDict()
        for r in link_by_id(people, source_people(vehicles, SCHEMAS["vehicles"])).collect()
    }
    assert set(links) == {"渝A1", "渝A3", "渝A4"}
    assert links["渝A1"]["person_key"] == "H1-01" and links["渝A1"]["method"] == "id_exact"
    assert json.loads(links["渝A1"]["evidence"])["name"]["agreement"] == "simplified"
    assert links["渝A3"]["method"] == "clerical" and links["渝A3"]["score"] == 0.5
    assert links["渝A4"]["person_key"] == "H2-01" and links["渝A4"]["method"] == "id_exact"
    assert json.loads(links["渝A4"]["evidence"])["id"]["record_converted_from_15"] is True
