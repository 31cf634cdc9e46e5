"""The `genesis review` commands: assign and calibrate (as compute jobs), missing, conflicts, declare, waive.

Results go to stdout (JSON with --json), progress and notices to stderr. Exit codes as cli.py: 0 success,
1 a run that did not complete or a backend that failed, 2 bad input (an unknown call, an impossible
assignment, a refused save, declaration or waiver)."""
from __future__ import annotations

import functools
import getpass
import json
import sys
import time
from contextlib import closing as _closing
from typing import Any, Callable, Iterable

from genesis_desktop.cli import EXIT_FAILURE, EXIT_OK, BadInput
from genesis_desktop.cli_compute import DEFAULT_SEED, _handled as _compute_handled, _ProgressLine


def add_parsers(sub, extend: Iterable[Callable[[Any], None]] = ()) -> None:
    """Add `genesis review ...` to the top-level subparsers `sub`. Each of `extend` is then given the
    review subparsers to add its own actions (cli_packets.add_parsers adds `review packet`)."""
    review = sub.add_parser("review", help="a call's reviews: assignment, calibration, reminders, conflicts")
    actions = review.add_subparsers(dest="review_command", metavar="ACTION", required=True)

    a = actions.add_parser("assign", help="assign reviewers to the call's proposals under review (a job); "
                           "a dry run unless --save")
    a.add_argument("--call", required=True, metavar="N", help="the call's number")
    a.add_argument("--k", type=int, default=3, metavar="K", help="reviewers per proposal (default 3)")
    a.add_argument("--max-load", type=int, metavar="N", help="proposals per reviewer at most (default: balanced + 1)")
    a.add_argument("--min-load", type=int, default=0, metavar="N", help="proposals per reviewer at least (default 0)")
    a.add_argument("--bid-weight", type=float, default=0.5, metavar="W", help="how much bids count, 0..1 (default 0.5)")
    a.add_argument("--save", action="store_true", help="save the assignment (default: a dry run, nothing written)")
    a.add_argument("--replace", action="store_true", help="with --save: replace the call's existing assignments")
    a.add_argument("--by", metavar="WHO", help="with --save: who assigns (default: this computer's user name)")
    _job_options(a)
    a.set_defaults(func=cmd_assign)

    c = actions.add_parser("calibrate", help="calibrate the call's review scores and the odds of funding (a job)")
    c.add_argument("--call", required=True, metavar="N", help="the call's number")
    c.add_argument("--draws", type=int, default=1000, metavar="N", help="posterior draws (default 1000)")
    _job_options(c)
    c.set_defaults(func=cmd_calibrate)

    m = actions.add_parser("missing", help="reviewers who still owe reviews, most owed first")
    m.add_argument("--call", metavar="N", help="only this call")
    f = actions.add_parser("conflicts", help="the conflicts of interest recorded, with their waivers")
    f.add_argument("--refresh", action="store_true", help="first find them again from the records")
    d = actions.add_parser("declare", help="declare a conflict of interest by hand")
    w = actions.add_parser("waive", help="allow a conflicted pair, with a written reason (20+ characters)")
    for x, kind in ((d, True), (w, False)):
        x.add_argument("proposal", metavar="PROPOSAL", help="the proposal's code")
        x.add_argument("email", metavar="EMAIL", help="the reviewer's e-mail")
        if kind:
            x.add_argument("kind", metavar="KIND", help="institution, coauthor, partner, personal or other")
        x.add_argument("--reason", required=True, metavar="R")
        x.add_argument("--by", required=True, metavar="WHO", help="who declares the conflict or grants the waiver")
    for x, func in ((m, cmd_missing), (f, cmd_conflicts), (d, cmd_declare), (w, cmd_waive)):
        x.add_argument("--json", action="store_true", help="print JSON")
        x.set_defaults(func=func)
    for more in extend:
        more(actions)


def _job_options(p) -> None:
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S", help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument("--backend", default="local", metavar="B", help="compute backend (default local)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _handled(func):
    """The records' refusals are bad input (exit 2); the rest as cli_compute maps it."""
    @functools.wraps(func)
    def run(args) -> int:
        from genesis_desktop.review.assignment_records import AssignmentRefused
        from genesis_desktop.review.conflicts import ConflictError
        from genesis_desktop.review.job_inputs import InputError
        from genesis_desktop.review.rubric import RubricError

        try:
            return func(args)
        except (InputError, AssignmentRefused, ConflictError, RubricError) as err:
            raise BadInput(str(err)) from None
    return _compute_handled(run)


def _store(args):
    from genesis_desktop.portfolio.store import open_store

    return open_store(args.db, create=False)


