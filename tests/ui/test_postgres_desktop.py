"""The desktop on a portfolio in a real PostgreSQL 15 server (tests/servers/postgres.py): every view
loads and a frame renders (tests/portfolio/test_postgres.py covers the records and commands there)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from genesis_desktop.portfolio.demo import build_demo
from genesis_desktop.portfolio.store import make_engine, open_store

pytestmark = pytest.mark.xdist_group("postgres")


def test_the_desktop_loads_every_view_from_postgresql(pg_url, qapp, tmp_path):
    from genesis_desktop.ui.self_test import check_window

    store = open_store(pg_url)
    build_demo(store, proposals=40)
    store.close()
    window = check_window(pg_url, tmp_path)
    assert {"overview", "proposals", "reviews", "portfolio", "compute"} <= set(window["views"])
    assert window["colours"] >= 8
    with make_engine(pg_url).connect() as c:
        assert c.execute(text("SELECT count(*) FROM proposal")).scalar() == 40
