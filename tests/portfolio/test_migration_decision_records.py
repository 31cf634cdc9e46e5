"""Migration 0006 (decision records) on a database that already holds commitments and proposals: the ledger
starts with opening entries that add up to every year's totals, the new tables' rules hold, and a downgrade
takes them (and Proposal.continues_id) away again without touching the rest."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from genesis_desktop.portfolio.ledger_sync import gaps
from genesis_desktop.portfolio.store import alembic_config, make_engine, upgrade

SETUP = [
    "INSERT INTO programme (id, code, name, description, fiscal_calendar, reporting_currency) "
    "VALUES (1, 'GENESIS', 'Genesis', '', 'US', 'USD')",
    "INSERT INTO call (id, programme_id, number, title, currency, total_budget_minor, topic_areas, description) "
    "VALUES (1, 1, 'C-1', 'Call', 'USD', 100000000, '[]', '')",
    "INSERT INTO institution (id, code, name, kind, country, city) VALUES (1, 'LAB', 'Lab', 'national_lab', 'US', '')",
    *[f"INSERT INTO proposal (id, code, call_id, phase, title, abstract, keywords, lead_institution_id, "
      f"principal_investigator, pi_email, currency, requested_gpu_hours, status) VALUES ({i}, 'P-{i}', 1, '{ph}', "
      f"'Proposal {i}', '', '[]', 1, 'A. B', '', 'USD', 0, 'submitted')" for i, ph in ((1, "I"), (2, "II"))],
    "INSERT INTO partner (id, code, name, kind, country, fiscal_calendar, agreement) "
    "VALUES (1, 'MEXT', 'MEXT', 'agency', 'JP', 'JP', 'US-Japan')",
    # Disbursed without a disbursement day: the opening entry falls back to the obligation's day.
    "INSERT INTO commitment (id, code, partner_id, title, currency, state, funds, pledged_on, obligated_on, "
    "disbursed_on, note) VALUES (1, 'JP-Q', 1, 'Quantum', 'JPY', 'obligated', '[]', '2026-06-04', '2026-07-01', "
    "NULL, '')",
    "INSERT INTO commitment (id, code, partner_id, title, currency, state, funds, pledged_on, note) "
    "VALUES (2, 'JP-B', 1, 'Bio', 'JPY', 'pledged', '[]', '2026-06-04', '')",
    "INSERT INTO commitment_year VALUES (1, 2026, 5860000000, 5860000000, 2000000000)",
    "INSERT INTO commitment_year VALUES (1, 2027, 5860000000, 0, 0)",
    "INSERT INTO commitment_year VALUES (2, 2026, 4395000000, 0, 0)",
]
ENTRY = ("INSERT INTO commitment_entry (commitment_id, fiscal_year, kind, amount_minor, \"on\", recorded_at, "
         "recorded_by, reason) VALUES ({cid}, 2026, '{kind}', {amount}, '2026-11-01', '2026-11-01 12:00:00', "
         "'{by}', '')")
NEW_TABLES = {"commitment_entry", "cofunding_agreement", "cofunding_share", "scenario"}


def _tables(engine) -> set[str]:
    with engine.connect() as c:
        return set(inspect(c).get_table_names())


def _downgrade(engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.fixture
def engine(tmp_path):
    e = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(e, "0005")
    with e.begin() as c:
        for sql in SETUP:
            c.execute(text(sql))
    yield e
    e.dispose()


def test_opening_entries_add_up_to_the_totals_and_are_dated_by_the_commitment(engine):
    assert not NEW_TABLES & _tables(engine)
    upgrade(engine, "0006")
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0006"
        assert gaps(c) == []
        rows = c.execute(text('SELECT commitment_id, fiscal_year, kind, amount_minor, "on", recorded_by FROM '
                              "commitment_entry ORDER BY commitment_id, fiscal_year, kind")).all()
    assert [r[:5] for r in rows] == [
        (1, 2026, "disbursed", 2_000_000_000, "2026-07-01"),  # no disbursement day: the obligation's
        (1, 2026, "obligated", 5_860_000_000, "2026-07-01"),
        (1, 2026, "pledged", 5_860_000_000, "2026-06-04"),
        (1, 2027, "pledged", 5_860_000_000, "2026-06-04"),  # zero totals get no entry
        (2, 2026, "pledged", 4_395_000_000, "2026-06-04"),
    ]
    assert {r[5] for r in rows} == {"migration 0006"}


@pytest.mark.parametrize("sql, rule", [
    (ENTRY.format(cid=1, kind="disbursed", amount=0, by="me"), "CHECK"),  # an entry moves money
    (ENTRY.format(cid=1, kind="disbursed", amount=5, by=""), "CHECK"),  # someone recorded it
    (ENTRY.format(cid=1, kind="refunded", amount=5, by="me"), "CHECK"),  # a known kind
    (ENTRY.format(cid=9, kind="disbursed", amount=5, by="me"), "FOREIGN KEY"),
    ("INSERT INTO cofunding_agreement (name, currency, tolerance) VALUES ('A', 'usd', 1)", "CHECK"),
    ("INSERT INTO cofunding_agreement (name, currency, tolerance) VALUES ('A', 'USD', -1)", "CHECK"),
    ("INSERT INTO cofunding_agreement (name, currency, tolerance) VALUES ('US-Japan', 'USD', 1)", "UNIQUE"),
    ("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'JP', 0)", "CHECK"),
    ("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'JP', 100.5)", "CHECK"),
    ("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'jp', 50)", "CHECK"),
    ("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'US', 50)", "UNIQUE"),
    ("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (7, 'KR', 50)", "FOREIGN KEY"),
    ("UPDATE proposal SET continues_id = 2 WHERE id = 2", "CHECK"),  # not itself
    ("UPDATE proposal SET continues_id = 99 WHERE id = 2", "FOREIGN KEY"),
])
def test_the_new_tables_rules_hold(engine, sql, rule):
    upgrade(engine, "0006")
    with engine.begin() as c:
        c.execute(text("INSERT INTO cofunding_agreement (id, name, currency, tolerance) "
                       "VALUES (1, 'US-Japan', 'USD', 1)"))
        c.execute(text("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'US', 50)"))
    with pytest.raises(IntegrityError, match=rule):
        with engine.begin() as c:
            c.execute(text(sql))


def test_rows_that_keep_the_rules_are_taken_and_cascade_with_their_owner(engine):
    upgrade(engine, "0006")
    with engine.begin() as c:
        c.execute(text(ENTRY.format(cid=2, kind="pledged", amount=-5, by="me")))  # a correction is negative
        c.execute(text("UPDATE proposal SET continues_id = 1 WHERE id = 2"))
        c.execute(text("INSERT INTO cofunding_agreement (id, name, currency, tolerance) VALUES (1, 'A', 'USD', 1.5)"))
        c.execute(text("INSERT INTO cofunding_share (agreement_id, side, percent) VALUES (1, 'JP', 49.5)"))
    with engine.begin() as c:
        c.execute(text("DELETE FROM commitment_year WHERE commitment_id = 2"))
        c.execute(text("DELETE FROM commitment WHERE id = 2"))  # its entries go with it
        assert c.execute(text("SELECT count(*) FROM commitment_entry WHERE commitment_id = 2")).scalar() == 0
        c.execute(text("DELETE FROM proposal WHERE id = 1"))  # the Phase II keeps going, unlinked
        assert c.execute(text("SELECT id, continues_id FROM proposal")).all() == [(2, None)]
        c.execute(text("DELETE FROM cofunding_agreement"))
        assert c.execute(text("SELECT count(*) FROM cofunding_share")).scalar() == 0


def test_downgrade_removes_the_decision_records_and_keeps_the_rest(engine):
    upgrade(engine, "0006")
    with engine.begin() as c:
        c.execute(text("UPDATE proposal SET continues_id = 1 WHERE id = 2"))
    _downgrade(engine, "0005")
    assert not NEW_TABLES & _tables(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        assert "continues_id" not in {col["name"] for col in inspect(c).get_columns("proposal")}
        assert c.execute(text("SELECT id, code, phase FROM proposal ORDER BY id")).all() == [(1, "P-1", "I"),
                                                                                              (2, "P-2", "II")]
        assert c.execute(text("SELECT * FROM commitment_year ORDER BY commitment_id, fiscal_year")).all() == [
            (1, 2026, 5_860_000_000, 5_860_000_000, 2_000_000_000), (1, 2027, 5_860_000_000, 0, 0),
            (2, 2026, 4_395_000_000, 0, 0)]
        assert c.execute(text("SELECT code FROM commitment ORDER BY id")).scalars().all() == ["JP-Q", "JP-B"]
    upgrade(engine, "0006")  # and up again: the opening entries come back, once
    with engine.connect() as c:
        assert gaps(c) == [] and c.execute(text("SELECT count(*) FROM commitment_entry")).scalar() == 5
