"""Portfolio fixtures: a store with the programme row, and a small realistic portfolio built with the ORM
(independently of the import code, so that round trips test export against what other code writes)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from genesis_desktop.portfolio.schema import (
    Call, CallPhase, Challenge, ChallengeStatus, Commitment, CommitmentState, CommitmentYear, ExchangeRate,
    Institution, InstitutionKind, Partner, PartnerKind, Programme, Proposal, ProposalBudget, ProposalChallenge,
    ProposalInstitution, ProposalStatus, ProposalStatusChange, Review, Reviewer, ReviewState, metadata,
)
from genesis_desktop.portfolio.store import open_store


def add_programme(store) -> None:
    with store.session() as s, s.begin():
        s.add(Programme(code="GENESIS", name="The Genesis Mission"))


@pytest.fixture(scope="session")
def templates(template_database) -> dict[str, str]:
    """URLs of portfolios built once per session (migrations take a while); tests work on copies."""
    return {"programme": template_database("programme", add_programme),
            "portfolio": template_database("portfolio", build_portfolio)}


@pytest.fixture
def copy_of(copy_database):
    """copy_of(template_url, name): an open store on this test's own copy of a template."""
    opened = []

    def copy(template_url: str, name: str):
        opened.append(open_store(copy_database(template_url, name)))
        return opened[-1]

    yield copy
    for store in opened:
        store.close()


@pytest.fixture
def programme_store(templates, copy_of):
    """An empty portfolio as `genesis init` leaves it: the one programme row."""
    return copy_of(templates["programme"], "programme")


@pytest.fixture
def fresh_store(templates, copy_of):
    """A second, empty portfolio (with its programme) to import into."""
    return copy_of(templates["programme"], "fresh")


