"""Migration 0005 (review packets) on a database that already holds a reviewer: the packet table and its
rules come, and a downgrade takes them away again without touching the rest."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from genesis_desktop.portfolio.store import alembic_config, make_engine, upgrade

PACKET = ("INSERT INTO review_packet (id, reviewer_id, issued_at, issued_by, digest, synced, imported_at, "
          "imported_by) VALUES ('{id}', {reviewer}, '2026-06-01 09:00:00', '{by}', 'sha256:00', '{{}}', {at}, {who})")


def _tables(engine) -> set[str]:
    with engine.connect() as c:
        return set(inspect(c).get_table_names())


def test_packets_table_comes_with_its_rules_and_goes_on_downgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    upgrade(engine, "0004")
    with engine.begin() as c:
        c.execute(text("INSERT INTO reviewer (email, name, expertise, partner_ties) "
                       "VALUES ('a@b.org', 'A', '[]', '[]')"))
    assert "review_packet" not in _tables(engine)
    upgrade(engine, "0005")
    with engine.begin() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
        c.execute(text(PACKET.format(id="p-1", reviewer=1, by="officer", at="NULL", who="NULL")))
    for values, rule in ((dict(id="p-2", reviewer=1, by="", at="NULL", who="NULL"), "CHECK"),
                         (dict(id="p-3", reviewer=1, by="o", at="'2026-06-02'", who="NULL"), "CHECK"),
                         (dict(id="p-4", reviewer=9, by="o", at="NULL", who="NULL"), "FOREIGN KEY")):
        with pytest.raises(IntegrityError, match=rule):
            with engine.begin() as c:
                c.execute(text(PACKET.format(**values)))
    with engine.begin() as c:  # a reviewer removed takes their packet records along
        c.execute(text("DELETE FROM reviewer"))
        assert c.execute(text("SELECT count(*) FROM review_packet")).scalar() == 0
        c.execute(text("INSERT INTO reviewer (email, name, expertise, partner_ties, collaborators) "
                       "VALUES ('c@d.org', 'C', '[]', '[]', '[]')"))

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    assert "review_packet" not in _tables(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0004"
        assert c.execute(text("SELECT email FROM reviewer")).scalar() == "c@d.org"
    engine.dispose()
