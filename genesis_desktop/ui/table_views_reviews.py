"""The reviewers and reviews views: who reviews, how many reviews each holds, and what they scored.

Qt-free, read in a worker. Scores are whole numbers per criterion (1 exceptional .. 9 poor); the
table shows their mean for sorting and every criterion spelled out for reading.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, func, select, type_coerce

from genesis_desktop.portfolio.reviews import ReviewState
from genesis_desktop.portfolio.schema import Institution, Proposal, Review, Reviewer

from .columns import ColumnSpec
from .table_reader import Reading, read_frame

REVIEWER_COLUMNS = (
    ColumnSpec("name", "Name"),
    ColumnSpec("email", "Email"),
    ColumnSpec("institution", "Institution", filter_by="choice"),
    ColumnSpec("expertise", "Expertise", stretch=True),
    ColumnSpec("load", "Reviews", "int", filterable=False, filter_by="range"),
    ColumnSpec("submitted", "Submitted", "int", filterable=False, filter_by="range"),
)

REVIEW_COLUMNS = (
    ColumnSpec("proposal", "Proposal"),
    ColumnSpec("reviewer", "Reviewer", filter_by="choice"),
    ColumnSpec("state", "Status", "enum", order=tuple(s.value for s in ReviewState), filter_by="choice"),
    ColumnSpec("score", "Mean score", "float", filterable=False, filter_by="range"),
    ColumnSpec("scores", "Scores", stretch=True),
    ColumnSpec("submitted_at", "Submitted", "date", filterable=False),
)


def reviewers_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per reviewer: home institution, expertise, and the reviews assigned and submitted."""
    load = select(func.count()).where(Review.reviewer_id == Reviewer.id)
    submitted = load.where(Review.state == ReviewState.SUBMITTED)
    stmt = (
        select(
            Reviewer.name,
            Reviewer.email,
            Institution.code.label("institution"),
            Reviewer.expertise,
            load.scalar_subquery().label("load"),
            submitted.scalar_subquery().label("submitted"),
        )
        .outerjoin(Institution, Reviewer.institution_id == Institution.id)
        .order_by(Reviewer.name, Reviewer.email)
    )
    frame = read_frame(engine, stmt, reading)
    frame["expertise"] = [", ".join(e) if isinstance(e, list) else "" for e in frame["expertise"]]
    for name in ("load", "submitted"):
        frame[name] = frame[name].astype("int64")
    return frame


def reviews_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per review: proposal, reviewer, state, mean and per-criterion scores, when submitted."""
    stmt = (
        select(
            Proposal.code.label("proposal"),
            Reviewer.name.label("reviewer"),
            type_coerce(Review.state, String).label("state"),
            Review.scores,
            Review.submitted_at,
        )
        .join(Proposal, Review.proposal_id == Proposal.id)
        .join(Reviewer, Review.reviewer_id == Reviewer.id)
        .order_by(Proposal.code, Reviewer.name)
    )
    frame = read_frame(engine, stmt, reading)
    scores = [s if isinstance(s, dict) else {} for s in frame["scores"]]
    frame["score"] = np.array([np.mean(list(s.values())) if s else np.nan for s in scores], dtype=float)
    frame["scores"] = [" · ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.items()) for s in scores]
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return frame


OWED_COLUMNS = (
    ColumnSpec("name", "Reviewer"),
    ColumnSpec("email", "Email"),
    ColumnSpec("proposal", "Proposal"),
    ColumnSpec("state", "Status", "enum", order=("not started", "draft"), filter_by="choice"),
    ColumnSpec("owed", "Reviews owed", "int", filterable=False, filter_by="range"),
)


def owed_frame(engine: Engine, reading: Reading | None = None) -> pd.DataFrame:
    """One row per assigned review not yet submitted: the reminders list, from review.reminders so
    the desk and `genesis review missing` can never disagree."""
    from genesis_desktop.review.reminders import missing_reviews

    rows = [(o.name, o.reviewer, code, "draft" if code in o.drafts else "not started", len(o.proposals))
            for o in missing_reviews(engine) for code in o.proposals]  # each reviewer's in their own order
    return pd.DataFrame(rows, columns=[c.key for c in OWED_COLUMNS]).astype({"owed": "int64"})
