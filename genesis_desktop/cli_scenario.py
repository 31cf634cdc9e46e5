"""The `genesis scenario` commands: list, new, show, set, solve, compare, record, delete.

Results go to stdout (JSON with --json), notices to stderr. Exit codes as cli.py: 0 success, 2 bad
input: an unknown scenario or call, a spec that breaks a rule (the field, value and rule on stderr),
and a scenario with no selection that meets every constraint (each reason on its own stderr line).
A refused command writes nothing.
"""
from __future__ import annotations

import functools
import getpass
import json
import sys
from pathlib import Path

from genesis_desktop.cli import EXIT_BAD_INPUT, EXIT_OK, BadInput


def add_parsers(sub) -> None:
    scenario = sub.add_parser("scenario", help="selection scenarios of a call: budgets, coverage, caps, what-ifs")
    actions = scenario.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    ls = actions.add_parser("list", help="the saved scenarios, with their value once solved")
    ls.add_argument("--call", metavar="N", help="only this call's")
    new = actions.add_parser("new", help="save a new scenario: the call's default spec, or one from a file")
    new.add_argument("name", metavar="NAME")
    new.add_argument("--call", required=True, metavar="N", help="the call's number")
    new.add_argument("--from", dest="file", metavar="FILE.json", help="the spec as JSON (what `show --json` prints "
                     "under \"spec\")")
    show = actions.add_parser("show", help="a scenario's spec and, once solved, its result")
    show.add_argument("name", metavar="NAME")
    st = actions.add_parser("set", help="replace a scenario's spec (its result is cleared)")
    st.add_argument("name", metavar="NAME")
    st.add_argument("file", metavar="FILE.json")
    solve = actions.add_parser("solve", help="choose the proposals of the largest value within the scenario's rules")
    solve.add_argument("name", metavar="NAME")
    solve.add_argument("--time-limit", type=float, metavar="S", help="seconds for the solver (default: no limit)")
    cmp_ = actions.add_parser("compare", help="the proposals chosen in some but not all, and each one's money")
    cmp_.add_argument("names", nargs="+", metavar="NAME")
    rec = actions.add_parser("record", help="keep a completed robustness or risk job's result in the scenario's")
    rec.add_argument("name", metavar="NAME")
    rec.add_argument("job", type=int, metavar="JOB")
    rm = actions.add_parser("delete", help="delete a scenario")
    rm.add_argument("name", metavar="NAME")
    for p, func in ((ls, cmd_list), (new, cmd_new), (show, cmd_show), (st, cmd_set), (solve, cmd_solve),
                    (cmp_, cmd_compare), (rec, cmd_record), (rm, cmd_delete)):
        if p not in (new, st, rm):
            p.add_argument("--json", action="store_true", help="print JSON")
        if p in (new, st, solve):
            p.add_argument("--by", metavar="WHO", help="who saves or solves it (default: this computer's user name)")
        p.set_defaults(func=func)


def _handled(func):
    """A scenario's refusals are bad input (exit 2); the store is closed whatever happens."""
    @functools.wraps(func)
    def run(args) -> int:
        from genesis_desktop.decisions.scenario_spec import ScenarioError
        from genesis_desktop.decisions.selection import Infeasible
        from genesis_desktop.portfolio.store import open_store

        store = open_store(args.db, create=False)
        try:
            return func(args, store)
        except Infeasible as err:
            print(f"genesis: scenario {getattr(args, 'name', '')!r} has no selection that meets every constraint:", file=sys.stderr)
            for reason in err.reasons:
                print(f"  - {reason}", file=sys.stderr)
            print("nothing was stored; the scenario is unchanged", file=sys.stderr)
            return EXIT_BAD_INPUT
        except ScenarioError as err:
            raise BadInput(str(err)) from None
        finally:
            store.close()
    return run


def _who(args) -> str:
    return args.by or getpass.getuser()


def _spec_file(path: str):
    from genesis_desktop.decisions.scenarios import ScenarioSpec

    try:
        return ScenarioSpec.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as err:  # unreadable, not JSON, or ScenarioError (a ValueError)
        raise BadInput(f"{path}: {err}") from None


@_handled
def cmd_list(args, store) -> int:
    from genesis_desktop.decisions.scenarios import list_scenarios

    rows = list_scenarios(store, args.call)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for r in rows:
        solved = (f"{r['status']}, {r['chosen']} chosen, value {r['value']:.6g}" if r["solved_at"] else "not solved")
        print(f"{r['name']:<24} {r['call']:<18} {solved}")
    return EXIT_OK


