"""Fiscal years. The US federal year runs October to September and is named by the year it ends in
(FY2026 = 1 Oct 2025 to 30 Sep 2026); Japan's runs April to March and is named by the year it starts
in (FY2026 = 1 Apr 2026 to 31 Mar 2027)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class FiscalCalendar:
    code: str
    start_month: int
    named_by_end: bool  # True: the year is named after the calendar year in which it ends

    def year_of(self, d: date) -> int:
        if self.start_month == 1:
            return d.year
        starts_in = d.year if d.month >= self.start_month else d.year - 1
        return starts_in + 1 if self.named_by_end else starts_in

    def start(self, fy: int) -> date:
        if self.start_month == 1:
            return date(fy, 1, 1)
        starts_in = fy - 1 if self.named_by_end else fy
        return date(starts_in, self.start_month, 1)

    def end(self, fy: int) -> date:
        return self.start(fy + 1) - timedelta(days=1)

    def contains(self, fy: int, d: date) -> bool:
        return self.start(fy) <= d <= self.end(fy)

    def years_between(self, first: date, last: date) -> list[int]:
        if last < first:
            raise ValueError(f"period ends ({last}) before it starts ({first})")
        return list(range(self.year_of(first), self.year_of(last) + 1))

    def label(self, fy: int) -> str:
        return f"FY{fy}"


US = FiscalCalendar("US", 10, True)
JP = FiscalCalendar("JP", 4, False)
CALENDAR = FiscalCalendar("CAL", 1, True)

CALENDARS = {c.code: c for c in (US, JP, CALENDAR)}
# Countries whose government fiscal year we know; anything else is reported by calendar year.
_BY_COUNTRY = {"US": US, "JP": JP}


def calendar_for(code_or_country: str | None) -> FiscalCalendar:
    """The calendar named by a calendar code (US, JP, CAL) or an ISO 3166 country code."""
    if not code_or_country:
        return CALENDAR
    key = code_or_country.upper()
    return CALENDARS.get(key) or _BY_COUNTRY.get(key, CALENDAR)


def parse_fiscal_year(text: object) -> int:
    """'FY2026', '2026' or 2026 -> 2026; anything else raises ValueError with the rule."""
    raw = str(text).strip().upper()
    if raw.startswith("FY"):
        raw = raw[2:]
    if not raw.isdigit() or not 1990 <= int(raw) <= 2100:
        raise ValueError(f"fiscal year must look like FY2026 (1990 to 2100), got {text!r}")
    return int(raw)
