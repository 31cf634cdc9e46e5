"""What the Investments view draws and lists for one partner (or all), made from
portfolio.overview_investments.Investments: plain data, no widgets."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from genesis_desktop.portfolio.money import format_grouped
from genesis_desktop.portfolio.overview_investments import (
    FISCAL_MONTHS, MEASURES, Investments, by_year, calendar_name,
)

from .chart_money import MoneyScale, money_text
from .chart_data import BarSeries, ChartData

ALL = None  # the partner "code" that stands for every partner


@dataclass
class InvestmentTable:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    tooltips: list[str] = field(default_factory=list)  # one per row, for its first cell
    totals: list[list[str]] = field(default_factory=list)  # one per currency, shown in bold


def who(inv: Investments, partner: str | None) -> str:
    if partner is ALL:
        return "All partners"
    name = str(inv.partner(partner)["name"])
    return name if name == partner else f"{name} ({partner})"


def empty_message(inv: Investments, partner: str | None) -> str:
    if partner is ALL:
        return ("No commitments recorded yet. Partners' pledges appear here once they are entered in "
                "the Commitments tab or imported with `genesis import commitments FILE`.")
    return (f"{who(inv, partner)} has no commitments recorded (cancelled ones are not counted). Add one in "
            "the Commitments tab, or import a file with `genesis import commitments FILE`.")


def calendar_note(inv: Investments, rows: pd.DataFrame, partner: str | None) -> str:
    if partner is not ALL:
        return f"Fiscal years: {calendar_name(str(inv.partner(partner)['fiscal_calendar']))}."
    codes = sorted(set(rows["fiscal_calendar"].astype(str)))
    return "Each partner's own fiscal year (" + "; ".join(f"{c}: {FISCAL_MONTHS.get(c, c)}" for c in codes) + ")."


def investment_charts(inv: Investments, partner: str | None, reporting: bool) -> list[ChartData]:
    """One chart per currency shown: one in the reporting currency, or one per original currency."""
    rows = inv.rows(partner)
    title = f"{who(inv, partner)}: pledged, obligated and disbursed"
    if rows.empty:
        return [ChartData(empty=empty_message(inv, partner), title=title)]
    shown = by_year(rows, reporting, inv.reporting_currency)
    original = by_year(rows, False, inv.reporting_currency)
    changed = reporting and bool((rows["currency"] != inv.reporting_currency).any())
    converted = " Converted at the rate of each pledge date (see the table)." if changed else ""
    charts = []
    for currency, group in shown.groupby("currency", sort=True):
        own = rows if reporting else rows[rows["currency"] == currency]
        note = calendar_note(inv, own, partner) + converted
        years = list(group["fiscal_year"])
        scale = MoneyScale.fitting(currency, *(group[f"{m}_minor"] for m in MEASURES))
        series = []
        for m in MEASURES:
            tips = []
            for year, minor in zip(years, group[f"{m}_minor"]):
                tip = f"{who(inv, partner)} · FY{year}\n{m.capitalize()}: {money_text(minor, currency)}"
                if reporting:
                    before = original[original["fiscal_year"] == year]
                    tip += "".join(f"\n  from {money_text(v, c)}" for c, v in zip(before["currency"], before[f"{m}_minor"])
                                   if c != currency)
                tips.append(tip)
            series.append(BarSeries(m.capitalize(), scale.lengths(group[f"{m}_minor"]), tips))
        charts.append(ChartData([f"FY{y}" for y in years], series, scale.label, "Fiscal year", note,
                                title=f"{title} ({currency})"))
    return charts


def investment_table(inv: Investments, partner: str | None, reporting: bool) -> InvestmentTable:
    """The commitment years behind the charts, exact, with a total per currency."""
    rows = inv.rows(partner)
    suffix = "_reporting_minor" if reporting else "_minor"
    headers = (["Partner"] if partner is ALL else []) + ["Commitment", "Fiscal year", "Pledged", "Obligated",
                                                         "Disbursed", "Currency"] + (["Rate used"] if reporting else [])
    table = InvestmentTable(headers)
    for r in rows.itertuples(index=False):
        currency = inv.reporting_currency if reporting else r.currency
        cells = [format_grouped(int(getattr(r, f"{m}{suffix}")), currency) for m in MEASURES]
        rate = [r.rate or "(no conversion)"] if reporting else []
        table.rows.append(([r.partner] if partner is ALL else []) + [r.commitment, f"FY{r.fiscal_year}", *cells,
                                                                     currency, *rate])
        table.tooltips.append(f"{r.commitment}: {r.title}\nState: {r.state}; pledged on {r.pledged_on:%Y-%m-%d}")
    for total in by_year(rows, reporting, inv.reporting_currency).groupby("currency", sort=True):
        currency, group = total
        cells = [format_grouped(int(group[f"{m}_minor"].sum()), currency) for m in MEASURES]
        lead = ["Total", ""] if partner is ALL else ["Total"]
        table.totals.append(lead + ["all years", *cells, currency] + ([""] if reporting else []))
    return table
