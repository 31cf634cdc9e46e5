"""The programme row every portfolio holds, and the deterministic demo portfolio.

`build_demo` writes the programme's facts (resources/demo/*.json: laboratories, the 26 challenges,
the call DE-FOA-0003612, the MOU companies, the US-Japan commitments with their ledger entries and
co-funding agreement, dated USD/JPY rates), then `proposals` synthetic proposals with their budgets,
teams, challenges, status histories and Phase II continuations, 60 reviewers and a few reviews. Same
seed and same number of proposals give the same rows, byte for byte; everything is written in one
transaction, so a failure leaves the portfolio as it was.

The audit log starts after the demo: its generated rows are written with the audit triggers dropped,
and the triggers are put back before that transaction commits (so no other client's write can slip
through unlogged meanwhile). Logged, they made `init --demo` four times slower and its database five
times bigger (bench/bench_demo_init.py), for a history of rows no person wrote.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit_triggers
from .decision_records import CofundingAgreement
from .demo_bulk import advance_sequence, insert_columns
from .demo_continuations import link_continuations
from .demo_facts import add_facts, load
from .demo_ledger import add_ledger
from .demo_reviews import add_reviewers, add_reviews
from .demo_synth import BLOCK, Pools, proposal_block
from .institutions import Institution
from .partners import ExchangeRate, Partner
from .programme import Call, Challenge, Programme
from .proposals import Proposal
from .reviews import Reviewer
from .schema import metadata
from .store import Store

Progress = Callable[[int, int], None]

# Tables written in this order, parents first, within each block of proposals.
BLOCK_TABLES = ("proposal", "proposal_budget", "proposal_challenge", "proposal_institution", "proposal_status_change")


def ensure_programme(session: Session) -> Programme:
    """The programme row (code GENESIS), created if absent. The caller commits."""
    spec = load("programme")
    programme = session.scalars(select(Programme).where(Programme.code == spec["code"])).one_or_none()
    if programme is None:
        programme = Programme(
            code=spec["code"], name=spec["name"], description=spec["description"],
            launched_on=date.fromisoformat(spec["launched_on"]), fiscal_calendar=spec["fiscal_calendar"],
            reporting_currency=spec["reporting_currency"],
        )
        session.add(programme)
        session.flush()
    return programme


def build_demo(store: Store, proposals: int = 400, seed: int = 2026, progress: Progress | None = None) -> dict:
    """Fill an empty portfolio with the demo; returns how many rows of each kind were written.

    Raises ValueError for a negative count or seed, or when the portfolio already holds records
    other than the programme row (the demo never mixes with real data).
    """
    if isinstance(proposals, bool) or not isinstance(proposals, int) or proposals < 0:
        raise ValueError(f"number of proposals must be a whole number >= 0, got {proposals!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    written = {name: 0 for name in BLOCK_TABLES}
    with store.session() as session, session.begin():
        programme = ensure_programme(session)
        _require_empty(session)
        audit_triggers.remove(session.connection())
        facts = add_facts(session, programme)
        ledger_entries = add_ledger(session)
        pools = Pools(facts)
        reviewers = add_reviewers(session, pools, facts, seed)
        conn = session.connection()
        first_block = None
        continuations = 0
        if progress:
            progress(0, proposals)
        for block, start in enumerate(range(0, proposals, BLOCK)):
            size = min(BLOCK, proposals - start)
            tables, extras = proposal_block(pools, seed, block, start + 1, size)
            for name in BLOCK_TABLES:
                written[name] += insert_columns(conn, metadata.tables[name], tables[name])
            continuations += link_continuations(conn, tables, pools.phases[0].name, seed, block, BLOCK)
            if block == 0:
                first_block = extras
            del tables
            if progress:
                progress(start + size, proposals)
        advance_sequence(conn, metadata.tables["proposal"])
        reviews = add_reviews(session, first_block, reviewers, pools.vocab, seed)
        counts = {
            "institutions": len(facts.institution_ids), "challenges": len(facts.challenge_ids), "calls": 1,
            "partners": len(facts.partner_codes), "reviewers": len(reviewers), "reviews": reviews,
            "ledger_entries": ledger_entries, "continuations": continuations,
        }
        session.flush()
        audit_triggers.install(session.connection())
    return {"seed": seed, "proposals": written["proposal"], "proposal_budgets": written["proposal_budget"],
            "proposal_challenges": written["proposal_challenge"], "team_members": written["proposal_institution"],
            "status_changes": written["proposal_status_change"], **counts}


def _require_empty(session: Session) -> None:
    for model in (Institution, Challenge, Call, Proposal, Partner, ExchangeRate, Reviewer, CofundingAgreement):
        if session.scalar(select(func.count()).select_from(model)):
            raise ValueError(
                f"the portfolio already holds {model.__tablename__} records: the demo only fills an empty "
                "portfolio (create a new database for it)"
            )
