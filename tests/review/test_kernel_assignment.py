"""The assignment kernel: found through its entry point, the same optimum as assign() on the same
input, impossible requests refused with the reasons in words, and as a real local job: progress
metrics in the telemetry, and a cancel that stops a running solve."""
from __future__ import annotations

import time
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from genesis_desktop.compute import kernels, registry, service
from genesis_desktop.compute.jobs import JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.compute.kernel import SpecError, Stopped, stop_when
from genesis_desktop.compute.telemetry import Kind
from genesis_desktop.compute.testing import reference_result, wait_for
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.review.affinity import tfidf_affinity, with_bids
from genesis_desktop.review.assignment import assign
from genesis_desktop.review.kernel_assignment import ASSIGNMENT, PROGRESS_METRIC

WORDS = [f"topic{i}" for i in range(80)]


def instance(n_p=24, n_r=9, seed=2, words=12, **over) -> dict:
    rng = np.random.default_rng(seed)
    params = {"call": "C-1",
              "proposals": [{"code": f"P-{i:04d}", "text": " ".join(rng.choice(WORDS, words))} for i in range(n_p)],
              "reviewers": [{"email": f"r{j:03d}@lab.org", "text": " ".join(rng.choice(WORDS, 4))} for j in range(n_r)]}
    params.update(over)
    return params


@pytest.fixture
def jobs(db_url):
    store = JobStore(open_store(db_url).engine, owns_engine=True)
    yield store
    store.close()


@pytest.fixture
def local(jobs):
    backend = registry.load(registry.find("local"), jobs)
    yield backend
    backend.close()


def test_the_review_kernels_come_in_through_their_entry_points():
    assert {"assignment", "calibration"} <= set(kernels.KERNELS)
    assert kernels.kernel("assignment") is ASSIGNMENT
    problems = kernels.kernel_problems()
    assert problems["assignment"] is None and problems["calibration"] is None and problems["risk"] is None


def test_a_broken_kernel_entry_point_is_unavailable_with_the_reason_and_the_others_work(monkeypatch):
    real = kernels._entry_points()
    broken = EntryPoint("broken", "genesis_desktop.no_such_module:KERNEL", kernels.GROUP)
    imposter = EntryPoint("pi", "genesis_desktop.no_such_module:PI", kernels.GROUP)  # a built-in name stays built-in
    monkeypatch.setattr(kernels, "_entry_points", lambda: [*real, broken, imposter])
    try:
        kernels.rediscover()
        problems = kernels.kernel_problems()
        assert "ModuleNotFoundError" in problems["broken"] and "'broken'" in problems["broken"]
        assert problems["pi"] is None and problems["assignment"] is None
        with pytest.raises(kernels.KernelUnavailable, match="cannot be loaded here"):
            kernels.kernel("broken")
        assert kernels.kernel("assignment") is ASSIGNMENT
    finally:
        monkeypatch.undo()
        kernels.rediscover()
    assert "broken" not in kernels.KERNELS


def test_the_kernel_finds_the_optimum_assign_finds_on_the_same_input():
    params = ASSIGNMENT.prepare(instance(
        k=2, max_load=7, min_load=1, bid_weight=0.8,
        bids=[["P-0001", "r001@lab.org", 2], ["P-0002", "r002@lab.org", "not willing"], ["P-0003", "r004@lab.org", 1]],
        conflicts=[["P-0000", "r000@lab.org"], ["P-0005", "r003@lab.org"]]))
    result = ASSIGNMENT.combine(params, [ASSIGNMENT.run_block(params, 0, 0)])

    affinity = tfidf_affinity([p["text"] for p in params["proposals"]], [r["text"] for r in params["reviewers"]])
    affinity = with_bids(affinity, [(1, 1, 2), (2, 2, -1), (3, 4, 1)], eager_pull=0.8, unwilling_factor=0.1 ** 1.6)
    direct = assign(affinity, 2, 7, min_load=1, conflicts=[(0, 0), (5, 3)])
    assert result["objective"] == direct.objective and result["lp_bound"] == direct.lp_bound
    codes, emails = [p["code"] for p in params["proposals"]], [r["email"] for r in params["reviewers"]]
    assert [(x["proposal"], x["reviewer"]) for x in result["pairs"]] == [(codes[p], emails[r]) for p, r in direct.pairs]
    assert [x["affinity"] for x in result["pairs"]] == affinity[direct.pairs[:, 0], direct.pairs[:, 1]].tolist()
    assert result["loads"] == dict(zip(emails, direct.loads.tolist()))
    assert {("P-0000", "r000@lab.org"), ("P-0005", "r003@lab.org")}.isdisjoint(
        (x["proposal"], x["reviewer"]) for x in result["pairs"])
    assert result["gap"] == pytest.approx(0.0, abs=1e-7) and result["call"] == "C-1"
    assert ASSIGNMENT.prepare(params) == params, "prepare is idempotent: the engine prepares again"


