"""The demo's reviewers and a few of their reviews.

Scores follow the calibration model the review package assumes (FACTS.md): a proposal's quality
plus the reviewer's own offset plus noise, on whole numbers from 1 (exceptional) to 9 (poor).
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from .demo_facts import Facts
from .demo_synth import (AW, PATH_LEN, PATH_STATUS, REC, STREAM_ASSIGNMENTS, STREAM_REVIEWERS, STREAM_REVIEWS, UR, Pools,
                         rng_for)
from .reviews import Review, ReviewAssignment, Reviewer, ReviewState

CRITERIA = ("merit", "relevance", "team", "feasibility", "ai_platform", "budget")
REVIEWERS = 60
REVIEWED_PROPOSALS = 1000
REVIEWS_EACH = 3
HOME_KINDS = ("national_lab", "university", "foreign_institute")


def add_reviewers(session: Session, pools: Pools, facts: Facts, seed: int) -> list[Reviewer]:
    rng = rng_for(seed, STREAM_REVIEWERS)
    v = pools.vocab
    fn, ln = v["first_names"], v["last_names"]
    homes = [c for c, k in facts.institution_kinds.items() if k in HOME_KINDS]
    companies = [c for c, k in facts.institution_kinds.items() if k == "company"]
    names = rng.choice(len(fn) * len(ln), REVIEWERS, replace=False)
    home = rng.integers(0, len(homes), REVIEWERS)
    areas = rng.integers(0, len(pools.areas), (REVIEWERS, 2))
    words = rng.integers(0, pools.per_area, (REVIEWERS, 3))
    tied = rng.random(REVIEWERS) < 0.2
    company = rng.integers(0, len(companies), REVIEWERS)
    made = []
    for i in range(REVIEWERS):
        first, last = fn[names[i] // len(ln)], ln[names[i] % len(ln)]
        code = homes[home[i]]
        a0, a1 = (int(a) * pools.per_area for a in areas[i])
        picks = [pools.area_keywords[a0 + words[i, 0]], pools.area_keywords[a0 + words[i, 1]],
                 pools.area_keywords[a1 + words[i, 2]]]
        ties = ["MEXT"] if facts.institution_countries[code] == "JP" else ([companies[company[i]]] if tied[i] else [])
        made.append(Reviewer(
            email=f"{first}.{last}@{code}.example.org".lower(), name=f"{first} {last}",
            institution_id=facts.institution_ids[code], expertise=list(dict.fromkeys(picks)), partner_ties=ties,
        ))
    session.add_all(made)
    session.flush()
    return made


def add_reviews(session: Session, extras: dict | None, reviewers: list[Reviewer], vocab: dict, seed: int) -> int:
    """Reviews of up to REVIEWED_PROPOSALS proposals of the first block that reached review, by
    reviewers from none of the proposal's institutions."""
    if extras is None or not reviewers:
        return 0
    rng = rng_for(seed, STREAM_REVIEWS)
    path = extras["path"]
    reached = np.flatnonzero(PATH_STATUS[path, 1] == UR)
    chosen = np.sort(rng.choice(reached, size=min(REVIEWED_PROPOSALS, reached.size), replace=False))
    offsets = rng.normal(0.0, 0.8, len(reviewers))
    homes = np.array([r.institution_id for r in reviewers])
    remarks = vocab["review_comments"]
    made = []
    for i in chosen.tolist():
        steps = PATH_STATUS[path[i], : PATH_LEN[path[i]]].tolist()
        final = steps[-1]
        quality = rng.normal(3.0 if REC in steps or final == AW else 5.0, 0.7)
        conflicts = {int(extras["lead"][i]), *extras["team"][i].tolist()}
        eligible = [r for r in rng.permutation(len(reviewers)).tolist() if int(homes[r]) not in conflicts]
        review_opens = extras["stamps"][i, 1].astype(object)
        for r in eligible[:REVIEWS_EACH]:
            noise = rng.normal(0.0, 1.0, len(CRITERIA))
            scores = {c: int(np.clip(np.rint(quality + offsets[r] + e), 1, 9)) for c, e in zip(CRITERIA, noise)}
            when = review_opens + timedelta(days=int(rng.integers(2, 18)), seconds=int(rng.integers(0, 36_000)))
            draft = final == UR and rng.random() < 0.5
            if draft:
                scores = dict(list(scores.items())[: int(rng.integers(1, len(CRITERIA)))])
                comments = ""
            else:
                comments = " ".join(remarks[k] for k in rng.choice(len(remarks), 2, replace=False).tolist())
            made.append(Review(
                proposal_id=int(extras["ids"][i]), reviewer_id=reviewers[r].id, scores=scores, comments=comments,
                state=ReviewState.DRAFT if draft else ReviewState.SUBMITTED, updated_at=when,
                submitted_at=None if draft else when,
            ))
    session.add_all(made)
    session.flush()
    _assign(session, made, seed)
    return len(made)


def _assign(session: Session, reviews: list[Review], seed: int) -> None:
    """Every demo review was assigned: one assignment per review, in a reading order drawn per
    reviewer (as the assignment's save does), on a stream of its own so nothing else moves."""
    rng = rng_for(seed, STREAM_ASSIGNMENTS)
    by_reviewer: dict[int, list[Review]] = {}
    for r in reviews:
        by_reviewer.setdefault(r.reviewer_id, []).append(r)
    # Assigned two days before the review was last touched: a fixed stamp keeps the demo byte-identical.
    session.add_all(ReviewAssignment(proposal_id=r.proposal_id, reviewer_id=reviewer, position=int(position),
                                     assigned_at=r.updated_at - timedelta(days=2), assigned_by="demo")
                    for reviewer, mine in sorted(by_reviewer.items())
                    for r, position in zip(mine, rng.permutation(len(mine))))
    session.flush()
