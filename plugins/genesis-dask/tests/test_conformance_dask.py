"""The shipped conformance suite, against a real Dask cluster (scripts/dask-cluster)."""
from __future__ import annotations

import pytest

from genesis_desktop.compute import registry
from genesis_desktop.compute.testing import BackendConformance

pytestmark = pytest.mark.xdist_group("dask")


class TestDaskConformance(BackendConformance):
    # The suite's own timings hold as they are: blocks start in milliseconds on a warm cluster, and a
    # cancel sets an Event the tasks look at every 0.1 s.

    @pytest.fixture
    def make_backend(self, dask_options):
        return lambda store: registry.load(registry.find("dask"), store, dask_options)
