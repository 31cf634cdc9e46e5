"""The Portfolio view's runs and exports: risk and robustness as compute jobs, reports and decision files.

Jobs go through the Standings view's JobRunner (submitted and followed in workers; the Compute view
lists them live). When one completes, its result is recorded in the scenario on the desk's writer,
and "scenario" is announced so the view reads it back. Exports go through decisions.reports, the door
`genesis report` uses too, in a worker (desk.load): they read the records and write only the file.
"""
from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import QObject, Signal

from genesis_desktop.compute.jobstore import JobRecord
from genesis_desktop.decisions.reports import export_decision_file, export_portfolio_report
from genesis_desktop.decisions.scenario_jobs import record_risk, record_robustness, risk_params_for_scenario, \
    scenario_params

from .desk import Desk
from .job_runner import JobRunner

RISK, ROBUSTNESS = "risk", "robustness"


class ScenarioRuns(QObject):
    """Runs of one page: which are under way, and what went wrong, as `changed` and `said(html)`."""

    changed = Signal()  # a run started or ended
    said = Signal(str)  # a problem or a result to show in the page, as HTML
    exported = Signal(str)  # the path of a file written

    def __init__(self, desk: Desk, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.jobs: dict[int, tuple[str, str]] = {}  # started here and not ended: kernel, scenario
        self.runner = JobRunner(desk, "portfolio", self)
        self.runner.finished.connect(self._ended)

    def running(self, kernel: str | None = None, scenario: str | None = None) -> list[int]:
        return sorted(j for j, (k, s) in self.jobs.items() if kernel in (None, k) and scenario in (None, s))

    def describe(self, scenario: str) -> str:
        """'risk job 4, robustness job 5' for the scenario's runs under way ('' when none)."""
        return ", ".join(f"{self.jobs[j][0]} job {j}" for j in self.running(scenario=scenario))

    def run_risk(self, scenario: str, seed: int = 1, **options) -> None:
        """Monte Carlo of the scenario's chosen portfolio (options go to risk_params_for_scenario)."""
        store = self.desk.store
        self._submit(RISK, scenario, lambda: risk_params_for_scenario(store, scenario, **options), seed)

    def run_robustness(self, scenario: str, draws: int = 200, seed: int = 1) -> None:
        store = self.desk.store
        self._submit(ROBUSTNESS, scenario, lambda: {**scenario_params(store, scenario, ROBUSTNESS), "draws": draws},
                     seed)

    def _submit(self, kernel: str, scenario: str, make_params: Callable[[], dict], seed: int) -> None:
        def started(submitted) -> None:
            self.jobs[submitted.job_id] = (kernel, scenario)
            self.changed.emit()

        def failed(message: str) -> None:
            self.said.emit(f"<b>The {kernel} run could not start:</b> {html.escape(message)}")
            self.changed.emit()

        self.runner.submit(kernel, make_params, seed, started, failed)

    def _ended(self, record: JobRecord) -> None:
        if record.id not in self.jobs:
            return
        kernel, scenario = self.jobs.pop(record.id)
        self.changed.emit()
        if record.result is None:
            self.said.emit(html.escape(f"The {kernel} job {record.id} ended {record.state.value}: "
                                       f"{record.error or 'no result'}."))
            return
        store, record_it = self.desk.store, record_risk if kernel == RISK else record_robustness
        self.desk.write(lambda: record_it(store, scenario, record.id, record.result),
                        lambda _done: self.desk.announce({"scenario"}),
                        lambda error: self.said.emit(html.escape(f"The {kernel} result was not recorded: {error}")))

    def export_report(self, scenario: str, path: str) -> None:
        store = self.desk.store
        self.desk.load("portfolio-export", lambda: export_portfolio_report(store, scenario, path), self._exported,
                       self._not_exported)

    def export_decision_file(self, code: str, path: str) -> None:
        store = self.desk.store
        self.desk.load("portfolio-export", lambda: export_decision_file(store, code, path), self._exported,
                       self._not_exported)

    def _exported(self, path) -> None:
        self.exported.emit(str(path))
        self.said.emit(html.escape(f"Written to {path}."))

    def _not_exported(self, message: str) -> None:
        self.said.emit(f"<b>Not exported:</b> {html.escape(message)}")

    def shutdown(self) -> None:
        self.runner.shutdown()
