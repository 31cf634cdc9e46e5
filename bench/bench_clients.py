"""Client processes editing and reviewing one portfolio at once: operations/s, errors, conflicts, lost updates.

    python bench/bench_clients.py [--clients 20] [--seconds 60] [--engine postgresql|sqlite] [--pg-url URL]
                                  [--proposals 1000] [--edit-share 0.7] [--seed 2026]

A demo portfolio (--proposals) on PostgreSQL (the server given, GENESIS_TEST_PG_URL, or one started with
scripts/postgres-server) or in a SQLite file. --clients processes (multiprocessing, each with its own
store, over loopback for PostgreSQL) start together and loop for --seconds, each doing, at random:
- an edit (--edit-share of the loop): a read-modify-write increment of a hot spot, through
  portfolio.edits: a proposal's requested_gpu_hours (+1) or every fiscal year of a commitment's pledged
  amounts (+1 unit each, with its ledger entries). Four proposals and two commitments are shared by every
  client, so that writes collide. With optimistic locking (edits.read_versioned, update(...,
  expected_version=...)), a VersionConflict is a conflict detected: the client reads again and retries.
  Without it (an older edits.py) the client reads with edits.read and writes with plain update, and the
  table says "locking: unavailable": lost updates are then expected, which shows that the count works.
- a review by the client's own reviewer (review.scoring.DatabaseReviewerDesk): a draft saved then
  submitted, or, once submitted, a revision with a reason.
Lost updates: each client counts its successful increments; at the end every hot spot must have moved by
exactly the sum of them (a shortfall is a lost update; a surplus, an increment written but reported as
failed). A review revision the client was told succeeded must be there: one new earlier version per
revision, and each review's scores the last its client submitted. Errors are exceptions of any other
kind, by type. The ledger (decisions' check_ledger) must still add up at the end.
Nothing is asserted: figures only (tests/reliability runs the same at a small size and asserts).
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reliability_common import PostgresCopies, SqliteCopies, bump, demo_file, postgres, print_table  # noqa: E402

REASON = "second look after the panel discussion"


def plus_one(text: str) -> str:
    return bump(text, 1) if "=" in text else str(int(text) + 1)


def counter_of(text: str) -> int:
    """The number an increment moves: the value itself, or the first fiscal year's amount."""
    return int(float(text.split(";")[0].partition("=")[2])) if "=" in text else int(text)


def hot_spots(store) -> list[tuple[str, str, str]]:
    """(kind, code, field): four submitted proposals' GPU hours and two pledged commitments' amounts."""
    from genesis_desktop.portfolio.io import export_frame

    proposals, commitments = export_frame(store, "proposals"), export_frame(store, "commitments")
    chosen = [("proposal", c, "requested_gpu_hours")
              for c in proposals.loc[proposals["status"] == "submitted", "code"].head(4)]
    chosen += [("commitment", c, "pledged") for c in commitments.loc[commitments["state"] == "pledged", "code"].head(2)]
    return chosen


def review_state(store, emails: list[str]) -> dict[tuple[str, str], tuple[int, dict]]:
    """(reviewer e-mail, proposal code) -> (earlier versions kept, scores) for those reviewers' reviews."""
    from sqlalchemy import func, select

    from genesis_desktop.portfolio.proposals import Proposal
    from genesis_desktop.portfolio.reviews import Review, Reviewer, ReviewVersion

    versions = (select(func.count()).where(ReviewVersion.review_id == Review.id).scalar_subquery())
    with store.session() as s:
        rows = s.execute(select(Reviewer.email, Proposal.code, versions, Review.scores)
                         .join(Review, Review.reviewer_id == Reviewer.id).join(Proposal, Proposal.id == Review.proposal_id)
                         .where(Reviewer.email.in_(emails))).all()
    return {(e, c): (int(n), dict(scores or {})) for e, c, n, scores in rows}


