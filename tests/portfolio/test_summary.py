"""summary(): counts and exact money totals, checked against SQL written by hand."""
from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from genesis_desktop.portfolio.demo import build_demo, ensure_programme
from genesis_desktop.portfolio.money import format_amount
from genesis_desktop.portfolio.partners import Commitment, CommitmentState, CommitmentYear, Partner
from genesis_desktop.portfolio.store import head_revision, open_store, sqlite_path
from genesis_desktop.portfolio.summary import summary

STATUSES = ["submitted", "under_review", "recommended", "awarded", "declined", "withdrawn"]
TABLES = {"programmes": "programme", "institutions": "institution", "challenges": "challenge", "calls": "call",
          "call_phases": "call_phase", "proposals": "proposal", "partners": "partner", "commitments": "commitment",
          "exchange_rates": "exchange_rate", "reviewers": "reviewer", "reviews": "review"}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('summary') / 'demo.sqlite'}")
    build_demo(store, proposals=300, seed=11)
    yield store
    store.close()


def by_hand(store) -> dict:
    con = sqlite3.connect(sqlite_path(store.url))
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        money = lambda rows: {c: format_amount(m, c) for c, m in rows}  # noqa: E731
        requested = q("SELECT p.status, p.currency, sum(b.amount_minor) FROM proposal_budget b "
                      "JOIN proposal p ON p.id = b.proposal_id GROUP BY p.status, p.currency")
        commitments = q("SELECT c.currency, sum(y.pledged_minor), sum(y.obligated_minor), sum(y.disbursed_minor) "
                        "FROM commitment_year y JOIN commitment c ON c.id = y.commitment_id "
                        "WHERE c.state <> 'cancelled' GROUP BY c.currency")
        return {
            "counts": {k: q(f'SELECT count(*) FROM "{t}"')[0][0] for k, t in TABLES.items()},
            "proposals_by_status": {s: 0 for s in STATUSES} | dict(q("SELECT status, count(*) FROM proposal GROUP BY 1")),
            "call_budgets": money(q("SELECT currency, sum(total_budget_minor) FROM call GROUP BY 1")),
            "requested": money(q("SELECT p.currency, sum(b.amount_minor) FROM proposal_budget b "
                                 "JOIN proposal p ON p.id = b.proposal_id GROUP BY 1")),
            "requested_by_status": {s: money((c, m) for st, c, m in requested if st == s) for s in STATUSES},
            "commitments": {k: money((r[0], r[i]) for r in commitments)
                            for i, k in enumerate(("pledged", "obligated", "disbursed"), 1)},
        }
    finally:
        con.close()


def test_summary_matches_hand_written_sql(demo_store):
    got = summary(demo_store)
    want = by_hand(demo_store)
    assert got["schema_revision"] == head_revision()
    assert got["counts"] == want["counts"]
    assert got["proposals_by_status"] == want["proposals_by_status"]
    for key in ("call_budgets", "requested", "requested_by_status", "commitments"):
        assert got["money"][key] == want[key], key
    assert got["money"]["call_budgets"] == {"USD": "293760000.00"}
    assert got["money"]["commitments"]["pledged"] == {"USD": "500000000.00", "JPY": "73250000000"}
    assert sum(got["proposals_by_status"].values()) == got["counts"]["proposals"] == 300


def test_summary_is_json_ready_sorted_and_deterministic(demo_store):
    first = summary(demo_store)
    text = json.dumps(first)
    assert text == json.dumps(first, sort_keys=True) == json.dumps(summary(demo_store))
    assert json.loads(text) == first
    amounts = [v for by_ccy in first["money"]["requested_by_status"].values() for v in by_ccy.values()]
    assert all(isinstance(v, str) and v.count(".") == 1 for v in amounts)


def test_summary_of_a_fresh_portfolio(store):
    with store.session() as s:
        ensure_programme(s)
        s.commit()
    got = summary(store)
    assert got["counts"] == {k: int(k == "programmes") for k in TABLES}
    assert got["proposals_by_status"] == {s: 0 for s in sorted(STATUSES)}
    assert got["money"]["call_budgets"] == {} and got["money"]["requested"] == {}
    assert got["money"]["commitments"] == {"disbursed": {}, "obligated": {}, "pledged": {}}


def test_cancelled_commitments_are_counted_but_not_totalled(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'c.sqlite'}")
    try:
        build_demo(store, proposals=0)
        before = summary(store)
        with store.session() as s:
            partner = s.query(Partner).filter_by(code="NVIDIA").one()
            s.add(Commitment(code="X-CANCELLED", partner_id=partner.id, title="withdrawn pledge", currency="USD",
                             state=CommitmentState.CANCELLED, funds=[], pledged_on=date(2026, 1, 5),
                             years=[CommitmentYear(fiscal_year=2026, pledged_minor=10**9)]))
            s.commit()
        after = summary(store)
    finally:
        store.close()
    assert after["counts"]["commitments"] == before["counts"]["commitments"] + 1
    assert after["money"]["commitments"] == before["money"]["commitments"]
    assert after["counts"]["proposals"] == 0 and after["money"]["requested"] == {}
