"""What each table view shows: one SQLAlchemy Core select per view, read with pandas, and its columns.

Qt-free: these run in worker threads, and tests and the CLI can call them. Money stays exact: totals
are summed in integer minor units and turned into text exactly (table_format.add_money, the text of
money.format_grouped); only the sort key is a float of major units. The challenges and proposals
views are here; the others are in table_views_*.py, and TABLE_VIEWS lists them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, func, select, type_coerce

from genesis_desktop.portfolio.schema import (
    Call,
    Challenge,
    ChallengeStatus,
    Institution,
    Proposal,
    ProposalBudget,
    ProposalChallenge,
    ProposalStatus,
)

from .columns import ColumnSpec, TableData
from .table_format import add_money
from .table_reader import Reading, read_frame
from .table_views_calls import CALL_COLUMNS, INSTITUTION_COLUMNS, calls_frame, institutions_frame
from .table_views_partners import COMMITMENT_COLUMNS, PARTNER_COLUMNS, commitments_frame, partners_frame
from .table_views_reviews import (OWED_COLUMNS, REVIEW_COLUMNS, REVIEWER_COLUMNS, owed_frame, reviewers_frame,
                                  reviews_frame)

CHALLENGE_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("area", "Area", filter_by="choice"),
    ColumnSpec("lead", "Lead", filter_by="choice"),
    ColumnSpec("status", "Status", "enum", order=tuple(s.value for s in ChallengeStatus), filter_by="choice"),
    # Spelled out, because an illustrative stand-in must never pass for an official challenge.
    ColumnSpec("standing", "Standing", filter_by="choice"),
    ColumnSpec("proposals", "Proposals", "int", filterable=False, filter_by="range"),
)

PROPOSAL_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("call", "Call", filter_by="choice"),
    ColumnSpec("phase", "Phase", filter_by="choice"),
    ColumnSpec("lead", "Lead"),
    ColumnSpec("status", "Status", "enum", order=tuple(s.value for s in ProposalStatus), filter_by="choice"),
    ColumnSpec("requested", "Requested", "money", text_key="requested_text", filterable=False,
               filter_by="range", currency="currency"),
    ColumnSpec("currency", "Currency", filter_by="choice"),
    ColumnSpec("gpu_hours", "GPU-hours", "int", filterable=False, filter_by="range"),
)


def challenges_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per challenge: code, title, area, lead institution code, status, official, proposals."""
    addressed = select(func.count()).where(ProposalChallenge.challenge_id == Challenge.id)
    stmt = (
        select(
            Challenge.code,
            Challenge.title,
            Challenge.area,
            Institution.code.label("lead"),
            type_coerce(Challenge.status, String).label("status"),
            Challenge.official,
            addressed.scalar_subquery().label("proposals"),
        )
        .outerjoin(Institution, Challenge.lead_institution_id == Institution.id)
        .order_by(Challenge.code)
    )
    frame = read_frame(engine, stmt, reading)
    frame["standing"] = np.where(frame["official"].astype(bool), "Official", "Illustrative")
    frame["proposals"] = frame["proposals"].astype(np.int64)
    return frame


def proposals_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per proposal, with its call, lead institution and requested total over all years.

    The total is a correlated subquery rather than a join to a grouped one: SQLite then streams rows
    from the first one (a first page of 1,000 rows takes milliseconds, not the seconds a full
    GROUP BY over every budget line takes before the first row).
    """
    requested = (
        select(func.coalesce(func.sum(ProposalBudget.amount_minor), 0))
        .where(ProposalBudget.proposal_id == Proposal.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Proposal.code,
            Proposal.title,
            Call.number.label("call"),
            Proposal.phase,
            Institution.code.label("lead"),
            type_coerce(Proposal.status, String).label("status"),
            requested.label("requested_minor"),
            Proposal.currency,
            Proposal.requested_gpu_hours.label("gpu_hours"),
        )
        .join(Call, Proposal.call_id == Call.id)
        .join(Institution, Proposal.lead_institution_id == Institution.id)
        .order_by(Proposal.code)
    )
    frame = read_frame(engine, stmt, reading, count=select(func.count()).select_from(Proposal))
    frame["gpu_hours"] = frame["gpu_hours"].astype(np.int64)
    return add_money(frame, ["requested"])


@dataclass(frozen=True)
class TableViewSpec:
    """A page of the main window that shows one table: where its rows come from and how they look."""

    key: str
    title: str
    noun: str  # plural, lower case, for counts and messages: "12 proposals"
    icon: str  # name of an SVG in resources/icons
    load: Callable[..., pd.DataFrame]
    columns: tuple[ColumnSpec, ...]
    # The tables its rows are read from: a write to any of them reloads the view.
    tables: frozenset[str] = frozenset()
    # `load(engine, reading)` honours a Reading (a first page, progress, Cancel); else `load(engine)`.
    streams: bool = False

    def build(self, engine: Engine, reading: Reading | None = None) -> TableData:
        """Read and prepare the table; runs in a worker thread."""
        frame = self.load(engine, reading) if self.streams else self.load(engine)
        return TableData.from_frame(frame, self.columns).prepare()


def _view(key: str, title: str, icon: str, load, columns, tables: set[str], noun: str | None = None) -> TableViewSpec:
    return TableViewSpec(key, title, noun or title.lower(), icon, load, columns, frozenset(tables), streams=True)


TABLE_VIEWS = (
    _view("challenges", "Challenges", "challenges", challenges_frame, CHALLENGE_COLUMNS,
          {"challenge", "institution", "proposal_challenge"}),
    _view("proposals", "Proposals", "proposals", proposals_frame, PROPOSAL_COLUMNS,
          {"proposal", "call", "institution", "proposal_budget"}),
    _view("calls", "Calls", "calls", calls_frame, CALL_COLUMNS,
          {"call", "call_phase", "proposal", "proposal_budget"}),
    _view("institutions", "Institutions", "institutions", institutions_frame, INSTITUTION_COLUMNS,
          {"institution", "proposal", "proposal_institution"}),
    _view("partners", "Partners", "partners", partners_frame, PARTNER_COLUMNS,
          {"partner", "commitment", "commitment_year"}),
    _view("commitments", "Commitments", "partners", commitments_frame, COMMITMENT_COLUMNS,
          {"commitment", "commitment_year", "partner"}),
    _view("reviewers", "Reviewers", "reviews", reviewers_frame, REVIEWER_COLUMNS,
          {"reviewer", "review", "institution"}),
    _view("reviews", "Reviews", "reviews", reviews_frame, REVIEW_COLUMNS,
          {"review", "proposal", "reviewer"}),
    _view("owed", "Owed reviews", "reviews", owed_frame, OWED_COLUMNS,
          {"review", "review_assignment", "reviewer", "proposal"}, noun="owed reviews"),
)