def client(index: int, url: str, hot: list, email: str, seconds: float, seed: int, edit_share: float,
           locking: bool, barrier, results) -> None:
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.store import open_store
    from genesis_desktop.review.scoring import DatabaseReviewerDesk

    rng, tally = random.Random(seed * 1000 + index), Counter()
    errors, samples, last_scores = Counter(), {}, {}
    versioned = locking and hasattr(edits, "read_versioned") and hasattr(edits, "VersionConflict")
    store = open_store(url, create=False)
    desk = DatabaseReviewerDesk(store, email)
    mine = [a.code for a in desk.assignments()][:3]
    barrier.wait(120)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            op = "edit" if rng.random() < edit_share else "review"
            if op == "edit":
                kind, code, field = rng.choice(hot)
                while True:
                    if versioned:
                        texts, version = edits.read_versioned(store, kind, code)
                        try:
                            edits.update(store, kind, code, {field: plus_one(texts[field])},
                                         author=f"client {index}", expected_version=version)
                        except edits.VersionConflict:
                            tally["conflicts"] += 1
                            continue
                    else:
                        texts = edits.read(store, kind, code)
                        edits.update(store, kind, code, {field: plus_one(texts[field])}, author=f"client {index}")
                    break
                tally[f"+{code}"] += 1
                tally["edits"] += 1
            else:
                code = rng.choice(mine)
                scores = {c.key: rng.randint(c.low, c.high) for c in desk.rubric(code).criteria}
                review = desk.my_review(code)
                if review is None or review.state != "submitted":
                    desk.save_draft(code, dict(list(scores.items())[:2]), f"draft by client {index}")
                    desk.submit(code, scores, f"submitted by client {index}")
                else:
                    desk.revise(code, scores, f"revised by client {index}", REASON)
                    tally["revisions"] += 1
                last_scores[code] = scores
                tally["reviews"] += 1
        except Exception as err:  # noqa: BLE001 - every unexpected failure is counted by its type
            key = f"{op}: {type(err).__module__.split('.')[0]}.{type(err).__name__}"
            errors[key] += 1
            samples.setdefault(key, " ".join(str(err).split())[:200])
    store.close()
    results.put({"index": index, "email": email, "tally": dict(tally), "errors": dict(errors), "samples": samples,
                 "scores": last_scores, "versioned": versioned})


def run_clients(url: str, clients: int = 20, seconds: float = 60.0, seed: int = 2026, edit_share: float = 0.7,
                engine: str = "", locking: bool = True) -> dict:
    """Run the clients against the portfolio at `url` (a demo portfolio) and count what happened; with
    `locking` False (the baseline) they write with plain update even where optimistic locking exists."""
    from sqlalchemy import func, select

    from genesis_desktop.decisions.ledger_read import check_ledger
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.reviews import Reviewer, ReviewAssignment
    from genesis_desktop.portfolio.store import open_store

    store = open_store(url, create=False)
    try:
        hot = hot_spots(store)
        start = {code: counter_of(edits.read(store, kind, code)[field]) for kind, code, field in hot}
        with store.session() as s:
            emails = s.scalars(select(Reviewer.email).join(ReviewAssignment, ReviewAssignment.reviewer_id == Reviewer.id)
                               .group_by(Reviewer.email).having(func.count() >= 3).order_by(Reviewer.email)).all()
        reviews_before = review_state(store, emails)
    finally:
        store.close()  # nothing open across the fork
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    procs = [ctx.Process(target=client, args=(i, url, hot, emails[i % len(emails)], seconds, seed, edit_share,
                                              locking, barrier, results), daemon=True) for i in range(clients)]
    for p in procs:
        p.start()
    barrier.wait(300)
    started = time.monotonic()
    outs = [results.get(timeout=seconds + 600) for _ in procs]
    wall = time.monotonic() - started
    for p in procs:
        p.join(60)
    tallies, errors, samples = Counter(), Counter(), {}
    for out in outs:
        tallies.update(out["tally"])
        errors.update(out["errors"])
        samples.update(out["samples"])
    store = open_store(url, create=False)
    try:
        final = {code: counter_of(edits.read(store, kind, code)[field]) for kind, code, field in hot}
        reviews_after = review_state(store, emails)
        ledger = check_ledger(store)
    finally:
        store.close()
    moved = {code: final[code] - start[code] for code in start}
    lost = sum(max(0, tallies[f"+{c}"] - moved[c]) for c in moved)
    surplus = sum(max(0, moved[c] - tallies[f"+{c}"]) for c in moved)
    new_versions = sum(n - reviews_before.get(k, (0, {}))[0] for k, (n, _) in reviews_after.items())
    lost_reviews = max(0, tallies["revisions"] - new_versions)
    if len(emails) >= clients:  # each reviewer is one client's alone: its last scores must be what is stored
        lost_reviews += sum(reviews_after.get((o["email"], code), (0, {}))[1] != scores
                            for o in outs for code, scores in o["scores"].items())
    ops = tallies["edits"] + tallies["reviews"]
    return {"engine": engine, "clients": clients, "seconds": wall, "operations": ops, "ops_per_s": ops / wall,
            "edits": tallies["edits"], "reviews": tallies["reviews"], "errors": errors, "samples": samples,
            "conflicts": tallies["conflicts"], "lost_updates": lost, "surplus": surplus, "lost_reviews": lost_reviews,
            "locking": all(o["versioned"] for o in outs), "ledger": ledger,
            "moved": {c: f"{moved[c]}/{tallies[f'+{c}']}" for c in moved},
            "reviewers": min(clients, len(emails))}


