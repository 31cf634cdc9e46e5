"""Portfolio: choose the proposals a call funds, under its budgets per year and the officers' rules.

For the call chosen, a scenario (decisions/scenarios.py: budgets, coverage, caps, continuation
reserve, forced choices, objective, rates) is solved by the selection optimiser; the page shows its
proposals with the chosen ones marked, the money per fiscal year against the budget, and merit
against the funding line. Constraints are edited in their own tab, proposals are forced in or out
from the table's menu, saved scenarios are compared side by side. Robustness… and Run risk submit
their kernels as compute jobs (the Compute view follows them live) and record the result in the
scenario when it completes. Export report… writes the PDF or workbook; a proposal's decision file
is one right-click away.

Solving runs on the desk's one writer thread: solve_scenario stores the result, and the single
writer keeps it ordered after the spec's save. The optimiser takes a second or so, which does not
need a job in the Compute view; the GUI thread only paints what comes back.
"""
from __future__ import annotations

import getpass
import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QInputDialog, QLabel, QPushButton, QTabWidget, QVBoxLayout, \
    QWidget

from genesis_desktop.decisions import scenarios
from genesis_desktop.decisions.selection import Infeasible

from .desk import Desk
from .page import Page
from .portfolio_bar import ScenarioBar
from .portfolio_compare import CompareView
from .portfolio_constraints import ConstraintsEditor
from .portfolio_model import PORTFOLIO_TABLES, PortfolioRead, notes_text, read_portfolio, result_summary, risk_summary
from .portfolio_runs import RISK, ROBUSTNESS, ScenarioRuns
from .portfolio_selection import NOT_SOLVED, SelectionView
from .review_standings_page import BANNER

BANNER = BANNER.replace("standingsSummary", "portfolioSummary")
INFEASIBLE = "No selection meets these constraints: the reasons are above."


