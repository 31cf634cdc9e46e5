"""Jobs in the database: records, state changes, telemetry and block results, with SQLAlchemy Core.

Every write is one short transaction. Telemetry numbers come from a counter on the job row
(`job.last_seq`): an append first bumps it with an UPDATE, which takes the row's write lock
(PostgreSQL) or the database's (SQLite), then reads it back and inserts its events under those
numbers, all in one transaction. Concurrent appenders, threads or processes, are thus serialised
per job, the numbers have no gaps (a rolled-back append rolls its numbers back too), and the
(job_id, seq) primary key would refuse a duplicate anyway.
"""
from __future__ import annotations

import io
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update


from . import telemetry
from .errors import PermanentError
from .jobs import JobSpec, JobState, can_move
from .kernel import Partial
from .tables import job, job_block, job_state_change, job_telemetry, metadata


def utcnow() -> datetime:
    """UTC without a zone, as every time in the database is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


class UnknownJob(PermanentError):
    """No job has this id in this database."""


@dataclass(frozen=True)
class JobRecord:
    id: int
    spec: JobSpec
    state: JobState
    backend: str
    requested_backend: str
    fallback_reason: str | None
    native_id: str | None
    owner_pid: int | None
    owner_host: str | None
    heartbeat_at: datetime | None
    cancel_requested_at: datetime | None
    run: int
    last_seq: int
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    blocks_done: int

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data.update(spec=self.spec.to_json(), state=self.state.value)
        for name in ("heartbeat_at", "cancel_requested_at", "created_at", "updated_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


@dataclass(frozen=True)
class StateChange:
    state: JobState
    changed_at: datetime
    note: str


@dataclass(frozen=True)
class Block:
    """One saved block result, for the engine (`partial`) and for people and tests (`run`)."""

    block: int
    partial: Partial
    run: int
    seconds: float


class JobStore:
    """The job tables of one database. Thread-safe: writes from this process take one lock, so that
    threads queue here rather than in SQLite's busy handler."""

    def __init__(self, engine: Engine, *, owns_engine: bool = False):
        self.engine = engine
        self._owns_engine = owns_engine
        self._write_lock = threading.Lock()

    @classmethod
    def standalone(cls, url: str) -> "JobStore":
        """A job store of its own (a plugin's tests, the conformance suite): the job tables created in an
        empty database. The desktop and the CLI instead use the portfolio's database, whose migrations
        (owned by the portfolio store) create the same tables."""
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_foreign_keys)
        metadata.create_all(engine)
        return cls(engine, owns_engine=True)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> "JobStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- jobs and their states ------------------------------------------------------------------

    def create_job(self, spec: JobSpec, *, backend: str, requested_backend: str | None = None,
                   fallback_reason: str | None = None) -> int:
        now = utcnow()
        with self._writing() as conn:
            job_id = conn.execute(insert(job).values(
                kernel=spec.kernel, kernel_version=spec.kernel_version, spec=spec.to_json(), state=JobState.NEW,
                backend=backend, requested_backend=requested_backend or backend, fallback_reason=fallback_reason,
                run=0, last_seq=0, created_at=now, updated_at=now)).inserted_primary_key[0]
            conn.execute(insert(job_state_change).values(job_id=job_id, state=JobState.NEW, changed_at=now, note=""))
            events = [telemetry.state(JobState.NEW.value)]
            if fallback_reason:
                events.append(telemetry.log(f"running on {backend}, not {requested_backend}: {fallback_reason}",
                                            "warning"))
            _append(conn, job_id, events, now)
        return job_id

    def transition(self, job_id: int, new: JobState, note: str = "", **columns: Any) -> bool:
        """Move the job to `new` if the state machine allows it from where the job is now, setting
        `columns` in the same UPDATE. False if the job was elsewhere (someone else moved it first)."""
        now = utcnow()
        allowed_from = [old for old in JobState if can_move(old, new)]
        with self._writing() as conn:
            moved = conn.execute(update(job).where(job.c.id == job_id, job.c.state.in_(allowed_from))
                                 .values(state=new, updated_at=now, **columns)).rowcount
            if not moved:
                self._must_exist(conn, job_id)
                return False
            conn.execute(insert(job_state_change).values(job_id=job_id, state=new, changed_at=now, note=note))
            _append(conn, job_id, [telemetry.state(new.value, note)], now)
        return True

    def set_fields(self, job_id: int, **columns: Any) -> None:
        with self._writing() as conn:
            if not conn.execute(update(job).where(job.c.id == job_id).values(updated_at=utcnow(), **columns)).rowcount:
                raise UnknownJob(f"job {job_id}: no such job")

    def request_cancel(self, job_id: int, by: str) -> None:
        """Record a cancel request; the job's runner (in whatever process) sees it on its next tick."""
        now = utcnow()
        with self._writing() as conn:
            conn.execute(update(job).where(job.c.id == job_id, job.c.cancel_requested_at.is_(None))
                         .values(cancel_requested_at=now))
            _append(conn, job_id, [telemetry.log(f"cancel requested by {by}")], now)

    def cancel_requested(self, job_id: int) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(job.c.cancel_requested_at).where(job.c.id == job_id)).scalar() is not None

    def heartbeat(self, job_id: int, events: Sequence[telemetry.NewEvent] = ()) -> None:
        """The job's owner is alive: stamp the job and append `events` (resource use) and a heartbeat."""
        now = utcnow()
        with self._writing() as conn:
            conn.execute(update(job).where(job.c.id == job_id).values(heartbeat_at=now))
            _append(conn, job_id, [*events, telemetry.heartbeat()], now)

    def get(self, job_id: int) -> JobRecord:
        with self.engine.connect() as conn:
            row = conn.execute(_records().where(job.c.id == job_id)).one_or_none()
        if row is None:
            raise UnknownJob(f"job {job_id}: no such job in this database")
        return _record(row)

    def jobs(self, *, limit: int | None = None, states: Iterable[JobState] | None = None,
             kernel: str | None = None) -> list[JobRecord]:
        """Newest first; only those in `states` and of `kernel` when given."""
        stmt = _records().order_by(job.c.id.desc()).limit(limit)
        if states is not None:
            stmt = stmt.where(job.c.state.in_(list(states)))
        if kernel is not None:
            stmt = stmt.where(job.c.kernel == kernel)
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(stmt)]

    def history(self, job_id: int) -> list[StateChange]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(job_state_change.c.state, job_state_change.c.changed_at, job_state_change.c.note)
                                .where(job_state_change.c.job_id == job_id).order_by(job_state_change.c.id))
            return [StateChange(*r) for r in rows]

    # -- telemetry ------------------------------------------------------------------------------

    def append(self, job_id: int, events: Sequence[telemetry.NewEvent]) -> int:
        """Number and store `events` after the job's last ones; returns the last number given."""
        with self._writing() as conn:
            return _append(conn, job_id, events, utcnow())

    def telemetry(self, job_id: int, since_seq: int = 0, limit: int | None = None) -> list[telemetry.Event]:
        """The job's events numbered after `since_seq` (0: from the start), in order."""
        stmt = (select(job_telemetry).where(job_telemetry.c.job_id == job_id, job_telemetry.c.seq > since_seq)
                .order_by(job_telemetry.c.seq).limit(limit))
        with self.engine.connect() as conn:
            return [telemetry.Event(r.job_id, r.seq, r.at, r.kind, r.payload) for r in conn.execute(stmt)]

    # -- block results --------------------------------------------------------------------------

    def save_blocks(self, job_id: int, blocks: Sequence[Block], kernel_version: str) -> None:
        """Save finished blocks (replacing any earlier result of the same block) in one transaction."""
        if not blocks:
            return
        now = utcnow()
        rows = [{"job_id": job_id, "block": b.block, "kernel_version": kernel_version, "run": b.run,
                 "data": encode_partial(b.partial), "seconds": b.seconds, "computed_at": now} for b in blocks]
        with self._writing() as conn:
            conn.execute(delete(job_block).where(job_block.c.job_id == job_id,
                                                 job_block.c.block.in_([b.block for b in blocks])))
            conn.execute(insert(job_block), rows)

    def blocks(self, job_id: int, kernel_version: str | None = None) -> dict[int, Block]:
        """Saved block results by block number; with `kernel_version`, only those it computed."""
        stmt = select(job_block).where(job_block.c.job_id == job_id).order_by(job_block.c.block)
        if kernel_version is not None:
            stmt = stmt.where(job_block.c.kernel_version == kernel_version)
        with self.engine.connect() as conn:
            return {r.block: Block(r.block, decode_partial(r.data), r.run, r.seconds) for r in conn.execute(stmt)}

    # -- helpers --------------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    @staticmethod
    def _must_exist(conn: Connection, job_id: int) -> None:
        if conn.execute(select(job.c.id).where(job.c.id == job_id)).first() is None:
            raise UnknownJob(f"job {job_id}: no such job in this database")


