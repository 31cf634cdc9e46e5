"""Who a scenario's coverage rules and caps are about, and the Phase I -> Phase II rules, from the records.

Keys are matched without regard to case (challenge and institution codes, partner codes, area names),
and a key that names nothing is an error that says what exists, so that a typo never becomes a
rule that silently covers no one.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from genesis_desktop.portfolio.institutions import Institution, InstitutionKind
from genesis_desktop.portfolio.partners import Partner
from genesis_desktop.portfolio.programme import Challenge
from genesis_desktop.portfolio.proposals import Proposal, ProposalStatus

from .scenario_spec import ScenarioError, ScenarioSpec
from .selection import Cap, Coverage

FINAL_NO = (ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN)


def coverage_and_caps(s: Session, spec: ScenarioSpec, pool, topics, teams) -> tuple[list[Coverage], list[Cap]]:
    """The spec's coverage rules and caps over the pool (rows with .id and .lead, in problem order);
    topics are (proposal id, challenge code, area, primary) and teams (proposal id, institution code)."""
    where = {r.id: i for i, r in enumerate(pool)}
    n = len(pool)
    by_challenge: dict[str, set[int]] = {}
    by_area: dict[str, set[int]] = {}
    for pid, code, area, _ in topics:
        by_challenge.setdefault(code.lower(), set()).add(where[pid])
        by_area.setdefault(area.lower(), set()).add(where[pid])
    by_institution: dict[str, set[int]] = {}
    for i, r in enumerate(pool):
        by_institution.setdefault(r.lead.lower(), set()).add(i)
    for pid, code in teams:
        by_institution.setdefault(code.lower(), set()).add(where[pid])

    coverage = []
    if spec.coverage:
        challenges = {c.lower(): c for c in s.scalars(select(Challenge.code))}
        areas = {a.lower(): a for a in s.scalars(select(Challenge.area).distinct())}
    for k, rule in enumerate(spec.coverage):
        key = rule.key.lower()
        known, found = (challenges, by_challenge) if rule.kind == "challenge" else (areas, by_area)
        if key not in known:
            raise ScenarioError(f"coverage[{k}].key: {rule.key!r} is not a{'n' if rule.kind == 'area' else ''} "
                                f"{rule.kind} of the programme; known: {_some(sorted(known.values()))}")
        coverage.append(Coverage(f"{rule.kind} {known[key]}", _mask(found.get(key, ()), n), rule.min_count,
                                 rule.min_money))

    caps = []
    if spec.caps:
        institutions = {code.lower(): (code, kind) for code, kind in s.execute(select(Institution.code,
                                                                                      Institution.kind))}
        partners = {code.lower(): (code, inst) for code, inst in s.execute(
            select(Partner.code, Institution.code).outerjoin(Institution, Institution.id == Partner.institution_id))}
    for k, rule in enumerate(spec.caps):
        key = rule.key.lower()
        if rule.kind == "partner":
            if key not in partners:
                raise ScenarioError(f"caps[{k}].key: {rule.key!r} is not a partner; known: "
                                    f"{_some(sorted(c for c, _ in partners.values()))}")
            code, institution = partners[key]
            if institution is None:
                raise ScenarioError(f"caps[{k}].key: partner {code} is not an institution (partner.institution_id "
                                    "is empty), so it is on no proposal's team; set its institution or drop the cap")
            members = by_institution.get(institution.lower(), ())
        else:
            if key not in institutions:
                raise ScenarioError(f"caps[{k}].key: {rule.key!r} is not an institution code; known: "
                                    f"{_some(sorted(c for c, _ in institutions.values()))}")
            code, kind = institutions[key]
            if rule.kind == "lab" and kind is not InstitutionKind.NATIONAL_LAB:
                raise ScenarioError(f"caps[{k}].key: {code} is a {kind.value.replace('_', ' ')}, not a national lab; "
                                    "use kind institution for it")
            members = by_institution.get(key, ())
        caps.append(Cap(f"{rule.kind} {code}", _mask(members, n), rule.max_money, rule.max_count))
    return coverage, caps


def continuations(s: Session, pool, rows) -> tuple[list[tuple[int, int]], dict[int, str]]:
    """(requires pairs (i, j): i only with j, proposals forced out by rule {i: why}) for the pool's
    proposals that continue another (continues_id), whichever call that one is in."""
    where = {r.id: i for i, r in enumerate(pool)}
    known = {r.id: (r.code, r.status) for r in rows}
    wanted = {r.continues_id for r in pool if r.continues_id is not None} - set(known)
    if wanted:
        known.update({pid: (code, status) for pid, code, status in s.execute(
            select(Proposal.id, Proposal.code, Proposal.status).where(Proposal.id.in_(wanted)))})
    requires, forced = [], {}
    for i, r in enumerate(pool):
        if r.continues_id is None:
            continue
        code, status = known[r.continues_id]
        if r.continues_id in where:
            requires.append((i, where[r.continues_id]))
        elif status in FINAL_NO:
            forced[i] = f"its Phase I {code} was {status.value}"
        elif status is not ProposalStatus.AWARDED:
            forced[i] = (f"its Phase I {code} is {status.value}, outside this scenario's pool and not awarded; "
                         "put that status in the pool to fund both")
    return requires, forced


def _mask(indices, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[list(indices)] = True
    return mask


def _some(names: list[str], most: int = 12) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
