"""Saving an assignment job's result as the call's review assignments, and summing one up.

A job's result is the dry run: nothing is written until `save_assignment`, which checks the result
against the records as they are now (the job may be hours old): every proposal and reviewer still
exists and the proposal is still in the call, no pair has become conflicted since, and the call has
no assignments yet unless `replace` is given. Then it writes every row in one transaction, or none.

Each reviewer gets their own reading order (`position`, 0 = first, as in the demo): a permutation
of their proposals drawn from (seed, reviewer e-mail). Reviewers who all read the same proposals
first would judge them against the same fresh memory; a per-reviewer order spreads that out, and
the seed makes it reproducible.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Mapping

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.base import utcnow
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import ReviewAssignment, Reviewer

from .records import blocked


class AssignmentRefused(ValueError):
    """The result cannot be saved as it is; the message names the pair, proposal or reviewer and why.
    Nothing was written."""


def reading_order(seed: int, email: str, n: int) -> list[int]:
    """Positions 0..n-1 for a reviewer's n proposals (given in code order): a function of (seed, e-mail)."""
    key = int.from_bytes(hashlib.sha256(email.encode()).digest()[:8], "little")
    return np.random.default_rng(np.random.SeedSequence((int(seed), key))).permutation(n).tolist()


def _pairs(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = result.get("pairs")
    if not isinstance(pairs, list):
        raise AssignmentRefused(f"result: 'pairs' must be a list of {{proposal, reviewer}}, got {pairs!r:.60}")
    found = [(p["proposal"], p["reviewer"]) for p in pairs]
    twice = [x for x, n in Counter(found).items() if n > 1]
    if twice:
        raise AssignmentRefused(f"result: pair {sorted(twice)[0]} appears more than once")
    return found


def existing_assignments(store, call_number: str) -> int:
    """How many review assignments the call's proposals have now (0 for an unknown call)."""
    with (store.session() if hasattr(store, "session") else Session(store)) as s:
        return s.scalar(select(func.count()).select_from(ReviewAssignment).join(Proposal).join(Call)
                        .where(Call.number == str(call_number)))


def save_assignment(store, call_number: str, result: Mapping[str, Any], seed: int, by: str,
                    replace: bool = False) -> dict[str, Any]:
    """Write the result's pairs as the call's assignments; {call, pairs, replaced, reviewers: {email: n}}.

    Raises AssignmentRefused (a ValueError) naming what is wrong, with the database unchanged."""
    call_number = str(call_number)
    if str(result.get("call")) != call_number:
        raise AssignmentRefused(f"result: it is an assignment for call {result.get('call')!r}, not {call_number!r}")
    if not by or not str(by).strip():
        raise AssignmentRefused("assigned_by: say who saves the assignment")
    pairs = _pairs(result)
    with (store.session() if hasattr(store, "session") else Session(store)) as s, s.begin():
        call = s.scalar(select(Call).where(Call.number == call_number))
        if call is None:
            raise AssignmentRefused(f"call: no call numbered {call_number!r}")
        codes = sorted({c for c, _ in pairs})
        emails = sorted({e for _, e in pairs})
        proposals = {code: (pid, cid) for pid, code, cid in s.execute(
            select(Proposal.id, Proposal.code, Proposal.call_id).where(Proposal.code.in_(codes)))}
        reviewers = dict(s.execute(select(Reviewer.email, Reviewer.id).where(Reviewer.email.in_(emails))).all())
        for code in codes:
            if code not in proposals:
                raise AssignmentRefused(f"proposal {code}: no longer in the portfolio; run the assignment again")
            if proposals[code][1] != call.id:
                raise AssignmentRefused(f"proposal {code}: no longer in call {call_number}; run the assignment again")
        for email in emails:
            if email not in reviewers:
                raise AssignmentRefused(f"reviewer {email}: no longer in the portfolio; run the assignment again")
        # Read in this transaction (records.blocked on its connection), so a conflict declared while
        # we check cannot slip in between the check and the write on SQLite.
        now_blocked = blocked(s.connection())
        for pair in pairs:
            if pair in now_blocked:
                raise AssignmentRefused(f"pair ({pair[0]}, {pair[1]}): now blocked by a conflict of interest that "
                                        "is not waived; run the assignment again or waive the conflict")
        in_call = select(Proposal.id).where(Proposal.call_id == call.id)
        existing = s.scalar(select(func.count()).select_from(ReviewAssignment)
                            .where(ReviewAssignment.proposal_id.in_(in_call)))
        if existing and not replace:
            raise AssignmentRefused(f"call {call_number}: already has {existing} review assignments; "
                                    "save with replace to put this assignment in their place")
        if existing:
            s.execute(delete(ReviewAssignment).where(ReviewAssignment.proposal_id.in_(in_call)))
        by_reviewer: dict[str, list[str]] = {}
        for code, email in pairs:
            by_reviewer.setdefault(email, []).append(code)
        now = utcnow()
        rows = []
        for email, mine in sorted(by_reviewer.items()):
            mine.sort()
            for code, position in zip(mine, reading_order(seed, email, len(mine))):
                rows.append(ReviewAssignment(proposal_id=proposals[code][0], reviewer_id=reviewers[email],
                                             position=position, assigned_at=now, assigned_by=str(by).strip()))
        s.add_all(rows)
    return {"call": call_number, "pairs": len(rows), "replaced": int(existing or 0),
            "reviewers": {email: len(mine) for email, mine in sorted(by_reviewer.items())}}


def dry_run_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """What an assignment result would do, for a person to check before saving it."""
    per_proposal: dict[str, list[str]] = {}
    for p in result.get("pairs", []):
        per_proposal.setdefault(p["proposal"], []).append(p["reviewer"])
    loads = dict(result.get("loads", {}))
    busy = list(loads.values())
    affinities = [p["affinity"] for p in result.get("pairs", [])]
    return {"call": result.get("call"), "pairs": len(affinities), "proposals": len(per_proposal),
            "reviewers_used": sum(1 for n in busy if n), "reviewers": len(loads),
            "load_min": min(busy, default=0), "load_max": max(busy, default=0), "loads": loads,
            "per_proposal": {code: sorted(v) for code, v in sorted(per_proposal.items())},
            "mean_affinity": (sum(affinities) / len(affinities)) if affinities else None,
            "objective": result.get("objective"), "lp_bound": result.get("lp_bound"), "gap": result.get("gap"),
            "solver": result.get("solver")}
