"""What each table view shows: one SQLAlchemy Core select per view, read with pandas, and its columns.

Qt-free: these run in worker threads, and tests and the CLI can call them. Money stays exact: the
requested total is summed in integer minor units and turned into text by money.format_grouped;
only the sort key is a float of major units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, func, select, type_coerce

from genesis_desktop.portfolio.money import CURRENCY_DIGITS, format_grouped
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

CHALLENGE_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("area", "Area"),
    ColumnSpec("lead", "Lead"),
    ColumnSpec("status", "Status", "enum", order=tuple(s.value for s in ChallengeStatus)),
    # Spelled out, because an illustrative stand-in must never pass for an official challenge.
    ColumnSpec("standing", "Standing"),
    ColumnSpec("proposals", "Proposals", "int", filterable=False),
)

PROPOSAL_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("call", "Call"),
    ColumnSpec("phase", "Phase"),
    ColumnSpec("lead", "Lead"),
    ColumnSpec("status", "Status", "enum", order=tuple(s.value for s in ProposalStatus)),
    ColumnSpec("requested", "Requested", "float", text_key="requested_text", filterable=False),
    ColumnSpec("currency", "Currency"),
    ColumnSpec("gpu_hours", "GPU-hours", "int", filterable=False),
)


def challenges_frame(engine: Engine) -> pd.DataFrame:
    """One row per challenge: code, title, area, lead institution code, status, official, proposals."""
    addressed = (
        select(ProposalChallenge.challenge_id, func.count().label("n"))
        .group_by(ProposalChallenge.challenge_id)
        .subquery()
    )
    stmt = (
        select(
            Challenge.code,
            Challenge.title,
            Challenge.area,
            Institution.code.label("lead"),
            type_coerce(Challenge.status, String).label("status"),
            Challenge.official,
            func.coalesce(addressed.c.n, 0).label("proposals"),
        )
        .outerjoin(Institution, Challenge.lead_institution_id == Institution.id)
        .outerjoin(addressed, addressed.c.challenge_id == Challenge.id)
        .order_by(Challenge.code)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(stmt, conn)
    frame["standing"] = np.where(frame["official"].astype(bool), "Official", "Illustrative")
    frame["proposals"] = frame["proposals"].astype(np.int64)
    return frame


def proposals_frame(engine: Engine) -> pd.DataFrame:
    """One row per proposal, with its call, lead institution and requested total over all years."""
    requested = (
        select(ProposalBudget.proposal_id, func.sum(ProposalBudget.amount_minor).label("minor"))
        .group_by(ProposalBudget.proposal_id)
        .subquery()
    )
    stmt = (
        select(
            Proposal.code,
            Proposal.title,
            Call.number.label("call"),
            Proposal.phase,
            Institution.code.label("lead"),
            type_coerce(Proposal.status, String).label("status"),
            func.coalesce(requested.c.minor, 0).label("requested_minor"),
            Proposal.currency,
            Proposal.requested_gpu_hours.label("gpu_hours"),
        )
        .join(Call, Proposal.call_id == Call.id)
        .join(Institution, Proposal.lead_institution_id == Institution.id)
        .outerjoin(requested, requested.c.proposal_id == Proposal.id)
        .order_by(Proposal.code)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(stmt, conn)
    minor = frame["requested_minor"].astype(np.int64)
    digits = frame["currency"].map(CURRENCY_DIGITS).fillna(2).astype(np.int64)
    frame["requested_minor"] = minor
    frame["requested"] = minor.to_numpy() / np.power(10.0, digits.to_numpy())
    frame["requested_text"] = [format_grouped(m, c) for m, c in zip(minor.tolist(), frame["currency"].tolist())]
    frame["gpu_hours"] = frame["gpu_hours"].astype(np.int64)
    return frame


@dataclass(frozen=True)
class TableViewSpec:
    """A page of the main window that shows one table: where its rows come from and how they look."""

    key: str
    title: str
    noun: str  # plural, lower case, for counts and messages: "12 proposals"
    icon: str  # name of an SVG in resources/icons
    load: Callable[[Engine], pd.DataFrame]
    columns: tuple[ColumnSpec, ...]
    # The tables its rows are read from: a write to any of them reloads the view.
    tables: frozenset[str] = frozenset()

    def build(self, engine: Engine) -> TableData:
        """Read and prepare the table; runs in a worker thread."""
        return TableData.from_frame(self.load(engine), self.columns).prepare()


TABLE_VIEWS = (
    TableViewSpec("challenges", "Challenges", "challenges", "challenges", challenges_frame, CHALLENGE_COLUMNS,
                  frozenset({"challenge", "institution", "proposal_challenge"})),
    TableViewSpec("proposals", "Proposals", "proposals", "proposals", proposals_frame, PROPOSAL_COLUMNS,
                  frozenset({"proposal", "call", "institution", "proposal_budget"})),
)
