"""What bench_kill.py and bench_clients.py share: a demo portfolio as a template on SQLite or PostgreSQL,
cheap copies of it, a look at whether a process is inside a write, and the checks a database must pass.

- `demo_file(work, proposals)`: a demo portfolio (portfolio.demo.build_demo) in a SQLite file.
- `postgres(url)`: the admin URL of a PostgreSQL server: the one given, else GENESIS_TEST_PG_URL, else one
  started with scripts/postgres-server and stopped by that script at the end.
- `SqliteCopies` / `PostgresCopies`: the template and its copies (a file copy; CREATE DATABASE ... TEMPLATE).
  `phase(url, pid)` says where a client process stands, without touching its database:
  "writing" (SQLite: it holds the WAL write lock, byte 120 of the -shm file, seen in /proc/locks;
  PostgreSQL: its backend has a transaction id, given at a transaction's first write), "in a transaction"
  (a SQLite read lock on bytes 123-127, a PostgreSQL xact_start), "connected", "not connected".
- `integrity(url)`: the engine's check (SQLite integrity_check and foreign_key_check; PostgreSQL
  amcheck's bt_index_check with heapallindexed on every index, and no invalid index), then the
  program's own: the portfolio opens (open_store, create=False), decisions' check_ledger finds no year
  whose ledger entries do not add up to its totals, and summary() reads every record.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / "scripts" / "postgres-server"
WAL_WRITE_LOCK, WAL_READ_LOCKS = 120, range(123, 128)  # sqlite3 os_unix.c: WALINDEX_LOCK_OFFSET + lock number


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def demo_file(work: Path, proposals: int, seed: int = 2026) -> Path:
    """A demo portfolio of `proposals` proposals in work/demo-N.sqlite, checkpointed and closed."""
    from genesis_desktop.portfolio.demo import build_demo
    from genesis_desktop.portfolio.store import open_store

    path = work / f"demo-{proposals}.sqlite"
    store = open_store(sqlite_url(path))
    try:
        build_demo(store, proposals=proposals, seed=seed)
    finally:
        store.close()
    with sqlite3.connect(path) as conn:  # everything in the main file: copies of it need no -wal
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@contextmanager
def postgres(url: str | None = None):
    url = url or os.environ.get("GENESIS_TEST_PG_URL")
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="genesis-bench-pg-"))
    done = subprocess.run([str(PG_SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise SystemExit(f"no PostgreSQL server: {done.stderr.strip()} (give --pg-url, or apt-get install postgresql)")
    try:
        yield done.stdout.strip().partition("=")[2]
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", str(folder)], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the portfolio's schema."""
    from genesis_desktop.portfolio.schema import metadata

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}
    finally:
        engine.dispose()


def program_checks(url: str) -> list[str]:
    from genesis_desktop.decisions.ledger_read import check_ledger
    from genesis_desktop.portfolio.store import open_store
    from genesis_desktop.portfolio.summary import summary

    try:
        store = open_store(url, create=False)
        try:
            summary(store)  # reads every kind of record and adds up the money
            return [f"check_ledger: {line}" for line in check_ledger(store)]
        finally:
            store.close()
    except Exception as err:  # noqa: BLE001 - a portfolio that does not open or read is the finding
        return [f"{type(err).__name__}: {err}"]


class SqliteCopies:
    name = "SQLite"

    def __init__(self, template: Path, work: Path) -> None:
        self.template, self.work = template, work
        self.url = sqlite_url(template)

    def clone(self, tag: str) -> str:
        target = self.work / f"{tag}.sqlite"
        self.drop(sqlite_url(target))
        shutil.copyfile(self.template, target)
        return sqlite_url(target)

    def drop(self, url: str) -> None:
        path = Path(make_url(url).database)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            p.unlink(missing_ok=True)

    def phase(self, url: str, pid: int) -> str:
        path = Path(make_url(url).database)
        inodes = {}
        for p, what in ((path, "db"), (Path(f"{path}-shm"), "shm")):
            try:
                inodes[os.stat(p).st_ino] = what
            except FileNotFoundError:
                pass
        held = []  # (file, mode, first byte) of each POSIX lock the process holds on the database's files
        with open("/proc/locks") as fh:
            for line in fh:
                f = line.split()
                if f[1] == "POSIX" and f[4] == str(pid) and int(f[5].rsplit(":", 1)[1]) in inodes:
                    held.append((inodes[int(f[5].rsplit(":", 1)[1])], f[3], int(f[6])))
        if any(w == "shm" and m == "WRITE" and b == WAL_WRITE_LOCK for w, m, b in held):
            return "writing"
        if any(w == "shm" and b in WAL_READ_LOCKS for w, m, b in held):
            return "in a transaction"
        if held or _has_open(pid, path):
            return "connected"
        return "not connected"

    def settle(self, url: str) -> None:
        pass

    def engine_checks(self, url: str) -> list[str]:
        conn = sqlite3.connect(make_url(url).database)
        try:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            problems = [] if found == ["ok"] else [f"integrity_check: {line}" for line in found]
            problems += [f"foreign_key_check: {r}" for r in conn.execute("PRAGMA foreign_key_check")]
            return problems
        finally:
            conn.close()

    def close(self) -> None:
        pass


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _connect(url: str, database: str | None = None):
    import psycopg

    u = make_url(url)
    return psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                           dbname=database or u.database, autocommit=True)


