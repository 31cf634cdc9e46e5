"""The `genesis audit` commands: check the audit log's hash chain, and show one record's history.

    genesis [--db URL] audit verify [--json]              exit 0: chain intact; 1: the first bad entry named
    genesis [--db URL] audit history KIND CODE [--json] [--every-entry]
                                                          who changed the record, when, and what

KIND as the record editor's: institution, challenge, call, partner, commitment, proposal.
Exit codes as cli.py: 0 success, 1 a broken chain (or a table whose changes are not logged), 2 bad input.
"""
from __future__ import annotations

import argparse
import json

from genesis_desktop.cli import EXIT_FAILURE, EXIT_OK, BadInput, _store


def add_parsers(sub) -> None:
    audit = sub.add_parser("audit", help="the audit log: verify its hash chain, show a record's history")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = actions.add_parser("verify", help="recompute every entry's hash and follow the chain; exit 1 if broken")
    h = actions.add_parser("history", help="who changed a record and the rows it owns, when, and what")
    h.add_argument("kind", metavar="KIND", help="institution, challenge, call, partner, commitment or proposal")
    h.add_argument("code", metavar="CODE", help="the record's code (a call's number)")
    h.add_argument("--every-entry", action="store_true", help="every entry as logged, without folding the "
                   "entries one write made to one row into its net change")
    for p, func in ((v, cmd_verify), (h, cmd_history)):
        # Also after the action (`genesis audit verify --db URL`); SUPPRESS keeps the global one otherwise.
        p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="the portfolio (as genesis --db)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(func=func)


def cmd_verify(args) -> int:
    from genesis_desktop.portfolio.audit import verify

    store = _store(args, create=False)
    try:
        result = verify(store.engine)
    finally:
        store.close()
    problem = result.problem
    if args.json:
        print(json.dumps({"intact": result.intact, "entries": result.entries, "last_id": result.last_id,
                          "last_hash": result.last_hash,
                          "problem": None if problem is None else {"entry_id": problem.entry_id, "kind": problem.kind,
                                                                   "message": problem.message}}, indent=2))
    elif problem is None:
        last = f" (last entry {result.last_id}, hash {result.last_hash})" if result.entries else ""
        print(f"{result.entries} entries; chain intact{last}")
    else:
        where = f"entry {problem.entry_id}" if problem.entry_id is not None else "triggers"
        sound = f"{result.entries} {'entry' if result.entries == 1 else 'entries'}"
        print(f"audit log broken at {where} ({problem.kind}): {problem.message}; {sound} before it intact")
    return EXIT_OK if problem is None else EXIT_FAILURE


def cmd_history(args) -> int:
    from genesis_desktop.portfolio.audit import record_history, value_text
    from genesis_desktop.portfolio.edits import KINDS

    if args.kind not in KINDS:
        raise BadInput(f"unknown kind {args.kind!r}; one of: {', '.join(KINDS)}")
    store = _store(args, create=False)
    try:
        entries = record_history(store, args.kind, args.code, every_entry=args.every_entry)
    finally:
        store.close()
    if not entries:
        raise BadInput(f"the audit log holds nothing about {args.kind} {args.code}")
    if args.json:
        print(json.dumps([{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "table": e.table,
                           "row_key": e.row_key,
                           "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in e.changes]}
                          for e in entries], indent=2, ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        print(f"#{e.id}  {e.at}  {e.actor}  {e.action}  {e.what}")
        for c in e.changes:
            print(f"    {c.field}: {value_text(c.before)} -> {value_text(c.after)}")
    return EXIT_OK
