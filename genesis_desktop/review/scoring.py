"""A reviewer's own desk: the proposals assigned to them, their drafts, submissions and revisions.

Everything a reviewer can see or change goes through a `ReviewerDesk`, and the desk checks every
call against the reviewer's assignments, so a view built on it cannot reach anything else: a
proposal not assigned to them does not exist for them, and the others' reviews of a proposal stay
hidden until their own review of it is submitted (then they are shown without names, as "Reviewer
A", "B", ..., in the order the reviews were written).

Rules: a draft may hold any subset of the rubric's criteria and is saved as often as the desktop
likes; submitting needs every criterion; a submitted review is locked, and a later change is a
revision: the review as it was is kept as a numbered version with who, when and why.

`DatabaseReviewerDesk` serves a reviewer from the programme's database; `packets.PacketDesk` serves
the same desk from an offline packet file.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.base import utcnow
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, Reviewer, ReviewState, ReviewVersion

from .rubric import DEFAULT_RUBRIC, Rubric, RubricError

MIN_REASON = 10  # characters: "typo" is not a reason a panel can weigh


class ReviewAccessError(PermissionError):
    """The reviewer asked for something that is not theirs, or not yet theirs to see."""


class ReviewStateError(ValueError):
    """The change breaks a rule of the review's state (a submitted review edited as a draft, ...)."""


@dataclass(frozen=True)
class Assigned:
    """A proposal as its reviewer sees it; `position` is the reviewer's own reading order (from 1)."""

    code: str
    title: str
    abstract: str
    keywords: tuple[str, ...]
    phase: str
    call: str
    position: int


@dataclass(frozen=True)
class MyReview:
    proposal: str
    scores: dict[str, int]
    comments: str
    state: str  # "draft" or "submitted"
    updated_at: datetime | None
    submitted_at: datetime | None
    version: int  # 1 until the first revision of a submitted review


@dataclass(frozen=True)
class PanelReview:
    """Another reviewer's submitted review, without their name."""

    label: str
    scores: dict[str, int]
    comments: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class EarlierVersion:
    version: int
    scores: dict[str, int]
    comments: str
    submitted_at: datetime | None
    replaced_at: datetime
    replaced_by: str
    reason: str


class ReviewerDesk(Protocol):
    reviewer: str  # e-mail
    name: str

    def assignments(self) -> list[Assigned]: ...
    def rubric(self, code: str) -> Rubric: ...
    def my_review(self, code: str) -> MyReview | None: ...
    def save_draft(self, code: str, scores: Mapping[str, int], comments: str) -> MyReview: ...
    def submit(self, code: str, scores: Mapping[str, int] | None = None, comments: str | None = None) -> MyReview: ...
    def revise(self, code: str, scores: Mapping[str, int], comments: str, reason: str) -> MyReview: ...
    def others(self, code: str) -> list[PanelReview]: ...
    def history(self, code: str) -> list[EarlierVersion]: ...


