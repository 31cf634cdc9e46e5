"""The portfolio report's charts as vector drawings (reportlab.graphics), from report_data's figures.

Drawn without Qt so that `genesis report` runs on a headless machine; each function returns a
Drawing of the given size, a platypus flowable. Money axes are in millions of the report's currency:
a programme's budgets run to tens of millions, and seven-digit tick labels would crowd the axis.
"""
from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

BUDGET, COMMITTED, CHOSEN = colors.HexColor("#b8c7d9"), colors.HexColor("#8c8c8c"), colors.HexColor("#1f5a96")
LEFT_OUT = colors.HexColor("#c4c4c4")
CORE, BORDER, EXTERIOR = colors.HexColor("#1f5a96"), colors.HexColor("#e0a030"), colors.HexColor("#c4c4c4")
FONT, FONT_BOLD = "Helvetica", "Helvetica-Bold"


def _millions(values) -> list[float]:
    return [float(v) / 1e6 for v in values]


def _axis_title(d: Drawing, text: str, x: float, y: float, angle: int = 0) -> None:
    s = String(0, 0, text, fontName=FONT, fontSize=8, fillColor=colors.black, textAnchor="middle")
    if angle:
        from reportlab.graphics.shapes import Group

        g = Group(s)
        g.translate(x, y)
        g.rotate(angle)
        d.add(g)
    else:
        s.x, s.y = x, y
        d.add(s)


def _legend(d: Drawing, x: float, y: float, items: list[tuple[colors.Color, str]]) -> None:
    legend = Legend()
    legend.x, legend.y, legend.alignment = x, y, "right"
    legend.fontName, legend.fontSize, legend.boxAnchor = FONT, 8, "nw"
    legend.columnMaximum, legend.dx, legend.dy, legend.deltay = 4, 8, 8, 11
    legend.colorNamePairs = items
    d.add(legend)


def _nice_top(value: float) -> float:
    """An axis end a little above `value` at a round number, so that bars never touch the frame."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 20
    return (int(value * 1.08 / step) + 1) * step


def spend_vs_budget(fig: dict, currency: str, width: float, height: float) -> Drawing:
    """Per fiscal year: the budget beside the spend (money already committed plus the chosen)."""
    d = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 60, 36, width - 200, height - 56
    budget, committed = _millions(fig["budget"]), _millions(fig["committed"])
    spend = [c + k for c, k in zip(committed, _millions(fig["chosen"]))]
    chart.data = [budget, spend, committed]
    chart.categoryAxis.categoryNames = [f"FY{y}" for y in fig["years"]]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, _nice_top(max(budget + spend + [0.0]))
    chart.valueAxis.labelTextFormat = "{:,.0f}".format
    chart.barSpacing, chart.groupSpacing = 2, 14
    for i, colour in enumerate((BUDGET, CHOSEN, COMMITTED)):
        chart.bars[i].fillColor, chart.bars[i].strokeColor = colour, None
    d.add(chart)
    _axis_title(d, f"{currency} millions", 14, chart.y + chart.height / 2, 90)
    _legend(d, chart.x + chart.width + 16, chart.y + chart.height,
            [(BUDGET, "Budget"), (CHOSEN, "Spend (committed + chosen)"), (COMMITTED, "Already committed")])
    return d


def money_by_area(fig: dict, currency: str, width: float, height: float) -> Drawing:
    """The chosen money of each area over all years, largest first (at the top)."""
    d = Drawing(width, height)
    areas, totals = fig["areas"][::-1], _millions(fig["totals"][::-1])
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 190, 30, width - 230, height - 44
    chart.data = [totals or [0.0]]
    chart.categoryAxis.categoryNames = areas or [""]
    chart.categoryAxis.labels.fontName = chart.valueAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = chart.valueAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, _nice_top(max(totals + [0.0]))
    chart.valueAxis.labelTextFormat = "{:,.0f}".format
    chart.bars[0].fillColor, chart.bars[0].strokeColor = CHOSEN, None
    d.add(chart)
    _axis_title(d, f"{currency} millions, all fiscal years", chart.x + chart.width / 2, 6)
    return d


def merit_vs_cost(fig: dict, currency: str, width: float, height: float) -> Drawing:
    """Every competing proposal: its request (all years) against its merit, the chosen ones marked."""
    d = Drawing(width, height)
    chosen = [(x / 1e6, y) for x, y, c in fig["points"] if c]
    left = [(x / 1e6, y) for x, y, c in fig["points"] if not c]
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 60, 40, width - 200, height - 56
    series = [s for s in (left, chosen) if s]
    plot.data = series or [[(0.0, 0.0)]]
    styles = [(LEFT_OUT, "Circle", 3.2), (CHOSEN, "FilledCircle", 3.6)]
    styles = [st for st, s in zip(styles, (left, chosen)) if s] or styles[:1]
    for i, (colour, kind, size) in enumerate(styles):
        plot.lines[i].strokeColor = None  # points only: a line through costs would mean nothing
        plot.lines[i].symbol = makeMarker(kind, size=size, fillColor=colour, strokeColor=colour, strokeWidth=0.6)
    plot.xValueAxis.valueMin, plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, 0, 1.0
    plot.xValueAxis.valueMax = _nice_top(max([x for x, _ in chosen + left] + [0.0]))
    plot.xValueAxis.labelTextFormat = "{:,.0f}".format
    plot.yValueAxis.labelTextFormat = "{:.1f}".format
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = FONT, 8
    d.add(plot)
    _axis_title(d, f"requested, {currency} millions", plot.x + plot.width / 2, 8)
    _axis_title(d, "merit (1 = best)", 14, plot.y + plot.height / 2, 90)
    _legend(d, plot.x + plot.width + 16, plot.y + plot.height,
            [(CHOSEN, f"Chosen ({len(chosen)})"), (LEFT_OUT, f"Left out ({len(left)})")])
    return d


def robustness_shares(fig: dict, width: float, height: float, core: float = 0.9, exterior: float = 0.1) -> Drawing:
    """Each proposal's share of the optimal portfolios over posterior draws, most robust first, with
    the core and exterior lines; too many bars for names, so the table beside it names them."""
    d = Drawing(width, height)
    shares = [float(s) for s in fig["shares"]] or [0.0]
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 60, 30, width - 200, height - 44
    chart.data = [shares]
    chart.categoryAxis.categoryNames = [""] * len(shares)
    chart.categoryAxis.visibleTicks = 0
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 1, 0.2
    chart.valueAxis.labelTextFormat = "{:.0%}".format
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 8
    chart.barSpacing, chart.groupSpacing = 0, max(0.2, 4 - len(shares) / 40)
    chart.bars[0].strokeColor = None
    for i, s in enumerate(shares):
        chart.bars[(0, i)].fillColor = CORE if s >= core else (EXTERIOR if s < exterior else BORDER)
    d.add(chart)
    for level in (core, exterior):
        y = chart.y + chart.height * level
        d.add(Line(chart.x, y, chart.x + chart.width, y, strokeColor=colors.black, strokeWidth=0.5,
                   strokeDashArray=[3, 2]))
    _axis_title(d, f"{len(fig['shares'])} proposals, most robust first", chart.x + chart.width / 2, 10)
    _legend(d, chart.x + chart.width + 16, chart.y + chart.height,
            [(CORE, f"core (≥ {core:.0%})"), (BORDER, "borderline"), (EXTERIOR, f"exterior (< {exterior:.0%})")])
    return d
