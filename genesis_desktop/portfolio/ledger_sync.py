"""A commitment's ledger entries kept in step with its yearly totals (Qt-free, SQLAlchemy Core).

commitment_year holds each fiscal year's pledged, obligated and disbursed totals; commitment_entry the
dated movements that add up to them (decision_records.CommitmentEntry). The paths that write totals
directly (the demo, the commitments import, the record editor, which goes through the import) call
`sync_entries` after writing, so that every year's entries still add up to its totals. The rules for
recording one movement by hand live in genesis_desktop.decisions.ledger; here is only the arithmetic,
because the portfolio package may not import the decisions package.
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select, update

from .base import utcnow
from .decision_records import CommitmentEntry
from .partners import Commitment, CommitmentYear

KINDS = ("pledged", "obligated", "disbursed")
OPENING_REASON = "opening balance: the total recorded before the ledger"
_CHUNK = 500  # ids per IN (...), well under every database's parameter limit

_year = CommitmentYear.__table__
_entry = CommitmentEntry.__table__
_commitment = Commitment.__table__


@dataclass(frozen=True)
class Gap:
    """One year and kind of a commitment whose entries do not add up to the year's total."""

    commitment_id: int
    commitment: str  # its code
    currency: str
    fiscal_year: int
    kind: str  # pledged, obligated or disbursed
    total_minor: int  # in commitment_year (0 when the year row is gone)
    entries_minor: int  # the sum of its entries

    @property
    def missing_minor(self) -> int:
        return self.total_minor - self.entries_minor


def _chunks(ids: list[int] | None) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


def _plain(kind) -> str:
    return kind.value if isinstance(kind, enum.Enum) else str(kind)


def gaps(conn: Connection, commitment_ids: Iterable[int] | None = None) -> list[Gap]:
    """Every (commitment, fiscal year, kind) whose entries do not sum to its total, in that order;
    `commitment_ids` None means every commitment."""
    ids = None if commitment_ids is None else sorted({int(i) for i in commitment_ids})
    totals: dict[tuple[int, int, str], int] = {}
    sums: dict[tuple[int, int, str], int] = {}
    names: dict[int, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        def only(q, column):
            return q if chunk is None else q.where(column.in_(chunk))
        for cid, fy, *amounts in conn.execute(only(select(
                _year.c.commitment_id, _year.c.fiscal_year, _year.c.pledged_minor, _year.c.obligated_minor,
                _year.c.disbursed_minor), _year.c.commitment_id)):
            for kind, amount in zip(KINDS, amounts):
                totals[(cid, fy, kind)] = int(amount or 0)
        for cid, fy, kind, amount in conn.execute(only(select(
                _entry.c.commitment_id, _entry.c.fiscal_year, _entry.c.kind, func.sum(_entry.c.amount_minor))
                .group_by(_entry.c.commitment_id, _entry.c.fiscal_year, _entry.c.kind), _entry.c.commitment_id)):
            sums[(cid, fy, _plain(kind))] = int(amount or 0)
        for cid, code, currency in conn.execute(only(select(_commitment.c.id, _commitment.c.code,
                                                             _commitment.c.currency), _commitment.c.id)):
            names[cid] = (code, currency)
    found = []
    for key in sorted(totals.keys() | sums.keys(), key=lambda k: (k[0], k[1], KINDS.index(k[2]))):
        total, entries = totals.get(key, 0), sums.get(key, 0)
        if total != entries:
            code, currency = names.get(key[0], ("", ""))
            found.append(Gap(key[0], code, currency, key[1], key[2], total, entries))
    return found


def entry_day(kind: str, pledged_on: date, obligated_on: date | None, disbursed_on: date | None) -> date:
    """The day an entry that brings a total up to date is dated on: the commitment's own day for that
    kind, else the one before it (as migration 0006 dates the opening entries)."""
    if kind == "pledged":
        return pledged_on
    if kind == "obligated":
        return obligated_on or pledged_on
    return disbursed_on or obligated_on or pledged_on


def sync_entries(conn: Connection, who: str, reason: str, commitment_ids: Iterable[int] | None = None,
                 at: datetime | Callable[[date], datetime] | None = None) -> int:
    """Append one entry for each gap, so that the entries add up to the totals again; returns how many.

    The entries are dated by `entry_day` and recorded at `at`, or at `at(their day)`, or now when None
    (the demo records them at a time fixed by their day, so that it stays byte-for-byte the same)."""
    found = gaps(conn, commitment_ids)
    if not found:
        return 0
    days = {cid: (p, o, d) for cid, p, o, d in conn.execute(select(
        _commitment.c.id, _commitment.c.pledged_on, _commitment.c.obligated_on, _commitment.c.disbursed_on)
        .where(_commitment.c.id.in_(sorted({g.commitment_id for g in found}))))}
    now = utcnow()
    rows = []
    for g in found:
        if g.commitment_id not in days:  # entries of a commitment that is gone go with it (ON DELETE CASCADE)
            continue
        on = entry_day(g.kind, *days[g.commitment_id])
        stamp = at(on) if callable(at) else at or now
        rows.append({"commitment_id": g.commitment_id, "fiscal_year": g.fiscal_year, "kind": g.kind,
                     "amount_minor": g.missing_minor, "on": on, "recorded_at": stamp, "recorded_by": who,
                     "reason": reason})
    if rows:
        conn.execute(insert(_entry), rows)
    return len(rows)


def post_entry(conn: Connection, commitment_id: int, fiscal_year: int, kind: str, amount_minor: int, on: date,
               who: str, reason: str, at: datetime | None = None) -> tuple[dict[str, int], int]:
    """Append one entry and move its year's total by the same amount (creating the year row, all zeros,
    when it has none). No rule is checked here beyond the database's own CHECK constraints: the caller
    (decisions.ledger.record_entry, or the demo's fixed data) does that. Returns (new totals, entry id)."""
    where = (_year.c.commitment_id == commitment_id) & (_year.c.fiscal_year == fiscal_year)
    row = conn.execute(select(_year.c.pledged_minor, _year.c.obligated_minor, _year.c.disbursed_minor)
                       .where(where)).one_or_none()
    totals = dict(zip(KINDS, (int(v) for v in row))) if row is not None else dict.fromkeys(KINDS, 0)
    totals[kind] += amount_minor
    columns = {f"{k}_minor": v for k, v in totals.items()}
    if row is None:
        conn.execute(insert(_year).values(commitment_id=commitment_id, fiscal_year=fiscal_year, **columns))
    else:
        conn.execute(update(_year).where(where).values({f"{kind}_minor": totals[kind]}))
    entry_id = conn.execute(insert(_entry).values(
        commitment_id=commitment_id, fiscal_year=fiscal_year, kind=kind, amount_minor=amount_minor, on=on,
        recorded_at=at or utcnow(), recorded_by=who, reason=reason)).inserted_primary_key[0]
    return totals, int(entry_id)
