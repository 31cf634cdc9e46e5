"""The job tables, in SQLAlchemy Core on their own metadata (compute knows no ORM records).

They live in the portfolio's database, created by migration 0003; tests/portfolio/test_store.py
proves that the migrations produce exactly these tables. Constraint names follow the portfolio's
naming convention so that batch migrations can alter them on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON, Column, DateTime, Enum, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
)

from .jobs import JobState
from .telemetry import Kind

# The portfolio's naming convention (portfolio/base.py), repeated because compute imports nothing of
# the portfolio; tests/portfolio/test_store.py checks that the two agree.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _enum(kind, name: str) -> Enum:
    # Stored as the enum's lower-case value under a CHECK constraint, as the portfolio's enums are.
    return Enum(kind, native_enum=False, create_constraint=True, length=24,
                values_callable=lambda e: [m.value for m in e], name=name)


job = Table(
    "job", metadata,
    Column("id", Integer, primary_key=True),
    Column("kernel", String(100), nullable=False),
    Column("kernel_version", String(40), nullable=False),
    Column("spec", JSON, nullable=False),  # JobSpec.to_json()
    Column("state", _enum(JobState, "jobstate"), nullable=False),
    Column("backend", String(100), nullable=False),  # the backend that runs it
    Column("requested_backend", String(100), nullable=False),  # the one asked for
    Column("fallback_reason", Text, nullable=True),  # why `backend` is not `requested_backend`
    Column("native_id", String(200), nullable=True),  # the backend's own name for the job
    Column("owner_pid", Integer, nullable=True),  # the process whose runner drives it (local backend)
    Column("owner_host", String(255), nullable=True),
    Column("heartbeat_at", DateTime, nullable=True),
    Column("cancel_requested_at", DateTime, nullable=True),
    Column("run", Integer, nullable=False, default=0),  # 1 on the first run, +1 on each resume
    Column("last_seq", Integer, nullable=False, default=0),  # the telemetry counter, see JobStore.append
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index(None, "state"),
)

job_state_change = Table(
    "job_state_change", metadata,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("state", _enum(JobState, "jobstate"), nullable=False),
    Column("changed_at", DateTime, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

job_telemetry = Table(
    "job_telemetry", metadata,
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime, nullable=False),
    Column("kind", _enum(Kind, "telemetrykind"), nullable=False),
    Column("payload", JSON, nullable=False),
)

job_block = Table(
    "job_block", metadata,
    Column("job_id", Integer, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    Column("block", Integer, primary_key=True, autoincrement=False),
    Column("kernel_version", String(40), nullable=False),
    Column("data", LargeBinary, nullable=False),  # the block's Partial as numpy .npz bytes
    Column("run", Integer, nullable=False),  # which run computed it: resume tests read this
    Column("seconds", Float, nullable=False),  # compute time in the worker
    Column("computed_at", DateTime, nullable=False),
)
