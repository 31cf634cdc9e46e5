"""Offline review packets: a reviewer's assigned proposals, their calls' rubrics and the reviewer's own
reviews in one file (format: packet_desk's docstring), scored on a laptop with `PacketDesk` and brought
back with `import_packet`.

Trust lies with the portfolio, not the file: on export the portfolio records the packet (a random id,
the reviewer, who issued it and when) with the SHA-256 digest of the issued part; on import the file's
issued part must hash to that recorded digest, so any change to the reviewer, the proposals or the
rubrics is refused. No signing key is needed, so none is kept in a database that analysts copy.

An import is all or nothing, in one transaction, and reports every problem at once: a proposal no
longer assigned, scores that break the call's rubric as it is now, a review submitted in the portfolio
that the packet's differs from (a submitted review is locked: the packet may only add revisions on top
of it, each with its reason), a review changed both in the portfolio and in the packet since they last
agreed. What they last agreed on is kept with the packet's record (at issue, then at each import), so
the comparison is three-way and needs no clocks: a review the reviewer did not touch offline never
overwrites newer work in the portfolio, and importing the same file again changes no review.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.base import utcnow
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal
from genesis_desktop.portfolio.reviews import (Review, ReviewAssignment, Reviewer, ReviewPacket, ReviewState,
                                               ReviewVersion)

from .packet_desk import (FORMAT, SUFFIX, VERSION, PacketDesk, PacketError, digest_of, iso, read_packet, same_digest,
                          when, write_packet)
from .rubric import DEFAULT_RUBRIC, Rubric, RubricError

__all__ = ["FORMAT", "SUFFIX", "VERSION", "ImportReport", "PacketDesk", "PacketError", "PacketInfo",
           "export_packet", "import_packet", "read_packet", "verify_packet"]


@dataclass(frozen=True)
class PacketInfo:
    packet: str
    reviewer: str
    path: Path
    proposals: int
    reviews: int
    issued_at: datetime
    digest: str


@dataclass(frozen=True)
class ImportReport:
    packet: str
    reviewer: str
    path: Path
    created: tuple[str, ...]  # proposal codes
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]  # untouched in the packet while the portfolio's changed: the portfolio's is kept
    versions_added: int
    checked_only: bool  # verify_packet: nothing was written


def export_packet(store, email: str, path: str | os.PathLike, by: str) -> PacketInfo:
    """Write the reviewer's packet to `path` (atomically) and record it as issued by `by`."""
    path, by = Path(path), (by or "").strip()
    if not by:
        raise PacketError("by: say who issues the packet (a name or an e-mail); it is kept with the packet")
    written = False
    try:
        with store.session() as s, s.begin():
            reviewer = s.scalar(select(Reviewer).where(func.lower(Reviewer.email) == email.strip().lower()))
            if reviewer is None:
                raise PacketError(f"reviewer: no reviewer with the e-mail {email!r} in this portfolio")
            rows = s.execute(select(Proposal, Call.number, Call.rubric)
                             .join(ReviewAssignment, ReviewAssignment.proposal_id == Proposal.id)
                             .join(Call, Call.id == Proposal.call_id)
                             .where(ReviewAssignment.reviewer_id == reviewer.id)
                             .order_by(ReviewAssignment.position, Proposal.code)).all()
            if not rows:
                raise PacketError(f"{reviewer.email} has no proposals assigned: there is nothing to put in a packet")
            rubrics = {number: _rubric(number, stored).to_json() for _p, number, stored in rows}
            reviews = {p.code: _entry(s, review) for p, _n, _r in rows
                       if (review := _own(s, p.id, reviewer.id)) is not None}
            now = utcnow()
            issued = {"packet": str(uuid.uuid4()), "reviewer": {"email": reviewer.email, "name": reviewer.name},
                      "issued_at": iso(now), "issued_by": by, "rubrics": rubrics,
                      "proposals": [{"code": p.code, "title": p.title, "abstract": p.abstract or "",
                                     "keywords": list(p.keywords or ()), "phase": p.phase, "call": number,
                                     "position": i + 1} for i, (p, number, _r) in enumerate(rows)]}
            digest = digest_of(issued)
            s.add(ReviewPacket(id=issued["packet"], reviewer_id=reviewer.id, issued_at=now, issued_by=by,
                               digest=digest, synced=reviews))
            s.flush()
            write_packet(path, {"format": FORMAT, "version": VERSION, "issued": issued, "digest": digest,
                                "reviews": reviews})
            written = True
    except BaseException:
        if written:  # the record did not commit: a file naming an unknown packet would only mislead
            path.unlink(missing_ok=True)
        raise
    return PacketInfo(issued["packet"], reviewer.email, path, len(rows), len(reviews), now, digest)