@_handled
def cmd_new(args, store) -> int:
    from genesis_desktop.decisions.scenarios import ScenarioError, default_spec, list_scenarios, save_scenario

    if any(r["name"] == args.name.strip() for r in list_scenarios(store)):
        raise ScenarioError(f"name: a scenario named {args.name!r} exists; change it with `genesis scenario set` "
                            "or delete it first")
    spec = _spec_file(args.file) if args.file else default_spec(store, args.call)
    if spec.call != args.call:
        raise ScenarioError(f"call: the file is for call {spec.call!r}, not {args.call!r}")
    save_scenario(store, args.name, spec, _who(args))
    print(f"scenario {args.name!r} saved for call {spec.call}", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_show(args, store) -> int:
    from genesis_desktop.decisions.scenarios import load_scenario

    spec, result = load_scenario(store, args.name)
    if args.json:
        print(json.dumps({"name": args.name, "spec": spec.to_json(), "result": result}, indent=2))
        return EXIT_OK
    print(json.dumps(spec.to_json(), indent=2))
    print(_summary(result) if result else "not solved", file=sys.stderr if not result else sys.stdout)
    return EXIT_OK


@_handled
def cmd_set(args, store) -> int:
    from genesis_desktop.decisions.scenarios import load_scenario, save_scenario

    load_scenario(store, args.name)  # an unknown name is an error here, not a new scenario
    spec = _spec_file(args.file)
    save_scenario(store, args.name, spec, _who(args))
    print(f"scenario {args.name!r}: spec replaced; solve it again", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_solve(args, store) -> int:
    from genesis_desktop.decisions.scenarios import solve_scenario

    result = solve_scenario(store, args.name, _who(args), time_limit=args.time_limit)
    print(json.dumps(result, indent=2) if args.json else _summary(result))
    return EXIT_OK


@_handled
def cmd_compare(args, store) -> int:
    from genesis_desktop.decisions.scenarios import compare_scenarios

    data = compare_scenarios(store, args.names)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    for s in data["scenarios"]:
        print(f"{s['name']}: {s['count']} chosen, value {s['value']:.6g} ({s['objective']}, {s['status']})")
    print(f"{data['in_all']} chosen in all; {len(data['differing'])} differ:")
    for d in data["differing"]:
        print(f"  {d['code']}  in {', '.join(d['chosen_in'])}; out of {', '.join(d['left_out_in'])}  {d['title']}")
    return EXIT_OK


@_handled
def cmd_record(args, store) -> int:
    from genesis_desktop.compute.jobs import JobState
    from genesis_desktop.compute.jobstore import JobStore, UnknownJob
    from genesis_desktop.decisions.scenario_jobs import record_risk, record_robustness

    try:
        record = JobStore(store.engine).get(args.job)
    except UnknownJob as err:
        raise BadInput(str(err)) from None
    if record.state is not JobState.COMPLETED:
        raise BadInput(f"job {args.job} is {record.state.value}; only a completed job's result can be kept")
    recorders = {"robustness": record_robustness, "risk": record_risk}
    if record.spec.kernel not in recorders:
        raise BadInput(f"job {args.job} is a {record.spec.kernel} job; a scenario keeps robustness and risk results")
    entry = recorders[record.spec.kernel](store, args.name, args.job, record.result)
    print(json.dumps(entry, indent=2) if args.json else f"scenario {args.name!r}: {record.spec.kernel} of job "
          f"{args.job} kept")
    return EXIT_OK


@_handled
def cmd_delete(args, store) -> int:
    from genesis_desktop.decisions.scenarios import delete_scenario

    delete_scenario(store, args.name)
    print(f"scenario {args.name!r} deleted", file=sys.stderr)
    return EXIT_OK


def _summary(r: dict) -> str:
    """Chosen count, value, and spend against budget per fiscal year, for people."""
    lines = [f"call {r['call']}: {r['status']}, {len(r['chosen'])} of {len(r['proposals'])} chosen, value "
             f"{r['value']:.6g} ({r['objective']}; bound {r['bound']:.6g}), {r['currency']}"]
    for y in map(str, r["years"]):
        budget = r["budget"].get(y)
        limit = "no limit" if budget is None else f"{budget:,.0f}"
        lines.append(f"  FY{y}: spend {r['spend'][y]:>16,.0f} of {limit:>16}  (committed {r['committed'][y]:,.0f})")
    lines += [f"  note: {n}" for n in r.get("notes", [])]
    return "\n".join(lines)
