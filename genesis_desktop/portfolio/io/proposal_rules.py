"""The programme rules a proposal row must keep, checked over whole columns at once.

A proposal's currency is its call's, its phase one of the call's phases; lead plus team span at
least two institutions; budget years are consecutive with amounts above zero, and the budget lies
within the phase's award floor and ceiling (per year when the phase's ceiling is per year). A status
only moves forward along the workflow.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..money import format_amount
from ..schema import NEXT_STATUSES, ProposalStatus
from .context import CallRule
from .sheet import Sheet


def _reachable() -> dict[str, set[str]]:
    out = {}
    for start in ProposalStatus:
        seen, todo = {start}, [start]
        while todo:
            for nxt in NEXT_STATUSES[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[start.value] = {s.value for s in seen}
    return out


REACHABLE = _reachable()


def phase_rules(rules: dict[str, CallRule]) -> pd.DataFrame:
    rows = [(number, phase, r.currency, p.floor, p.ceiling, p.per_year)
            for number, r in rules.items() for phase, p in r.phases.items()]
    # object columns: money stays exact Python ints (NaN-filled int columns would turn to floats)
    table = pd.DataFrame(rows, columns=["call", "phase", "currency", "floor", "ceiling", "per_year"], dtype=object)
    return table.astype({"call": "str", "phase": "str"})


def check_call(sheet: Sheet, p: pd.DataFrame, rules: dict[str, CallRule]) -> pd.DataFrame:
    """Currency and phase against the call; returns each row's phase rule (NaN where unknown)."""
    call_currency = p["call"].map({n: r.currency for n, r in rules.items()})
    wrong = (call_currency.notna() & (p["currency"] != "") & (p["currency"] != call_currency)).to_numpy()
    if wrong.any():
        sheet.report_rows(sheet.rows[wrong], "currency", p["currency"][wrong].to_numpy(dtype=object),
                          [f"must be the currency of call {c} ({k})" for c, k in zip(p["call"][wrong], call_currency[wrong])])
    merged = p[["call", "phase"]].merge(phase_rules(rules), on=["call", "phase"], how="left", indicator=True)
    merged.index = p.index
    unknown = (p["call"].isin(list(rules)) & (p["phase"] != "") & (merged["_merge"] == "left_only")).to_numpy()
    if unknown.any():
        phases = {n: "; ".join(r.phases) or "none" for n, r in rules.items()}
        sheet.report_rows(sheet.rows[unknown], "phase", p["phase"][unknown].to_numpy(dtype=object),
                          [f"not a phase of call {c} (its phases: {phases[c]})" for c in p["call"][unknown]])
    return merged


def check_team(sheet: Sheet, lead: pd.Series, team: pd.DataFrame) -> None:
    lead_of_item = lead.reindex(team["row"]).to_numpy()
    is_lead = (team["item"].to_numpy() == lead_of_item)
    sheet.report_rows(team["row"][is_lead], "team", team["item"][is_lead].to_numpy(dtype=object),
                      "the lead institution is not listed again in the team")
    others = team[~is_lead].groupby("row").size().reindex(sheet.rows, fill_value=0)
    small = ((lead != "") & (others.to_numpy() < 1)).to_numpy()
    sheet.report_rows(sheet.rows[small], "team", sheet.raw("team")[small].to_numpy(dtype=object),
                      "a team spans at least 2 institutions: name at least one besides the lead")


def check_budget(sheet: Sheet, budget: pd.DataFrame, rule: pd.DataFrame, currency: pd.Series) -> None:
    """`budget`: row, fy, amount, entry (amount None where it did not parse)."""
    zero = (budget["amount"] == 0).to_numpy()
    sheet.report_rows(budget["row"][zero], "budget", budget["entry"][zero].to_numpy(dtype=object),
                      "budget amounts must be above 0")
    bad_rows = set(budget["row"][budget["amount"].isna() | budget["fy"].isna()])
    b = budget[~budget["row"].isin(bad_rows)]
    if b.empty:
        return
    amount = b["amount"].astype(object)
    big = max(amount) >= 2**62 // max(1, b.groupby("row").size().max())
    amount = amount if big else amount.astype("int64")
    years = b["fy"].astype("int64")
    g = pd.DataFrame({"row": b["row"], "fy": years, "amount": amount}).groupby("row")
    agg = g.agg(first=("fy", "min"), last=("fy", "max"), n=("fy", "size"), total=("amount", "sum"))
    gaps = agg.index[(agg["last"] - agg["first"] + 1) != agg["n"]]
    sheet.report_rows(gaps, "budget", sheet.raw("budget").loc[gaps].to_numpy(dtype=object),
                      "budget years must be consecutive fiscal years (no gaps)")
    r = rule.loc[agg.index]
    known = r["per_year"].notna().to_numpy()
    whole = known & (r["per_year"] == False).to_numpy()  # noqa: E712 (object column)
    _limits(sheet, agg.index[whole], agg["total"][whole], r[whole], currency, sheet.raw("budget").loc[agg.index[whole]],
            "the budget's total")
    per_year = b["row"].isin(agg.index[known & ~whole]).to_numpy()
    if per_year.any():
        rows = b["row"][per_year]
        _limits(sheet, rows.to_numpy(), amount[per_year], rule.loc[rows], currency, b["entry"][per_year],
                "this year's amount")


def _limits(sheet, rows, amounts, rule, currency, shown, what) -> None:
    a = np.asarray(amounts.tolist(), dtype=object)
    lo, hi = rule["floor"].to_numpy(dtype=object), rule["ceiling"].to_numpy(dtype=object)
    has_lo, has_hi = pd.notna(lo), pd.notna(hi)
    above = np.zeros(len(a), dtype=bool)
    above[has_hi] = a[has_hi] > hi[has_hi]
    below = np.zeros(len(a), dtype=bool)
    check = has_lo & ~above
    below[check] = a[check] < lo[check]
    bad = np.flatnonzero(above | below)
    if not bad.size:
        return
    rows, shown = np.asarray(rows), np.asarray(shown.tolist(), dtype=object)
    ccy, phase = currency.loc[rows[bad]].tolist(), rule["phase"].to_numpy(dtype=object)[bad]
    rules = []
    for j, i in enumerate(bad):
        bound, word = (hi[i], "above the phase {} award ceiling") if above[i] else (lo[i], "below the phase {} award floor")
        c = ccy[j]
        rules.append(f"{what} {format_amount(int(a[i]), c)} {c} is {word.format(phase[j])} "
                     f"{format_amount(int(bound), c)} {c}")
    sheet.report_rows(rows[bad], "budget", shown[bad], rules)


def check_status(sheet: Sheet, codes: pd.Series, status: pd.Series, stored: dict[str, str]) -> None:
    """An update may move a proposal forward along the workflow, never back or out of a final state."""
    if not stored:
        return
    before = codes.map(stored)
    moved = (before.notna() & (status != "") & (status != before)).to_numpy()
    bad = [i for i in np.flatnonzero(moved) if status.iat[i] not in REACHABLE[before.iat[i]]]
    if bad:
        sheet.report_rows(sheet.rows[bad], "status", status.iloc[bad].to_numpy(dtype=object),
                          [f"cannot change from {before.iat[i]} to {status.iat[i]}: a status only moves forward "
                           "(submitted, under_review, recommended, then awarded; declined and withdrawn are final)"
                           for i in bad])
