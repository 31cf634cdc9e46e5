"""The conformance suite every compute backend passes, run against its real engine (no mocks).

A plugin subclasses `BackendConformance` in one of its test modules and says how to make its backend:

    import pytest
    from genesis_desktop.compute.testing import BackendConformance

    class TestSlurmBackend(BackendConformance):
        @pytest.fixture
        def make_backend(self, slurm_cluster):      # slurm_cluster: the plugin's own fixture
            return lambda store: SlurmBackend(store, read_manifest(...), {"host": slurm_cluster.host})

The suite runs the sample kernel `pi` (it ships with the program, so every backend can run it) and
checks: the lifecycle NEW -> QUEUED -> (RUNNING ->) COMPLETED, cancel during a run, the order of the
telemetry and reading it again from a sequence number, attaching from a new backend object over the
same store, refusal of bad specs before submit with a permanent error, and identical results from the
same seed, equal to the kernel's own result computed here. Override the class attributes to fit a
slower engine. For assertion details in failures, add
`pytest.register_assert_rewrite("genesis_desktop.compute.testing")` to the plugin's conftest.py.
"""
from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any, Callable

import pytest

from .api import API_VERSION, Backend, JobSpec, JobState, JobStore, Manifest, PermanentError, Probe, SpecError
from .jobs import Resources, can_move
from .kernels import kernel
from .service import make_spec
from .telemetry import Kind


def reference_result(spec: JobSpec) -> dict[str, Any]:
    """The kernel's result computed block by block in this process, as JSON would carry it."""
    k = kernel(spec.kernel)
    partials = [k.run_block(spec.params, spec.seed, b) for b in range(spec.blocks)]
    return json.loads(json.dumps(k.combine(spec.params, partials)))