def report(results: list[dict]) -> None:
    print_table(["engine", "locking", "clients", "seconds", "operations", "ops/s", "errors", "conflicts", "lost updates"],
                [[r["engine"], "yes" if r["locking"] else "no", r["clients"], round(r["seconds"], 1), r["operations"],
                  round(r["ops_per_s"], 1), sum(r["errors"].values()), r["conflicts"],
                  r["lost_updates"] + r["lost_reviews"]] for r in results])
    for r in results:
        gaps = r["ledger"]
        print(f"locking {'yes: edits.read_versioned and update(expected_version=)' if r['locking'] else 'no: edits.read and plain update'}\n"
              f"  {r['edits']:,} increments, {r['reviews']:,} review writes by {r['reviewers']} reviewers; lost: "
              f"{r['lost_updates']} increments, {r['lost_reviews']} review writes; surplus increments {r['surplus']}\n"
              f"  errors by type: {dict(r['errors']) or 'none'}; hot spots moved/increments counted {r['moved']}\n"
              f"  ledger (check_ledger): {f'{len(gaps)} gaps, e.g. {gaps[0]}' if gaps else 'adds up'}")
        for key, text in sorted(r["samples"].items()):
            print(f"  e.g. {key}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", help="admin URL of a PostgreSQL server (default GENESIS_TEST_PG_URL, else one is started)")
    parser.add_argument("--proposals", type=int, default=1000)
    parser.add_argument("--edit-share", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--baseline", action="store_true",
                        help="then the same on a fresh copy with plain update (no version check), for comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genesis-bench-clients-") as folder:
        template = demo_file(Path(folder), args.proposals)
        if args.engine == "sqlite":
            run_on(SqliteCopies(template, Path(folder)), args)
        else:
            with postgres(args.pg_url) as admin:
                run_on(PostgresCopies(admin, f"sqlite:///{template}"), args)


def run_on(copies, args) -> None:
    print(f"{copies.name}: demo of {args.proposals:,} proposals; {args.clients} client processes for "
          f"{args.seconds:g} s, {args.edit_share:.0%} increments of 6 shared hot spots, the rest reviews")
    try:
        results = []
        for locking in (True, False) if args.baseline else (True,):
            url = copies.clone(f"clients_{int(locking)}")
            try:
                results.append(run_clients(url, args.clients, args.seconds, args.seed, args.edit_share, copies.name,
                                           locking))
            finally:
                copies.drop(url)
        report(results)
        if len(results) == 2:
            print(f"ops/s with locking / without: {results[0]['ops_per_s'] / results[1]['ops_per_s']:.2f}")
    finally:
        copies.close()


if __name__ == "__main__":
    main()
