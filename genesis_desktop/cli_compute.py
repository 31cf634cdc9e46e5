"""The `genesis` compute commands: backends, run, and jobs list/show/cancel/telemetry/resume.

Results go to stdout (JSON with --json), progress and notices to stderr. Exit codes as cli.py:
0 success, 1 a run that did not complete or a backend that failed, 2 bad input or a bad spec.
"""
from __future__ import annotations

import functools
import json
import sys
import time

from genesis_desktop.cli import EXIT_FAILURE, EXIT_OK, BadInput

DEFAULT_SEED = 2026
PROBE_TIMEOUT_S = 3.0


def add_commands(sub) -> None:
    b = sub.add_parser("backends", help="the compute backends found, with availability and why not")
    b.add_argument("--json", action="store_true", help="print JSON")
    b.add_argument("--timeout", type=float, default=PROBE_TIMEOUT_S, metavar="S",
                   help=f"seconds to wait for the backends' probes (default {PROBE_TIMEOUT_S:g})")
    b.set_defaults(func=cmd_backends)

    r = sub.add_parser("run", help="run a kernel as a job: progress on stderr, the result on stdout")
    r.add_argument("kernel", metavar="KERNEL", help="pi, risk, ...")
    r.add_argument("--backend", default="local", metavar="NAME", help="compute backend (default local; "
                   "an unavailable one falls back to local, saying why)")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"random seed (default {DEFAULT_SEED})")
    r.add_argument("--param", action="append", default=[], metavar="K=V", help="a kernel parameter (V as JSON, "
                   "else text); workers, gpus, memory_mb, wall_time_s and partition ask for resources")
    r.add_argument("--json", action="store_true", help="print the job and its result as JSON")
    r.set_defaults(func=cmd_run)

    jobs = sub.add_parser("jobs", help="the job records").add_subparsers(dest="jobs_command", metavar="ACTION",
                                                                        required=True)
    ls = jobs.add_parser("list", help="recent jobs, newest first")
    ls.add_argument("--limit", type=int, default=50, metavar="N")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_jobs_list)
    for name, func, text in (("show", cmd_jobs_show, "one job: spec, states, result"),
                             ("cancel", cmd_jobs_cancel, "ask a job to stop"),
                             ("resume", cmd_jobs_resume, "run a lost or canceled job again, computing only "
                                                         "the blocks it had not saved")):
        x = jobs.add_parser(name, help=text)
        x.add_argument("job", type=int, metavar="ID")
        x.add_argument("--json", action="store_true", help="print JSON")
        x.set_defaults(func=func)
    t = jobs.add_parser("telemetry", help="a job's telemetry events")
    t.add_argument("job", type=int, metavar="ID")
    t.add_argument("--since", type=int, default=0, metavar="N", help="only events numbered after N")
    t.add_argument("--json", action="store_true", help="print JSON")
    t.set_defaults(func=cmd_jobs_telemetry)


class RunFailed(Exception):
    """The program cannot do what was asked here (a missing part, an unusable backend): exit 1."""


def _handled(func):
    """Permanent refusals (a bad spec, an unknown job) are bad input, exit 2; a backend that cannot be
    used, or fails for now, is a failure, exit 1."""
    @functools.wraps(func)
    def run(args) -> int:
        from genesis_desktop.compute.errors import BackendUnavailable, PermanentError, TransientError

        try:
            return func(args)
        except PermanentError as err:
            raise BadInput(str(err)) from None
        except (BackendUnavailable, TransientError, RunFailed) as err:
            print(f"genesis: {err}", file=sys.stderr)
            return EXIT_FAILURE
    return run


def _job_store(args):
    from genesis_desktop.compute.jobstore import JobStore
    from genesis_desktop.portfolio.store import open_store

    # The portfolio store owns the shared database and its migrations, the job tables included.
    return JobStore(open_store(args.db, create=False).engine, owns_engine=True)


