"""The assignment and calibration kernels' parameters, from the records of one call.

Which proposals take part (ProposalStatus):

- assignment: the call's proposals UNDER_REVIEW. They are the ones that need reviewers now: a
  submitted one has not been admitted to review yet, and a recommended, awarded or declined one has
  been decided. `statuses` widens or narrows this.
- calibration: the proposals that compete for the call's budget are those that reached review and
  were not withdrawn: UNDER_REVIEW, RECOMMENDED, AWARDED, and DECLINED ones whose history passed
  through UNDER_REVIEW (declined after review were in the same competition; leaving them out would
  make a run after the decisions rank only the winners). Submitted reviews of the call's other
  proposals (withdrawn ones, mostly) are used to measure the reviewers (`fit_only`): a withdrawn
  proposal's reviews still say how generous its reviewers are.

Reviewers are every reviewer in the portfolio (a reviewer is not tied to a call), their expertise
as the text. Conflicts are records.blocked (conflicted and not waived). Costs: the sum of a
proposal's requested budget rows; a proposal in another currency than the call's is converted at
the latest rate published on or before `rates_on` (default today), and the params' notes say at
which; a proposal with no budget rows costs 0 (it always fits) and the notes say so too. Review
totals use the call's rubric (records.call_rubric); a submitted review with a score missing or
outside the scale is left out and named in the notes.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.frames_money import rate_book
from genesis_desktop.portfolio.money import Money, MoneyError
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal, ProposalBudget, ProposalStatus, ProposalStatusChange
from genesis_desktop.portfolio.reviews import Review, Reviewer, ReviewBid, ReviewState

from .affinity import proposal_text
from .records import blocked, call_rubric

ASSIGNED = (ProposalStatus.UNDER_REVIEW,)
COMPETING = (ProposalStatus.UNDER_REVIEW, ProposalStatus.RECOMMENDED, ProposalStatus.AWARDED)
DEFAULT_BID_WEIGHT = 0.5
ASSIGNMENT_ARGS = ("k", "max_load", "min_load", "bid_weight", "method")
CALIBRATION_ARGS = ("draws",)


class InputError(ValueError):
    """The records cannot give what a run needs; the message names the call, field, value and rule."""


@contextmanager
def _source(store) -> Iterator[Any]:
    """What records.* and Session() accept: a Store as it is, a URL opened (and closed after), or
    the engine of anything that has one (a JobStore, as the CLI holds)."""
    if isinstance(store, str):
        from genesis_desktop.portfolio.store import open_store

        opened = open_store(store, create=False)
        try:
            yield opened
        finally:
            opened.close()
    elif hasattr(store, "session"):
        yield store
    else:
        yield getattr(store, "engine", store)


def _session(src) -> Session:
    return src.session() if hasattr(src, "session") else Session(src)


def _call(s: Session, call_number: Any) -> Call:
    call = s.scalar(select(Call).where(Call.number == str(call_number)))
    if call is None:
        raise InputError(f"call: no call numbered {str(call_number)!r}")
    return call


def assignment_params(store, call_number: str, k: int = 3, max_load: int | None = None, min_load: int = 0,
                      bid_weight: float = DEFAULT_BID_WEIGHT, method: str = "auto",
                      statuses: Iterable[ProposalStatus] = ASSIGNED) -> dict[str, Any]:
    """The assignment kernel's parameters for the call's proposals in `statuses` (not yet prepared:
    service.make_spec checks them, feasibility included)."""
    statuses = [ProposalStatus(x) for x in statuses]
    with _source(store) as src:
        with _session(src) as s:
            call = _call(s, call_number)
            rows = s.execute(select(Proposal.id, Proposal.code, Proposal.title, Proposal.abstract, Proposal.keywords)
                             .where(Proposal.call_id == call.id, Proposal.status.in_(statuses))
                             .order_by(Proposal.code)).all()
            if not rows:
                raise InputError(f"call {call.number}: no proposal is {' or '.join(x.value for x in statuses)}; "
                                 "there is nothing to assign")
            reviewers = s.execute(select(Reviewer.email, Reviewer.expertise).order_by(Reviewer.email)).all()
            if not reviewers:
                raise InputError(f"call {call.number}: the portfolio has no reviewers to assign")
            ids = [r.id for r in rows]
            bids = s.execute(select(Proposal.code, Reviewer.email, ReviewBid.bid)
                             .join(Proposal, Proposal.id == ReviewBid.proposal_id)
                             .join(Reviewer, Reviewer.id == ReviewBid.reviewer_id)
                             .where(ReviewBid.proposal_id.in_(ids))
                             .order_by(Proposal.code, Reviewer.email)).all()
        codes = {r.code for r in rows}
        conflicts = sorted([c, e] for c, e in blocked(src) if c in codes)
    no_expertise = [e for e, x in reviewers if not x]
    notes = [f"proposals: the {len(rows)} of call {call_number} that are "
             f"{' or '.join(x.value for x in statuses)}"]
    if no_expertise:
        notes.append(f"reviewers: {len(no_expertise)} list no expertise (affinity 0 with every proposal): "
                     + ", ".join(no_expertise[:10]) + (" ..." if len(no_expertise) > 10 else ""))
    return {"call": str(call_number),
            "proposals": [{"code": r.code, "text": proposal_text(r.title, r.abstract or "", r.keywords or ())}
                          for r in rows],
            "reviewers": [{"email": e, "text": " ".join(x or ())} for e, x in reviewers],
            "k": k, "max_load": max_load, "min_load": min_load, "bids": [[c, e, int(b)] for c, e, b in bids],
            "conflicts": conflicts, "bid_weight": bid_weight, "method": method, "notes": notes}


def calibration_params(store, call_number: str, draws: int = 1000, rates_on: date | None = None) -> dict[str, Any]:
    """The calibration kernel's parameters for the call (see the module's notes on who competes)."""
    on = rates_on or date.today()
    with _source(store) as src:
        with _session(src) as s:
            call = _call(s, call_number)
            proposals = s.execute(select(Proposal.id, Proposal.code, Proposal.title, Proposal.status, Proposal.currency)
                                  .where(Proposal.call_id == call.id).order_by(Proposal.code)).all()
            reviewed_before = set(s.scalars(select(ProposalStatusChange.proposal_id).where(
                ProposalStatusChange.status == ProposalStatus.UNDER_REVIEW,
                ProposalStatusChange.proposal_id.in_([p.id for p in proposals]))))
            totals = dict(s.execute(select(ProposalBudget.proposal_id, func.sum(ProposalBudget.amount_minor))
                                    .join(Proposal, Proposal.id == ProposalBudget.proposal_id)
                                    .where(Proposal.call_id == call.id)
                                    .group_by(ProposalBudget.proposal_id)).all())
            reviews = s.execute(select(Proposal.code, Reviewer.email, Reviewer.name, Review.scores)
                                .join(Proposal, Proposal.id == Review.proposal_id)
                                .join(Reviewer, Reviewer.id == Review.reviewer_id)
                                .where(Proposal.call_id == call.id, Review.state == ReviewState.SUBMITTED)
                                .order_by(Proposal.code, Reviewer.email)).all()
            book = rate_book(s.connection())
            currency, budget = call.currency, call.total_budget_minor
        rubric = call_rubric(src, call.number)
    notes: list[str] = []
    competes = {p.code for p in proposals
                if p.status in COMPETING or (p.status is ProposalStatus.DECLINED and p.id in reviewed_before)}
    costs: dict[str, int] = {}
    for p in proposals:
        if p.code not in competes:
            continue
        amount = int(totals.get(p.id) or 0)
        if p.id not in totals:
            notes.append(f"{p.code}: no budget rows; its cost is 0, so it always fits")
        if p.currency != currency:
            try:
                converted, rate = book.convert(Money(amount, p.currency), currency, on)
            except MoneyError as err:
                raise InputError(f"{p.code}: its budget is in {p.currency}, the call's in {currency}, and {err}; "
                                 "add the rate or change the proposal's currency") from None
            notes.append(f"{p.code}: {Money(amount, p.currency)} converted at {rate.value} {currency} per "
                         f"{p.currency} ({rate.on.isoformat()}{', ' + rate.source if rate.source else ''}) "
                         f"to {converted}")
            amount = converted.minor
        costs[p.code] = amount
    anchor = next(c for c in rubric.criteria if c.counts)
    rows, names, fitted = [], {}, set()
    for code, email, name, scores in reviews:
        problems = rubric.problems(scores or {}, complete=True)
        if problems:
            notes.append(f"review of {code} by {email} left out: {'; '.join(problems)}")
            continue
        rows.append([code, email, rubric.total(scores)])
        names[email] = name
        if code not in competes:
            fitted.add(code)
    if fitted:
        notes.append(f"reviews of {len(fitted)} proposals that do not compete (withdrawn, or declined before "
                     f"review) measure the reviewers only: {', '.join(sorted(fitted)[:10])}"
                     + (" ..." if len(fitted) > 10 else ""))
    titles = {p.code: p.title for p in proposals if p.code in competes}
    return {"call": str(call_number), "currency": currency, "budget": int(budget), "costs": costs,
            "fit_only": sorted(fitted), "scale": {"low": anchor.low, "high": anchor.high, "best": anchor.best},
            "reviews": rows, "titles": titles, "names": names, "draws": draws, "notes": notes}


def params_for(store_url_or_store, kernel: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` with what the records give filled in, for `genesis run assignment|calibration
    --param call=N`: the call's derived parameters, then `params` over them (a parameter given wins).
    Other kernels, and runs with no "call", get `params` back as they are."""
    params = dict(params)
    if kernel not in ("assignment", "calibration") or "call" not in params:
        return params
    call = params["call"]
    if kernel == "assignment":
        args = {k: params.pop(k) for k in ASSIGNMENT_ARGS if k in params}
        derived = assignment_params(store_url_or_store, call, **args)
    else:
        args = {k: params.pop(k) for k in CALIBRATION_ARGS if k in params}
        derived = calibration_params(store_url_or_store, call, **args)
    derived.update(params)
    derived["call"] = str(call)
    return derived
