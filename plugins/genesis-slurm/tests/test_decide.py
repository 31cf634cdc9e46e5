"""Slurm's states mapped onto the program's, as plain tests of the parser and the rules.

PREEMPTED, TIMEOUT, NODE_FAIL, BOOT_FAIL, DEADLINE and OUT_OF_MEMORY cannot be provoked quickly on
a one-node test cluster (no preemption, no second node, minute-granular time limits), so the squeue
lines Slurm prints for them are written out here and go through the same parser and rules that
status() uses; the states that can be provoked (running, cancelled, vanished, lost by silence) are
covered against the real cluster in test_lost.py and the conformance suite.
"""
from __future__ import annotations

import pytest

from genesis_desktop.compute.api import JobState
from genesis_slurm.batch import refusal, slurm_time
from genesis_slurm.decide import decide
from genesis_slurm.queue import parse_scontrol, parse_squeue
from genesis_desktop.compute.api import PermanentError, TransientError
from genesis_desktop.compute.service import make_spec

pytestmark = pytest.mark.xdist_group("slurm")


def tasks(*lines: str):
    return parse_squeue("\n".join(lines)).get("12", [])


@pytest.mark.parametrize("state, words", [("PREEMPTED", "preempted"), ("TIMEOUT", "time limit"),
                                          ("NODE_FAIL", "node failed"), ("BOOT_FAIL", "failed to boot"),
                                          ("DEADLINE", "deadline")])
def test_states_where_slurm_lost_the_job_are_lost_and_resumable(state, words):
    d = decide(tasks("12_0|RUNNING|None|n1", f"12_1|{state}|None|n2"), complete=False, cancel_requested=False)
    assert d.state is JobState.LOST and state in d.note and words in d.note and "n2" in d.note and d.cancel_rest


@pytest.mark.parametrize("state", ["FAILED", "OUT_OF_MEMORY"])
def test_failed_tasks_fail_the_job_unless_every_block_is_saved(state):
    failed = tasks(f"12|{state}|NonZeroExitCode|n1")
    d = decide(failed, complete=False, cancel_requested=False)
    assert d.state is JobState.FAILED and state in d.note
    assert decide(failed, complete=True, cancel_requested=False).state is JobState.COMPLETED
    told = decide(failed, complete=False, cancel_requested=False, failed="run 1 task 0 failed: ValueError: x")
    assert told.note.startswith("run 1 task 0 failed: ValueError: x")


def test_cancelled_is_canceled_only_when_asked_for_here():
    cancelled = tasks("12_0|CANCELLED|None|n1")
    assert decide(cancelled, complete=False, cancel_requested=True).state is JobState.CANCELED
    d = decide(cancelled, complete=False, cancel_requested=False)
    assert d.state is JobState.LOST and "no cancel was asked for here" in d.note
    ending = tasks("12_0|COMPLETING|None|n1")
    assert decide(ending, complete=False, cancel_requested=True).state is JobState.CANCELED


def test_pending_and_running():
    assert decide(tasks("12_[0-3]|PENDING|Resources|"), complete=False, cancel_requested=False).state \
        is JobState.QUEUED
    assert decide(tasks("12|CONFIGURING|None|n1"), complete=False, cancel_requested=False).state is JobState.QUEUED
    running = tasks("12_0|RUNNING|None|n1", "12_1|PENDING|Resources|")
    assert decide(running, complete=False, cancel_requested=False, silent_s=1.0).state is JobState.RUNNING
    silent = decide(running, complete=False, cancel_requested=False, silent_s=200.0, lost_after_s=120)
    assert silent.state is JobState.LOST and "no telemetry from its tasks for 200 s" in silent.note


def test_a_vanished_job_is_decided_from_its_files():
    assert decide([], complete=True, cancel_requested=False).state is JobState.COMPLETED
    failed = decide([], complete=False, cancel_requested=False, failed="run 1 task 0 failed: boom")
    assert failed.state is JobState.FAILED and failed.note == "run 1 task 0 failed: boom"
    lost = decide([], complete=False, cancel_requested=False, missing=3)
    assert lost.state is JobState.LOST and "3 blocks are missing" in lost.note
    ended = decide(tasks("12_0|COMPLETED|None|n1"), complete=False, cancel_requested=False, missing=1)
    assert ended.state is JobState.LOST


def test_parsers_group_array_tasks_by_their_job():
    found = parse_squeue("12_0|RUNNING|None|n1\n12_1|PENDING|Priority|\n13|COMPLETED|None|n2\n")
    assert [t.name for t in found["12"]] == ["12_0", "12_1"] and found["13"][0].task is None
    shown = parse_scontrol("JobId=14 ArrayJobId=12 ArrayTaskId=2 JobState=TIMEOUT Reason=TimeLimit NodeList=n3\n")
    assert shown[0].name == "12_2" and shown[0].kind == "lost" and shown[0].node == "n3"


def test_sbatch_refusals_and_times():
    spec = make_spec("pi", {"blocks": 2}, seed=1)
    assert isinstance(refusal(spec, "sbatch: error: Batch job submission failed: Unable to contact slurm "
                                    "controller (connect failure)", "here"), TransientError)
    permanent = refusal(spec, "sbatch: error: Batch job submission failed: Invalid partition name specified", "h")
    assert isinstance(permanent, PermanentError) and "Invalid partition name" in str(permanent)
    assert slurm_time(61) == "0:02:00" and slurm_time(3600) == "1:00:00"
