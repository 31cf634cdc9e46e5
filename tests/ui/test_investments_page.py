"""The Investments view: per partner, pledged against obligated against disbursed by fiscal year, in
the commitment's currency or the reporting one, with the exact figures in a table.

The portfolio is the one test_overview_page.py builds: JP pledges 14,960,000,000 JPY in FY2026 and
FY2027 (7,480,000,000 obligated and 1,496,000,000 disbursed in FY2026), at 149.6 JPY per USD on its
pledge date; DOE 40,000,000.00 USD in FY2026; ACME nothing.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from genesis_desktop.ui.desk import Desk


def _overview_tests():
    # tests/ is no package (--import-mode=importlib): load the sibling module by path for its builder.
    path = Path(__file__).with_name("test_overview_page.py")
    spec = importlib.util.spec_from_file_location("genesis_test_overview_page", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


overview_tests = _overview_tests()


@pytest.fixture
def page(qtbot, portfolio_store):
    from genesis_desktop.ui.investments_page import InvestmentsPage

    overview_tests.add_partners_and_rates(portfolio_store)
    desk = Desk(portfolio_store)
    yield overview_tests.open_page(qtbot, InvestmentsPage(desk))
    desk.shutdown()


def table_cells(page) -> list[list[str]]:
    table = page.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_partner_list_names_who_has_no_commitments(page):
    texts = [page.partner_list.item(i).text() for i in range(page.partner_list.count())]
    assert texts == ["All partners", "Government of Japan", "U.S. Department of Energy", "Acme Quantum (no commitments)"]
    assert page.status_text() == "2 of 3 partners with commitments"


def test_one_partner_in_its_own_currency(page):
    page.select_partner("JP")
    [chart] = page.visible_charts
    assert chart.title_label.text() == "Government of Japan (JP): pledged, obligated and disbursed (JPY)"
    assert chart.categories == ["FY2026", "FY2027"]
    assert chart.value_axis.labelText == "JPY billions"
    assert chart.heights("Pledged") == pytest.approx([14.96, 14.96])
    assert chart.heights("Obligated") == pytest.approx([7.48, 0])
    assert chart.heights("Disbursed") == pytest.approx([1.496, 0])
    assert "April to March" in chart.note_label.text()
    assert table_cells(page) == [
        ["JP-Q", "FY2026", "14,960,000,000", "7,480,000,000", "1,496,000,000", "JPY"],
        ["JP-Q", "FY2027", "14,960,000,000", "0", "0", "JPY"],
        ["Total", "all years", "29,920,000,000", "7,480,000,000", "1,496,000,000", "JPY"],
    ]


def test_toggle_to_the_reporting_currency_converts_at_the_pledge_date_rate(page):
    page.select_partner("JP")
    page.reporting_button.setChecked(True)
    [chart] = page.visible_charts
    assert chart.value_axis.labelText == "USD millions"
    assert chart.heights("Pledged") == pytest.approx([100, 100])
    assert chart.heights("Obligated") == pytest.approx([50, 0])
    assert chart.heights("Disbursed") == pytest.approx([10, 0])
    assert table_cells(page)[0] == ["JP-Q", "FY2026", "100,000,000.00", "50,000,000.00", "10,000,000.00", "USD",
                                    "1 USD = 149.6 JPY (2026-06-01)"]
    x0, _y0, width, _h = chart.bars_named("Pledged").rects[0]
    assert chart.tooltip_at(x0 + width / 2, 1).endswith("from 14,960,000,000 JPY")
    page.original_button.setChecked(True)
    assert page.visible_charts[0].value_axis.labelText == "JPY billions"


def test_all_partners_in_original_currencies_get_a_chart_each(page):
    page.select_partner(None)
    charts = page.visible_charts
    assert [c.title_label.text().rsplit(" ", 1)[-1] for c in charts] == ["(JPY)", "(USD)"]
    assert charts[1].heights("Pledged") == pytest.approx([40])
    totals = table_cells(page)[-2:]
    assert [row[0] for row in totals] == ["Total", "Total"]
    assert [row[-1] for row in totals] == ["JPY", "USD"]


def test_choosing_another_reporting_currency_reads_again(qtbot, page):
    page.select_partner("DOE")
    with qtbot.waitSignal(page.desk.idle, timeout=20_000):
        page.currency_combo.setCurrentText("JPY")
    assert page.in_reporting_currency
    [chart] = page.visible_charts
    assert chart.value_axis.labelText == "JPY millions"  # 5.984 billion: under 10 of them, so millions
    assert chart.heights("Pledged") == pytest.approx([5984])  # 40,000,000.00 USD x 149.6
    assert table_cells(page)[0][2] == "5,984,000,000"
    assert page.rates_label.text().startswith("Rates used to convert to JPY: 1 USD = 149.6 JPY (2026-06-01)")


def test_a_partner_without_commitments_shows_why_not_a_blank_chart(page):
    page.select_partner("ACME")
    [chart] = page.visible_charts
    assert chart.is_empty
    assert chart.empty_label.text().startswith("Acme Quantum (ACME) has no commitments recorded")
    assert page.table.isHidden()
