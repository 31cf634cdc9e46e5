"""What each chart of the Overview page draws, made from a portfolio.overview.Overview.

Plain functions from data to ChartData (no widgets), so the figures can be checked without
drawing them. Every phase keeps its colour and pattern across charts: series follow o.phases.
"""
from __future__ import annotations

import pandas as pd

from genesis_desktop.portfolio.overview import NO_PRIMARY, Overview
from genesis_desktop.portfolio.overview_investments import FISCAL_MONTHS as MONTHS

from .chart_money import MoneyScale, money_text
from .chart_data import BarSeries, ChartData

TOP_PARTNERS = 6  # more partners than this are summed as "Other partners", so bars stay readable
OTHERS = "Other partners"


def phase_name(phase: str) -> str:
    return f"Phase {phase}"


def status_name(status: str) -> str:
    return status.replace("_", " ").capitalize()


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _grid(frame: pd.DataFrame, index: str, rows: list, columns, value: str) -> pd.DataFrame:
    return (frame.pivot_table(index=index, columns="phase", values=value, aggfunc="sum", observed=True)
            .reindex(index=rows, columns=list(columns)).fillna(0).astype("int64"))


def area_chart(o: Overview) -> ChartData:
    by = o.by_area
    if by.empty:
        return ChartData(empty="No proposals yet, so nothing has been requested.")
    totals = by.groupby("area")["requested_minor"].sum().sort_values(ascending=False, kind="stable")
    areas = [a for a in totals.index if a != NO_PRIMARY] + [a for a in totals.index if a == NO_PRIMARY]
    money, counts = (_grid(by, "area", areas, o.phases, v) for v in ("requested_minor", "proposals"))
    currency = o.reporting_currency
    scale = MoneyScale.fitting(currency, by["requested_minor"])
    series = [BarSeries(phase_name(p), scale.lengths(money[p]), [
        f"{a} · {phase_name(p)}\n{plural(int(counts.at[a, p]), 'proposal')}\n"
        f"Requested: {money_text(money.at[a, p], currency)}" for a in areas]) for p in o.phases]
    return ChartData(areas, series, f"Requested, {scale.label}",
                     note="By the area of each proposal's primary challenge; withdrawn proposals left out.")


def budget_chart(o: Overview) -> ChartData:
    budgets = o.call_budgets
    if budgets.empty:
        return ChartData(empty="No calls for proposals yet.")
    calls = list(budgets["call"])
    currency = o.reporting_currency
    money, counts = (_grid(o.by_call, "call", calls, o.phases, v) for v in ("requested_minor", "proposals"))
    budget = budgets.set_index("call")
    scale = MoneyScale.fitting(currency, o.by_call["requested_minor"], money.sum(axis=1),
                               budgets["budget_reporting_minor"])

    def requested(name: str, minors: pd.Series, n: pd.Series) -> BarSeries:
        return BarSeries(name, scale.lengths(minors), [
            f"{c} · {name}\n{plural(int(n[c]), 'proposal')}\nRequested: {money_text(minors[c], currency)}"
            for c in calls])

    series = [requested(f"{phase_name(p)} requested", money[p], counts[p]) for p in o.phases]
    if len(o.phases) > 1:
        series.append(requested("All phases requested", money.sum(axis=1), counts.sum(axis=1)))
    series.append(BarSeries("Call budget", scale.lengths(budget["budget_reporting_minor"]),
                            [_budget_tip(c, budget.loc[c], currency) for c in calls]))
    ratios = [f"{money.loc[c].sum() / budget.at[c, 'budget_reporting_minor']:.1f}\u00a0times the budget of {c}"
              for c in calls if budget.at[c, "budget_reporting_minor"] > 0]
    shown = "; ".join(ratios[:3]) + ("; …" if len(ratios) > 3 else "")
    note = "Withdrawn proposals left out." + (f" Requests are {shown}." if shown else "")
    return ChartData(calls, series, scale.label, note=note)


def _budget_tip(call: str, row: pd.Series, currency: str) -> str:
    text = f"{call}: {row['title']}\nTotal budget: {money_text(row['budget_reporting_minor'], currency)}"
    if row["currency"] != currency:
        text += f"\n(published as {money_text(row['budget_minor'], row['currency'])})"
    return text


def commitments_chart(o: Overview) -> ChartData:
    c = o.commitments
    if c.empty:
        return ChartData(empty="No commitments recorded yet. Partners' pledges appear here once they are "
                               "entered or imported.")
    partners = o.investments.partners.set_index("code")
    ranked = list(c.groupby("partner")["pledged_minor"].sum().sort_values(ascending=False, kind="stable").index)
    if len(ranked) > TOP_PARTNERS + 1:
        keep = set(ranked[:TOP_PARTNERS])
        c = c.assign(partner=c["partner"].where(c["partner"].isin(keep), OTHERS))
        c = c.groupby(["partner", "fiscal_year"], as_index=False).sum(numeric_only=True)
        ranked = ranked[:TOP_PARTNERS] + [OTHERS]
    years = sorted(c["fiscal_year"].unique())
    currency = o.reporting_currency
    table = c.set_index(["partner", "fiscal_year"])
    scale = MoneyScale.fitting(currency, c["pledged_minor"])

    def tip(code: str, year: int) -> str:
        name = f"{partners.at[code, 'name']} ({code})" if code in partners.index else code
        if (code, year) not in table.index:
            return f"{name} · FY{year}\nNo commitment this year"
        row = table.loc[(code, year)]
        return (f"{name} · FY{year}\n" + "\n".join(
            f"{m.capitalize()}: {money_text(row[f'{m}_minor'], currency)}" for m in ("pledged", "obligated", "disbursed")))

    series = []
    for code in ranked:
        pledged = [int(table.at[(code, y), "pledged_minor"]) if (code, y) in table.index else 0 for y in years]
        series.append(BarSeries(code, scale.lengths(pledged), [tip(code, y) for y in years]))
    calendars = sorted({partners.at[p, "fiscal_calendar"] for p in ranked if p in partners.index})
    note = ("Pledged, in each partner's own fiscal year (" + "; ".join(f"{k}: {MONTHS.get(k, k)}" for k in calendars)
            + "), at pledge-date rates.")
    return ChartData([f"FY{y}" for y in years], series, f"Pledged, {scale.label}", "Fiscal year", note)


def status_chart(o: Overview) -> ChartData:
    by = o.by_status
    if int(by["proposals"].sum()) == 0:
        return ChartData(empty="No proposals yet.")
    statuses = list(dict.fromkeys(by["status"]))
    counts = _grid(by, "status", statuses, o.phases, "proposals")
    names = [status_name(s) for s in statuses]
    series = [BarSeries(phase_name(p), counts[p].to_numpy(dtype="float64"),
                        [f"{n} · {phase_name(p)}: {plural(int(counts.at[s, p]), 'proposal')}"
                         for s, n in zip(statuses, names)],
                        [f"{int(v):,}" for v in counts[p]]) for p in o.phases]
    return ChartData(names, series, "Proposals", note=f"All {int(by['proposals'].sum()):,} proposals, withdrawn ones included.")
