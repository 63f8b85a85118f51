"""Stable person ids across months: same ID, corrected ID, moved household, new person."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipelines.link.person_keys import assign_person_ids, read_register
from pipelines.standardize.ids import make_id

A = make_id("500103", dt.date(1950, 1, 1), 11)
B = make_id("500242", dt.date(1988, 5, 20), 22)
C = make_id("510212", dt.date(1941, 2, 3), 33)
B_TYPO = B[:15] + str((int(B[15]) + 1) % 10) + B[16:]  # checksum fails, birth date intact


def _roster(rows):
    return pd.DataFrame(rows, columns=["person_key", "id_number", "name"])


def test_people_keep_their_ids_across_months(tmp_path):
    june = assign_person_ids(
        _roster([("H1-01", A, "张三"), ("H1-02", B_TYPO, "李四"), ("H2-01", C, "王五")]),
        tmp_path, "2025-06",
    ).set_index("person_key")
    assert set(june["how"]) == {"new"}
    # July: 李四's ID corrected, 王五 moved to household H3, 赵六 is new
    july = assign_person_ids(
        _roster([("H1-01", A, "张三"), ("H1-02", B, "李四"), ("H3-01", C, "王五"),
                 ("H3-02", make_id("500110", dt.date(2001, 3, 4), 5), "赵六")]),
        tmp_path, "2025-07",
    ).set_index("person_key")
    assert july.loc["H1-01", "person_id"] == june.loc["H1-01", "person_id"]
    assert july.loc["H1-02", ["person_id", "how"]].tolist() == [
        june.loc["H1-02", "person_id"], "same_name_birth"]
    assert july.loc["H3-01", "person_id"] == june.loc["H2-01", "person_id"]
    assert july.loc["H3-02", "how"] == "new"
    register = read_register(tmp_path).set_index("person_id")
    assert register.loc[june.loc["H1-02", "person_id"], "id18"] == B  # the corrected ID
    assert register.loc[june.loc["H1-01", "person_id"], "last_month"] == "2025-07"


def test_running_a_month_again_changes_nothing(tmp_path):
    roster = _roster([("H1-01", A, "张三"), ("H2-01", A, "张三"), ("H1-02", B, "李四")])
    first = assign_person_ids(roster, tmp_path, "2025-07")
    before = (tmp_path / "person_register.parquet").read_bytes()
    again = assign_person_ids(roster, tmp_path, "2025-07")
    assert first.equals(again)
    assert (tmp_path / "person_register.parquet").read_bytes() == before
    # one person enrolled in two households: one person id
    ids = first.set_index("person_key")["person_id"]
    assert ids["H1-01"] == ids["H2-01"]
