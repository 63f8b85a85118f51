"""FEBRL4 written as Parquet tables and true links: sizes, ids, determinism."""

from __future__ import annotations

from pyarrow import parquet

from pipelines.linkbench.febrl import FEBRL4_COLUMNS, write_febrl4


def test_writes_5000_by_5000_with_5000_true_links(tmp_path):
    paths = write_febrl4(tmp_path)
    left, right = parquet.read_table(paths["left"]), parquet.read_table(paths["right"])
    truth = parquet.read_table(paths["truth"])
    assert (left.num_rows, right.num_rows, truth.num_rows) == (5000, 5000, 5000)
    assert tuple(left.column_names) == FEBRL4_COLUMNS == tuple(right.column_names)
    assert truth.column_names == ["left_id", "right_id"]

    left_ids = set(left.column("rec_id").to_pylist())
    right_ids = set(right.column("rec_id").to_pylist())
    assert len(left_ids) == 5000 and len(right_ids) == 5000
    pairs = list(
        zip(truth.column("left_id").to_pylist(), truth.column("right_id").to_pylist(), strict=True)
    )
    assert {a for a, _ in pairs} == left_ids and {b for _, b in pairs} == right_ids
    # a true link joins an original to its duplicate: rec-12-org with rec-12-dup-0
    assert all(b.startswith(a.removesuffix("-org") + "-dup-") for a, b in pairs)


def test_values_are_stripped_text_and_missing_is_null(tmp_path):
    left = parquet.read_table(write_febrl4(tmp_path)["left"]).to_pylist()
    first = left[0]
    assert first["rec_id"] == "rec-1070-org"
    assert first["given_name"] == "michaela" and first["date_of_birth"] == "19151111"
    values = [v for row in left for v in row.values()]
    assert None in values  # some dates of birth and names are missing in FEBRL4
    assert all(v is None or (v == v.strip() and v != "") for v in values)


def test_same_files_every_time(tmp_path):
    a, b = write_febrl4(tmp_path / "a"), write_febrl4(tmp_path / "b")
    for key in ("left", "right", "truth"):
        assert a[key].read_bytes() == b[key].read_bytes()
