"""Who signs in: a database login role mapped to a person and the kind of work they do.

On PostgreSQL each person signs in as their own login role, a member of one of four group roles
(genesis_administrator, genesis_officer, genesis_reviewer, genesis_analyst) whose grants and row
policies decide what they may read and write (access_grants.py). This table says which reviewer a
reviewer's login is, so that the row policies can find "my assignments" and "my reviews". On SQLite
there are no logins (whoever may open the file owns it); the table exists there too so that a
portfolio copies between the two engines whole.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_column, utcnow


class Role(enum.Enum):
    """What a person may do, most powerful first (access.role_of picks the first that applies)."""

    ADMINISTRATOR = "administrator"  # everything, including accounts
    OFFICER = "officer"  # records, reviews, scenarios and jobs; not accounts
    ANALYST = "analyst"  # reads everything, writes nothing
    REVIEWER = "reviewer"  # their assigned proposals and their own reviews only

    @property
    def group(self) -> str:
        """The PostgreSQL group role that carries this role's grants."""
        return GROUP_PREFIX + self.value


GROUP_PREFIX = "genesis_"


class Account(Base):
    __tablename__ = "account"

    # A PostgreSQL role name as the server stores it (lower case, at most 63 bytes).
    role_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    kind: Mapped[Role] = enum_column(Role)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewer.id", ondelete="RESTRICT"), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(63), default="")

    __table_args__ = (
        # A reviewer's login is one reviewer; nobody else's is: the row policies key on this link.
        CheckConstraint("(kind = 'reviewer') = (reviewer_id IS NOT NULL)", name="reviewer_linked"),
    )
