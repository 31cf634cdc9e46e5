"""The programme's facts (resources/demo/*.json) written as records: institutions, challenges, the call
and its phases, partners, their commitments and the dated exchange rates.

The files are data so that a correction to a fact is an edit of a JSON file, not of code; they are
read with importlib.resources so that an installed program finds them inside its wheel.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib.resources import files
from typing import Any

from sqlalchemy.orm import Session

from .fiscal import calendar_for, parse_fiscal_year
from .institutions import Institution, InstitutionKind
from .money import parse_amount
from .partners import Commitment, CommitmentState, CommitmentYear, ExchangeRate, Partner, PartnerKind
from .programme import Call, CallPhase, Challenge, Programme


def load(name: str) -> Any:
    """One demo file, parsed: `load("call")` reads resources/demo/call.json."""
    return json.loads((files("genesis_desktop.resources") / "demo" / f"{name}.json").read_text("utf-8"))


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass
class Facts:
    """What the synthetic part needs to know about the records written here (ids by natural key)."""

    institution_ids: dict[str, int] = field(default_factory=dict)
    institution_kinds: dict[str, str] = field(default_factory=dict)
    institution_countries: dict[str, str] = field(default_factory=dict)
    challenge_ids: dict[str, int] = field(default_factory=dict)
    challenge_areas: dict[str, str] = field(default_factory=dict)
    challenge_titles: dict[str, str] = field(default_factory=dict)
    challenge_official: dict[str, bool] = field(default_factory=dict)
    call_id: int = 0
    call: dict[str, Any] = field(default_factory=dict)
    partner_codes: list[str] = field(default_factory=list)


def add_facts(session: Session, programme: Programme) -> Facts:
    facts = Facts()
    institutions = _institutions(session, facts)
    _challenges(session, programme, institutions, facts)
    _call(session, programme, facts)
    _partners(session, institutions, facts)
    _rates(session)
    session.flush()
    facts.institution_ids = {code: inst.id for code, inst in institutions.items()}
    return facts


def _institutions(session: Session, facts: Facts) -> dict[str, Institution]:
    rows = [dict(lab, kind="national_lab", country="US") for lab in load("laboratories")]
    rows += load("institutions")["institutions"]
    rows += [dict(c, kind="company") for c in load("companies")["companies"]]
    made = {}
    for r in rows:
        made[r["code"]] = Institution(code=r["code"], name=r["name"], kind=InstitutionKind(r["kind"]),
                                      country=r["country"], city=r.get("city", ""))
        facts.institution_kinds[r["code"]] = r["kind"]
        facts.institution_countries[r["code"]] = r["country"]
    session.add_all(made.values())
    return made


def _challenges(session: Session, programme: Programme, institutions: dict[str, Institution], facts: Facts) -> None:
    made = []
    for c in load("challenges")["challenges"]:
        made.append(Challenge(
            programme=programme, code=c["code"], title=c["title"], area=c["area"],
            lead_institution=institutions[c["lead_institution"]], description=c["description"],
            target_outcomes=c["target_outcomes"], official=c["official"], source=c["source"],
        ))
        facts.challenge_areas[c["code"]] = c["area"]
        facts.challenge_titles[c["code"]] = c["title"]
        facts.challenge_official[c["code"]] = c["official"]
    session.add_all(made)
    session.flush()
    facts.challenge_ids = {c.code: c.id for c in made}


def _call(session: Session, programme: Programme, facts: Facts) -> None:
    spec = load("call")
    ccy = spec["currency"]
    call = Call(
        programme=programme, number=spec["number"], title=spec["title"], currency=ccy,
        total_budget_minor=parse_amount(spec["total_budget"], ccy), opens_on=day(spec["opens_on"]),
        closes_on=day(spec["closes_on"]), topic_areas=spec["topic_areas"], description=spec["description"],
    )
    for p in spec["phases"]:
        call.phases.append(CallPhase(
            phase=p["phase"], award_floor_minor=parse_amount(p["award_floor"], ccy),
            award_ceiling_minor=parse_amount(p["award_ceiling"], ccy), ceiling_per_year=p["ceiling_per_year"],
            duration_months=p["duration_months"], deadline=day(p["deadline"]),
            budget_period_start=day(p["budget_period_start"]), budget_period_end=day(p["budget_period_end"]),
        ))
    session.add(call)
    session.flush()
    facts.call_id = call.id
    facts.call = spec


def _partners(session: Session, institutions: dict[str, Institution], facts: Facts) -> None:
    rows = load("partners")["partners"]
    companies = load("companies")
    rows += [dict(code=c["code"], name=c["name"], kind="company", country=c["country"],
                  fiscal_calendar=calendar_for(c["country"]).code, institution=c["code"],
                  agreement=companies["agreement"]) for c in companies["companies"]]
    session.flush()  # Partner has no relationship to Institution, only the id
    partners = {
        r["code"]: Partner(
            code=r["code"], name=r["name"], kind=PartnerKind(r["kind"]), country=r["country"],
            fiscal_calendar=r["fiscal_calendar"], agreement=r["agreement"],
            institution_id=institutions[r["institution"]].id if r["institution"] else None,
        )
        for r in rows
    }
    session.add_all(partners.values())
    facts.partner_codes = list(partners)
    for c in load("commitments")["commitments"]:
        ccy = c["currency"]
        commitment = Commitment(
            code=c["code"], partner=partners[c["partner"]], title=c["title"], currency=ccy,
            state=CommitmentState(c["state"]), funds=c["funds"], pledged_on=day(c["pledged_on"]),
            obligated_on=day(c["obligated_on"]), disbursed_on=day(c["disbursed_on"]), note="illustrative split",
        )
        for fy, (pledged, obligated, disbursed) in c["years"].items():
            commitment.years.append(CommitmentYear(
                fiscal_year=parse_fiscal_year(fy), pledged_minor=parse_amount(pledged, ccy),
                obligated_minor=parse_amount(obligated, ccy), disbursed_minor=parse_amount(disbursed, ccy),
            ))
        session.add(commitment)


def _rates(session: Session) -> None:
    session.add_all(
        ExchangeRate(base=r["base"], quote=r["quote"], on=day(r["on"]), rate=Decimal(r["rate"]), source=r["source"])
        for r in load("rates")["rates"]
    )