def import_packet(store, path: str | os.PathLike, by: str, *, reviewer: str | None = None) -> ImportReport:
    """Bring the packet's reviews into the portfolio, all or nothing. `reviewer`: refuse a packet that
    was issued to anyone else."""
    return _import(store, Path(path), by, reviewer, check_only=False)


def verify_packet(store, path: str | os.PathLike, *, reviewer: str | None = None) -> ImportReport:
    """Every check of `import_packet`, and what it would do, without writing anything."""
    return _import(store, Path(path), "verify", reviewer, check_only=True)


def _import(store, path: Path, by: str, expected: str | None, check_only: bool) -> ImportReport:
    by = (by or "").strip()
    if not by:
        raise PacketError("by: say who imports the packet (a name or an e-mail); it is kept with the packet")
    data = read_packet(path)
    with store.session() as s:
        tx = s.begin()
        try:
            report = _apply(s, path, data, by, expected, check_only)
        except BaseException:
            tx.rollback()
            raise
        if check_only:
            tx.rollback()
        else:
            tx.commit()
    return report


def _apply(s: Session, path: Path, data: Mapping[str, Any], by: str, expected: str | None,
           check_only: bool) -> ImportReport:
    issued, reviews = data["issued"], data["reviews"]
    record = s.get(ReviewPacket, issued["packet"])
    if record is None:
        raise PacketError(f"{path}: packet {issued['packet']!r} was not issued by this portfolio (no record of "
                          "it); import it into the portfolio that exported it")
    if not (same_digest(digest_of(issued), record.digest) and same_digest(data["digest"], record.digest)):
        raise PacketError(f"{path}: the packet was altered after it was issued: its reviewer, proposals, rubrics or "
                          "digest differ from what was exported; nothing was imported (export a new packet)")
    owner = s.get(Reviewer, record.reviewer_id)
    if expected is not None and owner.email.lower() != expected.strip().lower():
        raise PacketError(f"{path}: the packet was issued to {owner.email}, not to {expected}")
    assigned = dict(s.execute(select(Proposal.code, Proposal.id)
                              .join(ReviewAssignment, ReviewAssignment.proposal_id == Proposal.id)
                              .where(ReviewAssignment.reviewer_id == owner.id)).all())
    order = {p["code"]: p["position"] for p in issued["proposals"]}
    synced = dict(record.synced or {})
    problems, plan = [], []
    for code in sorted(reviews, key=lambda c: (order[c], c)):
        new = reviews[code]
        if code not in assigned:
            problems.append(f"proposal {code}: no longer assigned to {owner.email}; its review cannot be imported")
            continue
        found = _rubric_of(s, assigned[code]).problems(new["scores"], complete=new["state"] == "submitted")
        if found:
            problems += [f"proposal {code}, scores.{p} (rule: the call's rubric, {new['state']} review)" for p in found]
            continue
        review = _own(s, assigned[code], owner.id)
        old = None if review is None else _entry(s, review)
        verdict = _verdict(code, synced.get(code), old, new)
        if verdict not in ("create", "update", "unchanged", "stale"):
            problems.append(verdict)
        else:
            plan.append((code, verdict, review, new, 0 if old is None else len(old["versions"])))
    if problems:
        raise PacketError(f"{path}: the packet cannot be imported ({len(problems)} problem"
                          f"{'s' if len(problems) != 1 else ''}); nothing was imported:\n  " + "\n  ".join(problems))
    now, added = utcnow(), 0
    done: dict[str, list[str]] = {"create": [], "update": [], "unchanged": [], "stale": []}
    for code, verdict, review, new, kept in plan:
        done[verdict].append(code)
        if verdict == "stale":  # untouched in the packet while the portfolio's changed: the portfolio's stays
            continue
        synced[code] = new
        if verdict == "unchanged":
            continue
        if review is None:
            review = Review(proposal_id=assigned[code], reviewer_id=owner.id)
            s.add(review)
        review.state, review.scores, review.comments = ReviewState(new["state"]), dict(new["scores"]), new["comments"]
        review.submitted_at, review.updated_at = when(new["submitted_at"]), now
        s.flush()
        for v in new["versions"][kept:]:
            s.add(ReviewVersion(review_id=review.id, version=v["version"], scores=dict(v["scores"]),
                                comments=v["comments"], submitted_at=when(v["submitted_at"]),
                                replaced_at=when(v["replaced_at"]), replaced_by=v["replaced_by"], reason=v["reason"]))
            added += 1
    record.synced, record.imported_at, record.imported_by = synced, now, by
    s.flush()
    return ImportReport(record.id, owner.email, path, tuple(done["create"]), tuple(done["update"]),
                        tuple(done["unchanged"]), tuple(done["stale"]), added, check_only)


