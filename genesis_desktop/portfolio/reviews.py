"""Reviewers, their reviews and what surrounds them: assignments, bids, conflicts of interest and
their waivers, and the earlier versions of a submitted review. The rules live in genesis_desktop.review;
these tables hold the records."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow


class ReviewState(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Reviewer(Base):
    __tablename__ = "reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id", ondelete="RESTRICT"), index=True)
    expertise: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Partner codes the reviewer is tied to (employer, board seat, funding): a source of conflicts.
    partner_ties: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Recent co-authors and collaborators (names or e-mails) the reviewer listed: a source of conflicts.
    collaborators: Mapped[list[str]] = mapped_column(JSON, default=list)

    institution = relationship("Institution")


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="RESTRICT"), index=True)
    # criterion -> whole-number score on the call's rubric scale
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ReviewState] = enum_column(ReviewState, default=ReviewState.DRAFT)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("proposal_id", "reviewer_id", name="uq_review_one_per_reviewer"),)

    proposal = relationship("Proposal")
    reviewer = relationship("Reviewer")


class ReviewVersion(Base):
    """A submitted review as it was before a later change; the change's reason is kept with it."""

    __tablename__ = "review_version"

    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replaced_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_present"),)


class ReviewAssignment(Base):
    """A proposal given to a reviewer; `position` is the reviewer's own randomised reading order."""

    __tablename__ = "review_assignment"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="RESTRICT"), primary_key=True,
                                             index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(200), default="")


class ReviewBid(Base):
    """How much a reviewer wants a proposal: -1 not willing, 0 neutral, 1 willing, 2 eager."""

    __tablename__ = "review_bid"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    bid: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("bid BETWEEN -1 AND 2", name="bid_in_range"),)


class ReviewConflict(Base):
    """A conflict of interest, found from the records (declared_by NULL) or declared by someone."""

    __tablename__ = "review_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("proposal_id", "reviewer_id", "kind", name="uq_conflict_once_per_kind"),
        CheckConstraint("kind IN ('institution', 'coauthor', 'partner', 'personal', 'other')", name="known_kind"),
    )


class ConflictWaiver(Base):
    """Permission to assign despite a conflict: a written reason, who granted it and when."""

    __tablename__ = "conflict_waiver"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("length(reason) >= 20", name="reason_written"),)


class ReviewPacket(Base):
    """A reviewer's offline review packet as it was issued (genesis_desktop.review.packets): to whom, by
    whom and when, the SHA-256 digest of what was issued (so an altered packet is refused on import),
    the reviews it left with, and when and by whom it was last imported."""

    __tablename__ = "review_packet"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a random UUID, written in the file
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewer.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(80))  # "sha256:" + 64 hex digits
    # The reviewer's reviews as the portfolio and the packet last agreed on them (at issue, then after
    # each import), code -> review as the packet holds it: the base of a three-way comparison on import.
    synced: Mapped[dict] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)
    imported_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("length(issued_by) > 0", name="issuer_named"),
        CheckConstraint("(imported_at IS NULL) = (imported_by IS NULL)", name="import_recorded_whole"),
    )
