"""The calls and institutions views: one Core select each, with counts and exact money totals.

Qt-free, read in a worker. Totals are summed by the database in integer minor units and turned into
text by `table_format.add_money`; only the sort key is a float. A proposal's currency is its call's
(the import rules enforce it), so a call's requested total is a sum in one currency.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, String, func, select, type_coerce

from genesis_desktop.portfolio.institutions import InstitutionKind
from genesis_desktop.portfolio.schema import Call, CallPhase, Institution, Proposal, ProposalBudget, ProposalInstitution

from .columns import ColumnSpec
from .table_format import add_money
from .table_reader import Reading, read_frame

CALL_COLUMNS = (
    ColumnSpec("number", "Number"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("currency", "Currency", filter_by="choice"),
    ColumnSpec("budget", "Total budget", "money", text_key="budget_text", filterable=False, filter_by="range",
               currency="currency"),
    ColumnSpec("opens_on", "Opens", "date", filterable=False),
    ColumnSpec("closes_on", "Closes", "date", filterable=False),
    ColumnSpec("phases", "Phases"),
    ColumnSpec("proposals", "Proposals", "int", filterable=False, filter_by="range"),
    ColumnSpec("requested", "Requested", "money", text_key="requested_text", filterable=False, filter_by="range",
               currency="currency"),
)

INSTITUTION_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("name", "Name", stretch=True),
    ColumnSpec("kind", "Kind", "enum", order=tuple(k.value for k in InstitutionKind), filter_by="choice"),
    ColumnSpec("country", "Country", filter_by="choice"),
    ColumnSpec("city", "City"),
    ColumnSpec("led", "Proposals led", "int", filterable=False, filter_by="range"),
    ColumnSpec("memberships", "Team memberships", "int", filterable=False, filter_by="range"),
)


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def _phase_order(phase: str) -> tuple[int, str]:
    return _ROMAN.get(phase, len(_ROMAN) + 1), phase


def calls_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per call: budget, dates, its phases, how many proposals it received and their total ask."""
    phases = select(func.aggregate_strings(CallPhase.phase, ", ")).where(CallPhase.call_id == Call.id)
    proposals = select(func.count()).where(Proposal.call_id == Call.id)
    requested = (
        select(func.coalesce(func.sum(ProposalBudget.amount_minor), 0))
        .join(Proposal, ProposalBudget.proposal_id == Proposal.id)
        .where(Proposal.call_id == Call.id)
    )
    stmt = select(
        Call.number,
        Call.title,
        Call.currency,
        Call.total_budget_minor.label("budget_minor"),
        Call.opens_on,
        Call.closes_on,
        phases.scalar_subquery().label("phases"),
        proposals.scalar_subquery().label("proposals"),
        requested.scalar_subquery().label("requested_minor"),
    ).order_by(Call.number)
    frame = read_frame(engine, stmt, reading)
    # The database concatenates phases in no promised order: list them I, II, III.
    frame["phases"] = [", ".join(sorted(p.split(", "), key=_phase_order)) if isinstance(p, str) else ""
                       for p in frame["phases"]]
    frame["proposals"] = frame["proposals"].astype("int64")
    return add_money(frame, ["budget", "requested"])


def institutions_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per institution: what it is, where, how many proposals it leads and how many teams it is in."""
    led = select(func.count()).where(Proposal.lead_institution_id == Institution.id)
    memberships = select(func.count()).where(ProposalInstitution.institution_id == Institution.id)
    stmt = select(
        Institution.code,
        Institution.name,
        type_coerce(Institution.kind, String).label("kind"),
        Institution.country,
        Institution.city,
        led.scalar_subquery().label("led"),
        memberships.scalar_subquery().label("memberships"),
    ).order_by(Institution.code)
    frame = read_frame(engine, stmt, reading)
    for name in ("led", "memberships"):
        frame[name] = frame[name].astype("int64")
    return frame
