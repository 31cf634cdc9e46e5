"""The review rules applied to a portfolio's records: a call's rubric, and its conflicts of interest.

Conflicts found from the records are stored as such (declared_by NULL) and found again from scratch
by `refresh_conflicts`, so a record corrected later (a reviewer who changed institution) clears
what it caused; declared conflicts and waivers are never touched by a refresh. Every write is one
transaction: a refused declaration or waiver leaves the database as it was.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.base import utcnow
from genesis_desktop.portfolio.institutions import Institution
from genesis_desktop.portfolio.partners import Partner
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal, ProposalInstitution
from genesis_desktop.portfolio.reviews import ConflictWaiver, Review, ReviewConflict, Reviewer, ReviewState

from .conflicts import (Conflict, ConflictError, ConflictKind, ProposalFacts, ReviewerFacts, declare,
                        find_conflicts, waive)
from .rubric import DEFAULT_RUBRIC, Rubric, RubricError


def _session(store) -> Session:
    return store.session() if hasattr(store, "session") else Session(store)


def call_rubric(store, call_number: str) -> Rubric:
    """The call's rubric, or the programme's default when the call has none of its own."""
    with _session(store) as s:
        call = s.scalar(select(Call).where(Call.number == call_number))
        if call is None:
            raise ConflictError(f"call: no call numbered {call_number!r}")
        return DEFAULT_RUBRIC if call.rubric is None else Rubric.from_json(call.rubric)


def set_call_rubric(store, call_number: str, rubric: Rubric | None) -> None:
    """Give the call its own rubric (None: back to the default). Refused while a submitted review of
    the call would break the new rubric: its scores would no longer mean what the reviewer meant."""
    with _session(store) as s, s.begin():
        call = s.scalar(select(Call).where(Call.number == call_number))
        if call is None:
            raise ConflictError(f"call: no call numbered {call_number!r}")
        chosen = DEFAULT_RUBRIC if rubric is None else rubric
        broken = [(code, problems) for code, email, scores in s.execute(
                      select(Proposal.code, Reviewer.email, Review.scores)
                      .join(Review, Review.proposal_id == Proposal.id).join(Reviewer, Reviewer.id == Review.reviewer_id)
                      .where(Proposal.call_id == call.id, Review.state == ReviewState.SUBMITTED)
                      .order_by(Proposal.code, Reviewer.email))
                  for problems in [chosen.problems(scores or {})] if problems]
        if broken:
            shown = "; ".join(f"{code}: {problems[0]}" for code, problems in broken[:3])
            raise RubricError(f"rubric of call {call_number}: {len(broken)} submitted review(s) would break it "
                              f"({shown}{'; ...' if len(broken) > 3 else ''}); the call keeps its rubric")
        call.rubric = None if rubric is None else rubric.to_json()


def conflict_facts(s: Session) -> tuple[list[ProposalFacts], list[ReviewerFacts], dict[str, str]]:
    """What conflict finding needs, read from the records in a handful of queries."""
    codes = dict(s.execute(select(Institution.id, Institution.code)).all())
    team: dict[int, set[str]] = {}
    for proposal_id, institution_id in s.execute(select(ProposalInstitution.proposal_id,
                                                         ProposalInstitution.institution_id)):
        team.setdefault(proposal_id, set()).add(codes[institution_id])
    proposals = [ProposalFacts(p.code, codes[p.lead_institution_id], frozenset(team.get(p.id, ())),
                               ((p.principal_investigator, p.pi_email),))
                 for p in s.scalars(select(Proposal))]
    reviewers = [ReviewerFacts(r.email, codes.get(r.institution_id), tuple(r.collaborators or ()),
                               frozenset(r.partner_ties or ()))
                 for r in s.scalars(select(Reviewer))]
    partners = {code: codes[inst] for code, inst in s.execute(select(Partner.code, Partner.institution_id))
                if inst is not None}
    return proposals, reviewers, partners


def refresh_conflicts(store) -> list[Conflict]:
    """Find every conflict the records show now and store them in place of the ones found before."""
    with _session(store) as s, s.begin():
        found = find_conflicts(*conflict_facts(s))
        proposal_ids = dict(s.execute(select(Proposal.code, Proposal.id)).all())
        reviewer_ids = dict(s.execute(select(Reviewer.email, Reviewer.id)).all())
        declared = {(r.proposal_id, r.reviewer_id, r.kind)
                    for r in s.scalars(select(ReviewConflict).where(ReviewConflict.declared_by.is_not(None)))}
        s.execute(delete(ReviewConflict).where(ReviewConflict.declared_by.is_(None)))
        now = utcnow()
        s.add_all(ReviewConflict(proposal_id=proposal_ids[c.proposal], reviewer_id=reviewer_ids[c.reviewer],
                                 kind=c.kind.value, reason=c.reason, recorded_at=now)
                  for c in found
                  if (proposal_ids[c.proposal], reviewer_ids[c.reviewer], c.kind.value) not in declared)
    return found


def _ids(s: Session, proposal: str, reviewer: str) -> tuple[int, int]:
    proposal_id = s.scalar(select(Proposal.id).where(Proposal.code == proposal))
    if proposal_id is None:
        raise ConflictError(f"proposal: no proposal with the code {proposal!r}")
    reviewer_id = s.scalar(select(Reviewer.id).where(Reviewer.email == reviewer))
    if reviewer_id is None:
        raise ConflictError(f"reviewer: no reviewer with the e-mail {reviewer!r}")
    return proposal_id, reviewer_id


def declare_conflict(store, proposal: str, reviewer: str, kind: ConflictKind | str, reason: str, by: str) -> Conflict:
    conflict = declare(proposal, reviewer, kind, reason, by)
    with _session(store) as s, s.begin():
        proposal_id, reviewer_id = _ids(s, proposal, reviewer)
        s.execute(delete(ReviewConflict).where(ReviewConflict.proposal_id == proposal_id,
                                               ReviewConflict.reviewer_id == reviewer_id,
                                               ReviewConflict.kind == conflict.kind.value))
        s.add(ReviewConflict(proposal_id=proposal_id, reviewer_id=reviewer_id, kind=conflict.kind.value,
                             reason=conflict.reason, declared_by=conflict.declared_by, recorded_at=utcnow()))
    return conflict


def waive_conflict(store, proposal: str, reviewer: str, reason: str, by: str):
    """Waive the conflicts between a reviewer and a proposal (there must be one), with a reason."""
    with _session(store) as s, s.begin():
        proposal_id, reviewer_id = _ids(s, proposal, reviewer)
        row = s.scalar(select(ReviewConflict).where(ReviewConflict.proposal_id == proposal_id,
                                                    ReviewConflict.reviewer_id == reviewer_id))
        if row is None:
            raise ConflictError(f"waiver: {reviewer} has no recorded conflict with {proposal}; nothing to waive")
        waiver = waive(Conflict(proposal, reviewer, ConflictKind(row.kind), row.reason), reason, by, utcnow())
        s.merge(ConflictWaiver(proposal_id=proposal_id, reviewer_id=reviewer_id, reason=waiver.reason,
                               granted_by=waiver.granted_by, granted_at=waiver.granted_at))
    return waiver


def blocked(store) -> set[tuple[str, str]]:
    """(proposal code, reviewer e-mail) pairs that may not be assigned: conflicted and not waived."""
    with _session(store) as s:
        rows = s.execute(select(Proposal.code, Reviewer.email, ConflictWaiver.reason)
                         .join(ReviewConflict, ReviewConflict.proposal_id == Proposal.id)
                         .join(Reviewer, Reviewer.id == ReviewConflict.reviewer_id)
                         .outerjoin(ConflictWaiver, (ConflictWaiver.proposal_id == ReviewConflict.proposal_id)
                                    & (ConflictWaiver.reviewer_id == ReviewConflict.reviewer_id)))
        return {(code, email) for code, email, waived in rows if waived is None}
