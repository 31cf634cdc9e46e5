"""Job folders on the cluster's file system, the index from Slurm ids to them, and the read cursors.

    WORK_DIR/job-<job id>-<token>/   the folder cluster_worker.py reads and writes, plus:
        meta.json                    {"job_id", "natives": [Slurm ids, oldest first], "runs": {id: run}}
        run-R.sh                     the batch script of run R
    WORK_DIR/by-id/<Slurm id>        the folder's path: a job is found from its Slurm id alone

A cursor (kept on this machine, in STATE_DIR/<folder name>.json) says how far each telemetry file
has been read and which block files were taken in, so that no line or block is reported twice, by
any backend object in any process: every sync of a job holds the cursor's lock (flock) from reading
the cursor to writing it back.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from genesis_desktop.compute.api import JobSpec, UnknownJob

from .shell import Shell


@dataclass
class JobDir:
    shell: Shell
    path: str  # as the cluster sees it

    @property
    def name(self) -> str:
        return os.path.basename(self.path.rstrip("/"))

    def file(self, *parts: str) -> str:
        return "/".join([self.path, *parts])

    def read_json(self, *parts: str) -> Any:
        data = self.shell.read(self.file(*parts))
        return None if data is None else json.loads(data)

    def write_json(self, value: Any, *parts: str) -> None:
        self.shell.write(self.file(*parts), json.dumps(value, indent=1).encode())

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.read_json("meta.json")
        if meta is None:
            raise UnknownJob(f"job folder {self.path}: no meta.json, not a job folder of this backend")
        return meta

    def spec(self) -> JobSpec:
        return JobSpec.from_json(self.read_json("spec.json"))


def create(shell: Shell, work_dir: str, job_id: int, spec: JobSpec) -> JobDir:
    folder = JobDir(shell, f"{work_dir.rstrip('/')}/job-{job_id}-{secrets.token_hex(4)}")
    folder.write_json(spec.to_json(), "spec.json")
    folder.write_json({"job_id": job_id, "natives": [], "runs": {}}, "meta.json")
    return folder


def record_native(folder: JobDir, work_dir: str, native_id: str, run: int) -> None:
    meta = folder.meta
    meta["natives"].append(native_id)
    meta["runs"][native_id] = run
    folder.write_json(meta, "meta.json")
    folder.shell.write(f"{work_dir.rstrip('/')}/by-id/{native_id}", folder.path.encode())


def find(shell: Shell, work_dir: str, native_id: str) -> JobDir:
    """The folder of a Slurm job; UnknownJob if this work folder has never seen it."""
    if not native_id.isdigit():
        raise UnknownJob(f"Slurm job id {native_id!r}: Slurm ids are numbers")
    path = shell.read(f"{work_dir.rstrip('/')}/by-id/{native_id}")
    if path is None:
        raise UnknownJob(f"Slurm job {native_id}: not a job of this backend (nothing in {work_dir}/by-id)")
    return JobDir(shell, path.decode().strip())


@dataclass
class Cursor:
    offsets: dict[str, int] = field(default_factory=dict)  # telemetry file -> bytes read (whole lines)
    blocks: dict[str, list[int]] = field(default_factory=dict)  # block file -> [size, mtime ns] taken in
    seconds: dict[str, float] = field(default_factory=dict)  # block -> compute seconds its worker told
    run: int = 0
    last_line_t: float = 0.0  # worker clock of the newest telemetry line of this run
    running_seen: dict[str, float] = field(default_factory=dict)  # task -> when first seen running
    failed: str | None = None  # the error of a `failed` line of this run
    stopped: bool = False

    def new_run(self, run: int) -> None:
        self.run, self.last_line_t, self.running_seen, self.failed, self.stopped = run, 0.0, {}, None, False


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def cursor(state_dir: Path, folder: JobDir) -> Iterator[Cursor]:
    """The job's cursor, locked against other threads and processes; saved when the block ends
    without an exception."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / f"{folder.name}.json"
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(str(path), threading.Lock())
    with lock, open(state_dir / f"{folder.name}.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            data = json.loads(path.read_text()) if path.exists() else {}
            current = Cursor(**data)
            yield current
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text(json.dumps(current.__dict__))
            os.replace(temporary, path)
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
