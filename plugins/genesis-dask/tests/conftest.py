"""Dask fixtures: one real cluster for the session (scripts/dask-cluster), backends over real stores.

With GENESIS_TEST_DASK_DIR set (make test starts a cluster there), its cluster is used; otherwise one
is started in a temporary folder and stopped at the end. Every test here is in the xdist group "dask",
so they share that cluster from one xdist worker, one at a time.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.register_assert_rewrite("genesis_desktop.compute.testing")

from genesis_desktop.compute import registry  # noqa: E402
from genesis_desktop.compute.api import JobStore  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "dask-cluster"


@dataclass(frozen=True)
class Cluster:
    folder: Path
    address: str

    def run(self, command: str) -> str:
        """scripts/dask-cluster COMMAND FOLDER, with this Python's environment for the cluster."""
        done = subprocess.run([sys.executable, str(SCRIPT), command, str(self.folder)], capture_output=True,
                              text=True, timeout=120, env={**os.environ, "PYTHON": sys.executable})
        assert done.returncode == 0, f"dask-cluster {command} failed: {done.stderr}"
        return done.stdout


def _address(folder: Path) -> str:
    line = (folder / "env").read_text().strip()
    name, _, value = line.partition("=")
    assert name == "GENESIS_TEST_DASK_SCHEDULER", f"{folder / 'env'}: unexpected {line!r}"
    return value


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    import genesis_dask

    named = os.environ.get("GENESIS_TEST_DASK_DIR")
    folder = Path(named) if named else tmp_path_factory.mktemp("dask") / "cluster"
    cluster = Cluster(folder, "")
    if not named:
        cluster.run("start")
    try:
        yield Cluster(folder, _address(folder))
    finally:
        genesis_dask.shutdown()  # monitors and clients first: they would chase a stopped scheduler
        if not named:
            cluster.run("stop")


@pytest.fixture(autouse=True)
def one_test_at_a_time(dask_cluster):
    """Holds the cluster's test lock for the test, and lets go of this process's clients after it.
    The xdist_group marks are meant to keep these tests on one worker, but pytest 9.2 with xdist 3.8
    spreads them over workers; the kill-scheduler test must not pull the scheduler from under another
    test, and a client of the killed scheduler must not outlive it in the other worker process."""
    import genesis_dask

    with open(dask_cluster.folder / "tests.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            genesis_dask.shutdown()
            fcntl.flock(held, fcntl.LOCK_UN)


@pytest.fixture
def dask_options(dask_cluster) -> dict:
    # lost_after_s is short so the lost-scheduler test waits seconds, not a minute.
    return {"scheduler": dask_cluster.address, "connect_timeout_s": 5.0, "lost_after_s": 3.0}


@pytest.fixture
def store(tmp_path):
    made = JobStore.standalone(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    yield made
    made.close()


@pytest.fixture
def make_backend():
    """make(name, store, options) -> a backend made as the program makes it; all closed after the test."""
    made = []

    def make(name: str, store, options: dict | None = None):
        made.append(registry.load(registry.find(name), store, options or {}))
        return made[-1]
    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def dask(make_backend, dask_options, store):
    """The dask backend over the test's store, on the session's cluster."""
    return make_backend("dask", store, dask_options)
