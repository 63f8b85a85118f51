"""Pairwise precision, recall, F1 and reduction ratio; true links read from CSV and Parquet."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyarrow import parquet

from pipelines.link.metrics import pair_metrics, read_truth


def test_counts_and_rates():
    truth = [("a1", "b1"), ("a2", "b2"), ("a3", "b3"), ("a4", "b4")]
    predicted = [("a1", "b1"), ("a2", "b2"), ("a3", "b9")]
    m = pair_metrics(predicted, truth, n_left=10, n_right=20, pairs_compared=50)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert m["reduction_ratio"] == pytest.approx(1 - 50 / 200)
    assert (m["n_predicted"], m["n_truth"], m["pairs_compared"]) == (3, 4, 50)


def test_duplicates_count_once_and_ids_compare_as_text():
    m = pair_metrics(
        [(1, 2), ("1", "2"), (1, 2)], [("1", "2")], n_left=1, n_right=1, pairs_compared=1
    )
    assert (m["tp"], m["fp"], m["fn"], m["f1"]) == (1, 0, 0, 1.0)
    assert m["reduction_ratio"] == 0.0


def test_order_of_a_pair_matters():
    m = pair_metrics([("b1", "a1")], [("a1", "b1")], n_left=2, n_right=2, pairs_compared=None)
    assert (m["tp"], m["fp"], m["fn"]) == (0, 1, 1)


def test_nothing_predicted_is_precise_but_recalls_nothing():
    m = pair_metrics([], [("a", "b")], n_left=1, n_right=1, pairs_compared=0)
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, 0.0, 0.0)
    assert m["reduction_ratio"] == 1.0


def test_empty_truth_recalls_everything():
    m = pair_metrics([("a", "b")], [], n_left=1, n_right=1, pairs_compared=1)
    assert (m["precision"], m["recall"], m["f1"]) == (0.0, 1.0, 0.0)


def test_both_empty_is_perfect():
    m = pair_metrics([], [], n_left=0, n_right=0, pairs_compared=0)
    assert (m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0)
    assert m["reduction_ratio"] is None  # no pair was possible


def test_unknown_pairs_compared_gives_no_reduction_ratio():
    m = pair_metrics([("a", "b")], [("a", "b")], n_left=5, n_right=5, pairs_compared=None)
    assert m["reduction_ratio"] is None and m["pairs_compared"] is None


@pytest.mark.parametrize("pairs_compared", [-1, 26])
def test_pairs_compared_outside_the_cross_product_is_an_error(pairs_compared):
    with pytest.raises(ValueError, match="pairs_compared"):
        pair_metrics([], [], n_left=5, n_right=5, pairs_compared=pairs_compared)


def test_a_missing_id_is_an_error():
    with pytest.raises(ValueError, match="missing id"):
        pair_metrics([("a", None)], [], n_left=1, n_right=1, pairs_compared=None)


def test_read_truth_csv_keeps_ids_as_text(tmp_path):
    path = tmp_path / "truth.csv"
    path.write_text(
        "person,record,other\n"
        "00012,500101199001011234,x\n"
        "00013,50010119900101123X,y\n"
        "00013,50010119900101123X,z\n",
        encoding="utf-8",
    )
    assert read_truth(path, "person", "record") == {
        ("00012", "500101199001011234"),
        ("00013", "50010119900101123X"),
    }


def test_read_truth_parquet_casts_to_text(tmp_path):
    path = tmp_path / "truth.parquet"
    parquet.write_table(pa.table({"l": [1, 2], "r": ["b1", "b2"]}), path)
    assert read_truth(path, "l", "r") == {("1", "b1"), ("2", "b2")}


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_truth_rejects_a_missing_id(tmp_path, suffix):
    path = tmp_path / f"truth{suffix}"
    if suffix == ".csv":
        path.write_text("l,r\na,b\nc,\n", encoding="utf-8")
    else:
        parquet.write_table(pa.table({"l": ["a", "c"], "r": ["b", None]}), path)
    with pytest.raises(ValueError, match="missing id"):
        read_truth(path, "l", "r")
