"""Fixtures shared by the whole suite: a real SQLite portfolio file per test, a private Xvfb, a
private PostgreSQL server with a database per test."""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from genesis_desktop.portfolio.store import open_store


ENGINES = ("sqlite", "postgresql")


def pytest_addoption(parser):
    parser.addoption(
        "--engine", choices=ENGINES, default="sqlite",
        help="where the tests' portfolios live: a SQLite file each (default), or a database each on the "
             "PostgreSQL server (GENESIS_TEST_PG_URL, else one started for the session). `make test` runs "
             "the store, import, review and desktop tests once more with postgresql.")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself; skipped with --engine postgresql")
    if os.environ.get("GENESIS_TESTS_WITHOUT_QT"):
        # scripts/run-tests' core pass: it proves the core needs no Qt only if Qt really is blocked.
        try:
            import PySide6  # noqa: F401
        except ImportError:
            pass
        else:
            raise pytest.UsageError("GENESIS_TESTS_WITHOUT_QT is set, but PySide6 imports: the blocker "
                                    "folder is not first on PYTHONPATH")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--engine") == "sqlite":
        return
    skip = pytest.mark.skip(reason="about the SQLite file itself, not the portfolio in it")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def engine_name(request) -> str:
    return request.config.getoption("--engine")


@pytest.fixture
def db_url(request, tmp_path, engine_name):
    """URL of a portfolio database that does not exist yet: a SQLite file, or with --engine postgresql
    a new, empty database on the server, dropped after the test."""
    if engine_name == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'portfolio.sqlite'}"


@pytest.fixture(scope="session")
def template_database(request, tmp_path_factory, engine_name):
    """template_database(name, fill): the URL of a portfolio made once a session with `fill(store)`;
    never written to after that: tests work on copies (`copy_database`)."""
    made = {}

    def template(name: str, fill) -> str:
        if name not in made:
            if engine_name == "postgresql":
                url = _postgres.create_database(request.getfixturevalue("pg_server"), f"tpl_{uuid.uuid4().hex[:16]}")
            else:
                url = f"sqlite:///{tmp_path_factory.mktemp('templates') / name}.sqlite"
            store = open_store(url)
            try:
                fill(store)
            finally:
                store.close()  # a PostgreSQL template must have no connections left to be copied
            made[name] = url
        return made[name]

    return template


@pytest.fixture
def copy_database(request, tmp_path, engine_name):
    """copy_database(template_url, name): the URL of this test's own copy of a template_database."""
    clones = []

    def copy(template_url: str, name: str) -> str:
        if engine_name == "postgresql":
            clone = f"t_{uuid.uuid4().hex[:16]}"
            clones.append(clone)
            return _postgres.clone_database(request.getfixturevalue("pg_server"),
                                            make_url(template_url).database, clone)
        source, target = Path(make_url(template_url).database), tmp_path / f"{name}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if source.with_name(source.name + suffix).exists():
                shutil.copyfile(source.with_name(source.name + suffix), target.with_name(target.name + suffix))
        return f"sqlite:///{target}"

    yield copy
    for clone in clones:
        _postgres.drop_database(request.getfixturevalue("pg_server"), clone)


@pytest.fixture
def store(db_url):
    """An empty portfolio at the current schema revision (no programme row)."""
    s = open_store(db_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """demo_template(proposals, seed=2026, then=None): the path of a demo portfolio file, built once a
    session for each (proposals, seed, then) with `then(store)` applied; never written to after that:
    tests work on copies (`demo_copy`)."""
    from genesis_desktop.portfolio.demo import build_demo

    made = {}

    def template(proposals: int, seed: int = 2026, then=None):
        key = (proposals, seed, then)
        if key not in made:
            path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
            built = open_store(f"sqlite:///{path}")
            try:
                build_demo(built, proposals=proposals, seed=seed)
                if then is not None:
                    then(built)
            finally:
                built.close()
            made[key] = path
        return made[key]

    return template


@pytest.fixture
def demo_copy(tmp_path):
    """demo_copy(template, name="portfolio.sqlite"): the path of this test's own copy of a
    demo_template file."""
    import shutil

    def copy(template, name: str = "portfolio.sqlite"):
        target = tmp_path / name
        shutil.copyfile(template, target)
        return target

    return copy


@pytest.fixture
def one_call(store):
    """The programme, its call C-1 (the default rubric) and one national laboratory, LAB, in `store`:
    a namespace of store, programme_id, call_id and lab_id for tests that add their own records."""
    from types import SimpleNamespace

    from genesis_desktop.portfolio.schema import Call, Institution, InstitutionKind, Programme

    with store.session() as s, s.begin():
        programme = Programme(code="GENESIS", name="The Genesis Mission")
        s.add(programme)
        s.flush()
        call = Call(programme_id=programme.id, number="C-1", title="Genesis", total_budget_minor=10**9)
        lab = Institution(code="LAB", name="Lab", kind=InstitutionKind.NATIONAL_LAB, country="US")
        s.add_all([call, lab])
        s.flush()
        return SimpleNamespace(store=store, programme_id=programme.id, call_id=call.id, lab_id=lab.id)


@pytest.fixture
def genesis(capsys):
    """genesis(*argv) -> (exit code, stdout, stderr), through cli.main in this process."""
    from genesis_desktop import cli

    capsys.readouterr()

    def run(*argv: str):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _load_servers_module(name: str):
    # The suite runs with --import-mode=importlib and tests/ is no package: load by path instead.
    path = Path(__file__).resolve().parent / "servers" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"genesis_test_servers_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


xvfb_display = _load_servers_module("xvfb").xvfb_display  # the real-window tests and the frozen program's
_postgres = _load_servers_module("postgres")
pg_server, pg_url = _postgres.pg_server, _postgres.pg_url  # the tests that run on PostgreSQL as well
pg_logins = _postgres.pg_logins  # their login roles, one per person of a shared office
