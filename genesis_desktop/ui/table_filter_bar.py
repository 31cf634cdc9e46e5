"""The typed filters of a table page: a list per low-cardinality column and a min–max range per number.

Which columns get which control is declared on their ColumnSpec (`filter_by`). The bar says in words
which filters are active (never by colour alone) and offers "Clear filters". It computes nothing: it
hands its `filters()` to the model, and the lists of values with their counts come from the worker
that loaded the table (`set_choices`).
"""
from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from .flow_layout import FlowLayout
from .columns import ColumnSpec
from .table_query import ChoiceFilter, Filter, RangeFilter, YearFilter, parse_bound

# A list longer than this helps no one pick: such a column is left to the text filter.
MAX_CHOICES = 300
RANGE_DELAY_MS = 400
SUMMARY_WIDTH = 560
ALL = "All"


class FilterBar(QWidget):
    """Filters typed by column; `changed` when any of them changes, `clear_requested` by its button."""

    changed = Signal()
    clear_requested = Signal()

    def __init__(self, columns: tuple[ColumnSpec, ...], text_box: QWidget | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._titles = {c.key: c.title for c in columns}
        self.combos: dict[str, QComboBox] = {}
        self.ranges: dict[str, tuple[QLineEdit, QLineEdit]] = {}
        self._kinds = {c.key: c.filter_by for c in columns if c.filter_by}
        self._groups: dict[str, QWidget] = {}
        self._problems: dict[str, str] = {}
        self._range_timer = QTimer(self, singleShot=True, interval=RANGE_DELAY_MS)
        self._range_timer.timeout.connect(self._range_edited)
        layout = FlowLayout(self)
        if text_box is not None:  # the free-text filter leads the bar: all that narrows rows is in one place
            layout.addWidget(text_box)
        for spec in columns:
            if spec.filter_by in ("choice", "years"):
                layout.addWidget(self._choice_group(spec))
            elif spec.filter_by == "range":
                layout.addWidget(self._range_group(spec))
        self.summary = QLabel("No filters", objectName="activeFilters")
        # Wrapped, never wider than SUMMARY_WIDTH: many filters must not widen the window.
        self.summary.setWordWrap(True)
        self.clear_button = QPushButton("Clear filters", objectName="clearFilters")
        self.clear_button.setAccessibleName("Clear filters")
        self.clear_button.setToolTip("Remove every filter, typed words included")
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear_requested)
        # Shown only while something narrows the rows, so an unfiltered table keeps its height.
        self.active_group = end = QWidget(objectName="activeFiltersGroup")
        end.hide()
        row = QHBoxLayout(end)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.summary)
        row.addWidget(self.clear_button)
        layout.addWidget(end)

    def controls(self) -> list[QWidget]:
        """Every input of the bar, left to right (the page puts them in its Tab order)."""
        widgets: list[QWidget] = []
        for key in self._kinds:
            widgets += [self.combos[key]] if key in self.combos else list(self.ranges[key])
        return widgets + [self.clear_button]

    # Building ---------------------------------------------------------------------------------

    def _group(self, key: str, title: str, *widgets: QWidget) -> QWidget:
        group = QWidget(objectName=f"filterGroup_{key}")
        row = QHBoxLayout(group)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        label = QLabel(f"{title}:")
        label.setBuddy(widgets[0])
        row.addWidget(label)
        for widget in widgets:
            row.addWidget(widget)
        self._groups[key] = group
        return group

    def _choice_group(self, spec: ColumnSpec) -> QWidget:
        combo = QComboBox(objectName=f"filter_{spec.key}")
        combo.setAccessibleName(f"Filter by {spec.title}")
        combo.setToolTip(f"Show only the rows with this {spec.title.lower()}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMaximumWidth(260)
        combo.addItem(ALL, None)
        combo.currentIndexChanged.connect(lambda _i: self._emit())
        self.combos[spec.key] = combo
        return self._group(spec.key, spec.title, combo)

    def _range_group(self, spec: ColumnSpec) -> QWidget:
        edits = []
        for side, word in (("min", "at least"), ("max", "at most")):
            edit = QLineEdit(objectName=f"filter_{spec.key}_{side}")
            edit.setPlaceholderText(side)
            edit.setAccessibleName(f"{spec.title} {word}")
            edit.setToolTip(f"{spec.title} {word} this (1,500,000 or 1.5M)")
            edit.setFixedWidth(self.fontMetrics().horizontalAdvance("0,000,000,000") + 12)
            edit.setClearButtonEnabled(False)
            edit.textEdited.connect(lambda _t: self._range_timer.start())
            edit.editingFinished.connect(self._range_edited)
            edits.append(edit)
        self.ranges[spec.key] = (edits[0], edits[1])
        return self._group(spec.key, spec.title, edits[0], QLabel("–"), edits[1])

    # Values -----------------------------------------------------------------------------------

    def set_choices(self, choices: dict[str, list[tuple[str, int]]]) -> None:
        """Fill each list with the column's values and row counts, keeping what was picked."""
        for key, combo in self.combos.items():
            options = choices.get(key, [])
            picked = combo.currentData()
            # One value is no choice, and hundreds are too many to pick from: both are left to the text filter.
            self._groups[key].setVisible(1 < len(options) <= MAX_CHOICES or picked is not None)
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ALL, None)
            for label, count in options[:MAX_CHOICES]:
                combo.addItem(f"{label} ({count:,})", label)
            if picked is not None and combo.findData(picked) < 0:
                combo.addItem(f"{picked} (0)", picked)  # still filtering by it: say so, do not drop it
            combo.setCurrentIndex(max(combo.findData(picked), 0))
            combo.blockSignals(False)
        self.layout().invalidate()
        self.updateGeometry()

    def set_choice(self, key: str, label: str | None) -> None:
        """Pick `label` (None: All) in the list of column `key`."""
        combo = self.combos[key]
        index = combo.findData(label) if label is not None else 0
        if index < 0:
            combo.addItem(f"{label} (0)", label)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def set_range(self, key: str, low: str = "", high: str = "") -> None:
        low_edit, high_edit = self.ranges[key]
        low_edit.setText(low)
        high_edit.setText(high)
        self._range_edited()

    def clear(self) -> None:
        """Every list back to All and every range empty, with one `changed`."""
        self.blockSignals(True)
        for combo in self.combos.values():
            combo.setCurrentIndex(0)
        for edits in self.ranges.values():
            for edit in edits:
                edit.clear()
        self._problems.clear()
        self.blockSignals(False)
        self._emit()

    def filters(self) -> tuple[Filter, ...]:
        out: list[Filter] = []
        for key, combo in self.combos.items():
            picked = combo.currentData()
            if picked is not None:
                is_year = self._kinds[key] == "years"
                out.append(YearFilter(key, int(str(picked)[2:])) if is_year else ChoiceFilter(key, picked))
        for key, (low_edit, high_edit) in self.ranges.items():
            bounds = [self._bound(key, e) for e in (low_edit, high_edit)]
            if bounds != [None, None]:
                out.append(RangeFilter(key, *bounds))
        return tuple(out)

    def describe(self) -> list[str]:
        """Each active filter in words ('Status is Awarded'), and each range that could not be read."""
        words = [f.describe(self._titles[f.column]) for f in self.filters()]
        return words + [f"{self._titles[k]}: {problem}" for k, problem in self._problems.items()]

    def show_summary(self, text_words: str) -> None:
        """Say what narrows the rows, the words typed in the filter box included."""
        parts = ([f"text contains “{text_words}”"] if text_words.strip() else []) + self.describe()
        text = "Filtered by: " + "; ".join(parts) if parts else "No filters"
        self.summary.setText(text)
        # As wide as the words up to the cap: a wrapped label would otherwise wrap at a third of it.
        self.summary.setFixedWidth(min(self.summary.fontMetrics().horizontalAdvance(text) + 8, SUMMARY_WIDTH))
        self.summary.setToolTip("\n".join(parts))
        self.clear_button.setEnabled(bool(parts))
        if self.active_group.isHidden() == bool(parts):
            self.active_group.setVisible(bool(parts))
            self.updateGeometry()

    def _bound(self, key: str, edit: QLineEdit) -> float | None:
        try:
            return parse_bound(edit.text())
        except ValueError:
            return None

    def _range_edited(self) -> None:
        self._range_timer.stop()
        self._problems.clear()
        for key, edits in self.ranges.items():
            for edit in edits:
                try:
                    parse_bound(edit.text())
                except ValueError as exc:
                    self._problems[key] = f"{exc}, ignored"
        self._emit()

    def _emit(self) -> None:
        if not self.signalsBlocked():
            self.changed.emit()
