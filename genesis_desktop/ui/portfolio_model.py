"""The proposals of a solved scenario as table rows, the model that shows them, and what the page reads.

`scenario_table` turns the result JSON (docs/decisions.md) into a TableData in a worker; the GUI
thread only swaps it in. Before a scenario is solved the page shows no rows. The model is the
project's array table model (sorting by argsort over the columns); chosen rows are tinted, and a
forced choice shows in bold, so the officer sees at a glance what the optimiser picked and what was
imposed on it; why a proposal is out is every cell's tooltip (the page hides that wide column).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from sqlalchemy import func, select

from genesis_desktop.decisions import scenarios
from genesis_desktop.portfolio.programme import Call
from genesis_desktop.portfolio.proposals import Proposal

from .chart_items import money_unit
from .columns import ColumnSpec, TableData
from .table_model import ArrayTableModel

PORTFOLIO_COLUMNS = (
    ColumnSpec("code", "Code"),
    ColumnSpec("title", "Title", stretch=True),
    ColumnSpec("phase", "Phase"),
    ColumnSpec("area", "Area"),
    ColumnSpec("lead", "Lead"),
    ColumnSpec("cost_total", "Cost", "float", text_key="cost_text", filterable=False),
    ColumnSpec("merit", "Merit", "float", text_key="merit_text", filterable=False),
    ColumnSpec("chosen", "Chosen", "bool", text_key="chosen_text"),
    ColumnSpec("forced", "Forced", text_key="forced_text"),
    ColumnSpec("robustness", "Robust-\nness", "float", text_key="robustness_text", filterable=False),
    ColumnSpec("why_out", "Why not chosen", text_key="why_text"),
)
HEADER_TIPS = {
    "cost_total": "The proposal's requested budget over all years, in the reporting currency",
    "merit": "From the call's latest calibration (or mean review total): 1 = the best on the rubric's scale",
    "chosen": "In the optimal portfolio of this scenario",
    "forced": "Forced in or out by the scenario, whatever the optimiser would choose",
    "robustness": "Share of the optimal portfolios over posterior draws of the scores that hold it "
                  "(core ≥ 90%, borderline 10–90%, exterior < 10%)",
    "why_out": "Why a proposal cannot be chosen (a declined Phase I, a forced choice), where the solver says",
}
CHOSEN_TINT = QColor(0, 114, 178, 46)  # Okabe-Ito blue, faint: readable under light and dark text


def _share_text(share: float) -> str:
    if share != share:
        return ""
    band = "core" if share >= 0.9 else "borderline" if share >= 0.1 else "exterior"
    return f"{share:.0%} {band}"


def proposals_frame(result: dict) -> pd.DataFrame:
    """One row per proposal of the result, best merit first; robustness where it was run."""
    rows = result.get("proposals") or []
    share = ((result.get("robustness") or {}).get("share")) or {}
    f = pd.DataFrame({
        "code": pd.Series([p["code"] for p in rows], dtype=object),
        "title": pd.Series([p.get("title") or "" for p in rows], dtype=object),
        "phase": pd.Series([p.get("phase") or "" for p in rows], dtype=object),
        "area": pd.Series([p.get("area") or "" for p in rows], dtype=object),
        "lead": pd.Series([p.get("lead") or "" for p in rows], dtype=object),
        "cost_total": np.array([float(p.get("cost_total") or 0.0) for p in rows], dtype=float),
        "merit": np.array([float(p.get("merit") or 0.0) for p in rows], dtype=float),
        "chosen": np.array([bool(p.get("chosen")) for p in rows], dtype=bool),
        "forced": pd.Series([p.get("forced") or "" for p in rows], dtype=object),
        "robustness": np.array([float(share.get(p["code"], np.nan)) for p in rows], dtype=float),
        "why_out": pd.Series([p.get("why_out") or "" for p in rows], dtype=object),
    })
    f["cost_text"] = [f"{c:,.0f}" for c in f["cost_total"]]  # the currency is in the column's header
    f["merit_text"] = [f"{m:.3f}" for m in f["merit"]]
    f["chosen_text"] = np.where(f["chosen"], "yes", "")
    f["forced_text"] = f["forced"]
    f["robustness_text"] = [_share_text(s) for s in f["robustness"]]
    f["why_text"] = f["why_out"]
    return f.sort_values("merit", ascending=False, kind="stable", ignore_index=True)


def scenario_table(result: dict | None) -> tuple[pd.DataFrame, TableData]:
    """The frame and the prepared table of a result (no rows for an unsolved scenario); in a worker."""
    frame = proposals_frame(result or {})
    return frame, TableData.from_frame(frame, PORTFOLIO_COLUMNS).prepare()


class PortfolioModel(ArrayTableModel):
    """The scenario's proposals; chosen rows tinted, forced ones in bold."""

    def __init__(self, parent=None) -> None:
        super().__init__(PORTFOLIO_COLUMNS, parent)
        self.currency = ""  # the reporting currency, named in the cost column's header
        self._chosen = self.column_of("chosen")
        self._forced = self.column_of("forced")
        self._why = self.column_of("why_out")
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.BackgroundRole:
            return CHOSEN_TINT if self.table.values[self._chosen][self.view.rows[index.row()]] else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if self.table.values[self._forced][self.view.rows[index.row()]] else None
        if role == Qt.ItemDataRole.ToolTipRole:
            why = self.table.values[self._why][self.view.rows[index.row()]]
            return f"Not chosen: {why}" if why else super().data(index, role)
        return super().data(index, role)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            key = PORTFOLIO_COLUMNS[section].key
            return HEADER_TIPS.get(key, PORTFOLIO_COLUMNS[section].title) + "; click to sort"
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and self.currency \
                and PORTFOLIO_COLUMNS[section].key == "cost_total":
            return f"Cost ({self.currency})"
        return super().headerData(section, orientation, role)

    def code_at(self, row: int) -> str:
        return str(self.table.values[self.column_of("code")][self.view.rows[row]])

    def row_of(self, code: str) -> int:
        codes = self.raw_column("code")
        return codes.index(code) if code in codes else -1

    def describe(self, row: int) -> str:
        """A line about one row: its code and title, and whether it is chosen or why it is not."""
        i, values = self.view.rows[row], self.table.values
        code, title = values[self.column_of("code")][i], values[self.column_of("title")][i]
        forced = values[self._forced][i]
        state = ("chosen" if values[self._chosen][i] else f"not chosen: {values[self._why][i] or 'no reason given'}")
        return f"{code} — {title}: {state}" + (f" (forced {forced})" if forced and values[self._chosen][i] else "")

    def chosen_codes(self) -> list[str]:
        return [c for c, chosen in zip(self.raw_column("code"), self.raw_column("chosen")) if chosen]


