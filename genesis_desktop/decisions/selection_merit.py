"""Merit of a call's proposals for a scenario (docs/decisions.md, "Merit"), in [0, 1] with 1 best.

From the call's latest completed calibration run, `(worst - calibrated_total) / (worst - best)` on the
rubric's scale; for a proposal that run did not score (none has run, or it came later), the mean of
its raw review totals the same way; a proposal without reviews has merit 0, and the notes say so.
The calibration inputs (reviews, scale, costs) are those of that run when there is one, so that the
robustness kernel refits exactly the model the merit came from; else the call's submitted reviews,
with the pool as the proposals that compete.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from sqlalchemy import select

from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import Review, Reviewer, ReviewState
from genesis_desktop.review.records import call_rubric
from genesis_desktop.review.standings import latest_result

# What the calibration kernel needs to fit its model; the rest of its parameters (titles, draws, ...)
# would only change the cache key of the fit.
CALIBRATION_FIT_KEYS = ("call", "currency", "budget", "costs", "fit_only", "scale", "reviews")
MERIT_RULE = "(worst - total) / (worst - best) on the rubric's scale, clipped to [0, 1]"


def scale_merit(total, scale: Mapping[str, Any]):
    """A review total (or an array of them) on `scale` ({low, high, best}) as merit in [0, 1], 1 best."""
    best, worst = (scale["low"], scale["high"]) if scale["best"] == "low" else (scale["high"], scale["low"])
    # A calibrated total can fall a little outside the scale; merit stays a share of the way to the best.
    return np.clip((worst - np.asarray(total, dtype=np.float64)) / (worst - best), 0.0, 1.0)


@dataclass
class Merit:
    merit: np.ndarray  # (n,) in [0, 1]
    source: list[str]  # per proposal: "calibration" | "reviews" | "none"
    notes: list[str]
    calibration_job: int | None  # the run the merit came from, if any
    calibration: dict[str, Any]  # the calibration inputs (CALIBRATION_FIT_KEYS) for the robustness kernel


def call_merit(store, call_number: str, codes: list[str]) -> Merit:
    """Merit of `codes` (proposals of the call) from its latest calibration run, else raw reviews."""
    engine = getattr(store, "engine", store)
    latest = latest_result(JobStore(engine), "calibration", call_number)
    scale, reviews, dropped = submitted_totals(store, call_number)
    notes: list[str] = [f"merit: {n}" for n in dropped]
    calibrated: dict[str, float] = {}
    job_id = None
    if latest is not None:
        record, result = latest
        job_id = record.id
        calibrated = {p["code"]: float(scale_merit(p["calibrated_total"], result["scale"]))
                      for p in result["proposals"] if p.get("reviews")}
        inputs = {k: record.spec.params[k] for k in CALIBRATION_FIT_KEYS if k in record.spec.params}
        notes.insert(0, f"merit: calibrated totals of calibration job {job_id}, {MERIT_RULE}")
    else:
        # The fit the calibration kernel would make of the same reviews; costs only say who competes.
        reviewed = sorted({code for code, _, _ in reviews})
        inputs = {"call": call_number, "currency": "USD", "budget": 0, "costs": {c: 0 for c in codes},
                  "fit_only": [c for c in reviewed if c not in set(codes)], "scale": scale, "reviews": reviews}
        notes.insert(0, f"merit: call {call_number} has no completed calibration run; the mean raw review total "
                        f"is used, {MERIT_RULE} (run `genesis review calibrate --call {call_number}` for "
                        "calibrated merit)")
    totals: dict[str, list[float]] = {}
    for code, _, total in reviews:
        totals.setdefault(code, []).append(float(total))
    merit, source, raw_only, unreviewed = np.zeros(len(codes)), [], [], []
    for i, code in enumerate(codes):
        if code in calibrated:
            merit[i] = calibrated[code]
            source.append("calibration")
        elif code in totals:
            merit[i] = float(scale_merit(np.mean(totals[code]), scale))
            source.append("reviews")
            raw_only.append(code)
        else:
            source.append("none")
            unreviewed.append(code)
    if raw_only and latest is not None:
        notes.append(f"merit: {len(raw_only)} proposals were not scored by calibration job {job_id} (reviewed "
                     f"since?); their mean raw review total is used: {_some(raw_only)}")
    if unreviewed:
        notes.append(f"merit: {len(unreviewed)} proposals have no submitted review, so merit 0: {_some(unreviewed)}")
    return Merit(merit, source, notes, job_id, inputs)


def submitted_totals(store, call_number: str) -> tuple[dict[str, Any], list[list], list[str]]:
    """(scale, [[code, email, total]], notes on reviews left out): the call's submitted reviews as the
    calibration kernel takes them, totals on the call's rubric (review.job_inputs reads them the same
    way; its costs, which need exchange rates, are not wanted here)."""
    rubric = call_rubric(store, call_number)
    anchor = next(c for c in rubric.criteria if c.counts)
    with store.session() as s:
        rows = s.execute(select(Proposal.code, Reviewer.email, Review.scores)
                         .join(Proposal, Proposal.id == Review.proposal_id)
                         .join(Reviewer, Reviewer.id == Review.reviewer_id).join(Call, Call.id == Proposal.call_id)
                         .where(Call.number == call_number, Review.state == ReviewState.SUBMITTED)
                         .order_by(Proposal.code, Reviewer.email)).all()
    reviews, dropped = [], []
    for code, email, scores in rows:
        problems = rubric.problems(scores or {}, complete=True)
        if problems:
            dropped.append(f"the review of {code} by {email} is left out: {'; '.join(problems)}")
        else:
            reviews.append([code, email, rubric.total(scores)])
    return {"low": anchor.low, "high": anchor.high, "best": anchor.best}, reviews, dropped


def _some(codes: list[str], most: int = 10) -> str:
    return ", ".join(codes[:most]) + (f" and {len(codes) - most} more" if len(codes) > most else "")
