"""The demo portfolio: deterministic, faithful to FACTS.md, and inside every programme rule."""
from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from importlib.resources import files

import pytest
from sqlalchemy import DateTime, func, select
from sqlalchemy.dialects import sqlite as sqlite_dialect

from genesis_desktop.portfolio import demo, demo_bulk, demo_synth
from genesis_desktop.portfolio.demo import build_demo, ensure_programme
from genesis_desktop.portfolio.fiscal import JP, US
from genesis_desktop.portfolio.money import Money, Rate, RateBook
from genesis_desktop.portfolio.proposals import NEXT_STATUSES, ProposalStatus, ProposalStatusChange
from genesis_desktop.portfolio.schema import Programme, metadata
from genesis_desktop.portfolio.store import open_store, sqlite_path

LABS = ["Ames", "Argonne", "Brookhaven", "Fermi", "Idaho", "Lawrence Berkeley", "Lawrence Livermore", "Los Alamos",
        "National Energy Technology Laboratory", "National Renewable Energy Laboratory", "Oak Ridge",
        "Pacific Northwest", "Princeton Plasma Physics", "Sandia", "Savannah River", "SLAC", "Thomas Jefferson"]
MOU = ["Accenture", "AMD", "Anthropic", "Armada", "AWS", "Cerebras", "CoreWeave", "Dell", "DrivenData", "Google", "Groq",
       "HPE", "IBM", "Intel", "Microsoft", "NVIDIA", "OpenAI", "Oracle", "Periodic Labs", "Palantir",
       "Project Prometheus", "Radical AI", "xAI", "XPRIZE"]
OFFICIAL = {"Scaling the Grid to Power the American Economy", "Harnessing America's Historic Nuclear Data",
            "Discovering Quantum Algorithms with AI", "Recentering Microelectronics in America"}
CALL = "DE-FOA-0003612"


def dump(url: str) -> dict[str, list[tuple]]:
    """Every table's stored values, ordered by primary key, read with sqlite3 (what is on disk)."""
    con = sqlite3.connect(sqlite_path(url))
    try:
        out = {}
        for table in metadata.sorted_tables:
            keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            out[table.name] = con.execute(f'SELECT * FROM "{table.name}" ORDER BY {keys}').fetchall()
        return out
    finally:
        con.close()


def make(path, n: int, seed: int = 2026) -> str:
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        build_demo(store, proposals=n, seed=seed)
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    return make(tmp_path_factory.mktemp("demo") / "demo.sqlite", 1500)


@pytest.fixture(scope="module")
def db(demo_url):
    con = sqlite3.connect(sqlite_path(demo_url))
    yield con
    con.close()


def test_ensure_programme_creates_the_single_programme_once(store):
    with store.session() as s:
        first = ensure_programme(s)
        s.commit()
        assert ensure_programme(s).id == first.id
        assert s.scalar(select(func.count()).select_from(Programme)) == 1
        assert (first.code, first.name, first.launched_on) == ("GENESIS", "The Genesis Mission", date(2025, 11, 24))
        assert (first.fiscal_calendar, first.reporting_currency) == ("US", "USD")


def test_same_seed_gives_byte_identical_rows_and_another_seed_does_not(tmp_path, demo_url):
    again = dump(make(tmp_path / "again.sqlite", 1500))
    assert again == dump(demo_url)
    other = dump(make(tmp_path / "other.sqlite", 1500, seed=7))
    assert other["proposal"] != again["proposal"] and other["proposal_budget"] != again["proposal_budget"]
    assert other["institution"] == again["institution"]  # the facts do not depend on the seed


def test_blocks_make_a_proposal_independent_of_how_many_are_asked_for(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "BLOCK", 64)
    monkeypatch.setattr(demo_synth, "BLOCK", 64)
    calls = []
    big = dump(make(tmp_path / "big.sqlite", 150))
    store = open_store(f"sqlite:///{tmp_path / 'small.sqlite'}")
    build_demo(store, proposals=100, progress=lambda done, total: calls.append((done, total)))
    store.close()
    small = dump(f"sqlite:///{tmp_path / 'small.sqlite'}")
    assert calls == [(0, 100), (64, 100), (100, 100)]
    assert small["proposal"] == big["proposal"][:100]
    assert small["proposal_budget"] == [r for r in big["proposal_budget"] if r[0] <= 100]
    assert [r[1:] for r in small["proposal_status_change"]] == [r[1:] for r in big["proposal_status_change"] if r[1] <= 100]


