"""The declarative base shared by every record, and column helpers used across the schema."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import BigInteger, CheckConstraint, Enum, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Named constraints, so that migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def enum_column(kind: type[enum.Enum], **kw):
    """A string column limited to the enum's values by a CHECK constraint (portable, readable)."""
    return mapped_column(
        Enum(kind, native_enum=False, create_constraint=True, length=24,
             values_callable=lambda e: [m.value for m in e], name=kind.__name__.lower()),
        **kw,
    )


def currency_column(**kw):
    return mapped_column(String(3), **kw)


def money_column(**kw):
    """Integer minor units of the row's currency column."""
    return mapped_column(BigInteger, **kw)


def currency_check(column: str) -> CheckConstraint:
    # Shape only; the code list lives in money.CURRENCY_DIGITS and is checked on every write path.
    return CheckConstraint(f"length({column}) = 3 AND upper({column}) = {column}", name=f"{column}_iso4217")


def non_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def version_column():
    """The record's change counter for optimistic locking (portfolio/versions.py): every write of the
    record raises it, so an editor that read an older value is refused instead of overwriting."""
    return mapped_column(Integer, nullable=False, default=1, server_default="1")
