"""Migration 0004 (review records) on a database that already holds reviewers and calls."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from genesis_desktop.portfolio.store import make_engine, upgrade


def test_existing_reviewers_get_an_empty_collaborator_list_and_new_tables_keep_their_rules(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0003")
    with engine.begin() as c:
        c.execute(text("INSERT INTO reviewer (email, name, expertise, partner_ties) "
                       "VALUES ('a@b.org', 'A', '[]', '[]')"))
    upgrade(engine, "0004")  # this test is about 0004; later migrations have their own
    with engine.begin() as c:
        assert json.loads(c.execute(text("SELECT collaborators FROM reviewer")).scalar()) == []
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    for statement in (
        "INSERT INTO review_conflict (proposal_id, reviewer_id, kind, reason, recorded_at) "
        "VALUES (1, 1, 'rivalry', 'x', '2026-05-01')",
        "INSERT INTO review_bid (proposal_id, reviewer_id, bid) VALUES (1, 1, 5)",
    ):
        with pytest.raises(IntegrityError, match="CHECK constraint failed"):
            with engine.connect() as c:
                c.exec_driver_sql("PRAGMA foreign_keys = OFF")  # so only the CHECK can refuse it
                c.execute(text(statement))
                c.commit()
    engine.dispose()
