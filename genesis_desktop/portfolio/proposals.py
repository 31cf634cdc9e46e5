"""Proposals: who asks for how much, for which challenges, and where each one is in the workflow."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, currency_check, currency_column, enum_column, money_column, non_negative, utcnow, version_column


class ProposalStatus(enum.Enum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RECOMMENDED = "recommended"
    AWARDED = "awarded"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# Where a proposal may go next. A withdrawal is possible until an award; nothing leaves a final state.
NEXT_STATUSES: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.SUBMITTED: frozenset({ProposalStatus.UNDER_REVIEW, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN}),
    ProposalStatus.UNDER_REVIEW: frozenset({ProposalStatus.RECOMMENDED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN}),
    ProposalStatus.RECOMMENDED: frozenset({ProposalStatus.AWARDED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN}),
    ProposalStatus.AWARDED: frozenset(),
    ProposalStatus.DECLINED: frozenset(),
    ProposalStatus.WITHDRAWN: frozenset(),
}


class Proposal(Base):
    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="RESTRICT"), index=True)
    phase: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(300))
    abstract: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    lead_institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="RESTRICT"), index=True)
    principal_investigator: Mapped[str] = mapped_column(String(200))
    pi_email: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = currency_column(default="USD")
    requested_gpu_hours: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ProposalStatus] = enum_column(ProposalStatus, default=ProposalStatus.SUBMITTED, index=True)
    submitted_on: Mapped[date | None] = mapped_column(Date)
    # A Phase II proposal from a Phase I team names the Phase I proposal it continues: a selection may
    # fund it only with (or after) its Phase I.
    continues_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        currency_check("currency"),
        non_negative("requested_gpu_hours"),
        CheckConstraint("length(title) > 0", name="title_present"),
        CheckConstraint("continues_id IS NULL OR continues_id <> id", name="continues_another"),
    )

    call = relationship("Call")
    lead_institution = relationship("Institution", foreign_keys=[lead_institution_id])
    challenges: Mapped[list[ProposalChallenge]] = relationship(cascade="all, delete-orphan")
    team: Mapped[list[ProposalInstitution]] = relationship(cascade="all, delete-orphan")
    budget: Mapped[list[ProposalBudget]] = relationship(
        cascade="all, delete-orphan", order_by="ProposalBudget.fiscal_year"
    )
    history: Mapped[list[ProposalStatusChange]] = relationship(
        cascade="all, delete-orphan", order_by="ProposalStatusChange.changed_at"
    )


class ProposalChallenge(Base):
    """A challenge the proposal addresses; `is_primary` marks the one it is filed under."""

    __tablename__ = "proposal_challenge"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    is_primary: Mapped[bool] = mapped_column(default=False)


class ProposalInstitution(Base):
    """A team institution other than the lead."""

    __tablename__ = "proposal_institution"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class ProposalBudget(Base):
    """Requested money for one fiscal year, in the proposal's currency."""

    __tablename__ = "proposal_budget"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount_minor: Mapped[int] = money_column()

    __table_args__ = (non_negative("amount_minor"),)


class ProposalStatusChange(Base):
    __tablename__ = "proposal_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    status: Mapped[ProposalStatus] = enum_column(ProposalStatus)
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("proposal_id", "changed_at", "status", name="uq_status_change_once"),)
