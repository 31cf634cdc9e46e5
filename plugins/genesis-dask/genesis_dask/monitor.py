"""Watching one Dask job from the process that submitted or attached to it, keeping its record current.

A JobMonitor thread wakes on what Dask hands the client (a future done, an event on the job's topic)
and saves finished blocks with BlockIngest, appends the tasks' telemetry, and moves the record:
QUEUED -> RUNNING (the first block started) -> COMPLETED | FAILED (a block raised) | CANCELED |
LOST (the client lost the scheduler and got it back neither within `lost_after_s`, nor with the
job's tasks still there). Dask itself reruns the blocks of a worker that died.

At most one monitor per job and database in a process (`claim`), so that blocks and telemetry are
not recorded twice.
"""
from __future__ import annotations

import atexit
import collections
import os
import queue
import socket
import threading
import time
import traceback
from datetime import datetime, timezone

from genesis_desktop.compute.api import BlockIngest, Defect, JobSpec, JobState, JobStore, telemetry

from .clients import client_for
from .options import DaskOptions
from .task import cancel_event_name

HOST = socket.gethostname()
WAKE_S = 0.25       # the longest the monitor sleeps when nothing happens
USAGE_S = 1.0       # one resource event a second, summed over the workers that sent a heartbeat
STATE_LOOK_S = 1.0  # how often it looks whether someone else ended the job (a cancel elsewhere)

# Seconds from a task's log_event to its line in the store, the last 10,000 (bench/bench_dask.py).
TELEMETRY_LATENCIES_S: collections.deque[float] = collections.deque(maxlen=10_000)

_monitors: dict[tuple[str, int], "JobMonitor"] = {}
_guard = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def store_id(store: JobStore) -> str:
    return str(store.engine.url)


def running(store: JobStore, job_id: int) -> "JobMonitor | None":
    with _guard:
        monitor = _monitors.get((store_id(store), job_id))
    return monitor if monitor is not None and not monitor.finished.is_set() else None


def claim(monitor: "JobMonitor") -> bool:
    """Register `monitor` as its job's, unless another one of this process watches it already."""
    with _guard:
        other = _monitors.get(monitor.ident_key)
        if other is not None and not other.finished.is_set():
            return False
        _monitors[monitor.ident_key] = monitor
        return True


def stop_monitors(timeout: float = 5.0) -> None:
    """Stop every monitor of this process (at exit; tests playing a restart): jobs go on on the cluster."""
    with _guard:
        monitors = list(_monitors.values())
    for m in monitors:
        m.stop()
    for m in monitors:
        m.join(timeout)


atexit.register(stop_monitors)  # registered after clients.py's close_clients, so it runs before it


def block_of(future_key: str) -> int:
    return int(future_key.rsplit("-", 1)[1])


