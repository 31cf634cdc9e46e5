"""What a bar chart shows, as plain data: the chart builders make it, BarChart draws it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .chart_items import short_number


@dataclass
class BarSeries:
    name: str
    values: Sequence[float]  # one per category, in the chart's units (e.g. USD millions)
    tooltips: Sequence[str] = field(default_factory=list)  # one per category: full names, exact amounts
    labels: Sequence[str] = ()  # the text on each bar; by default the value, shortened

    def label(self, j: int) -> str:
        return self.labels[j] if j < len(self.labels) else short_number(float(self.values[j]))


@dataclass
class ChartData:
    """Everything one chart shows, or why it shows nothing (`empty`, a sentence for people)."""

    categories: list[str] = field(default_factory=list)
    series: list[BarSeries] = field(default_factory=list)
    value_label: str = ""
    category_label: str = ""
    note: str = ""
    empty: str = ""
    title: str = ""  # replaces the chart's title when given
