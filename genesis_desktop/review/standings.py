"""Where a call stands: the latest completed assignment or calibration run of the call, and its result.

The desktop's Reviews view shows the result of the newest run that completed; a run that failed or
was canceled after it does not hide it. Runs are found by the "call" their parameters name.
"""
from __future__ import annotations

from typing import Any

from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobRecord, JobStore

REVIEW_KERNELS = ("assignment", "calibration")


def latest_result(job_store: JobStore, kernel: str, call_number: str) -> tuple[JobRecord, dict[str, Any]] | None:
    """(record, result) of the newest COMPLETED job of `kernel` for the call, or None if there is none."""
    if kernel not in REVIEW_KERNELS:
        raise ValueError(f"kernel: {kernel!r} is not a review kernel; one of {', '.join(REVIEW_KERNELS)}")
    call_number = str(call_number)
    for record in job_store.jobs(states=[JobState.COMPLETED]):  # newest first
        if (record.spec.kernel == kernel and str(record.spec.params.get("call")) == call_number
                and record.result is not None):
            return record, record.result
    return None
