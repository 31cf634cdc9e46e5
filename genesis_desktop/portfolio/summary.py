"""What a portfolio holds, in numbers: the data behind `genesis summary --json`.

Everything is computed by SQL aggregates, so it stays quick at a million proposals. Money totals
are exact decimal strings in major units, one per currency (never added across currencies: that
would need a rate and a date). Cancelled commitments are counted but left out of the money totals.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from .institutions import Institution
from .money import format_amount
from .partners import Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner
from .programme import Call, CallPhase, Challenge, Programme
from .proposals import Proposal, ProposalBudget, ProposalStatus
from .reviews import Review, Reviewer
from .access import readable_tables
from .store import Store, current_revision

COUNTED = {
    "programmes": Programme, "institutions": Institution, "challenges": Challenge, "calls": Call,
    "call_phases": CallPhase, "proposals": Proposal, "partners": Partner, "commitments": Commitment,
    "exchange_rates": ExchangeRate, "reviewers": Reviewer, "reviews": Review,
}


def summary(store: Store) -> dict[str, Any]:
    """Schema revision, record counts, proposals by status and money totals (JSON-ready, keys sorted).

    Shape::

        {"schema_revision": "0002",
         "counts": {"calls": 1, ...},
         "proposals_by_status": {"awarded": 39, ...},           # every status, zeros included
         "money": {"call_budgets": {"USD": "293760000.00"},
                   "requested": {"USD": "..."},                   # all proposals' budgets
                   "requested_by_status": {"awarded": {"USD": "..."}, ...},
                   "commitments": {"pledged": {"JPY": "...", "USD": "..."}, "obligated": {...},
                                   "disbursed": {...}}},
         "not_readable": ["commitments", ...]}   # only for a login whose role may not read them

    Counts and money cover what the login may read: all of it, except for a reviewer on a shared server.
    """
    revision = current_revision(store.engine)
    with store.engine.connect() as conn:
        # On a shared server a login sees what its role may read (access_grants.py): a reviewer's summary
        # counts their assigned proposals, and names what it could not read instead of failing on it.
        readable = readable_tables(conn, {m.__tablename__ for m in COUNTED.values()} | {"proposal_budget",
                                                                                        "commitment_year"})
        counted = {name: model for name, model in COUNTED.items() if model.__tablename__ in readable}
        counts = {name: conn.scalar(select(func.count()).select_from(model)) for name, model in counted.items()}
        by_status = {s.value: 0 for s in ProposalStatus}
        for status, n in conn.execute(select(Proposal.status, func.count()).group_by(Proposal.status)):
            by_status[_value(status)] = n
        money = {
            "call_budgets": _totals(conn.execute(
                select(Call.currency, func.sum(Call.total_budget_minor)).group_by(Call.currency))),
            **_requested(conn),
        }
        if {"commitment", "commitment_year"} <= readable:
            money["commitments"] = _commitments(conn)
    data = {"schema_revision": revision, "counts": counts, "proposals_by_status": by_status, "money": money}
    if counted.keys() != COUNTED.keys():
        data["not_readable"] = sorted(COUNTED.keys() - counted.keys())
    return _sorted(data)


def _value(status: Any) -> str:
    return status.value if isinstance(status, ProposalStatus) else str(status)


def _totals(rows) -> dict[str, str]:
    sums: dict[str, int] = {}
    for currency, minor in rows:
        sums[currency] = sums.get(currency, 0) + int(minor or 0)
    return {ccy: format_amount(minor, ccy) for ccy, minor in sums.items()}


def _requested(conn: Connection) -> dict[str, Any]:
    rows = conn.execute(
        select(Proposal.status, Proposal.currency, func.sum(ProposalBudget.amount_minor))
        .select_from(ProposalBudget).join(Proposal, Proposal.id == ProposalBudget.proposal_id)
        .group_by(Proposal.status, Proposal.currency)
    ).all()
    by_status: dict[str, list] = {s.value: [] for s in ProposalStatus}
    for status, currency, minor in rows:
        by_status[_value(status)].append((currency, minor))
    return {
        "requested": _totals((currency, minor) for _, currency, minor in rows),
        "requested_by_status": {status: _totals(r) for status, r in by_status.items()},
    }


def _commitments(conn: Connection) -> dict[str, dict[str, str]]:
    rows = conn.execute(
        select(Commitment.currency, func.sum(CommitmentYear.pledged_minor), func.sum(CommitmentYear.obligated_minor),
               func.sum(CommitmentYear.disbursed_minor))
        .join(CommitmentYear, CommitmentYear.commitment_id == Commitment.id)
        .where(Commitment.state != CommitmentState.CANCELLED)
        .group_by(Commitment.currency)
    ).all()
    return {
        kind: _totals((r[0], r[i]) for r in rows)
        for i, kind in enumerate(("pledged", "obligated", "disbursed"), start=1)
    }


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    return value
