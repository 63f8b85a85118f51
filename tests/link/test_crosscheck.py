"""recordlinkage's ECM as an independent check of our EM, on comparison patterns whose truth is known."""

from __future__ import annotations

import numpy as np

from pipelines.link import fellegi_sunter as fs
from pipelines.link.crosscheck import binary_agreement, ecm_check

COMPARISONS = [fs.Comparison("name", ("exact", "pinyin", "else")), fs.Comparison("birth", ("exact", "else")),
               fs.Comparison("address", ("exact", "else")), fs.Comparison("phone", ("exact", "else"))]
M = [[0.9, 0.08, 0.02], [0.95, 0.05], [0.7, 0.3], [0.6, 0.4]]
U = [[0.01, 0.04, 0.95], [0.02, 0.98], [0.05, 0.95], [0.01, 0.99]]


def _patterns(matches: int, others: int, seed: int = 1):
    rng = np.random.default_rng(seed)

    def draw(n, probs):
        return np.stack([rng.choice(len(p), size=n, p=p) for p in probs], axis=1)

    pairs = np.vstack([draw(matches, M), draw(others, U)])
    return np.unique(pairs, axis=0, return_counts=True)


def test_ecm_agrees_with_our_em_where_the_model_is_right():
    patterns, counts = _patterns(1000, 20000)
    model = fs.estimate(COMPARISONS, patterns, counts)
    check = ecm_check(COMPARISONS, patterns, counts, model)
    assert check["status"] == "fitted" and check["pairs"] == 21000
    assert abs(check["matches_expected_ecm"] - 1000) < 50 and abs(check["matches_expected_ours"] - 1000) < 50
    assert check["same_match_call_share"] > 0.99
    for k, c in enumerate(COMPARISONS):
        row = check["comparisons"][c.name]
        assert abs(row["m_agree_ecm"] - (1 - M[k][-1])) < 0.03
        assert abs(row["u_agree_ecm"] - (1 - U[k][-1])) < 0.01


def test_the_check_can_disagree_with_a_wrong_model():
    patterns, counts = _patterns(1000, 20000)
    wrong = fs.estimate(COMPARISONS, patterns, counts, max_iterations=0)  # the starting guesses
    check = ecm_check(COMPARISONS, patterns, counts, wrong)
    right = ecm_check(COMPARISONS, patterns, counts, fs.estimate(COMPARISONS, patterns, counts))
    assert check["matches_expected_ecm"] == right["matches_expected_ecm"]  # ECM does not read ours
    assert abs(check["matches_expected_ours"] - check["matches_expected_ecm"]) > 100


def test_nulls_and_else_are_not_agreement_and_rows_are_capped():
    assert binary_agreement(COMPARISONS[:2], np.array([[0, 1], [1, 0], [2, -1]])).tolist() == [[1, 0], [1, 1], [0, 0]]
    patterns, counts = _patterns(3000, 60000)
    model = fs.estimate(COMPARISONS, patterns, counts)
    check = ecm_check(COMPARISONS, patterns, counts, model, max_rows=5000)
    assert check["rows_fitted"] <= 5000 + len(counts) and check["pairs"] == 63000
    assert ecm_check(COMPARISONS, patterns[:1], counts[:1], model)["status"].startswith("skipped")


def test_a_tiny_month_gives_a_status_not_nan_and_no_warnings(caplog, recwarn):
    patterns = np.array([[0, 0, 0, 0], [2, 1, 1, 1], [2, 1, 0, 1]])
    counts = np.array([3, 40, 2])
    model = fs.estimate(COMPARISONS, patterns, counts)
    check = ecm_check(COMPARISONS, patterns, counts, model)
    assert "nan" not in repr(check).lower()
    assert check["status"] == "fitted" or check["status"].startswith("ECM found no stable fit")
    assert not caplog.records and not [w for w in recwarn if "recordlinkage" in str(w.filename)]
