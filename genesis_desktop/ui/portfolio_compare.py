"""Compare saved scenarios of a call: what each chooses, what it costs per year and area, its value and risk.

The comparison is decisions.scenarios.compare_scenarios, read in a worker; this widget only lays it
out: a line per scenario (value, count, money, risk), the proposals chosen in some but not all of
them, money by fiscal year (spend of budget) and money by area. Only solved scenarios can be ticked.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton, QSplitter,
    QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from genesis_desktop.decisions.scenarios import compare_scenarios

from .chart_items import money_unit
from .desk import Desk

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _money(amount: float | None, divisor: float) -> str:
    return "—" if amount is None else f"{amount / divisor:,.1f}"


def _fill(table: QTableWidget, headers: list[str], rows: list[list[str]], right_from: int = 1) -> None:
    """Cells as text; the columns from `right_from` on are figures, aligned right."""
    table.clear()
    table.setColumnCount(len(headers))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(headers)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c >= right_from:
                item.setTextAlignment(RIGHT)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def _table(name: str) -> QTableWidget:
    table = QTableWidget(0, 0, accessibleName=name, objectName=name.replace(" ", ""))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


class CompareView(QWidget):
    def __init__(self, desk: Desk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.call: str | None = None
        self.result: dict | None = None  # the last comparison shown
        self._solved: set[str] = set()  # the call's solved scenarios when last listed
        self.choices = QListWidget(self, objectName="compareChoices", accessibleName="Scenarios to compare")
        self.compare_button = QPushButton("&Compare", self, objectName="compareScenarios",
                                          toolTip="Compare the ticked scenarios (two or more, solved)")
        self.compare_button.clicked.connect(lambda: self.compare())
        self.message = QLabel("Tick two or more solved scenarios, then Compare.", self, wordWrap=True,
                              objectName="compareMessage")
        self.scenarios_table = _table("Scenarios compared")
        self.differing_table = _table("Proposals that differ")
        self.years_table = _table("Money by year")
        self.areas_table = _table("Money by area")
        self.tabs = QTabWidget(self)
        for table, title in ((self.differing_table, "Proposals that differ"), (self.years_table, "Money by year"),
                             (self.areas_table, "Money by area")):
            self.tabs.addTab(table, title)
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("Scenarios of the call:", left))
        column.addWidget(self.choices, 1)
        column.addWidget(self.compare_button)
        right = QWidget(self)
        body = QVBoxLayout(right)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.message)
        body.addWidget(self.scenarios_table)
        body.addWidget(self.tabs, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 4)
        split.setSizes([220, 800])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(split)

    def set_scenarios(self, call: str | None, rows: list[dict]) -> None:
        """The call's saved scenarios (list_scenarios rows): a scenario solved since the last call is
        ticked, the others keep their ticks."""
        solved = [r["name"] for r in rows if r.get("solved_at")]
        same_call = call == self.call
        ticked = (set(self.checked()) | (set(solved) - self._solved)) if same_call else set(solved)
        if not same_call:
            self.result = None
        self.call, self._solved = call, set(solved)
        self.choices.clear()
        for r in rows:
            item = QListWidgetItem(r["name"] if r.get("solved_at") else f"{r['name']} (not solved)")
            item.setData(Qt.ItemDataRole.UserRole, r["name"])
            if r.get("solved_at"):
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if r["name"] in ticked else Qt.CheckState.Unchecked)
            else:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.choices.addItem(item)
        self.compare_button.setEnabled(len(solved) >= 2)

    def checked(self) -> list[str]:
        items = (self.choices.item(i) for i in range(self.choices.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked]

    def compare(self, names: list[str] | None = None) -> None:
        names = self.checked() if names is None else list(names)
        if len(names) < 2:
            self.message.setText("Tick two or more solved scenarios to compare them.")
            return
        store = self.desk.store
        self.message.setText("Comparing…")
        self.desk.load("portfolio-compare", lambda: compare_scenarios(store, names), self.show_comparison,
                       lambda message: self.message.setText(f"Could not compare: {message}"))

    def show_comparison(self, result: dict) -> None:
        self.result = result
        runs = result["scenarios"]
        names = [s["name"] for s in runs]
        years = sorted({y for s in runs for y in s["spend"]})
        largest = max([v for s in runs for v in s["spend"].values()] + [1.0])
        divisor, word = money_unit(largest)
        unit = f"{runs[0]['currency']} {word}".strip()
        rows = [[s["name"], f"{s['value']:,.3f}", str(s["count"]), _money(sum(s["spend"].values()), divisor),
                 _risk(s.get("risk"), "expected_cost", divisor), _risk(s.get("risk"), "p_within_all_budgets"),
                 _risk(s.get("risk"), "conditional_value_at_risk", divisor)] for s in runs]
        _fill(self.scenarios_table, ["Scenario", "Value", "Chosen", "Spend,\nall years", "Expected cost\n(risk run)",
                                     "P(within\nevery budget)", "Expected\nshortfall"], rows)
        self._fit_height(self.scenarios_table)
        differing = result["differing"]
        _fill(self.differing_table, ["Code", "Title"] + names,
              [[d["code"], d["title"]] + ["chosen" if n in d["chosen_in"] else "" for n in names] for d in differing],
              right_from=2)
        self.tabs.setTabText(0, f"Proposals that differ ({len(differing)})")
        _fill(self.years_table, ["Scenario"] + [f"FY{y}\nspend of budget" for y in years],
              [[s["name"]] + [f"{_money(s['spend'].get(y), divisor)} of {_money(s['budget'].get(y), divisor)}"
                              for y in years] for s in runs])
        areas = sorted({a for s in runs for a in s["money_by_area"]})
        _fill(self.areas_table, ["Area"] + names,
              [[a] + [_money(sum(s["money_by_area"].get(a, {}).values()), divisor) for s in runs] for a in areas])
        self.message.setText(f"{len(names)} scenarios: {result['in_all']} proposals chosen in all of them, "
                             f"{len(differing)} chosen in some but not all. Money in {unit}.")

    @staticmethod
    def _fit_height(table: QTableWidget) -> None:
        """As tall as its rows (a few scenarios), so the tabs below get the room."""
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        scroll = table.horizontalScrollBar().sizeHint().height()
        table.setMaximumHeight(table.horizontalHeader().sizeHint().height() + rows + scroll + 2 * table.frameWidth())


def _risk(summary: dict | None, key: str, divisor: float | None = None) -> str:
    """A figure of the risk summary record_risk keeps (an estimate, or {estimate, low, high})."""
    figure = (summary or {}).get(key)
    if figure is None:
        return "not run" if not summary else "—"
    estimate = figure["estimate"] if isinstance(figure, dict) else figure
    return f"{estimate:.0%}" if divisor is None else _money(estimate, divisor)
