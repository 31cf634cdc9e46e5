"""The `genesis report` commands: a solved scenario's portfolio report (PDF or XLSX, by the file's
extension) and a proposal's decision file (PDF or XLSX; --json prints its data).

Reports are drawn with reportlab, without Qt, so they run on a headless machine. Exit codes as cli.py:
0 success, 2 bad input (an unknown scenario or proposal, an unsolved scenario, an unknown extension, a
file that cannot be written).
"""
from __future__ import annotations

import functools
import json
import math
import sys
from contextlib import closing

from genesis_desktop.cli import EXIT_OK, BadInput


def add_parsers(sub) -> None:
    report = sub.add_parser("report", help="a scenario's portfolio report, or a proposal's decision file")
    actions = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    p = actions.add_parser("portfolio", help="a solved scenario's portfolio report: PDF with charts, or an XLSX "
                           "workbook of its tables")
    p.add_argument("scenario", metavar="SCENARIO", help="the saved scenario's name")
    p.add_argument("--out", required=True, metavar="FILE", help="FILE.pdf or FILE.xlsx")
    p.set_defaults(func=cmd_portfolio)

    d = actions.add_parser("decision", help="a proposal's decision file: reviews, calibrated score, conflicts "
                           "and waivers, the decision and its history")
    d.add_argument("code", metavar="CODE", help="the proposal's code")
    d.add_argument("--out", metavar="FILE", help="FILE.pdf or FILE.xlsx")
    d.add_argument("--json", action="store_true", help="print the decision file's data as JSON")
    d.set_defaults(func=cmd_decision)


def _handled(func):
    """The report's refusals and an unwritable file are bad input (exit 2)."""
    @functools.wraps(func)
    def run(args) -> int:
        from genesis_desktop.decisions.report_data import ReportError

        try:
            return func(args)
        except ReportError as err:
            raise BadInput(str(err)) from None
        except OSError as err:  # a folder that does not exist, a file open elsewhere
            if isinstance(err, BrokenPipeError) or not args.out:
                raise
            raise BadInput(f"cannot write {args.out}: {err.strerror or err}") from None
    return run


def _store(args):
    from genesis_desktop.portfolio.store import open_store

    return open_store(args.db, create=False)


@_handled
def cmd_portfolio(args) -> int:
    from genesis_desktop.decisions.reports import export_portfolio_report, report_format

    report_format(args.out)  # before the database is opened
    with closing(_store(args)) as store:
        out = export_portfolio_report(store, args.scenario, args.out)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_decision(args) -> int:
    from genesis_desktop.decisions.report_data import decision_file_data
    from genesis_desktop.decisions.reports import DECISION_FORMATS, export_decision_file, report_format

    if not args.out and not args.json:
        raise BadInput("report decision: give --out FILE.pdf|FILE.xlsx, --json, or both")
    if args.out:
        report_format(args.out, DECISION_FORMATS)
    with closing(_store(args)) as store:
        if args.out:
            print(f"wrote {export_decision_file(store, args.code, args.out)}", file=sys.stderr)
        if args.json:
            print(json.dumps(to_json(decision_file_data(store, args.code)), indent=2, ensure_ascii=False))
    return EXIT_OK


def to_json(data):
    """Report data as JSON: each table's frame as a list of rows, missing numbers as null."""
    if isinstance(data, dict):
        return {k: to_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [to_json(v) for v in data]
    if hasattr(data, "to_dict") and hasattr(data, "columns"):
        return [to_json(r) for r in data.to_dict("records")]
    if hasattr(data, "item"):  # numpy scalars
        data = data.item()
    if isinstance(data, float) and math.isnan(data):
        return None
    return data
