"""The Standings view's runs: the form that starts a calibration, and the dialog that runs a reviewer
assignment as a dry run and saves it on request (both through ui.job_runner.JobRunner)."""
from __future__ import annotations

import getpass

from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel,
    QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from genesis_desktop.compute.jobstore import JobRecord
from genesis_desktop.review.assignment_records import dry_run_summary, save_assignment
from genesis_desktop.review.job_inputs import assignment_params

from .desk import Desk
from .job_runner import JobRunner


def _spin(low: int, high: int, value: int, name: str, special: str = "") -> QSpinBox:
    box = QSpinBox(minimum=low, maximum=high, value=value, accessibleName=name)
    if special:
        box.setSpecialValueText(special)
    return box


class CalibrateDialog(QDialog):
    def __init__(self, call: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Calibrate the reviews of {call}")
        self.draws = _spin(100, 200_000, 1000, "Posterior draws")
        self.draws.setSingleStep(100)
        self.draws.setGroupSeparatorShown(True)
        self.seed = _spin(0, 2**31 - 1, 1, "Seed")
        form = QFormLayout(self)
        note = QLabel("Fits each reviewer's leniency and each proposal's quality, then draws the rankings "
                      "to give every proposal its odds of funding within the call's budget. It runs as a "
                      "compute job: the Compute view follows it.", wordWrap=True)
        form.addRow(note)
        form.addRow("Posterior &draws", self.draws)
        form.addRow("&Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Calibrate")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def _table(headers: list[str], rows: list[list[str]], name: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers), accessibleName=name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.setItem(r, c, QTableWidgetItem(text))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class AssignDialog(QDialog):
    """k and the loads; Run submits the assignment job; its result is shown, then saved or discarded."""

    def __init__(self, desk: Desk, runner: JobRunner, call: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.runner, self.call = desk, runner, call
        self.job_id: int | None = None
        self.record: JobRecord | None = None
        self.saved: dict | None = None
        self.setWindowTitle(f"Assign reviewers to {call}")
        self.resize(720, 560)
        self.k = _spin(1, 50, 3, "Reviewers per proposal")
        self.max_load = _spin(0, 10_000, 0, "Most proposals per reviewer", "automatic (balanced + 1)")
        self.min_load = _spin(0, 10_000, 0, "Fewest proposals per reviewer")
        self.replace = QCheckBox("Replace the call's assignments if it has some")
        self.status = QLabel("The run is a dry run: nothing is written until you save it.", wordWrap=True,
                             objectName="assignStatus")
        self.summary = QLabel(wordWrap=True, objectName="assignSummary")
        self.tabs = QTabWidget()
        self.tabs.hide()
        self.run_button = QPushButton("&Run assignment", objectName="runAssignment")
        self.save_button = QPushButton("&Save assignment", objectName="saveAssignment", enabled=False)
        self.discard_button = QPushButton("&Discard", objectName="discardAssignment")
        self.run_button.clicked.connect(self.run)
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.reject)
        runner.finished.connect(self._finished)
        form = QFormLayout()
        form.addRow("Reviewers per &proposal (k)", self.k)
        form.addRow("&Most proposals per reviewer", self.max_load)
        form.addRow("&Fewest proposals per reviewer", self.min_load)
        buttons = QHBoxLayout()
        buttons.addWidget(self.replace)
        buttons.addStretch(1)
        for b in (self.run_button, self.save_button, self.discard_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)

    @property
    def result_ready(self) -> bool:
        return self.record is not None and self.record.result is not None

    def params(self) -> dict:
        return {"k": self.k.value(), "max_load": self.max_load.value() or None, "min_load": self.min_load.value()}

    def run(self) -> None:
        store, call, chosen = self.desk.store, self.call, self.params()
        self.record = None
        self.run_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.status.setText("Submitting the assignment job…")
        self.runner.submit("assignment", lambda: assignment_params(store, call, **chosen), 1,
                           self._started, self._failed)

    def _started(self, submitted) -> None:
        self.job_id = submitted.job_id
        self.status.setText(f"Job {submitted.job_id} runs on {submitted.backend.name}; the Compute view follows it.")

    def _failed(self, message: str) -> None:
        self.status.setText(f"The assignment cannot run: {message}")
        self.run_button.setEnabled(True)

    def _finished(self, record: JobRecord) -> None:
        if record.id != self.job_id:
            return
        self.run_button.setEnabled(True)
        if record.result is None:
            self.status.setText(f"Job {record.id} ended {record.state.value}: {record.error or 'no result'}")
            return
        self.record = record
        self.show_result(record.result)

    def show_result(self, result: dict) -> None:
        s = dry_run_summary(result)
        self.status.setText(f"Job {self.job_id} finished. Dry run: nothing is saved yet. Save assignment writes "
                            "these pairs; Discard leaves the database as it is.")
        gap = s["gap"] or 0.0
        self.summary.setText(
            f"{s['pairs']} pairs for {s['proposals']} proposals, {s['reviewers_used']} of {s['reviewers']} reviewers "
            f"used (loads {s['load_min']} to {s['load_max']}). Total affinity (objective) {s['objective']:.4f}, "
            f"LP bound {s['lp_bound']:.4f}, gap {gap:.2g}{' (optimal)' if gap <= 1e-9 else ''}; solver: {s['solver']}.")
        loads = sorted(s["loads"].items(), key=lambda item: (-item[1], item[0]))
        pairs = sorted(result["pairs"], key=lambda p: (p["proposal"], -p["affinity"]))
        self.tabs.clear()
        self.loads_table = _table(["Reviewer", "Proposals"], [[e, str(n)] for e, n in loads], "Loads per reviewer")
        self.pairs_table = _table(["Proposal", "Reviewer", "Affinity"],
                                  [[p["proposal"], p["reviewer"], f"{p['affinity']:.3f}"] for p in pairs], "Pairs")
        self.tabs.addTab(self.loads_table, f"&Loads ({len(loads)} reviewers)")
        self.tabs.addTab(self.pairs_table, f"P&airs ({len(pairs)})")
        self.tabs.show()
        self.save_button.setEnabled(True)

    def save(self) -> None:
        if not self.result_ready:
            return
        store, call, result, replace = self.desk.store, self.call, self.record.result, self.replace.isChecked()
        seed, by = self.record.spec.seed, getpass.getuser()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self.desk.write(lambda: save_assignment(store, call, result, seed, by, replace=replace),
                        self._saved, self._save_failed)

    def _saved(self, outcome: dict) -> None:
        self.saved = outcome
        self.desk.announce({"review_assignment"})
        replaced = f", in place of {outcome['replaced']}" if outcome["replaced"] else ""
        self.status.setText(f"Saved {outcome['pairs']} assignments for {len(outcome['reviewers'])} "
                            f"reviewers{replaced}.")
        self.discard_button.setText("&Close")

    def _save_failed(self, error: Exception) -> None:
        self.status.setText(f"Not saved: {error}")
        self.save_button.setEnabled(True)

    def done(self, code: int) -> None:
        if self.runner is not None:
            self.runner.finished.disconnect(self._finished)
            self.runner = None
        super().done(code)
