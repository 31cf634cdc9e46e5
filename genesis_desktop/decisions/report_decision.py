"""A proposal's decision file as plain data: the proposal, its reviews with the reviewers' names (as
the programme officer sees them, not the panel's letters), its calibrated score, the conflicts and
waivers around it, the revisions of its reviews with their reasons, its decision with the status
history, and the solved scenarios that chose it. Tables follow report_data.table's shape.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from genesis_desktop.portfolio.money import to_major
from genesis_desktop.portfolio.reviews import ConflictWaiver, ReviewConflict, ReviewVersion
from genesis_desktop.portfolio.schema import (Call, Challenge, Institution, Proposal, ProposalChallenge, Review, Reviewer,
                                              ReviewState, Scenario)
from genesis_desktop.review.records import call_rubric
from genesis_desktop.review.rubric import Rubric

from .report_data import ReportError, calibration_of, fy, table


def _when(t: datetime | date | None) -> str:
    if t is None:
        return ""
    return t.isoformat(sep=" ", timespec="minutes") if isinstance(t, datetime) else t.isoformat()


def _total(rubric: Rubric, scores: dict) -> float | None:
    """The rubric's total, or None for scores that do not make one (a draft missing a criterion)."""
    return None if rubric.problems(scores or {}) else rubric.total(scores)


def decision_file_data(store, proposal_code: str, today: date | None = None) -> dict[str, Any]:
    with store.session() as s:
        p = s.scalar(select(Proposal).where(Proposal.code == proposal_code)
                     .options(selectinload(Proposal.budget), selectinload(Proposal.history),
                              selectinload(Proposal.team)))
        if p is None:
            raise ReportError(f"no proposal with the code {proposal_code!r}")
        call = s.get(Call, p.call_id)
        institutions = {i.id: i for i in s.scalars(select(Institution))}
        lead = institutions[p.lead_institution_id]
        challenges = s.execute(select(Challenge.code, Challenge.area, ProposalChallenge.is_primary)
                               .join(ProposalChallenge, ProposalChallenge.challenge_id == Challenge.id)
                               .where(ProposalChallenge.proposal_id == p.id)
                               .order_by(ProposalChallenge.is_primary.desc(), Challenge.code)).all()
        continues = s.scalar(select(Proposal.code).where(Proposal.id == p.continues_id)) if p.continues_id else None
        reviews = s.execute(select(Review, Reviewer).join(Reviewer, Reviewer.id == Review.reviewer_id)
                            .where(Review.proposal_id == p.id).order_by(Review.submitted_at, Reviewer.name)).all()
        versions = s.execute(select(ReviewVersion, Reviewer.name).join(Review, Review.id == ReviewVersion.review_id)
                             .join(Reviewer, Reviewer.id == Review.reviewer_id).where(Review.proposal_id == p.id)
                             .order_by(Reviewer.name, ReviewVersion.version)).all()
        conflicts = s.execute(select(ReviewConflict, Reviewer.name, Reviewer.email)
                              .join(Reviewer, Reviewer.id == ReviewConflict.reviewer_id)
                              .where(ReviewConflict.proposal_id == p.id)
                              .order_by(Reviewer.name, ReviewConflict.kind)).all()
        waivers = s.execute(select(ConflictWaiver, Reviewer.name, Reviewer.email)
                            .join(Reviewer, Reviewer.id == ConflictWaiver.reviewer_id)
                            .where(ConflictWaiver.proposal_id == p.id).order_by(ConflictWaiver.granted_at)).all()
        scenarios = s.execute(select(Scenario.name, Scenario.solved_at, Scenario.result)
                              .where(Scenario.result.is_not(None)).order_by(Scenario.name)).all()
        budget = {str(b.fiscal_year): float(to_major(b.amount_minor, p.currency)) for b in p.budget}
        proposal = {
            "code": p.code, "title": p.title, "call": call.number, "call_title": call.title, "phase": p.phase,
            "status": p.status.value, "lead": lead.code, "lead_name": lead.name,
            "principal_investigator": p.principal_investigator, "pi_email": p.pi_email,
            "team": [f"{institutions[t.institution_id].code} ({institutions[t.institution_id].name})"
                     for t in sorted(p.team, key=lambda t: institutions[t.institution_id].code)],
            "challenges": [f"{code} ({area})" + (", primary" if primary else "") for code, area, primary in challenges],
            "currency": p.currency, "budget": budget, "budget_total": sum(budget.values()),
            "submitted_on": _when(p.submitted_on), "continues": continues, "abstract": p.abstract or "",
        }
        history = pd.DataFrame([{"Status": h.status.value, "When": _when(h.changed_at), "By": h.changed_by,
                                 "Note": h.note or ""} for h in p.history], columns=["Status", "When", "By", "Note"])
    rubric = call_rubric(store, proposal["call"])
    calibration = calibration_of(store, proposal["call"])
    tables = {
        "budget": table("Requested budget", pd.DataFrame({"Fiscal year": [fy(y) for y in budget],
                                                          "Amount": list(budget.values())}), {"Amount": "money"}),
        **_review_tables(rubric, reviews, versions),
        "conflicts": table("Conflicts of interest", pd.DataFrame(
            [{"Reviewer": name, "E-mail": email, "Kind": c.kind, "Reason": c.reason,
              "Declared by": c.declared_by or "found in the records", "Recorded": _when(c.recorded_at)}
             for c, name, email in conflicts],
            columns=["Reviewer", "E-mail", "Kind", "Reason", "Declared by", "Recorded"])),
        "waivers": table("Conflict waivers", pd.DataFrame(
            [{"Reviewer": name, "E-mail": email, "Granted by": w.granted_by, "Granted": _when(w.granted_at),
              "Reason": w.reason} for w, name, email in waivers],
            columns=["Reviewer", "E-mail", "Granted by", "Granted", "Reason"])),
        "history": table("Status history", history),
        "scenarios": _scenarios_table(proposal_code, scenarios),
    }
    cal = _calibration(calibration, proposal_code)
    last = history.iloc[-1] if len(history) else None
    return {
        "kind": "decision", "title": f"Decision file: {proposal_code}", "code": proposal_code,
        "generated": (today or date.today()).isoformat(), "currency": proposal["currency"], "proposal": proposal,
        "rubric": [{"key": c.key, "title": c.title, "counts": c.counts, "scale": f"{c.low}–{c.high}, {c.best} best"}
                   for c in rubric.criteria],
        "calibration": cal,
        "decision": {"status": proposal["status"], "when": None if last is None else last["When"],
                     "by": None if last is None else last["By"], "note": None if last is None else last["Note"]},
        "tables": tables,
        "notes": [] if cal else [f"Call {proposal['call']} has no completed calibration run that scored {proposal_code}."],
    }


