"""Stand-in prepared person tables: shape, truth, noise, determinism."""

from __future__ import annotations

from pyarrow import parquet

from pipelines.linkbench.splink_runner import PERSON_COLUMNS
from pipelines.linkbench.synthetic import _valid, write_person_tables


def test_tables_have_the_prepared_columns_and_consistent_truth(tmp_path):
    paths = write_person_tables(tmp_path, n_people=300, n_registry=1000, seed=3)
    left = parquet.read_table(paths["left"]).to_pylist()
    right = parquet.read_table(paths["right"]).to_pylist()
    truth = parquet.read_table(paths["truth"]).to_pylist()
    assert (len(left), len(right)) == (300, 1000)
    assert tuple(parquet.read_schema(paths["left"]).names) == PERSON_COLUMNS
    assert tuple(parquet.read_schema(paths["right"]).names) == PERSON_COLUMNS
    left_ids, right_ids = {r["rec_id"] for r in left}, {r["rec_id"] for r in right}
    assert all(t["left_id"] in left_ids and t["right_id"] in right_ids for t in truth)
    assert len({t["right_id"] for t in truth}) == len(truth)  # a record has one owner
    assert 400 < len(truth) < 800  # about two records per roster person

    import numpy as np

    id18 = [r["id18"] for r in left + right if r["id18"]]
    assert _valid(np.asarray(id18)).all()  # id18 is always checksum-valid
    assert all(r["birth_date"] == f"{r['id18'][6:10]}-{r['id18'][10:12]}-{r['id18'][12:14]}"
               for r in left + right if r["id18"])  # fmt: skip
    noisy = [r for r in right if r["id_clean"] and not r["id18"]]
    legacy = [r for r in right if r["id_clean"] and len(r["id_clean"]) == 15]
    assert noisy and legacy and any(r["id_clean"] is None for r in right)


def test_same_seed_same_tables(tmp_path):
    a = write_person_tables(tmp_path / "a", n_people=50, n_registry=120, seed=9)
    b = write_person_tables(tmp_path / "b", n_people=50, n_registry=120, seed=9)
    for key in ("left", "right", "truth"):
        assert parquet.read_table(a[key]).equals(parquet.read_table(b[key]))
