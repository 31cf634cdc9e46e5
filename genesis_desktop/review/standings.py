"""Where a call stands: the latest completed assignment or calibration run of the call, and its result.

The desktop's Reviews view shows the result of the newest run that completed; a run that failed or
was canceled after it does not hide it. Runs are found by the "call" their parameters name.
"""
from __future__ import annotations

from typing import Any, Iterable

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobRecord, JobStore

REVIEW_KERNELS = ("assignment", "calibration")


def jobs_of_call(job_store: JobStore, kernel: str, call_number: str,
                 states: Iterable[JobState] | None = None) -> list[JobRecord]:
    """The call's jobs of a review kernel (only those in `states` when given), newest first."""
    if kernel not in REVIEW_KERNELS:
        raise ValueError(f"kernel: {kernel!r} is not a review kernel; one of {', '.join(REVIEW_KERNELS)}")
    return [r for r in job_store.jobs(states=states, kernel=kernel) if str(r.spec.params.get("call")) == str(call_number)]


def latest_result(job_store: JobStore, kernel: str, call_number: str) -> tuple[JobRecord, dict[str, Any]] | None:
    """(record, result) of the newest COMPLETED job of `kernel` for the call, or None if there is none."""
    for record in jobs_of_call(job_store, kernel, call_number, [JobState.COMPLETED]):
        if record.result is not None:
            return record, record.result
    return None
