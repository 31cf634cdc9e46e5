"""`genesis review rubric --call N [--set FILE | --default]`: a call's rubric, shown or replaced.

The rubric is JSON (`Rubric.to_json`): print one with no option, edit it, and give it back with
--set. A file that breaks a rule (an unknown scale end, a weight below zero, no counting
criterion) is refused naming the file and the rule, and the call keeps its rubric.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from genesis_desktop.cli import EXIT_OK, BadInput


def add_parsers(review_sub) -> None:
    r = review_sub.add_parser("rubric", help="a call's rubric as JSON; --set FILE gives it its own, "
                              "--default returns it to the programme's")
    r.add_argument("--call", required=True, metavar="N", help="the call's number")
    choice = r.add_mutually_exclusive_group()
    choice.add_argument("--set", metavar="FILE", help="a rubric as JSON (what this command prints)")
    choice.add_argument("--default", action="store_true", help="back to the programme's default rubric")
    r.set_defaults(func=cmd_rubric)


def cmd_rubric(args) -> int:
    from genesis_desktop.portfolio.store import open_store
    from genesis_desktop.review.conflicts import ConflictError
    from genesis_desktop.review.records import call_rubric, set_call_rubric
    from genesis_desktop.review.rubric import Rubric, RubricError

    rubric = None
    if args.set:
        path = Path(args.set)
        try:
            rubric = Rubric.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as err:  # unreadable, not JSON, or RubricError (a ValueError)
            raise BadInput(f"{path}: {err}") from None
    store = open_store(args.db, create=False)
    try:
        if args.set or args.default:
            set_call_rubric(store, args.call, rubric)
            print(f"call {args.call}: {'its own rubric' if rubric else 'the default rubric'} is set", file=sys.stderr)
        print(json.dumps(call_rubric(store, args.call).to_json(), indent=2, ensure_ascii=False))
    except (ConflictError, RubricError) as err:
        raise BadInput(str(err)) from None
    finally:
        store.close()
    return EXIT_OK
