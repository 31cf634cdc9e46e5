"""Reviewers and their reviews. The review issue fills in rubrics, conflicts and calibration; these
tables hold what a reviewer is and what they wrote."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
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
