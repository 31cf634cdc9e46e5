"""The Portfolio view's Selection tab: the scenario's proposals as a table, and the two charts below it.

Selecting a row says why the proposal is in or out and rings it in the merit chart; the row's menu
forces it in or out (the page edits the spec and solves again) or exports its decision file.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QMenu, QSplitter, QTableView, QVBoxLayout, \
    QWidget

from .portfolio_charts import MeritChart, SpendChart
from .portfolio_model import PortfolioModel, PortfolioRead

NOT_SOLVED = "Not solved yet: Solve chooses the proposals within the budgets."


class SelectionView(QSplitter):
    force_requested = Signal(str, object)  # code, "in" | "out" | None (clear)
    decision_file_requested = Signal(str)  # code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setChildrenCollapsible(False)
        self.model = PortfolioModel(self)
        self.table = QTableView(self, objectName="portfolioTable", accessibleName="Proposals of the scenario")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(self.model.column_of("merit"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._row_chosen)
        self.detail = QLabel("Select a proposal to see why it is in or out; right-click it to force it.", self,
                             objectName="portfolioDetail", textFormat=Qt.TextFormat.PlainText,
                             textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.spend_chart, self.merit_chart = SpendChart(self), MeritChart(self)
        listing = QWidget(self)
        rows = QVBoxLayout(listing)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addWidget(self.table, 1)
        rows.addWidget(self.detail)
        charts = QSplitter(Qt.Orientation.Horizontal, self)
        charts.setChildrenCollapsible(False)
        charts.addWidget(self.spend_chart)
        charts.addWidget(self.merit_chart)
        self.addWidget(listing)
        self.addWidget(charts)
        self.setSizes([300, 330])

    def show_state(self, state: PortfolioRead, unsolved: str = NOT_SOLVED) -> None:
        """The scenario's proposals and charts; `unsolved` is what the charts say while it has no result."""
        result = state.result or {}
        self.model.currency = result.get("currency", "")
        self.model.set_table(state.table)
        self.table.setColumnHidden(self.model.column_of("robustness"), not result.get("robustness"))
        # Too wide for the default window: each row's tooltip and the line under the table say it.
        self.table.setColumnHidden(self.model.column_of("why_out"), True)
        self._fit_columns()
        self._draw(state, unsolved)

    def _fit_columns(self) -> None:
        """Figures as wide as they are, words up to a limit (the tooltip has them whole); the title takes
        what is left."""
        self.table.resizeColumnsToContents()
        header, widest = self.table.horizontalHeader(), 14 * self.fontMetrics().averageCharWidth()
        for key in ("area", "lead"):
            column = self.model.column_of(key)
            header.resizeSection(column, min(header.sectionSize(column), widest))
        header.setSectionResizeMode(self.model.column_of("title"), QHeaderView.ResizeMode.Stretch)

    def _draw(self, state: PortfolioRead, unsolved: str) -> None:
        r, f = state.result, state.frame
        if r is None:
            self.spend_chart.show_empty(unsolved if state.call else "No call has proposals yet.")
            self.merit_chart.show_empty(unsolved if state.call else "")
            return
        years = [str(y) for y in r["years"]]
        per_year = lambda key: [r[key].get(y) for y in years]  # noqa: E731  (a year without budget: None)
        self.spend_chart.show_spend(r["years"], per_year("budget"), per_year("committed"), per_year("spend"),
                                    r.get("currency", ""), "Committed money (hatched), then the chosen proposals'; "
                                    "dashed: the year's budget; above each bar, the share of it used.")
        self.merit_chart.show_merit(f["code"], f["title"], f["merit"], f["chosen"], [v or None for v in f["forced"]],
                                    f["cost_total"], f["why_out"], f"{len(f)} competing proposals, best first; the "
                                    "funding line is the lowest merit chosen.")

    def _row_chosen(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.merit_chart.select(self.model.code_at(rows[0].row()) if rows else None)
        if rows:
            self.detail.setText(self.model.describe(rows[0].row()))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        code = self.model.code_at(index.row())
        menu = QMenu(self)
        menu.addAction(f"Force {code} &in", lambda: self.force_requested.emit(code, "in"))
        menu.addAction(f"Force {code} &out", lambda: self.force_requested.emit(code, "out"))
        menu.addAction("&Clear the forced choice", lambda: self.force_requested.emit(code, None))
        menu.addSeparator()
        menu.addAction("Export &decision file…", lambda: self.decision_file_requested.emit(code))
        menu.exec(self.table.viewport().mapToGlobal(pos))
