"""The Overview: where the money is asked for, what partners have put in, where proposals stand,
and which challenges have too few proposals.

The figures are read off the GUI thread (portfolio.overview.read_overview, through Desk.load);
choosing another reporting currency reads them again, converted at that currency's rates, and
the line under the title says which rates were used.
"""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from genesis_desktop.portfolio.overview import FEW_PROPOSALS, Overview, read_overview

from .chart_overview import area_chart, budget_chart, commitments_chart, plural, status_chart
from .chart_controls import CurrencyCombo
from .charts import BarChart
from .desk import Desk
from .page import Page
from .resources import icon

OVERVIEW_TABLES = frozenset({
    "programme", "challenge", "call", "call_phase", "proposal", "proposal_budget", "proposal_challenge",
    "partner", "commitment", "commitment_year", "exchange_rate",
})
SIDE_WIDTH = 240


class OverviewPage(Page):
    tables = OVERVIEW_TABLES

    def __init__(self, desk: Desk, rates_on: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(desk, "overview", "Overview", "overview", parent)
        self.rates_on = rates_on  # None: today's rates, read at each load
        self.overview: Overview | None = None
        self.reporting_currency: str | None = None  # None until chosen: the programme's

        self.title_label = QLabel("Overview", self, objectName="pageTitle")
        self.currency_combo = CurrencyCombo(self._currency_chosen, self)
        self.few_spin = QSpinBox(self, objectName="fewProposalsBelow")
        self.few_spin.setRange(1, 1000)
        self.few_spin.setValue(FEW_PROPOSALS)
        self.few_spin.setAccessibleName("Fewer than this many proposals counts as few")
        self.few_spin.valueChanged.connect(self._show_few)
        self.rates_label = QLabel("Loading…", self, objectName="ratesUsed")
        self.rates_label.setWordWrap(True)
        self.rates_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel(self, objectName="pageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.area_chart = BarChart("Requested by challenge area and phase", horizontal=True)
        self.budget_chart = BarChart("Requested against the call budget", label_width=16)
        self.commitments_chart = BarChart("Commitments by partner and fiscal year")
        self.status_chart = BarChart("Proposals by status and phase", horizontal=True)
        self.charts = [self.area_chart, self.budget_chart, self.commitments_chart, self.status_chart]

        self.few_title = QLabel(self, objectName="sectionTitle")
        self.few_title.setWordWrap(True)
        self.few_list = QListWidget(self, objectName="fewProposals")
        self.few_list.setAccessibleName("Challenges with no or few proposals")
        self.few_list.setIconSize(QSize(18, 18))
        self.few_list.setWordWrap(True)
        self._attention = icon("attention", selected=None)

        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(QLabel("Reporting currency:", self, buddy=self.currency_combo))
        top.addWidget(self.currency_combo)
        top.addSpacing(16)
        top.addWidget(QLabel("Few proposals: fewer than", self, buddy=self.few_spin))
        top.addWidget(self.few_spin)
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(12)
        for i, chart in enumerate(self.charts):
            grid.addWidget(chart, i // 2, i % 2)
        side = QVBoxLayout()
        side.addWidget(self.few_title)
        side.addWidget(self.few_list, 1)
        side_box = QWidget(self)
        side_box.setLayout(side)
        side_box.setFixedWidth(SIDE_WIDTH)
        side.setContentsMargins(0, 0, 0, 0)
        body = QHBoxLayout()
        body.addLayout(grid, 1)
        body.addSpacing(8)
        body.addWidget(side_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.rates_label)
        layout.addWidget(self.error_label)
        layout.addLayout(body, 1)

    # Loading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        engine, currency, day = self.desk.engine, self.reporting_currency, self.rates_on
        self.desk.load(self.key, lambda: read_overview(engine, currency, day), self._on_loaded, self._on_failed)

    def _on_loaded(self, overview: Overview) -> None:
        self.overview = overview
        self.reporting_currency = overview.reporting_currency
        self.currency_combo.set_currencies(overview.currencies, overview.reporting_currency)
        self.error_label.hide()
        self.rates_label.setText(overview.rates_text())
        self.area_chart.display(area_chart(overview))
        self.budget_chart.display(budget_chart(overview))
        self.commitments_chart.display(commitments_chart(overview))
        self.status_chart.display(status_chart(overview))
        self._show_few()
        self.mark_loaded()

    def _on_failed(self, message: str) -> None:
        self.error_label.setText(f"Could not read the overview in {self.reporting_currency or 'the programme currency'}: "
                                 f"{message}")
        self.error_label.show()
        self.mark_loaded(message)

    def _currency_chosen(self, currency: str) -> None:
        if currency != self.reporting_currency:
            self.reporting_currency = currency
            self.rates_label.setText(f"Converting to {currency}…")
            self.reload()

    # Challenges with few proposals --------------------------------------------------------------

    def _show_few(self) -> None:
        below = self.few_spin.value()
        self.few_title.setText(f"Challenges with fewer than {plural(below, 'proposal')}")
        self.few_list.clear()
        if self.overview is None:
            return
        few = self.overview.few_proposals(below)
        for row in few.itertuples(index=False):
            count = "no proposals" if row.proposals == 0 else plural(row.proposals, "proposal")
            item = QListWidgetItem(self._attention, f"{row.code}: {count}\n{row.title}")
            item.setToolTip(f"{row.code} · {row.title}\nArea: {row.area} · status: {row.status}\n"
                            f"Filed under it: {count}; also addressed by {plural(row.also_addressed, 'other proposal')}"
                            " (withdrawn ones left out)")
            item.setData(Qt.ItemDataRole.UserRole, row.code)
            self.few_list.addItem(item)
        if few.empty:
            self.few_list.addItem(QListWidgetItem(f"None: every challenge has at least {plural(below, 'proposal')}."))
        self.state_changed.emit()

    @property
    def few_codes(self) -> list[str]:
        """The challenges listed as having few proposals, in list order."""
        items = (self.few_list.item(i) for i in range(self.few_list.count()))
        return [code for item in items if (code := item.data(Qt.ItemDataRole.UserRole))]

    def status_text(self) -> str:
        if self.overview is None:
            return ""
        few = len(self.few_codes)
        return (f"Reporting in {self.overview.reporting_currency} · "
                f"{plural(few, 'challenge')} with fewer than {plural(self.few_spin.value(), 'proposal')}")
