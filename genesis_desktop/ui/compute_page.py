"""The Compute view: the jobs, starting a run, cancelling, rerunning and resuming, and live plots.

Jobs started here run on the backend chosen (the local one runs its blocks in worker processes
owned by this program); the list refreshes every second while a job is unfinished. Submitting,
cancelling and reading details all happen off the GUI thread. Below the list, the selected jobs'
telemetry is plotted live (telemetry_panel), with their log and errors; a Details tab keeps each
job's history, latest estimates and result as text.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter, QTabWidget,
    QVBoxLayout, QWidget,
)

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import Backend
from genesis_desktop.compute.jobs import RESUMABLE_STATES, JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.risk_inputs import risk_params_from_portfolio

from .compute_jobs import JOB_COLUMNS, JOB_TABLES, job_details, jobs_frame
from .compute_run_dialog import RunJobDialog
from .desk import Desk
from .page import Page
from .queries import TableViewSpec
from .table_model import RAW
from .table_page import TablePage
from .telemetry_panel import TelemetryPanel

REFRESH_MS = 1000


class ComputePage(Page):
    tables = JOB_TABLES

    def __init__(self, desk: Desk, parent=None) -> None:
        super().__init__(desk, "compute", "Compute", "compute", parent)
        self.safe_mode = safe_mode = desk.safe_mode
        self._backends: list[Backend] = []  # those running jobs this program started
        self._selected_id: int | None = None
        self._selected_ids: list[int] = []  # kept across the list's refreshes, which reset the rows
        spec = TableViewSpec("jobs", "Jobs", "jobs", "compute",
                             lambda engine: jobs_frame(engine, safe_mode), JOB_COLUMNS, JOB_TABLES)
        self.jobs = TablePage(desk, spec, self)
        self.jobs.state_changed.connect(self._jobs_changed)
        self.jobs.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.jobs.table.selectionModel().selectionChanged.connect(self._show_details)

        self.run_button = QPushButton("&Run…", objectName="runJob")
        self.run_button.setToolTip("Start a run: kernel, parameters, backend and seed")
        self.cancel_button = QPushButton("&Cancel job", objectName="cancelJob")
        self.rerun_button = QPushButton("Re&run", objectName="rerunJob")
        self.resume_button = QPushButton("Res&ume", objectName="resumeJob")
        self.run_button.clicked.connect(self.ask_and_run)
        self.cancel_button.clicked.connect(lambda: self._on_selected(self.cancel_job))
        self.rerun_button.clicked.connect(lambda: self._on_selected(self.rerun_job))
        self.resume_button.clicked.connect(lambda: self._on_selected(self.resume_job))
        # A run that fell back to this computer says so where the officer looks, not only in the log.
        self.notice = QLabel(objectName="fallbackNotice", wordWrap=True, visible=False)
        self.notice.setAccessibleName("Backend notice")
        self.notice.setStyleSheet("QLabel#fallbackNotice { background: #FFF4CE; color: #3B2F00; "
                                  "border: 1px solid #E0B000; border-radius: 4px; padding: 6px 10px; "
                                  "margin: 6px 12px 0 12px; }")
        self.details = QPlainTextEdit(readOnly=True, objectName="jobDetails")
        self.details.setAccessibleName("Job details")
        self.details.setPlaceholderText("Select a job to see its history, estimates and log.")

        buttons = QHBoxLayout()
        for button in (self.run_button, self.cancel_button, self.rerun_button, self.resume_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.jobs)
        self.telemetry = TelemetryPanel(desk)
        self.tabs = QTabWidget(objectName="jobTabs")
        self.tabs.addTab(self.telemetry, "&Live telemetry")
        self.tabs.addTab(self.details, "De&tails")
        tabs_box = QWidget()
        tabs_layout = QVBoxLayout(tabs_box)
        tabs_layout.setContentsMargins(12, 0, 12, 0)
        tabs_layout.addWidget(self.tabs)
        splitter.addWidget(tabs_box)
        splitter.setSizes([260, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        buttons.setContentsMargins(12, 0, 12, 0)

        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.jobs.reload)
        self._update_buttons()

    # Page -------------------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self.jobs.is_loaded

    def pages(self):
        yield self
        yield self.jobs

    def reload(self) -> None:
        self.jobs.reload()

    def status_text(self) -> str:
        return self.jobs.status_text()

    def focus_filter(self) -> None:
        self.jobs.focus_filter()

    def shutdown(self) -> None:
        """Stop the runners this program owns: their jobs become LOST, resumable on the next start."""
        self._timer.stop()
        self.telemetry.timer.stop()
        for backend in self._backends:
            backend.close()
        self._backends.clear()

    # Commands ---------------------------------------------------------------------------------

    def _selected(self, key: str):
        rows = self.jobs.table.selectionModel().selectedRows()
        if not rows:
            return None
        model = self.jobs.model
        return model.index(rows[0].row(), model.column_of(key)).data(RAW)

    def selected_job(self) -> int | None:
        job_id = self._selected("id")
        return None if job_id is None else int(job_id)

    def selected_jobs(self) -> list[int]:
        model, rows = self.jobs.model, self.jobs.table.selectionModel().selectedRows()
        return [int(model.index(r.row(), model.column_of("id")).data(RAW)) for r in rows]

    def ask_and_run(self) -> None:
        names = [e.name for e in registry.discover(safe_mode=self.safe_mode) if not e.problem]
        dialog = RunJobDialog(names, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.run(dialog.chosen_kernel(), dialog.params(), dialog.backend.currentText(), dialog.seed.value(),
                     dialog.workers.value())

    def run_risk(self, backend: str = registry.BUILTIN, seed: int = 1, scenarios: int = 200_000,
                 workers: int = 2) -> None:
        self.run("risk", {"scenarios": scenarios}, backend, seed, workers)

    def run(self, kernel: str, params: dict, backend: str = registry.BUILTIN, seed: int = 1,
            workers: int = 2) -> None:
        """Submit a run off the GUI thread; the risk kernel's inputs come from the open portfolio."""
        engine, safe_mode, running = self.desk.engine, self.safe_mode, self._backends

        def submit():
            full = risk_params_from_portfolio(engine, **params) if kernel == "risk" else params
            spec = service.make_spec(kernel, full, seed=seed, resources=Resources(workers=workers))
            submitted = service.submit(JobStore(engine), spec, backend=backend, safe_mode=safe_mode)
            # Kept here, in the worker, so that closing the window stops it even if the answer is dropped.
            running.append(submitted.backend)
            return submitted

        self.desk.load("compute-submit", submit, self._submitted, self._command_failed)

    def cancel_job(self, job_id: int) -> None:
        engine, safe_mode = self.desk.engine, self.safe_mode
        self.desk.load("compute-cancel", lambda: service.cancel(JobStore(engine), job_id, safe_mode=safe_mode),
                       lambda _state: self.jobs.reload(), self._command_failed)

    def rerun_job(self, job_id: int) -> None:
        engine, safe_mode, running = self.desk.engine, self.safe_mode, self._backends

        def rerun():
            store = JobStore(engine)
            record = store.get(job_id)
            submitted = service.submit(store, record.spec, backend=record.requested_backend, safe_mode=safe_mode)
            running.append(submitted.backend)
            return submitted

        self.desk.load("compute-submit", rerun, self._submitted, self._command_failed)

    def resume_job(self, job_id: int) -> None:
        engine, safe_mode, running = self.desk.engine, self.safe_mode, self._backends

        def resume():
            backend = service.resume(JobStore(engine), job_id, safe_mode=safe_mode)
            running.append(backend)
            return backend

        self.desk.load("compute-resume", resume, lambda _backend: self.jobs.reload(), self._command_failed)

    # Results ----------------------------------------------------------------------------------

    def _submitted(self, submitted) -> None:
        note = f"Job {submitted.job_id} started on {submitted.backend.name}"
        if submitted.fallback_reason:
            note += f" (fell back: {submitted.fallback_reason})"
            self.notice.setText(f"⚠ Job {submitted.job_id} runs on {submitted.backend.name} instead: "
                                f"{submitted.fallback_reason}")
        self.notice.setVisible(bool(submitted.fallback_reason))
        self.details.setPlainText(note)
        self.jobs.reload()

    def _command_failed(self, message: str) -> None:
        self.details.setPlainText(f"Could not do that: {message}")

    def _on_selected(self, command) -> None:
        job_id = self.selected_job()
        if job_id is not None:
            command(job_id)

    def _keep_selection(self) -> None:
        """A refresh resets the table's rows: select the jobs that were selected again."""
        if not self._selected_ids or self.selected_job() is not None:
            return
        ids = list(self.jobs.model.raw_column("id"))
        table, model = self.jobs.table, self.jobs.model
        selection = table.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for job_id in self._selected_ids:
            if job_id in ids:
                selection.select(model.index(ids.index(job_id), 0), flags)

    def _jobs_changed(self) -> None:
        model = self.jobs.model
        self._keep_selection()
        states = model.raw_column("state") if model.total_rows else []
        if any(not JobState(s).is_final for s in states):
            self._timer.start()
        else:
            self._timer.stop()
        self._update_buttons()
        self._show_details()
        self.state_changed.emit()

    def _update_buttons(self) -> None:
        value = self._selected("state")
        state = None if value is None else JobState(value)
        self.cancel_button.setEnabled(state is not None and not state.is_final)
        self.rerun_button.setEnabled(state is not None)
        self.resume_button.setEnabled(state in RESUMABLE_STATES)

    def _show_details(self, *_args) -> None:
        self._update_buttons()
        job_id, engine = self.selected_job(), self.desk.engine
        selected = self.selected_jobs()
        if selected:
            self._selected_ids = selected
            self.telemetry.show_jobs(selected)
        if job_id is not None:
            self._selected_id = job_id
            self.desk.load("compute-details", lambda: job_details(engine, job_id),
                           self.details.setPlainText, self._command_failed)