# What the page reads, in a worker ----------------------------------------------------------------

# A write to any of these changes what the page shows.
PORTFOLIO_TABLES = frozenset({"scenario", "proposal", "proposal_budget", "call", "review"})


@dataclass
class PortfolioRead:
    calls: list[tuple[str, str]]  # number, label: the calls with proposals, most proposals first
    call: str | None
    scenarios: list[dict]  # list_scenarios rows of the call
    name: str | None  # the scenario shown
    saved: bool  # False: the call's default constraints, not in the database yet
    spec: dict  # ScenarioSpec.to_json()
    result: dict | None  # the solved scenario's result (docs/decisions.md), None before a solve
    frame: pd.DataFrame
    table: TableData

    def scenario_labels(self) -> list[tuple[str, str]]:
        """(name, label) for the scenario list: each saved one marked solved or not, and the default."""
        labels = [(s["name"], s["name"] + ("" if s.get("solved_at") else " (not solved)")) for s in self.scenarios]
        if self.name is not None and not self.saved:
            labels.insert(0, (self.name, f"{self.name} (not saved)"))
        return labels


def default_name(call: str) -> str:
    return f"{call} default"


def read_calls(store) -> list[tuple[str, str]]:
    count = func.count(Proposal.id)
    stmt = (select(Call.number, Call.title, count).join(Proposal, Proposal.call_id == Call.id)
            .group_by(Call.id, Call.number, Call.title).order_by(count.desc(), Call.number))
    with store.engine.connect() as conn:
        return [(n, f"{n} — {t} ({c} proposals)") for n, t, c in conn.execute(stmt)]