def build_portfolio(store) -> None:
    usd = lambda major: int(Decimal(major) * 100)  # noqa: E731
    with store.session() as s, s.begin():
        prog = Programme(code="GENESIS", name="The Genesis Mission")
        s.add(prog)
        inst = {}
        for code, name, kind, country, city in [
            ("ORNL", "Oak Ridge National Laboratory", InstitutionKind.NATIONAL_LAB, "US", "Oak Ridge"),
            ("ANL", "Argonne National Laboratory", InstitutionKind.NATIONAL_LAB, "US", "Lemont"),
            ("MIT", "Massachusetts Institute of Technology", InstitutionKind.UNIVERSITY, "US", "Cambridge, MA"),
            ("RIKEN", "理化学研究所 (RIKEN)", InstitutionKind.FOREIGN_INSTITUTE, "JP", "Wako"),
            ("UTOKYO", "University of Tokyo", InstitutionKind.UNIVERSITY, "JP", "Tokyo"),
            ("NVDA", "NVIDIA Corporation", InstitutionKind.COMPANY, "US", "Santa Clara"),
            ("007", "Double-O Seven \"Labs\"", InstitutionKind.NONPROFIT, "GB", ""),
        ]:
            inst[code] = Institution(code=code, name=name, kind=kind, country=country, city=city)
        s.add_all(inst.values())
        ch = {}
        for code, title, area, lead, status, official, desc in [
            ("GC-01", "Scaling the Grid to Power the American Economy", "grid", "ORNL", ChallengeStatus.ACTIVE, True, ""),
            ("GC-02", "Harnessing America's Historic Nuclear Data", "nuclear", "ANL", ChallengeStatus.ACTIVE, True,
             "Nuclear data; evaluated, \"curated\"\nand shared"),
            ("GC-03", "Discovering Quantum Algorithms with AI", "quantum", None, ChallengeStatus.ACTIVE, True, ""),
            ("GC-07", "Autonomous laboratories (illustrative)", "autonomous labs", "ORNL", ChallengeStatus.PROPOSED,
             False, "=SUM(A1) is text, not a formula"),
        ]:
            ch[code] = Challenge(programme=prog, code=code, title=title, area=area, status=status, official=official,
                                 lead_institution=inst[lead] if lead else None, description=desc,
                                 source="Reported 12 Feb 2026" if official else "")
        s.add_all(ch.values())
        call = Call(programme=prog, number="DE-FOA-0003612",
                    title="The Genesis Mission: Transforming Science and Energy with AI", currency="USD",
                    total_budget_minor=usd("293760000.00"), opens_on=date(2026, 3, 17), closes_on=date(2026, 5, 19),
                    topic_areas=["advanced manufacturing", "quantum information science", "energy"], description="")
        call.phases = [
            CallPhase(phase="I", award_floor_minor=usd("500000"), award_ceiling_minor=usd("750000"),
                      ceiling_per_year=False, duration_months=9, deadline=date(2026, 4, 28),
                      budget_period_start=date(2026, 7, 1), budget_period_end=date(2027, 3, 31)),
            CallPhase(phase="II", award_floor_minor=usd("1500000"), award_ceiling_minor=usd("3750000.50"),
                      ceiling_per_year=True, duration_months=36, deadline=date(2026, 5, 19)),
        ]
        s.add(call)
        partners = {
            "JP": Partner(code="JP", name="Government of Japan", kind=PartnerKind.COUNTRY, country="JP",
                          fiscal_calendar="JP", agreement="Joint statement 2026-06-04"),
            "MEXT": Partner(code="MEXT", name="Ministry of Education, Culture, Sports, Science and Technology",
                            kind=PartnerKind.AGENCY, country="JP", fiscal_calendar="JP"),
            "NVIDIA": Partner(code="NVIDIA", name="NVIDIA", kind=PartnerKind.COMPANY, country="US",
                              fiscal_calendar="US", agreement="MOU 2025-12-18"),
        }
        s.add_all(partners.values())
        s.flush()
        partners["NVIDIA"].institution_id = inst["NVDA"].id
        s.add_all([
            ExchangeRate(base="USD", quote="JPY", on=date(2026, 6, 4), rate=Decimal("149.35"), source="FRB H.10"),
            ExchangeRate(base="EUR", quote="USD", on=date(2026, 6, 4), rate=Decimal("1.0825"), source="ECB"),
        ])
        jp = Commitment(code="JP-2026-Q", partner=partners["JP"], title="Quantum, fusion and biotechnology",
                        currency="JPY", state=CommitmentState.OBLIGATED, funds=["quantum", "fusion", "GC-03"],
                        pledged_on=date(2026, 6, 4), obligated_on=date(2026, 7, 1), note="JP fiscal years (April-March)")
        jp.years = [CommitmentYear(fiscal_year=2026, pledged_minor=15_000_000_000, obligated_minor=5_000_000_000),
                    CommitmentYear(fiscal_year=2027, pledged_minor=15_000_000_000)]
        nv = Commitment(code="NV-2025-1", partner=partners["NVIDIA"], title="GPU time", currency="USD",
                        state=CommitmentState.DISBURSED, funds=[], pledged_on=date(2025, 12, 18),
                        obligated_on=date(2026, 1, 5), disbursed_on=date(2026, 2, 1))
        nv.years = [CommitmentYear(fiscal_year=2026, pledged_minor=usd("1000000.25"), obligated_minor=usd("1000000.25"),
                                   disbursed_minor=usd("400000"))]
        s.add_all([jp, nv])
        s.flush()

        def proposal(code, phase, lead, team, topics, budget, status, history, **kw):
            p = Proposal(code=code, call_id=call.id, phase=phase, lead_institution_id=inst[lead].id, currency="USD",
                         status=status, **kw)
            p.team = [ProposalInstitution(institution_id=inst[t].id) for t in team]
            p.challenges = [ProposalChallenge(challenge_id=ch[c].id, is_primary=i == 0) for i, c in enumerate(topics)]
            p.budget = [ProposalBudget(fiscal_year=fy, amount_minor=usd(a)) for fy, a in budget]
            p.history = [ProposalStatusChange(status=st, changed_at=at, changed_by=by) for st, at, by in history]
            s.add(p)
            return p

        p1 = proposal("P-0001", "I", "ORNL", ["MIT", "ANL"], ["GC-02", "GC-01"], [(2026, "300000"), (2027, "400000.50")],
                      ProposalStatus.UNDER_REVIEW,
                      [(ProposalStatus.SUBMITTED, datetime(2026, 4, 20, 9, 30), "portal"),
                       (ProposalStatus.UNDER_REVIEW, datetime(2026, 5, 2), "officer@energy.gov")],
                      title="Grid forecasting with foundation models", abstract="Forecasts; \"nowcasts\", and more",
                      keywords=["grid", "forecasting"], principal_investigator="Ada Park", pi_email="ada@ornl.gov",
                      requested_gpu_hours=50000, submitted_on=date(2026, 4, 20))
        proposal("P-0002", "II", "RIKEN", ["UTOKYO", "ORNL"], ["GC-03"],
                 [(2027, "2000000"), (2028, "2500000"), (2029, "3000000")], ProposalStatus.SUBMITTED,
                 [(ProposalStatus.SUBMITTED, datetime(2026, 5, 19), "portal")],
                 title="Quantum algorithm discovery", principal_investigator="Kenji Sato", keywords=[],
                 submitted_on=date(2026, 5, 19))
        proposal("007-A", "I", "007", ["MIT"], ["GC-07"], [(2026, "750000")], ProposalStatus.AWARDED,
                 [(ProposalStatus.AWARDED, datetime(2026, 8, 1), "board")],
                 title="Self-driving lab", principal_investigator="M. Moneypenny", keywords=["robots"])
        rv = [Reviewer(email="grace@anl.gov", name="Grace Hopper", institution_id=inst["ANL"].id,
                       expertise=["HPC", "compilers"], partner_ties=[]),
              Reviewer(email="ken@u-tokyo.ac.jp", name="Ken Tanaka", institution_id=None, expertise=["quantum"],
                       partner_ties=["JP", "MEXT"])]
        s.add_all(rv)
        s.flush()
        s.add_all([
            Review(proposal_id=p1.id, reviewer_id=rv[0].id, scores={"merit": 2, "impact": 3}, comments="Strong, clear.",
                   state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 10, 13, 45)),
            Review(proposal_id=p1.id, reviewer_id=rv[1].id, scores={"merit": 4}, comments="",
                   state=ReviewState.DRAFT),
        ])


