"""The partners and commitments views: who co-invests, and each commitment's money over its fiscal years.

Qt-free, read in a worker. Amounts stay in their original currency, summed by the database in integer
minor units; amounts in different currencies are never added without a dated rate, so a partner that
pledges in two currencies has one row per currency.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, func, select, type_coerce

from genesis_desktop.portfolio.partners import CommitmentState, PartnerKind
from genesis_desktop.portfolio.schema import Commitment, CommitmentYear, Partner

from .columns import ColumnSpec
from .table_format import add_money
from .table_reader import Reading, read_frame

PARTNER_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("name", "Name", stretch=True),
    ColumnSpec("kind", "Kind", "enum", order=tuple(k.value for k in PartnerKind), filter_by="choice"),
    ColumnSpec("country", "Country", filter_by="choice"),
    ColumnSpec("currency", "Currency", filter_by="choice"),
    ColumnSpec("commitments", "Commitments", "int", filterable=False, filter_by="range"),
    ColumnSpec("pledged", "Pledged", "money", text_key="pledged_text", filterable=False, filter_by="range",
               currency="currency"),
)


def _money(key: str, title: str) -> ColumnSpec:
    return ColumnSpec(key, title, "money", text_key=f"{key}_text", filterable=False, filter_by="range",
                      currency="currency")


COMMITMENT_COLUMNS = (
    ColumnSpec("code", "Reference"),
    ColumnSpec("partner", "Partner", filter_by="choice"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("state", "State", "enum", order=tuple(s.value for s in CommitmentState), filter_by="choice"),
    ColumnSpec("currency", "Currency", filter_by="choice"),
    # Sorted by the first year; filtered by any year the commitment covers, in the partner's calendar.
    ColumnSpec("first_year", "Fiscal years", "int", text_key="years_text", filterable=False, filter_by="years",
               span_end="last_year"),
    _money("pledged", "Pledged"),
    _money("obligated", "Obligated"),
    _money("disbursed", "Disbursed"),
)


def partners_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per partner and currency of its commitments (one row with no currency if it has none)."""
    pledged = (
        select(CommitmentYear.commitment_id, func.sum(CommitmentYear.pledged_minor).label("minor"))
        .group_by(CommitmentYear.commitment_id)
        .subquery()
    )
    stmt = (
        select(
            Partner.code,
            Partner.name,
            type_coerce(Partner.kind, String).label("kind"),
            Partner.country,
            Commitment.currency,
            func.count(Commitment.id).label("commitments"),
            func.coalesce(func.sum(pledged.c.minor), 0).label("pledged_minor"),
        )
        .outerjoin(Commitment, Commitment.partner_id == Partner.id)
        .outerjoin(pledged, pledged.c.commitment_id == Commitment.id)
        .group_by(Partner.id, Partner.code, Partner.name, Partner.kind, Partner.country, Commitment.currency)
        .order_by(Partner.code, Commitment.currency)
    )
    frame = read_frame(engine, stmt, reading)
    frame["commitments"] = frame["commitments"].astype("int64")
    return add_money(frame, ["pledged"])


def commitments_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per commitment: its partner, state, span of fiscal years and the three amounts."""
    years = (
        select(
            CommitmentYear.commitment_id,
            func.min(CommitmentYear.fiscal_year).label("first_year"),
            func.max(CommitmentYear.fiscal_year).label("last_year"),
            func.sum(CommitmentYear.pledged_minor).label("pledged_minor"),
            func.sum(CommitmentYear.obligated_minor).label("obligated_minor"),
            func.sum(CommitmentYear.disbursed_minor).label("disbursed_minor"),
        )
        .group_by(CommitmentYear.commitment_id)
        .subquery()
    )
    stmt = (
        select(
            Commitment.code,
            Partner.code.label("partner"),
            Commitment.title,
            type_coerce(Commitment.state, String).label("state"),
            Commitment.currency,
            Partner.fiscal_calendar.label("calendar"),
            years.c.first_year,
            years.c.last_year,
            years.c.pledged_minor,
            years.c.obligated_minor,
            years.c.disbursed_minor,
        )
        .join(Partner, Commitment.partner_id == Partner.id)
        .outerjoin(years, years.c.commitment_id == Commitment.id)
        .order_by(Commitment.code)
    )
    frame = read_frame(engine, stmt, reading)
    frame["years_text"] = [_span(first, last, calendar) for first, last, calendar
                           in zip(frame["first_year"], frame["last_year"], frame["calendar"])]
    for name in ("first_year", "last_year"):
        frame[name] = frame[name].astype("float64")  # a commitment with no years yet has none
    return add_money(frame, ["pledged", "obligated", "disbursed"])


def _span(first: float, last: float, calendar: str) -> str:
    """'FY2026–FY2030 (US)': the years, in the partner's own fiscal calendar."""
    if first is None or last is None or np.isnan(first) or np.isnan(last):
        return ""
    years = f"FY{int(first)}" if first == last else f"FY{int(first)}–FY{int(last)}"
    return f"{years} ({calendar})"
