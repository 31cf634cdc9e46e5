"""Where a job stands, decided from what Slurm says of its tasks and what its folder holds.

Pure: no Slurm, no files, no store, so every rule is tested on its own (tests/test_decide.py). The
first rule that applies wins:

1. every block is saved: COMPLETED, whatever Slurm says (a task may still be tidying up);
2. a task Slurm lost (PREEMPTED, TIMEOUT, NODE_FAIL, BOOT_FAIL, DEADLINE): LOST, resumable;
3. a cancel was asked for and the job is ending or ended: CANCELED;
4. a task cancelled although nobody here asked (scancel by hand, an administrator): LOST;
5. a task FAILED or OUT_OF_MEMORY, or a worker told `failed`: FAILED with its error;
6. Slurm no longer lists the job, or all its tasks ended, with blocks missing: LOST;
7. a task runs: RUNNING, unless no telemetry came for lost_after_s (a dead node Slurm has not noticed
   yet): LOST;
8. otherwise QUEUED.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from genesis_desktop.compute.api import JobState

from .queue import Task


@dataclass(frozen=True)
class Decision:
    state: JobState
    note: str
    cancel_rest: bool = False  # scancel what is left of the job, so that it cannot come back


def decide(tasks: Sequence[Task], *, complete: bool, cancel_requested: bool, failed: str | None = None,
           stopped: bool = False, silent_s: float | None = None, lost_after_s: float = 120.0,
           missing: int = 0) -> Decision:
    """`silent_s`: seconds since the last telemetry line (or since a task was first seen running, if
    later); None while no task runs."""
    kinds = {t.kind for t in tasks}
    ended = not tasks or kinds <= {"completed", "canceled", "failed", "lost"}
    if complete:
        return Decision(JobState.COMPLETED, "every block is saved")
    lost = [t for t in tasks if t.kind == "lost"]
    if lost:
        t = lost[0]
        return Decision(JobState.LOST, f"Slurm says {t.state} for {t.name}: {t.why}"
                        + (f" (node {t.node})" if t.node else "") + "; resume computes the missing blocks", True)
    if cancel_requested and (ended or stopped or kinds & {"canceled"}
                             or any(t.state.startswith("COMPLETING") for t in tasks)):
        return Decision(JobState.CANCELED, "canceled on request", True)
    canceled = [t for t in tasks if t.kind == "canceled"]
    if canceled:
        return Decision(JobState.LOST, f"Slurm cancelled {canceled[0].name} but no cancel was asked for here "
                        "(scancel by hand or by an administrator?); resume computes the missing blocks", True)
    bad = [t for t in tasks if t.kind == "failed"]
    if failed or bad:
        where = f"Slurm says {bad[0].state} for {bad[0].name}: {bad[0].why}" if bad else ""
        error = failed or where
        return Decision(JobState.FAILED, error if not (failed and where) else f"{failed} ({where})", True)
    if not tasks:
        return Decision(JobState.LOST, f"Slurm no longer lists the job and {missing} blocks are missing; "
                        "resume computes them")
    if ended:
        return Decision(JobState.LOST, f"its Slurm tasks ended with {missing} blocks missing; resume computes them")
    if "running" in kinds:
        if silent_s is not None and silent_s > lost_after_s:
            nodes = sorted({t.node for t in tasks if t.kind == "running" and t.node})
            return Decision(JobState.LOST, f"no telemetry from its tasks for {silent_s:.0f} s (limit "
                            f"{lost_after_s:g} s) while Slurm says RUNNING on {', '.join(nodes) or 'its node'}: "
                            "the node or the task is gone; resume computes the missing blocks", True)
        running = [t for t in tasks if t.kind == "running"]
        return Decision(JobState.RUNNING, f"running on {running[0].node or 'a node'}")
    return Decision(JobState.QUEUED, tasks[0].reason)
