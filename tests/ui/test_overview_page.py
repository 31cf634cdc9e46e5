"""The Overview page on the small desktop portfolio (tests/ui/conftest.py) plus partners, commitments,
two dated USD/JPY rates and a challenge with no proposals (`add_partners_and_rates`).

Rates: 155.2 JPY per USD published 2026-04-01, 149.6 published 2026-06-01. The page reads at
2026-05-15, so proposals and call budgets convert at 155.2; commitments, pledged 2026-06-04, at 149.6.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from genesis_desktop.portfolio.schema import (
    Challenge, Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner, PartnerKind, Programme,
)
from genesis_desktop.ui.desk import Desk
from genesis_desktop.ui.theme import DARK, LIGHT, apply_theme

RATES_ON = date(2026, 5, 15)
PLEDGED_ON = date(2026, 6, 4)


def add_partners_and_rates(store) -> None:
    """JP pledges 14,960,000,000 JPY a year (100,000,000.00 USD at 149.6), DOE 40,000,000.00 USD once,
    ACME nothing."""
    with store.session() as s, s.begin():
        programme = s.query(Programme).one()
        s.add(Challenge(programme=programme, code="GC-05", title="Quantum sensing for the grid (illustrative)",
                        area="quantum"))
        s.add_all([ExchangeRate(base="USD", quote="JPY", on=date(2026, 4, 1), rate=Decimal("155.2"), source="test"),
                   ExchangeRate(base="USD", quote="JPY", on=date(2026, 6, 1), rate=Decimal("149.6"), source="test")])
        jp = Partner(code="JP", name="Government of Japan", kind=PartnerKind.COUNTRY, country="JP", fiscal_calendar="JP")
        doe = Partner(code="DOE", name="U.S. Department of Energy", kind=PartnerKind.AGENCY, country="US")
        acme = Partner(code="ACME", name="Acme Quantum", kind=PartnerKind.COMPANY, country="US")
        s.add_all([jp, doe, acme])
        jp_q = Commitment(code="JP-Q", partner=jp, title="Quantum and fusion", currency="JPY",
                          state=CommitmentState.DISBURSED, pledged_on=PLEDGED_ON, obligated_on=PLEDGED_ON,
                          disbursed_on=PLEDGED_ON)
        jp_q.years = [CommitmentYear(fiscal_year=2026, pledged_minor=14_960_000_000, obligated_minor=7_480_000_000,
                                     disbursed_minor=1_496_000_000),
                      CommitmentYear(fiscal_year=2027, pledged_minor=14_960_000_000)]
        doe_q = Commitment(code="DOE-Q", partner=doe, title="Quantum match", currency="USD",
                           state=CommitmentState.PLEDGED, pledged_on=PLEDGED_ON)
        doe_q.years = [CommitmentYear(fiscal_year=2026, pledged_minor=4_000_000_000)]
        s.add_all([jp_q, doe_q])


@pytest.fixture
def desk(portfolio_store):
    add_partners_and_rates(portfolio_store)
    desk = Desk(portfolio_store)
    yield desk
    desk.shutdown()


def open_page(qtbot, page):
    """Show `page` at the size of a main window's page area and wait until its first load is drawn."""
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    with qtbot.waitSignal(page.desk.idle, timeout=20_000):
        page.reload()
    assert page.error is None and page.is_loaded
    return page


@pytest.fixture
def page(qtbot, desk):
    from genesis_desktop.ui.overview_page import OverviewPage

    return open_page(qtbot, OverviewPage(desk, rates_on=RATES_ON))


def choose_currency(qtbot, page, currency: str) -> None:
    with qtbot.waitSignal(page.desk.idle, timeout=20_000):
        page.currency_combo.setCurrentText(currency)
    assert page.error is None and page.overview.reporting_currency == currency


def test_requested_against_budget_bars_in_usd(page):
    chart = page.budget_chart
    assert chart.categories == ["DE-FOA-0003612", "JST-2026-01"]
    assert [s.name for s in chart.series] == ["Phase I requested", "Phase II requested", "All phases requested",
                                              "Call budget"]
    assert chart.value_axis.labelText == "USD millions"
    # JST-2026-01: 50,000,000 JPY requested and 2,000,000,000 JPY budget, at 155.2 JPY per USD
    assert chart.heights("Phase I requested") == pytest.approx([1.8500005, 0.32216495])
    assert chart.heights("Phase II requested") == pytest.approx([8.5, 0])
    assert chart.heights("Call budget") == pytest.approx([500, 12.88659794])
    x0, y0, width, height = chart.bars_named("Phase I requested").rects[0]
    assert "Requested: 1,850,000.50 USD" in chart.tooltip_at(x0 + width / 2, height / 2)
    assert chart.tooltip_at(x0 + width / 2, 499) == ""  # above the bar: nothing