class _Progress(_ProgressLine):
    """The job's progress line, with the assignment solver's own share done (its one block gives none)."""

    def update(self, events) -> None:
        from genesis_desktop.compute.telemetry import Kind
        from genesis_desktop.review.kernel_assignment import PROGRESS_METRIC

        super().update(events)
        for e in events:
            if self.tty and e.kind is Kind.METRIC and e.payload["name"] == PROGRESS_METRIC:
                filled = int(self.WIDTH * min(max(e.payload["value"], 0.0), 1.0))
                print(f"\rjob {self.job_id} [{'#' * filled}{'.' * (self.WIDTH - filled)}] solving", end="",
                      file=sys.stderr, flush=True)
                self.drawn = True


def _run_job(store, kernel: str, params: dict, args):
    """Run a kernel as a job on the portfolio's database, progress on stderr; its final record."""
    from genesis_desktop.compute import service
    from genesis_desktop.compute.jobstore import JobStore

    jobs = JobStore(store.engine)  # the portfolio store owns the engine and the job tables' migrations
    spec = service.make_spec(kernel, params, seed=args.seed)
    submitted = service.submit(jobs, spec, backend=args.backend, safe_mode=args.safe_mode)
    if submitted.fallback_reason:
        print(f"genesis: {submitted.fallback_reason}; running on local instead", file=sys.stderr)
    job_id, backend = submitted.job_id, submitted.backend
    started, shown = time.monotonic(), _Progress(job_id)
    try:
        try:
            record = service.follow(jobs, backend, job_id, on_events=shown.update)
        except KeyboardInterrupt:
            print(f"\ngenesis: canceling job {job_id}", file=sys.stderr)
            backend.cancel(service.native(jobs.get(job_id)))
            record = service.follow(jobs, backend, job_id)
    finally:
        shown.close()
        backend.close()
    print(f"job {job_id} {record.state.value} in {time.monotonic() - started:.3g} s on {record.backend}"
          + (f": {record.error}" if record.error else ""), file=sys.stderr)
    return record


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without USER or a passwd entry): still say what saved it
        return "genesis review assign"


def _job_json(record) -> dict:
    return {"job": record.id, "kernel": record.spec.kernel, "seed": record.spec.seed, "state": record.state.value,
            "backend": record.backend, "fallback_reason": record.fallback_reason, "error": record.error}


