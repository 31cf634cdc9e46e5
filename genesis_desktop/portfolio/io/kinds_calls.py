"""Calls for proposals and their phases. A call row carries its phases' award rules as mappings
keyed by phase (`award_floor`: `I=500000.00; II=1500000.00`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, func, select

from ..money import format_amount
from ..schema import Call, CallPhase, Programme, Proposal, ProposalBudget
from . import codecs
from .context import CallRule, Context, PhaseRule
from .kinds_core import grouped_lists, membership, programme_ids
from .sheet import Sheet
from .spec import Kind, Outcome, columns, frame
from .writer import existing_ids, key_ids, records, replace_children, upsert

COLUMNS, REQUIRED = columns(
    "number* title* currency* total_budget* opens_on closes_on topic_areas description programme phases* "
    "award_floor* award_ceiling* ceiling_per_year duration_months* deadline budget_period_start budget_period_end")
_call = Call.__table__
_phase = CallPhase.__table__
_PHASE_LEN = _phase.c.phase.type.length


@dataclass
class Parsed:
    calls: pd.DataFrame  # one row per file row
    phases: pd.DataFrame  # one row per (file row, phase)


def _per_phase(sheet: Sheet, column: str, phases: pd.DataFrame, required: bool, parse) -> pd.Series:
    """A phase-keyed mapping column as one value per line of `phases` (None where not given).

    `parse(column, entries)` turns the mapping's entries into values (and reports the bad ones)."""
    m = sheet.mapping(column, required)
    m["v"] = parse(column, m) if len(m) else pd.Series(dtype=object)
    # Rows without phases were reported for that; their entries would only repeat it.
    stray = ~membership(m["row"], m["key"], phases) & m["row"].isin(phases["row"]).to_numpy()
    sheet.report_rows(m["row"][stray], column, m["entry"][stray].to_numpy(dtype=object),
                      "names a phase that is not in this call's phases")
    m = m[~stray & m["row"].isin(phases["row"]).to_numpy()]
    merged = phases.merge(m[["row", "key", "v"]], left_on=["row", "item"], right_on=["row", "key"],
                          how="left", indicator=True)
    if required and column in sheet.present:
        # Rows with no entries at all were reported as blank already.
        gap = ((merged["_merge"] == "left_only") & merged["row"].isin(m["row"])).to_numpy()
        sheet.report_rows(merged["row"][gap], column, merged["item"][gap].to_numpy(dtype=object),
                          "has no entry for this phase")
    v = merged["v"].astype(object)
    return v.where(v.notna(), None)


def validate(sheet: Sheet, ctx: Context) -> Parsed:
    currency = sheet.currency("currency", True)
    opens, closes = sheet.date("opens_on"), sheet.date("closes_on")
    calls = pd.DataFrame({
        "number": sheet.text("number", True),
        "title": sheet.text("title", True),
        "currency": currency,
        "total_budget_minor": sheet.money("total_budget", currency, True),
        "opens_on": opens,
        "closes_on": closes,
        "topic_areas": grouped_lists(sheet.items("topic_areas"), sheet.rows),
        "description": sheet.text("description"),
        "programme_id": programme_ids(sheet, ctx),
    })
    early = codecs.less(closes, opens)
    sheet.report_rows(sheet.rows[early], "closes_on", sheet.raw("closes_on")[early].to_numpy(dtype=object),
                      "the call closes before it opens (opens_on)")

    phases = sheet.items("phases", True)
    long = (phases["item"].str.len() > _PHASE_LEN).to_numpy()
    sheet.report_rows(phases["row"][long], "phases", phases["item"][long].to_numpy(dtype=object),
                      f"a phase name has at most {_PHASE_LEN} characters")
    keyed = phases["item"].str.contains("=", regex=False).to_numpy(dtype=bool)
    sheet.report_rows(phases["row"][keyed], "phases", phases["item"][keyed].to_numpy(dtype=object),
                      "a phase name cannot contain '=' (it keys the award mappings)")

    def money(col, m):
        return sheet.entry_money(col, m, currency)

    def parsed_by(codec, *args):
        return lambda col, m: sheet.entry_values(col, m, codec, *args)

    ph = phases.assign(
        floor=_per_phase(sheet, "award_floor", phases, True, money),
        ceiling=_per_phase(sheet, "award_ceiling", phases, True, money),
        per_year=_per_phase(sheet, "ceiling_per_year", phases, False, parsed_by(codecs.boolean)),
        duration=_per_phase(sheet, "duration_months", phases, True, parsed_by(codecs.whole, 1)),
        deadline=_per_phase(sheet, "deadline", phases, False, parsed_by(codecs.dates)),
        start=_per_phase(sheet, "budget_period_start", phases, False, parsed_by(codecs.dates)),
        end=_per_phase(sheet, "budget_period_end", phases, False, parsed_by(codecs.dates)),
    )
    ph["per_year"] = ph["per_year"].where(ph["per_year"].notna(), False)
    above = codecs.less(ph["ceiling"], ph["floor"])
    sheet.report_rows(ph["row"][above], "award_ceiling", ph["item"][above].to_numpy(dtype=object),
                      "this phase's award ceiling is below its award floor")
    before = codecs.less(ph["end"], ph["start"])
    sheet.report_rows(ph["row"][before], "budget_period_end", ph["item"][before].to_numpy(dtype=object),
                      "this phase's budget period ends before it starts")

    ctx.add_keys("calls", sheet.unique_key("number", [calls["number"]], "call number"))
    rules: dict[str, CallRule] = {}
    row_of: dict[str, int] = {}
    for row, number, ccy in zip(sheet.rows, calls["number"], calls["currency"]):
        if number:
            rules[number] = CallRule(ccy or None)
            row_of[number] = row
    numbers = calls["number"]
    for row, phase, floor, ceiling, per_year in zip(ph["row"], ph["item"], ph["floor"], ph["ceiling"], ph["per_year"]):
        rule = rules.get(numbers.at[row])
        if rule is not None:
            rule.phases[phase] = PhaseRule(floor, ceiling, bool(per_year))
    ctx.imported_calls.update(rules)
    ctx.deferred.append(lambda: _check_stored_proposals(sheet, ctx, rules, row_of))
    return Parsed(calls, ph)


