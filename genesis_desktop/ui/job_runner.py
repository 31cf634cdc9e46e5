"""Running compute jobs from a view: submit off the GUI thread, follow until each ends.

Submitting happens in a worker (desk.load); following is a poll of the job records every half second
while a job is unfinished, also in a worker. Nothing waits on the GUI thread. A submitted job is
announced as a write to "job", so the Compute view lists it at once and follows it live. The
Standings and Portfolio views both run their jobs through it.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.jobstore import JobRecord, JobStore

from .desk import Desk

POLL_MS = 500


class JobRunner(QObject):
    """Submits jobs off the GUI thread and says when each one it follows has ended."""

    finished = Signal(object)  # the final JobRecord

    def __init__(self, desk: Desk, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk, self.name = desk, name
        self.backends: list = []  # those running jobs started here: closed when the window closes
        self.watched: set[int] = set()
        self._polling = False
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._poll)

    def submit(self, kernel: str, make_params: Callable[[], dict], seed: int,
               on_started: Callable[[Any], None], on_failed: Callable[[str], None]) -> None:
        """Make the parameters from the records and submit, in a worker; `on_started(Submitted)`."""
        engine, safe_mode, running = self.desk.engine, self.desk.safe_mode, self.backends

        def work():
            spec = service.make_spec(kernel, make_params(), seed=seed)
            submitted = service.submit(JobStore(engine), spec, backend=registry.BUILTIN, safe_mode=safe_mode)
            running.append(submitted.backend)  # here, so that closing the window stops it in any case
            return submitted

        def started(submitted) -> None:
            self.follow(submitted.job_id)
            self.desk.announce({"job"})
            on_started(submitted)

        self.desk.load(f"{self.name}-submit-{kernel}", work, started, on_failed)

    def follow(self, job_id: int) -> None:
        self.watched.add(job_id)
        self.timer.start()

    def _poll(self) -> None:
        if self._polling or not self.watched:
            return
        engine, safe_mode, ids = self.desk.engine, self.desk.safe_mode, sorted(self.watched)

        def read() -> list[JobRecord]:
            store = JobStore(engine)
            return service.refresh(store, [store.get(i) for i in ids], safe_mode=safe_mode)

        self._polling = True
        self.desk.load(f"{self.name}-poll", read, self._polled, self._poll_failed)

    def _polled(self, records: list[JobRecord]) -> None:
        self._polling = False
        for record in records:
            if record.state.is_final and record.id in self.watched:
                self.watched.discard(record.id)
                self.desk.announce({"job"})
                self.finished.emit(record)
        if not self.watched:
            self.timer.stop()

    def _poll_failed(self, _message: str) -> None:
        self._polling = False  # tried again at the next tick

    def shutdown(self) -> None:
        self.timer.stop()
        for backend in self.backends:
            backend.close()
        self.backends.clear()
