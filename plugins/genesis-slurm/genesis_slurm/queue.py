"""What Slurm says about jobs: one `squeue` call for many jobs (array tasks listed one by one), with
`scontrol show job` for the ids squeue no longer lists, and Slurm's states mapped onto the program's.

`sacct` needs slurmdbd, which a small cluster may not run, so it is not used. Answers are cached per
process for `poll_min_s` seconds: many backend objects polling many jobs cost one squeue call.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from genesis_desktop.compute.api import TransientError

from .shell import Shell

# Slurm state -> what it means for the job. "lost" states are resumable: the blocks saved stay saved.
QUEUED_STATES = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD",
                 "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT"}
RUNNING_STATES = {"RUNNING", "COMPLETING"}
LOST_STATES = {"PREEMPTED": "preempted by another job", "TIMEOUT": "it ran past its time limit",
               "NODE_FAIL": "its node failed", "BOOT_FAIL": "its node failed to boot",
               "DEADLINE": "it missed its deadline", "REVOKED": "it was revoked by a sibling cluster",
               "SPECIAL_EXIT": "it was held with a special exit"}
FAILED_STATES = {"FAILED": "its task failed", "OUT_OF_MEMORY": "it ran out of memory"}
FORMAT = "%i|%T|%r|%N"


@dataclass(frozen=True)
class Task:
    """One Slurm job or array task: `job` is the submitted id ("123"), `task` the array index or None."""

    job: str
    task: int | None
    state: str
    reason: str
    node: str

    @property
    def name(self) -> str:
        return self.job if self.task is None else f"{self.job}_{self.task}"

    @property
    def kind(self) -> str:
        """queued, running, completed, canceled, failed, lost: the program's view of this task."""
        s = self.state.split()[0].rstrip("+") if self.state else "UNKNOWN"
        if s in QUEUED_STATES:
            return "queued"
        if s in RUNNING_STATES:
            return "running"
        if s == "COMPLETED":
            return "completed"
        if s == "CANCELLED":
            return "canceled"
        if s in FAILED_STATES:
            return "failed"
        if s in LOST_STATES:
            return "lost"
        return "queued"  # a state this table does not know yet: wait and see rather than decide

    @property
    def why(self) -> str:
        s = self.state.split()[0]
        return LOST_STATES.get(s) or FAILED_STATES.get(s) or s.lower()


def parse_squeue(text: str) -> dict[str, list[Task]]:
    """squeue -h -r -o '%i|%T|%r|%N' lines -> tasks by submitted job id. A pending array not yet split
    is listed as 123_[0-3]: one entry with task None stands for all of them."""
    found: dict[str, list[Task]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        ident, state, reason, node = (line.split("|") + ["", "", ""])[:4]
        job, _, index = ident.strip().partition("_")
        task = int(index) if index.isdigit() else None
        found.setdefault(job, []).append(Task(job, task, state.strip(), reason.strip(), node.strip()))
    return found


def parse_scontrol(text: str) -> list[Task]:
    """`scontrol show job --oneliner ID` (one line per array task) -> tasks."""
    tasks = []
    for record in text.splitlines():
        fields = dict(part.split("=", 1) for part in record.split() if "=" in part)
        if "JobId" not in fields:
            continue
        job = fields.get("ArrayJobId", fields["JobId"])
        index = fields.get("ArrayTaskId", "")
        tasks.append(Task(job, int(index) if index.isdigit() else None, fields.get("JobState", "UNKNOWN"),
                          fields.get("Reason", ""), fields.get("NodeList", "")))
    return tasks


class Queue:
    """Slurm's answers for one cluster, shared by every backend object of this process that uses it."""

    _shared: dict[tuple, "Queue"] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def of(cls, shell: Shell, key: tuple, poll_min_s: float) -> "Queue":
        with cls._shared_lock:
            queue = cls._shared.get(key)
            if queue is None:
                queue = cls._shared[key] = cls(shell)
            queue.poll_min_s = min(queue.poll_min_s, poll_min_s) if queue.poll_min_s else poll_min_s
            return queue

    def __init__(self, shell: Shell):
        self.shell = shell
        self.poll_min_s = 0.0
        self._lock = threading.Lock()
        self._asked_at = -1e9
        self._known: dict[str, list[Task]] = {}
        self._asked: set[str] = set()

    def forget(self, job: str) -> None:
        """The next look asks Slurm again (after a cancel or a submit)."""
        with self._lock:
            self._asked.discard(job)

    def tasks(self, jobs: list[str], timeout: float = 30) -> dict[str, list[Task]]:
        """Each job's tasks as Slurm lists them now; [] for a job Slurm no longer knows."""
        with self._lock:
            fresh = time.monotonic() - self._asked_at < self.poll_min_s
            if not (fresh and set(jobs) <= self._asked):
                self._refresh(sorted(set(jobs) | (self._asked if fresh else set())), timeout)
            return {j: list(self._known.get(j, [])) for j in jobs}

    def _refresh(self, jobs: list[str], timeout: float) -> None:
        done = self.shell.run(["squeue", "-h", "-t", "all", "-r", "-j", ",".join(jobs), "-o", FORMAT], timeout)
        if done.returncode and "invalid job id" not in done.stderr.lower():
            raise TransientError(f"squeue on {self.shell.where} exited {done.returncode}: {done.stderr.strip()}")
        known = parse_squeue(done.stdout if not done.returncode else "")
        for job in jobs:
            if job not in known:  # squeue forgets finished jobs after MinJobAge; scontrol may still know
                shown = self.shell.run(["scontrol", "show", "job", "--oneliner", job], timeout)
                found = parse_scontrol(shown.stdout) if not shown.returncode else []
                if found:
                    known[job] = found
        self._known, self._asked, self._asked_at = known, set(jobs), time.monotonic()

    def cancel(self, job: str, timeout: float = 30) -> None:
        done = self.shell.run(["scancel", job], timeout)
        self.forget(job)
        if done.returncode and "invalid job id" not in done.stderr.lower():
            raise TransientError(f"scancel {job} on {self.shell.where}: {done.stderr.strip()}")
