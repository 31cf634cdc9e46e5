"""The `genesis db` commands: copy a whole portfolio between databases (portfolio.db_copy).

    genesis db copy SRC DST     SQLite to PostgreSQL and back; SRC and DST are URLs or SQLite file paths

Exit codes as cli.py: 0 copied (the two summaries match), 2 refused (a target that holds records,
a source that is not a portfolio), nothing written to the target.
"""
from __future__ import annotations

import sys
from pathlib import Path

from genesis_desktop.cli import EXIT_OK, BadInput


def add_parsers(sub) -> None:
    db = sub.add_parser("db", help="whole databases: copy a portfolio (SQLite <-> PostgreSQL)")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    c = actions.add_parser("copy", help="copy every record into an empty database; the two summaries must match")
    c.add_argument("source", metavar="SRC", help="URL (postgresql+psycopg://..., sqlite:///...) or a SQLite file")
    c.add_argument("target", metavar="DST", help="URL or SQLite file; created if missing, must hold no records")
    c.set_defaults(func=cmd_copy)


def as_url(text: str) -> str:
    """A URL as given, or a SQLite file's path as its URL (what an analyst types for a laptop copy)."""
    return text if "://" in text else f"sqlite:///{Path(text).expanduser().resolve()}"


def cmd_copy(args) -> int:
    from genesis_desktop.compute.tables import metadata as job_metadata
    from genesis_desktop.portfolio.db_copy import CopyRefused, copy_portfolio
    from genesis_desktop.portfolio.store import StoreError

    try:
        report = copy_portfolio(as_url(args.source), as_url(args.target), job_metadata.sorted_tables)
    except (CopyRefused, StoreError) as err:
        raise BadInput(str(err)) from None
    for table, rows in report.rows.items():
        if rows:
            print(f"{table}: {rows}")
    print(f"copied {sum(report.rows.values())} rows; the two summaries match", file=sys.stderr)
    return EXIT_OK
