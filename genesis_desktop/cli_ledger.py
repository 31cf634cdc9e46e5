"""The `genesis ledger` commands: show, history, record, rates and cofunding (decisions.ledger, decisions.cofunding).

Results go to stdout (JSON with --json), notices to stderr. Exit codes as cli.py: 0 success, 2 bad input
(an unknown partner or commitment, an entry the ledger refuses, a missing exchange rate); a refused entry
leaves the database unchanged.
"""
from __future__ import annotations

import functools
import json
import sys
from contextlib import closing
from datetime import date
from decimal import Decimal

from genesis_desktop.cli import EXIT_OK, BadInput


def add_parsers(sub) -> None:
    """Add `genesis ledger ...` to the top-level subparsers `sub`."""
    ledger = sub.add_parser("ledger", help="partners' commitments as a ledger: pledged, obligated, disbursed")
    actions = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)

    s = actions.add_parser("show", help="each commitment's fiscal years in its currency and the reporting one")
    s.add_argument("--partner", metavar="CODE", help="only this partner")
    h = actions.add_parser("history", help="a commitment's entries: who recorded each, when and why")
    h.add_argument("commitment", metavar="COMMITMENT", help="the commitment's code")
    r = actions.add_parser("record", help="record one entry; refused (exit 2, nothing written) if it breaks a rule")
    r.add_argument("commitment", metavar="COMMITMENT", help="the commitment's code")
    r.add_argument("fiscal_year", metavar="FY", help="the partner's fiscal year, e.g. FY2026")
    r.add_argument("kind", metavar="KIND", choices=("pledged", "obligated", "disbursed"),
                   help="pledged, obligated or disbursed")
    r.add_argument("amount", metavar="AMOUNT", help="major units of the commitment's currency; negative to correct")
    r.add_argument("--on", required=True, metavar="DATE", help="the day of the movement (it fixes the rate)")
    r.add_argument("--by", required=True, metavar="NAME", help="who records it")
    r.add_argument("--reason", default="", metavar="TEXT", help="why; needed for an amendment")
    t = actions.add_parser("rates", help="each disbursement at the pledge day's rate and at its own day's rate")
    t.add_argument("--partner", metavar="CODE", help="only this partner")
    c = actions.add_parser("cofunding", help="each co-funding agreement's shares against what is recorded")
    for x in (s, t):
        x.add_argument("--currency", metavar="CCY", help="reporting currency (default: the programme's)")
    for x, func in ((s, cmd_show), (h, cmd_history), (r, cmd_record), (t, cmd_rates), (c, cmd_cofunding)):
        x.add_argument("--json", action="store_true", help="print JSON")
        x.set_defaults(func=func)


def _handled(func):
    """The ledger's refusals and missing rates are bad input (exit 2)."""
    @functools.wraps(func)
    def run(args) -> int:
        from genesis_desktop.decisions.ledger import LedgerError
        from genesis_desktop.portfolio.money import MoneyError

        try:
            return func(args)
        except (LedgerError, MoneyError) as err:
            raise BadInput(str(err)) from None
    return run


def _store(args):
    from genesis_desktop.portfolio.store import open_store

    return open_store(args.db, create=False)


def _money(minor: int, currency: str) -> str:
    from genesis_desktop.portfolio.money import format_grouped

    return format_grouped(int(minor), currency)