def _check_stored_proposals(sheet: Sheet, ctx: Context, rules: dict[str, CallRule], row_of: dict[str, int]) -> None:
    """An updated call must still fit the proposals already filed under it (and not being re-imported)."""
    updated = [n for n in rules if n in ctx.ids("calls")]
    if not updated:
        return
    again = ctx.imported.get("proposals", set())
    q = (select(Call.number, Proposal.code, Proposal.phase, Proposal.currency,
                func.sum(ProposalBudget.amount_minor), func.max(ProposalBudget.amount_minor))
         .join(Call, Call.id == Proposal.call_id).outerjoin(ProposalBudget, ProposalBudget.proposal_id == Proposal.id)
         .where(Call.number.in_(updated)).group_by(Proposal.id, Call.number).order_by(Proposal.code))
    found: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for number, code, phase, ccy, total, peak in ctx.conn.execute(q):
        if code in again:
            continue
        rule, row = rules[number], row_of[number]
        if rule.currency and ccy != rule.currency:
            what = (row, "currency", f"stored proposals in {ccy}")
        elif phase not in rule.phases:
            what = (row, "phases", f"stored proposals in phase {phase}, which this row leaves out")
        else:
            pr = rule.phases[phase]
            amount = (peak if pr.per_year else total) or 0
            if pr.ceiling is not None and amount > pr.ceiling:
                what = (row, "award_ceiling", f"stored phase {phase} proposals that ask for more than this ceiling")
            elif pr.floor is not None and amount < pr.floor:
                what = (row, "award_floor", f"stored phase {phase} proposals that ask for less than this floor")
            else:
                continue
        found[what].append(code)
    for (row, column, what), codes in found.items():
        listed = ", ".join(codes[:3]) + (f" and {len(codes) - 3} more" if len(codes) > 3 else "")
        sheet.report_rows([row], column, sheet.raw(column).at[row], f"conflicts with {what}: {listed}")


def write(conn: Connection, parsed: Parsed, ctx: Context) -> Outcome:
    calls = parsed.calls
    out = upsert(conn, _call, records(calls), existing_ids(calls["number"], ctx.ids("calls")))
    ids = key_ids(conn, _call, "number")
    ph = parsed.phases
    call_id = calls["number"].map(ids)
    rows = pd.DataFrame({
        "call_id": call_id.reindex(ph["row"]).to_numpy(), "phase": ph["item"].to_numpy(),
        "award_floor_minor": ph["floor"].to_numpy(), "award_ceiling_minor": ph["ceiling"].to_numpy(),
        "ceiling_per_year": ph["per_year"].to_numpy(), "duration_months": ph["duration"].to_numpy(),
        "deadline": ph["deadline"].to_numpy(), "budget_period_start": ph["start"].to_numpy(),
        "budget_period_end": ph["end"].to_numpy(),
    })
    updated = [ctx.ids("calls").get(n) for n in calls["number"]]
    replace_children(conn, _phase, "call_id", updated, records(rows))
    return out


def export(conn: Connection) -> pd.DataFrame:
    t = _call
    by_call: dict[int, list] = defaultdict(list)
    for p in conn.execute(select(_phase).order_by(_phase.c.call_id, _phase.c.phase)):
        by_call[p.call_id].append(p)
    q = select(t, Programme.code.label("programme_code")).join(Programme, Programme.id == t.c.programme_id)
    out = []
    for c in conn.execute(q.order_by(t.c.number)):
        ps = by_call[c.id]

        def pairs(get, fmt):
            return codecs.join_pairs((p.phase, fmt(get(p))) for p in ps if get(p) is not None)
        out.append((
            c.number, c.title, c.currency, format_amount(c.total_budget_minor, c.currency),
            codecs.date_text(c.opens_on), codecs.date_text(c.closes_on), codecs.join_list(c.topic_areas),
            c.description, c.programme_code, codecs.join_list(p.phase for p in ps),
            pairs(lambda p: p.award_floor_minor, lambda v: format_amount(v, c.currency)),
            pairs(lambda p: p.award_ceiling_minor, lambda v: format_amount(v, c.currency)),
            pairs(lambda p: p.ceiling_per_year, codecs.bool_text),
            pairs(lambda p: p.duration_months, str),
            pairs(lambda p: p.deadline, codecs.date_text),
            pairs(lambda p: p.budget_period_start, codecs.date_text),
            pairs(lambda p: p.budget_period_end, codecs.date_text),
        ))
    return frame(COLUMNS, out)


CALLS = Kind("calls", COLUMNS, REQUIRED, ("number",), _call, validate, write, export)
