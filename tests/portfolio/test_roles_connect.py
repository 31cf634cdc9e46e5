"""Portfolios that share one PostgreSQL server: the group roles are the server's, so what keeps an
officer of one portfolio out of the next is the database's CONNECT, which only that portfolio's
accounts hold. A real PostgreSQL 15 server."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from genesis_desktop.portfolio.store import open_store

from .test_roles import rows, sql_client

pytestmark = pytest.mark.xdist_group("postgres")


@pytest.fixture
def other_portfolio(pg_server):
    """A second portfolio database on the same server, migrated (so its grants are applied)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    open_store(url).close()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_an_account_connects_to_its_own_portfolio_only(office, other_portfolio):
    for who in ("officer", "analyst", "grace"):
        with sql_client(office.url[who]) as own:
            assert rows(own, "SELECT current_database()") == [(make_url(office.admin).database,)]
        elsewhere = make_url(office.url[who]).set(database=make_url(other_portfolio).database)
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            sql_client(elsewhere.render_as_string(hide_password=False))
    with sql_client(other_portfolio) as owner:  # whoever owns it still does
        assert rows(owner, "SELECT has_database_privilege('public', current_database(), 'CONNECT')") == [(False,)]