def test_portable_core_path_writes_the_same_rows_as_raw_sqlite(tmp_path, monkeypatch, demo_url):
    monkeypatch.setattr(demo_bulk, "RAW_SQLITE", False)
    assert dump(make(tmp_path / "core.sqlite", 1500)) == dump(demo_url)


def test_bulk_datetimes_are_stored_as_sqlalchemy_stores_them(demo_url, db):
    stored = db.execute("SELECT changed_at FROM proposal_status_change ORDER BY id LIMIT 1").fetchone()[0]
    store = open_store(demo_url)
    try:
        with store.session() as s:
            value = s.get(ProposalStatusChange, 1).changed_at
    finally:
        store.close()
    assert isinstance(value, datetime)
    dialect = sqlite_dialect.dialect()
    assert DateTime().dialect_impl(dialect).bind_processor(dialect)(value) == stored


def test_refuses_a_portfolio_that_holds_records_and_bad_arguments(demo_url, store):
    filled = open_store(demo_url)
    try:
        with pytest.raises(ValueError, match="empty portfolio"):
            build_demo(filled, proposals=1)
    finally:
        filled.close()
    for bad in ({"proposals": -1}, {"proposals": 2.5}, {"seed": -3}):
        with pytest.raises(ValueError):
            build_demo(store, **bad)


def test_facts_laboratories_institutions_and_companies(db):
    labs = db.execute("SELECT name, country, city FROM institution WHERE kind = 'national_lab'").fetchall()
    assert len(labs) == 17 and all(country == "US" and city for _, country, city in labs)
    for lab in LABS:
        assert sum(lab in name for name, _, _ in labs) == 1, lab
    jp = dict(db.execute("SELECT code, country FROM institution WHERE code IN ('RIKEN', 'UTOKYO', 'NIMS')"))
    assert jp == {"RIKEN": "JP", "UTOKYO": "JP", "NIMS": "JP"}
    companies = db.execute("SELECT i.code || ' ' || i.name, p.kind, p.agreement FROM institution i JOIN partner p "
                           "ON p.institution_id = i.id WHERE i.kind = 'company'").fetchall()
    assert len(companies) == 24 == db.execute("SELECT count(*) FROM institution WHERE kind = 'company'").fetchone()[0]
    assert all(kind == "company" and agreement == "MOU 2025-12-18" for _, kind, agreement in companies)
    names = " | ".join(n for n, _, _ in companies)
    assert all(m in names for m in MOU)


def test_facts_challenges(db):
    rows = db.execute("SELECT c.title, c.official, c.source, c.description, c.area, i.kind FROM challenge c "
                      "JOIN institution i ON i.id = c.lead_institution_id").fetchall()
    assert len(rows) == 26
    official = [r for r in rows if r[1]]
    assert {r[0] for r in official} == OFFICIAL
    assert all("12 February 2026" in r[2] for r in official)
    assert all(r[3].startswith("Illustrative:") for r in rows if not r[1])
    areas = set(json.loads(db.execute("SELECT topic_areas FROM call").fetchone()[0]))
    assert all(r[4] in areas for r in rows) and all(r[5] == "national_lab" for r in rows)


def test_facts_call_and_phases(db):
    number, title, currency, total = db.execute("SELECT number, title, currency, total_budget_minor FROM call").fetchone()
    assert (number, title, currency, total) == (CALL, "The Genesis Mission: Transforming Science and Energy with AI",
                                                "USD", 293_760_000_00)
    phases = {r[0]: r[1:] for r in db.execute(
        "SELECT phase, award_floor_minor, award_ceiling_minor, ceiling_per_year, duration_months, deadline, "
        "budget_period_start, budget_period_end FROM call_phase")}
    assert phases["I"] == (500_000_00, 750_000_00, 0, 9, "2026-05-01", "2026-07-01", "2027-03-31")
    assert phases["II"][:5] == (1_500_000_00, 3_750_000_00, 1, 36, "2026-05-19")


