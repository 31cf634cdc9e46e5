"""The shipped conformance suite, run against the built-in local backend."""
from __future__ import annotations

import pytest

from genesis_desktop.compute.testing import BackendConformance


class TestLocalBackendConformance(BackendConformance):
    @pytest.fixture
    def job_store(self, compute_store):
        return compute_store  # a copy of a migrated file: the suite's own fixture migrates each time

    @pytest.fixture
    def make_backend(self, local_backend):
        return local_backend
