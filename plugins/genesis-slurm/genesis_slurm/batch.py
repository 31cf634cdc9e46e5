"""The sbatch script of one run of a job, and what sbatch's refusals mean.

A run is one Slurm job, an array of `tasks` tasks when there are several: task I computes every
tasks-th block of the run's list from the I-th (cluster_worker.py). The job name and comment carry
the job folder, so a job can be found again from its Slurm id alone.
"""
from __future__ import annotations

import shlex
from typing import Any, Mapping

from genesis_desktop.compute.api import JobSpec, PermanentError, SpecError, TransientError

# sbatch messages that say the controller could not take the job now, not that it never will.
TRANSIENT_MARKS = ("unable to contact", "socket timed out", "connection refused", "temporarily unavailable",
                   "try again", "zero bytes were transmitted", "maxsubmit", "slurmctld not responding",
                   "communication connection failure", "not found on")


def task_count(spec: JobSpec, blocks: int, options: Mapping[str, Any]) -> int:
    """Array tasks for a run of `blocks` blocks: option `array_tasks` (default 4), never more than blocks."""
    wanted = options.get("array_tasks", 4)
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
        raise SpecError(f"slurm option array_tasks: {wanted!r} must be a whole number >= 1")
    return max(1, min(wanted, blocks))


def slurm_time(seconds: int) -> str:
    """Slurm's --time as hours:minutes:seconds, rounded up to the minute Slurm counts in."""
    minutes = -(-seconds // 60)
    return f"{minutes // 60}:{minutes % 60:02d}:00"


def directives(spec: JobSpec, job_dir: str, run: int, tasks: int, options: Mapping[str, Any]) -> list[str]:
    r = spec.resources
    lines = [f"--job-name=genesis-{run}", f"--comment=genesis:{job_dir}", f"--chdir={job_dir}",
             f"--output={job_dir}/slurm-{run}-%a.out", "--ntasks=1", "--nodes=1"]
    partition = r.partition or options.get("partition")
    if partition:
        lines.append(f"--partition={partition}")
    for name in ("account", "qos"):
        if options.get(name):
            lines.append(f"--{name}={options[name]}")
    wall = r.wall_time_s or options.get("wall_time_s")
    if wall:
        lines.append(f"--time={slurm_time(int(wall))}")
    if r.memory_mb:
        lines.append(f"--mem={r.memory_mb}M")
    if r.workers:
        lines.append(f"--cpus-per-task={r.workers}")
    if r.gpus:
        lines.append(f"--gres=gpu:{r.gpus}")
    if tasks > 1:
        lines.append(f"--array=0-{tasks - 1}")
    return lines


def script(spec: JobSpec, job_dir: str, run: int, tasks: int, options: Mapping[str, Any], python: str) -> str:
    threads = spec.resources.workers or 1
    body = [
        "#!/bin/sh",
        *(f"#SBATCH {line}" for line in directives(spec, job_dir, run, tasks, options)),
        "# Numerical libraries get the CPUs Slurm gave the task, no more.",
        *(f"export {v}={threads}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")),
        f"exec {shlex.quote(python)} -m genesis_desktop.compute.worker {shlex.quote(job_dir)} --run {run} "
        f"--task ${{SLURM_ARRAY_TASK_ID:-0}} --tasks {tasks}",
    ]
    return "\n".join(body) + "\n"


def submitted_id(stdout: str) -> str:
    """The job id from `sbatch --parsable` ("123" or "123;cluster")."""
    first = stdout.strip().split(";")[0]
    if not first.isdigit():
        raise TransientError(f"sbatch answered {stdout.strip()!r}, not a job id")
    return first


def refusal(spec: JobSpec, stderr: str, where: str) -> Exception:
    """The error for a failed sbatch: TransientError when trying later may help, else a PermanentError
    naming what was asked (an impossible GPU count, partition, memory) and sbatch's own words."""
    message = " ".join(stderr.split()) or "no message"
    if any(mark in message.lower() for mark in TRANSIENT_MARKS):
        return TransientError(f"sbatch on {where}: {message}")
    r = spec.resources
    asked = ", ".join(f"{k}={v}" for k, v in (("gpus", r.gpus), ("workers", r.workers), ("memory_mb", r.memory_mb),
                                               ("wall_time_s", r.wall_time_s), ("partition", r.partition)) if v)
    return PermanentError(f"sbatch on {where} refused the job ({asked or 'default resources'}): {message}")