def _plain(value):
    """A frame cell as JSON: dates as ISO text, exact decimals as text, numpy numbers as Python ones."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # a rate as stored (146.5000000000), shown as published (146.5)
        return f"{value.normalize():f}"
    if value is None or isinstance(value, (str, bool)):
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value) if not isinstance(value, (int, float)) else value


@_handled
def cmd_show(args) -> int:
    from genesis_desktop.decisions.ledger import ledger

    with closing(_store(args)) as store:
        frame = ledger(store, args.partner, args.currency)
    rows = [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print("no commitments recorded", file=sys.stderr)
    for r in rows:
        ccy, rep = r["currency"], r["reporting_currency"]
        line = (f"{r['partner']:<6} {r['commitment']:<18} FY{r['fiscal_year']}  "
                + "  ".join(f"{m} {_money(r[f'{m}_minor'], ccy)} {ccy}" for m in ("pledged", "obligated", "disbursed")))
        if ccy != rep:
            line += ("  = " + "  ".join(_money(r[f"{m}_reporting_minor"], rep) for m in ("pledged", "obligated",
                                                                                    "disbursed"))
                     + f" {rep} at {r['rate']}")
        print(line)
    return EXIT_OK


@_handled
def cmd_history(args) -> int:
    from genesis_desktop.decisions.ledger import history

    with closing(_store(args)) as store:
        entries = history(store, args.commitment)
    if args.json:
        print(json.dumps(entries, indent=2))
        return EXIT_OK
    for e in entries:
        print(f"{e['on']}  FY{e['fiscal_year']} {e['kind']:<9} {_money(e['amount_minor'], e['currency']):>20} "
              f"{e['currency']}  by {e['recorded_by']} at {e['recorded_at']}: {e['reason'] or '(no reason given)'}")
    return EXIT_OK


@_handled
def cmd_record(args) -> int:
    from genesis_desktop.decisions.ledger import record_entry

    try:
        on = date.fromisoformat(args.on)
    except ValueError:
        raise BadInput(f"--on {args.on!r}: the day must be a date such as 2026-11-10") from None
    from genesis_desktop.decisions.ledger import LedgerError

    with closing(_store(args)) as store:
        try:
            t = record_entry(store, args.commitment, args.fiscal_year, args.kind, args.amount, on, args.by,
                             args.reason)
        except LedgerError as err:
            raise BadInput(f"{err}; nothing was recorded") from None
    out = {"commitment": t.commitment, "fiscal_year": t.fiscal_year, "currency": t.currency, "entry_id": t.entry_id,
           "pledged_minor": t.pledged_minor, "obligated_minor": t.obligated_minor,
           "disbursed_minor": t.disbursed_minor}
    print(json.dumps(out, indent=2) if args.json else
          f"recorded: {t.commitment} FY{t.fiscal_year} now pledged {_money(t.pledged_minor, t.currency)}, obligated "
          f"{_money(t.obligated_minor, t.currency)}, disbursed {_money(t.disbursed_minor, t.currency)} {t.currency}")
    return EXIT_OK


@_handled
def cmd_rates(args) -> int:
    from genesis_desktop.decisions.ledger import rate_differences

    with closing(_store(args)) as store:
        result = rate_differences(store, args.partner, args.currency)
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    rep = result["reporting_currency"]
    for e in result["entries"]:
        rates = (f" (pledge day {e['pledge_rate']['text']}, paid {e['disbursement_rate']['text']})"
                 if e["pledge_rate"] else "")
        print(f"{e['commitment']:<18} {e['on']}  {_money(e['amount_minor'], e['currency'])} {e['currency']}: "
              f"{_money(e['at_pledge_minor'], rep)} {rep} at the pledge day, {_money(e['at_disbursement_minor'], rep)} "
              f"{rep} when paid, difference {_money(e['difference_minor'], rep)} {rep}{rates}")
    for p in result["partners"]:
        print(f"partner {p['partner']}: difference {_money(p['difference_minor'], rep)} {rep}")
    total = result["total"]
    print(f"all disbursements: {_money(total['at_pledge_minor'], rep)} {rep} at the pledge days, "
          f"{_money(total['at_disbursement_minor'], rep)} {rep} when paid, difference "
          f"{_money(total['difference_minor'], rep)} {rep}")
    return EXIT_OK


@_handled
def cmd_cofunding(args) -> int:
    from genesis_desktop.decisions.cofunding import check_cofunding

    with closing(_store(args)) as store:
        result = check_cofunding(store)
    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK
    if not result:
        print("no co-funding agreements recorded", file=sys.stderr)
    for a in result:
        unit = "point" if a["tolerance"] == "1" else "points"
        print(f"{a['agreement']} (in {a['currency']}, tolerance {a['tolerance']} percentage {unit}):")
        for line in a["sentences"] + a["problems"]:
            print(f"  {line}.")
        if a["rates"]:
            print(f"  Rates used: {', '.join(a['rates'])} (each commitment at its pledge day).")
    return EXIT_OK
