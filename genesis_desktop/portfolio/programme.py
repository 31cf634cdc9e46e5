"""The programme, its science challenges, and its calls for proposals with their phases."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, currency_check, currency_column, enum_column, money_column, non_negative, version_column


class ChallengeStatus(enum.Enum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Programme(Base):
    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    launched_on: Mapped[date | None] = mapped_column(Date)
    fiscal_calendar: Mapped[str] = mapped_column(String(3), default="US")
    reporting_currency: Mapped[str] = currency_column(default="USD")

    __table_args__ = (currency_check("reporting_currency"),)

    challenges: Mapped[list[Challenge]] = relationship(back_populates="programme")
    calls: Mapped[list[Call]] = relationship(back_populates="programme")


class Challenge(Base):
    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    area: Mapped[str] = mapped_column(String(80), index=True)
    lead_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    target_outcomes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ChallengeStatus] = enum_column(ChallengeStatus, default=ChallengeStatus.ACTIVE)
    # False for the demo's stand-ins where the real title was not published: never shown as official.
    official: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (CheckConstraint("length(code) > 0 AND length(title) > 0", name="code_title_present"),)

    programme: Mapped[Programme] = relationship(back_populates="challenges")
    lead_institution = relationship("Institution")


class Call(Base):
    """A funding opportunity, such as DE-FOA-0003612."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = currency_column(default="USD")
    total_budget_minor: Mapped[int] = money_column()
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    topic_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    # The call's rubric as review.rubric.Rubric.to_json(); None: the programme's default rubric.
    rubric: Mapped[dict | None] = mapped_column(JSON)

    __table_args__ = (
        currency_check("currency"),
        non_negative("total_budget_minor"),
        CheckConstraint("closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on", name="dates_in_order"),
    )

    programme: Mapped[Programme] = relationship(back_populates="calls")
    phases: Mapped[list[CallPhase]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallPhase.phase"
    )


class CallPhase(Base):
    """Phase I (small teams) or Phase II (large teams) of a call, with its award rules."""

    __tablename__ = "call_phase"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(8))  # "I", "II"
    award_floor_minor: Mapped[int] = money_column()
    award_ceiling_minor: Mapped[int] = money_column()
    # Phase II ceilings are per year of the award; Phase I ceilings cover the whole award.
    ceiling_per_year: Mapped[bool] = mapped_column(default=False)
    duration_months: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date | None] = mapped_column(Date)
    budget_period_start: Mapped[date | None] = mapped_column(Date)
    budget_period_end: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("call_id", "phase", name="uq_call_phase_call_phase"),
        non_negative("award_floor_minor"),
        CheckConstraint("award_ceiling_minor >= award_floor_minor", name="ceiling_above_floor"),
        CheckConstraint("duration_months > 0", name="duration_positive"),
    )

    call: Mapped[Call] = relationship(back_populates="phases")