@_handled
def cmd_assign(args) -> int:
    from genesis_desktop.compute.jobs import JobState
    from genesis_desktop.review.assignment_records import (AssignmentRefused, dry_run_summary, existing_assignments,
                                                           save_assignment)
    from genesis_desktop.review.job_inputs import assignment_params

    with _closing(_store(args)) as store:
        params = assignment_params(store, args.call, k=args.k, max_load=args.max_load, min_load=args.min_load,
                                   bid_weight=args.bid_weight)
        existing = existing_assignments(store, args.call) if args.save and not args.replace else 0
        if existing:  # say so before the run rather than after it
            raise BadInput(f"call {args.call}: already has {existing} review assignments; add --replace to put "
                           "the new assignment in their place")
        record = _run_job(store, "assignment", params, args)
        if record.state is not JobState.COMPLETED:
            if args.json:
                print(json.dumps({**_job_json(record), "summary": None, "saved": None}, indent=2))
            return EXIT_FAILURE
        summary, saved = dry_run_summary(record.result), None
        if args.save:
            try:
                saved = save_assignment(store, args.call, record.result, seed=record.spec.seed,
                                        by=args.by or _user(), replace=args.replace)
            except AssignmentRefused as err:
                raise BadInput(f"{err} (nothing saved; job {record.id} keeps the result)") from None
    if args.json:
        print(json.dumps({**_job_json(record), "summary": summary, "saved": saved, "result": record.result}, indent=2))
        return EXIT_OK
    print(f"call {summary['call']}: {summary['pairs']} assignments for {summary['proposals']} proposals; "
          f"{summary['reviewers_used']} of {summary['reviewers']} reviewers used, loads "
          f"{summary['load_min']} to {summary['load_max']}")
    print(f"total affinity {summary['objective']:.6g} (LP bound {summary['lp_bound']:.6g}, gap {summary['gap']:.3g}); "
          f"solver: {summary['solver']}")
    for email, load in sorted(summary["loads"].items(), key=lambda x: (-x[1], x[0])):
        print(f"  {load:>4}  {email}")
    print(f"saved {saved['pairs']} assignments, replacing {saved['replaced']}" if saved else
          f"dry run: nothing was saved (job {record.id}; add --save to save it)", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_calibrate(args) -> int:
    from genesis_desktop.compute.jobs import JobState
    from genesis_desktop.review.job_inputs import calibration_params

    with _closing(_store(args)) as store:
        params = calibration_params(store, args.call, draws=args.draws)
        for note in params["notes"]:
            print(f"note: {note}", file=sys.stderr)
        record = _run_job(store, "calibration", params, args)
    if args.json:
        print(json.dumps({**_job_json(record), "result": record.result}, indent=2))
    elif record.result is not None:
        print(_calibration_table(record.result))
    return EXIT_OK if record.state is JobState.COMPLETED else EXIT_FAILURE


def _num(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _calibration_table(r: dict) -> str:
    s = r["scale"]
    lines = [f"call {r['call']}: budget {r['budget']:,.2f} {r['currency']}, {r['draws']} draws (seed {r['seed']}), "
             f"scale {s['low']} to {s['high']} ({s['best']} is best), funding line {_num(r['funding_line'])}"
             + ("" if r["converged"] else "; the fit did NOT converge"),
             f"{'rank':>4}  {'code':<12} {'raw':>5}  {'calibrated':>12}  {'P(funded)':>9}  {'90% rank':>9}  grey"]
    for i, p in enumerate(r["proposals"], 1):
        ranks = "-" if p["rank_low"] is None else f"{p['rank_low']:.0f}-{p['rank_high']:.0f}"
        lines.append(f"{i if p['expected_rank'] is not None else '-':>4}  {p['code']:<12} {_num(p['raw_total']):>5}  "
                     f"{p['calibrated_total']:>5.2f} ± {p['calibrated_sd']:<4.2f}  {p['probability_funded']:>9.2f}  "
                     f"{ranks:>9}  {'grey' if p['grey_zone'] else ''}")
    return "\n".join(lines)


@_handled
def cmd_missing(args) -> int:
    from genesis_desktop.review.reminders import missing_reviews

    with _closing(_store(args)) as store:
        owed = missing_reviews(store, args.call)
    if args.json:
        print(json.dumps([{"reviewer": o.reviewer, "name": o.name, "proposals": list(o.proposals),
                           "drafts": list(o.drafts)} for o in owed], indent=2))
        return EXIT_OK
    for o in owed:
        drafts = f" (drafts: {', '.join(o.drafts)})" if o.drafts else ""
        print(f"{len(o.proposals):>4}  {o.reviewer} ({o.name}): {', '.join(o.proposals)}{drafts}")
    if not owed:
        print("no reviews are owed", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_conflicts(args) -> int:
    from genesis_desktop.review.records import refresh_conflicts

    with _closing(_store(args)) as store:
        if args.refresh:
            print(f"found {len(refresh_conflicts(store))} conflicts in the records", file=sys.stderr)
        rows = _stored_conflicts(store)
    for r in [] if args.json else rows:
        print(f"{r['proposal']:<12} {r['reviewer']:<40} {r['kind']:<12} {'waived' if r['waived'] else 'blocks':<7} "
              f"{r['reason']}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return EXIT_OK


def _stored_conflicts(store) -> list[dict]:
    from sqlalchemy import select

    from genesis_desktop.portfolio.proposals import Proposal
    from genesis_desktop.portfolio.reviews import ConflictWaiver, ReviewConflict, Reviewer

    with store.session() as s:
        rows = s.execute(select(Proposal.code, Reviewer.email, ReviewConflict.kind, ReviewConflict.reason,
                                ReviewConflict.declared_by, ConflictWaiver.reason)
                         .join(Proposal, Proposal.id == ReviewConflict.proposal_id)
                         .join(Reviewer, Reviewer.id == ReviewConflict.reviewer_id)
                         .outerjoin(ConflictWaiver, (ConflictWaiver.proposal_id == ReviewConflict.proposal_id)
                                    & (ConflictWaiver.reviewer_id == ReviewConflict.reviewer_id))
                         .order_by(Proposal.code, Reviewer.email, ReviewConflict.kind)).all()
    return [{"proposal": c, "reviewer": e, "kind": k, "reason": r, "declared_by": d, "waived": w is not None,
             "waiver_reason": w} for c, e, k, r, d, w in rows]


@_handled
def cmd_declare(args) -> int:
    from genesis_desktop.review.records import declare_conflict

    with _closing(_store(args)) as store:
        c = declare_conflict(store, args.proposal, args.email, args.kind, args.reason, args.by)
    out = {"proposal": c.proposal, "reviewer": c.reviewer, "kind": c.kind.value, "reason": c.reason,
           "declared_by": c.declared_by}
    print(json.dumps(out, indent=2) if args.json else f"declared: {c.reviewer} has a {c.kind.value} conflict "
          f"with {c.proposal} ({c.reason})")
    return EXIT_OK


@_handled
def cmd_waive(args) -> int:
    from genesis_desktop.review.records import waive_conflict

    with _closing(_store(args)) as store:
        w = waive_conflict(store, args.proposal, args.email, args.reason, args.by)
    out = {"proposal": w.proposal, "reviewer": w.reviewer, "reason": w.reason, "granted_by": w.granted_by,
           "granted_at": w.granted_at.isoformat()}
    print(json.dumps(out, indent=2) if args.json else f"waived: {w.reviewer} may review {w.proposal} "
          f"(granted by {w.granted_by})")
    return EXIT_OK