_VERSION_KEYS = ("version", "scores", "comments", "submitted_at", "replaced_at", "replaced_by", "reason")


def _key(entry: Mapping[str, Any] | None) -> tuple | None:
    """What a review says (not when it was last touched): state, scores, comments, submitted_at, versions."""
    if entry is None:
        return None
    return (entry["state"], entry["scores"], entry["comments"], entry["submitted_at"],
            [tuple(v[k] for k in _VERSION_KEYS) for v in entry["versions"]])


def _verdict(code: str, base: Mapping | None, old: Mapping | None, new: Mapping[str, Any]) -> str:
    """A three-way comparison of the packet's review (new) with the portfolio's (old) and the one both
    last agreed on (base): "create", "update", "unchanged", "stale", or else the problem in words."""
    b, o, n = _key(base), _key(old), _key(new)
    if n == o:
        return "unchanged"
    if n == b:
        return "stale"
    if old is not None and old["state"] == "submitted":
        kept = len(o[4])
        if not (n[4][:kept] == o[4] and len(n[4]) > kept and n[4][kept][1:4] == o[1:4]):
            return (f"proposal {code}: the review was submitted in the portfolio at {old['submitted_at']} and is "
                    f"locked; the packet's ({new['state']}, scores {new['scores']}) differs from it and is not a "
                    "revision of it with a reason")
        return "update"
    if o != b:
        now = "removed" if old is None else f"changed at {old['updated_at']}"
        return (f"proposal {code}: the review was {now} in the portfolio after the packet left, and the packet "
                "changed it too; neither is taken over the other (settle it in the portfolio, or export a new packet)")
    return "create" if old is None else "update"


def _own(s: Session, proposal_id: int, reviewer_id: int) -> Review | None:
    return s.scalar(select(Review).where(Review.proposal_id == proposal_id, Review.reviewer_id == reviewer_id))


def _entry(s: Session, review: Review) -> dict[str, Any]:
    """A review as the packet holds it."""
    versions = s.scalars(select(ReviewVersion).where(ReviewVersion.review_id == review.id)
                         .order_by(ReviewVersion.version)).all()
    return {"state": review.state.value, "scores": dict(review.scores or {}), "comments": review.comments or "",
            "updated_at": iso(review.updated_at), "submitted_at": iso(review.submitted_at),
            "versions": [{"version": v.version, "scores": dict(v.scores or {}), "comments": v.comments or "",
                          "submitted_at": iso(v.submitted_at), "replaced_at": iso(v.replaced_at),
                          "replaced_by": v.replaced_by, "reason": v.reason} for v in versions]}


def _rubric(call_number: str, stored: Mapping[str, Any] | None) -> Rubric:
    try:
        return DEFAULT_RUBRIC if stored is None else Rubric.from_json(stored)
    except RubricError as err:
        raise PacketError(f"call {call_number}, rubric: {err}") from None


def _rubric_of(s: Session, proposal_id: int) -> Rubric:
    number, stored = s.execute(select(Call.number, Call.rubric).join(Proposal, Proposal.call_id == Call.id)
                               .where(Proposal.id == proposal_id)).one()
    return _rubric(number, stored)
