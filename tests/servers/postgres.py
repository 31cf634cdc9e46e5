"""A real PostgreSQL server for the tests that run on it: the one `make test` started
(GENESIS_TEST_PG_URL, from scripts/with-test-engines), else one this session starts with
scripts/postgres-server and stops by pid. Each test gets a database of its own, dropped after it.

Missing PostgreSQL skips those tests, naming the package, except under CI (CI=true), where it fails
them, as Xvfb does.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-server"


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """The admin URL of a running PostgreSQL server (the `postgres` database, superuser)."""
    if os.environ.get("GENESIS_TEST_PG_URL"):
        yield os.environ["GENESIS_TEST_PG_URL"]
        return
    folder = tmp_path_factory.mktemp("postgres")
    done = subprocess.run([str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
    if done.returncode:
        message = f"no PostgreSQL server for the tests: {done.stderr.strip()} (apt-get install postgresql)"
        if under_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield done.stdout.strip().partition("=")[2]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=60)


def create_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def clone_database(admin_url: str, template: str, name: str) -> str:
    """A new database made from `template` (which nobody may be connected to); its URL."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def pg_url(pg_server):
    """A new, empty database on the server; its URL. Dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = create_database(pg_server, name)
    yield url
    drop_database(pg_server, name)


@pytest.fixture
def pg_logins(pg_server):
    """login(url, who, role, reviewer_email=None) -> the URL that signs in to url's database as a new
    login role `who_SUFFIX` of that role (an account made by portfolio.access.add_account, with a random
    password). Roles belong to the whole server, which parallel tests share: each test's names carry a
    suffix of their own, and its roles are dropped after it."""
    import secrets

    from genesis_desktop.portfolio.access import add_account
    from genesis_desktop.portfolio.store import open_store

    suffix, made = uuid.uuid4().hex[:10], []

    def login(url: str, who: str, role: str, reviewer_email: str | None = None) -> str:
        name, password = f"{who}_{suffix}", secrets.token_urlsafe(18)
        store = open_store(url)
        try:
            add_account(store.engine, name, role, password, reviewer_email)
        finally:
            store.close()
        made.append((name, make_url(url).database))
        return make_url(url).set(username=name, password=password).render_as_string(hide_password=False)

    yield login
    engine = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name, database in made:
            # A role that may still connect to a database cannot be dropped.
            if conn.scalar(text("SELECT count(*) FROM pg_database WHERE datname = :d"), {"d": database}):
                conn.execute(text(f'REVOKE ALL ON DATABASE "{database}" FROM "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
    engine.dispose()
