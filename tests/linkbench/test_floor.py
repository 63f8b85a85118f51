"""The floor: a plain Spark equi-join on the ID, written to Parquet and counted."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyarrow import parquet

from pipelines.linkbench.floor import plain_id_join_seconds


@pytest.mark.slow
def test_plain_join_counts_pairs_with_equal_ids(spark, tmp_path):
    left, right = tmp_path / "left.parquet", tmp_path / "right.parquet"
    parquet.write_table(
        pa.table({"rec_id": ["P1", "P2", "P3", "P4"], "id18": ["a", "b", "c", None]}), left
    )
    parquet.write_table(
        pa.table(
            {
                "rec_id": ["B1", "B2", "B3", "B4", "B5"],
                "id18": ["a", "a", "c", None, "z"],
                "other": [1, 2, 3, 4, 5],
            }
        ),
        right,
    )
    report = plain_id_join_seconds(spark, left, right, repeats=2, warmup=1)
    assert report["pairs"] == 3  # a-a twice, c-c; null IDs never join
    assert (report["rows_left"], report["rows_right"]) == (4, 5)
    assert len(report["runs_s"]) == 2 and report["wall_s"] >= report["min_s"] > 0
    assert report["peak_rss_bytes"] >= report["baseline_rss_bytes"] > 0


def test_repeats_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="repeats"):
        plain_id_join_seconds(None, tmp_path, tmp_path, repeats=0)
    with pytest.raises(ValueError, match="warmup"):
        plain_id_join_seconds(None, tmp_path, tmp_path, warmup=-1)
