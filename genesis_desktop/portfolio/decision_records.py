"""The records behind portfolio decisions: saved selection scenarios, the partners' money as a ledger of
dated entries with their reasons, and the co-funding agreements that say who pays which share.

The rules that use them live in genesis_desktop.decisions; here are only the tables and the
constraints that any client must respect.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, currency_check, currency_column, enum_column, money_column, utcnow


class Scenario(Base):
    """A named what-if for one call: its spec (budgets per fiscal year, coverage, caps, continuation
    reserve, forced choices, exchange-rate assumptions, objective; decisions.scenarios.ScenarioSpec as
    JSON) and, once solved, its result (the chosen proposals, value, money by year; risk when run)."""

    __tablename__ = "scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    spec: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_present"),
        CheckConstraint("(result IS NULL) = (solved_at IS NULL)", name="result_dated"),
    )

    call = relationship("Call")


class EntryKind(enum.Enum):
    PLEDGED = "pledged"
    OBLIGATED = "obligated"
    DISBURSED = "disbursed"


class CommitmentEntry(Base):
    """One movement of a commitment's money in one of its fiscal years: `amount_minor` (signed, in the
    commitment's currency) added to that year's pledged, obligated or disbursed total on `on`, the day
    that also fixes its exchange rate. The sum of a year's entries of a kind is the year's total in
    commitment_year; an entry is never changed or removed, a correction is a new entry with its reason.
    """

    __tablename__ = "commitment_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[EntryKind] = enum_column(EntryKind)
    amount_minor: Mapped[int] = money_column()
    on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_moves"),
        CheckConstraint("length(recorded_by) > 0", name="recorder_named"),
    )


class CofundingAgreement(Base):
    """Partners who share a programme's cost in agreed shares (the US and Japan at 50/50). Its partners
    are those whose `agreement` is this agreement's name; `tolerance` is the share, in percentage
    points, by which the recorded money may drift from the agreed split before it is flagged."""

    __tablename__ = "cofunding_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    currency: Mapped[str] = currency_column(default="USD")  # the currency the shares are compared in
    tolerance: Mapped[object] = mapped_column(Numeric(6, 3, asdecimal=True), default=1)
    signed_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (currency_check("currency"), CheckConstraint("tolerance >= 0", name="tolerance_non_negative"))

    shares: Mapped[list[CofundingShare]] = relationship(cascade="all, delete-orphan", order_by="CofundingShare.side")


class CofundingShare(Base):
    """One side of an agreement: the partners of that country pay `percent` of the agreement's money."""

    __tablename__ = "cofunding_share"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("cofunding_agreement.id", ondelete="CASCADE"),
                                              primary_key=True)
    side: Mapped[str] = mapped_column(String(2), primary_key=True)  # ISO 3166-1 alpha-2 of the partners
    percent: Mapped[object] = mapped_column(Numeric(7, 4, asdecimal=True))

    __table_args__ = (
        CheckConstraint("percent > 0 AND percent <= 100", name="percent_in_range"),
        CheckConstraint("length(side) = 2 AND upper(side) = side", name="side_iso3166"),
    )
