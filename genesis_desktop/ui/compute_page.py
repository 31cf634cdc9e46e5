"""The Compute view: the jobs, starting a risk run, cancelling, rerunning and resuming.

Jobs started here run on the backend chosen (the local one runs its blocks in worker processes
owned by this program); the list refreshes every second while a job is unfinished. Submitting,
cancelling and reading details all happen off the GUI thread. Live plots of telemetry come with
the telemetry issue; this view shows each job's latest estimates and log tail as text.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox,
    QSplitter, QVBoxLayout, QWidget,
)

from genesis_desktop.compute import registry, service
from genesis_desktop.compute.api import Backend
from genesis_desktop.compute.jobs import RESUMABLE_STATES, JobState, Resources
from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.risk_inputs import risk_params_from_portfolio

from .compute_jobs import JOB_COLUMNS, JOB_TABLES, job_details, jobs_frame
from .desk import Desk
from .page import Page
from .queries import TableViewSpec
from .table_model import RAW
from .table_page import TablePage

REFRESH_MS = 1000


class RunRiskDialog(QDialog):
    """Backend, seed, scenarios and workers for a portfolio risk run of the recommended and awarded."""

    def __init__(self, backends: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Run portfolio risk")
        self.backend = QComboBox(accessibleName="Backend")
        self.backend.addItems(backends)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=1, accessibleName="Seed")
        self.scenarios = QSpinBox(minimum=1_000, maximum=100_000_000, value=200_000, singleStep=100_000,
                                  accessibleName="Scenarios")
        self.scenarios.setGroupSeparatorShown(True)
        self.workers = QSpinBox(minimum=1, maximum=512, value=2, accessibleName="Workers")
        form = QFormLayout(self)
        form.addRow("&Backend", self.backend)
        form.addRow("&Seed", self.seed)
        form.addRow("S&cenarios", self.scenarios)
        form.addRow("&Workers (never changes the result)", self.workers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ComputePage(Page):
    tables = JOB_TABLES

    def __init__(self, desk: Desk, parent=None) -> None:
        super().__init__(desk, "compute", "Compute", "compute", parent)
        self.safe_mode = safe_mode = desk.safe_mode
        self._backends: list[Backend] = []  # those running jobs this program started
        self._selected_id: int | None = None
        spec = TableViewSpec("jobs", "Jobs", "jobs", "compute",
                             lambda engine: jobs_frame(engine, safe_mode), JOB_COLUMNS, JOB_TABLES)
        self.jobs = TablePage(desk, spec, self)
        self.jobs.state_changed.connect(self._jobs_changed)
        self.jobs.table.selectionModel().selectionChanged.connect(self._show_details)

        self.run_button = QPushButton("&Run risk…", objectName="runRisk")
        self.cancel_button = QPushButton("&Cancel job", objectName="cancelJob")
        self.rerun_button = QPushButton("Re&run", objectName="rerunJob")
        self.resume_button = QPushButton("Res&ume", objectName="resumeJob")
        self.run_button.clicked.connect(self.ask_and_run_risk)
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
        details_box = QWidget()
        details_layout = QVBoxLayout(details_box)
        details_layout.setContentsMargins(12, 0, 12, 0)
        details_layout.addWidget(self.details)
        splitter.addWidget(details_box)
        splitter.setSizes([520, 180])
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

    def ask_and_run_risk(self) -> None:
        names = [e.name for e in registry.discover(safe_mode=self.safe_mode) if not e.problem]
        dialog = RunRiskDialog(names, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.run_risk(dialog.backend.currentText(), dialog.seed.value(), dialog.scenarios.value(),
                          dialog.workers.value())

    def run_risk(self, backend: str = registry.BUILTIN, seed: int = 1, scenarios: int = 200_000,
                 workers: int = 2) -> None:
        engine, safe_mode, running = self.desk.engine, self.safe_mode, self._backends

        def submit():
            params = risk_params_from_portfolio(engine, scenarios=scenarios)
            spec = service.make_spec("risk", params, seed=seed, resources=Resources(workers=workers))
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
        """A refresh resets the table's rows: select the job that was selected again."""
        if self._selected_id is None or self.selected_job() is not None:
            return
        ids = self.jobs.model.raw_column("id")
        if self._selected_id in ids:
            self.jobs.table.selectRow(ids.index(self._selected_id))

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
        if job_id is not None:
            self._selected_id = job_id
            self.desk.load("compute-details", lambda: job_details(engine, job_id),
                           self.details.setPlainText, self._command_failed)
