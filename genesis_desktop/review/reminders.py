"""Who still owes reviews: every assignment without a submitted review, per reviewer.

A draft counts as missing (it is not yet a review the panel can use); a review written without an
assignment is not asked for. The list is exact because it is one outer join of assignments against
submitted reviews, not counts compared.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, Reviewer, ReviewState


@dataclass(frozen=True)
class Owed:
    reviewer: str  # e-mail
    name: str
    proposals: tuple[str, ...]  # codes, in the reviewer's own order
    drafts: tuple[str, ...]  # those of them already started


def missing_reviews(store, call_number: str | None = None) -> list[Owed]:
    """Reviewers with assigned proposals not yet submitted (all calls, or one), most owed first."""
    stmt = (select(Reviewer.email, Reviewer.name, Proposal.code, ReviewAssignment.position, Review.state)
            .select_from(ReviewAssignment)
            .join(Reviewer, Reviewer.id == ReviewAssignment.reviewer_id)
            .join(Proposal, Proposal.id == ReviewAssignment.proposal_id)
            .outerjoin(Review, and_(Review.proposal_id == ReviewAssignment.proposal_id,
                                    Review.reviewer_id == ReviewAssignment.reviewer_id))
            .where((Review.state.is_(None)) | (Review.state != ReviewState.SUBMITTED))
            .order_by(Reviewer.email, ReviewAssignment.position, Proposal.code))
    if call_number is not None:
        stmt = stmt.join(Call, Call.id == Proposal.call_id).where(Call.number == call_number)
    owed: dict[str, tuple[str, list[str], list[str]]] = {}
    with (store.session() if hasattr(store, "session") else Session(store)) as s:
        for email, name, code, _position, state in s.execute(stmt):
            entry = owed.setdefault(email, (name, [], []))
            entry[1].append(code)
            if state is ReviewState.DRAFT:
                entry[2].append(code)
    found = [Owed(email, name, tuple(codes), tuple(drafts)) for email, (name, codes, drafts) in owed.items()]
    return sorted(found, key=lambda o: (-len(o.proposals), o.reviewer))
