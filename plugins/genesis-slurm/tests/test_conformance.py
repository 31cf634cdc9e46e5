"""The shipped conformance suite against the real Slurm cluster."""
from __future__ import annotations

import pytest

from genesis_desktop.compute.testing import BackendConformance

pytestmark = pytest.mark.xdist_group("slurm")


class TestSlurmConformance(BackendConformance):
    # From the cancel request to a final state: scancel, then squeue's next answer; the local
    # backend's 1 s leaves no room for the controller's round trip on a busy two-core machine.
    cancel_within_s = 2.0
    # A first job after a clean cluster start takes about 3.5 s (RUNBOOK); the worker's Python start
    # adds a second per task.
    finish_within_s = 60.0

    @pytest.fixture
    def make_backend(self, slurm_backend):
        return slurm_backend
