"""The demo's commitment ledger and co-funding agreement (resources/demo/ledger.json).

Every commitment gets the opening entries of its totals; then a few later movements (an obligation,
disbursements on days with other USD/JPY rates, a correction with its reason) are posted as
decisions.ledger.record_entry would post them. They are fixed data that keep its rules (a test checks
each against them); the portfolio package may not import the decisions package to call it. Entries
are recorded at noon of their own day, never "now", so that the demo stays byte-for-byte the same.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .decision_records import CofundingAgreement, CofundingShare
from .demo_facts import day, load
from .fiscal import parse_fiscal_year
from .ledger_sync import post_entry, sync_entries
from .money import parse_amount
from .partners import Commitment


def _noon(on: date) -> datetime:
    return datetime.combine(on, time(12))


def add_ledger(session: Session) -> int:
    """Opening entries, later movements and the agreements; returns the number of entries written."""
    spec = load("ledger")
    conn = session.connection()
    session.flush()
    written = sync_entries(conn, spec["opening"]["by"], spec["opening"]["reason"], at=_noon)
    commitments = {code: (cid, ccy) for code, cid, ccy in conn.execute(
        select(Commitment.code, Commitment.id, Commitment.currency))}
    for e in spec["entries"]:
        cid, ccy = commitments[e["commitment"]]
        on = day(e["on"])
        post_entry(conn, cid, parse_fiscal_year(e["fiscal_year"]), e["kind"],
                   parse_amount(e["amount"], ccy, allow_negative=True), on, e["by"], e["reason"], at=_noon(on))
        written += 1
    for a in spec["agreements"]:
        session.add(CofundingAgreement(
            name=a["name"], currency=a["currency"], tolerance=Decimal(a["tolerance"]), signed_on=day(a["signed_on"]),
            shares=[CofundingShare(side=side, percent=Decimal(p)) for side, p in a["shares"].items()]))
    session.flush()
    return written
