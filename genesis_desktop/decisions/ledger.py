"""The investments ledger (Qt-free): each partner's commitments as dated entries over the fiscal years.

    record_entry(store, "JP-MEXT-QUANTUM", 2026, "disbursed", "1500000000", on=date(2026, 11, 10),
                 who="H. Sato", reason="second tranche")          -> YearTotals (the year's new totals)
    opening_entries(session, commitment, who, reason)             -> entries written to match the totals
    ledger(store, partner_code=None, reporting_currency=None)     -> DataFrame (ledger_read.COLUMNS)
    history(store, commitment_code)                                -> [entry dict, ...] in recorded order
    check_ledger(store)                                            -> [problem sentence, ...] ([] = sound)
    rate_differences(store, partner_code=None, reporting_currency=None) -> dict (ledger_rates)

A commitment_year row holds a year's pledged >= obligated >= disbursed >= 0 totals; its entries add up
to them. `record_entry` is the one way to move a total by hand: it appends the entry and moves the total
in one transaction, or refuses with a LedgerError and writes nothing. An entry is never changed or
removed; a correction is a negative entry with its reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.fiscal import parse_fiscal_year
from genesis_desktop.portfolio.ledger_sync import KINDS, OPENING_REASON, post_entry, sync_entries
from genesis_desktop.portfolio.money import Money, MoneyError, format_grouped, parse_amount
from genesis_desktop.portfolio.schema import Commitment, CommitmentState, CommitmentYear, EntryKind
from genesis_desktop.portfolio.store import Store

from .ledger_rates import rate_differences
from .ledger_read import COLUMNS, MEASURES, LedgerError, check_ledger, history, ledger

__all__ = ["COLUMNS", "MEASURES", "OPENING_REASON", "LedgerError", "YearTotals", "check_ledger", "history",
           "ledger", "opening_entries", "rate_differences", "record_entry"]

ORDER_RULE = "pledged >= obligated >= disbursed >= 0"


@dataclass(frozen=True)
class YearTotals:
    """A commitment's fiscal year after an entry: its three totals in minor units of `currency`."""

    commitment: str
    fiscal_year: int
    currency: str
    pledged_minor: int
    obligated_minor: int
    disbursed_minor: int
    entry_id: int


def _kind(kind: EntryKind | str, code: str, fy: int | None) -> str:
    value = getattr(kind, "value", kind)
    if value not in KINDS:
        raise LedgerError(f"the kind must be one of {', '.join(KINDS)}", commitment=code, fiscal_year=fy,
                          field="kind", value=kind)
    return value


def _amount(amount: object, currency: str, code: str, fy: int, kind: str) -> int:
    if isinstance(amount, Money):
        if amount.currency != currency:
            raise LedgerError(f"the commitment is in {currency}: record it in {currency}", commitment=code,
                              fiscal_year=fy, field=kind, value=str(amount))
        minor = amount.minor
    else:
        try:
            minor = parse_amount(amount, currency, allow_negative=True)
        except MoneyError as err:
            raise LedgerError(str(err), commitment=code, fiscal_year=fy, field=kind, value=amount) from None
    if minor == 0:
        raise LedgerError("an entry must move money: zero changes nothing", commitment=code, fiscal_year=fy,
                          field=kind, value=amount)
    return minor


def _order_broken(totals: dict[str, int], currency: str) -> str | None:
    """Which part of pledged >= obligated >= disbursed >= 0 the new totals break, in words."""
    def money(kind: str) -> str:
        return f"{format_grouped(totals[kind], currency)} {currency}"
    for low, high in (("disbursed", None), ("disbursed", "obligated"), ("obligated", "pledged")):
        if high is None and totals[low] < 0:
            return f"disbursed would fall to {money(low)}, below zero"
        if high is not None and totals[low] > totals[high]:
            return f"{low} would be {money(low)}, more than the {money(high)} {high}"
    return None


