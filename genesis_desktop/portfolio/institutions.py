"""Institutions: national laboratories, universities, companies, agencies and foreign institutes."""
from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_column, version_column


class InstitutionKind(enum.Enum):
    NATIONAL_LAB = "national_lab"
    UNIVERSITY = "university"
    COMPANY = "company"
    AGENCY = "agency"
    FOREIGN_INSTITUTE = "foreign_institute"
    NONPROFIT = "nonprofit"


class Institution(Base):
    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = version_column()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[InstitutionKind] = enum_column(InstitutionKind)
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    city: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (
        CheckConstraint("length(country) = 2 AND upper(country) = country", name="country_iso3166"),
    )
