"""Affinity from text (TF-IDF cosine) and the bid rule."""
from __future__ import annotations

import math

import numpy as np
import pytest

from genesis_desktop.review.affinity import (BID_LEVELS, bid_value, proposal_text, tfidf_affinity,
                                             tokenize, with_bids)
from genesis_desktop.review.assignment import assign

PROPOSALS = [
    proposal_text("Protein folding with deep learning",
                  "We predict protein structure from sequence with graph neural networks.",
                  ["protein folding", "structural biology"]),
    proposal_text("Downscaling climate models",
                  "Regional precipitation extremes from global climate simulations.", "climate, rainfall"),
    proposal_text("Fusion plasma control", "Reinforcement learning for tokamak plasma shape control.", ()),
]
REVIEWERS = ["protein structure, folding, structural biology",
             "climate modelling, precipitation, downscaling",
             "plasma physics, tokamak, fusion energy",
             ""]


def test_a_reviewer_whose_keywords_match_the_abstract_scores_higher():
    affinity = tfidf_affinity(PROPOSALS, REVIEWERS)
    assert affinity.shape == (3, 4)
    for p in range(3):
        others = [r for r in range(3) if r != p]
        assert affinity[p, p] > affinity[p, others].max(), (p, affinity[p])


def test_values_are_in_the_unit_interval_with_the_extremes_where_expected():
    affinity = tfidf_affinity(["graph neural networks", "ocean acoustics", ""],
                              ["Graph neural networks!", "medieval history", "ocean"])
    assert np.all((affinity >= 0.0) & (affinity <= 1.0))
    assert affinity[0, 0] == pytest.approx(1.0)  # the same terms: cosine 1, case and punctuation aside
    assert affinity[0, 1] == 0.0  # nothing shared
    assert np.all(affinity[2] == 0.0)  # a proposal without any term matches no one
    assert 0.0 < affinity[1, 2] < 1.0


def test_tokenizer_lowercases_splits_on_punctuation_keeps_digits_and_drops_stop_words():
    terms = tokenize("The CO2-capture of 3D materials, and é-beam.")
    assert terms == ["co2", "capture", "3d", "materials", "é", "beam"]
    assert tokenize("of the and") == []


def test_one_value_matches_tfidf_computed_by_hand():
    proposals = ["laser laser laser optics", "optics design"]
    reviewers = ["laser optics"]
    docs = [d.split() for d in proposals + reviewers]
    n = len(docs)
    idf = {t: math.log((1 + n) / (1 + sum(t in d for d in docs))) + 1 for t in {"laser", "optics", "design"}}

    def vector(doc):
        weights = {t: (1 + math.log(doc.count(t))) * idf[t] for t in set(doc)}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return {t: w / norm for t, w in weights.items()}

    p0, r0 = vector(docs[0]), vector(docs[2])
    expected = sum(p0[t] * r0.get(t, 0.0) for t in p0)
    affinity = tfidf_affinity(proposals, reviewers)
    assert affinity[0, 0] == pytest.approx(expected, rel=1e-12)
    # Sublinear tf: three "laser"s weigh 1 + log 3, not 3, so "optics" still counts for a lot.
    raw_tf_cosine = (3 * idf["laser"] ** 2 + idf["optics"] ** 2) / (
        math.hypot(3 * idf["laser"], idf["optics"]) * math.hypot(idf["laser"], idf["optics"]))
    assert affinity[0, 0] != pytest.approx(raw_tf_cosine, rel=1e-6)


def test_a_rare_shared_term_counts_more_than_a_common_one():
    proposals = ["learning data cryogenics", "learning data", "learning data", "learning data"]
    reviewers = ["cryogenics", "learning"]
    affinity = tfidf_affinity(proposals, reviewers)
    assert affinity[0, 0] > affinity[0, 1]


def test_bids_move_affinity_the_documented_way():
    base = np.array([[0.4, 0.4, 0.4, 0.4, 0.4], [0.0, 1.0, 0.2, 0.6, 0.8]])
    bids = {(0, 0): "eager", (0, 1): "willing", (0, 2): "in a pinch", (0, 3): "Not-Willing",
            (1, 0): 2, (1, 1): -1, (1, 2): 0.5, (1, 3): -0.5, (1, 4): "neutral"}
    moved = with_bids(base, bids)
    assert moved[0, 0] == pytest.approx(0.4 + 0.6 * 0.5)  # eager: half-way to 1
    assert moved[0, 1] == pytest.approx(0.4 + 0.6 * 0.25)  # willing: a quarter of the way
    assert moved[0, 2] == pytest.approx(0.4)  # in a pinch: unchanged
    assert moved[0, 3] == pytest.approx(0.04)  # not willing: times 0.1, lowered but above zero
    assert moved[0, 4] == 0.4  # no bid: unchanged
    assert moved[1, 0] == pytest.approx(0.5) and moved[1, 1] == pytest.approx(0.1)
    assert moved[1, 2] == pytest.approx(0.2 + 0.8 * 0.125) and moved[1, 3] == pytest.approx(0.6 * 0.55)
    assert moved[1, 4] == 0.8
    assert np.all((moved >= 0) & (moved <= 1))
    assert base[0, 0] == 0.4  # the input is left alone


def test_a_higher_bid_never_gives_a_lower_affinity():
    levels = np.linspace(-1, 2, 13)
    for a in (0.0, 0.05, 0.5, 0.99, 1.0):
        values = [with_bids(np.array([[a]]), {(0, 0): b})[0, 0] for b in levels]
        assert np.all(np.diff(values) >= 0), (a, values)
    assert [bid_value(label) for label in ("eager", "willing", "in a pinch", "not willing")] == [2, 1, 0, -1]
    assert set(BID_LEVELS) >= {"eager", "willing", "not willing"}


def test_bids_as_triples_match_the_mapping_and_the_later_bid_wins():
    base = np.full((2, 2), 0.5)
    as_dict = with_bids(base, {(0, 1): "eager", (1, 0): "not willing"})
    as_triples = with_bids(base, [(0, 1, "willing"), (1, 0, "not willing"), (0, 1, "eager")])
    np.testing.assert_array_equal(as_dict, as_triples)


@pytest.mark.parametrize("bids", [{(0, 0): "keen"}, {(0, 0): 3}, {(0, 0): -1.5}, {(2, 0): 1}, {(0, -1): 1}])
def test_bad_bids_are_refused(bids):
    with pytest.raises(ValueError):
        with_bids(np.zeros((2, 2)), bids)


def test_not_willing_lowers_but_does_not_forbid():
    # Reviewer 0 is the only one without a conflict for proposal 0 and said "not willing":
    # the assignment still uses the pair, because the bid only lowers the affinity.
    affinity = with_bids(np.full((2, 2), 0.8), {(0, 0): "not willing"})
    result = assign(affinity, 1, 2, conflicts=[(0, 1)])
    assert result.reviewers_of[0].tolist() == [0]
    assert result.objective == pytest.approx(0.08 + 0.8)
