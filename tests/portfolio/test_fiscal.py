from datetime import date

import pytest

from genesis_desktop.portfolio.fiscal import CALENDAR, JP, US, calendar_for, parse_fiscal_year


def test_us_federal_year_runs_october_to_september_named_by_its_end():
    assert US.start(2026) == date(2025, 10, 1)
    assert US.end(2026) == date(2026, 9, 30)
    assert US.year_of(date(2025, 10, 1)) == 2026
    assert US.year_of(date(2025, 9, 30)) == 2025
    assert US.contains(2026, date(2026, 9, 30)) and not US.contains(2026, date(2026, 10, 1))


def test_japanese_year_runs_april_to_march_named_by_its_start():
    assert JP.start(2026) == date(2026, 4, 1)
    assert JP.end(2026) == date(2027, 3, 31)
    assert JP.year_of(date(2027, 3, 31)) == 2026
    assert JP.year_of(date(2027, 4, 1)) == 2027
    # Japan joined on 4 June 2026: in its FY2026, but in the US FY2026 too.
    assert JP.year_of(date(2026, 6, 4)) == 2026 and US.year_of(date(2026, 6, 4)) == 2026


def test_phase_one_budget_period_spans_two_us_fiscal_years():
    assert US.years_between(date(2026, 7, 1), date(2027, 3, 31)) == [2026, 2027]
    assert JP.years_between(date(2026, 7, 1), date(2027, 3, 31)) == [2026]
    with pytest.raises(ValueError, match="ends"):
        US.years_between(date(2027, 1, 1), date(2026, 1, 1))


def test_calendar_year_and_lookup():
    assert CALENDAR.start(2026) == date(2026, 1, 1) and CALENDAR.end(2026) == date(2026, 12, 31)
    assert calendar_for("jp") is JP and calendar_for("US") is US
    assert calendar_for("DE") is CALENDAR and calendar_for(None) is CALENDAR
    assert US.label(2027) == "FY2027"


@pytest.mark.parametrize("text, year", [("FY2026", 2026), ("2027", 2027), (2028, 2028), (" fy2029 ", 2029)])
def test_parse_fiscal_year(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", ["FY26", "twenty", "", "FY1800", "2026.5"])
def test_parse_fiscal_year_refuses(text):
    with pytest.raises(ValueError, match="FY2026"):
        parse_fiscal_year(text)