def panel_label(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Reviewer {letters}"


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ReviewStateError(f"reason: {reason!r} is too short; a revision of a submitted review needs a "
                               f"written reason of at least {MIN_REASON} characters")
    return reason


class DatabaseReviewerDesk:
    """One reviewer's desk over the programme's database (a portfolio Store)."""

    def __init__(self, store, email: str):
        self.store = store
        with store.session() as s:
            row = s.execute(select(Reviewer.id, Reviewer.email, Reviewer.name)
                            .where(func.lower(Reviewer.email) == email.strip().lower())).first()
        if row is None:
            raise ReviewAccessError(f"reviewer: no reviewer with the e-mail {email!r} in this portfolio")
        self._id, self.reviewer, self.name = row

    # -- reading ---------------------------------------------------------------------------------
    def assignments(self) -> list[Assigned]:
        with self.store.session() as s:
            rows = s.execute(select(Proposal, Call.number, ReviewAssignment.position)
                             .join(ReviewAssignment, ReviewAssignment.proposal_id == Proposal.id)
                             .join(Call, Call.id == Proposal.call_id)
                             .where(ReviewAssignment.reviewer_id == self._id)
                             .order_by(ReviewAssignment.position, Proposal.code)).all()
            return [Assigned(p.code, p.title, p.abstract or "", tuple(p.keywords or ()), p.phase, call, i + 1)
                    for i, (p, call, _position) in enumerate(rows)]

    def rubric(self, code: str) -> Rubric:
        with self.store.session() as s:
            proposal_id = self._assigned(s, code)
            stored = s.scalar(select(Call.rubric).join(Proposal, Proposal.call_id == Call.id)
                              .where(Proposal.id == proposal_id))
        return DEFAULT_RUBRIC if stored is None else Rubric.from_json(stored)

    def my_review(self, code: str) -> MyReview | None:
        with self.store.session() as s:
            review = self._own(s, self._assigned(s, code))
            return None if review is None else self._mine(s, code, review)

    def others(self, code: str) -> list[PanelReview]:
        with self.store.session() as s:
            proposal_id = self._assigned(s, code)
            own = self._own(s, proposal_id)
            if own is None or own.state is not ReviewState.SUBMITTED:
                return []
            rows = s.scalars(select(Review).where(Review.proposal_id == proposal_id,
                                                  Review.state == ReviewState.SUBMITTED)
                             .order_by(Review.id)).all()
            labelled = [(panel_label(i), r) for i, r in enumerate(rows)]
            return [PanelReview(label, dict(r.scores or {}), r.comments or "", r.submitted_at)
                    for label, r in labelled if r.reviewer_id != self._id]

    def history(self, code: str) -> list[EarlierVersion]:
        with self.store.session() as s:
            review = self._own(s, self._assigned(s, code))
            if review is None:
                return []
            rows = s.scalars(select(ReviewVersion).where(ReviewVersion.review_id == review.id)
                             .order_by(ReviewVersion.version)).all()
            return [EarlierVersion(v.version, dict(v.scores or {}), v.comments or "", v.submitted_at,
                                   v.replaced_at, v.replaced_by, v.reason) for v in rows]

    # -- writing: each call is one transaction ---------------------------------------------------
    def save_draft(self, code: str, scores: Mapping[str, int], comments: str) -> MyReview:
        rubric = self.rubric(code)
        clean = _checked(rubric, code, scores, complete=False)
        with self.store.session() as s, s.begin():
            proposal_id = self._assigned(s, code)
            review = self._own(s, proposal_id)
            if review is not None and review.state is ReviewState.SUBMITTED:
                raise ReviewStateError(f"{code}: your review is submitted and locked; change it with a revision "
                                       "and a reason")
            if review is None:
                review = Review(proposal_id=proposal_id, reviewer_id=self._id, state=ReviewState.DRAFT)
                s.add(review)
            review.scores, review.comments, review.updated_at = clean, comments or "", utcnow()
            s.flush()
            return self._mine(s, code, review)

    def submit(self, code: str, scores: Mapping[str, int] | None = None, comments: str | None = None) -> MyReview:
        rubric = self.rubric(code)
        with self.store.session() as s, s.begin():
            proposal_id = self._assigned(s, code)
            review = self._own(s, proposal_id)
            if review is not None and review.state is ReviewState.SUBMITTED:
                raise ReviewStateError(f"{code}: your review is already submitted; change it with a revision")
            if review is None:
                review = Review(proposal_id=proposal_id, reviewer_id=self._id, scores={}, comments="")
                s.add(review)
            chosen = dict(review.scores or {}) if scores is None else dict(scores)
            review.scores = _checked(rubric, code, chosen, complete=True)
            if comments is not None:
                review.comments = comments
            now = utcnow()
            review.state, review.submitted_at, review.updated_at = ReviewState.SUBMITTED, now, now
            s.flush()
            return self._mine(s, code, review)

    def revise(self, code: str, scores: Mapping[str, int], comments: str, reason: str) -> MyReview:
        reason = check_reason(reason)
        rubric = self.rubric(code)
        clean = _checked(rubric, code, scores, complete=True)
        with self.store.session() as s, s.begin():
            review = self._own(s, self._assigned(s, code))
            if review is None or review.state is not ReviewState.SUBMITTED:
                raise ReviewStateError(f"{code}: only a submitted review is revised; a draft is simply saved")
            count = s.scalar(select(func.count()).where(ReviewVersion.review_id == review.id))
            now = utcnow()
            s.add(ReviewVersion(review_id=review.id, version=count + 1, scores=dict(review.scores or {}),
                                comments=review.comments or "", submitted_at=review.submitted_at,
                                replaced_at=now, replaced_by=self.reviewer, reason=reason))
            review.scores, review.comments = clean, comments or ""
            review.submitted_at = review.updated_at = now
            s.flush()
            return self._mine(s, code, review)

    # -- inside ----------------------------------------------------------------------------------
    def _assigned(self, s: Session, code: str) -> int:
        """The proposal's id if it is assigned to this reviewer; the same refusal whether it exists
        or not, so a reviewer cannot learn which codes exist by trying them."""
        proposal_id = s.scalar(select(Proposal.id).join(ReviewAssignment, ReviewAssignment.proposal_id == Proposal.id)
                               .where(Proposal.code == code, ReviewAssignment.reviewer_id == self._id))
        if proposal_id is None:
            raise ReviewAccessError(f"proposal {code!r} is not assigned to you")
        return proposal_id

    def _own(self, s: Session, proposal_id: int) -> Review | None:
        return s.scalar(select(Review).where(Review.proposal_id == proposal_id, Review.reviewer_id == self._id))

    @staticmethod
    def _mine(s: Session, code: str, review: Review) -> MyReview:
        earlier = s.scalar(select(func.count()).where(ReviewVersion.review_id == review.id)) if review.id else 0
        return MyReview(code, dict(review.scores or {}), review.comments or "", review.state.value,
                        review.updated_at, review.submitted_at, earlier + 1)


def _checked(rubric: Rubric, code: str, scores: Mapping[str, int], *, complete: bool) -> dict[str, int]:
    try:
        return rubric.check(scores, complete=complete)
    except RubricError as err:
        raise ReviewStateError(f"{code}: {err}") from None
