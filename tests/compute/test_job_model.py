"""The job spec as data and the job state machine."""
from __future__ import annotations

import json

import pytest

from genesis_desktop.compute.jobs import FINAL_STATES, RESUMABLE_STATES, JobSpec, JobState, Resources, can_move
from genesis_desktop.compute.kernel import SpecError
from genesis_desktop.compute.errors import PermanentError


def _spec(**changes) -> JobSpec:
    fields = dict(kernel="pi", kernel_version="1", params={"blocks": 4, "samples_per_block": 10}, seed=3, blocks=4,
                  resources=Resources(workers=2, gpus=1, memory_mb=512, wall_time_s=60, partition="debug"))
    return JobSpec(**{**fields, **changes})


def test_spec_survives_a_json_round_trip():
    spec = _spec()
    again = JobSpec.from_json(json.loads(json.dumps(spec.to_json())))
    assert again == spec
    assert again.resources.partition == "debug"


@pytest.mark.parametrize("change, message", [
    ({"seed": -1}, r"seed: -1 must be a whole number >= 0"),
    ({"blocks": 0}, r"blocks: 0 must be a whole number >= 1"),
    ({"seed": True}, r"seed: True must be"),
    ({"kernel": ""}, r"kernel: '' must be a non-empty string"),
    ({"params": [1, 2]}, r"params: list must be a mapping"),
])
def test_bad_spec_fields_are_named(change, message):
    with pytest.raises(SpecError, match=message):
        _spec(**change)


def test_bad_resources_are_named():
    with pytest.raises(SpecError, match=r"resources.workers: 0 must be a whole number >= 1 or absent"):
        Resources(workers=0)
    with pytest.raises(SpecError, match=r"resources.partition: '  ' must be a non-empty name"):
        Resources(partition="  ")


def test_from_json_names_missing_and_unknown_fields():
    data = _spec().to_json()
    del data["seed"]
    data["colour"] = "red"
    with pytest.raises(SpecError, match=r"missing fields \['seed'\], unknown fields \['colour'\]"):
        JobSpec.from_json(data)
    data = _spec().to_json()
    data["resources"]["cpus"] = 4
    with pytest.raises(SpecError, match=r"resources: unknown names \['cpus'\]"):
        JobSpec.from_json(data)


def test_spec_errors_are_permanent():
    assert issubclass(SpecError, PermanentError) and issubclass(SpecError, ValueError)


def test_final_states_and_the_ways_out_of_them():
    assert {s for s in JobState if s.is_final} == FINAL_STATES == {
        JobState.COMPLETED, JobState.FAILED, JobState.CANCELED, JobState.LOST}
    assert RESUMABLE_STATES == {JobState.LOST, JobState.CANCELED}
    for state in (JobState.COMPLETED, JobState.FAILED):
        assert not any(can_move(state, other) for other in JobState), f"{state} must be a dead end"
    assert can_move(JobState.LOST, JobState.QUEUED) and not can_move(JobState.LOST, JobState.COMPLETED)
    assert not can_move(JobState.NEW, JobState.RUNNING), "a job is queued before it runs"
    assert not can_move(JobState.RUNNING, JobState.QUEUED)
