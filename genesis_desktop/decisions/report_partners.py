"""The partners' side of a portfolio report: what each partner put in (the investments ledger) and
whether each co-funding agreement's sides pay their agreed shares (the co-funding check).

Each section returns a table (report_data.table's shape) or, when it cannot be made, the sentence
the report prints in its place: the ledger and co-funding modules are imported when a report is made,
so a report still comes out where either is missing or cannot convert its money.
"""
from __future__ import annotations

import importlib

import pandas as pd

from genesis_desktop.portfolio.money import MoneyError, minor_digits

MEASURES = ("pledged", "obligated", "disbursed")


def _module(name: str):
    try:
        return importlib.import_module(f"genesis_desktop.decisions.{name}")
    except ImportError:
        return None


def ledger_section(store, currency: str, table) -> dict | str:
    """Money by partner from the ledger, each commitment converted at its pledge day's rate; cancelled
    commitments left out, as `genesis summary` does; and whether the entries add up to the totals."""
    ledger = _module("ledger")
    if ledger is None:
        return "Partners' ledger left out: this installation has no investments ledger."
    try:
        rows = ledger.ledger(store, reporting_currency=currency)
    except (MoneyError, ValueError) as err:
        return f"Partners' ledger left out: {err}."
    live = rows[rows["state"] != "cancelled"]
    sums = live.groupby(["partner", "partner_name"], as_index=False, sort=True)[
        [f"{m}_reporting_minor" for m in MEASURES]].sum()
    scale = 10.0 ** minor_digits(currency)
    frame = pd.DataFrame({"Partner": sums["partner"], "Name": sums["partner_name"],
                          **{m.title(): sums[f"{m}_reporting_minor"] / scale for m in MEASURES}})
    frame = frame.sort_values(["Pledged", "Partner"], ascending=[False, True], kind="stable")
    rates = sorted({r for r in live["rate"] if r})
    problems = ledger.check_ledger(store)
    note = (f"Converted at each pledge day's rate{': ' + '; '.join(rates) if rates else ''}. Cancelled commitments "
            "are left out. " + ("Every year's entries add up to its totals." if not problems else
                                f"{len(problems)} year(s) whose entries do not add up: {'; '.join(problems[:3])}."))
    return table("Partners' ledger", frame, {m.title(): "money" for m in MEASURES}, note, sheet="Partners")


def cofunding_section(store, table) -> dict | str:
    """One row per agreement and side: the agreed percent and the side's share of each measure, and
    whether the shares are within the agreement's tolerance; the check's flags and problems as a note."""
    cofunding = _module("cofunding")
    if cofunding is None:
        return "Co-funding shares left out: this installation has no co-funding check."
    try:
        agreements = cofunding.check_cofunding(store)
    except (MoneyError, ValueError) as err:
        return f"Co-funding shares left out: {err}."
    if not agreements:
        return "Co-funding shares: no co-funding agreement is recorded."
    rows, notes = [], []
    for a in agreements:
        for side in a["sides"]:
            share = {m: side["shares"][m]["share"] for m in MEASURES}
            within = [side["shares"][m]["within"] for m in MEASURES]
            rows.append({"Agreement": a["agreement"], "Side": side["name"], "Partners": ", ".join(side["partners"]),
                         "Agreed": float(side["percent"]) / 100,
                         **{f"{m.title()} share": None if share[m] is None else float(share[m]) / 100 for m in MEASURES},
                         "Within": "NO" if False in within else ("yes" if True in within else "")})
        notes.append(f"{a['agreement']} (money compared in {a['currency']}): "
                     + ("; ".join(a["flags"] + a["problems"]) or "every share is within the agreement's tolerance") + ".")
    formats = {"Agreed": "share", **{f"{m.title()} share": "share" for m in MEASURES}}
    return table("Co-funding shares", pd.DataFrame(rows), formats, " ".join(notes), sheet="Co-funding")
