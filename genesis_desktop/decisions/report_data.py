"""What the reports say, as plain data: titled tables (pandas DataFrames) and figures, for the PDF
(report_pdf), the workbook (report_xlsx) and the command line, with no layout in it.

A table is {"title", "frame", "formats", "note"}: `formats` names each column's kind ("money" in the
report's currency, major units; "share" in 0..1; "score"; "int"), so that each renderer formats money
its own way from the same exact numbers. A portfolio report reads a solved scenario's stored result
(docs/decisions.md) and adds what the result does not hold: the calibration run's intervals, the
partners' ledger and the co-funding check. A decision file gathers one proposal's record.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from genesis_desktop.compute.jobstore import JobStore
from genesis_desktop.portfolio.schema import Call, Scenario  # schema: every mapper, so relationships resolve
from genesis_desktop.review.standings import latest_result

from .report_partners import cofunding_section, ledger_section

NEAR_LINE = 15  # proposals left out that a report lists: the best of them are the ones a panel argues over
CORE, EXTERIOR = 0.9, 0.1  # robustness classes, as docs/decisions.md defines them


class ReportError(ValueError):
    """The report cannot be made from the records (an unknown scenario or proposal, an unsolved
    scenario); the message says what to do."""


def table(title: str, frame: pd.DataFrame, formats: dict[str, str] | None = None, note: str = "",
          sheet: str = "") -> dict:
    """`sheet`: a short name for the workbook's tab (Excel allows 31 characters); the title by default."""
    return {"title": title, "frame": frame.reset_index(drop=True), "formats": dict(formats or {}), "note": note,
            "sheet": sheet or title}