@_handled
def cmd_backends(args) -> int:
    from genesis_desktop.compute import registry

    entries = registry.discover(safe_mode=args.safe_mode)
    rows = [{**entry.to_json(), "available": probe.reachable, "reason": probe.reason}
            for entry, probe in zip(entries, registry.availability(entries, args.timeout))]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    for row in rows:
        m = row["manifest"] or {}
        mark = "available" if row["available"] else "unavailable"
        print(f"{row['name']:<12} {m.get('version', '?'):<10} {mark:<12} {row['reason']}")
    return EXIT_OK


@_handled
def cmd_run(args) -> int:
    from genesis_desktop.compute import service

    params, resources = parse_params(args.param)
    with _job_store(args) as store:
        if args.kernel == "risk":
            params = _risk_params(store, params)
        elif args.kernel in ("assignment", "calibration", "selection", "robustness"):
            params = _review_params(store, args.kernel, params)
        spec = service.make_spec(args.kernel, params, seed=args.seed, resources=resources)
        submitted = service.submit(store, spec, backend=args.backend, safe_mode=args.safe_mode)
        if submitted.fallback_reason:
            print(f"genesis: {submitted.fallback_reason}; running on local instead", file=sys.stderr)
        return _follow_and_print(store, submitted.backend, submitted.job_id, args.json)


@_handled
def cmd_jobs_resume(args) -> int:
    from genesis_desktop.compute import service

    with _job_store(args) as store:
        backend = service.resume(store, args.job, safe_mode=args.safe_mode)
        return _follow_and_print(store, backend, args.job, args.json)


def _follow_and_print(store, backend, job_id: int, as_json: bool) -> int:
    from genesis_desktop.compute import service
    from genesis_desktop.compute.jobs import JobState

    started = time.monotonic()
    shown = _ProgressLine(job_id)
    try:
        try:
            record = service.follow(store, backend, job_id, on_events=shown.update)
        except KeyboardInterrupt:
            print(f"\ngenesis: canceling job {job_id} (Ctrl-C again to leave it lost, to `genesis jobs resume "
                  f"{job_id}` later)", file=sys.stderr)
            backend.cancel(service.native(store.get(job_id)))
            record = service.follow(store, backend, job_id)
    finally:
        shown.close()
        backend.close()
    seconds = round(time.monotonic() - started, 3)
    print(f"job {job_id} {record.state.value} in {seconds:g} s on {record.backend}"
          + (f": {record.error}" if record.error else ""), file=sys.stderr)
    out = {"job": job_id, "kernel": record.spec.kernel, "seed": record.spec.seed, "state": record.state.value,
           "backend": record.backend, "requested_backend": record.requested_backend,
           "fallback_reason": record.fallback_reason, "seconds": seconds, "result": record.result,
           "error": record.error}
    if as_json:
        print(json.dumps(out, indent=2))
    elif record.result is not None:
        print(_plain(record.result))
    return EXIT_OK if record.state is JobState.COMPLETED else EXIT_FAILURE


@_handled
def cmd_jobs_list(args) -> int:
    from genesis_desktop.compute import service

    with _job_store(args) as store:
        records = service.refresh(store, store.jobs(limit=args.limit), safe_mode=args.safe_mode)
    if args.json:
        print(json.dumps([r.to_json() for r in records], indent=2))
        return EXIT_OK
    for r in records:
        fallback = f" (asked {r.requested_backend})" if r.fallback_reason else ""
        print(f"{r.id:>5}  {r.state.value:<9}  {r.spec.kernel:<10}  {r.blocks_done:>5}/{r.spec.blocks:<5}  "
              f"{r.backend}{fallback}  {r.created_at:%Y-%m-%d %H:%M:%S}")
    return EXIT_OK


@_handled
def cmd_jobs_show(args) -> int:
    from genesis_desktop.compute import service

    with _job_store(args) as store:
        record = service.refresh(store, [store.get(args.job)], safe_mode=args.safe_mode)[0]
        data = record.to_json()
        data["history"] = [{"state": c.state.value, "at": c.changed_at.isoformat(), "note": c.note}
                           for c in store.history(args.job)]
        data["block_runs"] = {str(b): saved.run for b, saved in store.blocks(args.job).items()}
    print(json.dumps(data, indent=2) if args.json else _plain(data))
    return EXIT_OK


