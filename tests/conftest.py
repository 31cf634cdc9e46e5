"""Fixtures shared by the whole suite: a real SQLite portfolio file per test."""
from __future__ import annotations

import pytest

from genesis_desktop.portfolio.store import open_store


@pytest.fixture
def db_url(tmp_path):
    """URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'portfolio.sqlite'}"


@pytest.fixture
def store(db_url):
    """An empty portfolio at the current schema revision (no programme row)."""
    s = open_store(db_url)
    yield s
    s.close()
