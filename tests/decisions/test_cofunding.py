"""Co-funding shares (decisions/cofunding.py) checked against the ledger: the demo's US-Japan partnership at
50/50, shares worked out by hand at the pledge-day rate, a share outside the tolerance flagged and said
in words, and the agreement's loose ends (a partner without a side, shares not adding up to 100)."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlalchemy import select

from genesis_desktop.decisions.cofunding import check_cofunding, share_sentence
from genesis_desktop.decisions.ledger import ledger, record_entry
from genesis_desktop.portfolio.schema import (
    CofundingAgreement, CofundingShare, Commitment, CommitmentState, CommitmentYear, Partner, PartnerKind,
)
from genesis_desktop.portfolio.store import open_store

AGREEMENT = "US-Japan Genesis partnership 2026-06-04"


def cents(jpy: int, rate: str = "146.50") -> int:
    return int((Decimal(jpy) / Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) * 100)


@pytest.fixture
def demo(demo_template, demo_copy):
    store = open_store(f"sqlite:///{demo_copy(demo_template(0))}")
    yield store
    store.close()


def test_the_demo_partnership_is_fifty_fifty_on_pledges(demo):
    [a] = check_cofunding(demo)
    assert (a["agreement"], a["currency"], a["tolerance"], a["signed_on"]) == (AGREEMENT, "USD", "1", "2026-06-04")
    sides = {s["side"]: s for s in a["sides"]}
    assert (sides["US"]["partners"], sides["JP"]["partners"]) == (["DOE"], ["METI", "MEXT"])
    assert sides["US"]["pledged_minor"] == sides["JP"]["pledged_minor"] == 500_000_000_00
    assert sides["JP"]["shares"]["pledged"] == {
        "share": "50.00", "off_by": "0.00", "within": True,
        "sentence": "Japan's pledges are 50.0% against an agreed 50% (tolerance 1 point): within"}
    assert a["within"]["pledged"] is True and a["problems"] == []
    assert a["rates"] == ["1 USD = 146.5 JPY (2026-06-01)"]


def test_the_demo_obligations_are_flagged_with_the_share_worked_out_by_hand(demo):
    [a] = check_cofunding(demo)
    jp = next(s for s in a["sides"] if s["side"] == "JP")
    # JP FY2026 obligations: MEXT quantum 5,860,000,000, METI fusion 4,395,000,000 and MEXT bio 2,000,000,000 yen,
    # each year converted at the 1 June rate; the US obligated 40M + 30M + 10M + 10M dollars.
    jp_cents = cents(5_860_000_000) + cents(4_395_000_000) + cents(2_000_000_000)
    us_cents = 90_000_000_00
    assert jp["obligated_minor"] == jp_cents == 83_651_877_13
    share = Decimal(jp_cents) * 100 / (jp_cents + us_cents)
    assert jp["shares"]["obligated"]["share"] == str(share.quantize(Decimal("0.01"))) == "48.17"
    assert jp["shares"]["obligated"]["within"] is False and a["within"]["obligated"] is False
    assert ("Japan's obligations are 48.2% against an agreed 50% (tolerance 1 point): outside, 1.8 points under"
            in a["flags"])
    assert "The United States' obligations are 51.8% against an agreed 50% (tolerance 1 point): outside, 1.8 points " \
           "over" in a["flags"]
    frame = ledger(demo)
    assert jp["disbursed_minor"] == frame.loc[frame["country"] == "JP", "disbursed_reporting_minor"].sum()


def test_a_pledge_cut_moves_japan_outside_the_tolerance_and_a_wider_one_takes_it_back(demo):
    record_entry(demo, "JP-MEXT-BIO", 2030, "pledged", "-4395000000", date(2026, 12, 1), "H. Sato",
                 "FY2030 biotechnology money moved to the next agreement")
    [a] = check_cofunding(demo)
    jp = next(s for s in a["sides"] if s["side"] == "JP")
    assert jp["pledged_minor"] == 470_000_000_00  # 30M dollars (at 146.5) fewer
    assert jp["shares"]["pledged"]["within"] is False and a["within"]["pledged"] is False
    assert jp["shares"]["pledged"]["sentence"] == (
        "Japan's pledges are 48.5% against an agreed 50% (tolerance 1 point): outside, 1.5 points under")
    with demo.session() as s, s.begin():
        s.scalars(select(CofundingAgreement).where(CofundingAgreement.name == AGREEMENT)).one().tolerance = Decimal(2)
    [a] = check_cofunding(demo)
    assert a["within"]["pledged"] is True and a["tolerance"] == "2"
    assert a["sides"][0]["shares"]["pledged"]["sentence"].endswith("(tolerance 2 points): within")


def test_loose_ends_are_named_and_cancelled_money_is_left_out(demo):
    with demo.session() as s, s.begin():
        kr = Partner(code="KR", name="Korea", kind=PartnerKind.COUNTRY, country="KR", fiscal_calendar="CAL",
                     agreement=AGREEMENT)
        s.add(kr)
        doe = s.scalars(select(Partner).where(Partner.code == "DOE")).one()
        gone = Commitment(code="US-X", partner=doe, title="Dropped",
                          currency="USD", state=CommitmentState.CANCELLED, pledged_on=date(2026, 6, 4))
        gone.years = [CommitmentYear(fiscal_year=2026, pledged_minor=10**12)]
        s.add(gone)
        s.scalars(select(CofundingShare).where(CofundingShare.side == "JP")).one().percent = Decimal("40")
    [a] = check_cofunding(demo)
    assert a["problems"] == [
        "Partner KR (KR) names the agreement, but KR has no agreed share: its money is left out",
        "The agreed shares add up to 90%, not 100%"]
    assert next(s for s in a["sides"] if s["side"] == "US")["pledged_minor"] == 500_000_000_00


def test_no_money_of_a_kind_is_said_and_not_flagged(store):
    with store.session() as s, s.begin():
        s.add(CofundingAgreement(name="A", currency="USD", tolerance=Decimal("0.5"),
                                 shares=[CofundingShare(side="US", percent=Decimal(60)),
                                         CofundingShare(side="DE", percent=Decimal(40))]))
        us = Partner(code="US", name="US", kind=PartnerKind.COUNTRY, country="US", fiscal_calendar="US", agreement="A")
        c = Commitment(code="C", partner=us, title="t", currency="USD", pledged_on=date(2026, 1, 1))
        c.years = [CommitmentYear(fiscal_year=2026, pledged_minor=100)]
        s.add(c)
    [a] = check_cofunding(store)
    us = next(s for s in a["sides"] if s["side"] == "US")
    assert us["shares"]["pledged"]["share"] == "100.00" and us["shares"]["pledged"]["within"] is False
    assert us["shares"]["disbursed"] == {"share": None, "off_by": None, "within": None, "sentence":
                                         "The United States' disbursements: none are recorded on any side yet, so "
                                         "there is no share to compare"}
    assert a["within"] == {"pledged": False, "obligated": None, "disbursed": None}
    assert a["problems"] == ["No partner of DE names the agreement"]


def test_the_sentence_reads_as_the_issue_asks():
    assert share_sentence("JP", "pledged", Decimal("49.2"), Decimal(50), Decimal(1)) == (
        "Japan's pledges are 49.2% against an agreed 50% (tolerance 1 point): within")
    assert share_sentence("KR", "disbursed", Decimal("52.26"), Decimal("50.0000"), Decimal("1.5")) == (
        "KR's disbursements are 52.3% against an agreed 50% (tolerance 1.5 points): outside, 2.3 points over")
