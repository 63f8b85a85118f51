"""Fellegi–Sunter EM on pattern counts: recovery of a known model, nulls, fixed u, determinism,
JSON, term-frequency adjustment, explanations, and agreement with recordlinkage's ECM."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from pipelines.errors import InputError
from pipelines.link.fellegi_sunter import (
    Comparison,
    Model,
    estimate,
    explain,
    tf_adjusted_weight,
    tf_adjusted_weights,
    u_from_random_pairs,
)

TRUE_PRIOR = 0.1
TRUE_M = ((0.85, 0.10, 0.05), (0.70, 0.15, 0.10, 0.05), (0.90, 0.04, 0.06))
TRUE_U = ((0.02, 0.08, 0.90), (0.01, 0.04, 0.15, 0.80), (0.10, 0.20, 0.70))
COMPARISONS = (
    Comparison("name", ("exact", "pinyin", "else")),
    Comparison("dob", ("exact", "swapped", "year", "else")),
    Comparison("address", ("exact", "jw_high", "else")),
)


def simulate(n: int, seed: int, null_rate: float = 0.1, prior: float = TRUE_PRIOR):
    """Pairs drawn from the true model, aggregated to (pattern, count) as Spark would."""
    rng = np.random.default_rng(seed)
    match = rng.random(n) < prior
    cols = []
    for mk, uk in zip(TRUE_M, TRUE_U, strict=True):
        col = np.where(match, rng.choice(len(mk), n, p=mk), rng.choice(len(uk), n, p=uk))
        col[rng.random(n) < null_rate] = -1
        cols.append(col)
    patterns, counts = np.unique(np.stack(cols, axis=1), axis=0, return_counts=True)
    return patterns, counts, np.stack(cols, axis=1), match


@pytest.fixture(scope="module")
def simulated():
    return simulate(200_000, seed=7)


@pytest.fixture(scope="module")
def fitted(simulated):
    patterns, counts, _, _ = simulated
    return estimate(COMPARISONS, patterns, counts)


def test_recovers_the_true_model(fitted):
    assert fitted.converged
    assert fitted.prior == pytest.approx(TRUE_PRIOR, abs=0.02)
    for got, want in zip(fitted.m, TRUE_M, strict=True):
        np.testing.assert_allclose(got, want, atol=0.02)
    for got, want in zip(fitted.u, TRUE_U, strict=True):
        np.testing.assert_allclose(got, want, atol=0.02)
    for mk, uk in zip(fitted.m, fitted.u, strict=True):
        assert sum(mk) == pytest.approx(1) and sum(uk) == pytest.approx(1)


def test_log_likelihood_never_decreases(fitted):
    ll = np.array(fitted.log_likelihood)
    assert len(ll) == fitted.iterations > 1
    assert (np.diff(ll) >= -1e-6 * abs(ll[0])).all()


def test_classifies_the_simulated_pairs(simulated, fitted):
    _, _, pairs, match = simulated
    predicted = fitted.probability(pairs) >= 0.5
    assert (predicted == match).mean() > 0.97


def test_agreement_weighs_for_and_disagreement_against(fitted):
    for k, wk in enumerate(fitted.weights()):
        assert wk[0] > 0, COMPARISONS[k].name
        assert wk[-1] < 0, COMPARISONS[k].name
        assert list(wk) == sorted(wk, reverse=True), "weaker agreement weighs less"


def test_match_weight_adds_prior_and_level_weights_nulls_add_nothing(fitted):
    w = fitted.weights()
    prior_w = math.log2(fitted.prior / (1 - fitted.prior))
    got = fitted.match_weight(np.array([[0, 0, 0], [-1, -1, -1], [2, -1, 1]]))
    assert got[0] == pytest.approx(prior_w + w[0][0] + w[1][0] + w[2][0])
    assert got[1] == pytest.approx(prior_w)
    assert got[2] == pytest.approx(prior_w + w[0][2] + w[2][1])
    p = fitted.probability(np.array([[0, 0, 0], [2, 3, 2]]))
    assert p[0] > 0.99 and p[1] < 0.001


def test_bad_levels_and_counts_are_named():
    with pytest.raises(ValueError, match="'dob' has level 4"):
        estimate(COMPARISONS, np.array([[0, 4, 0]]), np.array([1]))
    with pytest.raises(ValueError, match="shape"):
        estimate(COMPARISONS, np.array([[0, 0]]), np.array([1]))
    with pytest.raises(ValueError, match="non-negative"):
        estimate(COMPARISONS, np.array([[0, 0, 0]]), np.array([-1]))
    with pytest.raises(ValueError, match="one per pattern"):
        estimate(COMPARISONS, np.array([[0, 0, 0]]), np.array([1, 2]))


# ---------------------------------------------------------------------------------- nulls


def test_a_comparison_always_null_gives_no_evidence_and_leaves_the_rest(simulated):
    patterns, counts, _, _ = simulated
    with_null = np.column_stack([patterns, np.full(len(patterns), -1)])
    comparisons = (*COMPARISONS, Comparison("phone", ("exact", "else")))
    model = estimate(comparisons, with_null, counts)
    assert model.weights()[3] == (0.0, 0.0)
    for got, want in zip(model.m[:3], TRUE_M, strict=True):
        np.testing.assert_allclose(got, want, atol=0.02)


def test_a_level_never_observed_gets_the_floor_without_nan(simulated):
    patterns, counts, _, _ = simulated
    keep = patterns[:, 1] != 1  # the "swapped" level of dob never occurs
    model = estimate(COMPARISONS, patterns[keep], counts[keep], floor=1e-6)
    assert model.m[1][1] < 1e-5 and model.u[1][1] < 1e-5
    assert abs(model.weights()[1][1]) < 1.0
    assert all(math.isfinite(w) for wk in model.weights() for w in wk)
    json.dumps(model.to_dict(), allow_nan=False)
    # The levels it did see are still recovered.
    for got, want in zip(model.m[0], TRUE_M[0], strict=True):
        assert got == pytest.approx(want, abs=0.02)


def test_only_one_level_seen_with_fixed_u_is_still_learned():
    # Every non-null ID comparison at one level ("one_edit"): with u known, EM
    # learns that this level marks matches (the data, not a starting guess, decides).
    comparisons = (Comparison("id", ("exact", "one_edit", "else")), COMPARISONS[0])
    u = ((1e-5, 3e-4, 1 - 3.1e-4), TRUE_U[0])
    rng = np.random.default_rng(2)
    name = np.where(rng.random(5000) < 0.5, 0, 2)
    patterns, counts = np.unique(
        np.column_stack([np.where(name == 0, 1, -1), name]), axis=0, return_counts=True
    )
    model = estimate(comparisons, patterns, counts, fixed_u=u)
    assert model.weights()[0][1] > 10
    assert all(math.isfinite(w) for wk in model.weights() for w in wk)


def test_single_pattern_zero_counts_and_no_pairs():
    one = estimate(COMPARISONS, np.array([[0, 1, 2]]), np.array([50]))
    assert one.converged and all(math.isfinite(x) for x in one.log_likelihood)
    zeros = estimate(COMPARISONS, np.array([[0, 0, 0], [2, 3, 2]]), np.array([0, 10]))
    assert zeros.converged
    nothing = estimate(COMPARISONS, np.array([[0, 0, 0]]), np.array([0]))
    assert nothing.iterations == 0 and not nothing.converged
    empty = estimate(COMPARISONS, np.zeros((0, 3), dtype=int), np.zeros(0))
    assert empty.to_dict() == nothing.to_dict()


# ---------------------------------------------------------------------------------- u fixed


def test_fixed_u_is_held_and_m_and_prior_are_estimated(simulated):
    patterns, counts, _, _ = simulated
    model = estimate(COMPARISONS, patterns, counts, fixed_u=TRUE_U)
    for got, want in zip(model.u, TRUE_U, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-9)
    for got, want in zip(model.m, TRUE_M, strict=True):
        np.testing.assert_allclose(got, want, atol=0.02)
    assert model.prior == pytest.approx(TRUE_PRIOR, abs=0.01)


def test_u_from_random_pairs_is_smoothed_level_frequency():
    comparisons = (Comparison("a", ("exact", "else")), Comparison("b", ("exact", "close", "else")))
    patterns = np.array([[0, 2], [1, 2], [1, -1], [1, 1]])
    counts = np.array([1, 10, 5, 3])
    u = u_from_random_pairs(comparisons, patterns, counts)
    assert u[0] == pytest.approx(((1 + 1) / (19 + 2), (18 + 1) / (19 + 2)))
    # b: 'exact' never seen, nulls (5) not counted.
    assert u[1] == pytest.approx((1 / 17, 4 / 17, 12 / 17))
    never = u_from_random_pairs(comparisons, np.array([[0, -1]]), np.array([4]))
    assert never[1] == pytest.approx((1 / 3, 1 / 3, 1 / 3))


def test_u_from_random_pairs_then_em_recovers_m():
    # Random pairs: prior ~ 1e-4, so u is (almost) the non-match distribution.
    rand_patterns, rand_counts, _, _ = simulate(100_000, seed=3, prior=1e-4)
    u = u_from_random_pairs(COMPARISONS, rand_patterns, rand_counts)
    for got, want in zip(u, TRUE_U, strict=True):
        np.testing.assert_allclose(got, want, atol=0.01)
    patterns, counts, _, _ = simulate(100_000, seed=4)
    model = estimate(COMPARISONS, patterns, counts, fixed_u=u)
    for got, want in zip(model.m, TRUE_M, strict=True):
        np.testing.assert_allclose(got, want, atol=0.02)


# ---------------------------------------------------------------------------------- JSON


def test_same_input_gives_identical_json_whatever_the_row_order(simulated):
    patterns, counts, _, _ = simulated
    first = json.dumps(estimate(COMPARISONS, patterns, counts).to_dict(), sort_keys=True)
    again = json.dumps(estimate(COMPARISONS, patterns, counts).to_dict(), sort_keys=True)
    assert first == again
    # Spark returns groups in any order, and may split a pattern's count across rows.
    order = np.random.default_rng(1).permutation(len(patterns))
    halves = counts[order] // 2
    shuffled_p = np.concatenate([patterns[order], patterns[order]])
    shuffled_c = np.concatenate([halves, counts[order] - halves])
    shuffled = estimate(COMPARISONS, shuffled_p, shuffled_c).to_dict()
    assert json.dumps(shuffled, sort_keys=True) == first


def test_to_dict_from_dict_round_trip(fitted):
    d = fitted.to_dict()
    text = json.dumps(d, ensure_ascii=False, allow_nan=False)
    back = Model.from_dict(json.loads(text))
    assert back.to_dict() == d
    assert back.comparisons == fitted.comparisons
    assert back.iterations == fitted.iterations and back.converged == fitted.converged
    np.testing.assert_allclose(
        back.match_weight(np.array([[0, 1, 2]])), fitted.match_weight(np.array([[0, 1, 2]]))
    )
    assert d["comparisons"][1]["levels"][1]["name"] == "swapped"
    # 12 significant digits: what is written is what is read, on any platform.
    floats = [d["prior"], *d["log_likelihood"]]
    floats += [level[p] for c in d["comparisons"] for level in c["levels"] for p in ("m", "u")]
    assert all(float(f"{x:.12g}") == x for x in floats)


def test_from_dict_rejects_broken_models_naming_the_file_and_keys(fitted):
    d = fitted.to_dict()
    d["comparisons"][0]["levels"][0]["m"] = 0.5  # no longer sums to 1
    with pytest.raises(InputError, match="out/model.json: .*'name': m values sum"):
        Model.from_dict(d, "out/model.json")
    with pytest.raises(InputError, match="model: .*comparisons: missing"):
        Model.from_dict({"prior": 0.1})
    cut = fitted.to_dict()
    del cut["prior"]
    del cut["comparisons"][1]["levels"][2]["u"]
    cut["version"] = 7
    with pytest.raises(InputError) as err:
        Model.from_dict(cut, "m.json")
    text = str(err.value)
    assert text.startswith("m.json: ")
    assert "version: 7, expected 1" in text and "prior: missing" in text
    assert "comparisons[1].levels[2]: missing u" in text
    with pytest.raises(InputError, match="expected a mapping, got list"):
        Model.from_dict([1, 2])


# ---------------------------------------------------------------------------------- TF


def test_common_surname_weighs_less_than_rare():
    m, u = 0.95, 0.01
    wang = tf_adjusted_weight(m, u, term_frequency=0.07)  # 王: about 7% of people
    ouyang = tf_adjusted_weight(m, u, term_frequency=0.0001)  # 欧阳
    base = math.log2(m / u)
    assert 0 < wang < base < ouyang
    assert wang == pytest.approx(math.log2(m / 0.07))
    assert tf_adjusted_weight(m, u, u) == pytest.approx(base), "tf equal to u changes nothing"
    assert tf_adjusted_weight(m, u, float("nan")) == base
    assert tf_adjusted_weight(m, u, 0.0) == pytest.approx(math.log2(m / 1e-9))


def test_vectorised_tf_matches_scalar():
    tfs = np.array([0.07, 0.0001, np.nan, 0.0, 0.5])
    got = tf_adjusted_weights(0.95, 0.01, tfs)
    want = [tf_adjusted_weight(0.95, 0.01, float(t)) for t in tfs]
    np.testing.assert_allclose(got, want)


def test_match_weight_applies_tf_only_on_exact_agreement(fitted):
    patterns = np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0], [-1, 0, 0]])
    tf = np.full((4, 3), np.nan)
    tf[:, 0] = [0.07, 0.0001, 0.0001, 0.0001]
    adjusted = fitted.match_weight(patterns, tf)
    plain = fitted.match_weight(patterns)
    assert adjusted[0] < plain[0] < adjusted[1]
    assert adjusted[2] == plain[2] and adjusted[3] == plain[3]


# ---------------------------------------------------------------------------------- explain


def test_explain_is_a_waterfall_summing_to_the_match_weight(fitted):
    pattern = [0, -1, 2]
    rows = explain(fitted, pattern)
    assert [r["comparison"] for r in rows] == ["prior", "name", "dob", "address", "total"]
    assert rows[2]["level_name"] == "null" and rows[2]["weight"] == 0.0
    assert rows[3]["level_name"] == "else" and rows[3]["m"] == fitted.m[2][2]
    assert rows[1]["weight"] == pytest.approx(math.log2(rows[1]["m"] / rows[1]["u"]))
    total = rows[-1]["weight"]
    assert sum(r["weight"] for r in rows[:-1]) == pytest.approx(total)
    assert total == pytest.approx(float(fitted.match_weight(np.array([pattern]))[0]))
    assert rows[-1]["probability"] == pytest.approx(
        float(fitted.probability(np.array([pattern]))[0])
    )


def test_explain_with_term_frequency(fitted):
    rows = explain(fitted, [0, 0, 0], tf_adjustments={0: 0.07, 2: 0.5})
    assert rows[1]["term_frequency"] == 0.07
    assert rows[1]["weight"] == pytest.approx(
        tf_adjusted_weight(fitted.m[0][0], fitted.u[0][0], 0.07)
    )
    tf = np.array([[0.07, np.nan, 0.5]])
    want = float(fitted.match_weight(np.array([[0, 0, 0]]), tf)[0])
    assert rows[-1]["weight"] == pytest.approx(want)
    with pytest.raises(ValueError, match="unknown comparison index"):
        explain(fitted, [0, 0, 0], tf_adjustments={5: 0.1})


# ---------------------------------------------------------------------------------- ECM


def test_ranks_pairs_like_recordlinkage_ecm():
    """recordlinkage's ECMClassifier fits the same binary model on the full pair matrix.

    Its agreement convention is 1 = agree, ours level 0 = agree, so the patterns are 1 - x.
    Both are EM to the same likelihood's maximum, so on every distinct pattern the match
    probabilities should rank the same and classify the same at 0.5.
    """
    import recordlinkage
    from scipy.stats import spearmanr

    rng = np.random.default_rng(11)
    n, m, u = 4000, [0.95, 0.9, 0.85, 0.8], [0.1, 0.05, 0.2, 0.3]
    match = rng.random(n) < 0.2
    x = pd.DataFrame(
        {
            f"c{k}": np.where(match, rng.random(n) < m[k], rng.random(n) < u[k]).astype(int)
            for k in range(4)
        }
    )
    ecm = recordlinkage.ECMClassifier()
    ecm.fit(x)
    distinct = x.drop_duplicates().reset_index(drop=True)
    theirs = ecm.prob(distinct).to_numpy()

    patterns, counts = np.unique(1 - x.to_numpy(), axis=0, return_counts=True)
    comparisons = tuple(Comparison(f"c{k}", ("agree", "else")) for k in range(4))
    model = estimate(comparisons, patterns, counts)
    ours = model.probability(1 - distinct.to_numpy())

    assert spearmanr(ours, theirs).statistic > 0.99
    np.testing.assert_allclose(ours, theirs, atol=0.005)  # their tolerance is looser (1e-4)
    assert ((ours >= 0.5) == (theirs >= 0.5)).all()
    assert model.prior == pytest.approx(ecm.p, abs=0.01)
