"""Partners who co-invest, their commitments per fiscal year, and dated exchange rates."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, currency_check, currency_column, enum_column, money_column, non_negative, version_column


class PartnerKind(enum.Enum):
    COUNTRY = "country"
    AGENCY = "agency"
    COMPANY = "company"
    NATIONAL_LAB = "national_lab"
    CONSORTIUM = "consortium"


class CommitmentState(enum.Enum):
    PLEDGED = "pledged"
    OBLIGATED = "obligated"
    DISBURSED = "disbursed"
    CANCELLED = "cancelled"


class Partner(Base):
    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = enum_column(PartnerKind)
    country: Mapped[str] = mapped_column(String(2))
    # The partner's own fiscal calendar (US, JP or CAL); its commitments are scheduled in it.
    fiscal_calendar: Mapped[str] = mapped_column(String(3), default="US")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id", ondelete="SET NULL"))
    agreement: Mapped[str] = mapped_column(String(200), default="")  # e.g. "MOU 2025-12-18"

    __table_args__ = (
        CheckConstraint("length(country) = 2 AND upper(country) = country", name="country_iso3166"),
        CheckConstraint("fiscal_calendar IN ('US', 'JP', 'CAL')", name="known_calendar"),
    )

    commitments: Mapped[list[Commitment]] = relationship(back_populates="partner")


class Commitment(Base):
    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = currency_column()
    state: Mapped[CommitmentState] = enum_column(CommitmentState, default=CommitmentState.PLEDGED)
    # Areas (quantum, fusion, ...) or challenge codes that the money is for.
    funds: Mapped[list[str]] = mapped_column(JSON, default=list)
    pledged_on: Mapped[date] = mapped_column(Date)
    obligated_on: Mapped[date | None] = mapped_column(Date)
    disbursed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        currency_check("currency"),
        CheckConstraint("obligated_on IS NULL OR obligated_on >= pledged_on", name="obligated_after_pledge"),
        CheckConstraint("disbursed_on IS NULL OR obligated_on IS NOT NULL", name="disbursed_after_obligated"),
    )

    partner: Mapped[Partner] = relationship(back_populates="commitments")
    years: Mapped[list[CommitmentYear]] = relationship(
        cascade="all, delete-orphan", order_by="CommitmentYear.fiscal_year"
    )


class CommitmentYear(Base):
    """One fiscal year of a commitment (in the partner's calendar): pledged >= obligated >= disbursed."""

    __tablename__ = "commitment_year"

    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    pledged_minor: Mapped[int] = money_column()
    obligated_minor: Mapped[int] = money_column(default=0)
    disbursed_minor: Mapped[int] = money_column(default=0)

    __table_args__ = (
        non_negative("disbursed_minor"),
        CheckConstraint("obligated_minor <= pledged_minor", name="obligated_within_pledge"),
        CheckConstraint("disbursed_minor <= obligated_minor", name="disbursed_within_obligation"),
    )


class ExchangeRate(Base):
    """One `base` buys `rate` of `quote` on `on`, as published by `source`."""

    __tablename__ = "exchange_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = currency_column()
    quote: Mapped[str] = currency_column()
    on: Mapped[date] = mapped_column(Date)
    rate: Mapped[object] = mapped_column(Numeric(20, 10, asdecimal=True))
    source: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        UniqueConstraint("base", "quote", "on", name="uq_exchange_rate_pair_day"),
        currency_check("base"),
        currency_check("quote"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("base <> quote", name="distinct_pair"),
    )