class PostgresCopies:
    """A template database on the server at `admin_url`, filled from `source_url` by the program's own
    `genesis db copy` (portfolio.db_copy), and its copies by CREATE DATABASE ... TEMPLATE."""

    name = "PostgreSQL"

    def __init__(self, admin_url: str, source_url: str) -> None:
        from genesis_desktop.compute.tables import metadata as job_metadata
        from genesis_desktop.portfolio.db_copy import copy_portfolio

        self.admin_url = admin_url
        self.admin = _connect(admin_url)
        self.prefix = f"rel_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self.admin.execute(f'CREATE DATABASE "{self.template}"')
        self.url = self._url(self.template)
        copy_portfolio(source_url, self.url, job_metadata.sorted_tables)
        with _connect(admin_url, self.template) as conn:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
                self.amcheck = True
            except Exception:  # noqa: BLE001 - contrib not installed: the index checks are skipped, and said so
                self.amcheck = False
        self.settle(self.url)

    def _url(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(hide_password=False)

    def clone(self, tag: str) -> str:
        name = f"{self.prefix}_{tag}".lower()
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self._url(name)

    def drop(self, url: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def _activity(self, url: str):
        return self.admin.execute(
            "SELECT count(*), coalesce(bool_or(backend_xid IS NOT NULL), false), "
            "coalesce(bool_or(xact_start IS NOT NULL), false) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (make_url(url).database,)).fetchone()

    def phase(self, url: str, pid: int) -> str:
        sessions, writing, in_transaction = self._activity(url)  # the database is the client's alone
        if writing:
            return "writing"
        if in_transaction:
            return "in a transaction"
        return "connected" if sessions else "not connected"

    def settle(self, url: str, timeout: float = 30.0) -> None:
        """Wait until no session is left on the database (a killed client's backend rolls back and ends)."""
        deadline = time.monotonic() + timeout
        while self._activity(url)[0] and time.monotonic() < deadline:
            time.sleep(0.01)

    def engine_checks(self, url: str) -> list[str]:
        problems = []
        with _connect(url) as conn:
            for (name,) in conn.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                        "WHERE NOT i.indisvalid"):
                problems.append(f"invalid index {name}")
            if self.amcheck:
                indexes = conn.execute(
                    "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE a.amname = 'btree' AND n.nspname = 'public'").fetchall()
                for oid, name in indexes:
                    try:
                        conn.execute("SELECT bt_index_check(%s, true)", (oid,))
                    except Exception as err:  # noqa: BLE001
                        problems.append(f"bt_index_check {name}: {err}")
        return problems

    def close(self) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.close()


def wait_connected(copies, url: str, child: subprocess.Popen) -> float:
    """When the child first opened the database (its start-up, slow and variable here, is not the operation)."""
    while child.poll() is None and copies.phase(url, child.pid) == "not connected":
        time.sleep(0.002)
    return time.monotonic()


def stop_look_kill(copies, url: str, pid: int) -> str:
    """Stop the process, say where it stands (copies.phase), kill it."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:  # the signal is delivered asynchronously: wait for the stop
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "TtZX":
                break
        except (FileNotFoundError, IndexError):
            break
    phase = copies.phase(url, pid)
    os.kill(pid, signal.SIGKILL)
    return phase


def integrity(copies, url: str) -> list[str]:
    """Every problem found in the database at `url`: the engine's checks, then the program's."""
    return copies.engine_checks(url) + program_checks(url)


def bump(text: str, delta: int) -> str:
    """'FY2026=30000000.00; FY2027=...' with every amount moved by `delta` whole units, in the same format."""
    parts = []
    for part in text.split(";"):
        year, _, amount = part.strip().partition("=")
        places = len(amount.partition(".")[2])
        parts.append(f"{year}={Decimal(amount) + delta:.{places}f}")
    return "; ".join(parts)


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [[f"{c:,}" if isinstance(c, int) else (f"{c:,.1f}" if isinstance(c, float) else str(c)) for c in row]
             for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    for row in cells:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
