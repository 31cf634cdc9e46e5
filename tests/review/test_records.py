"""Rubrics and conflicts on a real SQLite portfolio: found conflicts stored and refreshed, declared
ones kept, waivers with their reason, and refusals that leave the database as it was."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from genesis_desktop.portfolio.schema import (
    Call, Institution, InstitutionKind, Partner, PartnerKind, Programme, Proposal, ProposalInstitution, Reviewer,
)
from genesis_desktop.portfolio.reviews import ConflictWaiver, ReviewConflict
from genesis_desktop.review.conflicts import ConflictError
from genesis_desktop.review.records import (
    blocked, call_rubric, declare_conflict, refresh_conflicts, set_call_rubric, waive_conflict,
)
from genesis_desktop.review.rubric import DEFAULT_RUBRIC, Criterion, Rubric


@pytest.fixture
def portfolio(store):
    with store.session() as s, s.begin():
        programme = Programme(code="GENESIS", name="The Genesis Mission")
        s.add(programme)
        s.flush()
        call = Call(programme_id=programme.id, number="DE-FOA-0003612", title="Genesis", total_budget_minor=10**12)
        inst = {code: Institution(code=code, name=code, kind=kind, country="US")
                for code, kind in (("ORNL", InstitutionKind.NATIONAL_LAB), ("MIT", InstitutionKind.UNIVERSITY),
                                   ("NVDA", InstitutionKind.COMPANY), ("STAN", InstitutionKind.UNIVERSITY))}
        s.add_all([call, *inst.values()])
        s.flush()
        s.add(Partner(code="NVIDIA", name="NVIDIA", kind=PartnerKind.COMPANY, country="US",
                      institution_id=inst["NVDA"].id))
        p = Proposal(code="P-1", call_id=call.id, phase="I", title="Grid", lead_institution_id=inst["ORNL"].id,
                     principal_investigator="Ada Lovelace", pi_email="ada@ornl.gov")
        s.add(p)
        s.flush()
        s.add(ProposalInstitution(proposal_id=p.id, institution_id=inst["NVDA"].id))
        s.add_all([
            Reviewer(email="lab@ornl.gov", name="Lab", institution_id=inst["ORNL"].id),
            Reviewer(email="friend@stanford.edu", name="Friend", institution_id=inst["STAN"].id,
                     collaborators=["Ada Lovelace"]),
            Reviewer(email="board@mit.edu", name="Board", institution_id=inst["MIT"].id, partner_ties=["NVIDIA"]),
            Reviewer(email="clear@mit.edu", name="Clear", institution_id=inst["MIT"].id),
        ])
    return store


def test_a_call_has_the_default_rubric_until_it_gets_its_own(portfolio):
    assert call_rubric(portfolio, "DE-FOA-0003612") == DEFAULT_RUBRIC
    own = Rubric((Criterion("impact", "Impact", 1, 5, "high"),))
    set_call_rubric(portfolio, "DE-FOA-0003612", own)
    assert call_rubric(portfolio, "DE-FOA-0003612") == own
    with pytest.raises(ConflictError, match="no call numbered 'X'"):
        call_rubric(portfolio, "X")


def test_found_conflicts_are_stored_refreshed_and_waived(portfolio):
    found = refresh_conflicts(portfolio)
    assert {(c.reviewer, c.kind.value) for c in found} == {
        ("lab@ornl.gov", "institution"), ("friend@stanford.edu", "coauthor"), ("board@mit.edu", "partner")}
    assert blocked(portfolio) == {("P-1", "lab@ornl.gov"), ("P-1", "friend@stanford.edu"), ("P-1", "board@mit.edu")}

    declare_conflict(portfolio, "P-1", "clear@mit.edu", "personal", "married to the PI", by="clear@mit.edu")
    with portfolio.session() as s, s.begin():  # the reviewer moves: what the move caused goes at the next refresh
        s.scalar(select(Reviewer).where(Reviewer.email == "lab@ornl.gov")).institution_id = None
    refresh_conflicts(portfolio)
    pairs = blocked(portfolio)
    assert ("P-1", "lab@ornl.gov") not in pairs and ("P-1", "clear@mit.edu") in pairs  # the declared one stays

    waiver = waive_conflict(portfolio, "P-1", "board@mit.edu", "The board seat ended in 2024 and was unpaid",
                            by="officer@doe.gov")
    assert waiver.granted_by == "officer@doe.gov"
    assert ("P-1", "board@mit.edu") not in blocked(portfolio)


def test_refused_declarations_and_waivers_change_nothing(portfolio):
    refresh_conflicts(portfolio)

    def counts():
        with portfolio.session() as s:
            return (s.scalar(select(func.count()).select_from(ReviewConflict)),
                    s.scalar(select(func.count()).select_from(ConflictWaiver)))

    before = counts()
    with pytest.raises(ConflictError, match="too short to waive"):
        waive_conflict(portfolio, "P-1", "lab@ornl.gov", "fine", by="officer@doe.gov")
    with pytest.raises(ConflictError, match="clear@mit.edu has no recorded conflict with P-1"):
        waive_conflict(portfolio, "P-1", "clear@mit.edu", "a long enough reason to waive it", by="officer")
    with pytest.raises(ConflictError, match="no reviewer with the e-mail 'nobody@x.org'"):
        declare_conflict(portfolio, "P-1", "nobody@x.org", "other", "reason", by="me")
    with pytest.raises(ConflictError, match="no proposal with the code 'P-9'"):
        declare_conflict(portfolio, "P-9", "clear@mit.edu", "other", "reason", by="me")
    assert counts() == before


def test_reminders_list_exactly_the_assigned_reviews_not_yet_submitted(portfolio):
    from datetime import datetime

    from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, ReviewState
    from genesis_desktop.review.reminders import missing_reviews

    with portfolio.session() as s, s.begin():
        call = s.scalar(select(Call))
        lead = s.scalar(select(Institution).where(Institution.code == "MIT"))
        extra = Proposal(code="P-2", call_id=call.id, phase="I", title="Fusion", lead_institution_id=lead.id,
                         principal_investigator="B")
        s.add(extra)
        s.flush()
        ids = {r.email: r.id for r in s.scalars(select(Reviewer))}
        p1 = s.scalar(select(Proposal.id).where(Proposal.code == "P-1"))
        for email, proposal, position in (("clear@mit.edu", p1, 1), ("clear@mit.edu", extra.id, 0),
                                          ("friend@stanford.edu", extra.id, 0), ("board@mit.edu", extra.id, 0)):
            s.add(ReviewAssignment(proposal_id=proposal, reviewer_id=ids[email], position=position))
        s.add_all([
            Review(proposal_id=extra.id, reviewer_id=ids["clear@mit.edu"], scores={"merit": 3}, state=ReviewState.DRAFT),
            Review(proposal_id=extra.id, reviewer_id=ids["friend@stanford.edu"], scores={"merit": 2},
                   state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 2)),
            # A review nobody asked for is not owed by anyone.
            Review(proposal_id=p1, reviewer_id=ids["lab@ornl.gov"], scores={}, state=ReviewState.DRAFT),
        ])
    owed = missing_reviews(portfolio)
    assert [(o.reviewer, o.proposals, o.drafts) for o in owed] == [
        ("clear@mit.edu", ("P-2", "P-1"), ("P-2",)),  # in the reviewer's own order
        ("board@mit.edu", ("P-2",), ()),
    ]
    assert missing_reviews(portfolio, "NO-SUCH-CALL") == []
    assert missing_reviews(portfolio, "DE-FOA-0003612") == owed