class PortfolioPage(Page):
    tables = PORTFOLIO_TABLES

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, "portfolio", "Portfolio", "proposals", parent)
        self.call: str | None = None
        self.name: str | None = None  # the scenario shown
        self.state: PortfolioRead | None = None
        self.problem = ""  # HTML: why the last solve, run or export found nothing, or where it wrote
        self.infeasible = False  # the last solve found that no selection meets the constraints
        self.who = getpass.getuser()
        self.runs = ScenarioRuns(desk, self)
        self.runs.changed.connect(self._show_summary)
        self.runs.said.connect(self._say)
        self.bar = ScenarioBar(self)
        self.bar.chosen.connect(self._choose)
        self.bar.new_requested.connect(self.new_scenario)
        self.bar.save_as_requested.connect(self.save_as)
        self.bar.delete_requested.connect(self.delete_scenario)
        self.buttons = {}
        for key, text, tip, slot in (
                ("solve", "&Solve", "Choose the proposals that give the most value within the constraints",
                 lambda: self.solve()),
                (ROBUSTNESS, "&Robustness…", "Solve again over posterior draws of the scores, as a compute job",
                 self.ask_robustness),
                (RISK, "Run ris&k", "Monte Carlo of the chosen portfolio's cost and value, as a compute job",
                 lambda: self.run_risk()),
                ("export", "&Export report…", "Write the scenario's report as PDF or XLSX", self.ask_export)):
            self.buttons[key] = QPushButton(text, self, objectName=f"portfolio_{key}", toolTip=tip)
            self.buttons[key].clicked.connect(slot)
        selectable = Qt.TextInteractionFlag.TextSelectableByMouse
        self.summary = QLabel("Loading…", self, objectName="portfolioSummary", wordWrap=True, styleSheet=BANNER,
                              textInteractionFlags=selectable, textFormat=Qt.TextFormat.RichText)
        self.risk_label = QLabel(self, objectName="portfolioRisk", wordWrap=True, visible=False,
                                 textInteractionFlags=selectable, textFormat=Qt.TextFormat.PlainText)
        # What the solver had to assume (no calibration run, a year without budget): short, whole in the tooltip.
        self.notes_label = QLabel(self, objectName="portfolioNotes", wordWrap=True, visible=False,
                                  styleSheet="color: palette(placeholder-text);", textFormat=Qt.TextFormat.PlainText)

        self.selection = SelectionView(self)
        self.selection.force_requested.connect(self.force)
        self.selection.decision_file_requested.connect(self.ask_decision_file)
        # The selection tab's parts, by the names the tests and the window use.
        self.model, self.table, self.detail = self.selection.model, self.selection.table, self.selection.detail
        self.spend_chart, self.merit_chart = self.selection.spend_chart, self.selection.merit_chart
        self.constraints = ConstraintsEditor(self)
        self.constraints.applied.connect(self.solve)
        self.compare = CompareView(desk, self)
        self._lay_out()

    def _lay_out(self) -> None:
        actions = QHBoxLayout()
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addStretch(1)
        self.tabs = QTabWidget(self, objectName="portfolioTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.selection, "Se&lection")
        self.tabs.addTab(self.constraints, "Cons&traints")
        self.tabs.addTab(self.compare, "Com&pare scenarios")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addWidget(self.bar)
        layout.addLayout(actions)
        for widget in (self.summary, self.notes_label, self.risk_label):
            layout.addWidget(widget)
        layout.addWidget(self.tabs, 1)

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        store, call, name = self.desk.store, self.call, self.name
        self.desk.load("portfolio", lambda: read_portfolio(store, call, name), self._read, self._failed)

    def _choose(self, call: str | None, name: str | None) -> None:
        if call is not None and (call, name) != (self.call, self.name):
            self.call, self.name, self.problem = call, name, ""
            self.reload()

    def _failed(self, message: str) -> None:
        self.summary.setText(html.escape(f"Could not read the portfolio: {message}"))
        self.mark_loaded(message)

    def _read(self, state: PortfolioRead) -> None:
        same = self.state is not None and (self.state.call, self.state.name) == (state.call, state.name)
        self.state, self.call, self.name = state, state.call, state.name
        self.bar.set_choices(state.calls, state.call, state.scenario_labels(), state.name, state.saved)
        self.selection.show_state(state, INFEASIBLE if self.infeasible and state.result is None else NOT_SOLVED)
        self.constraints.follow(state.spec, same)
        self.compare.set_scenarios(state.call, state.scenarios)
        self._show_summary()
        self.mark_loaded()

    def _show_summary(self) -> None:
        st = self.state
        text = html.escape(result_summary(st.name, st.saved, st.result)) if st and st.call else \
            "No call has proposals yet: the portfolio is chosen among a call's proposals."
        running = self.runs.describe(self.name or "")
        if running:
            text += html.escape(f" {running[0].upper()}{running[1:]} running: the Compute view follows it.")
        self.summary.setText(text + ("<br>" + self.problem if self.problem else ""))
        risk = (st.result or {}).get("risk") if st else None
        line, by_year = risk_summary(risk) if risk else ("", "")
        self.risk_label.setText(line)
        self.risk_label.setToolTip(by_year)
        self.risk_label.setVisible(bool(risk))
        notes = (st.result or {}).get("notes") or [] if st else []
        self.notes_label.setText(notes_text(notes))
        self.notes_label.setToolTip("\n\n".join(notes))
        self.notes_label.setVisible(bool(notes))
        solved = bool(st and st.result)
        self.buttons["solve"].setEnabled(bool(st and st.call) and not self.desk.writing)
        self.buttons["export"].setEnabled(solved)
        for kernel in (RISK, ROBUSTNESS):
            self.buttons[kernel].setEnabled(solved and not self.runs.running(kernel, self.name))
        self.state_changed.emit()

    def status_text(self) -> str:
        r = self.state.result if self.state else None
        return f"{len(r['chosen'])} of {len(r['proposals'])} proposals chosen" if r else ""

    # Scenarios ----------------------------------------------------------------------------------

    def _write(self, work, show: str | None, done=None, failed=None) -> None:
        """A write on the desk's writer; then the scenario `show` (None: the call's first) is read and shown."""
        def written(result) -> None:
            self.name = show
            if done is not None:
                done(result)
            self.desk.announce({"scenario"})

        def refused(error: Exception) -> None:
            (failed or (lambda e: self._say(f"<b>Not done:</b> {html.escape(str(e))}")))(error)
            if isinstance(error, scenarios.ScenarioError):  # e.g. a code the records do not know: by its field
                self.constraints.show_error(error)
            self._show_summary()

        self.problem, self.infeasible = "", False
        self.desk.write(work, written, refused)

    def _say(self, problem: str) -> None:
        self.problem = problem
        self._show_summary()

    def new_scenario(self, name: str) -> None:
        """A scenario of the call from its default constraints, saved and shown."""
        store, call, who = self.desk.store, self.call, self.who
        self._write(lambda: scenarios.save_scenario(store, name, scenarios.default_spec(store, call), who), name)

    def save_as(self, name: str) -> None:
        """The constraints in the form (if they pass) saved under `name`, which is then shown."""
        spec = self.constraints.checked_spec()
        if spec is None:
            return self.tabs.setCurrentWidget(self.constraints)
        store, who = self.desk.store, self.who
        self._write(lambda: scenarios.save_scenario(store, name, spec, who), name)

    def delete_scenario(self, name: str | None = None) -> None:
        store, name = self.desk.store, name or self.name
        self._write(lambda: scenarios.delete_scenario(store, name), None)

    def solve(self, spec: scenarios.ScenarioSpec | None = None) -> None:
        """Save `spec` and solve the scenario, on the writer. Without one, what the Constraints tab
        shows is solved: saved first if it is new or was edited, refused next to its field if wrong."""
        if self.state is None or not self.state.call:
            return
        store, name, who = self.desk.store, self.name, self.who
        if spec is None:
            spec = self.constraints.checked_spec()
            if spec is None:
                return self.tabs.setCurrentWidget(self.constraints)
            if self.state.saved and spec.to_json() == self.state.spec:
                spec = None  # as saved: nothing to save first

        def work() -> dict:
            if spec is not None:
                scenarios.save_scenario(store, name, spec, who)
            return scenarios.solve_scenario(store, name, who)

        self.buttons["solve"].setEnabled(False)
        self._write(work, name, failed=self._solve_failed)
        self.summary.setText(html.escape(f"Solving “{name}”…"))

    def _solve_failed(self, error: Exception) -> None:
        self.infeasible = isinstance(error, Infeasible)
        if self.infeasible:
            reasons = "".join(f"<li>{html.escape(r)}</li>" for r in error.reasons)
            self.problem = f"<b>No selection meets these constraints:</b><ul style='margin: 0'>{reasons}</ul>"
        else:
            self.problem = f"<b>Could not solve:</b> {html.escape(str(error))}"

        self.desk.announce({"scenario"})  # the spec may have been saved before the solve was refused

    def force(self, code: str, how: str | None) -> None:
        """Force `code` in ("in"), out ("out") or neither (None), and solve again."""
        spec = dict(self.state.spec)
        spec["forced_in"] = [c for c in spec.get("forced_in") or [] if c != code] + ([code] if how == "in" else [])
        spec["forced_out"] = [c for c in spec.get("forced_out") or [] if c != code] + ([code] if how == "out" else [])
        self.solve(scenarios.ScenarioSpec.from_json(spec))

    # Runs and exports ---------------------------------------------------------------------------

    def ask_robustness(self) -> None:
        draws, ok = QInputDialog.getInt(self, "Robustness", "Posterior draws to solve over:", 200, 10, 10_000, 50)
        if ok:
            self.run_robustness(draws)

    def run_robustness(self, draws: int = 200) -> None:
        self.problem = ""
        self.buttons[ROBUSTNESS].setEnabled(False)
        self.runs.run_robustness(self.name, draws)

    def run_risk(self, **options) -> None:
        """Submit the risk kernel for the chosen portfolio; its summary is recorded when it completes."""
        self.problem = ""
        self.buttons[RISK].setEnabled(False)
        self.runs.run_risk(self.name, **options)

    def ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Export the scenario's report", f"{self.name}.pdf",
                                                    "PDF report (*.pdf);;Excel workbook (*.xlsx)")
        if path:
            self.runs.export_report(self.name, path)

    def ask_decision_file(self, code: str) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, f"Export the decision file of {code}", f"{code}.pdf",
                                                    "PDF (*.pdf);;Excel workbook (*.xlsx)")
        if path:
            self.runs.export_decision_file(code, path)

    def shutdown(self) -> None:
        self.runs.shutdown()