def test_a_request_that_cannot_be_met_is_refused_with_the_reasons_in_words(jobs):
    params = instance(n_r=4, k=3, conflicts=[["P-0003", "r000@lab.org"], ["P-0003", "r001@lab.org"]])
    with pytest.raises(SpecError) as refused:
        service.make_spec("assignment", params, seed=1)
    message = str(refused.value)
    assert message.startswith("assignment for call C-1: The reviewer assignment cannot be made:")
    assert "Too few conflict-free reviewers for proposal P-0003 (needs 3, has 2)" in message
    with pytest.raises(SpecError, match=r"reviews in all but the reviewers' maximum loads add up to 8"):
        service.make_spec("assignment", instance(n_r=4, k=3, max_load=2), seed=1)
    assert jobs.jobs() == [], "a refused spec leaves no job behind"


@pytest.mark.parametrize("change, message", [
    ({"k": 0}, "k: 0 must be a whole number >= 1"),
    ({"max_load": -1}, "max_load: -1 must be a whole number >= 0"),
    ({"bids": [["P-0001", "r001@lab.org", 3]]}, r"bids\[0\]: 3 for P-0001 by r001@lab.org: bid 3 is outside the scale"),
    ({"bids": [["P-9999", "r001@lab.org", 1]]}, r"bids\[0\]: proposal 'P-9999' is not among the proposals"),
    ({"conflicts": [["P-0001", "nobody@x"]]}, r"conflicts\[0\]: reviewer 'nobody@x' is not among the reviewers"),
    ({"bid_weight": 2}, r"bid_weight: 2 must be a finite number in \[0.0, 1.0\]"),
    ({"method": "greedy"}, "method: 'greedy' must be one of auto, full, column"),
    ({"reviewers": []}, "reviewers: must be a list of 1 to"),
    ({"proposals": [{"code": "P-1", "text": "a"}, {"code": "P-1", "text": "b"}]},
     r"proposals\[1\]: code 'P-1' appears twice \(first at 0\)"),
    ({"colour": "red"}, r"unknown parameters \['colour'\]"),
])
def test_bad_parameters_are_named_with_their_value_and_rule(change, message):
    with pytest.raises(SpecError, match=message):
        ASSIGNMENT.prepare(instance(**change))


def test_a_stop_request_stops_the_block_between_solver_rounds():
    params = ASSIGNMENT.prepare(instance())
    with stop_when(lambda: True), pytest.raises(Stopped):
        ASSIGNMENT.run_block(params, 0, 0)


def test_a_job_reports_its_progress_as_metrics_and_stores_the_result(jobs, local):
    spec = service.make_spec("assignment", instance(n_p=60, n_r=15), seed=5, resources=Resources(workers=1))
    job_id = jobs.create_job(spec, backend=local.name)
    local.submit(spec, job_id)
    record = service.follow(jobs, local, job_id, poll_s=0.05)
    assert record.state is JobState.COMPLETED, record.error
    timeless = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731 (wall time differs)
    assert timeless(record.result) == timeless(reference_result(spec))
    assert record.result["seconds"] > 0
    events = jobs.telemetry(job_id)
    progress = [e.payload for e in events if e.kind is Kind.METRIC and e.payload["name"] == PROGRESS_METRIC]
    assert len(progress) >= 3, progress
    assert [p["step"] for p in progress] == list(range(len(progress)))
    assert [p["value"] for p in progress] == sorted(p["value"] for p in progress) and progress[-1]["value"] == 1.0
    objective = [e.payload["value"] for e in events if e.kind is Kind.METRIC and e.payload["name"] == "objective"]
    assert objective == [pytest.approx(record.result["objective"])]
    estimate = [e.payload for e in events if e.kind is Kind.ESTIMATE][-1]
    assert estimate["value"] == record.result["objective"] and estimate["high"] == record.result["lp_bound"]


def test_a_cancel_stops_a_running_assignment_job_quickly(jobs, local):
    # 1,200 x 350 as one LP takes some 5 s to solve (0.5 GB): long enough to cancel in the middle.
    spec = service.make_spec("assignment", instance(n_p=1200, n_r=350, words=30, seed=4, method="full"), seed=1,
                             resources=Resources(workers=1))
    job_id = jobs.create_job(spec, backend=local.name)
    local.submit(spec, job_id)
    wait_for(lambda: any(e.kind is Kind.METRIC and e.payload["name"] == PROGRESS_METRIC and e.payload["value"] > 0
                         for e in jobs.telemetry(job_id)), timeout=60, what="the solver's first LP round")
    asked = time.monotonic()
    service.cancel(jobs, job_id)
    record = service.follow(jobs, local, job_id, poll_s=0.05)
    took = time.monotonic() - asked
    assert record.state is JobState.CANCELED
    assert took < 3.0, f"the cancel took {took:.1f} s"
    assert record.result is None and record.blocks_done == 0
    assert not any(e.kind is Kind.METRIC and e.payload["name"] == "objective" for e in jobs.telemetry(job_id)), \
        "the solve was stopped before it finished"
