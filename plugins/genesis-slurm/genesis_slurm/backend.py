"""SlurmBackend: jobs as Slurm batch jobs (arrays over the blocks), followed through their job folders.

A job's native id is the Slurm id of its latest run; the ids of earlier runs stay valid (jobdir's
index maps every one of them to the folder, and the folder's meta.json to the job). `status` asks
Slurm once for all the jobs it is given, takes in each job's new telemetry lines and block files
under the job's cursor lock, decides the state (decide.py) and moves the store's record.

Options (settings.py table [slurm]): host, user, port, key_file, connect_timeout_s (SSH; no host: this
machine); slurm_conf (exported as SLURM_CONF); python (on the nodes; default this interpreter when
local, python3 over SSH); work_dir (a folder the nodes share; default ~/.cache/genesis/slurm);
state_dir (this machine's cursors; default work_dir/.cursors when local); partition, account, qos,
wall_time_s; array_tasks (default 4); lost_after_s (default 120); poll_min_s (default 0.5: the least
time between two squeue calls of this process); command_timeout_s (default 30).
"""
from __future__ import annotations

import hashlib
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from genesis_desktop.compute.api import (Backend, BlockIngest, Defect, Event, JobRecord, JobSpec, JobState, JobStore,
                                         Manifest, PermanentError, Probe, TransientError, UnknownJob,
                                         check_spec)

from . import batch, jobdir
from .decide import decide
from .queue import Queue, Task
from .shell import make_shell
from .sync import take_blocks, take_telemetry

