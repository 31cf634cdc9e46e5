"""Portfolio records as typed pandas DataFrames, for analysts and for array-based compute.

Internal helpers behind `portfolio.api`: each reads one kind with a SQLAlchemy Core select through
pandas.read_sql (about five times faster than loading ORM objects) and gives its columns real
dtypes: int64, categoricals for closed vocabularies, datetime64, str and bool. Records refer to each
other by natural keys (codes, numbers, emails), never by database ids.
"""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager

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
    with gc_paused():
        if conn.dialect.name == "sqlite":
            # pandas reads a sqlite3 connection itself, a third faster than through SQLAlchemy's
            # rows (2.3M budget rows: 5.8 s against 8.6 s); the select is still compiled by SQLAlchemy.
            compiled = stmt.compile(dialect=conn.dialect)
            params = [compiled.params[k] for k in compiled.positiontup or ()]
            return pd.read_sql(compiled.string, conn.connection.driver_connection, params=params)
        return pd.read_sql(stmt, conn)


@contextmanager
def gc_paused():
    """Millions of fresh row tuples make the cyclic garbage collector walk them again and again
    (measured: reading 2M rows took 13 s with it, 8 s without); none of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def when(series: pd.Series) -> pd.Series:
    """Dates and datetimes, whether the driver gave ISO text (SQLite) or date objects."""
    if series.dropna().map(type).eq(str).all():
        return pd.to_datetime(series, format="ISO8601")
    return pd.to_datetime(series)


def categorical(series: pd.Series, categories: list[str] | None = None) -> pd.Series:
    return pd.Series(pd.Categorical(series, categories=categories or sorted(series.dropna().unique())),
                     index=series.index, name=series.name)


# A JSON list of plain strings as json.dumps writes it: no escapes, ", " between items.
PLAIN_LIST = r'\[(?:"[^"\\]*"(?:, "[^"\\]*")*)?\]'


def listed(series: pd.Series) -> pd.Series:
    """A JSON list column (text from SQLite, lists from drivers that parse JSON) as one string per
    row, items joined by '; '. Plain lists are rewritten with vectorised string operations; only
    the others (escaped characters, other spacing) are parsed one by one."""
    if len(series) == 0 or not series.map(type).eq(str).all():
        return series.map(lambda v: SEP.join(json.loads(v) if isinstance(v, str) else (v or []))).astype("str")
    text = series.astype("str")
    plain = text.str.fullmatch(PLAIN_LIST)
    out = text.str.slice(2, -2).str.replace('", "', SEP, regex=False)
    if not plain.all():
        out[~plain] = text[~plain].map(lambda v: SEP.join(json.loads(v)))
    return out


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
                           raw(c.topic_areas), c.description, Programme.code.label("programme"))
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
    stmt = (select(p.id, p.code, Call.number.label("call"), p.phase, p.title, p.abstract, raw(p.keywords),
                   lead.code.label("lead_institution"), p.principal_investigator, p.pi_email, p.currency,
                   p.requested_gpu_hours, raw(p.status), raw(p.submitted_on))
            .join(Call, Call.id == p.call_id).join(lead, lead.id == p.lead_institution_id).order_by(p.id))
    df = read(conn, _of_call(stmt, call))
    ids = df.pop("id").to_numpy(dtype=np.int64)
    # The per-proposal figures are separate aggregate queries aligned on the sorted ids: SQLite
    # runs them over their own indexes far faster than as joined subqueries.
    b = ProposalBudget
    sums = read(conn, _of_call(select(b.proposal_id, func.sum(b.amount_minor).label("v")).group_by(b.proposal_id),
                               call, b))
    sc = ProposalStatusChange
    changed = read(conn, _of_call(select(sc.proposal_id, raw(func.max(sc.changed_at), "v")).group_by(sc.proposal_id),
                                  call, sc))
    df.insert(10, "requested_minor", _aligned(ids, sums, 0).astype(np.int64))
    df["status_changed_at"] = _aligned(ids, changed, None)
    df = typed(df, cats={"phase": None, "status": STATUSES}, dates=("submitted_on", "status_changed_at"),
               ints=("requested_gpu_hours",), lists=("keywords",))
    pc, pi = ProposalChallenge, ProposalInstitution
    chall = read(conn, _of_call(select(pc.proposal_id, pc.challenge_id.label("ref"), pc.is_primary), call, pc))
    codes = _codes(conn, Challenge)
    primary = chall[chall["is_primary"].astype(bool)].drop_duplicates("proposal_id")
    primary = pd.DataFrame({"proposal_id": primary["proposal_id"], "v": codes.reindex(primary["ref"]).to_numpy()})
    df.insert(8, "primary_challenge", pd.Series(_aligned(ids, primary, ""), dtype="str"))
    df.insert(9, "challenges", joined(ids, chall, codes, first=chall["is_primary"].astype(bool).to_numpy()))
    team = read(conn, _of_call(select(pi.proposal_id, pi.institution_id.label("ref")), call, pi))
    df.insert(8, "team", joined(ids, team, _codes(conn, Institution)))
    return add_major(df, ["requested"])


def _of_call(stmt: Select, call: str | None, link=None) -> Select:
    """`stmt` limited to one call's proposals; `link` is the table that holds proposal_id, when
    the statement does not select from proposal itself."""
    if call is None:
        return stmt
    if link is not None:
        stmt = stmt.join(Proposal, Proposal.id == link.proposal_id).join(Call, Call.id == Proposal.call_id)
    return stmt.where(Call.number == call)


def _aligned(ids: np.ndarray, values: pd.DataFrame, fill) -> np.ndarray:
    """Column 1 of a (proposal_id, value) frame, aligned on the sorted `ids`."""
    out = np.full(ids.size, fill, dtype=object)
    at = np.searchsorted(ids, values.iloc[:, 0].to_numpy(dtype=np.int64))
    out[at] = values.iloc[:, 1].to_numpy(dtype=object)
    return out


def _codes(conn: Connection, model) -> pd.Series:
    """Natural key by id for a small table (institutions, challenges)."""
    return read(conn, select(model.id, model.code)).set_index("id")["code"]


def joined(ids: np.ndarray, long: pd.DataFrame, codes: pd.Series, first: np.ndarray | None = None) -> pd.Series:
    """The codes referred to by each proposal's rows of `long` (proposal_id, ref), sorted by code
    with the `first` rows ahead, as one '; '-joined string per id. Vectorised over ranks: the k-th
    code of every proposal is appended in one step."""
    out = np.full(ids.size, "", dtype=object)
    if len(long):
        pid = long["proposal_id"].to_numpy(dtype=np.int64)
        code = codes.reindex(long["ref"]).to_numpy(dtype=object)
        rank_of_code = pd.factorize(code, sort=True)[0]
        ahead = np.zeros(pid.size, dtype=np.int64) if first is None else (~first).astype(np.int64)
        order = np.lexsort((rank_of_code, ahead, pid))
        pid, code = pid[order], code[order]
        starts = np.r_[True, pid[1:] != pid[:-1]]
        rank = np.arange(pid.size) - np.flatnonzero(starts)[np.cumsum(starts) - 1]
        at = np.searchsorted(ids, pid)
        for k in range(int(rank.max()) + 1):
            m = rank == k
            out[at[m]] = code[m] if k == 0 else out[at[m]] + SEP + code[m]
    return pd.Series(out, dtype="str")


def proposal_budgets(conn: Connection, call: str | None = None) -> pd.DataFrame:
    p, b = Proposal, ProposalBudget
    props = read(conn, _of_call(select(p.id, p.code.label("proposal"), Call.number.label("call"), p.phase,
                                       raw(p.status), p.currency)
                                .join(Call, Call.id == p.call_id).order_by(p.id), call))
    props = typed(props, cats={"phase": None, "status": STATUSES})
    rows = read(conn, _of_call(select(b.proposal_id, b.fiscal_year, b.amount_minor)
                               .order_by(b.proposal_id, b.fiscal_year), call, b))
    at = np.searchsorted(props["id"].to_numpy(dtype=np.int64), rows["proposal_id"].to_numpy(dtype=np.int64))
    df = props.drop(columns="id").take(at).reset_index(drop=True)
    df.insert(4, "fiscal_year", rows["fiscal_year"].astype("int64").to_numpy())
    df["amount_minor"] = rows["amount_minor"].astype("int64").to_numpy()
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
    df = read(conn, select(c.code.label("commitment"), Partner.code.label("partner"), c.title, raw(c.state),
                           raw(c.funds), raw(c.pledged_on), raw(c.obligated_on), raw(c.disbursed_on),
                           Partner.fiscal_calendar,
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
    df = read(conn, select(r.email, r.name, Institution.code.label("institution"), raw(r.expertise),
                           raw(r.partner_ties))
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

