"""Taking a job folder's new telemetry lines and block files into the job store, once each.

Runs under the job's cursor lock (jobdir.cursor). Telemetry lines become store events in file order:
`heartbeat` -> a resource event through store.heartbeat, the others -> log lines. Block files go to
BlockIngest, which saves them, reports progress and estimates, and raises Defect for a block that
comes back with other bytes than the ones saved.
"""
from __future__ import annotations

import io
import json
import re

import numpy as np

from genesis_desktop.compute.api import BlockIngest, JobStore, telemetry

from .jobdir import Cursor, JobDir

TELEMETRY_FILE = re.compile(r"run-(\d+)\.task-(\d+)\.jsonl$")
BLOCK_FILE = re.compile(r"(\d{6})\.npz$")


def take_telemetry(store: JobStore, job_id: int, folder: JobDir, cur: Cursor, workers: int) -> None:
    files = folder.shell.listdir(folder.file("telemetry"))
    events, beat = [], False
    for name in sorted(files, key=_file_order):
        match, offset = TELEMETRY_FILE.match(name), cur.offsets.get(name, 0)
        if not match or files[name][0] <= offset:
            continue
        data = folder.shell.read(folder.file("telemetry", name), offset) or b""
        whole = data[:data.rfind(b"\n") + 1]  # a line still being written waits for the next look
        cur.offsets[name] = offset + len(whole)
        run, task = int(match[1]), int(match[2])
        for raw in whole.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                events.append(telemetry.log(f"run {run} task {task}: unreadable telemetry line {raw[:200]!r}",
                                            "warning"))
                continue
            beat |= _event(line, run, task, cur, events, workers)
    if beat:
        store.heartbeat(job_id, events)
    elif events:
        store.append(job_id, events)


def _event(line: dict, run: int, task: int, cur: Cursor, events: list, workers: int) -> bool:
    kind, who = line.get("kind"), f"run {run} task {task}"
    if run == cur.run:
        cur.last_line_t = max(cur.last_line_t, float(line.get("t", 0.0)))
    if kind == "heartbeat":
        events.append(telemetry.resource(line.get("cpu_percent"), line.get("rss_mb"), workers,
                                         line.get("gpu_util_percent"), line.get("gpu_memory_mb")))
        return True
    if kind == "start":
        events.append(telemetry.log(f"{who} started on {line.get('host')} (pid {line.get('pid')}, "
                                    f"{line.get('blocks')} blocks, arrays: {line.get('arrays')}, "
                                    f"GPUs: {line.get('gpus') or 'none'})"))
    elif kind == "block":
        cur.seconds[str(line.get("block"))] = float(line.get("seconds", 0.0))
        events.append(telemetry.log(f"{who}: block {line.get('block')} in {float(line.get('seconds', 0)):.3f} s",
                                    "debug"))
    elif kind == "failed":
        if run == cur.run:
            cur.failed = f"{who} failed: {line.get('error')}"
        events.append(telemetry.log(f"{who} failed: {line.get('error')}\n{line.get('trace', '')}".rstrip(), "error"))
    elif kind == "stopped":
        if run == cur.run:
            cur.stopped = True
        events.append(telemetry.log(f"{who} stopped on request"))
    elif kind == "done":
        events.append(telemetry.log(f"{who} done"))
    else:
        events.append(telemetry.log(f"{who}: {json.dumps(line)[:500]}", "debug"))
    return False


def take_blocks(ingest: BlockIngest, folder: JobDir, cur: Cursor) -> int:
    """New or changed block files into the store; how many were new. Defect propagates."""
    files = folder.shell.listdir(folder.file("blocks"))
    fresh = sorted(n for n, sig in files.items() if BLOCK_FILE.match(n) and cur.blocks.get(n) != list(sig))
    items = []
    for name in fresh:
        data = folder.shell.read(folder.file("blocks", name))
        if data is None:
            continue
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:  # npz written by the worker, never pickled
            partial = {k: npz[k] for k in npz.files}
        block = int(BLOCK_FILE.match(name)[1])
        items.append((block, partial, cur.seconds.get(str(block), 0.0)))
    added = ingest.add(items, run=cur.run) if items else 0
    for name in fresh:
        cur.blocks[name] = list(files[name])
    return added


def _file_order(name: str) -> tuple[int, int]:
    match = TELEMETRY_FILE.match(name)
    return (int(match[1]), int(match[2])) if match else (0, 0)