RESUMABLE = {JobState.LOST, JobState.CANCELED}


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class SlurmBackend(Backend):
    def __init__(self, store: JobStore | None, manifest: Manifest, options: Mapping[str, Any] | None = None):
        super().__init__(store, manifest, options)
        o = self.options
        self.shell = make_shell(o)
        remote = bool(o.get("host"))
        self.python = str(o.get("python") or ("python3" if remote else sys.executable))
        default_work = ".cache/genesis/slurm" if remote else str(_cache_home() / "genesis" / "slurm")
        self.work_dir = self.shell.absolute(str(o.get("work_dir") or default_work))
        if o.get("state_dir"):
            self.state_dir = Path(o["state_dir"]).expanduser()
        elif remote:
            where = hashlib.sha1(f"{self.shell.where}:{self.work_dir}".encode()).hexdigest()[:12]
            self.state_dir = _cache_home() / "genesis" / "slurm-cursors" / where
        else:
            self.state_dir = Path(self.work_dir) / ".cursors"
        self.lost_after_s = float(o.get("lost_after_s", 120.0))
        self.timeout_s = float(o.get("command_timeout_s", 30.0))
        key = (o.get("host"), o.get("port"), o.get("user"), o.get("slurm_conf"))
        self.queue = Queue.of(self.shell, key, float(o.get("poll_min_s", 0.5)))
        self._lock = threading.Lock()
        self._ingests: dict[int, BlockIngest] = {}
        self._known: dict[str, tuple[jobdir.JobDir, int]] = {}  # Slurm id -> (folder, job id)

    # -- the contract ---------------------------------------------------------------------------

    def probe(self, timeout: float) -> Probe:
        script = "sinfo --version && scontrol ping && sinfo -h -N -o '%N|%P|%T'"
        try:
            done = self.shell.run(["sh", "-c", script], max(0.1, timeout - 0.2))
        except TransientError as err:
            return Probe(False, str(err))
        if done.returncode:
            return Probe(False, f"Slurm on {self.shell.where} does not answer: "
                                f"{' '.join((done.stderr or done.stdout).split()) or f'exit {done.returncode}'}")
        lines = done.stdout.splitlines()
        version = lines[0].strip() if lines else "slurm"
        ping = next((line for line in lines if " at " in line and "UP" in line), "")
        host = ping.split(" at ")[1].split()[0] if ping else self.shell.where
        rows = [line.split("|") for line in lines if line.count("|") == 2]
        partitions = list(dict.fromkeys(p.rstrip("*") for _, p, _ in rows))
        idle = {n for n, _, s in rows if s.rstrip("*") == "idle"}
        number = version.split()[1] if len(version.split()) > 1 else "?"
        return Probe(True, f"slurm {'.'.join(number.split('.')[:2])} at {host}: partitions "
                           f"{', '.join(partitions) or 'none'}; {len(idle)} idle nodes")

    def validate(self, spec: JobSpec) -> None:
        check_spec(spec, self.manifest)
        batch.task_count(spec, spec.blocks, self.options)

    def submit(self, spec: JobSpec, job_id: int) -> str:
        self.validate(spec)
        record = self.store.get(job_id)
        if record.state is not JobState.NEW:
            raise PermanentError(f"job {job_id} is {record.state.value}; only a new job can be submitted")
        try:
            folder = jobdir.create(self.shell, self.work_dir, job_id, spec)
        except OSError as err:
            raise PermanentError(f"slurm work_dir {self.work_dir}: cannot write the job folder ({err})") from None
        run = record.run + 1
        native = self._sbatch(folder, spec, run, list(range(spec.blocks)))
        if not self.store.transition(job_id, JobState.QUEUED, f"Slurm job {native} (run {run})",
                                     native_id=native, run=run):
            self.queue.cancel(native, self.timeout_s)
            raise PermanentError(f"job {job_id} moved on while it was submitted; Slurm job {native} canceled")
        return native

    def status(self, native_ids: Sequence[str]) -> dict[str, JobState]:
        answers: dict[str, JobState] = {}
        open_jobs: dict[int, tuple[JobRecord, jobdir.JobDir]] = {}
        for native in native_ids:
            try:
                folder, job_id = self._resolve(native)
            except UnknownJob:
                answers[native] = JobState.LOST  # a job this backend can no longer see
                continue
            record = self.store.get(job_id)
            if record.state.is_final:
                answers[native] = record.state
            else:
                open_jobs[job_id] = (record, folder)
        if open_jobs:
            tasks = self.queue.tasks(sorted({r.native_id for r, _ in open_jobs.values()}), self.timeout_s)
            states = {job_id: self._sync(folder, job_id, tasks.get(record.native_id, []))
                      for job_id, (record, folder) in open_jobs.items()}
            for native in native_ids:
                if native not in answers:
                    answers[native] = states[self._known[native][1]]
        return answers

    def cancel(self, native_id: str) -> None:
        folder, job_id = self._resolve(native_id)
        record = self.store.get(job_id)
        if record.state.is_final:
            return
        self.store.request_cancel(job_id, by=f"pid {os.getpid()} on {socket.gethostname()}")
        folder.shell.write(folder.file("cancel"), b"cancel requested\n")  # tasks stop between chunks
        self.queue.cancel(record.native_id, self.timeout_s)

    def attach(self, native_id: str) -> JobState:
        folder, job_id = self._resolve(native_id)
        return self.status([native_id])[native_id]

    def telemetry(self, native_id: str, since_seq: int = 0) -> list[Event]:
        job_id = self._resolve(native_id)[1]
        self.status([native_id])
        return self.store.telemetry(job_id, since_seq)

    def result(self, native_id: str) -> dict[str, Any]:
        state = self.status([native_id])[native_id]
        record = self.store.get(self._resolve(native_id)[1])
        if state is not JobState.COMPLETED:
            raise PermanentError(f"job {record.id} (Slurm {native_id}) is {record.state.value}; "
                                 "only a completed job has a result")
        return record.result

    def resume(self, native_id: str) -> None:
        """Run a LOST or CANCELED job again as a new Slurm job computing only the blocks not saved."""
        self.status([native_id])
        folder, job_id = self._resolve(native_id)
        record = self.store.get(job_id)
        if record.state not in RESUMABLE:
            raise PermanentError(f"job {job_id} (Slurm {native_id}) is {record.state.value}; "
                                 "only a lost or canceled job can be resumed")
        self.validate(record.spec)
        with jobdir.cursor(self.state_dir, folder) as cur:  # blocks written after the job was declared lost
            ingest = self._ingest(self.store.get(job_id))
            take_blocks(ingest, folder, cur)
        folder.shell.remove(folder.file("cancel"))
        run, missing = record.run + 1, ingest.missing
        if not missing:
            self.store.transition(job_id, JobState.QUEUED, "resumed: every block was already saved",
                                  cancel_requested_at=None, error=None)
            ingest.finish()
            return
        native = self._sbatch(folder, record.spec, run, missing)
        if not self.store.transition(job_id, JobState.QUEUED, f"resumed as Slurm job {native} (run {run}): "
                                     f"{len(missing)} of {record.spec.blocks} blocks to compute",
                                     native_id=native, run=run, cancel_requested_at=None, error=None):
            self.queue.cancel(native, self.timeout_s)
            raise PermanentError(f"job {job_id} was resumed by someone else first")

    # -- helpers --------------------------------------------------------------------------------

    def _sbatch(self, folder: jobdir.JobDir, spec: JobSpec, run: int, blocks: list[int]) -> str:
        tasks = batch.task_count(spec, len(blocks), self.options)
        folder.write_json(blocks, f"run-{run}.blocks.json")
        path = folder.file(f"run-{run}.sh")
        folder.shell.write(path, batch.script(spec, folder.path, run, tasks, self.options, self.python).encode())
        done = self.shell.run(["sbatch", "--parsable", path], self.timeout_s)
        if done.returncode:
            raise batch.refusal(spec, done.stderr or done.stdout, self.shell.where)
        native = batch.submitted_id(done.stdout)
        jobdir.record_native(folder, self.work_dir, native, run)
        self.queue.forget(native)
        return native

    def _resolve(self, native_id: str) -> tuple[jobdir.JobDir, int]:
        """The folder and job of a Slurm id, checked against the store: UnknownJob if they do not match."""
        native_id = str(native_id)
        with self._lock:
            known = self._known.get(native_id)
        if known:
            return known
        folder = jobdir.find(self.shell, self.work_dir, native_id)
        meta = folder.meta
        try:
            record = self.store.get(meta["job_id"])
        except UnknownJob:
            raise UnknownJob(f"Slurm job {native_id}: its job {meta['job_id']} is not in this job store") from None
        if record.backend != self.name or record.native_id not in meta["natives"]:
            raise UnknownJob(f"Slurm job {native_id}: job {record.id} of this store is another job "
                             f"(backend {record.backend}, native id {record.native_id})")
        with self._lock:
            self._known[native_id] = (folder, record.id)
        return folder, record.id

    def _ingest(self, record: JobRecord) -> BlockIngest:
        with self._lock:
            ingest = self._ingests.get(record.id)
            if ingest is None or len(ingest.done) != record.blocks_done:  # another process saved blocks
                ingest = self._ingests[record.id] = BlockIngest(self.store, record.id, record.spec)
            return ingest

    def _sync(self, folder: jobdir.JobDir, job_id: int, tasks: list[Task]) -> JobState:
        with jobdir.cursor(self.state_dir, folder) as cur:
            record = self.store.get(job_id)  # again, under the lock: another process may have moved it
            if record.state.is_final:
                return record.state
            if cur.run != record.run:
                cur.new_run(record.run)
            take_telemetry(self.store, job_id, folder, cur, record.spec.resources.workers or 1)
            ingest = self._ingest(record)
            try:
                take_blocks(ingest, folder, cur)
            except Defect as defect:
                ingest.fail_with_defect(defect)
                self._cancel_quietly(record.native_id)
                return JobState.FAILED
            now = time.time()
            running = [t.name for t in tasks if t.kind == "running"]
            for name in running:
                cur.running_seen.setdefault(name, now)
            silent = now - max([cur.last_line_t] + [cur.running_seen[n] for n in running]) if running else None
            decision = decide(tasks, complete=ingest.complete, cancel_requested=record.cancel_requested_at is not None,
                              failed=cur.failed, stopped=cur.stopped, silent_s=silent,
                              lost_after_s=self.lost_after_s, missing=len(ingest.missing))
            if decision.state is JobState.COMPLETED:
                ingest.finish()
            elif decision.state is JobState.RUNNING:
                if record.state is JobState.QUEUED:
                    self.store.transition(job_id, JobState.RUNNING, f"Slurm job {record.native_id} {decision.note}")
            elif decision.state is not JobState.QUEUED:
                extra = {"error": decision.note} if decision.state is JobState.FAILED else {}
                self.store.transition(job_id, decision.state, decision.note, **extra)
            if decision.cancel_rest and decision.state is not JobState.COMPLETED:
                self._cancel_quietly(record.native_id)
            return self.store.get(job_id).state

    def _cancel_quietly(self, native_id: str) -> None:
        """scancel what is left of a job that has been decided, so that it cannot come back."""
        try:
            self.queue.cancel(native_id, self.timeout_s)
        except TransientError:
            pass  # the record is decided already; a task left behind finds its blocks saved
