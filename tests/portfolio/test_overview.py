"""The Overview's and the Investments view's numbers, exact, on the small realistic portfolio plus a
withdrawn proposal, a proposal in yen and an older USD/JPY rate (see `overview_store`).

Hand-worked figures (USD/JPY 149.35 published 2026-06-04, 155.20 published 2025-12-01):
- 15,000,000 JPY in USD: 15,000,000 / 149.35 = 100,435.2192... -> 100,435.22 (10,043,522 cents)
- 15,000,000,000 JPY pledged: 100,435,219.28 USD; 5,000,000,000 JPY obligated: 33,478,406.43 USD
- 700,000.50 USD in JPY: 104,545,074.6675 -> 104,545,075; the call budget 293,760,000.00 USD ->
  43,873,056,000 JPY; NVIDIA's 1,000,000.25 USD pledged 2025-12-18 at 155.20 -> 155,200,039 JPY
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from genesis_desktop.portfolio.money import MoneyError
from genesis_desktop.portfolio.overview import read_overview
from genesis_desktop.portfolio.overview_investments import read_investments
from genesis_desktop.portfolio.overview_rates import RateUsed, rates_text
from genesis_desktop.portfolio.schema import (
    Call, Challenge, ExchangeRate, Institution, Proposal, ProposalBudget, ProposalChallenge, ProposalStatus,
)

ON = date(2026, 7, 1)
FOR_PROPOSALS = "proposals and call budgets"
FOR_COMMITMENTS = "commitments (at each pledge date)"


@pytest.fixture
def overview_store(portfolio):
    with portfolio.session() as s, s.begin():
        call = s.scalar(select(Call))
        lead = s.scalar(select(Institution).where(Institution.code == "ANL"))
        nuclear = s.scalar(select(Challenge).where(Challenge.code == "GC-02"))
        for code, status, currency, minor in [("P-0003", ProposalStatus.WITHDRAWN, "USD", 12_345_678),
                                              ("P-0004", ProposalStatus.SUBMITTED, "JPY", 15_000_000)]:
            s.add(Proposal(code=code, call_id=call.id, phase="I", title=f"Extra {code}", lead_institution_id=lead.id,
                           principal_investigator="A. N. Other", currency=currency, status=status,
                           challenges=[ProposalChallenge(challenge_id=nuclear.id, is_primary=True)],
                           budget=[ProposalBudget(fiscal_year=2026, amount_minor=minor)]))
        s.add(ExchangeRate(base="USD", quote="JPY", on=date(2025, 12, 1), rate=Decimal("155.20"), source="FRB H.10"))
    return portfolio


def rows(frame, *columns):
    return [tuple(r) for r in frame[list(columns)].itertuples(index=False)]


def test_requested_by_area_and_call_in_usd_exact(overview_store):
    o = read_overview(overview_store.engine, rates_on=ON)
    assert (o.reporting_currency, o.currencies, o.phases, o.rates_on) == ("USD", ("USD", "JPY"), ("I", "II"), ON)
    # nuclear, phase I: P-0001 (70,000,050 cents) + P-0004 (15,000,000 JPY = 10,043,522 cents); P-0003 withdrawn
    assert rows(o.by_area, "area", "phase", "proposals", "requested_minor") == [
        ("autonomous labs", "I", 1, 75_000_000),
        ("nuclear", "I", 2, 80_043_572),
        ("quantum", "II", 1, 750_000_000),
    ]
    assert rows(o.by_call, "call", "phase", "proposals", "requested_minor") == [
        ("DE-FOA-0003612", "I", 3, 155_043_572), ("DE-FOA-0003612", "II", 1, 750_000_000)]
    assert rows(o.call_budgets, "call", "budget_minor", "budget_reporting_minor") == [
        ("DE-FOA-0003612", 29_376_000_000, 29_376_000_000)]


def test_reporting_in_yen_converts_each_sum_once_and_names_the_rates(overview_store):
    o = read_overview(overview_store.engine, "JPY", rates_on=ON)
    assert rows(o.by_area, "area", "phase", "requested_minor") == [
        ("autonomous labs", "I", 112_012_500),  # 750,000.00 USD x 149.35
        ("nuclear", "I", 104_545_075 + 15_000_000),  # 700,000.50 USD x 149.35, plus the yen proposal as is
        ("quantum", "II", 1_120_125_000),
    ]
    assert o.call_budgets.loc[0, "budget_reporting_minor"] == 43_873_056_000
    jp = RateUsed("USD", "JPY", date(2026, 6, 4), Decimal("149.35"), "FRB H.10", FOR_PROPOSALS)
    nv = RateUsed("USD", "JPY", date(2025, 12, 1), Decimal("155.20"), "FRB H.10", FOR_COMMITMENTS)
    assert set(o.rates_used) == {jp, nv}
    assert o.rates_text() == ("Rates used to convert to JPY: 1 USD = 155.2 JPY (2025-12-01) for commitments (at each pledge date); "
                              "1 USD = 149.35 JPY (2026-06-04) for proposals and call budgets.")


def test_proposals_by_status_count_every_status_and_phase(overview_store):
    o = read_overview(overview_store.engine, rates_on=ON)
    counts = {(s, p): n for s, p, n in rows(o.by_status, "status", "phase", "proposals")}
    assert len(counts) == 6 * 2
    assert {k: n for k, n in counts.items() if n} == {
        ("submitted", "I"): 1, ("submitted", "II"): 1, ("under_review", "I"): 1, ("awarded", "I"): 1,
        ("withdrawn", "I"): 1}


def test_challenges_with_few_proposals_leave_withdrawn_out(overview_store):
    o = read_overview(overview_store.engine, rates_on=ON)
    assert rows(o.challenges, "code", "proposals", "also_addressed") == [
        ("GC-01", 0, 1), ("GC-02", 2, 0), ("GC-03", 1, 0), ("GC-07", 1, 0)]
    assert list(o.few_proposals(3)["code"]) == ["GC-01", "GC-03", "GC-07", "GC-02"]
    assert list(o.few_proposals(1)["code"]) == ["GC-01"]
    assert o.few_proposals(0).empty


def test_commitments_by_partner_and_year_at_pledge_date_rates(overview_store):
    o = read_overview(overview_store.engine, rates_on=ON)
    assert rows(o.commitments, "partner", "fiscal_year", "pledged_minor", "obligated_minor", "disbursed_minor") == [
        ("JP", 2026, 10_043_521_928, 3_347_840_643, 0),
        ("JP", 2027, 10_043_521_928, 0, 0),
        ("NVIDIA", 2026, 100_000_025, 100_000_025, 40_000_000),
    ]
    in_yen = read_overview(overview_store.engine, "JPY", rates_on=ON).commitments
    assert rows(in_yen[in_yen["partner"] == "NVIDIA"], "pledged_minor", "disbursed_minor") == [(155_200_039, 62_080_000)]


def test_investments_per_partner_in_original_and_reporting_currency(overview_store):
    inv = read_investments(overview_store.engine)
    assert dict(zip(inv.partners["code"], inv.partners["commitments"])) == {"JP": 1, "MEXT": 0, "NVIDIA": 1}
    assert rows(inv.by_year("JP", reporting=False), "currency", "fiscal_year", "pledged_minor", "obligated_minor") == [
        ("JPY", 2026, 15_000_000_000, 5_000_000_000), ("JPY", 2027, 15_000_000_000, 0)]
    assert rows(inv.by_year("JP"), "currency", "fiscal_year", "pledged_minor") == [
        ("USD", 2026, 10_043_521_928), ("USD", 2027, 10_043_521_928)]
    # All partners in their own currencies: one group per currency, never added across them.
    assert rows(inv.by_year(None, reporting=False), "currency", "fiscal_year", "pledged_minor") == [
        ("JPY", 2026, 15_000_000_000), ("JPY", 2027, 15_000_000_000), ("USD", 2026, 100_000_025)]
    assert list(inv.rows("JP")["rate"]) == ["1 USD = 149.35 JPY (2026-06-04)"] * 2
    assert list(inv.rows("NVIDIA")["rate"]) == [""]
    assert inv.rows("MEXT").empty


def test_a_currency_without_rates_is_refused_with_the_pair_and_date(overview_store):
    with pytest.raises(MoneyError, match=r"no JPY/EUR exchange rate on or before 2026-06-04"):
        read_overview(overview_store.engine, "EUR", rates_on=ON)


def test_an_empty_portfolio_gives_empty_figures(programme_store):
    o = read_overview(programme_store.engine, rates_on=ON)
    assert (o.reporting_currency, o.currencies, o.rates_used) == ("USD", ("USD",), ())
    assert o.by_area.empty and o.by_call.empty and o.commitments.empty and o.challenges.empty
    assert int(o.by_status["proposals"].sum()) == 0
    assert o.rates_text() == "Rates used: none; every amount shown is already in USD."


def test_rates_text_groups_by_use_and_drops_trailing_zeros():
    rate = RateUsed("USD", "JPY", date(2026, 4, 1), Decimal("155.2000000000"), "", "proposals")
    assert rate.text() == "1 USD = 155.2 JPY (2026-04-01)"
    assert rates_text([rate], "JPY") == "Rates used to convert to JPY: 1 USD = 155.2 JPY (2026-04-01) for proposals."
