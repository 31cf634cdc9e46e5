"""Reading the investments ledger (Qt-free): each commitment's fiscal years in its own currency and in a
reporting currency, the history of one commitment's entries, and the check that the entries of every
year add up to its totals. decisions.ledger re-exports all of it beside the rules for recording.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, select

from genesis_desktop.portfolio.frames_money import rate_book
from genesis_desktop.portfolio.ledger_sync import gaps
from genesis_desktop.portfolio.money import Money, RateBook, check_currency, format_amount, format_grouped
from genesis_desktop.portfolio.overview_rates import published, programme_currency
from genesis_desktop.portfolio.schema import Commitment, CommitmentEntry, CommitmentYear, Partner
from genesis_desktop.portfolio.store import Store

MEASURES = ("pledged", "obligated", "disbursed")
AT_PLEDGE = "commitments (at each pledge date)"
COLUMNS = ["partner", "partner_name", "country", "agreement", "commitment", "title", "state", "currency",
           "fiscal_calendar", "fiscal_year", "pledged_on", *[f"{m}_minor" for m in MEASURES], "reporting_currency",
           *[f"{m}_reporting_minor" for m in MEASURES], "rate", "rate_on", "rate_value"]


class LedgerError(ValueError):
    """A ledger request refused or impossible: names the commitment, fiscal year, field and value
    concerned (where there is one) and the rule, in words a person can act on."""

    def __init__(self, rule: str, *, commitment: str | None = None, fiscal_year: int | None = None,
                 field: str = "", value: object = "") -> None:
        self.rule, self.commitment, self.fiscal_year = rule, commitment, fiscal_year
        self.field, self.value = field, value
        where = ", ".join(p for p in (f"commitment {commitment}" if commitment else "",
                                      f"FY{fiscal_year}" if fiscal_year is not None else "") if p)
        what = f"{field} {str(value)!r}" if field else ""
        super().__init__(": ".join(p for p in (where, what, rule) if p))


def state_text(state) -> str:
    return getattr(state, "value", state)


def _partner_id(conn: Connection, code: str) -> int:
    found = conn.scalar(select(Partner.id).where(Partner.code == code))
    if found is None:
        raise LedgerError("no such partner", field="partner", value=code)
    return found


def reporting_of(conn: Connection, reporting_currency: str | None) -> str:
    return check_currency(reporting_currency) if reporting_currency else programme_currency(conn)


def rate_fields(book: RateBook, ccy: str, reporting: str, on: date) -> tuple[Decimal, str, date | None, Decimal | None]:
    """(the rate that converts, its text, day and value as published), or identity for one currency."""
    r = book.rate(ccy, reporting, on)  # MoneyError names the pair and day when there is none
    if ccy == reporting:
        return r.value, "", None, None
    shown = published(book, r, AT_PLEDGE)
    return r.value, shown.text(), shown.on, shown.value


def ledger(store: Store, partner_code: str | None = None, reporting_currency: str | None = None) -> pd.DataFrame:
    """One row per partner, commitment and fiscal year (columns COLUMNS): the three totals in exact minor
    units of the commitment's currency and of the reporting currency (default: the programme's), each
    converted at the rate of the commitment's pledge day (the latest on or before it), named in
    `rate` ("1 USD = 146.5 JPY (2026-06-01)"; "" when no conversion was needed). Cancelled commitments
    are listed with their state, so that the ledger shows all that was recorded."""
    with store.engine.connect() as conn:
        reporting = reporting_of(conn, reporting_currency)
        book = rate_book(conn)
        q = (select(Partner.code, Partner.name, Partner.country, Partner.agreement, Commitment.code, Commitment.title,
                    Commitment.state, Commitment.currency, Partner.fiscal_calendar, CommitmentYear.fiscal_year,
                    Commitment.pledged_on, CommitmentYear.pledged_minor, CommitmentYear.obligated_minor,
                    CommitmentYear.disbursed_minor)
             .join(Commitment, Commitment.partner_id == Partner.id)
             .join(CommitmentYear, CommitmentYear.commitment_id == Commitment.id)
             .order_by(Partner.code, Commitment.code, CommitmentYear.fiscal_year))
        if partner_code is not None:
            q = q.where(Partner.id == _partner_id(conn, partner_code))
        rows = conn.execute(q).all()
    out = []
    for (partner, name, country, agreement, code, title, state, ccy, calendar, fy, pledged_on,
         *amounts) in rows:
        value, text, on, shown = rate_fields(book, ccy, reporting, pledged_on)
        converted = [Money(int(a), ccy).convert(value, reporting).minor for a in amounts]
        out.append([partner, name, country, agreement, code, title, state_text(state), ccy, calendar, fy, pledged_on,
                    *[int(a) for a in amounts], reporting, *converted, text, on, shown])
    frame = pd.DataFrame(out, columns=COLUMNS)
    return frame.astype({c: "int64" for c in COLUMNS if c.endswith("_minor")} | {"fiscal_year": "int64"})


def history(store: Store, commitment_code: str) -> list[dict]:
    """The commitment's entries in the order they were recorded: who recorded each, when, why, the day
    it fixes its rate on, and the year's total of that kind after it (`balance_minor`). JSON-ready."""
    e = CommitmentEntry
    with store.engine.connect() as conn:
        found = conn.execute(select(Commitment.id, Commitment.currency)
                             .where(Commitment.code == commitment_code)).one_or_none()
        if found is None:
            raise LedgerError("no such commitment", commitment=commitment_code)
        cid, ccy = found
        rows = conn.execute(select(e.id, e.fiscal_year, e.kind, e.amount_minor, e.on, e.recorded_at, e.recorded_by,
                                   e.reason).where(e.commitment_id == cid).order_by(e.id)).all()
    balance: dict[tuple[int, str], int] = {}
    out = []
    for eid, fy, kind, amount, on, at, by, reason in rows:
        kind = state_text(kind)
        balance[(fy, kind)] = balance.get((fy, kind), 0) + int(amount)
        out.append({"id": eid, "commitment": commitment_code, "currency": ccy, "fiscal_year": fy, "kind": kind,
                    "amount_minor": int(amount), "amount": format_amount(int(amount), ccy), "on": on.isoformat(),
                    "recorded_at": at.isoformat(sep=" ", timespec="seconds"), "recorded_by": by, "reason": reason,
                    "balance_minor": balance[(fy, kind)]})
    return out


def check_ledger(store: Store) -> list[str]:
    """Every year and kind whose entries do not add up to its total, in words ([] when all do)."""
    with store.engine.connect() as conn:
        found = gaps(conn)
    return [f"commitment {g.commitment}, FY{g.fiscal_year}, {g.kind}: the entries add up to "
            f"{format_grouped(g.entries_minor, g.currency)} {g.currency} but the year's total is "
            f"{format_grouped(g.total_minor, g.currency)} {g.currency}" for g in found]
