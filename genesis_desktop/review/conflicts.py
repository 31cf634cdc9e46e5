"""Conflicts of interest between reviewers and proposals: found from the records, or declared by hand.

Found automatically:
- institution: the reviewer works at the lead institution or at a team institution;
- co-author: someone the reviewer listed as a recent co-author or collaborator is on the proposal
  (the principal investigator, matched by e-mail or by name);
- partner: the reviewer is tied to a partner (employer, board seat, funding) whose institution is on
  the team (a reviewer employed there has the institution conflict already).
Declared by hand: any kind, including personal and other, with a reason.

A conflict blocks the assignment unless it is waived; a waiver needs a written reason and records
who granted it and when. Plain data in and out (no database here): the portfolio layer builds the
facts from its records and stores conflicts and waivers.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

MIN_WAIVER_REASON = 20  # characters: a reason a later reader can follow, not "ok"


class ConflictKind(enum.Enum):
    INSTITUTION = "institution"
    COAUTHOR = "coauthor"
    PARTNER = "partner"
    PERSONAL = "personal"
    OTHER = "other"


@dataclass(frozen=True)
class ProposalFacts:
    code: str
    lead_institution: str  # institution code
    team_institutions: frozenset[str] = frozenset()  # other team institutions' codes
    people: tuple[tuple[str, str], ...] = ()  # (name, email) of the people named on the proposal


@dataclass(frozen=True)
class ReviewerFacts:
    email: str
    institution: str | None = None  # institution code
    collaborators: tuple[str, ...] = ()  # recent co-authors and collaborators: names or e-mails
    partner_ties: frozenset[str] = frozenset()  # partner codes


@dataclass(frozen=True)
class Conflict:
    proposal: str
    reviewer: str
    kind: ConflictKind
    reason: str
    declared_by: str | None = None  # None: found from the records

    @property
    def pair(self) -> tuple[str, str]:
        return (self.proposal, self.reviewer)


@dataclass(frozen=True)
class Waiver:
    proposal: str
    reviewer: str
    reason: str
    granted_by: str
    granted_at: datetime


class ConflictError(ValueError):
    """A declaration or waiver that breaks a rule; the message names the field, value and rule."""


def _person(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def find_conflicts(proposals: Iterable[ProposalFacts], reviewers: Iterable[ReviewerFacts],
                   partner_institutions: dict[str, str] | None = None) -> list[Conflict]:
    """Every conflict the records show. `partner_institutions`: partner code -> its institution code."""
    partner_institutions = partner_institutions or {}
    reviewers = list(reviewers)
    by_institution: dict[str, list[ReviewerFacts]] = {}
    for r in reviewers:
        if r.institution:
            by_institution.setdefault(r.institution, []).append(r)
    collaborators = {r.email: {_person(c) for c in r.collaborators if c.strip()} for r in reviewers}
    tied = [(r, t) for r in reviewers for t in sorted(r.partner_ties) if t in partner_institutions]
    found: dict[tuple[str, str, ConflictKind], Conflict] = {}

    def add(p: ProposalFacts, r: ReviewerFacts, kind: ConflictKind, reason: str) -> None:
        found.setdefault((p.code, r.email, kind), Conflict(p.code, r.email, kind, reason))

    for p in proposals:
        team = {p.lead_institution, *p.team_institutions}
        for institution in sorted(team):
            role = "the lead institution" if institution == p.lead_institution else "a team institution"
            for r in by_institution.get(institution, ()):
                add(p, r, ConflictKind.INSTITUTION, f"works at {institution}, {role}")
        names = {_person(n): n for n, _ in p.people if n.strip()} | {_person(e): e for _, e in p.people if e.strip()}
        if names:
            for r in reviewers:
                shared = sorted(names[k] for k in collaborators[r.email] & names.keys())
                if shared:
                    add(p, r, ConflictKind.COAUTHOR, f"lists {', '.join(shared)} as a recent co-author or collaborator")
        for r, partner in tied:
            if partner_institutions[partner] in team:
                add(p, r, ConflictKind.PARTNER,
                    f"tied to partner {partner}, whose institution {partner_institutions[partner]} is on the team")
    return sorted(found.values(), key=lambda c: (c.proposal, c.reviewer, c.kind.value))


def declare(proposal: str, reviewer: str, kind: ConflictKind | str, reason: str, by: str) -> Conflict:
    """A conflict declared by hand (by the reviewer or an officer): the kind and a reason are needed."""
    try:
        kind = ConflictKind(kind)
    except ValueError:
        raise ConflictError(f"kind: {kind!r} is not a kind of conflict; use one of "
                            f"{', '.join(k.value for k in ConflictKind)}") from None
    if not reason.strip():
        raise ConflictError(f"reason: a declared {kind.value} conflict between {reviewer} and {proposal} "
                            "needs a reason")
    if not by.strip():
        raise ConflictError("declared_by: say who declares the conflict")
    return Conflict(proposal, reviewer, kind, reason.strip(), declared_by=by.strip())


def waive(conflict: Conflict, reason: str, by: str, at: datetime) -> Waiver:
    """Allow an assignment despite `conflict`: only with a written reason, recorded with who and when."""
    reason = reason.strip()
    if len(reason) < MIN_WAIVER_REASON:
        raise ConflictError(f"reason: {reason!r} is too short to waive the {conflict.kind.value} conflict "
                            f"between {conflict.reviewer} and {conflict.proposal}; write at least "
                            f"{MIN_WAIVER_REASON} characters saying why the review can still be fair")
    if not by.strip():
        raise ConflictError("granted_by: say who grants the waiver")
    return Waiver(conflict.proposal, conflict.reviewer, reason, by.strip(), at)


def blocked_pairs(conflicts: Iterable[Conflict], waivers: Iterable[Waiver] = ()) -> set[tuple[str, str]]:
    """(proposal, reviewer) pairs that may not be assigned: conflicted and not waived."""
    waived = {(w.proposal, w.reviewer) for w in waivers}
    return {c.pair for c in conflicts if c.pair not in waived}
