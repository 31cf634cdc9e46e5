"""Rubrics (scales, weights, what counts, JSON) and conflicts of interest of every kind."""
from __future__ import annotations

from datetime import datetime

import pytest

from genesis_desktop.review.conflicts import (
    ConflictError, ConflictKind, ProposalFacts, ReviewerFacts, blocked_pairs, declare, find_conflicts, waive,
)
from genesis_desktop.review.rubric import DEFAULT_RUBRIC, Criterion, Rubric, RubricError

ALL_FIVES = {c.key: 5 for c in DEFAULT_RUBRIC.criteria}


def test_the_default_rubric_scores_like_nih():
    assert [c.key for c in DEFAULT_RUBRIC.criteria] == [
        "merit", "relevance", "team", "feasibility", "ai_platform", "budget"]
    assert DEFAULT_RUBRIC.criterion("merit").label(1) == "Exceptional"
    assert DEFAULT_RUBRIC.total(ALL_FIVES) == pytest.approx(5.0)
    best = dict(ALL_FIVES, merit=1, relevance=1, team=1, feasibility=1, ai_platform=1, budget=9)
    assert DEFAULT_RUBRIC.total(best) == pytest.approx(1.0)  # the budget is scored but does not count
    assert DEFAULT_RUBRIC.merit(best) == pytest.approx(1.0)
    # Merit weighs 3 of 9: one step better on merit moves the total by 3/9 of a step.
    assert DEFAULT_RUBRIC.total(dict(ALL_FIVES, merit=4)) == pytest.approx(5 - 3 / 9)


def test_scores_are_checked_against_each_scale():
    problems = DEFAULT_RUBRIC.problems({"merit": 0, "relevance": 2.5, "team": True, "novelty": 3})
    text = "; ".join(problems)
    assert "novelty: not a criterion of this rubric" in text
    assert "merit: 0 is outside the scale 1 to 9" in text
    assert "relevance: 2.5 is not a whole number from 1 to 9" in text
    assert "team: True is not a whole number" in text
    assert "feasibility: no score given" in text
    assert DEFAULT_RUBRIC.problems({"merit": 2}, complete=False) == []  # a draft may be partial
    with pytest.raises(RubricError, match="budget: no score given"):
        DEFAULT_RUBRIC.check({k: 3 for k in ALL_FIVES if k != "budget"})


def test_mixed_scales_compare_through_merit_and_round_trip_as_json():
    rubric = Rubric((Criterion("impact", "Impact", 1, 5, "high", 1.0), Criterion("risk", "Risk", 1, 9, "low", 1.0)))
    assert rubric.merit({"impact": 5, "risk": 1}) == 1.0
    assert rubric.merit({"impact": 3, "risk": 5}) == pytest.approx(0.5)
    assert rubric.total({"impact": 3, "risk": 5}) == pytest.approx(3.0)  # on impact's 1-to-5 scale
    assert Rubric.from_json(rubric.to_json()) == rubric
    assert Rubric.from_json(DEFAULT_RUBRIC.to_json()) == DEFAULT_RUBRIC


@pytest.mark.parametrize("make, message", [
    (lambda: Criterion("x", "X", 5, 5), "scale 5 to 5"),
    (lambda: Criterion("x", "X", best="middle"), "best must be"),
    (lambda: Criterion("x y", "X"), "letters, digits"),
    (lambda: Rubric((Criterion("a", "A"), Criterion("a", "B"))), "appear more than once"),
    (lambda: Rubric((Criterion("a", "A", counts=False),)), "at least one criterion must count"),
    (lambda: Rubric.from_json({"criteria": [{"title": "no key"}]}), "cannot be read"),
])
def test_broken_rubrics_are_refused_with_the_rule(make, message):
    with pytest.raises(RubricError, match=message):
        make()


PROPOSALS = [
    ProposalFacts("P-1", "ORNL", frozenset({"MIT"}), (("Ada Lovelace", "ada@mit.edu"),)),
    ProposalFacts("P-2", "ANL", frozenset({"NVDA-INST"}), (("Grace Hopper", "grace@anl.gov"),)),
]
REVIEWERS = [
    ReviewerFacts("lead@ornl.gov", "ORNL"),
    ReviewerFacts("member@mit.edu", "MIT"),
    ReviewerFacts("friend@stanford.edu", "STAN", collaborators=("ada  LOVELACE",)),
    ReviewerFacts("mail@x.org", "X", collaborators=("grace@anl.gov",)),
    ReviewerFacts("board@y.com", "Y", partner_ties=frozenset({"NVIDIA"})),
    ReviewerFacts("clear@z.edu", "Z"),
]


def test_conflicts_of_each_kind_are_found_with_their_reason():
    found = find_conflicts(PROPOSALS, REVIEWERS, partner_institutions={"NVIDIA": "NVDA-INST"})
    by_pair = {(c.proposal, c.reviewer): c for c in found}
    assert by_pair[("P-1", "lead@ornl.gov")].kind is ConflictKind.INSTITUTION
    assert "the lead institution" in by_pair[("P-1", "lead@ornl.gov")].reason
    assert "a team institution" in by_pair[("P-1", "member@mit.edu")].reason
    assert by_pair[("P-1", "friend@stanford.edu")].kind is ConflictKind.COAUTHOR
    assert "Ada Lovelace" in by_pair[("P-1", "friend@stanford.edu")].reason
    assert by_pair[("P-2", "mail@x.org")].kind is ConflictKind.COAUTHOR  # matched by e-mail
    assert by_pair[("P-2", "board@y.com")].kind is ConflictKind.PARTNER
    assert all(c.declared_by is None for c in found)
    assert not any(c.reviewer == "clear@z.edu" for c in found)
    assert len(found) == 5


def test_declared_conflicts_and_waivers_need_reasons():
    personal = declare("P-1", "clear@z.edu", "personal", "sibling of the PI", by="clear@z.edu")
    assert personal.kind is ConflictKind.PERSONAL and personal.declared_by == "clear@z.edu"
    with pytest.raises(ConflictError, match="kind: 'rivalry' is not a kind of conflict"):
        declare("P-1", "clear@z.edu", "rivalry", "x", by="me")
    with pytest.raises(ConflictError, match="needs a reason"):
        declare("P-1", "clear@z.edu", ConflictKind.OTHER, "  ", by="me")
    found = find_conflicts(PROPOSALS, REVIEWERS)
    conflict = next(c for c in found if c.reviewer == "member@mit.edu")
    with pytest.raises(ConflictError, match="too short to waive"):
        waive(conflict, "ok", by="officer@doe.gov", at=datetime(2026, 5, 1))
    waiver = waive(conflict, "MIT has 12,000 staff; the reviewer's department is unrelated",
                   by="officer@doe.gov", at=datetime(2026, 5, 1, 9, 30))
    assert (waiver.granted_by, waiver.granted_at) == ("officer@doe.gov", datetime(2026, 5, 1, 9, 30))
    blocked = blocked_pairs([*found, personal], [waiver])
    assert ("P-1", "member@mit.edu") not in blocked
    assert {("P-1", "lead@ornl.gov"), ("P-1", "clear@z.edu")} <= blocked
