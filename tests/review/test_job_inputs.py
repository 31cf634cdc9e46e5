"""The review kernels' parameters from a demo portfolio's records, and saving an assignment result:
reading orders per reviewer, and refusals (a pair blocked since, a reviewer gone, assignments already
there) that leave the database as it was."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal, ProposalBudget, ProposalStatus, ProposalStatusChange
from genesis_desktop.portfolio.reviews import Review, ReviewAssignment, Reviewer, ReviewBid, ReviewState
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.assignment_records import (AssignmentRefused, dry_run_summary, reading_order,
                                                       save_assignment)
from genesis_desktop.review.job_inputs import InputError, assignment_params, calibration_params, params_for
from genesis_desktop.review.kernel_assignment import ASSIGNMENT
from genesis_desktop.review.kernel_calibration import CALIBRATION
from genesis_desktop.review.records import blocked, declare_conflict, refresh_conflicts
from genesis_desktop.review.rubric import DEFAULT_RUBRIC

CALL = "DE-FOA-0003612"  # the demo's call


@pytest.fixture
def demo(demo_template, demo_copy):
    """A 150-proposal demo with its conflicts found, shared by the session; each test writes on a copy."""
    store = open_store(f"sqlite:///{demo_copy(demo_template(150, then=refresh_conflicts))}")
    yield store
    store.close()


def _solve(params: dict) -> dict:
    prepared = ASSIGNMENT.prepare(params)
    return ASSIGNMENT.combine(prepared, [ASSIGNMENT.run_block(prepared, 0, 0)])


def _assignments(store) -> list[tuple]:
    with store.session() as s:
        return sorted(s.execute(select(ReviewAssignment.proposal_id, ReviewAssignment.reviewer_id,
                                       ReviewAssignment.position, ReviewAssignment.assigned_by)).all())


def test_assignment_params_come_from_the_proposals_under_review(demo):
    params = assignment_params(demo, CALL, k=2, max_load=5)
    with demo.session() as s:
        under_review = s.execute(select(Proposal.code, Proposal.title).join(Call)
                                 .where(Call.number == CALL, Proposal.status == ProposalStatus.UNDER_REVIEW)
                                 .order_by(Proposal.code)).all()
        emails = s.scalars(select(Reviewer.email).order_by(Reviewer.email)).all()
    assert [p["code"] for p in params["proposals"]] == [c for c, _ in under_review] and under_review
    assert all(p["text"].startswith(title) for p, (_, title) in zip(params["proposals"], under_review))
    assert [r["email"] for r in params["reviewers"]] == emails
    codes = {c for c, _ in under_review}
    assert params["conflicts"] == sorted([c, e] for c, e in blocked(demo) if c in codes) and params["conflicts"]
    assert (params["call"], params["k"], params["max_load"], params["bids"]) == (CALL, 2, 5, [])
    assert ASSIGNMENT.prepare(params)["proposals"] == params["proposals"], "the kernel accepts them"


def test_bids_are_read_and_unknown_calls_are_named(demo):
    with demo.session() as s, s.begin():
        code, pid = s.execute(select(Proposal.code, Proposal.id)
                              .where(Proposal.status == ProposalStatus.UNDER_REVIEW).order_by(Proposal.code)).first()
        email, rid = s.execute(select(Reviewer.email, Reviewer.id).order_by(Reviewer.email)).first()
        s.add(ReviewBid(proposal_id=pid, reviewer_id=rid, bid=2))
    assert assignment_params(demo, CALL)["bids"] == [[code, email, 2]]
    with pytest.raises(InputError, match="call: no call numbered 'DE-FOA-9'"):
        assignment_params(demo, "DE-FOA-9")
    with pytest.raises(InputError, match="call: no call numbered 'DE-FOA-9'"):
        calibration_params(demo, "DE-FOA-9")


def test_calibration_params_come_from_submitted_reviews_budgets_and_the_rubric(demo):
    with demo.session() as s, s.begin():
        # One submitted review loses a score: it must be left out, and said so.
        broken = s.scalars(select(Review).where(Review.state == ReviewState.SUBMITTED).order_by(Review.id)).first()
        broken.scores = {k: v for k, v in broken.scores.items() if k != "merit"}
        broken_pair = (s.get(Proposal, broken.proposal_id).code, s.get(Reviewer, broken.reviewer_id).email)
    params = calibration_params(demo, CALL, draws=300)
    with demo.session() as s:
        call = s.scalar(select(Call).where(Call.number == CALL))
        proposals = s.execute(select(Proposal.id, Proposal.code, Proposal.status)
                              .where(Proposal.call_id == call.id)).all()
        went_to_review = set(s.scalars(select(ProposalStatusChange.proposal_id)
                                       .where(ProposalStatusChange.status == ProposalStatus.UNDER_REVIEW)))
        budgets = dict(s.execute(select(ProposalBudget.proposal_id, func.sum(ProposalBudget.amount_minor))
                                 .group_by(ProposalBudget.proposal_id)).all())
        submitted = s.execute(select(Proposal.code, Reviewer.email, Review.scores).join(Proposal).join(Reviewer)
                              .where(Review.state == ReviewState.SUBMITTED)).all()
    live = (ProposalStatus.UNDER_REVIEW, ProposalStatus.RECOMMENDED, ProposalStatus.AWARDED)
    competing = {code for pid, code, status in proposals
                 if status in live or (status is ProposalStatus.DECLINED and pid in went_to_review)}
    ids = {code: pid for pid, code, _ in proposals}
    assert params["costs"] == {code: budgets.get(ids[code], 0) for code in competing}
    expected = sorted([c, e, DEFAULT_RUBRIC.total(sc)] for c, e, sc in submitted if (c, e) != broken_pair)
    assert sorted(params["reviews"]) == expected
    assert any(n.startswith(f"review of {broken_pair[0]} by {broken_pair[1]} left out: merit: no score")
               for n in params["notes"])
    reviewed = {c for c, _, _ in expected}
    assert params["fit_only"] == sorted(reviewed - competing) and params["fit_only"], "withdrawn ones measure only"
    assert params["budget"] == call.total_budget_minor and params["currency"] == "USD"
    assert params["scale"] == {"low": 1, "high": 9, "best": "low"} and params["draws"] == 300
    assert CALIBRATION.prepare(params)["reviews"] == params["reviews"], "the kernel accepts them"


def test_a_budget_in_another_currency_is_converted_at_the_dated_rate_or_refused(demo):
    with demo.session() as s, s.begin():
        p = s.scalar(select(Proposal).where(Proposal.status == ProposalStatus.AWARDED).order_by(Proposal.code))
        p.currency = "JPY"
        s.execute(delete(ProposalBudget).where(ProposalBudget.proposal_id == p.id))
        s.add(ProposalBudget(proposal_id=p.id, fiscal_year=2026, amount_minor=146_500_000))
        code = p.code
    params = calibration_params(demo, CALL, rates_on=date(2026, 6, 15))  # 146.50 JPY per USD since June 1st
    assert params["costs"][code] == 100_000_000  # USD 1,000,000.00 in cents, exactly
    assert any(n.startswith(f"{code}: ") and "2026-06-01" in n for n in params["notes"])
    with pytest.raises(InputError, match=f"{code}: its budget is in JPY, the call's in USD, and no JPY/USD"):
        calibration_params(demo, CALL, rates_on=date(2020, 1, 1))


def test_params_for_fills_in_the_call_and_lets_given_parameters_win(demo):
    assert params_for(demo, "pi", {"blocks": 3}) == {"blocks": 3}
    assert params_for(demo, "assignment", {"k": 2}) == {"k": 2}, "no call: nothing to fill in"
    filled = params_for(demo.url, "assignment", {"call": CALL, "k": 2, "method": "column"})
    assert filled == assignment_params(demo, CALL, k=2, method="column")
    cal = params_for(demo, "calibration", {"call": CALL, "draws": 200, "draws_per_block": 50})
    assert (cal["draws"], cal["draws_per_block"]) == (200, 50) and cal["reviews"]


def test_save_writes_a_reading_order_per_reviewer_reproducibly(demo):
    result = _solve(assignment_params(demo, CALL, k=3))
    before = len(_assignments(demo))
    with pytest.raises(AssignmentRefused, match=f"call {CALL}: already has {before} review assignments"):
        save_assignment(demo, CALL, result, seed=7, by="officer@doe.gov")
    assert len(_assignments(demo)) == before and before
    saved = save_assignment(demo, CALL, result, seed=7, by="officer@doe.gov", replace=True)
    assert saved["pairs"] == len(result["pairs"]) and saved["replaced"] == before
    assert saved["reviewers"] == {e: n for e, n in result["loads"].items() if n}
    with demo.session() as s:
        rows = s.execute(select(Reviewer.email, Proposal.code, ReviewAssignment.position, ReviewAssignment.assigned_by)
                         .join(Reviewer).join(Proposal)).all()
    assert {(c, e) for e, c, _, _ in rows} == {(p["proposal"], p["reviewer"]) for p in result["pairs"]}
    orders: dict[str, list[tuple[str, int]]] = {}
    for email, code, position, by in rows:
        orders.setdefault(email, []).append((code, position))
        assert by == "officer@doe.gov"
    for email, mine in orders.items():
        assert sorted(p for _, p in mine) == list(range(len(mine))), f"{email}: not a permutation"
        assert [p for _, p in sorted(mine)] == reading_order(7, email, len(mine))
    threes = {tuple(p for _, p in sorted(m)) for m in orders.values() if len(m) == 3}
    assert len(threes) > 1, "reviewers do not all read in the same order"
    first = _assignments(demo)
    save_assignment(demo, CALL, result, seed=7, by="officer@doe.gov", replace=True)
    assert _assignments(demo) == first, "the same seed gives the same orders"
    save_assignment(demo, CALL, result, seed=8, by="officer@doe.gov", replace=True)
    assert _assignments(demo) != first
    summary = dry_run_summary(result)
    assert summary["pairs"] == len(result["pairs"]) and summary["gap"] == result["gap"]
    assert all(len(v) == 3 for v in summary["per_proposal"].values())


def test_save_refuses_a_pair_blocked_since_and_other_stale_results_writing_nothing(demo):
    result = _solve(assignment_params(demo, CALL, k=2))
    before = _assignments(demo)
    pair = result["pairs"][5]
    declare_conflict(demo, pair["proposal"], pair["reviewer"], "personal", "a cousin of the PI", by="officer@doe.gov")
    with pytest.raises(AssignmentRefused, match=rf"pair \({pair['proposal']}, {pair['reviewer']}\): now blocked"):
        save_assignment(demo, CALL, result, seed=1, by="officer@doe.gov", replace=True)
    assert _assignments(demo) == before
    gone = {**result, "pairs": [*result["pairs"][:5], {**result["pairs"][6], "reviewer": "left@nowhere.org"}]}
    with pytest.raises(AssignmentRefused, match="reviewer left@nowhere.org: no longer in the portfolio"):
        save_assignment(demo, CALL, gone, seed=1, by="officer@doe.gov", replace=True)
    with pytest.raises(AssignmentRefused, match="it is an assignment for call 'DE-FOA-0003612', not 'OTHER'"):
        save_assignment(demo, "OTHER", result, seed=1, by="officer@doe.gov", replace=True)
    assert _assignments(demo) == before
