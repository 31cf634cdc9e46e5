"""Portfolio records as typed pandas DataFrames, for analysts and for array-based compute.

Internal helpers behind `portfolio.api`: each reads one kind with a SQLAlchemy Core select through
pandas.read_sql (about five times faster than loading ORM objects) and gives its columns real
dtypes: int64, categoricals for closed vocabularies, datetime64, str and bool. Records refer to each
other by natural keys (codes, numbers, emails), never by database ids.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, String, func, select, type_coerce
from sqlalchemy.orm import aliased

from .frames_money import add_major
from .institutions import Institution, InstitutionKind
from .partners import Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner, PartnerKind
from .programme import Call, CallPhase, Challenge, ChallengeStatus, Programme
from .proposals import Proposal, ProposalBudget, ProposalChallenge, ProposalInstitution, ProposalStatus, ProposalStatusChange
from .reviews import Review, Reviewer, ReviewState

STATUSES = [s.value for s in ProposalStatus]
SEP = "; "  # how lists are written in one cell, as in the flat files (docs/conventions.md)


def raw(column, name: str | None = None):
    """The stored value without SQLAlchemy's per-row conversion (enum members, date parsing):
    pandas converts whole columns far faster."""
    return type_coerce(column, String).label(name or column.key)


def read(conn: Connection, stmt: Select) -> pd.DataFrame:
    return pd.read_sql(stmt, conn)


def when(series: pd.Series) -> pd.Series:
    """Dates and datetimes, whether the driver gave ISO text (SQLite) or date objects."""
    if series.dropna().map(type).eq(str).all():
        return pd.to_datetime(series, format="ISO8601")
    return pd.to_datetime(series)


def categorical(series: pd.Series, categories: list[str] | None = None) -> pd.Series:
    return pd.Series(pd.Categorical(series, categories=categories or sorted(series.dropna().unique())),
                     index=series.index, name=series.name)


def listed(series: pd.Series) -> pd.Series:
    """A JSON list column as one string per row, items joined by '; '."""
    return series.map(lambda v: SEP.join(json.loads(v) if isinstance(v, str) else (v or []))).astype("str")


def typed(df: pd.DataFrame, cats: dict[str, list[str] | None] | None = None, dates: tuple = (), ints: tuple = (),
          bools: tuple = (), lists: tuple = ()) -> pd.DataFrame:
    for c, values in (cats or {}).items():
        df[c] = categorical(df[c], values)
    for c in dates:
        df[c] = when(df[c])
    for c in ints:
        df[c] = df[c].astype("int64")
    for c in bools:
        df[c] = df[c].astype(bool)
    for c in lists:
        df[c] = listed(df[c])
    return df


def institutions(conn: Connection) -> pd.DataFrame:
    i = Institution
    df = read(conn, select(i.code, i.name, raw(i.kind), i.country, i.city).order_by(i.code))
    return typed(df, cats={"kind": [k.value for k in InstitutionKind]})


def challenges(conn: Connection) -> pd.DataFrame:
    c, lead = Challenge, aliased(Institution)
    df = read(conn, select(c.code, c.title, c.area, lead.code.label("lead_institution"), c.description,
                           c.target_outcomes, raw(c.status), c.official, c.source, Programme.code.label("programme"))
              .join(Programme, Programme.id == c.programme_id)
              .outerjoin(lead, lead.id == c.lead_institution_id).order_by(c.code))
    return typed(df, cats={"area": None, "status": [s.value for s in ChallengeStatus]}, bools=("official",))


def calls(conn: Connection) -> pd.DataFrame:
    c = Call
    df = read(conn, select(c.number, c.title, c.currency, c.total_budget_minor, raw(c.opens_on), raw(c.closes_on),
                           c.topic_areas, c.description, Programme.code.label("programme"))
              .join(Programme, Programme.id == c.programme_id).order_by(c.number))
    return add_major(typed(df, dates=("opens_on", "closes_on"), ints=("total_budget_minor",), lists=("topic_areas",)),
                     ["total_budget"])


def call_phases(conn: Connection) -> pd.DataFrame:
    p = CallPhase
    df = read(conn, select(Call.number.label("call"), p.phase, Call.currency, p.award_floor_minor,
                           p.award_ceiling_minor, p.ceiling_per_year, p.duration_months, raw(p.deadline),
                           raw(p.budget_period_start), raw(p.budget_period_end))
              .join(Call, Call.id == p.call_id).order_by(Call.number, p.phase))
    df = typed(df, cats={"phase": None}, dates=("deadline", "budget_period_start", "budget_period_end"),
               ints=("award_floor_minor", "award_ceiling_minor", "duration_months"), bools=("ceiling_per_year",))
    return add_major(df, ["award_floor", "award_ceiling"])


def proposals(conn: Connection, call: str | None = None) -> pd.DataFrame:
    p, lead = Proposal, aliased(Institution)
    budget = (select(ProposalBudget.proposal_id, func.sum(ProposalBudget.amount_minor).label("minor"))
              .group_by(ProposalBudget.proposal_id).subquery())
    changed = (select(ProposalStatusChange.proposal_id, func.max(ProposalStatusChange.changed_at).label("at"))
               .group_by(ProposalStatusChange.proposal_id).subquery())
    stmt = (select(p.id, p.code, Call.number.label("call"), p.phase, p.title, p.abstract, p.keywords,
                   lead.code.label("lead_institution"), p.principal_investigator, p.pi_email, p.currency,
                   func.coalesce(budget.c.minor, 0).label("requested_minor"), p.requested_gpu_hours,
                   raw(p.status), raw(p.submitted_on), raw(changed.c.at, "status_changed_at"))
            .join(Call, Call.id == p.call_id).join(lead, lead.id == p.lead_institution_id)
            .outerjoin(budget, budget.c.proposal_id == p.id).outerjoin(changed, changed.c.proposal_id == p.id)
            .order_by(p.id))
    if call is not None:
        stmt = stmt.where(Call.number == call)
    df = read(conn, stmt)
    df = typed(df, cats={"phase": None, "status": STATUSES}, dates=("submitted_on", "status_changed_at"),
               ints=("requested_minor", "requested_gpu_hours"), lists=("keywords",))
    ids = df.pop("id").to_numpy()
    c = aliased(Challenge)
    chall = read(conn, _members(select(ProposalChallenge.proposal_id, c.code, ProposalChallenge.is_primary)
                                .join(c, c.id == ProposalChallenge.challenge_id), ProposalChallenge, call)
                 .order_by(ProposalChallenge.proposal_id, ProposalChallenge.is_primary.desc(), c.code))
    primary = chall[chall["is_primary"].astype(bool)].drop_duplicates("proposal_id").set_index("proposal_id")["code"]
    df.insert(8, "primary_challenge", primary.reindex(ids).fillna("").astype("str").to_numpy())
    df.insert(9, "challenges", joined(chall, ids))
    team = read(conn, _members(select(ProposalInstitution.proposal_id, Institution.code)
                               .join(Institution, Institution.id == ProposalInstitution.institution_id),
                               ProposalInstitution, call)
                .order_by(ProposalInstitution.proposal_id, Institution.code))
    df.insert(8, "team", joined(team, ids))
    return add_major(df, ["requested"])


def _members(stmt: Select, link, call: str | None) -> Select:
    if call is None:
        return stmt
    return (stmt.join(Proposal, Proposal.id == link.proposal_id).join(Call, Call.id == Proposal.call_id)
            .where(Call.number == call))


def joined(long: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    """Codes per proposal, in the long frame's order, as '; '-joined strings aligned with `ids`.

    Vectorised: the k-th code of every proposal is one column, and columns are appended in turn.
    """
    pid = long["proposal_id"].to_numpy()
    if pid.size == 0:
        return np.full(ids.size, "", dtype=object)
    starts = np.r_[True, pid[1:] != pid[:-1]]
    rank = np.arange(pid.size) - np.flatnonzero(starts)[np.cumsum(starts) - 1]
    wide = long.assign(rank=rank).pivot(index="proposal_id", columns="rank", values="code")
    text = wide[0].astype("str")
    for k in wide.columns[1:]:
        more = wide[k].notna()
        text = text.where(~more, text + SEP + wide[k].astype("str"))
    return text.reindex(ids).fillna("").to_numpy()


def proposal_budgets(conn: Connection, call: str | None = None) -> pd.DataFrame:
    p, b = Proposal, ProposalBudget
    stmt = (select(p.code.label("proposal"), Call.number.label("call"), p.phase, raw(p.status), b.fiscal_year,
                   p.currency, b.amount_minor)
            .join(p, p.id == b.proposal_id).join(Call, Call.id == p.call_id).order_by(b.proposal_id, b.fiscal_year))
    if call is not None:
        stmt = stmt.where(Call.number == call)
    df = typed(read(conn, stmt), cats={"phase": None, "status": STATUSES}, ints=("fiscal_year", "amount_minor"))
    return add_major(df, ["amount"])


def partners(conn: Connection) -> pd.DataFrame:
    p = Partner
    df = read(conn, select(p.code, p.name, raw(p.kind), p.country, p.fiscal_calendar,
                           Institution.code.label("institution"), p.agreement)
              .outerjoin(Institution, Institution.id == p.institution_id).order_by(p.code))
    df["institution"] = df["institution"].fillna("").astype("str")
    return typed(df, cats={"kind": [k.value for k in PartnerKind], "fiscal_calendar": ["US", "JP", "CAL"]})


def commitments(conn: Connection) -> pd.DataFrame:
    c, y = Commitment, CommitmentYear
    df = read(conn, select(c.code.label("commitment"), Partner.code.label("partner"), c.title, raw(c.state), c.funds,
                           raw(c.pledged_on), raw(c.obligated_on), raw(c.disbursed_on), Partner.fiscal_calendar,
                           y.fiscal_year, c.currency, y.pledged_minor, y.obligated_minor, y.disbursed_minor)
              .join(Partner, Partner.id == c.partner_id).join(y, y.commitment_id == c.id)
              .order_by(c.code, y.fiscal_year))
    df = typed(df, cats={"state": [s.value for s in CommitmentState], "fiscal_calendar": ["US", "JP", "CAL"]},
               dates=("pledged_on", "obligated_on", "disbursed_on"),
               ints=("fiscal_year", "pledged_minor", "obligated_minor", "disbursed_minor"), lists=("funds",))
    return add_major(df, ["pledged", "obligated", "disbursed"])


def rates(conn: Connection) -> pd.DataFrame:
    r = ExchangeRate
    df = read(conn, select(r.base, r.quote, raw(r.on), r.rate, r.source).order_by(r.base, r.quote, r.on))
    df = typed(df, dates=("on",))
    df["rate"] = df["rate"].astype("float64")
    return df


def reviewers(conn: Connection) -> pd.DataFrame:
    r = Reviewer
    df = read(conn, select(r.email, r.name, Institution.code.label("institution"), r.expertise, r.partner_ties)
              .outerjoin(Institution, Institution.id == r.institution_id).order_by(r.email))
    df["institution"] = df["institution"].fillna("").astype("str")
    return typed(df, lists=("expertise", "partner_ties"))


def reviews(conn: Connection) -> pd.DataFrame:
    """One row per review; each criterion found in any review's scores is a nullable Int64
    column `score_<criterion>`, and `mean_score` averages the scores given."""
    r = Review
    df = read(conn, select(Proposal.code.label("proposal"), Reviewer.email.label("reviewer"), raw(r.state), r.scores,
                           r.comments, raw(r.updated_at), raw(r.submitted_at))
              .join(Proposal, Proposal.id == r.proposal_id).join(Reviewer, Reviewer.id == r.reviewer_id)
              .order_by(Proposal.code, Reviewer.email))
    df = typed(df, cats={"state": [s.value for s in ReviewState]}, dates=("updated_at", "submitted_at"))
    scores = [json.loads(s) if isinstance(s, str) else (s or {}) for s in df.pop("scores")]
    table = pd.DataFrame.from_records(scores, index=df.index) if scores else pd.DataFrame(index=df.index)
    for criterion in sorted(table.columns):
        df[f"score_{criterion}"] = table[criterion].astype("Int64")
    df["mean_score"] = table.mean(axis=1).astype("float64") if len(table.columns) else np.nan
    return df