@pytest.fixture
def portfolio(templates, copy_of):
    """The small realistic portfolio (see build_portfolio), on a copy of its own."""
    return copy_of(templates["portfolio"], "realistic")


def counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def dump(store, versions: bool = True) -> dict[str, list]:
    """Every row of every table, to prove a failed import changed nothing; without the records'
    versions, to prove an undo put back every value (a version only grows)."""
    with store.engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(
                    select(*(c for c in t.c if versions or c.name != "version")).order_by(*t.primary_key.columns))]
                for t in metadata.sorted_tables}


@pytest.fixture
def snapshot():
    """dump(store): every row of every table (a function, since test modules cannot import conftest)."""
    return dump


@pytest.fixture
def portfolio_files(portfolio, tmp_path):
    """The realistic portfolio as a folder of CSV files, one per kind."""
    from genesis_desktop.portfolio.io import KINDS, export_file

    out = tmp_path / "files"
    out.mkdir()
    for kind in KINDS:
        export_file(portfolio, kind, out / f"{kind}.csv")
    return out


@pytest.fixture
def office(templates, pg_url, pg_logins):
    """The realistic portfolio on this test's PostgreSQL database, shared by four people who each sign in
    as their own login role (pg_logins): grace and ken (reviewers; grace has P-0001 and P-0002, ken only
    P-0001; grace's review of P-0001 is submitted, ken's a draft), an officer and an analyst. A namespace
    of admin (the superuser's URL), url[who], login[who] (role name, password), proposal[code] (ids)
    and reviewer[email] (ids)."""
    from types import SimpleNamespace

    from sqlalchemy.engine import make_url

    from genesis_desktop.compute.tables import metadata as job_metadata
    from genesis_desktop.portfolio.db_copy import copy_portfolio
    from genesis_desktop.portfolio.reviews import ReviewAssignment

    copy_portfolio(templates["portfolio"], pg_url, job_metadata.sorted_tables)
    store = open_store(pg_url)
    try:
        with store.engine.begin() as conn:
            proposal = {code: pid for pid, code in conn.execute(select(Proposal.id, Proposal.code))}
            reviewer = {email: rid for rid, email in conn.execute(select(Reviewer.id, Reviewer.email))}
            for email, code in (("grace@anl.gov", "P-0001"), ("grace@anl.gov", "P-0002"),
                                ("ken@u-tokyo.ac.jp", "P-0001")):
                conn.execute(ReviewAssignment.__table__.insert().values(
                    proposal_id=proposal[code], reviewer_id=reviewer[email], position=0, assigned_by="test"))
    finally:
        store.close()
    url = {"grace": pg_logins(pg_url, "grace", "reviewer", "grace@anl.gov"),
           "ken": pg_logins(pg_url, "ken", "reviewer", "ken@u-tokyo.ac.jp"),
           "officer": pg_logins(pg_url, "officer", "officer"), "analyst": pg_logins(pg_url, "analyst", "analyst")}
    login = {who: (make_url(u).username, make_url(u).password) for who, u in url.items()}
    return SimpleNamespace(admin=pg_url, url=url, login=login, proposal=proposal, reviewer=reviewer)