class JobMonitor(threading.Thread):
    def __init__(self, store: JobStore, job_id: int, spec: JobSpec, key: str, options: DaskOptions, run: int,
                 attached: bool = False):
        super().__init__(name=f"genesis-dask-monitor-{job_id}", daemon=True)
        self.store, self.job_id, self.spec, self.key, self.options, self.run_number = \
            store, job_id, spec, key, options, run
        self.ident_key = (store_id(store), job_id)
        self.attached = attached  # to a job submitted earlier, maybe by another process
        self.address = options.scheduler
        self.client = None
        self.futures: dict[str, object] = {}
        self.finished = threading.Event()  # set when the thread has let go of the job
        self._inbox: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._usage: dict[str, tuple[float, float | None, float | None, float | None]] = {}
        self._started_running = False
        self._seen: set[tuple] = set()

    # -- set up, before start(), and again after a reconnect ------------------------------------

    def watch(self, client, futures) -> None:
        self.subscribe(client)
        self.track(futures)

    def subscribe(self, client) -> None:
        self.client = client
        client.subscribe_topic(self.key, self._on_event)

    def track(self, futures) -> None:
        self.futures = {f.key: f for f in futures}
        for f in futures:
            f.add_done_callback(self._on_done)

    def stop(self) -> None:
        self._stopping.set()
        self._inbox.put(("wake", None))

    def wake(self) -> None:
        self._inbox.put(("wake", None))

    # Called on the client's threads: hand over only, never block there.
    def _on_event(self, event) -> None:
        self._inbox.put(("event", event))

    def _on_done(self, future) -> None:
        self._inbox.put(("done", future.key))

    # -- the thread -----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._watch()
        except Exception as err:  # a database or programming error: say so on the job, never die silently
            self.store.append(self.job_id, [telemetry.log(f"the dask monitor failed: {type(err).__name__}: {err}\n"
                                                          f"{traceback.format_exc()}", "error")])
            self.store.transition(self.job_id, JobState.LOST, f"the dask monitor in process {os.getpid()} failed: "
                                  f"{type(err).__name__}: {err}")
        finally:
            self._let_go()

    def _watch(self) -> None:
        ingest = BlockIngest(self.store, self.job_id, self.spec)
        if self.attached:
            self._catch_up()
        last_usage = last_look = time.monotonic()
        while not self._stopping.is_set():
            try:
                items = [self._inbox.get(timeout=WAKE_S)]
            except queue.Empty:
                items = []
            while not self._inbox.empty():
                items.append(self._inbox.get_nowait())
            self._tell([item[1] for kind, item in items if kind == "event"])
            outcome = self._collect(ingest)
            if outcome == "final":
                return
            if outcome == "lost" or self.client.status != "running":
                if not self._recover(ingest):
                    return
            now = time.monotonic()
            if now - last_usage >= USAGE_S:
                last_usage = now
                self._report_usage(now)
            if now - last_look >= STATE_LOOK_S:
                last_look = now
                if self.store.get(self.job_id).state.is_final:
                    return

    def _catch_up(self) -> None:
        """An attaching monitor missed the events sent before it subscribed: was a block started? Their
        log lines were the earlier watcher's to write, so they count as seen."""
        try:
            events = [msg for _, msg in self.client.get_events(self.key) if isinstance(msg, dict)]
        except Exception:
            return
        self._seen.update(_event_id(msg) for msg in events)
        if any(msg.get("kind") == "started" for msg in events) and \
                self.store.get(self.job_id).state is JobState.QUEUED:
            self._running("a block started before this process attached")

    def _collect(self, ingest: BlockIngest) -> str | None:
        """Ingest what finished; "final" once the job is, "lost" if the client lost the futures."""
        finished = [f for f in self.futures.values() if f.status == "finished"]
        if finished:
            try:  # one round trip for all, and one transaction to save them
                results = self.client.gather(finished)
            except Exception:  # fetching from the workers failed: the scheduler or a worker went away
                return "lost" if self.client.status != "running" else None
            for f in finished:
                del self.futures[f.key]
            stopped = [block for block, partial, _ in results if partial is None]
            if stopped:
                return self._end(JobState.CANCELED, f"block {stopped[0]} stopped on request")
            try:
                ingest.add(results, self.run_number)
            except Defect as defect:
                ingest.fail_with_defect(defect)
                return self._end(None, "")
        for fkey, future in list(self.futures.items()):
            status = future.status
            if status in ("pending", "finished"):  # finished meanwhile: the next round takes it
                continue
            if status == "error":
                if self.store.cancel_requested(self.job_id):
                    return self._end(JobState.CANCELED, "canceled on request")
                return self._failed(fkey, future)
            else:  # cancelled or lost: by a cancel, or by the client when it lost the scheduler
                if self.store.cancel_requested(self.job_id):
                    return self._end(JobState.CANCELED, "canceled on request")
                return "lost"
        if ingest.complete:
            self._missed_events()  # before the final state, which must be the job's last event
            ingest.finish()  # refused if someone else ended the job first: fine either way
            return "final"
        return None

    def _missed_events(self) -> None:
        """Events the scheduler forwarded after the results (a worker's event stream lags its results
        at times), fetched from its event log."""
        try:
            events = self.client.get_events(self.key)
        except Exception:
            return
        self._tell([msg for _, msg in events if isinstance(msg, dict) and msg.get("kind") != "heartbeat"])

    def _failed(self, fkey: str, future) -> str:
        err = future.exception()
        trace = "".join(traceback.format_tb(future.traceback())) if future.traceback() else ""
        what = f"block {block_of(fkey)} failed: {type(err).__name__}: {err}"
        self.store.append(self.job_id, [telemetry.log(what, "error"),
                                        telemetry.log(f"traceback of block {block_of(fkey)}:\n{trace}", "error")])
        return self._end(JobState.FAILED, what, error=what)

    def _end(self, state: JobState | None, note: str, **columns) -> str:
        """Stop what still runs of the job and record `state` (None: already recorded)."""
        if state is not None:
            self.store.transition(self.job_id, state, note, **columns)
        stop_tasks(self.client, self.key, list(self.futures.values()))
        return "final"

    def _recover(self, ingest: BlockIngest) -> bool:
        """The scheduler is out of reach: get it and the job's tasks back within lost_after_s, or LOST."""
        self.store.append(self.job_id, [telemetry.log(
            f"lost the connection to the dask scheduler {self.address}; trying again for "
            f"{self.options.lost_after_s:g} s", "warning")])
        deadline = time.monotonic() + self.options.lost_after_s
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                self.store.transition(self.job_id, JobState.LOST,
                                      f"lost the dask scheduler {self.address}: not back within "
                                      f"{self.options.lost_after_s:g} s")
                return False
            try:
                client = client_for(self.address, min(left, self.options.connect_timeout_s, 2.0))
                futures = client.get_dataset(self.key)
            except KeyError:
                self.store.transition(self.job_id, JobState.LOST,
                                      f"the dask scheduler {self.address} came back without job {self.key}'s tasks "
                                      "(it restarted); resume computes the blocks not saved")
                return False
            except Exception:  # TransientError, a connection dropped again: try until the deadline
                self._stopping.wait(0.25)
                continue
            self.watch(client, [f for f in futures if block_of(f.key) not in ingest.done])
            self.store.append(self.job_id, [telemetry.log(f"reconnected to the dask scheduler {self.address}")])
            return True
        return False

    # -- telemetry from the tasks ---------------------------------------------------------------

    def _tell(self, messages: list) -> None:
        """The tasks' events, as log lines in one append (and heartbeats kept for _report_usage)."""
        lines, sent = [], []
        for msg in messages:
            if not isinstance(msg, dict) or _event_id(msg) in self._seen:
                continue
            kind, block, worker = msg.get("kind"), msg.get("block"), msg.get("worker")
            if kind == "heartbeat":
                self._usage[worker] = (time.monotonic(), msg.get("cpu_percent"), msg.get("rss_mb"),
                                       msg.get("gpu_memory_mb"))
                continue
            if kind == "started":
                self._running(f"block {block} started on {worker}")  # the state change comes first
                line = f"block {block} started on {worker} ({msg.get('arrays')})"
            elif kind == "finished":
                line = f"block {block} finished on {worker} in {msg.get('seconds', 0):.3f} s"
            elif kind == "stopped":
                line = f"block {block} stopped on request on {worker} after {msg.get('seconds', 0):.3f} s"
            else:
                continue
            self._seen.add(_event_id(msg))
            lines.append(telemetry.log(line))
            sent.append(msg.get("t"))
        if lines:
            self.store.append(self.job_id, lines)
            now = time.time()
            TELEMETRY_LATENCIES_S.extend(now - t for t in sent if isinstance(t, float))

    def _running(self, note: str) -> None:
        if not self._started_running:
            self._started_running = True
            self.store.transition(self.job_id, JobState.RUNNING, note)  # refused unless QUEUED: fine

    def _report_usage(self, now: float) -> None:
        fresh = [u for u in self._usage.values() if now - u[0] <= 2 * USAGE_S]
        if fresh:
            known = lambda i: [u[i] for u in fresh if u[i] is not None]  # noqa: E731
            cpu, rss, gpu = known(1), known(2), known(3)
            self.store.heartbeat(self.job_id, [telemetry.resource(
                sum(cpu) if cpu else None, sum(rss) if rss else None, len(fresh), None, sum(gpu) if gpu else None)])
        else:  # no block runs (queued behind others): still say that someone watches the job
            self.store.set_fields(self.job_id, heartbeat_at=utcnow())

    # -- the end --------------------------------------------------------------------------------

    def _let_go(self) -> None:
        client = self.client
        try:
            if client is not None and client.status == "running":
                client.unsubscribe_topic(self.key)
                if self.store.get(self.job_id).state.is_final:
                    client.unpublish_dataset(self.key)
        except Exception:
            pass  # the scheduler went away meanwhile: it forgot the job anyway
        try:
            if not self.store.get(self.job_id).state.is_final:
                # Watched by nobody now: the next status() in any process attaches again.
                self.store.set_fields(self.job_id, owner_pid=None, owner_host=None)
        except Exception:
            pass
        self.futures.clear()  # releases the keys this client held
        self.finished.set()
        with _guard:
            if _monitors.get(self.ident_key) is self:
                del _monitors[self.ident_key]


def _event_id(msg: dict) -> tuple:
    return msg.get("kind"), msg.get("block"), msg.get("t")


def stop_tasks(client, key: str, futures: list) -> str | None:
    """Running blocks stop at their next checkpoint (the Event); queued ones never start (cancel, forced
    because the published dataset also holds them). Best effort: why it could not, or None."""
    from distributed import Event

    if client is None or client.status != "running":
        return "not connected to the scheduler"
    try:
        Event(cancel_event_name(key), client=client).set()
        if futures:
            client.cancel(futures, force=True)
        client.unpublish_dataset(key)
    except KeyError:
        pass  # not published (any more)
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None
