"""Proposals with their team, challenges, budget by fiscal year and current status."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, select

from ..money import format_amount
from ..schema import (
    Call, Challenge, Institution, Proposal, ProposalBudget, ProposalChallenge, ProposalInstitution, ProposalStatus,
    ProposalStatusChange,
)
from . import codecs, proposal_rules
from .context import Context
from .kinds_core import grouped_lists, value
from .sheet import Sheet
from .spec import Kind, Outcome, columns, frame
from .writer import existing_ids, records, replace_children, upsert

COLUMNS, REQUIRED = columns(
    "code* call* phase* title* abstract keywords lead_institution* team principal_investigator* pi_email "
    "challenges* currency* budget* requested_gpu_hours status status_changed_on status_changed_by submitted_on")
IMPORT_AUTHOR = "import"
# An import of a few proposals (or one typed into the record form) reads only their stored rows; a
# large one reads whole tables in one pass, cheaper than a long IN list.
_FEW = 500
_prop = Proposal.__table__
_budget = ProposalBudget.__table__
_team = ProposalInstitution.__table__
_topics = ProposalChallenge.__table__
_history = ProposalStatusChange.__table__


@dataclass
class Parsed:
    proposals: pd.DataFrame
    team: pd.DataFrame  # row, item (institution code)
    challenges: pd.DataFrame  # row, item (challenge code); the first of a row is its primary challenge
    budget: pd.DataFrame  # row, fy, amount


def validate(sheet: Sheet, ctx: Context) -> Parsed:
    institutions = ctx.known("institutions")
    currency = sheet.currency("currency", True)
    p = pd.DataFrame({
        "code": sheet.text("code", True),
        "call": sheet.text("call", True, max_len=40),
        "phase": sheet.text("phase", True),
        "title": sheet.text("title", True),
        "abstract": sheet.text("abstract"),
        "keywords": grouped_lists(sheet.items("keywords"), sheet.rows),
        "lead": sheet.text("lead_institution", True, max_len=32),
        "principal_investigator": sheet.text("principal_investigator", True),
        "pi_email": sheet.email("pi_email"),
        "currency": currency,
        "requested_gpu_hours": sheet.whole("requested_gpu_hours"),
        "status": sheet.choice("status", ProposalStatus, default=ProposalStatus.SUBMITTED.value),
        "changed_on": sheet.date("status_changed_on"),
        "changed_by": sheet.text("status_changed_by", max_len=200),
        "submitted_on": sheet.date("submitted_on"),
    })
    p["requested_gpu_hours"] = p["requested_gpu_hours"].where(p["requested_gpu_hours"].notna(), 0)
    sheet.refs("call", p["call"], ctx.known("calls"), "call number")
    sheet.refs("lead_institution", p["lead"], institutions, "institution code")
    team = sheet.items("team")
    sheet.refs("team", team["item"], institutions, "institution code", rows=team["row"])
    topics = sheet.items("challenges", True)
    sheet.refs("challenges", topics["item"], ctx.known("challenges"), "challenge code", rows=topics["row"])
    m = sheet.mapping("budget", True, fiscal=True)
    budget = pd.DataFrame({"row": m["row"], "fy": m["key"], "entry": m["entry"],
                           "amount": sheet.entry_money("budget", m, currency) if len(m) else pd.Series(dtype=object)})

    rule = proposal_rules.check_call(sheet, p, ctx.call_rules())
    proposal_rules.check_team(sheet, p["lead"], team)
    proposal_rules.check_budget(sheet, budget, rule, currency)
    key = sheet.unique_key("code", [p["code"]], "proposal code")
    if ctx.ids("proposals"):
        q = _only(select(Proposal.code, Proposal.status), Proposal.code, p["code"].tolist())
        stored = dict(ctx.conn.execute(q).all())
        proposal_rules.check_status(sheet, p["code"], p["status"], {k: value(v) for k, v in stored.items()})
    ctx.add_keys("proposals", key)
    return Parsed(p, team, topics, budget[["row", "fy", "amount"]])


def _only(q, column, keys):
    keys = list(keys)
    return q.where(column.in_(keys)) if len(keys) <= _FEW else q


def write(conn: Connection, parsed: Parsed, ctx: Context) -> Outcome:
    p = parsed.proposals
    inst = ctx.ids("institutions")
    rows = pd.DataFrame({
        "code": p["code"], "call_id": p["call"].map(ctx.ids("calls")), "phase": p["phase"], "title": p["title"],
        "abstract": p["abstract"], "keywords": p["keywords"], "lead_institution_id": p["lead"].map(inst),
        "principal_investigator": p["principal_investigator"], "pi_email": p["pi_email"], "currency": p["currency"],
        "requested_gpu_hours": p["requested_gpu_hours"], "status": p["status"], "submitted_on": p["submitted_on"],
    })
    before = existing_ids(p["code"], ctx.ids("proposals"))
    out = upsert(conn, _prop, records(rows), before)
    codes = p["code"].tolist()
    pid = p["code"].map(dict(conn.execute(_only(select(_prop.c.code, _prop.c.id), _prop.c.code, codes)).all()))
    team, topics, budget = parsed.team, parsed.challenges, parsed.budget
    first = topics.groupby("row").cumcount() == 0
    children = (
        (_team, pd.DataFrame({"proposal_id": pid.reindex(team["row"]).to_numpy(),
                              "institution_id": team["item"].map(inst).to_numpy()})),
        (_topics, pd.DataFrame({"proposal_id": pid.reindex(topics["row"]).to_numpy(),
                                "challenge_id": topics["item"].map(ctx.ids("challenges")).to_numpy(),
                                "is_primary": first.to_numpy()})),
        (_budget, pd.DataFrame({"proposal_id": pid.reindex(budget["row"]).to_numpy(),
                                "fiscal_year": budget["fy"].to_numpy(), "amount_minor": budget["amount"].to_numpy()})),
    )
    for table, rows in children:
        replace_children(conn, table, "proposal_id", before, records(rows))
    changes = _status_changes(conn, p, pid, before)
    if changes:
        conn.execute(_history.insert(), changes)
    return out


def _status_changes(conn: Connection, p: pd.DataFrame, pid: pd.Series, before: list[int | None]) -> list[dict]:
    """One change per new proposal; an updated one gets a change only when its status moves."""
    latest: dict[int, str] = {}
    recorded: set[tuple] = set()
    updated = {i for i in before if i is not None}
    if updated:
        q = _only(select(_history.c.proposal_id, _history.c.status, _history.c.changed_at), _history.c.proposal_id,
                  updated)
        for proposal_id, status, at in conn.execute(q.order_by(_history.c.changed_at, _history.c.id)):
            if proposal_id in updated:
                latest[proposal_id] = value(status)
                recorded.add((proposal_id, value(status), at))
    today = datetime.combine(date.today(), datetime.min.time())
    out = []
    for proposal_id, old, status, on, submitted, by in zip(pid.tolist(), before, p["status"].tolist(),
                                                          p["changed_on"].tolist(), p["submitted_on"].tolist(),
                                                          p["changed_by"].tolist()):
        if old is not None and latest.get(proposal_id) == status:
            continue
        when = on or submitted
        at = datetime.combine(when, datetime.min.time()) if when else today
        if (proposal_id, status, at) in recorded:
            continue  # the same change is on record already (the unique key forbids a second copy)
        out.append({"proposal_id": proposal_id, "status": status, "changed_by": by or IMPORT_AUTHOR,
                    "changed_at": at, "note": "set by import"})
    return out


def export(conn: Connection, only: Collection[str] | None = None) -> pd.DataFrame:
    """Every proposal, or with `only` just those codes (the record form reads one this way)."""
    chosen = None if only is None else select(_prop.c.id).where(_prop.c.code.in_(list(only)))

    def of_chosen(q, column):
        return q if chosen is None else q.where(column.in_(chosen))

    team: dict[int, list[str]] = defaultdict(list)
    q = select(_team.c.proposal_id, Institution.code).join(Institution, Institution.id == _team.c.institution_id)
    q = of_chosen(q, _team.c.proposal_id)
    for pid, code in conn.execute(q.order_by(_team.c.proposal_id, Institution.code)):
        team[pid].append(code)
    topics: dict[int, list[str]] = defaultdict(list)
    q = select(_topics.c.proposal_id, Challenge.code).join(Challenge, Challenge.id == _topics.c.challenge_id)
    q = of_chosen(q, _topics.c.proposal_id)
    for pid, code in conn.execute(q.order_by(_topics.c.proposal_id, _topics.c.is_primary.desc(), Challenge.code)):
        topics[pid].append(code)
    budget: dict[int, list] = defaultdict(list)
    q = of_chosen(select(_budget), _budget.c.proposal_id)
    for pid, fy, amount in conn.execute(q.order_by(_budget.c.proposal_id, _budget.c.fiscal_year)):
        budget[pid].append((fy, amount))
    last: dict[int, tuple] = {}
    q = of_chosen(select(_history.c.proposal_id, _history.c.changed_at, _history.c.changed_by), _history.c.proposal_id)
    for pid, at, by in conn.execute(q.order_by(_history.c.changed_at, _history.c.id)):
        last[pid] = (at, by)
    t = _prop
    q = (select(t, Call.number, Institution.code.label("lead_code"))
         .join(Call, Call.id == t.c.call_id).join(Institution, Institution.id == t.c.lead_institution_id)
         .order_by(t.c.code))
    q = of_chosen(q, t.c.id)
    out = []
    for r in conn.execute(q):
        at, by = last.get(r.id, (None, ""))
        out.append((
            r.code, r.number, r.phase, r.title, r.abstract, codecs.join_list(r.keywords), r.lead_code,
            codecs.join_list(team[r.id]), r.principal_investigator, r.pi_email, codecs.join_list(topics[r.id]),
            r.currency, codecs.join_pairs((f"FY{fy}", format_amount(a, r.currency)) for fy, a in budget[r.id]),
            str(r.requested_gpu_hours), value(r.status), at.date().isoformat() if at else "", by,
            codecs.date_text(r.submitted_on),
        ))
    return frame(COLUMNS, out)


PROPOSALS = Kind("proposals", COLUMNS, REQUIRED, ("code",), _prop, validate, write, export)
