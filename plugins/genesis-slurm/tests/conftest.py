"""A real one-node Slurm cluster for the plugin's tests (scripts/slurm-cluster), and helpers.

With GENESIS_TEST_SLURM_DIR set (`make test` starts a cluster there first), the tests use that
cluster; otherwise one is started in a temporary folder for the session and stopped at its end.
Every test module marks itself `xdist_group("slurm")`: one cluster, one xdist worker, one at a time
(the kill-node test takes the node away from everyone).
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.register_assert_rewrite("genesis_desktop.compute.testing")

from genesis_desktop.compute import registry  # noqa: E402
from genesis_desktop.compute.api import JobState, JobStore  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "slurm-cluster"


@dataclass(frozen=True)
class Cluster:
    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    def command(self, action: str) -> None:
        done = subprocess.run([str(SCRIPT), action, str(self.root)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"slurm-cluster {action} {self.root}: {done.stderr}"

    def slurm(self, *argv: str) -> str:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30,
                              env={**os.environ, "SLURM_CONF": str(self.conf)})
        return done.stdout


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    given = os.environ.get("GENESIS_TEST_SLURM_DIR")
    if given:
        cluster = Cluster(Path(given).resolve())
        assert cluster.conf.exists(), f"GENESIS_TEST_SLURM_DIR={given}: no slurm.conf; run scripts/slurm-cluster start"
        yield cluster
        return
    # A short path: munge's socket path must fit in a unix socket name.
    cluster = Cluster(Path(tmp_path_factory.mktemp("slurm")))
    cluster.command("start")
    try:
        yield cluster
    finally:
        cluster.command("stop")


@pytest.fixture(autouse=True)
def one_test_at_a_time(slurm_cluster):
    """Holds the cluster's test lock for the test: the xdist_group marks are meant to keep these tests
    on one worker, but with pytest 9.2 and xdist 3.8 `--dist loadgroup` was seen spreading them over
    workers, and the kill-node test must never take the node from under another test's job."""
    with open(slurm_cluster.root / "tests.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


@pytest.fixture
def slurm_options(slurm_cluster, tmp_path):
    """Options for a backend on the test cluster, with a work folder of the test's own."""
    return {"slurm_conf": str(slurm_cluster.conf), "work_dir": str(tmp_path / "slurm-work"), "poll_min_s": 0.05,
            "lost_after_s": 30.0, "array_tasks": 1}


@pytest.fixture
def store(tmp_path):
    s = JobStore.standalone(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    yield s
    s.close()


@pytest.fixture
def slurm_backend(slurm_options):
    """make(store, **options) -> the slurm backend, made through the registry as the program makes it."""
    made = []

    def make(store, **options):
        made.append(registry.load(registry.find("slurm"), store, {**slurm_options, **options}))
        return made[-1]
    yield make
    for backend in made:
        backend.close()


def final_state(backend, native_id: str, timeout: float = 60.0) -> JobState:
    deadline = time.monotonic() + timeout
    while True:
        state = backend.status([native_id])[native_id]
        if state.is_final:
            return state
        assert time.monotonic() < deadline, f"Slurm job {native_id} still {state.value} after {timeout} s"
        time.sleep(0.05)


@pytest.fixture
def wait_final():
    return final_state


@pytest.fixture
def run_worker():
    """run_worker(job_dir, run): the real cluster worker, run here without Slurm (crafted job folders)."""
    def run(job_dir: str, run: int) -> None:
        done = subprocess.run([sys.executable, "-m", "genesis_desktop.compute.worker", job_dir, "--run", str(run)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    return run
