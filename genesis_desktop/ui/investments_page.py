"""Investments: what each partner pledged, obligated and disbursed, year by year.

A partner list on the left (or all partners); for the selection, a chart per currency of the three
amounts by fiscal year and a table with the exact figures. Amounts show in each commitment's own
currency or converted to a reporting currency at pledge-date rates; switching between the two only
redraws, choosing another reporting currency reads the figures again off the GUI thread.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genesis_desktop.portfolio.overview_investments import Investments, read_investments

from .chart_investments import ALL, investment_charts, investment_table
from .chart_controls import CurrencyCombo
from .charts import BarChart
from .desk import Desk
from .page import Page

INVESTMENT_TABLES = frozenset({"programme", "partner", "commitment", "commitment_year", "exchange_rate",
                               "call", "proposal"})  # the last two: which currencies can be reported in
CODE = Qt.ItemDataRole.UserRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CHART_HEIGHT = 250  # the least height a chart is given, in pixels


class InvestmentsPage(Page):
    tables = INVESTMENT_TABLES

    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(desk, "investments", "Investments", "partners", parent)
        self.investments: Investments | None = None
        self.reporting_currency: str | None = None  # None until chosen: the programme's
        self.partner: str | None = ALL

        self.title_label = QLabel("Investments", self, objectName="pageTitle")
        self.original_button = QRadioButton("Original currency", self)
        self.reporting_button = QRadioButton("Reporting currency:", self)
        self.original_button.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.original_button)
        modes.addButton(self.reporting_button)
        modes.buttonToggled.connect(lambda _b, on: on and self._draw())
        self.currency_combo = CurrencyCombo(self._currency_chosen, self)

        self.partner_list = QListWidget(self, objectName="partnerList")
        self.partner_list.setAccessibleName("Partners")
        self.partner_list.setWordWrap(True)
        self.partner_list.currentItemChanged.connect(self._partner_chosen)
        self.charts_box = QWidget(self)
        self.charts_layout = QVBoxLayout(self.charts_box)
        self.charts_layout.setContentsMargins(0, 0, 0, 0)
        self.charts: list[BarChart] = []
        self.table = QTableWidget(self, objectName="investmentTable")
        self.table.setAccessibleName("Commitments by fiscal year")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setMinimumHeight(120)
        self.rates_label = QLabel("Loading…", self, objectName="ratesUsed")
        self.rates_label.setWordWrap(True)
        self.rates_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(QLabel("Amounts in:", self))
        top.addWidget(self.original_button)
        top.addWidget(self.reporting_button)
        top.addWidget(self.currency_combo)
        right = self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        right.setChildrenCollapsible(False)
        right.addWidget(self.charts_box)
        right.addWidget(self.table)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right.setSizes([3 * CHART_HEIGHT, 2 * CHART_HEIGHT])
        body = QSplitter(Qt.Orientation.Horizontal, self)
        body.addWidget(self.partner_list)
        body.addWidget(right)
        body.setStretchFactor(1, 1)
        body.setSizes([230, 870])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(top)
        layout.addWidget(body, 1)
        layout.addWidget(self.rates_label)

    @property
    def in_reporting_currency(self) -> bool:
        return self.reporting_button.isChecked()

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        engine, currency = self.desk.engine, self.reporting_currency
        self.desk.load(self.key, lambda: read_investments(engine, currency), self._on_loaded, self._on_failed)

    def _on_loaded(self, investments: Investments) -> None:
        self.investments = investments
        self.reporting_currency = investments.reporting_currency
        self.currency_combo.set_currencies(investments.currencies, investments.reporting_currency)
        self._fill_partners()
        self.rates_label.setText(investments.rates_text())
        self._draw()
        self.mark_loaded()

    def _on_failed(self, message: str) -> None:
        self.rates_label.setText(f"Could not read the commitments: {message}")
        self.mark_loaded(message)

    def _currency_chosen(self, currency: str) -> None:
        if currency != self.reporting_currency:
            self.reporting_currency = currency
            self.reporting_button.setChecked(True)
            self.reload()

    def _fill_partners(self) -> None:
        partners = self.investments.partners.sort_values(["commitments", "name"], ascending=[False, True])
        with QSignalBlocker(self.partner_list):
            self.partner_list.clear()
            everyone = QListWidgetItem("All partners")
            everyone.setData(CODE, ALL)
            self.partner_list.addItem(everyone)
            for p in partners.itertuples(index=False):
                text = p.name if p.commitments else f"{p.name} (no commitments)"
                item = QListWidgetItem(text)
                item.setData(CODE, p.code)
                item.setToolTip(f"{p.code} · {p.kind} · {p.country} · fiscal calendar {p.fiscal_calendar}\n"
                                f"{p.commitments} commitment(s), cancelled ones left out")
                self.partner_list.addItem(item)
            # Keep the partner shown before the reload, if it is still there; the caller draws.
            self.partner = self.partner if self.partner in set(partners["code"]) else ALL
            self.select_partner(self.partner)

    def select_partner(self, code: str | None) -> None:
        for row in range(self.partner_list.count()):
            if self.partner_list.item(row).data(CODE) == code:
                self.partner_list.setCurrentRow(row)
                return
        raise ValueError(f"no partner {code!r} in the list")

    def _partner_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.partner = item.data(CODE)
            self._draw()

    # Drawing ----------------------------------------------------------------------------------

    def _draw(self) -> None:
        if self.investments is None:
            return
        reporting = self.in_reporting_currency
        datas = investment_charts(self.investments, self.partner, reporting)
        while len(self.charts) < len(datas):
            chart = BarChart("", parent=self.charts_box)
            self.charts_layout.addWidget(chart)
            self.charts.append(chart)
        for chart, data in zip(self.charts, datas):
            chart.display(data)
            chart.show()
        for chart in self.charts[len(datas):]:
            chart.hide()
        # Room for each chart's plot and legend; the table scrolls instead.
        self.charts_box.setMinimumHeight(CHART_HEIGHT * min(2, len(datas)))
        self._fill_table(reporting)
        self.state_changed.emit()

    @property
    def visible_charts(self) -> list[BarChart]:
        return [c for c in self.charts if not c.isHidden()]

    def _fill_table(self, reporting: bool) -> None:
        spec = investment_table(self.investments, self.partner, reporting)
        self.table.setVisible(bool(spec.rows))
        self.table.clear()
        self.table.setColumnCount(len(spec.headers))
        self.table.setHorizontalHeaderLabels(spec.headers)
        self.table.setRowCount(len(spec.rows) + len(spec.totals))
        money_columns = {spec.headers.index(h) for h in ("Pledged", "Obligated", "Disbursed")}
        bold = QFont(self.font())
        bold.setBold(True)
        for r, cells in enumerate(spec.rows + spec.totals):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in money_columns:
                    item.setTextAlignment(RIGHT)
                if r >= len(spec.rows):
                    item.setFont(bold)
                elif c == 0:
                    item.setToolTip(spec.tooltips[r])
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

    def status_text(self) -> str:
        if self.investments is None:
            return ""
        partners = self.investments.partners
        return f"{int((partners['commitments'] > 0).sum())} of {len(partners)} partners with commitments"
