"""The portfolio report's (or a decision file's) tables as an XLSX workbook, one sheet each.

A "Summary" sheet comes first with the key figures and every table's note; each table follows on
its own sheet with a bold, frozen header row and fitted column widths. Money stays a number (the
exact amount, in major units) with a number format that groups thousands and names the currency,
so that an analyst can sum and chart it without parsing text.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from genesis_desktop.portfolio.money import minor_digits

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3B5C")
MAX_WIDTH = 60  # characters: wider columns wrap their text instead
SHEET_NAME = 31  # Excel's limit on a sheet name


def money_format(currency: str) -> str:
    digits = minor_digits(currency)
    return ("#,##0" + ("." + "0" * digits if digits else "")) + f' "{currency}"'


def _formats(currency: str) -> dict[str, str]:
    return {"money": money_format(currency), "share": "0.0%", "score": "0.00", "int": "0"}


def _sheet_name(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "", title)[:SHEET_NAME].strip() or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:SHEET_NAME - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _value(v):
    """A cell's value: numbers as numbers, missing as empty, anything else as its text."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    return v if isinstance(v, (int, float, str, bool)) else str(v)


def _fit_columns(ws, rows: list[list]) -> None:
    for i in range(max((len(r) for r in rows), default=0)):
        longest = max((len(f"{r[i]:,.2f}" if isinstance(r[i], float) else str(r[i])) for r in rows[:500]
                       if i < len(r) and r[i] is not None), default=4)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(MAX_WIDTH, max(6, longest + 3))
        if longest > MAX_WIDTH:
            for cell in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                cell[0].alignment = Alignment(wrap_text=True, vertical="top")


def _summary_rows(data: dict) -> list[list]:
    rows = [["Report", data["title"]], ["Generated", data["generated"]]]
    if data["kind"] == "portfolio":
        t = data["totals"]
        rows += [["Scenario", data["scenario"]], ["Call", f"{data['call']}: {data['call_title']}"],
                 ["Solved", data.get("solved_at") or ""], ["Saved by", data.get("saved_by") or ""],
                 ["Proposals chosen", t["chosen"]], ["Proposals competing", t["competing"]],
                 ["Total value", t["value"]], ["Objective", t["objective"]], ["Solver status", t["status"]],
                 ["Money requested, all years", t["money_requested"]],
                 ["Phase II reserve, all years", t["money_reserved"]]]
    else:
        p, d = data["proposal"], data["decision"]
        rows += [["Proposal", f"{p['code']}: {p['title']}"], ["Call", p["call"]], ["Phase", p["phase"]],
                 ["Lead", p["lead"]], ["Principal investigator", p["principal_investigator"]],
                 ["Requested", p["budget_total"]], ["Decision", d["status"]], ["Decided", d["when"] or ""],
                 ["By", d["by"] or ""]]
        for key, value in (data.get("calibration") or {}).items():
            rows.append([f"Calibration {key.replace('_', ' ')}", value])
    rows += [["Note", n] for n in data.get("notes", [])]
    rows += [[f"Note on {t['title']}", t["note"]] for t in data["tables"].values() if t.get("note")]
    return rows


def write_xlsx(data: dict, path: str | Path) -> Path:
    """Write portfolio_report_data(...) or decision_file_data(...) to `path` as a workbook."""
    path, formats = Path(path), _formats(data["currency"])
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    taken = {"summary"}
    rows = _summary_rows(data)
    for r in rows:
        summary.append([_value(v) for v in r])
    for row in summary.iter_rows(min_col=1, max_col=1):
        row[0].font = Font(bold=True)
    for label in ("Money requested, all years", "Phase II reserve, all years", "Requested"):
        for row in summary.iter_rows(min_col=1, max_col=2):
            if row[0].value == label:
                row[1].number_format = formats["money"]
    _fit_columns(summary, rows)
    for tbl in data["tables"].values():
        ws = wb.create_sheet(_sheet_name(tbl.get("sheet") or tbl["title"], taken))
        frame = tbl["frame"]
        ws.append([str(c) for c in frame.columns])
        body = [[_value(v) for v in row] for row in frame.itertuples(index=False)]
        for r in body:
            ws.append(r)
        for cell in ws[1]:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        ws.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, 1):
            kind = tbl["formats"].get(column)
            if kind in formats:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = formats[kind]
        _fit_columns(ws, [list(map(str, frame.columns))] + body)
        if body:
            ws.auto_filter.ref = ws.dimensions
    wb.save(path)
    return path