def _append(conn: Connection, job_id: int, events: Sequence[telemetry.NewEvent], now: datetime) -> int:
    # The UPDATE comes first so that the transaction holds the write lock before it reads the counter.
    if not conn.execute(update(job).where(job.c.id == job_id).values(last_seq=job.c.last_seq + len(events))).rowcount:
        raise UnknownJob(f"job {job_id}: no such job in this database")
    last = conn.execute(select(job.c.last_seq).where(job.c.id == job_id)).scalar_one()
    if events:
        first = last - len(events) + 1
        conn.execute(insert(job_telemetry), [
            {"job_id": job_id, "seq": first + i, "at": now, "kind": e.kind, "payload": dict(e.payload)}
            for i, e in enumerate(events)])
    return last


def _records():
    done = (select(func.count()).select_from(job_block).where(job_block.c.job_id == job.c.id)
            .scalar_subquery().label("blocks_done"))
    return select(job, done)


def _record(row) -> JobRecord:
    m = row._mapping
    fields = {name: m[name] for name in JobRecord.__dataclass_fields__ if name != "spec"}
    return JobRecord(spec=JobSpec.from_json(m["spec"]), **fields)


def encode_partial(partial: Partial) -> bytes:
    """A block's arrays as .npz bytes: plain numeric arrays only, so loading never unpickles."""
    for name, value in partial.items():
        if not isinstance(value, np.ndarray) or value.dtype.hasobject:
            raise TypeError(f"partial {name!r}: {type(value).__name__} must be a numpy array of numbers")
    buf = io.BytesIO()
    np.savez(buf, **partial)
    return buf.getvalue()


def decode_partial(data: bytes) -> Partial:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
