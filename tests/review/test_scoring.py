"""The reviewer's desk on a real SQLite portfolio: only their assignments, drafts any number of times,
submission locks, revisions keep the earlier version with its reason, and the panel's reviews appear
(without names) only once the reviewer's own is submitted."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, ReviewState, ReviewVersion
from genesis_desktop.portfolio.schema import Proposal, Reviewer
from genesis_desktop.review.scoring import (DatabaseReviewerDesk, ReviewAccessError, ReviewStateError,
                                            panel_label)

FULL = {"merit": 2, "relevance": 3, "team": 2, "feasibility": 4, "ai_platform": 3, "budget": 5}


@pytest.fixture
def panel(one_call):
    """Three proposals; Ann is assigned P-2 then P-1 (her own order); Bob and Cy reviewed P-1;
    nobody gave Ann P-3."""
    store = one_call.store
    with store.session() as s, s.begin():
        props = [Proposal(code=f"P-{i}", call_id=one_call.call_id, phase="I", title=f"Title {i}",
                          abstract=f"Abstract {i}", lead_institution_id=one_call.lab_id, principal_investigator="PI")
                 for i in (1, 2, 3)]
        people = [Reviewer(email=f"{n}@x.org", name=n.title()) for n in ("ann", "bob", "cy")]
        s.add_all(props + people)
        s.flush()
        ann, bob, cy = (r.id for r in people)
        p1, p2, p3 = (p.id for p in props)
        s.add_all([ReviewAssignment(proposal_id=p2, reviewer_id=ann, position=0),
                   ReviewAssignment(proposal_id=p1, reviewer_id=ann, position=1),
                   ReviewAssignment(proposal_id=p1, reviewer_id=bob, position=0),
                   ReviewAssignment(proposal_id=p1, reviewer_id=cy, position=0),
                   ReviewAssignment(proposal_id=p3, reviewer_id=bob, position=0)])
        s.add_all([Review(proposal_id=p1, reviewer_id=bob, scores=FULL, comments="Strong and clear plan",
                          state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 1)),
                   Review(proposal_id=p1, reviewer_id=cy, scores={"merit": 7}, comments="Cy drafting",
                          state=ReviewState.DRAFT),
                   Review(proposal_id=p3, reviewer_id=bob, scores=FULL, comments="Bob on P-3",
                          state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 1))])
    return store


def review_rows(store):
    with store.session() as s:
        return sorted((r.proposal_id, r.reviewer_id, r.state.value, tuple(sorted(r.scores.items())), r.comments)
                      for r in s.scalars(select(Review)))


def test_a_reviewer_sees_only_their_assignments_in_their_own_order(panel):
    ann = DatabaseReviewerDesk(panel, "ANN@x.org")  # e-mails match whatever their case
    assert [(a.code, a.position, a.title) for a in ann.assignments()] == [("P-2", 1, "Title 2"), ("P-1", 2, "Title 1")]
    for code in ("P-3", "P-404"):  # another's proposal and no proposal at all: the same refusal
        for call in (ann.my_review, ann.others, ann.history, ann.rubric):
            with pytest.raises(ReviewAccessError, match=f"proposal '{code}' is not assigned to you"):
                call(code)
        with pytest.raises(ReviewAccessError):
            ann.save_draft(code, {"merit": 1}, "")
    with pytest.raises(ReviewAccessError, match="no reviewer with the e-mail 'eve@x.org'"):
        DatabaseReviewerDesk(panel, "eve@x.org")


def test_drafts_save_any_part_and_submission_needs_every_criterion(panel):
    ann = DatabaseReviewerDesk(panel, "ann@x.org")
    assert ann.my_review("P-1") is None
    draft = ann.save_draft("P-1", {"merit": 2}, "first thoughts")
    assert (draft.state, draft.scores, draft.version) == ("draft", {"merit": 2}, 1)
    again = ann.save_draft("P-1", {"merit": 3, "team": 1}, "second thoughts")
    assert ann.my_review("P-1") == again and again.comments == "second thoughts"
    with pytest.raises(ReviewStateError, match="P-1: merit: 12 is outside the scale 1 to 9"):
        ann.save_draft("P-1", {"merit": 12}, "")
    before = review_rows(panel)
    with pytest.raises(ReviewStateError, match="relevance: no score given"):
        ann.submit("P-1")
    assert review_rows(panel) == before  # a refused submission changes nothing
    done = ann.submit("P-1", FULL, "final")
    assert (done.state, done.scores, done.comments) == ("submitted", FULL, "final") and done.submitted_at


def test_a_submitted_review_is_locked_and_revised_with_a_reason(panel):
    ann = DatabaseReviewerDesk(panel, "ann@x.org")
    first = ann.submit("P-2", FULL, "v1")
    with pytest.raises(ReviewStateError, match="submitted and locked"):
        ann.save_draft("P-2", {"merit": 9}, "sneaky")
    with pytest.raises(ReviewStateError, match="already submitted"):
        ann.submit("P-2", FULL, "again")
    with pytest.raises(ReviewStateError, match="at least 10 characters"):
        ann.revise("P-2", {**FULL, "merit": 5}, "v2", "typo")
    revised = ann.revise("P-2", {**FULL, "merit": 5}, "v2", "Misread the feasibility plan")
    assert (revised.version, revised.scores["merit"], revised.state) == (2, 5, "submitted")
    [earlier] = ann.history("P-2")
    assert (earlier.version, earlier.scores, earlier.comments, earlier.reason, earlier.replaced_by) == (
        1, FULL, "v1", "Misread the feasibility plan", "ann@x.org")
    assert earlier.submitted_at == first.submitted_at
    with panel.session() as s:
        assert s.scalar(select(ReviewVersion.reason)) == "Misread the feasibility plan"


def test_the_panel_appears_only_after_the_reviewers_own_submission_and_without_names(panel):
    ann = DatabaseReviewerDesk(panel, "ann@x.org")
    assert ann.others("P-1") == []
    ann.save_draft("P-1", FULL, "draft")
    assert ann.others("P-1") == []  # a draft is not enough
    ann.submit("P-1")
    others = ann.others("P-1")
    # Bob's submitted review only (Cy's is a draft), labelled by the order reviews were written.
    assert [(o.label, o.comments, o.scores) for o in others] == [("Reviewer A", "Strong and clear plan", FULL)]
    assert all("bob" not in repr(o).lower() for o in others)  # neither name nor e-mail
    assert ann.others("P-2") == []  # and only for the proposal she submitted


def test_panel_labels_run_past_z():
    assert [panel_label(i) for i in (0, 1, 25, 26, 27)] == [
        "Reviewer A", "Reviewer B", "Reviewer Z", "Reviewer AA", "Reviewer AB"]