def test_facts_partners_commitments_and_rates(demo_url, db):
    cal = dict(db.execute("SELECT code, fiscal_calendar FROM partner WHERE code IN ('DOE', 'MEXT', 'METI')"))
    assert cal == {"DOE": "US", "MEXT": "JP", "METI": "JP"}
    rates = db.execute("SELECT base, quote, \"on\", rate, source FROM exchange_rate ORDER BY \"on\"").fetchall()
    assert len(rates) >= 12 and all(145 <= r[3] <= 158 and "illustrative" in r[4] for r in rates)
    book = RateBook([Rate(b, q, Decimal(str(v)), date.fromisoformat(on), s) for b, q, on, v, s in rates])
    rows = db.execute("SELECT c.currency, p.fiscal_calendar, c.pledged_on, y.fiscal_year, y.pledged_minor, c.funds "
                      "FROM commitment c JOIN partner p ON p.id = c.partner_id "
                      "JOIN commitment_year y ON y.commitment_id = c.id").fetchall()
    usd = [r for r in rows if r[0] == "USD"]
    jpy = [r for r in rows if r[0] == "JPY"]
    assert {r[1] for r in usd} == {"US"} and {r[1] for r in jpy} == {"JP"}
    assert sum(r[4] for r in usd) == 500_000_000_00
    for side in (usd, jpy):
        years = sorted({r[3] for r in side})
        assert years == list(range(years[0], years[0] + 5))
    pledged_on = date.fromisoformat(jpy[0][2])
    assert US.year_of(pledged_on) == 2026 and JP.year_of(pledged_on) == 2026
    yen = Money(500_000_000_00, "USD").convert(book.rate("USD", "JPY", pledged_on).value, "JPY")
    assert sum(r[4] for r in jpy) == yen.minor
    funds = " ".join(r[5] for r in rows)
    assert all(area in funds for area in ("quantum", "fusion", "biotechnology"))


def test_proposals_respect_the_call_and_team_rules(db):
    assert db.execute("SELECT count(*) FROM proposal p JOIN call c ON c.id = p.call_id "
                      "WHERE p.currency <> c.currency").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM proposal p LEFT JOIN call_phase f ON f.call_id = p.call_id "
                      "AND f.phase = p.phase WHERE f.id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM proposal WHERE code NOT GLOB 'P-[0-9][0-9][0-9][0-9][0-9][0-9]'").fetchone()[0] == 0
    small = db.execute("SELECT count(*) FROM proposal p WHERE (SELECT count(*) FROM proposal_institution t "
                       "WHERE t.proposal_id = p.id AND t.institution_id <> p.lead_institution_id) < 1").fetchone()[0]
    assert small == 0
    assert db.execute("SELECT count(*) FROM proposal_institution t JOIN proposal p ON p.id = t.proposal_id "
                      "WHERE t.institution_id = p.lead_institution_id").fetchone()[0] == 0
    per = db.execute("SELECT count(*), sum(is_primary) FROM proposal_challenge GROUP BY proposal_id").fetchall()
    assert len(per) == 1500 and all(1 <= n <= 3 and primary == 1 for n, primary in per)
    assert db.execute("SELECT count(*) FROM proposal WHERE keywords = '[]' OR requested_gpu_hours <= 0 "
                      "OR length(abstract) < 40").fetchone()[0] == 0
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_budgets_respect_the_phase_rules(db):
    phases = {r[0]: r[1:] for r in db.execute("SELECT phase, award_floor_minor, award_ceiling_minor, ceiling_per_year "
                                              "FROM call_phase")}
    budgets: dict[int, list] = {}
    for pid, fy, amount in db.execute("SELECT proposal_id, fiscal_year, amount_minor FROM proposal_budget"):
        budgets.setdefault(pid, []).append((fy, amount))
    phase_of = dict(db.execute("SELECT id, phase FROM proposal"))
    assert set(budgets) == set(phase_of)
    for pid, rows in budgets.items():
        floor, ceiling, per_year = phases[phase_of[pid]]
        years = sorted(fy for fy, _ in rows)
        assert years == list(range(years[0], years[0] + len(years))) and all(a > 0 for _, a in rows)
        assert all(a % 100 == 0 for _, a in rows)  # whole dollars
        if per_year:
            assert years == [2027, 2028, 2029] and all(floor <= a <= ceiling for _, a in rows)
        else:
            # budget period 1 Jul 2026 - 31 Mar 2027 falls in US FY2026 and FY2027
            assert years == [2026, 2027] and floor <= sum(a for _, a in rows) <= ceiling


