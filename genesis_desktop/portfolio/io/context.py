"""What an import knows beyond its own file: the records already stored and those in the same import.

Everything is read inside the import's own transaction, so the checks see exactly the database that
the writes will change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Connection, select

from ..schema import (
    Call, CallPhase, Challenge, Commitment, ExchangeRate, Institution, Partner, Programme, Proposal, Review, Reviewer,
)
from .problems import Problems

_KEYS = {
    "programmes": lambda: select(Programme.code, Programme.id),
    "institutions": lambda: select(Institution.code, Institution.id),
    "challenges": lambda: select(Challenge.code, Challenge.id),
    "calls": lambda: select(Call.number, Call.id),
    "partners": lambda: select(Partner.code, Partner.id),
    "commitments": lambda: select(Commitment.code, Commitment.id),
    "rates": lambda: select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.on, ExchangeRate.id),
    "proposals": lambda: select(Proposal.code, Proposal.id),
    "reviewers": lambda: select(Reviewer.email, Reviewer.id),
    "reviews": lambda: select(Proposal.code, Reviewer.email, Review.id)
    .join(Proposal, Proposal.id == Review.proposal_id).join(Reviewer, Reviewer.id == Review.reviewer_id),
}


@dataclass(frozen=True)
class PhaseRule:
    floor: int | None
    ceiling: int | None
    per_year: bool


@dataclass
class CallRule:
    """What a proposal must agree with: its call's currency and the phases' award limits."""

    currency: str | None
    phases: dict[str, PhaseRule] = field(default_factory=dict)


class Context:
    def __init__(self, conn: Connection, problems: Problems) -> None:
        self.conn = conn
        self.problems = problems
        self.imported: dict[str, set] = {}  # natural keys given by the files of this import, per kind
        self._ids: dict[str, dict] = {}
        self._calls: dict[str, CallRule] | None = None
        self.imported_calls: dict[str, CallRule] = {}
        self.deferred: list[Callable[[], None]] = []  # checks that need every file validated first
        # Who and why, for the ledger entries that keep commitments' entries in step with the totals
        # written (portfolio.ledger_sync); the record editor puts its own author and reason here.
        self.ledger_by = "import"
        self.ledger_reason = "imported from a commitments file"

    def ids(self, kind: str) -> dict:
        """Natural key -> id of the stored records of `kind` (composite keys are tuples)."""
        if kind not in self._ids:
            rows = self.conn.execute(_KEYS[kind]()).all()
            self._ids[kind] = {(r[0] if len(r) == 2 else tuple(r[:-1])): r[-1] for r in rows}
        return self._ids[kind]

    def forget(self, kind: str) -> None:
        """Stored ids changed (a kind was written): read them again when next asked."""
        self._ids.pop(kind, None)

    def known(self, kind: str) -> set:
        return self.ids(kind).keys() | self.imported.get(kind, set())

    def add_keys(self, kind: str, keys) -> None:
        self.imported.setdefault(kind, set()).update(k for k in keys if k is not None and k == k)

    def call_rules(self) -> dict[str, CallRule]:
        """Per call number: the stored rules, replaced by the import's where it brings the call."""
        if self._calls is None:
            stored: dict[str, CallRule] = {}
            for number, cur in self.conn.execute(select(Call.number, Call.currency)):
                stored[number] = CallRule(cur)
            q = select(Call.number, CallPhase.phase, CallPhase.award_floor_minor, CallPhase.award_ceiling_minor,
                       CallPhase.ceiling_per_year).join(Call, Call.id == CallPhase.call_id)
            for number, phase, floor, ceiling, per_year in self.conn.execute(q):
                stored[number].phases[phase] = PhaseRule(floor, ceiling, bool(per_year))
            self._calls = stored
        return {**self._calls, **self.imported_calls}
