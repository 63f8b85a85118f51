"""Splink (DuckDB) baselines: FEBRL4 with its tutorial's model, and a tiny roster/registry."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from pyarrow import parquet

pytest.importorskip("splink", reason="Splink baselines need the optional 'bench' extra")
pytest.importorskip("duckdb", reason="Splink baselines need the optional 'bench' extra")

from pipelines.linkbench.splink_runner import (  # noqa: E402
    PERSON_COLUMNS,
    splink_febrl4,
    splink_person_link,
)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(region: str, birth: dt.date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return (
        first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]
    )


def valid(id_text: str) -> bool:
    first17 = id_text[:17]
    return (
        len(id_text) == 18
        and first17.isdigit()
        and "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]
        == id_text[17]
    )


SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou")]  # fmt: skip
GIVEN = [("伟", "wei"), ("芳", "fang"), ("静", "jing"), ("强", "qiang"), ("磊", "lei"),
         ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"),
         ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("平", "ping")]  # fmt: skip


def person(i: int, *, region_base: int = 500101) -> dict:
    """A person, different for every i: ID, name, birth date, phone, address, region."""
    s_char, s_pin = SURNAMES[i % len(SURNAMES)]
    g_char, g_pin = GIVEN[(i * 7) % len(GIVEN)]
    g2_char, g2_pin = GIVEN[(i * 11 + 3) % len(GIVEN)]
    region = str(region_base + i % 5)
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=397 * i + 13)
    id18 = make_id(region, birth, 100 + i)
    return {
        "id18": id18,
        "id_clean": id18,
        "birth_date": birth.isoformat(),
        "name_norm": s_char + g_char + g2_char,
        "name_pinyin": s_pin + g_pin + g2_pin,
        "surname_pinyin": s_pin,
        "phone": f"138{i:08d}",
        "address": f"人民路{i + 1}号{i % 3 + 1}栋",
        "region": region,
    }


def with_id(row: dict, id_clean: str | None) -> dict:
    """The row with another ID text; id18 and birth date only where it passes the checksum."""
    row = dict(row, id_clean=id_clean)
    if id_clean is not None and valid(id_clean):
        birth = dt.datetime.strptime(id_clean[6:14], "%Y%m%d").date()
        row["id18"], row["birth_date"] = id_clean, birth.isoformat()
    else:
        row["id18"], row["birth_date"] = None, None
    return row


def tiny_tables(tmp_path):
    """30 roster people; 60 registry records: 30 copies of them (five with a noisy ID) and
    30 records of other people: two namesakes of roster people in their county, two sharing
    a roster person's surname and birth date."""
    roster = [dict(person(i), rec_id=f"P{i:02d}") for i in range(30)]
    registry, truth = [], []
    for i in range(30):
        row = dict(roster[i], rec_id=f"B{i:02d}")
        idt = row["id18"]
        if i == 25:  # one digit mistyped
            row = with_id(row, idt[:9] + str((int(idt[9]) + 3) % 10) + idt[10:])
        elif i == 26:  # two neighbouring digits swapped
            row = with_id(row, idt[:14] + idt[15] + idt[14] + idt[16:])
        elif i == 27:  # the old 15-digit ID, converted to the same 18-digit one
            row["id_clean"] = idt[:6] + idt[8:17]
        elif i == 28:  # no ID at all
            row = with_id(row, None)
        elif i == 29:  # mistyped ID and no phone
            row = with_id(dict(row, phone=None), idt[:3] + "9" + idt[4:])
        elif i % 4 == 0:
            row["phone"] = None
        registry.append(row)
        truth.append((f"P{i:02d}", f"B{i:02d}"))
    for j in range(30):
        other = dict(person(100 + j, region_base=500120), rec_id=f"B{30 + j:02d}")
        if j < 2:  # a namesake of a roster person in the same county, nothing else shared
            namesake = ("name_norm", "name_pinyin", "surname_pinyin", "region")
            other.update({k: roster[j][k] for k in namesake})
        elif j < 4:  # same surname and birth date as a roster person, another given name
            other.update({k: roster[j][k] for k in ("surname_pinyin", "birth_date")})
        registry.append(other)
    assert not any(r["id18"] and not valid(r["id18"]) for r in roster + registry)

    def write(rows, name):
        table = pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in PERSON_COLUMNS})
        parquet.write_table(table, tmp_path / name)
        return tmp_path / name

    truth_path = tmp_path / "truth.parquet"
    parquet.write_table(
        pa.table({"left_id": [a for a, _ in truth], "right_id": [b for _, b in truth]}),
        truth_path,
    )
    return write(roster, "left.parquet"), write(registry, "right.parquet"), truth_path


def test_person_link_on_a_tiny_pair_links_the_obvious_pairs(tmp_path):
    left, right, truth = tiny_tables(tmp_path)
    report = splink_person_link(left, right, truth, tmp_path / "work")
    assert (report["n_left"], report["n_right"], report["n_truth"]) == (30, 60, 30)
    assert report["fp"] == 0  # the two namesakes and the other strangers stay unlinked
    assert report["tp"] >= 28  # every copy, the noisy IDs included (all but at most two)
    assert 34 <= report["pairs_compared"] < 30 * 60  # the strangers above are compared
    assert report["reduction_ratio"] == pytest.approx(1 - report["pairs_compared"] / 1800)
    assert report["wall_s"] > 0 and report["peak_rss_bytes"] >= report["baseline_rss_bytes"]
    links = parquet.read_table(tmp_path / "work" / "splink_person_links.parquet")
    assert links.num_rows == report["n_predicted"]
    right_ids = links.column("right_id").to_pylist()
    assert len(right_ids) == len(set(right_ids))  # one person at most per registry record


@pytest.mark.slow
def test_splink_febrl4_reaches_its_known_quality(tmp_path):
    report = splink_febrl4(tmp_path, seed=1)
    # Measured with splink 4.0.17 / duckdb 1.5.6: 4991 true, 0 false, 9 missed
    # (precision 1.0, recall 0.9982, F1 0.9991) over 31,956 blocked pairs.
    assert report["f1"] > 0.99
    assert report["precision"] > 0.99 and report["recall"] > 0.99
    assert report["pairs_compared"] == 31_956  # the tutorial's seven blocking rules, exactly
    assert report["n_truth"] == 5000 and (report["n_left"], report["n_right"]) == (5000, 5000)
    assert sum(r["pairs"] for r in report["pairs_by_rule"]) == report["pairs_compared"]
    assert report["wall_s"] > 0 and report["peak_rss_bytes"] > 0


def test_febrl4_model_must_be_one_of_the_tutorials(tmp_path):
    with pytest.raises(ValueError, match="detailed"):
        splink_febrl4(tmp_path, model="mine")
