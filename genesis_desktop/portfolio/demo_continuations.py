"""Phase II proposals of the demo that continue a Phase I proposal (Proposal.continues_id).

About half of the Phase II proposals continue an earlier Phase I proposal of the same call led by the
same institution or, where there is none, one led by an institution on the Phase II team ("earlier":
submitted on an earlier day). Only proposals of the same block with a smaller id are candidates and
the random numbers come from a stream of their own, a full BLOCK of them per block: so a proposal's
link is the same whatever the number of proposals asked for, and every other value of the demo is
exactly what it was before the links existed.
"""
from __future__ import annotations

from bisect import bisect_left, insort

import numpy as np
from sqlalchemy import Connection, bindparam, update

from .demo_synth import rng_for
from .proposals import Proposal

STREAM_CONTINUATIONS = 8
LINK_SHARE = 0.5  # of the Phase II proposals that have a Phase I to continue

_proposal = Proposal.__table__


def continuations(proposals: dict, team: dict, phase_i: str, seed: int, block: int,
                  block_size: int) -> list[tuple[int, int]]:
    """(Phase II id, Phase I id) pairs for one block's proposal and proposal_institution columns."""
    draws = rng_for(seed, STREAM_CONTINUATIONS, block).random((block_size, 2)).tolist()
    ids = np.asarray(proposals["id"]).tolist()
    calls = np.asarray(proposals["call_id"]).tolist()
    leads = np.asarray(proposals["lead_institution_id"]).tolist()
    days = np.asarray(proposals["submitted_on"], dtype="datetime64[D]").astype(np.int64).tolist()
    members: dict[int, list[int]] = {}
    for pid, inst in zip(np.asarray(team["proposal_id"]).tolist(), np.asarray(team["institution_id"]).tolist()):
        members.setdefault(pid, []).append(inst)
    # (call, lead institution) -> the Phase I proposals seen so far, as sorted (day, id) pairs
    earlier: dict[tuple[int, int], list[tuple[int, int]]] = {}
    links = []
    for i, (pid, call, lead, day, phase) in enumerate(zip(ids, calls, leads, days, proposals["phase"])):
        if phase == phase_i:
            insort(earlier.setdefault((call, lead), []), (day, pid))
            continue
        if draws[i][0] >= LINK_SHARE:
            continue
        same = earlier.get((call, lead), [])
        count = bisect_left(same, (day, -1))  # those submitted before this day (only counted: 1M proposals)
        if count:
            links.append((pid, same[int(draws[i][1] * count)][1]))
            continue
        candidates: list[int] = []
        for inst in members.get(pid, []):
            seen = earlier.get((call, inst), [])
            candidates += [c for _, c in seen[:bisect_left(seen, (day, -1))] if c not in candidates]
        if candidates:
            links.append((pid, candidates[int(draws[i][1] * len(candidates))]))
    return links


def link_continuations(conn: Connection, tables: dict, phase_i: str, seed: int, block: int, block_size: int) -> int:
    """Write one block's links (after its proposals are inserted); returns how many."""
    links = continuations(tables["proposal"], tables["proposal_institution"], phase_i, seed, block, block_size)
    if links:
        conn.execute(update(_proposal).where(_proposal.c.id == bindparam("pid"))
                     .values(continues_id=bindparam("cid")), [{"pid": p, "cid": c} for p, c in links])
    return len(links)