def wait_for(check: Callable[[], Any], timeout: float, poll: float = 0.05, what: str = "the condition") -> Any:
    """The first true value of `check()`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(poll)


class BackendConformance:
    quick_params: dict[str, Any] = {"blocks": 6, "samples_per_block": 20_000}
    slow_params: dict[str, Any] = {"blocks": 6, "samples_per_block": 1_000, "sleep_s": 3.0}
    resources = Resources(workers=2)
    finish_within_s = 60.0
    cancel_within_s = 1.0  # from the cancel request to a final state
    poll_s = 0.05

    @pytest.fixture
    def make_backend(self) -> Callable[[JobStore], Backend]:
        pytest.fail("define a `make_backend` fixture returning a function (job store) -> backend")

    @pytest.fixture
    def job_store(self, tmp_path):
        store = JobStore.standalone(f"sqlite:///{tmp_path / 'conformance.sqlite'}")
        yield store
        store.close()

    @pytest.fixture
    def backends(self, make_backend, job_store):
        """new() makes a backend over the test's store; all are closed after the test."""
        made: list[Backend] = []

        def new() -> Backend:
            made.append(make_backend(job_store))
            return made[-1]
        yield new
        for b in made:
            b.close()

    # -- helpers --------------------------------------------------------------------------------

    def spec(self, params: dict[str, Any], seed: int = 11) -> JobSpec:
        return make_spec("pi", params, seed=seed, resources=self.resources)

    def start(self, backend: Backend, store: JobStore, spec: JobSpec) -> tuple[int, str]:
        job_id = store.create_job(spec, backend=backend.name)
        return job_id, backend.submit(spec, job_id)

    def final_state(self, backend: Backend, native_id: str, timeout: float | None = None) -> JobState:
        return wait_for(lambda: (s := backend.status([native_id])[native_id]).is_final and s,
                        timeout or self.finish_within_s, self.poll_s, f"job {native_id} ending")

    # -- the suite ------------------------------------------------------------------------------

    def test_describe_and_probe(self, backends):
        backend = backends()
        manifest = backend.describe()
        assert isinstance(manifest, Manifest) and manifest.name == backend.name
        assert manifest.api_version == API_VERSION
        started = time.monotonic()
        probe = backend.probe(2.0)
        assert time.monotonic() - started < 2.5, "probe took longer than its timeout"
        assert isinstance(probe, Probe) and probe.reachable, f"the engine under test is not reachable: {probe.reason}"

    def test_lifecycle_ends_completed_with_the_kernels_result(self, backends, job_store):
        backend, spec = backends(), self.spec(self.quick_params)
        job_id, native_id = self.start(backend, job_store, spec)
        assert self.final_state(backend, native_id) is JobState.COMPLETED
        states = [c.state for c in job_store.history(job_id)]
        assert states[:2] == [JobState.NEW, JobState.QUEUED] and states[-1] is JobState.COMPLETED, states
        assert all(can_move(a, b) for a, b in zip(states, states[1:])), f"a forbidden step in {states}"
        told = [e.payload["state"] for e in job_store.telemetry(job_id) if e.kind is Kind.STATE]
        assert told == [s.value for s in states], "every state change is told in the telemetry, in order"
        assert backend.result(native_id) == reference_result(spec)

    def test_cancel_during_a_run_ends_it_quickly(self, backends, job_store):
        backend = backends()
        job_id, native_id = self.start(backend, job_store, self.spec(self.slow_params))
        wait_for(lambda: backend.status([native_id])[native_id] is JobState.RUNNING, self.finish_within_s,
                 self.poll_s, "the job running")
        asked = time.monotonic()
        backend.cancel(native_id)
        state = self.final_state(backend, native_id, timeout=10)
        took = time.monotonic() - asked
        assert state is JobState.CANCELED
        assert took <= self.cancel_within_s + self.poll_s, f"cancel took {took:.2f} s"
        with pytest.raises(PermanentError):
            backend.result(native_id)

    def test_telemetry_is_numbered_in_order_and_resumable(self, backends, job_store):
        backend, spec = backends(), self.spec(self.quick_params)
        _, native_id = self.start(backend, job_store, spec)
        self.final_state(backend, native_id)
        events = backend.telemetry(native_id, 0)
        assert [e.seq for e in events] == list(range(1, len(events) + 1)), "numbers start at 1 with no gaps"
        middle = len(events) // 2
        assert backend.telemetry(native_id, middle) == events[middle:]
        assert backend.telemetry(native_id, events[-1].seq) == []
        done = [e.payload["done"] for e in events if e.kind is Kind.PROGRESS]
        assert done == sorted(done) and done[-1] == spec.blocks
        for e in (e for e in events if e.kind is Kind.ESTIMATE):
            assert e.payload["low"] <= e.payload["value"] <= e.payload["high"], e.payload
        assert events[-1].kind is Kind.STATE and events[-1].payload["state"] == "completed"

    def test_attach_from_a_new_backend_over_the_same_store(self, backends, job_store):
        first, spec = backends(), self.spec(self.quick_params)
        _, native_id = self.start(first, job_store, spec)
        again = backends()  # as after a restart of the program
        assert again.attach(native_id) in {JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED}
        assert self.final_state(again, native_id) is JobState.COMPLETED
        assert again.result(native_id) == reference_result(spec)
        with pytest.raises(PermanentError):
            again.attach("999999")

    def test_bad_specs_are_refused_before_submit(self, backends, job_store):
        backend, good = backends(), self.spec(self.quick_params)
        bad = [replace(good, kernel="no-such-kernel"), replace(good, kernel_version=good.kernel_version + "-other"),
               replace(good, blocks=good.blocks + 1), replace(good, params={**good.params, "samples_per_block": -1})]
        if "gpus" not in backend.describe().capabilities:
            bad.append(replace(good, resources=replace(good.resources, gpus=1)))
        for spec in bad:
            with pytest.raises(SpecError):
                backend.validate(spec)
            job_id = job_store.create_job(spec, backend=backend.name)
            with pytest.raises(PermanentError):
                backend.submit(spec, job_id)
            assert [c.state for c in job_store.history(job_id)] == [JobState.NEW], "nothing may run"

    def test_same_seed_same_result_other_seed_other_result(self, backends, job_store):
        backend = backends()
        natives = [self.start(backend, job_store, self.spec(self.quick_params, seed))[1] for seed in (5, 5, 6)]
        states = backend.status(natives)
        assert set(states) == set(natives), "status answers for every job asked about"
        assert all(self.final_state(backend, n) is JobState.COMPLETED for n in natives)
        first, second, other = (backend.result(n) for n in natives)
        assert first == second
        assert first != other

    def test_logs_are_lines(self, backends, job_store):
        backend = backends()
        _, native_id = self.start(backend, job_store, self.spec(self.quick_params))
        self.final_state(backend, native_id)
        logs = backend.logs(native_id)
        assert isinstance(logs, list) and all(isinstance(line, str) for line in logs)