def read_portfolio(store, call: str | None, name: str | None) -> PortfolioRead:
    """The call's scenario `name` (None or unknown: its first saved one, else its default constraints)."""
    calls = read_calls(store)
    numbers = [n for n, _ in calls]
    call = call if call in numbers else (numbers[0] if numbers else None)
    if call is None:
        return PortfolioRead(calls, None, [], None, False, {}, None, *scenario_table(None))
    saved = scenarios.list_scenarios(store, call)
    names = [s["name"] for s in saved]
    name = name if name in names else (names[0] if names else None)
    if name is None:
        spec, result, name = scenarios.default_spec(store, call).to_json(), None, default_name(call)
    else:
        spec, result = scenarios.load_scenario(store, name)
        spec = spec.to_json()
    return PortfolioRead(calls, call, saved, name, name in names, spec, result, *scenario_table(result))


def _money(amount: float, currency: str) -> str:
    """'USD 19.7 million': three figures or so, for a sentence (the tables keep every unit)."""
    divisor, word = money_unit(abs(amount))
    return f"{currency} {amount / divisor:,.1f} {word.removesuffix('s')}" if word else f"{currency} {amount:,.0f}"


def result_summary(name: str, saved: bool, result: dict | None) -> str:
    """The line above the table: what the scenario chose and how well the money fits."""
    if result is None:
        where = "" if saved else " (the call's default constraints, saved when solved)"
        return f"“{name}”{where}: not solved yet. Solve chooses the proposals within the budgets."
    chosen, n, ccy = len(result["chosen"]), len(result["proposals"]), result.get("currency", "")
    gap = "optimal" if result.get("status") == "optimal" else \
        f"{result.get('status')}, bound {result.get('bound', float('nan')):.3f}"
    money = sum(p.get("cost_total", 0.0) for p in result["proposals"] if p.get("chosen"))
    years = "; ".join(f"FY{y} {result['spend'].get(str(y), 0.0) / b:.0%}" for y in result["years"]
                      if (b := result["budget"].get(str(y)) or 0.0) > 0)
    return (f"“{name}”: {chosen} of {n} proposals chosen for {_money(money, ccy)}; objective "
            f"({result.get('objective')}) {result['value']:,.3f} ({gap}, {result.get('seconds', 0.0):.1f} s). "
            f"Budget used: {years}.")


def notes_text(notes: list[str]) -> str:
    """The solver's notes, each to its first clause ('merit: call X has no completed calibration run')."""
    return "Notes: " + "; ".join(n.split(";")[0].split(", so ")[0].strip() for n in notes) + "." if notes else ""


def risk_summary(risk: dict) -> tuple[str, str]:
    """The risk run's headline estimates as record_risk keeps them (scenario_jobs.RISK_SUMMARY), and
    the chance of staying within each year's budget (for the tooltip: a line per year is too long)."""
    s = risk.get("summary") or {}
    money = lambda key: _money(float(s[key]), s.get("currency", "")) if key in s else "—"  # noqa: E731
    years = ", ".join(f"{y} {p:.0%}" for y, p in (s.get("p_within_budget_by_year") or {}).items())
    line = (f"Risk (job {risk.get('job')}, {s.get('scenarios') or 0:,} scenarios): expected cost "
            f"{money('expected_cost')}, expected value {money('expected_value')}; chance of staying within every "
            f"year's budget {s.get('p_within_all_budgets', float('nan')):.0%}; value at risk (95%) "
            f"{money('value_at_risk')}; expected shortfall (CVaR 95%) {money('conditional_value_at_risk')}.")
    return line, f"Chance of staying within each year's budget: {years}" if years else ""