def record_entry(store: Store, commitment_code: str, fiscal_year: int | str, kind: EntryKind | str, amount: object,
                 on: date, who: str, reason: str = "", *, at: datetime | None = None) -> YearTotals:
    """Append one entry (`amount` in major units of the commitment's currency, or Money; negative to
    take money back) and move the year's total by it, in one transaction. A pledge to a year the
    commitment does not have yet creates the year. Refused, with nothing written: an unknown or
    cancelled commitment, a day before the pledge, an amount that is zero or not exact in the currency,
    totals that would break pledged >= obligated >= disbursed >= 0, an amendment (a negative amount, or
    a change to a year that already has money of that kind) without a reason, and no one named."""
    code = commitment_code
    try:
        fy = parse_fiscal_year(fiscal_year)
    except ValueError as err:
        raise LedgerError(str(err), commitment=code, field="fiscal_year", value=fiscal_year) from None
    kind = _kind(kind, code, fy)
    if isinstance(on, str):
        try:
            on = date.fromisoformat(on)
        except ValueError:
            raise LedgerError("the day must be a date such as 2026-11-10", commitment=code, fiscal_year=fy,
                              field="on", value=on) from None
    if isinstance(on, datetime):
        on = on.date()
    who, reason = (who or "").strip(), (reason or "").strip()
    with store.engine.begin() as conn:
        found = conn.execute(select(Commitment.id, Commitment.currency, Commitment.state, Commitment.pledged_on)
                             .where(Commitment.code == code)).one_or_none()
        if found is None:
            raise LedgerError("no such commitment", commitment=code, fiscal_year=fy, field="commitment", value=code)
        cid, currency, state, pledged_on = found
        minor = _amount(amount, currency, code, fy, kind)
        if getattr(state, "value", state) == CommitmentState.CANCELLED.value:
            raise LedgerError("the commitment is cancelled: nothing more can be recorded on it", commitment=code,
                              fiscal_year=fy, field="state", value="cancelled")
        if on < pledged_on:
            raise LedgerError(f"the day is before the commitment was pledged ({pledged_on.isoformat()})",
                              commitment=code, fiscal_year=fy, field="on", value=on.isoformat())
        if not who:
            raise LedgerError("the person who records the entry must be named", commitment=code, fiscal_year=fy,
                              field="who", value=who)
        row = conn.execute(select(CommitmentYear.pledged_minor, CommitmentYear.obligated_minor,
                                  CommitmentYear.disbursed_minor)
                           .where(CommitmentYear.commitment_id == cid, CommitmentYear.fiscal_year == fy)).one_or_none()
        if row is None and kind != "pledged":
            raise LedgerError(f"nothing is pledged in FY{fy}: record the pledge first", commitment=code,
                              fiscal_year=fy, field=kind, value=format_grouped(minor, currency))
        before = dict(zip(KINDS, (int(v) for v in row))) if row is not None else dict.fromkeys(KINDS, 0)
        if (minor < 0 or before[kind] != 0) and not reason:
            raise LedgerError(f"an amendment (a negative amount, or a change to a year that already has {kind} "
                              "money) needs a reason", commitment=code, fiscal_year=fy, field="reason", value="")
        after = {**before, kind: before[kind] + minor}
        broken = _order_broken(after, currency)
        if broken:
            raise LedgerError(f"{broken} ({ORDER_RULE})", commitment=code, fiscal_year=fy, field=kind,
                              value=format_grouped(minor, currency))
        totals, entry_id = post_entry(conn, cid, fy, kind, minor, on, who, reason, at)
    return YearTotals(code, fy, currency, totals["pledged"], totals["obligated"], totals["disbursed"], entry_id)


def opening_entries(session: Session, commitment: Commitment, who: str, reason: str = OPENING_REASON,
                    at: datetime | None = None) -> int:
    """Write the entries that bring the commitment's entries up to its current totals (all of them for
    a commitment that has none), in the session's transaction; returns how many were written. The demo
    and the commitments import do the same through portfolio.ledger_sync.sync_entries, which this calls."""
    session.flush()  # the commitment and its years need their rows before the entries can match them
    return sync_entries(session.connection(), who, reason, [commitment.id], at)
