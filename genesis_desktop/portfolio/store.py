"""Where a portfolio lives: engine, sessions, schema migrations and the backup before an upgrade.

A SQLite file by default, in the per-user data folder; any SQLAlchemy URL through `--db` or
`GENESIS_DB`. Opening a database brings its schema to this program's revision: an empty database
is created, an older one is copied aside and upgraded, and one written by a newer program is
refused without being touched.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from .audit_log import new_transaction, register_sqlite_functions
from .credentials import with_password, without_password

APP_NAME = "genesis-desktop"
# The newest migration. Kept here so that opening an up-to-date portfolio never loads Alembic (half a
# second of start-up); tests/portfolio/test_store.py checks it against Alembic's own head.
SCHEMA_HEAD = "0010"
ENV_VAR = "GENESIS_DB"


class StoreError(RuntimeError):
    """The database cannot be opened as a portfolio; the message says why and what to do."""


def default_url() -> str:
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path(APP_NAME, appauthor=False) / 'portfolio.sqlite'}"


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _sqlite_pragmas(dbapi_conn, record) -> None:
    register_sqlite_functions(dbapi_conn, record.info)  # the audit triggers call them
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # A PostgreSQL login named without a password takes it from the system keyring (`genesis login`).
    engine = create_engine(with_password(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", new_transaction)
    return engine


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "genesis_desktop.portfolio:migrations")
    return cfg


def head_revision() -> str:
    return SCHEMA_HEAD


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def backup_sqlite(path: Path, revision: str) -> Path:
    """A consistent copy of a SQLite file (sqlite's online backup, WAL included) beside it."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}{path.suffix or '.sqlite'}")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


@dataclass
class Store:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    backup: Path | None = None  # the copy made before an upgrade, if one was made

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and if needed create or upgrade) the portfolio at `url`."""
    url = url or default_url()
    path = sqlite_path(url)
    if path is not None and not create and not path.exists():
        raise StoreError(f"{path}: no such portfolio file (create one with `genesis --db {url} init`)")
    if path is not None and path.exists() and path.stat().st_size > 0:
        # Decide from a read-only look, so that a refused file is not touched even by our pragmas.
        revision, tables = _peek_sqlite(path)
        _check_openable(url, revision, tables)
    engine = make_engine(url)
    backup = None
    try:
        revision = _first_look(engine, url)
        _check_openable(url, revision, set(inspect(engine).get_table_names()))
        if revision != head_revision():
            if revision is not None and path is not None:
                engine.dispose()
                backup = backup_sqlite(path, revision)
            upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return Store(url, engine, sessionmaker(engine, expire_on_commit=False), backup)


def _first_look(engine: Engine, url: str) -> str | None:
    """The schema revision; a server that will not let us in is a StoreError naming the way in."""
    from sqlalchemy.exc import OperationalError

    try:
        return current_revision(engine)
    except OperationalError as err:
        if engine.dialect.name == "sqlite":
            raise
        # The driver's first line says why (wrong password, no such database); it never holds the password.
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise StoreError(f"{describe_url(url)}: cannot sign in ({reason}). A password kept in the system keyring "
                         f"is used when the URL has none: genesis login {without_password(url)}") from None


def _check_openable(url: str, revision: str | None, tables: set[str]) -> None:
    if revision is None:
        existing = tables - {"alembic_version"}
        if existing:
            raise StoreError(
                f"{describe_url(url)} has tables ({', '.join(sorted(existing)[:5])}) but no Genesis "
                "schema revision: it is not a Genesis portfolio; nothing was changed"
            )
    elif revision != SCHEMA_HEAD and revision not in known_revisions():
        raise StoreError(
            f"{describe_url(url)} was written by a newer Genesis Desktop (schema revision {revision}; "
            f"this program knows up to {head_revision()}). It was not changed: open it with a newer version."
        )


def _peek_sqlite(path: Path) -> tuple[str | None, set[str]]:
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise StoreError(f"{path} is not a SQLite database; nothing was changed")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        return revision, tables
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path} cannot be read as a SQLite database ({err}); nothing was changed") from None
    finally:
        conn.close()


def describe_url(url: str) -> str:
    """The database as a person should see it: a file path, or the URL without its password."""
    path = sqlite_path(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)
