"""Reviewers and their reviews. A submitted review is locked: import may repeat it, never change it."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from ..schema import Institution, Proposal, Review, Reviewer, ReviewState
from . import codecs
from .context import Context
from .kinds_core import grouped_lists, ids_of, value
from .sheet import Sheet
from .spec import Kind, Outcome, columns, frame
from .writer import existing_ids, records, upsert

# -- reviewers ----------------------------------------------------------------------------------------

RV_COLUMNS, RV_REQUIRED = columns("email* name* institution expertise partner_ties")
_reviewer = Reviewer.__table__


def validate_reviewers(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    institution = sheet.text("institution", max_len=32)
    sheet.refs("institution", institution, ctx.known("institutions"), "institution code")
    ties = sheet.items("partner_ties")
    sheet.refs("partner_ties", ties["item"], ctx.known("partners"), "partner code", rows=ties["row"])
    parsed = pd.DataFrame({
        "email": sheet.email("email", True),
        "name": sheet.text("name", True),
        "institution": institution,
        "expertise": grouped_lists(sheet.items("expertise"), sheet.rows),
        "partner_ties": grouped_lists(ties, sheet.rows),
    })
    ctx.add_keys("reviewers", sheet.unique_key("email", [parsed["email"]], "reviewer email"))
    return parsed


def write_reviewers(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    rows = parsed.drop(columns=["institution"]).assign(
        institution_id=ids_of(parsed["institution"], ctx.ids("institutions")))
    return upsert(conn, _reviewer, records(rows), existing_ids(parsed["email"], ctx.ids("reviewers")))


def export_reviewers(conn: Connection) -> pd.DataFrame:
    t = _reviewer
    q = (select(t.c.email, t.c.name, Institution.code, t.c.expertise, t.c.partner_ties)
         .outerjoin(Institution, Institution.id == t.c.institution_id).order_by(t.c.email))
    return frame(RV_COLUMNS, [(e, n, i or "", codecs.join_list(x), codecs.join_list(p)) for e, n, i, x, p in conn.execute(q)])


REVIEWERS = Kind("reviewers", RV_COLUMNS, RV_REQUIRED, ("email",), _reviewer,
                 validate_reviewers, write_reviewers, export_reviewers)

# -- reviews ------------------------------------------------------------------------------------------

R_COLUMNS, R_REQUIRED = columns("proposal* reviewer* scores comments state submitted_at")
_review = Review.__table__
LOCKED = "submitted reviews are locked: this review was submitted and cannot be changed by import"


def _scores(sheet: Sheet) -> pd.Series:
    m = sheet.mapping("scores")
    m["score"] = sheet.entry_values("scores", m, codecs.whole) if len(m) else pd.Series(dtype=object)
    out = pd.Series([{} for _ in range(len(sheet.rows))], index=sheet.rows, dtype=object)
    for row, key, score in zip(m["row"], m["key"], m["score"]):
        if score is not None:
            out.at[row][key] = int(score)
    return out


def validate_reviews(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    proposal = sheet.text("proposal", True, max_len=32)
    reviewer = sheet.text("reviewer", True, max_len=200)
    sheet.refs("proposal", proposal, ctx.known("proposals"), "proposal code")
    sheet.refs("reviewer", reviewer, ctx.known("reviewers"), "reviewer email")
    state = sheet.choice("state", ReviewState, default=ReviewState.DRAFT.value)
    submitted_at = sheet.datetime("submitted_at")
    stamp = sheet.raw("submitted_at").str.strip() != ""
    missing = ((state == "submitted") & ~stamp).to_numpy()
    sheet.report_rows(sheet.rows[missing], "submitted_at", "", "a submitted review needs submitted_at")
    early = ((state == "draft") & stamp).to_numpy()
    sheet.report_rows(sheet.rows[early], "submitted_at", sheet.raw("submitted_at")[early].to_numpy(dtype=object),
                      "a draft review has no submitted_at")
    parsed = pd.DataFrame({"proposal": proposal, "reviewer": reviewer, "scores": _scores(sheet),
                           "comments": sheet.text("comments"), "state": state, "submitted_at": submitted_at})
    key = sheet.unique_key("proposal, reviewer", [proposal, reviewer], "review of this proposal by this reviewer")
    parsed["key"] = key
    parsed["unchanged"] = _locked(sheet, ctx, parsed)
    ctx.add_keys("reviews", key)
    return parsed


def _locked(sheet: Sheet, ctx: Context, parsed: pd.DataFrame) -> np.ndarray:
    """True for rows that repeat a stored submitted review exactly; rows that would change one are reported."""
    ids = ctx.ids("reviews")
    same = np.zeros(len(parsed), dtype=bool)
    hits = [(i, ids[k]) for i, k in enumerate(parsed["key"]) if k in ids]
    if not hits:
        return same
    t = _review
    q = select(t.c.id, t.c.scores, t.c.comments, t.c.submitted_at).where(t.c.state == ReviewState.SUBMITTED.value)
    stored = {r.id: (dict(r.scores or {}), r.comments, ReviewState.SUBMITTED.value, r.submitted_at)
              for r in ctx.conn.execute(q)}
    bad = []
    for i, review_id in hits:
        if review_id not in stored:
            continue
        row = parsed.iloc[i]
        if (row["scores"], row["comments"], row["state"], row["submitted_at"]) == stored[review_id]:
            same[i] = True
        else:
            bad.append(i)
    sheet.report_rows(sheet.rows[bad], "state", parsed["state"].iloc[bad].to_numpy(dtype=object), LOCKED)
    return same


def write_reviews(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    kept = parsed[~parsed["unchanged"]]
    rows = pd.DataFrame({
        "proposal_id": kept["proposal"].map(ctx.ids("proposals")), "reviewer_id": kept["reviewer"].map(ctx.ids("reviewers")),
        "scores": kept["scores"], "comments": kept["comments"], "state": kept["state"], "submitted_at": kept["submitted_at"],
    })
    out = upsert(conn, _review, records(rows), existing_ids(kept["key"], ctx.ids("reviews")))
    return Outcome(out.created, out.updated, int(parsed["unchanged"].sum()))


def export_reviews(conn: Connection) -> pd.DataFrame:
    t = _review
    q = (select(Proposal.code, Reviewer.email, t.c.scores, t.c.comments, t.c.state, t.c.submitted_at)
         .join(Proposal, Proposal.id == t.c.proposal_id).join(Reviewer, Reviewer.id == t.c.reviewer_id)
         .order_by(Proposal.code, Reviewer.email))
    return frame(R_COLUMNS, [
        (p, r, codecs.join_pairs((scores or {}).items()), c, value(s), at.isoformat() if at else "")
        for p, r, scores, c, s, at in conn.execute(q)])


REVIEWS = Kind("reviews", R_COLUMNS, R_REQUIRED, ("proposal", "reviewer"), _review,
               validate_reviews, write_reviews, export_reviews)
