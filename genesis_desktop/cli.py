"""The `genesis` command: a thin face over the portfolio, compute and desktop packages.

Exit codes: 0 success, 1 failure of the program or a run, 2 bad input or usage.
Heavy imports (pandas, Qt) happen inside the command that needs them, so `genesis --version`
and `genesis summary` start quickly.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from genesis_desktop import __version__

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_DEMO_PROPOSALS = 400


class BadInput(Exception):
    """A usage or input problem: reported on stderr, exit code 2."""


def _store(args, *, create: bool = True):
    from genesis_desktop.portfolio.store import open_store

    return open_store(args.db, create=create)


def _progress(label: str):
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done:,}/{total:,}", end=end, file=sys.stderr, flush=True)
    return report


def cmd_init(args) -> int:
    from genesis_desktop.portfolio.demo import build_demo, ensure_programme

    if args.proposals is not None and not args.demo:
        raise BadInput("--proposals needs --demo")
    store = _store(args)
    try:
        if args.demo:  # the demo creates the programme row itself, in the same transaction
            n = DEFAULT_DEMO_PROPOSALS if args.proposals is None else args.proposals
            try:
                build_demo(store, proposals=n, seed=args.seed, progress=_progress("proposals"))
            except ValueError as err:  # not empty, or a negative count: nothing was written
                raise BadInput(f"{_describe(store)}: {err}") from None
        else:
            with store.session() as session, session.begin():
                ensure_programme(session)
        print(f"portfolio ready: {_describe(store)}", file=sys.stderr)
    finally:
        store.close()
    return EXIT_OK


def _describe(store) -> str:
    from genesis_desktop.portfolio.store import describe_url

    return describe_url(store.url)


def cmd_summary(args) -> int:
    from genesis_desktop.portfolio.summary import summary

    store = _store(args, create=False)
    try:
        data = summary(store)
    finally:
        store.close()
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(_summary_text(data))
    return EXIT_OK


def _summary_text(data: dict, indent: str = "") -> str:
    from genesis_desktop.portfolio.money import format_grouped, parse_amount

    lines = []
    for key, value in sorted(data.items()):
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.append(_summary_text(value, indent + "  "))
        elif isinstance(value, str) and len(key) == 3 and key.isupper():  # an amount in that currency
            lines.append(f"{indent}{key} {format_grouped(parse_amount(value, key), key)}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(line for line in lines if line)



def cmd_import(args) -> int:
    from genesis_desktop.portfolio import io

    _check_kind(args.kind, io.KINDS)
    store = _store(args, create=False)
    try:
        if args.kind == "all":
            reports = io.import_all(store, args.file)
        else:
            reports = [io.import_file(store, args.kind, args.file)]
    except io.ImportFailed as failed:
        print(str(failed), file=sys.stderr)
        print("nothing was imported; the database is unchanged", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    for r in reports:
        print(f"{r.kind}: {r.created} created, {r.updated} updated from {r.path}")
    return EXIT_OK


def cmd_export(args) -> int:
    from genesis_desktop.portfolio import io

    _check_kind(args.kind, io.KINDS)
    store = _store(args, create=False)
    try:
        if args.kind == "all":
            io.export_all(store, args.file)
        else:
            io.export_file(store, args.kind, args.file)
    except ValueError as err:  # an unknown extension, a folder where a file is wanted
        raise BadInput(str(err)) from None
    finally:
        store.close()
    print(f"wrote {args.file}", file=sys.stderr)
    return EXIT_OK


def _check_kind(kind: str, kinds) -> None:
    if kind != "all" and kind not in kinds:
        raise BadInput(f"unknown kind {kind!r}; one of: {', '.join(kinds)}, all")


def cmd_gui(args) -> int:
    from genesis_desktop.ui.app import display_problem, run_gui

    as_reviewer, packet = getattr(args, "as_reviewer", None), getattr(args, "packet", None)
    if as_reviewer and packet:
        raise BadInput("gui: --as-reviewer and --packet exclude each other: a packet names its reviewer")
    problem = display_problem()
    if problem:  # before anything is created on the user's disk
        print(problem, file=sys.stderr)
        return EXIT_FAILURE
    if packet:
        from genesis_desktop.ui.reviewer_app import run_packet_gui

        return run_packet_gui(packet)
    if as_reviewer:
        from genesis_desktop.ui.reviewer_app import run_reviewer_gui

        return run_reviewer_gui(_first_start(args.db), as_reviewer)
    return run_gui(_first_start(args.db), safe_mode=args.safe_mode)


def _first_start(url: str | None) -> str:
    """The default per-user portfolio is created with the demo on first start."""
    from genesis_desktop.portfolio.store import default_url, open_store, sqlite_path

    url = url or default_url()
    path = sqlite_path(url)
    if url == default_url() and path is not None and not path.exists():
        from genesis_desktop.portfolio.demo import build_demo

        print(f"first start: creating the demo portfolio in {path}", file=sys.stderr)
        store = open_store(url)
        try:
            build_demo(store, proposals=DEFAULT_DEMO_PROPOSALS)
        except BaseException:
            store.close()
            path.unlink(missing_ok=True)
            raise
        store.close()
    return url


def cmd_screenshot(args) -> int:
    from genesis_desktop.ui.app import SCREENSHOT_VIEWS, render_screenshot

    if args.view not in SCREENSHOT_VIEWS:
        raise BadInput(f"unknown view {args.view!r}; known views: {', '.join(SCREENSHOT_VIEWS)}")
    try:
        out = render_screenshot(_first_start(args.db), args.view, Path(args.out))
    except ValueError as err:
        raise BadInput(str(err)) from None
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def cmd_self_test(args) -> int:
    from genesis_desktop.ui.self_test import run_self_test

    ok, report = run_self_test(safe_mode=args.safe_mode, expected_backends=args.expect_backend)
    print(json.dumps(report, indent=2))
    return EXIT_OK if ok else EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genesis", description="Genesis Desktop: the programme's portfolio desk.")
    p.add_argument("--version", action="version", version=f"genesis-desktop {__version__}")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy URL of the portfolio (default: $GENESIS_DB, "
                   "else a SQLite file in the per-user data folder)")
    p.add_argument("--safe-mode", action="store_true", help="load only the built-in local compute backend")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("gui", help="open the desktop (the default command)")
    g.add_argument("--as-reviewer", metavar="EMAIL", help="open the reviewer's desk of EMAIL: only the proposals "
                   "assigned to them")
    g.add_argument("--packet", metavar="FILE", help="score an offline review packet (no database needed)")
    g.set_defaults(func=cmd_gui)

    i = sub.add_parser("init", help="create a portfolio database, optionally with the demo portfolio")
    i.add_argument("--demo", action="store_true", help="fill it with the deterministic demo portfolio")
    i.add_argument("--proposals", type=int, metavar="N", help=f"demo proposals (default {DEFAULT_DEMO_PROPOSALS})")
    i.add_argument("--seed", type=int, default=2026, metavar="S", help="demo seed (default 2026)")
    i.set_defaults(func=cmd_init)

    s = sub.add_parser("summary", help="counts and money totals")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_summary)

    for name, func, verb in (("import", cmd_import, "read"), ("export", cmd_export, "write")):
        x = sub.add_parser(name, help=f"{verb} records as CSV, XLSX, JSON or Parquet (by extension)")
        x.add_argument("kind", metavar="KIND", help="challenges, calls, proposals, institutions, partners, "
                       "commitments, rates, reviewers, reviews, or all (a folder or one .xlsx workbook)")
        x.add_argument("file", metavar="FILE")
        x.set_defaults(func=func)

    sc = sub.add_parser("screenshot", help="render one view offscreen to a PNG")
    sc.add_argument("view", metavar="VIEW")
    sc.add_argument("--out", required=True, metavar="FILE.png")
    sc.set_defaults(func=cmd_screenshot)

    st = sub.add_parser("self-test", help="check plugins, kernels, resources, the window, a local job, "
                        "file formats and a report; JSON")
    st.add_argument("--expect-backend", action="append", default=[], metavar="NAME",
                    help="fail unless this compute backend is found (repeatable; installers name those they ship)")
    st.set_defaults(func=cmd_self_test)

    from genesis_desktop.cli_compute import add_commands  # backends, run, jobs
    from genesis_desktop.cli_packets import add_parsers as add_packet_parsers
    from genesis_desktop.cli_review import add_parsers as add_review_parsers
    from genesis_desktop.cli_rubric import add_parsers as add_rubric_parser

    add_commands(sub)
    add_review_parsers(sub, extend=(add_rubric_parser, add_packet_parsers))
    for module in COMMAND_MODULES:
        importlib.import_module(f"genesis_desktop.{module}").add_parsers(sub)
    return p


# Command groups in modules of their own, each with add_parsers(sub): scenario, ledger, report, db,
# account (with login and logout), audit.
COMMAND_MODULES: tuple[str, ...] = ("cli_scenario", "cli_ledger", "cli_report", "cli_db", "cli_account",
                                    "cli_audit")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func = getattr(args, "func", cmd_gui)
    from sqlalchemy.exc import DBAPIError

    from genesis_desktop.portfolio.store import StoreError

    try:
        return func(args)
    except BadInput as err:
        print(f"genesis: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as err:
        print(f"genesis: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DBAPIError as err:  # on a shared server: what this login's role may not do, refused by the server
        from genesis_desktop.portfolio.access import refusal

        said = refusal(err)
        if said is None:
            raise
        print(f"genesis: {said}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