def format_money(value: float | None, currency: str) -> str:
    """Money for people in a report: whole major units, thousands grouped, the currency named
    ("60,000,000 USD"). Cents are noise at a programme's scale; the workbook keeps them."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{round(value):,} {currency}"


def fy(year: int | str) -> str:
    return f"FY{year}"


def load_solved(store, scenario_name: str) -> tuple[Scenario, dict]:
    """The scenario's row (read directly: the report also wants who saved it and when it was solved)
    and its result, or ReportError saying how to get one."""
    with store.session() as s:
        row = s.scalar(select(Scenario).where(Scenario.name == scenario_name))
        if row is None:
            known = s.scalars(select(Scenario.name).order_by(Scenario.name)).all()
            raise ReportError(f"no scenario named {scenario_name!r}"
                              + (f"; known: {', '.join(known)}" if known else "; none is saved yet"))
        s.expunge(row)
    if row.result is None:
        raise ReportError(f"scenario {scenario_name!r} has no result; solve it first: "
                          f"genesis scenario solve {scenario_name}")
    return row, row.result


def calibration_of(store, call_number: str) -> tuple[int, dict[str, dict]] | None:
    """(job id, code -> the calibration run's proposal entry) of the call's latest completed run."""
    latest = latest_result(JobStore(store.engine), "calibration", call_number)
    if latest is None:
        return None
    record, result = latest
    return record.id, {p["code"]: p for p in result.get("proposals", [])}


def portfolio_report_data(store, scenario_name: str, today: date | None = None) -> dict[str, Any]:
    row, result = load_solved(store, scenario_name)
    with store.session() as s:
        call_title = s.scalar(select(Call.title).where(Call.id == row.call_id)) or ""
    currency, years = result["currency"], [str(y) for y in result["years"]]
    calibration = calibration_of(store, result["call"])
    notes: list[str] = list(result.get("notes") or [])  # the solve's own: merit source, unlimited years
    tables = {
        "spec": table("Scenario settings", _spec_frame(row.spec or {}, currency)),
        "years": _years_table(result, years),
        "chosen": _proposals_table(result, years, calibration, chosen=True),
        "near_line": _proposals_table(result, years, calibration, chosen=False),
        "areas": _areas_table(result, years),
        "coverage": _rules_table("Coverage met", result.get("coverage") or [], "required", "funded", "at least"),
        "caps": _rules_table("Caps met", result.get("caps") or [], "max", "used", "at most"),
    }
    if result.get("robustness"):
        tables["robustness"] = _robustness_table(result)
    if result.get("risk"):
        tables["risk"] = _risk_table(result["risk"])
    for key, made in (("ledger", ledger_section(store, currency, table)), ("cofunding", cofunding_section(store, table))):
        if isinstance(made, str):
            notes.append(made)
        else:
            tables[key] = made
    if calibration is None:
        notes.append(f"Call {result['call']} has no completed calibration run: no calibrated scores or rank "
                     "intervals are shown.")
    chosen = [p for p in result["proposals"] if p.get("chosen")]
    return {
        "kind": "portfolio", "title": f"Portfolio report: {row.name} — {result['call']}",
        "scenario": row.name, "call": result["call"], "call_title": call_title, "currency": currency,
        "generated": (today or date.today()).isoformat(),
        "solved_at": row.solved_at.isoformat(sep=" ", timespec="minutes") if row.solved_at else None,
        "saved_by": row.created_by, "solved_by": result.get("solved_by") or "", "note": row.note or "",
        "totals": {"chosen": len(chosen), "competing": len(result["proposals"]), "value": result.get("value"),
                   "bound": result.get("bound"), "status": result.get("status"), "objective": result.get("objective"),
                   "money_requested": float(sum(p.get("cost_total") or 0.0 for p in chosen)),
                   "money_reserved": float(sum(p.get("reserve_total") or 0.0 for p in chosen)),
                   "years": [int(y) for y in years]},
        "tables": tables, "figures": _figures(result, years, tables), "notes": notes,
        "calibration_job": calibration[0] if calibration else None,
    }


def _spec_frame(spec: dict, currency: str) -> pd.DataFrame:
    rows = [("Call", spec.get("call", "")), ("Objective", spec.get("objective", "")),
            ("Competing statuses", ", ".join(spec.get("pool") or []))]
    budgets = spec.get("budgets") or {}
    rows += [(f"Budget {fy(y)}", format_money(v, currency)) for y, v in sorted(budgets.items())]
    if not budgets:
        rows.append(("Budgets", "the call's total, spread like its requests"))
    for c in spec.get("coverage") or []:
        rows.append((f"Coverage {c.get('kind')} {c.get('key')}", f"at least {c.get('min_count', 0)} funded and "
                     f"{format_money(c.get('min_money', 0), currency)}"))
    for c in spec.get("caps") or []:
        limits = [f"{format_money(c['max_money'], currency)}" if c.get("max_money") is not None else "",
                  f"{c['max_count']} proposals" if c.get("max_count") is not None else ""]
        rows.append((f"Cap {c.get('kind')} {c.get('key')}", "at most " + " and ".join(x for x in limits if x)))
    cont = spec.get("continuation") or {}
    rows.append(("Phase II reserve", "off" if not cont.get("share") else
                 f"share {cont['share']:g} × {cont.get('multiple', 0):g} for {cont.get('years', 0)} years"))
    rows += [("Forced in", ", ".join(spec.get("forced_in") or []) or "none"),
             ("Forced out", ", ".join(spec.get("forced_out") or []) or "none")]
    rates = spec.get("rates") or {}
    rows.append(("Exchange rates", f"on {rates.get('on') or 'today'}" + "".join(
        f"; {k} {v:g} per {currency}" for k, v in (rates.get("override") or {}).items())))
    return pd.DataFrame(rows, columns=["Setting", "Value"])


def _years_table(result: dict, years: list[str]) -> dict:
    def get(key: str, y: str) -> float:  # a year without a budget is not limited: NaN, shown empty
        value = (result.get(key) or {}).get(y, 0.0)
        return math.nan if value is None else float(value)
    frame = pd.DataFrame({"Fiscal year": [fy(y) for y in years],
                          "Budget": [get("budget", y) for y in years],
                          "Committed": [get("committed", y) for y in years],
                          "Chosen": [get("spend", y) - get("committed", y) for y in years],
                          "Spend": [get("spend", y) for y in years]})
    frame["Headroom"] = frame["Budget"] - frame["Spend"]
    money = {c: "money" for c in frame.columns[1:]}
    unlimited = [fy(y) for y, b in zip(years, frame["Budget"]) if math.isnan(b)]
    return table("Spend against budget by fiscal year", frame, money,
                 "Spend is the chosen proposals' cost (with any Phase II reserve) plus money already committed."
                 + (f" No budget limits {', '.join(unlimited)}." if unlimited else ""),
                 sheet="Spend by year")


def _proposals_table(result: dict, years: list[str], calibration, *, chosen: bool) -> dict:
    picked = [p for p in result["proposals"] if bool(p.get("chosen")) == chosen]
    if not chosen:  # the best left out, by the objective's own weight
        picked = sorted(picked, key=lambda p: (-(p.get("value") or 0.0), p["code"]))[:NEAR_LINE]
    cal = calibration[1] if calibration else {}
    rows = []
    for p in picked:
        c = cal.get(p["code"], {})
        low, high = c.get("rank_low"), c.get("rank_high")
        rows.append({"Code": p["code"], "Title": p.get("title", ""), "Phase": p.get("phase", ""),
                     "Area": p.get("area", ""), "Lead": p.get("lead", ""),
                     **{fy(y): float((p.get("cost") or {}).get(y, 0.0)) for y in years},
                     "Requested": float(p.get("cost_total") or 0.0), "Reserve": float(p.get("reserve_total") or 0.0),
                     "Merit": p.get("merit"), "Calibrated": c.get("calibrated_total"), "SD": c.get("calibrated_sd"),
                     "90% rank": f"{low:.0f}–{high:.0f}" if low is not None and high is not None else "",
                     "P(funded)": c.get("probability_funded"),
                     ("Forced" if chosen else "Why out"): (p.get("forced") or "") if chosen else (p.get("why_out") or "")})
    columns = ["Code", "Title", "Phase", "Area", "Lead", *map(fy, years), "Requested", "Reserve", "Merit",
               "Calibrated", "SD", "90% rank", "P(funded)", "Forced" if chosen else "Why out"]
    formats = {**{fy(y): "money" for y in years}, "Requested": "money", "Reserve": "money", "Merit": "score",
               "Calibrated": "score", "SD": "score", "P(funded)": "share"}
    if chosen:
        return table("Chosen proposals", pd.DataFrame(rows, columns=columns), formats,
                     "Cost per fiscal year is the request plus any Phase II reserve (Requested + Reserve over "
                     "the years). Calibrated score, its SD, the 90% rank "
                     "interval and P(funded) come from the call's latest calibration run.")
    return table("Left out near the line", pd.DataFrame(rows, columns=columns), formats,
                 f"The {NEAR_LINE} proposals left out with the highest objective weight.")


def _areas_table(result: dict, years: list[str]) -> dict:
    by_area = result.get("money_by_area") or {}
    frame = pd.DataFrame([{"Area": area, **{fy(y): float(m.get(y, 0.0)) for y in years}} for area, m in by_area.items()],
                         columns=["Area", *map(fy, years)])
    frame["Total"] = frame[[fy(y) for y in years]].sum(axis=1) if len(frame) else pd.Series(dtype=float)
    frame = frame.sort_values(["Total", "Area"], ascending=[False, True], kind="stable")
    return table("Money by area", frame, {c: "money" for c in frame.columns[1:]})


def _rules_table(title: str, rules: list[dict], limit: str, got: str, words: str) -> dict:
    def met(r: dict) -> bool:
        pairs = [(r.get(f"{limit}_count"), r.get(f"{got}_count")), (r.get(f"{limit}_money"), r.get(f"{got}_money"))]
        return all(a is None or b is None or (b >= a - 1e-6 if limit == "required" else b <= a + 1e-6)
                   for a, b in pairs)
    cols = {"Name": [r.get("name", "") for r in rules],
            f"{limit.title()} count": [r.get(f"{limit}_count") for r in rules],
            f"{got.title()} count": [r.get(f"{got}_count") for r in rules],
            f"{limit.title()} money": [r.get(f"{limit}_money") for r in rules],
            f"{got.title()} money": [r.get(f"{got}_money") for r in rules],
            "Met": ["yes" if met(r) else "NO" for r in rules]}
    frame = pd.DataFrame(cols)
    formats = {c: ("money" if c.endswith("money") else "int") for c in list(cols)[1:5]}
    return table(title, frame, formats, f"Each rule asks for {words} its count and money." if rules else "None set.")


def _robustness_table(result: dict) -> dict:
    rob = result["robustness"]
    titles = {p["code"]: p for p in result["proposals"]}
    rows = [{"Code": code, "Title": titles.get(code, {}).get("title", ""), "Share": float(share),
             "Class": "core" if share >= CORE else ("exterior" if share < EXTERIOR else "borderline"),
             "Chosen": "yes" if titles.get(code, {}).get("chosen") else ""}
            for code, share in sorted(rob.get("share", {}).items(), key=lambda x: (-x[1], x[0]))
            if share >= EXTERIOR or titles.get(code, {}).get("chosen")]
    return table("Robustness: share of optimal portfolios", pd.DataFrame(rows, columns=["Code", "Title", "Share", "Class",
                                                                                       "Chosen"]),
                 {"Share": "share"}, f"Over {rob.get('draws')} posterior draws of the calibrated scores (job "
                 f"{rob.get('job')}); core ≥ {CORE:g}, exterior < {EXTERIOR:g}. Listed: the chosen, and every proposal "
                 "in the core or borderline.", sheet="Robustness")


def _risk_table(risk: dict) -> dict:
    """The risk run's summary: amounts (expected cost and value, VaR, CVaR) and chances (p_...: of
    staying within the budgets), each in its own column so that both stay numbers in the workbook."""
    summary = risk.get("summary") or {}
    rows = []

    def add(label: str, chance: bool, value) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                add(f"{label} {k}", chance, v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append({"Measure": label + (" (probability)" if chance else ""),
                         "Amount": None if chance else float(value), "Probability": float(value) if chance else None})
    for key, value in summary.items():
        if key not in ("currency", "scenarios"):
            add(key.removeprefix("p_").replace("_", " ").capitalize(), key.startswith("p_"), value)
    return table("Risk summary", pd.DataFrame(rows, columns=["Measure", "Amount", "Probability"]),
                 {"Amount": "money", "Probability": "share"},
                 f"Risk run: job {risk.get('job')}, {summary.get('scenarios') or 'its'} simulated scenarios of "
                 "the chosen and awarded proposals' cost and delivery.", sheet="Risk")


def _figures(result: dict, years: list[str], tables: dict) -> dict:
    y = tables["years"]["frame"]
    areas = tables["areas"]["frame"]
    points = [(float(p.get("cost_total") or 0.0), float(p.get("merit") or 0.0), bool(p.get("chosen")))
              for p in result["proposals"]]
    figures = {"spend_vs_budget": {"years": [int(v) for v in years], "budget": y["Budget"].fillna(0.0).tolist(),
                                   "committed": y["Committed"].tolist(), "chosen": y["Chosen"].tolist()},
               "money_by_area": {"areas": areas["Area"].tolist(), "totals": areas["Total"].tolist()},
               "merit_cost": {"points": points}}
    if result.get("robustness"):  # every proposal ever chosen, not only the table's
        ranked = sorted(((s, c) for c, s in result["robustness"].get("share", {}).items() if s > 0),
                        key=lambda x: (-x[0], x[1]))
        figures["robustness"] = {"codes": [c for _, c in ranked], "shares": [float(s) for s, _ in ranked]}
    return figures


def decision_file_data(store, proposal_code: str, today: date | None = None) -> dict[str, Any]:
    """A proposal's decision file (report_decision.decision_file_data, here beside the portfolio's)."""
    from .report_decision import decision_file_data as gather

    return gather(store, proposal_code, today)