@_handled
def cmd_jobs_cancel(args) -> int:
    from genesis_desktop.compute import service

    with _job_store(args) as store:
        state = service.cancel(store, args.job, safe_mode=args.safe_mode)
    done = "is already" if state.is_final else "cancel requested; it is"
    if args.json:
        print(json.dumps({"job": args.job, "state": state.value}))
    else:
        print(f"job {args.job} {done} {state.value}", file=sys.stderr)
    return EXIT_OK


@_handled
def cmd_jobs_telemetry(args) -> int:
    with _job_store(args) as store:
        store.get(args.job)  # an unknown job is an error, not an empty stream
        events = store.telemetry(args.job, args.since)
    if args.json:
        print(json.dumps([e.to_json() for e in events], indent=2))
    else:
        for e in events:
            print(f"{e.seq:>6}  {e.at:%H:%M:%S.%f}  {e.kind.value:<10}  {json.dumps(dict(e.payload))}")
    return EXIT_OK


def parse_params(items: list[str]):
    """`--param K=V` items as (kernel parameters, Resources); V is JSON where it parses, else text."""
    from genesis_desktop.compute.jobs import RESOURCE_NAMES, Resources
    from genesis_desktop.compute.kernel import SpecError

    params, resources = {}, {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--param {item!r}: expected NAME=VALUE")
        target = resources if key in RESOURCE_NAMES else params
        if key in target:
            raise BadInput(f"--param {key}: given twice")
        try:
            target[key] = json.loads(text)
        except json.JSONDecodeError:
            target[key] = text
    try:
        return params, Resources(**resources)
    except SpecError as err:
        raise BadInput(f"--param {err}") from None


def _risk_params(store, params: dict) -> dict:
    """The risk kernel's inputs from the portfolio (proposals recommended or awarded), with `params`
    overriding; the portfolio package owns turning records into arrays."""
    try:
        from genesis_desktop.portfolio.risk_inputs import risk_params_from_portfolio
    except ImportError as err:
        raise RunFailed(f"run risk: the portfolio's risk inputs are not available here ({err})") from None
    try:
        return risk_params_from_portfolio(store.engine, **params)
    except (ValueError, TypeError) as err:
        raise BadInput(f"run risk: {err}") from None


def _review_params(store, kernel: str, params: dict) -> dict:
    """With `--param call=N` (review kernels) or `scenario=NAME` (selection, robustness), the inputs from the
    records, other `params` overriding; review and decisions own turning records into a kernel's inputs."""
    if kernel in ("selection", "robustness"):
        from genesis_desktop.decisions.scenario_jobs import params_for
    else:
        from genesis_desktop.review.job_inputs import params_for

    try:
        return params_for(store.engine, kernel, params)
    except (ValueError, TypeError) as err:
        raise BadInput(f"run {kernel}: {err}") from None


class _ProgressLine:
    """A progress bar on stderr when it is a terminal; state changes as plain lines when it is not."""

    WIDTH = 30

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.tty = sys.stderr.isatty()
        self.estimate = ""
        self.drawn = False

    def update(self, events) -> None:
        from genesis_desktop.compute.telemetry import Kind

        for e in events:
            p = e.payload
            if e.kind is Kind.ESTIMATE:
                self.estimate = f"  {p['name']} {p['value']:.6g} [{p['low']:.6g}, {p['high']:.6g}]"
            elif e.kind is Kind.PROGRESS and self.tty:
                filled = int(self.WIDTH * p["done"] / max(p["total"], 1))
                bar = "#" * filled + "." * (self.WIDTH - filled)
                print(f"\rjob {self.job_id} [{bar}] {p['done']}/{p['total']} blocks{self.estimate}", end="",
                      file=sys.stderr, flush=True)
                self.drawn = True
            elif e.kind is Kind.STATE and not self.tty:
                print(f"job {self.job_id}: {p['state']}" + (f" ({p['note']})" if p["note"] else ""),
                      file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.drawn:
            print(file=sys.stderr)


def _plain(data: dict) -> str:
    return "\n".join(f"{k}: {v if not isinstance(v, (dict, list)) else json.dumps(v)}" for k, v in data.items())

