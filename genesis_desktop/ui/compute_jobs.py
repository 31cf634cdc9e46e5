"""The job list of the Compute view as a table, and one job's details as text. Qt-free reads.

Unfinished jobs are first brought up to date by their backends (`service.refresh`), so a job whose
runner died shows as LOST here, as in `genesis jobs list`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from genesis_desktop.compute import service
from genesis_desktop.compute.jobs import JobState
from genesis_desktop.compute.jobstore import JobRecord, JobStore, utcnow
from genesis_desktop.compute.telemetry import Kind

from .columns import ColumnSpec

JOB_COLUMNS = (
    ColumnSpec("id", "Job", "int", filterable=False),
    ColumnSpec("kernel", "Kernel", filter_by="choice"),
    ColumnSpec("backend", "Backend", filter_by="choice"),
    ColumnSpec("state", "State", "enum", order=tuple(s.value for s in JobState)),
    ColumnSpec("progress", "Progress", "float", text_key="progress_text", filterable=False),
    ColumnSpec("time_left", "Time left", "float", text_key="time_left_text", filterable=False),
    ColumnSpec("throughput", "Blocks/min", "float", text_key="throughput_text", filterable=False),
    ColumnSpec("seed", "Seed", "int", filterable=False),
    ColumnSpec("started", "Started"),
    ColumnSpec("ended", "Ended"),
    ColumnSpec("note", "Note", stretch=True),
)
JOB_TABLES = frozenset({"job", "job_block", "job_state_change"})


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def _note(record: JobRecord) -> str:
    if record.error:
        # Tracebacks and multi-line messages: the first line that says something.
        return next((line.strip() for line in record.error.splitlines() if line.strip()), record.error)
    if record.fallback_reason:
        return f"ran on {record.backend} instead of {record.requested_backend}: {record.fallback_reason}"
    return ""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _pace(r: JobRecord, now: datetime) -> tuple[float, float]:
    """(blocks per minute, seconds left) from the blocks done since the job was created; NaN if unknown.

    The average over the whole run, not the last block: a remote queue's wait counts, as it does
    for the person waiting.
    """
    end = r.updated_at if r.state.is_final else now
    elapsed = (end - r.created_at).total_seconds() if r.created_at else 0.0
    if elapsed <= 0 or not r.blocks_done:
        return float("nan"), float("nan")
    rate = r.blocks_done / elapsed * 60
    return rate, (0.0 if r.state.is_final else (r.spec.blocks - r.blocks_done) / rate * 60)


def jobs_frame(engine: Engine, safe_mode: bool = False) -> pd.DataFrame:
    """One row per job, newest first."""
    store = JobStore(engine)
    records = service.refresh(store, store.jobs(), safe_mode=safe_mode)
    now = utcnow()
    rows = []
    for r in records:
        total = max(r.spec.blocks, 1)
        backend = r.backend if r.backend == r.requested_backend else f"{r.backend} (fallback)"
        rate, left = _pace(r, now)
        rows.append({
            "id": r.id, "kernel": r.spec.kernel, "backend": backend, "state": r.state.value,
            "progress": r.blocks_done / total, "progress_text": f"{r.blocks_done}/{r.spec.blocks} blocks",
            "time_left": left, "time_left_text": "" if left != left or r.state.is_final else _duration(left),
            "throughput": rate, "throughput_text": "" if rate != rate else f"{rate:,.3g}",
            "seed": r.spec.seed, "started": _when(r.created_at),
            "ended": _when(r.updated_at) if r.state.is_final else "", "note": _note(r),
        })
    columns = [c.key for c in JOB_COLUMNS] + [c.text_key for c in JOB_COLUMNS if c.text_key]
    return pd.DataFrame(rows, columns=columns).sort_values("id", ascending=False, ignore_index=True)


def job_details(engine: Engine, job_id: int, log_lines: int = 12) -> str:
    """What a program officer wants to know about one job: spec, history, estimates, result, log tail."""
    store = JobStore(engine)
    r = store.get(job_id)
    lines = [f"Job {r.id}: {r.spec.kernel} {r.spec.kernel_version}, seed {r.spec.seed}, "
             f"{r.spec.blocks} blocks — {r.state.value.upper()} on {r.backend}"]
    if r.fallback_reason:
        lines.append(f"Fell back from {r.requested_backend}: {r.fallback_reason}")
    if r.error:
        lines.append(f"Error: {r.error}")
    lines.append("History: " + "; ".join(f"{c.state.value} {_when(c.changed_at)}" for c in store.history(job_id)))
    latest: dict[str, dict] = {}
    logs: list[str] = []
    for event in store.telemetry(job_id):
        if event.kind is Kind.ESTIMATE:
            latest[event.payload["name"]] = event.payload
        elif event.kind is Kind.LOG:
            logs.append(f"{_when(event.at)} {event.payload['level']}: {event.payload['line']}")
    for name, e in latest.items():
        lines.append(f"{name}: {e['value']:,.6g} (95% {e['low']:,.6g} to {e['high']:,.6g}, {e['samples']:,} samples)")
    if r.result:
        shown = {k: v for k, v in r.result.items() if not isinstance(v, (list, dict))}
        lines.append("Result: " + ", ".join(f"{k} = {v:,.6g}" if isinstance(v, float) else f"{k} = {v}"
                                            for k, v in shown.items()))
    if logs:
        lines.append("Log:")
        lines.extend(logs[-log_lines:])
    return "\n".join(lines)


@dataclass(frozen=True)
class JobTelemetry:
    """What the live plots of one job need from one poll: its state and the events since the last."""

    job_id: int
    label: str
    state: str
    error: str | None
    events: list
    more: bool  # the poll stopped at its limit: ask again at once


def telemetry_since(engine: Engine, cursors: dict[int, int], limit: int = 20_000) -> list[JobTelemetry]:
    """Each job's events after its cursor (a sequence number), at most `limit` per job and poll."""
    store = JobStore(engine)
    found = []
    for job_id, since in cursors.items():
        r = store.get(job_id)
        events = store.telemetry(job_id, since, limit=limit)
        found.append(JobTelemetry(job_id, f"#{job_id} {r.spec.kernel} on {r.backend}", r.state.value, r.error,
                                  events, len(events) == limit))
    return found
