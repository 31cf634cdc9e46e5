"""Partners, their commitments (scheduled by fiscal year in the partner's own calendar) and exchange rates."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from ..fiscal import CALENDARS, calendar_for
from ..ledger_sync import OPENING_REASON, sync_entries
from ..money import format_amount
from ..schema import Commitment, CommitmentState, CommitmentYear, ExchangeRate, Institution, Partner, PartnerKind
from . import codecs
from .context import Context
from .kinds_core import grouped_lists, ids_of, value
from .sheet import Sheet
from .spec import Kind, Outcome, columns, frame
from .writer import existing_ids, key_ids, records, replace_children, upsert

# -- partners -----------------------------------------------------------------------------------------

P_COLUMNS, P_REQUIRED = columns("code* name* kind* country* fiscal_calendar institution agreement")
_partner = Partner.__table__


def validate_partners(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    country = sheet.country("country", True)
    calendar = sheet.choice("fiscal_calendar", list(CALENDARS))
    default = country.map(lambda c: calendar_for(c).code if c else "")
    institution = sheet.text("institution", max_len=32)
    sheet.refs("institution", institution, ctx.known("institutions"), "institution code")
    parsed = pd.DataFrame({
        "code": sheet.code("code"),
        "name": sheet.text("name", True),
        "kind": sheet.choice("kind", PartnerKind, True),
        "country": country,
        "fiscal_calendar": calendar.where(calendar != "", default),
        "institution": institution,
        "agreement": sheet.text("agreement"),
    })
    ctx.add_keys("partners", sheet.unique_key("code", [parsed["code"]], "partner code"))
    return parsed


def write_partners(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    rows = parsed.drop(columns=["institution"]).assign(
        institution_id=ids_of(parsed["institution"], ctx.ids("institutions")))
    return upsert(conn, _partner, records(rows), existing_ids(parsed["code"], ctx.ids("partners")))


def export_partners(conn: Connection) -> pd.DataFrame:
    t = _partner
    q = (select(t.c.code, t.c.name, t.c.kind, t.c.country, t.c.fiscal_calendar, Institution.code, t.c.agreement)
         .outerjoin(Institution, Institution.id == t.c.institution_id).order_by(t.c.code))
    return frame(P_COLUMNS, [(c, n, value(k), co, fc, i or "", a) for c, n, k, co, fc, i, a in conn.execute(q)])


PARTNERS = Kind("partners", P_COLUMNS, P_REQUIRED, ("code",), _partner,
                validate_partners, write_partners, export_partners)

# -- exchange rates -----------------------------------------------------------------------------------

R_COLUMNS, R_REQUIRED = columns("base* quote* on* rate* source")
_rate = ExchangeRate.__table__
_RATE_SCALE = _rate.c.rate.type.scale
_RATE_INT = _rate.c.rate.type.precision - _RATE_SCALE


def validate_rates(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    parsed = pd.DataFrame({
        "base": sheet.currency("base", True),
        "quote": sheet.currency("quote", True),
        "on": sheet.date("on", True),
        "rate": sheet.decimal("rate", _RATE_INT, _RATE_SCALE, True),
        "source": sheet.text("source"),
    })
    same = ((parsed["base"] == parsed["quote"]) & (parsed["base"] != "")).to_numpy()
    sheet.report_rows(sheet.rows[same], "quote", parsed["quote"][same].to_numpy(dtype=object),
                      "the quote currency must differ from the base currency")
    key = sheet.unique_key("base, quote, on", [parsed["base"], parsed["quote"], parsed["on"]], "rate")
    ctx.add_keys("rates", key)
    parsed["key"] = key
    return parsed


def write_rates(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    rows = records(parsed.drop(columns=["key"]))
    return upsert(conn, _rate, rows, existing_ids(parsed["key"], ctx.ids("rates")))


def export_rates(conn: Connection) -> pd.DataFrame:
    t = _rate
    q = select(t.c.base, t.c.quote, t.c.on, t.c.rate, t.c.source).order_by(t.c.base, t.c.quote, t.c.on)
    return frame(R_COLUMNS, [(b, qu, on.isoformat(), codecs.decimal_text(r), s) for b, qu, on, r, s in conn.execute(q)])


RATES = Kind("rates", R_COLUMNS, R_REQUIRED, ("base", "quote", "on"), _rate, validate_rates, write_rates, export_rates)

# -- commitments --------------------------------------------------------------------------------------

C_COLUMNS, C_REQUIRED = columns(
    "code* partner* title* currency* state* funds pledged_on* obligated_on disbursed_on "
    "pledged* obligated disbursed note")
_commit = Commitment.__table__
_year = CommitmentYear.__table__


@dataclass
class Parsed:
    commitments: pd.DataFrame
    years: pd.DataFrame  # row, fiscal_year, pledged, obligated, disbursed (minor units)


def _years(sheet: Sheet, column: str, currency: pd.Series, required: bool) -> pd.DataFrame:
    m = sheet.mapping(column, required, fiscal=True)
    amount = sheet.entry_money(column, m, currency) if len(m) else pd.Series(dtype=object)
    return pd.DataFrame({"row": m["row"], "fy": m["key"], column: amount, f"{column}_entry": m["entry"]})


def _dates_in_order(sheet: Sheet, parsed: pd.DataFrame) -> None:
    state = parsed["state"]
    pledged_on, obligated_on, disbursed_on = parsed["pledged_on"], parsed["obligated_on"], parsed["disbursed_on"]
    raw = sheet.raw
    needs_ob = (state.isin(["obligated", "disbursed"]) & (raw("obligated_on").str.strip() == "")).to_numpy()
    sheet.report_rows(sheet.rows[needs_ob], "obligated_on", "",
                      "a commitment in state obligated or disbursed needs obligated_on")
    needs_db = ((state == "disbursed") & (raw("disbursed_on").str.strip() == "")).to_numpy()
    sheet.report_rows(sheet.rows[needs_db], "disbursed_on", "", "a commitment in state disbursed needs disbursed_on")
    orphan = (disbursed_on.notna() & (raw("obligated_on").str.strip() == "") & (state != "disbursed")).to_numpy()
    sheet.report_rows(sheet.rows[orphan], "obligated_on", "", "disbursed_on is given, so obligated_on is needed")
    for later, earlier, rule in ((obligated_on, pledged_on, "obligated before it was pledged (pledged_on)"),
                                 (disbursed_on, obligated_on, "disbursed before it was obligated (obligated_on)")):
        bad = codecs.less(later, earlier)
        col = "obligated_on" if later is obligated_on else "disbursed_on"
        sheet.report_rows(sheet.rows[bad], col, raw(col)[bad].to_numpy(dtype=object), rule)


def validate_commitments(sheet: Sheet, ctx: Context) -> Parsed:
    currency = sheet.currency("currency", True)
    partner = sheet.text("partner", True, max_len=32)
    sheet.refs("partner", partner, ctx.known("partners"), "partner code")
    parsed = pd.DataFrame({
        "code": sheet.text("code", True),
        "partner": partner,
        "title": sheet.text("title", True),
        "currency": currency,
        "state": sheet.choice("state", CommitmentState, True),
        "funds": grouped_lists(sheet.items("funds"), sheet.rows),
        "pledged_on": sheet.date("pledged_on", True),
        "obligated_on": sheet.date("obligated_on"),
        "disbursed_on": sheet.date("disbursed_on"),
        "note": sheet.text("note"),
    })
    _dates_in_order(sheet, parsed)
    pledged = _years(sheet, "pledged", currency, True)
    years = pledged
    for column in ("obligated", "disbursed"):
        part = _years(sheet, column, currency, False)
        years = years.merge(part, on=["row", "fy"], how="outer")
        # A year with nothing pledged, on a row that pledges something (a blank pledged cell is reported as such).
        stray = (years["pledged_entry"].isna() & years["row"].isin(pledged["row"])).to_numpy()
        sheet.report_rows(years["row"][stray], column, years[f"{column}_entry"][stray].to_numpy(dtype=object),
                          "nothing is pledged in this fiscal year")
        years = years[years["pledged_entry"].notna()]
    names = ("pledged", "obligated", "disbursed")
    amounts = {c: years[c].astype(object).where(years[c].notna(), 0).to_numpy() for c in names}
    # An amount that did not parse was reported already; comparing it as 0 would only add noise.
    readable = np.ones(len(years), dtype=bool)
    for c in names:
        readable &= ~(years[f"{c}_entry"].notna() & years[c].isna()).to_numpy()
    for over, under, rule in (("obligated", "pledged", "more is obligated than pledged in this fiscal year"),
                              ("disbursed", "obligated", "more is disbursed than obligated in this fiscal year")):
        bad = readable & np.array([a > b for a, b in zip(amounts[over], amounts[under])], dtype=bool)
        sheet.report_rows(years["row"][bad], over, years[f"{over}_entry"][bad].to_numpy(dtype=object), rule)
    ctx.add_keys("commitments", sheet.unique_key("code", [parsed["code"]], "commitment code"))
    years = pd.DataFrame({"row": years["row"].to_numpy(), "fiscal_year": years["fy"].to_numpy(),
                          "pledged_minor": amounts["pledged"], "obligated_minor": amounts["obligated"],
                          "disbursed_minor": amounts["disbursed"]})
    return Parsed(parsed, years)


def write_commitments(conn: Connection, parsed: Parsed, ctx: Context) -> Outcome:
    c = parsed.commitments
    rows = c.drop(columns=["partner"]).assign(partner_id=ids_of(c["partner"], ctx.ids("partners")))
    before = existing_ids(c["code"], ctx.ids("commitments"))
    # A stored commitment whose totals were written before the ledger (by an older path) first gets the
    # entries for those totals, so that the entries written below hold only what this write changed.
    sync_entries(conn, ctx.ledger_by, OPENING_REASON, [i for i in before if i is not None])
    out = upsert(conn, _commit, records(rows), before)
    ids = c["code"].map(key_ids(conn, _commit, "code"))
    y = parsed.years
    children = y.drop(columns=["row"]).assign(commitment_id=ids.reindex(y["row"]).to_numpy())
    replace_children(conn, _year, "commitment_id", before, records(children))
    sync_entries(conn, ctx.ledger_by, ctx.ledger_reason, ids.tolist())
    return out


def export_commitments(conn: Connection) -> pd.DataFrame:
    t = _commit
    years: dict[int, list] = defaultdict(list)
    for y in conn.execute(select(_year).order_by(_year.c.commitment_id, _year.c.fiscal_year)):
        years[y.commitment_id].append(y)
    q = select(t, Partner.code.label("partner_code")).join(Partner, Partner.id == t.c.partner_id).order_by(t.c.code)
    out = []
    for c in conn.execute(q):
        ys = years[c.id]

        def fy(attr, keep_zero):
            return codecs.join_pairs((f"FY{y.fiscal_year}", format_amount(getattr(y, attr), c.currency))
                                     for y in ys if keep_zero or getattr(y, attr))
        out.append((c.code, c.partner_code, c.title, c.currency, value(c.state), codecs.join_list(c.funds),
                    codecs.date_text(c.pledged_on), codecs.date_text(c.obligated_on), codecs.date_text(c.disbursed_on),
                    fy("pledged_minor", True), fy("obligated_minor", False), fy("disbursed_minor", False), c.note))
    return frame(C_COLUMNS, out)


COMMITMENTS = Kind("commitments", C_COLUMNS, C_REQUIRED, ("code",), _commit,
                   validate_commitments, write_commitments, export_commitments)
