"""Standings: where a call's proposals stand once their reviews are calibrated.

For the call chosen: a sortable table of the proposals (expected rank, raw and calibrated totals,
odds of funding, 90% rank interval, grey zone, funded at the mean), a chart of the ranks with their
intervals and the funding line, each reviewer's leniency, and the chosen proposal's reviews side by
side. Everything shown comes from the newest completed calibration job of the call; before there is
one, the raw totals alone and a line saying how to calibrate. Calibrate… and Assign reviewers… run
their kernels as compute jobs (the Compute view follows them live); a finished calibration reloads
the view. All reading and submitting happens in workers.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QScrollArea,
    QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from genesis_desktop.compute.jobstore import JobRecord
from genesis_desktop.review.job_inputs import calibration_params

from .desk import Desk
from .page import Page
from .job_runner import JobRunner
from .review_assign_dialog import AssignDialog, CalibrateDialog
from .review_charts import LeniencyChart, RankChart
from .review_side_by_side import SideBySideTable, read_side_by_side
from .review_standings_model import (
    CALIBRATED_ONLY, CALIBRATION, NOT_CALIBRATED, STANDINGS_TABLES, CallChoice, Standings, StandingsModel,
    read_calls, read_standings,
)
from .table_query import RangeFilter

BANNER = ("QLabel#standingsSummary { background: palette(alternate-base); border: 1px solid palette(mid); "
          "border-radius: 4px; padding: 6px 10px; }")


class StandingsPage(Page):
    tables = STANDINGS_TABLES

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, "standings", "Standings", "reviews", parent)
        self.standings: Standings | None = None
        self.call: str | None = None
        self.selected_code: str | None = None
        self.failure = ""  # why the last calibration started here did not complete
        self.calibrating: dict[int, str] = {}  # calibration jobs started here and not ended: their calls
        self.runner = JobRunner(desk, "standings", self)
        self.runner.finished.connect(self._job_ended)
        self.assign_dialog: AssignDialog | None = None

        self.title_label = QLabel("Standings", self, objectName="pageTitle")
        self.call_combo = QComboBox(self, objectName="standingsCall", accessibleName="Call")
        # Long call titles are cut short rather than widen the window (the list shows them whole).
        self.call_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.call_combo.setMinimumContentsLength(14)
        self.call_combo.currentIndexChanged.connect(self._call_chosen)
        self.unreviewed = QCheckBox("Show &unreviewed", self, toolTip="Also list the competing proposals that "
                                    "have no submitted review (they have no rank)")
        self.unreviewed.toggled.connect(self._apply_filter)
        self.calibrate_button = QPushButton("&Calibrate…", self, objectName="calibrate",
                                            toolTip="Fit the reviewers' leniency and the odds of funding, as a job")
        self.calibrate_button.clicked.connect(self.ask_and_calibrate)
        self.assign_button = QPushButton("&Assign reviewers…", self, objectName="assignReviewers")
        self.assign_button.clicked.connect(self.open_assign_dialog)
        self.summary = QLabel("Loading…", self, objectName="standingsSummary", wordWrap=True, styleSheet=BANNER,
                              textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)

        self.model = StandingsModel(self)
        self.table = QTableView(self, objectName="standingsTable", accessibleName="Standings")
        self.table.setModel(self.model)
        # Best first: the rows come in order of expected rank (raw total before a calibration).
        self.table.horizontalHeader().setSortIndicator(self.model.column_of("rank"), Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._row_chosen)
        self.model.view_applied.connect(self._reselect)

        self.rank_chart = RankChart(self)
        self.leniency_chart = LeniencyChart(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.leniency_chart)
        self.chart_tabs = QTabWidget(self, objectName="standingsCharts")
        self.chart_tabs.addTab(self.rank_chart, "&Ranks")
        self.chart_tabs.addTab(scroll, "Reviewer &leniency")
        self.side_by_side = SideBySideTable(self)
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addSpacing(12)
        top.addWidget(QLabel("Call:", self))
        top.addWidget(self.call_combo, 3)
        top.addSpacing(12)
        top.addWidget(self.unreviewed)
        top.addStretch(1)
        top.addWidget(self.calibrate_button)
        top.addWidget(self.assign_button)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.setChildrenCollapsible(False)
        lower.addWidget(self.chart_tabs)
        lower.addWidget(self.side_by_side)
        lower.setSizes([520, 600])
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.setChildrenCollapsible(False)
        body.addWidget(self.table)
        body.addWidget(lower)
        body.setStretchFactor(0, 2)
        body.setStretchFactor(1, 3)
        body.setSizes([280, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(body, 1)

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        engine = self.desk.engine
        self.desk.load("standings-calls", lambda: read_calls(engine), self._calls_read, self._failed)

    def _calls_read(self, calls: list[CallChoice]) -> None:
        numbers = [c.number for c in calls]
        with QSignalBlocker(self.call_combo):
            self.call_combo.clear()
            for c in calls:
                self.call_combo.addItem(c.label, c.number)
            self.call = self.call if self.call in numbers else (numbers[0] if numbers else None)
            if self.call is not None:
                self.call_combo.setCurrentIndex(numbers.index(self.call))
        self.assign_button.setEnabled(self.call is not None)
        self.calibrate_button.setEnabled(self.call is not None and not self._running())
        if self.call is None:
            self.summary.setText("No call has reviews yet: the standings appear once reviews are in.")
            self.rank_chart.show_empty("No reviews yet.")
            return self.mark_loaded()
        self._load_standings()

    def _load_standings(self) -> None:
        store, call = self.desk.store, self.call
        self.desk.load("standings", lambda: read_standings(store, call), self._standings_read, self._failed)

    def _failed(self, message: str) -> None:
        self.summary.setText(f"Could not read the standings: {message}")
        self.mark_loaded(message)

    def select_call(self, number: str) -> None:
        index = self.call_combo.findData(number)
        if index < 0:
            raise ValueError(f"no call {number!r} with reviews in the list")
        self.call_combo.setCurrentIndex(index)

    def _call_chosen(self, index: int) -> None:
        if index >= 0 and self.call_combo.itemData(index) != self.call:
            self.call, self.selected_code, self.failure = self.call_combo.itemData(index), None, ""
            self.side_by_side.clear()
            self._load_standings()

    def _standings_read(self, st: Standings) -> None:
        if st.call != self.call:
            return
        self.standings = st
        self.model.set_table(st.table)
        for key in CALIBRATED_ONLY:
            self.table.setColumnHidden(self.model.column_of(key), not st.calibrated)
        self._apply_filter()
        self.table.resizeColumnsToContents()
        stretch = QHeaderView.ResizeMode.Stretch
        self.table.horizontalHeader().setSectionResizeMode(self.model.column_of("title"), stretch)
        for job in st.running:
            self.runner.follow(job.id)
        self._draw_charts(st)
        self._show_summary()
        if self.model.rowCount() and self.model.row_of(self.selected_code or "") < 0:
            self.select_proposal(self.model.code_at(0))  # the best placed, until another is chosen
        self.mark_loaded()

    def _draw_charts(self, st: Standings) -> None:
        if not st.calibrated:
            self.rank_chart.show_empty(NOT_CALIBRATED)
            self.leniency_chart.show_empty("Each reviewer's leniency is measured by the calibration. "
                                           "Calibrate… runs it as a compute job.")
            return
        ranked = st.frame[st.frame["rank"].notna()]
        self.rank_chart.show_ranks(ranked["code"], ranked["title"], ranked["rank"], ranked["rank_low"],
                                   ranked["rank_high"], ranked["probability"], ranked["grey"], st.funded_count,
                                   f"{len(ranked)} proposals with reviews, best first; bar: 90% interval of the "
                                   "rank; colour: probability of funding; shaded: the grey zone (10–90%).")
        self.rank_chart.select(self.selected_code)
        r = st.reviewers
        self.leniency_chart.show_leniency(r["name"], r["email"], r["leniency"], r["leniency_sd"], r["reviews"],
                                          f"{len(r)} reviewers, most generous first; dot: posterior mean, "
                                          "bar: 90% interval (± 1.645 sd).")

    def _show_summary(self) -> None:
        st = self.standings
        text = st.summary() if st else ""
        running = self._running()
        if running:
            text += f" Calibration job {', '.join(map(str, running))} is running: the Compute view follows it."
        if self.failure:
            text += f" {self.failure}"
        self.summary.setText(text)
        self.calibrate_button.setEnabled(self.call is not None and not running)
        self.state_changed.emit()

    def _running(self) -> list[int]:
        """The call's calibration jobs not finished: started here, or found running when it was read."""
        st = self.standings if self.standings and self.standings.call == self.call else None
        return sorted({i for i, call in self.calibrating.items() if call == self.call}
                      | {j.id for j in (st.running if st else [])})

    def _apply_filter(self, *_args) -> None:
        self.model.set_filters([] if self.unreviewed.isChecked() else [RangeFilter("reviews", 1, None)])

    def status_text(self) -> str:
        return self.standings.status() if self.standings else ""

    # Selection --------------------------------------------------------------------------------

    def _row_chosen(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.select_proposal(self.model.code_at(rows[0].row()), select_row=False)

    def select_proposal(self, code: str, select_row: bool = True) -> None:
        """Show `code`'s reviews side by side and ring it in the rank chart."""
        self.selected_code = code
        if select_row:
            self._reselect()
        self.rank_chart.select(code)
        store = self.desk.store
        self.desk.load("standings-side", lambda: read_side_by_side(store, code), self._side_read,
                       lambda message: self.side_by_side.clear(f"Could not read the reviews of {code}: {message}"))

    def _side_read(self, sbs) -> None:
        if sbs.proposal == self.selected_code:
            self.side_by_side.display(sbs)

    def _reselect(self) -> None:
        row = self.model.row_of(self.selected_code) if self.selected_code else -1
        if row >= 0:
            with QSignalBlocker(self.table.selectionModel()):
                self.table.selectionModel().select(
                    self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(self.model.index(row, 0))

    # Runs ---------------------------------------------------------------------------------------

    def ask_and_calibrate(self) -> None:
        dialog = CalibrateDialog(self.call or "", self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.calibrate(dialog.draws.value(), dialog.seed.value())

    def calibrate(self, draws: int = 1000, seed: int = 1) -> None:
        """Submit the call's calibration job; the view reloads when it completes."""
        store, call = self.desk.store, self.call
        self.failure = ""
        self.calibrate_button.setEnabled(False)
        self.runner.submit(CALIBRATION, lambda: calibration_params(store, call, draws=draws), seed,
                           lambda submitted: self._calibration_started(submitted.job_id, call),
                           self._calibrate_failed)

    def _calibration_started(self, job_id: int, call: str) -> None:
        self.calibrating[job_id] = call
        self._show_summary()

    def _calibrate_failed(self, message: str) -> None:
        self.failure = f"The calibration could not start: {message}"
        self._show_summary()

    def _job_ended(self, record: JobRecord) -> None:
        # A completed run is read again through the "job" change the runner announces.
        self.calibrating.pop(record.id, None)
        if record.spec.kernel == CALIBRATION and record.spec.params.get("call") == self.call:
            self.failure = "" if record.result is not None else \
                f"Calibration job {record.id} ended {record.state.value}: {record.error or 'no result'}."
            self._show_summary()

    def open_assign_dialog(self) -> AssignDialog:
        """The assignment dialog for the call, shown without blocking (the run takes a while)."""
        if self.assign_dialog is not None:
            self.assign_dialog.close()
            self.assign_dialog.deleteLater()
        self.assign_dialog = AssignDialog(self.desk, self.runner, self.call, self)
        self.assign_dialog.show()
        return self.assign_dialog

    def shutdown(self) -> None:
        if self.assign_dialog is not None:
            self.assign_dialog.close()
        self.runner.shutdown()
