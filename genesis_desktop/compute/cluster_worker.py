"""A job's blocks on a cluster node: `python -m genesis_desktop.compute.worker JOB_DIR --run R`.

The backend that submitted the job (Slurm) prepared JOB_DIR on a file system the node shares:

    spec.json                   the JobSpec
    run-R.blocks.json           the blocks run R must compute (those not saved when it was submitted)
    blocks/NNNNNN.npz           one finished block each, written whole (a temporary name, then renamed)
    telemetry/run-R.task-I.jsonl  what task I of run R tells, one JSON object a line, flushed at once
    cancel                      present once a cancel is asked for: tasks stop between chunks

Task I of N (a Slurm array task) takes every N-th block of the run's list, from the I-th. A block
whose file is already there is skipped. It computes with CuPy when a GPU is visible (arrays.py).
Exit status: 0 all done, 1 failed (the telemetry says why), 3 stopped on request.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

CANCEL_LOOK_S = 0.1
EXIT_DONE, EXIT_FAILED, EXIT_STOPPED = 0, 1, 3


class Teller:
    """Appends JSON lines to the task's telemetry file, from the main and the heartbeat threads."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def __call__(self, kind: str, **fields) -> None:
        line = json.dumps({"kind": kind, "t": time.time(), **fields}, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def block_path(job_dir: Path, block: int) -> Path:
    return job_dir / "blocks" / f"{block:06d}.npz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m genesis_desktop.compute.worker")
    parser.add_argument("job_dir", type=Path)
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--task", type=int, default=int(os.environ.get("SLURM_ARRAY_TASK_ID", 0)))
    parser.add_argument("--tasks", type=int, default=int(os.environ.get("SLURM_ARRAY_TASK_COUNT", 1)))
    args = parser.parse_args(argv)
    tell = Teller(args.job_dir / "telemetry" / f"run-{args.run}.task-{args.task}.jsonl")
    try:
        return _work(args, tell)
    finally:
        tell.close()


def _work(args, tell: Teller) -> int:
    from . import arrays
    from .heartbeat import Heartbeat
    from .jobs import JobSpec
    from .kernel import Stopped, stop_when
    from .kernels import kernel

    job_dir = args.job_dir
    try:
        module, why = arrays.choose()
        arrays.use(module)
        spec = JobSpec.from_json(json.loads((job_dir / "spec.json").read_text()))
        wanted = json.loads((job_dir / f"run-{args.run}.blocks.json").read_text())[args.task::args.tasks]
        k = kernel(spec.kernel)
        if k.version != spec.kernel_version:
            raise RuntimeError(f"kernel_version: the job needs {spec.kernel} {spec.kernel_version}, "
                               f"this node has {k.version}")
    except Exception as err:
        tell("failed", error=f"{type(err).__name__}: {err}", trace=traceback.format_exc())
        return EXIT_FAILED
    tell("start", host=socket.gethostname(), pid=os.getpid(), blocks=len(wanted), arrays=why,
         gpus=os.environ.get("CUDA_VISIBLE_DEVICES", ""))
    beat = Heartbeat(tell, module)
    beat.start()
    try:
        with stop_when(_cancel_file(job_dir / "cancel")):
            for block in wanted:
                target = block_path(job_dir, block)
                if target.exists():
                    continue
                started = time.perf_counter()
                partial = _host(k.run_block(spec.params, spec.seed, block))
                seconds = time.perf_counter() - started
                _write_block(target, partial)
                tell("block", block=block, seconds=seconds)
    except Stopped:
        tell("stopped")
        return EXIT_STOPPED
    except Exception as err:
        tell("failed", error=f"{type(err).__name__}: {err}", trace=traceback.format_exc())
        return EXIT_FAILED
    finally:
        beat.stop()
    tell("done")
    return EXIT_DONE


def _cancel_file(path: Path):
    """A should-stop check that looks at the file system at most every CANCEL_LOOK_S."""
    last = [0.0, False]

    def should_stop() -> bool:
        now = time.monotonic()
        if now - last[0] >= CANCEL_LOOK_S:
            last[0], last[1] = now, path.exists()
        return last[1]
    return should_stop


def _host(partial):
    from .remote import as_numpy

    return as_numpy(partial)


def _write_block(target: Path, partial) -> None:
    from .jobstore import encode_partial

    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(encode_partial(partial))
    os.replace(temporary, target)  # readers see no block or a whole one


if __name__ == "__main__":
    sys.exit(main())
