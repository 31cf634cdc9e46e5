"""Compute fixtures: a job store on a fresh copy of a migrated portfolio file, local backends that are
closed after each test, and the real `genesis` command in a subprocess."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from genesis_desktop.compute import registry
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.store import open_store


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One migrated, empty portfolio per session (migrations take a second); tests work on copies."""
    path = tmp_path_factory.mktemp("template") / "portfolio.sqlite"
    open_store(f"sqlite:///{path}").close()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture
def compute_url(migrated_template, tmp_path) -> str:
    target = tmp_path / "portfolio.sqlite"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def compute_store(compute_url):
    store = JobStore(open_store(compute_url).engine, owns_engine=True)
    yield store
    store.close()


@pytest.fixture
def local_backend():
    """make(store, **options): the local backend, made through the registry as the program makes it."""
    made = []

    def make(store, **options):
        made.append(registry.load(registry.find("local"), store, options))
        return made[-1]
    yield make
    for backend in made:
        backend.close()


def genesis_env(extra_path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GENESIS_DB"}
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(extra_path), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.fixture
def genesis():
    """genesis(*args, path=None, timeout=120) -> CompletedProcess: the real command, as a script runs it;
    `path` goes first on PYTHONPATH (where test plugins are installed)."""
    def run(*args: str, path: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "genesis_desktop", *args], capture_output=True, text=True,
                              env=genesis_env(path), timeout=timeout)
    return run


@pytest.fixture
def genesis_started():
    """genesis_started(*args) -> Popen: the command running in the background; killed after the test."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        started.append(subprocess.Popen([sys.executable, "-m", "genesis_desktop", *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=genesis_env()))
        return started[-1]
    yield start
    for p in started:
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=30)
