"""Co-funding agreements checked against the ledger (Qt-free): does each side pay its agreed share?

An agreement's partners are those whose Partner.agreement is its name; a side is the partners of one
country (CofundingShare.side). Each side's pledged, obligated and disbursed money is summed from the
ledger's yearly totals, every commitment year converted to the agreement's currency at the rate of its
commitment's pledge day (decisions.ledger.ledger), cancelled commitments left out. A side's share of a
measure is its money over all sides' money; it is within the agreement when it differs from the agreed
percent by at most the tolerance (percentage points).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from genesis_desktop.portfolio.schema import CofundingAgreement, CommitmentState, Partner
from genesis_desktop.portfolio.store import Store

from .ledger_read import MEASURES, ledger

NOUNS = {"pledged": "pledges", "obligated": "obligations", "disbursed": "disbursements"}
COUNTRY_NAMES = {"US": "the United States", "JP": "Japan"}  # sides named in sentences; others by their code


def side_name(side: str) -> str:
    return COUNTRY_NAMES.get(side, side)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _number(x: Decimal) -> str:
    return f"{x.normalize():f}"


def _points(x: Decimal) -> str:
    return f"{_number(x)} point" + ("" if x == 1 else "s")


def share_sentence(side: str, measure: str, share: Decimal | None, percent: Decimal, tolerance: Decimal) -> str:
    """"Japan's pledges are 49.2% against an agreed 50% (tolerance 1 point): within"."""
    name = _possessive(side_name(side))
    name = name[0].upper() + name[1:]
    if share is None:
        return f"{name} {NOUNS[measure]}: none are recorded on any side yet, so there is no share to compare"
    head = (f"{name} {NOUNS[measure]} are {share.quantize(Decimal('0.1'))}% against an agreed {_number(percent)}% "
            f"(tolerance {_points(tolerance)})")
    off = share - percent
    if abs(off) <= tolerance:
        return f"{head}: within"
    return f"{head}: outside, {_points(abs(off).quantize(Decimal('0.1')))} {'over' if off > 0 else 'under'}"


def check_cofunding(store: Store) -> list[dict]:
    """Per agreement, in name order (JSON-ready; money in exact minor units of the agreement's currency)::

        {"agreement", "currency", "tolerance": "1", "signed_on": "2026-06-04" | None,
         "sides": [{"side": "JP", "name": "Japan", "percent": "50", "partners": ["METI", "MEXT"],
                    "pledged_minor", "obligated_minor", "disbursed_minor",
                    "shares": {"pledged": {"share": "50.00" | None, "off_by": "0.00" | None,
                                           "within": True | False | None, "sentence": "..."}, ...}}],
         "totals": {"pledged_minor", "obligated_minor", "disbursed_minor"},
         "within": {"pledged": True | False | None, ...},     # None: nothing of that measure yet
         "flags": ["...: outside, 8.3 points over", ...],     # the sentences of shares outside
         "problems": ["...", ...],                            # partners without a side, shares not adding to 100
         "sentences": ["...", ...],                            # every share's sentence, side by side
         "rates": ["1 USD = 146.5 JPY (2026-06-01)", ...]}
    """
    with store.session() as s:
        agreements = s.scalars(select(CofundingAgreement).options(selectinload(CofundingAgreement.shares))
                               .order_by(CofundingAgreement.name)).all()
        partners = s.execute(select(Partner.code, Partner.country, Partner.agreement)
                             .where(Partner.agreement.in_([a.name for a in agreements]))).all()
    frames = {}
    out = []
    for a in agreements:
        if a.currency not in frames:
            frames[a.currency] = ledger(store, reporting_currency=a.currency)
        rows = frames[a.currency]
        rows = rows[(rows["agreement"] == a.name) & (rows["state"] != CommitmentState.CANCELLED.value)]
        out.append(_check(a, rows, [(code, country) for code, country, name in partners if name == a.name]))
    return out


def _check(a: CofundingAgreement, rows, partners: list[tuple[str, str]]) -> dict:
    tolerance = Decimal(str(a.tolerance))
    sides = {sh.side: Decimal(str(sh.percent)) for sh in a.shares}
    money = {side: {m: int(rows.loc[rows["country"] == side, f"{m}_reporting_minor"].sum()) for m in MEASURES}
             for side in sides}
    totals = {m: sum(money[side][m] for side in sides) for m in MEASURES}
    problems = [f"Partner {code} ({country}) names the agreement, but {country} has no agreed share: its money "
                "is left out" for code, country in sorted(partners) if country not in sides]
    if sides and sum(sides.values()) != 100:
        problems.append(f"The agreed shares add up to {_number(sum(sides.values()))}%, not 100%")
    problems += [f"No partner of {side} names the agreement" for side in sides
                 if not any(country == side for _, country in partners)]
    out_sides, within, flags, sentences = [], {}, [], []
    for side, percent in sides.items():
        shares = {}
        for m in MEASURES:
            share = Decimal(money[side][m]) * 100 / totals[m] if totals[m] else None
            ok = None if share is None else abs(share - percent) <= tolerance
            sentence = share_sentence(side, m, share, percent, tolerance)
            shares[m] = {"share": None if share is None else str(share.quantize(Decimal("0.01"))),
                         "off_by": None if share is None else str((share - percent).quantize(Decimal("0.01"))),
                         "within": ok, "sentence": sentence}
            within[m] = ok if within.get(m) is None else within[m] and bool(ok)
            sentences.append(sentence)
            if ok is False:
                flags.append(sentence)
        out_sides.append({"side": side, "name": side_name(side), "percent": _number(percent),
                          "partners": sorted(code for code, country in partners if country == side),
                          **{f"{m}_minor": money[side][m] for m in MEASURES}, "shares": shares})
    return {"agreement": a.name, "currency": a.currency, "tolerance": _number(tolerance),
            "signed_on": a.signed_on.isoformat() if a.signed_on else None, "sides": out_sides,
            "totals": {f"{m}_minor": totals[m] for m in MEASURES}, "within": within, "flags": flags,
            "problems": problems, "sentences": sentences,
            "rates": sorted({r for r in rows["rate"] if r})}