def test_area_and_status_charts(page):
    area = page.area_chart
    assert area.categories == ["energy", "biology", "materials"]  # by total requested, largest first
    assert area.value_axis.labelText == "Requested, USD thousands"
    assert area.heights("Phase I") == pytest.approx([950.0005, 900, 322.16495])
    assert area.heights("Phase II") == pytest.approx([8500, 0, 0])
    status = page.status_chart
    assert status.categories == ["Submitted", "Under review", "Recommended", "Awarded", "Declined", "Withdrawn"]
    assert list(status.heights("Phase I")) == [1, 1, 1, 0, 1, 0]
    assert list(status.heights("Phase II")) == [0, 0, 0, 1, 0, 0]


def test_commitments_chart_by_partner_and_fiscal_year(page):
    chart = page.commitments_chart
    assert chart.categories == ["FY2026", "FY2027"]
    assert [s.name for s in chart.series] == ["JP", "DOE"]  # largest pledge first
    assert chart.heights("JP") == pytest.approx([100, 100])  # 14,960,000,000 JPY at 149.6
    assert chart.heights("DOE") == pytest.approx([40, 0])
    assert chart.legend.names == ["JP", "DOE"]


def test_changing_the_reporting_currency_rescales_by_the_rate_and_names_it(qtbot, page):
    assert page.currency_combo.currentText() == "USD"
    assert [page.currency_combo.itemText(i) for i in range(page.currency_combo.count())] == ["USD", "JPY"]
    assert page.rates_label.text() == (
        "Rates used to convert to USD: 1 USD = 149.6 JPY (2026-06-01) for commitments (at each pledge date); "
        "1 USD = 155.2 JPY (2026-04-01) for proposals and call budgets.")
    usd = page.budget_chart.heights("Phase I requested") * 1e6
    choose_currency(qtbot, page, "JPY")
    chart = page.budget_chart
    assert chart.value_axis.labelText == "JPY billions"
    # 1,850,000.50 USD x 155.2 = 287,120,077.6 -> 287,120,078 JPY; the yen call stays as it was.
    assert chart.heights("Phase I requested") == pytest.approx([0.287120078, 0.05])
    assert chart.heights("Phase I requested")[0] * 1e9 == pytest.approx(usd[0] * 155.2)
    assert chart.heights("Call budget") == pytest.approx([77.6, 2.0])
    assert page.rates_label.text().startswith("Rates used to convert to JPY: 1 USD = 149.6 JPY (2026-06-01)")
    assert page.status_text().startswith("Reporting in JPY")


def test_few_proposals_list_names_the_right_challenges(qtbot, page):
    assert page.few_codes == ["GC-05", "GC-02", "GC-03", "GC-04", "GC-01"]
    page.few_spin.setValue(2)
    assert page.few_codes == ["GC-05", "GC-02", "GC-03", "GC-04"]
    first = page.few_list.item(0)
    assert first.text().startswith("GC-05: no proposals")  # said in words, and marked with an icon
    assert not first.icon().isNull()
    page.few_spin.setValue(1)
    assert page.few_codes == ["GC-05"]
    assert "1 challenge with fewer than 1 proposal" in page.status_text()


def test_dark_theme_restyles_the_charts(qtbot, qapp, page):
    light = page.area_chart.plot.backgroundBrush().color().name()
    apply_theme(qapp, DARK)
    qapp.processEvents()
    for chart in page.charts:
        assert chart.theme.dark
        assert chart.plot.backgroundBrush().color().name() == "#17191c"
    assert light != "#17191c"
    apply_theme(qapp, LIGHT)
    qapp.processEvents()
    assert page.area_chart.plot.backgroundBrush().color().name() == light


def test_series_differ_by_pattern_as_well_as_colour(page):
    styles = [bars.style for bars in page.budget_chart.bars[:4]]
    assert len({s.pattern for s in styles}) == 4
    assert len({s.colour.name() for s in styles}) == 4


def test_an_empty_portfolio_explains_itself(qtbot, programme_store_desk):
    from genesis_desktop.ui.overview_page import OverviewPage

    page = open_page(qtbot, OverviewPage(programme_store_desk))
    for chart in page.charts:
        assert chart.is_empty and chart.empty_label.text()
    assert "every amount shown is already in USD" in page.rates_label.text()


@pytest.fixture
def programme_store_desk(tmp_path):
    from genesis_desktop.portfolio.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with store.session() as s, s.begin():
        s.add(Programme(code="GENESIS", name="The Genesis Mission"))
    desk = Desk(store)
    yield desk
    desk.shutdown()
    store.close()