def test_statuses_and_history_follow_the_workflow(db):
    statuses = dict(db.execute("SELECT status, count(*) FROM proposal GROUP BY status"))
    assert set(statuses) == {s.value for s in ProposalStatus}
    deadline = dict(db.execute("SELECT phase, deadline FROM call_phase"))
    officers = set(json.loads(
        (files("genesis_desktop.resources") / "demo" / "vocabulary.json").read_text("utf-8"))["program_officers"])
    history: dict[int, list] = {}
    for pid, status, at, by in db.execute("SELECT proposal_id, status, changed_at, changed_by "
                                          "FROM proposal_status_change ORDER BY id"):
        history.setdefault(pid, []).append((status, at, by))
    for pid, status, phase, submitted in db.execute("SELECT id, status, phase, submitted_on FROM proposal"):
        steps = history[pid]
        assert steps[0][0] == "submitted" and steps[-1][0] == status
        assert steps[0][1][:10] == submitted and "2026-03-17" <= submitted <= deadline[phase]
        for (a, at_a, _), (b, at_b, _) in zip(steps, steps[1:]):
            assert ProposalStatus(b) in NEXT_STATUSES[ProposalStatus(a)] and at_a < at_b
        assert all(by in officers for _, _, by in steps)


def test_reviewers_and_reviews(db):
    reviewers = db.execute("SELECT email, institution_id, expertise, partner_ties FROM reviewer").fetchall()
    assert len(reviewers) == 60 and len({r[0] for r in reviewers}) == 60
    assert sum(r[3] != "[]" for r in reviewers) >= 3 and all(r[2] != "[]" for r in reviewers)
    rows = db.execute("SELECT r.state, r.scores, r.submitted_at, w.institution_id, p.lead_institution_id, p.id, "
                      "p.status FROM review r JOIN reviewer w ON w.id = r.reviewer_id "
                      "JOIN proposal p ON p.id = r.proposal_id").fetchall()
    assert {r[0] for r in rows} == {"draft", "submitted"}
    criteria = {"merit", "relevance", "team", "feasibility", "ai_platform", "budget"}
    for state, scores, submitted_at, home, lead, pid, status in rows:
        scores = json.loads(scores)
        assert set(scores) <= criteria and all(isinstance(v, int) and 1 <= v <= 9 for v in scores.values())
        assert (state == "submitted") == (submitted_at is not None)
        if state == "submitted":
            assert set(scores) == criteria
        assert status != "submitted" and home != lead
        team = {t for (t,) in db.execute("SELECT institution_id FROM proposal_institution WHERE proposal_id = ?", (pid,))}
        assert home not in team


def test_commitments_respect_the_rules(db):
    assert db.execute("SELECT count(*) FROM commitment_year WHERE obligated_minor > pledged_minor "
                      "OR disbursed_minor > obligated_minor OR disbursed_minor < 0").fetchone()[0] == 0
    states = {}
    for state, pledged, obligated, disbursed in db.execute(
            "SELECT state, pledged_on, obligated_on, disbursed_on FROM commitment"):
        states[state] = states.get(state, 0) + 1
        if state in ("obligated", "disbursed"):
            assert obligated and obligated >= pledged
        if state == "disbursed":
            assert disbursed and disbursed >= obligated
    assert {"pledged", "obligated", "disbursed"} <= set(states)