def _heading(key: str) -> str:
    """A criterion's column heading from its key: "ai_platform" -> "AI platform"."""
    text = " ".join(w.upper() if len(w) <= 2 else w for w in key.split("_"))
    return text[:1].upper() + text[1:]


def _review_tables(rubric: Rubric, reviews, versions) -> dict[str, dict]:
    keys = [c.key for c in rubric.criteria]
    heads = {c.key: _heading(c.key) for c in rubric.criteria}
    rows, remarks = [], []
    for review, reviewer in reviews:
        scores = dict(review.scores or {})
        rows.append({"Reviewer": reviewer.name, "E-mail": reviewer.email, "State": review.state.value,
                     **{heads[k]: scores.get(k) for k in keys}, "Total": _total(rubric, scores),
                     "Submitted": _when(review.submitted_at)})
        if review.state is ReviewState.SUBMITTED or review.comments:
            remarks.append({"Reviewer": reviewer.name, "Comments": review.comments or ""})
    columns = ["Reviewer", "E-mail", "State", *heads.values(), "Total", "Submitted"]
    counted = ", ".join(f"{heads[c.key]} = {c.title}" + ("" if c.counts else " (not counted)") for c in rubric.criteria)
    old = [{"Reviewer": name, "Version": v.version, "Total then": _total(rubric, v.scores),
            "Submitted": _when(v.submitted_at), "Replaced": _when(v.replaced_at), "Replaced by": v.replaced_by,
            "Reason": v.reason} for v, name in versions]
    return {
        "reviews": table("Reviews", pd.DataFrame(rows, columns=columns),
                         {**{heads[k]: "int" for k in keys}, "Total": "score"}, f"Criteria: {counted}."),
        "comments": table("Review comments", pd.DataFrame(remarks, columns=["Reviewer", "Comments"])),
        "versions": table("Review revisions", pd.DataFrame(old, columns=["Reviewer", "Version", "Total then", "Submitted",
                                                                         "Replaced", "Replaced by", "Reason"]),
                          {"Version": "int", "Total then": "score"},
                          "Each row is a submitted review as it stood before a revision, with the revision's reason."),
    }


def _calibration(calibration, code: str) -> dict | None:
    if calibration is None or code not in calibration[1]:
        return None
    c = calibration[1][code]
    return {"job": calibration[0], **{k: c.get(k) for k in ("raw_total", "calibrated_total", "calibrated_sd",
                                                            "rank_low", "rank_high", "expected_rank",
                                                            "probability_funded", "grey_zone", "reviews")}}


def _scenarios_table(code: str, scenarios) -> dict:
    rows = []
    for name, solved_at, result in scenarios:
        if code not in (result.get("chosen") or []):
            continue
        share = ((result.get("robustness") or {}).get("share") or {}).get(code)
        rows.append({"Scenario": name, "Call": result.get("call", ""), "Solved": _when(solved_at),
                     "Chosen": len(result.get("chosen") or []), "Value": result.get("value"), "Robustness": share})
    return table("Scenarios that chose it", pd.DataFrame(rows, columns=["Scenario", "Call", "Solved", "Chosen", "Value",
                                                                        "Robustness"]),
                 {"Chosen": "int", "Value": "score", "Robustness": "share"})
