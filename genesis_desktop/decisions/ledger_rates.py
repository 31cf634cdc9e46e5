"""What the exchange rate did to the money disbursed (Qt-free).

A commitment is valued at the rate of its pledge day; each disbursement is paid at the rate of its own
day. For every disbursement entry this gives both values in the reporting currency and the difference
(at its own day minus at the pledge day: negative when the money paid is worth less than pledged), with
the rates named; then totals per commitment, per partner and overall. Each rate is the latest published
on or before its day (RateBook), shown in the direction it was published.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from genesis_desktop.portfolio.frames_money import rate_book
from genesis_desktop.portfolio.money import Money, RateBook
from genesis_desktop.portfolio.overview_rates import published
from genesis_desktop.portfolio.schema import Commitment, CommitmentEntry, EntryKind, Partner
from genesis_desktop.portfolio.store import Store

from .ledger_read import _partner_id, reporting_of

SUMS = ("at_pledge_minor", "at_disbursement_minor", "difference_minor")


def _rate(book: RateBook, ccy: str, reporting: str, on: date, used_for: str):
    """(the converting rate's value, the rate as published: a JSON-ready dict, None without conversion)."""
    r = book.rate(ccy, reporting, on)  # MoneyError names the pair and day when there is none
    if ccy == reporting:
        return r.value, None
    shown = published(book, r, used_for)
    return r.value, {"text": shown.text(), "base": shown.base, "quote": shown.quote, "on": shown.on.isoformat(),
                     "value": f"{shown.value.normalize():f}", "source": shown.source}


def rate_differences(store: Store, partner_code: str | None = None, reporting_currency: str | None = None) -> dict:
    """Every disbursement entry at the pledge day's rate and at its own day's rate. JSON-ready::

        {"reporting_currency": "USD",
         "entries": [{"entry_id", "partner", "commitment", "currency", "fiscal_year", "on", "pledged_on",
                      "recorded_by", "reason", "amount_minor" (commitment currency),
                      "at_pledge_minor", "pledge_rate", "at_disbursement_minor", "disbursement_rate",
                      "difference_minor"}],          # rates: {"text", "base", "quote", "on", "value", "source"}
                                                     # or None where the currency is the reporting one
         "commitments": [{"partner", "commitment", "currency", "amount_minor", "at_pledge_minor",
                          "at_disbursement_minor", "difference_minor"}],
         "partners": [{"partner", "at_pledge_minor", "at_disbursement_minor", "difference_minor"}],
         "total": {"at_pledge_minor", "at_disbursement_minor", "difference_minor"},
         "rates": ["1 USD = 146.5 JPY (2026-06-01)", ...]}    # every rate used, sorted
    """
    e = CommitmentEntry
    with store.engine.connect() as conn:
        reporting = reporting_of(conn, reporting_currency)
        book = rate_book(conn)
        q = (select(e.id, Partner.code, Commitment.code, Commitment.currency, e.fiscal_year, e.on,
                    Commitment.pledged_on, e.recorded_by, e.reason, e.amount_minor)
             .join(Commitment, Commitment.id == e.commitment_id).join(Partner, Partner.id == Commitment.partner_id)
             .where(e.kind == EntryKind.DISBURSED).order_by(Partner.code, Commitment.code, e.on, e.id))
        if partner_code is not None:
            q = q.where(Partner.id == _partner_id(conn, partner_code))
        rows = conn.execute(q).all()
    entries, rates = [], set()
    by_commitment: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("amount_minor", *SUMS), 0))
    by_partner: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    for eid, partner, code, ccy, fy, on, pledged_on, by, reason, amount in rows:
        money = Money(int(amount), ccy)
        pledge_value, pledge_rate = _rate(book, ccy, reporting, pledged_on, "the pledge day")
        paid_value, paid_rate = _rate(book, ccy, reporting, on, "the disbursement day")
        at_pledge = money.convert(pledge_value, reporting).minor
        at_paid = money.convert(paid_value, reporting).minor
        entry = {"entry_id": eid, "partner": partner, "commitment": code, "currency": ccy, "fiscal_year": fy,
                 "on": on.isoformat(), "pledged_on": pledged_on.isoformat(), "recorded_by": by, "reason": reason,
                 "amount_minor": int(amount), "at_pledge_minor": at_pledge, "pledge_rate": pledge_rate,
                 "at_disbursement_minor": at_paid, "disbursement_rate": paid_rate,
                 "difference_minor": at_paid - at_pledge}
        entries.append(entry)
        rates.update(r["text"] for r in (pledge_rate, paid_rate) if r)
        c = by_commitment[(partner, code, ccy)]
        c["amount_minor"] += int(amount)
        for key in SUMS:
            c[key] += entry[key]
            by_partner[partner][key] += entry[key]
    total = {key: sum(p[key] for p in by_partner.values()) for key in SUMS}
    return {"reporting_currency": reporting, "entries": entries,
            "commitments": [{"partner": p, "commitment": c, "currency": ccy, **sums}
                            for (p, c, ccy), sums in by_commitment.items()],
            "partners": [{"partner": p, **sums} for p, sums in by_partner.items()],
            "total": total, "rates": sorted(rates)}
