"""SIGKILL in the middle of imports and edits, on SQLite and PostgreSQL: is each operation all or nothing?

    python bench/bench_kill.py [--runs 50] [--seed 2026] [--engine sqlite] [--engine postgresql]
                               [--pg-url URL] [--proposals 1000] [--edit-seconds 1.0] [--fork]

A demo portfolio (--proposals) is the template: a SQLite file copied per run, or a PostgreSQL database
(filled by the program's own `db copy`) cloned per run with CREATE DATABASE ... TEMPLATE. Runs alternate:
- import: the `genesis` command itself (`python -m genesis_desktop --db URL import proposals FILE`) on the
  demo's proposals as the program exports them, under new codes: each row creates a proposal with its
  budget years, challenges, team and first status change. Killed at a seeded uniform moment between its
  first connection to the database and the time an unkilled import took from there to its exit.
  --fork runs the command's cli.main in a forked child instead, without the interpreter's start-up.
- edits: a child looping over portfolio.edits.update, alternating two commitments (all five years of
  `pledged`, which writes the years and their ledger entries, and the note) and two proposals (budget
  years and title). It counts in shared memory the edits it started and those update() returned from.
  Killed at a uniform moment in --edit-seconds; every other edits run is "aimed": after that moment it
  is killed at the first sign of a write (polled every 0.5 ms).
At the kill the child is stopped (SIGSTOP), where it stood is read without touching its database
(reliability_common.phase: the SQLite write lock in /proc/locks, the backend's transaction id in
pg_stat_activity), then it is killed (SIGKILL). The database is then checked (reliability_common.integrity)
and: after an import every table's row count must be the template's (none) or an unkilled import's (all);
after edits every record, read back with edits.read, must be wholly as the returned edits left it, or, when
one was under way, as that one left it too. Anything else is a loss. Figures only: tests/reliability runs
the same at a small size and asserts.
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kill_workload import Workload, edit_child, prepare, start_import, state_after  # noqa: E402
from reliability_common import (PostgresCopies, SqliteCopies, demo_file, integrity, postgres, print_table,  # noqa: E402
                                stop_look_kill, table_counts, wait_connected)


PHASES = ("writing", "in a transaction", "connected", "not connected", "finished first")


@dataclass
class Tally:
    engine: str
    runs: Counter = field(default_factory=Counter)  # (operation, phase at the kill, result) -> runs
    losses: list = field(default_factory=list)  # (operation, phase, run, what was wrong)

    def loss_count(self, op: str | None = None, phase: str | None = None) -> int:
        """Runs with anything wrong (one run may have several problems)."""
        return len({run for o, p, run, _ in self.losses if op in (None, o) and phase in (None, p)})


def import_run(copies, work: Workload, url: str, rng: random.Random) -> tuple[str, str, list[str]]:
    child = start_import(url, work.import_file, work.fork)
    wait_connected(copies, url, child)
    time.sleep(rng.uniform(0.0, work.window))
    phase = "finished first" if child.poll() is not None else stop_look_kill(copies, url, child.pid)
    child.wait()
    if child.returncode == 0:
        phase = "finished first"
    copies.settle(url)
    problems = integrity(copies, url)
    counts = table_counts(url)
    result = "none" if counts == work.before else "all" if counts == work.after else "partial"
    if result == "partial":
        moved = {t: (work.before[t], n, work.after[t]) for t, n in counts.items() if n not in (work.before[t], work.after[t])}
        problems.append(f"partial import: (before, now, after) {moved or counts}")
    if phase == "finished first" and result != "all":
        problems.append(f"the import returned {child.returncode} but its rows are {result}")
    return phase, result, problems


def edits_run(copies, work: Workload, url: str, rng: random.Random, seconds: float,
              aim: bool) -> tuple[str, str, list[str]]:
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.store import open_store

    ctx = multiprocessing.get_context("fork")  # the program's modules are loaded already: no start-up to wait for
    started, returned, ready = ctx.Value("i", 0, lock=False), ctx.Value("i", 0, lock=False), ctx.Event()
    child = ctx.Process(target=edit_child, args=(url, work.targets, started, returned, ready), daemon=True)
    child.start()
    ready.wait(60)
    time.sleep(rng.uniform(0.0, seconds))
    deadline = time.monotonic() + 2 * seconds
    while aim and time.monotonic() < deadline and copies.phase(url, child.pid) != "writing":
        time.sleep(0.0005)
    phase = "finished first" if not child.is_alive() else stop_look_kill(copies, url, child.pid)
    s, r = started.value, returned.value
    child.join()
    copies.settle(url)
    problems = integrity(copies, url)
    if phase == "finished first":  # the loop never ends by itself: an edit raised
        problems.append(f"the edits child stopped by itself (exit code {child.exitcode}) after {r} edits")
    store = open_store(url, create=False)
    try:
        now = {t.code: edits.read(store, t.kind, t.code) for t in work.targets}
    finally:
        store.close()
    if s > r and now == state_after(work.targets, s):
        result = "all"
    elif now == state_after(work.targets, r):
        result = "none" if s > r else "between edits"
    else:
        result = "mixed"
        expected = state_after(work.targets, r)
        wrong = {c: {k: v for k, v in texts.items() if v != expected[c][k]} for c, texts in now.items()}
        problems.append(f"after {r} returned edits ({s} started) the records are in no state an edit left: "
                        f"{ {c: w for c, w in wrong.items() if w} }")
    return phase, result, problems


def run_kills(copies, work: Workload, runs: int, seed: int, edit_seconds: float = 1.0,
              operations: tuple[str, ...] = ("import", "edits")) -> Tally:
    rng, tally = random.Random(seed), Tally(copies.name)
    for run in range(runs):
        op = operations[run % len(operations)]
        url = copies.clone(f"run{run}")
        try:
            if op == "import":
                phase, result, problems = import_run(copies, work, url, rng)
            else:
                aim = run // len(operations) % 2 == 1
                phase, result, problems = edits_run(copies, work, url, rng, edit_seconds, aim)
                op = "edits, aimed" if aim else op
        finally:
            copies.drop(url)
        tally.runs[(op, phase, result)] += 1
        tally.losses += [(op, phase, run, p) for p in problems]
    return tally


def report(tally: Tally) -> None:
    print(f"\n{tally.engine}: runs by where the child stood when it was stopped and killed, and what the "
          "database held after (none: as before; all: the whole operation; between edits: no edit was under way)")
    rows = []
    for op in ("import", "edits", "edits, aimed"):
        for phase in PHASES:
            found = {r: n for (o, p, r), n in tally.runs.items() if (o, p) == (op, phase)}
            if found:
                other = sum(n for r, n in found.items() if r not in ("none", "all", "between edits"))
                rows.append([op, phase, sum(found.values()), found.get("none", 0), found.get("all", 0),
                             found.get("between edits", 0), other, tally.loss_count(op, phase)])
    rows.append(["all", "", sum(tally.runs.values()), *([""] * 4), tally.loss_count()])
    print_table(["operation", "at the kill", "runs", "none", "all", "between edits", "partial", "losses"], rows)
    for op, phase, run, problem in tally.losses[:10]:
        print(f"  LOSS in run {run} ({op}, {phase}): {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs per engine, alternately import and edits")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--engine", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg-url", help="admin URL of a PostgreSQL server (default GENESIS_TEST_PG_URL, else one is started)")
    parser.add_argument("--proposals", type=int, default=1000, help="the demo's proposals, and the rows of the import")
    parser.add_argument("--edit-seconds", type=float, default=1.0)
    parser.add_argument("--fork", action="store_true", help="run the import's cli.main in a forked child (faster)")
    args = parser.parse_args()
    engines = args.engine or ["sqlite", "postgresql"]
    with tempfile.TemporaryDirectory(prefix="genesis-bench-kill-") as folder:
        folder = Path(folder)
        started = time.perf_counter()
        template = demo_file(folder, args.proposals)
        for name in engines:
            if name == "sqlite":
                run_engine(SqliteCopies(template, folder), folder, args)
            else:
                with postgres(args.pg_url) as admin:
                    run_engine(PostgresCopies(admin, f"sqlite:///{template}"), folder, args)
        print(f"\n{time.perf_counter() - started:.0f} s in all")


def run_engine(copies, folder: Path, args) -> None:
    try:
        work = prepare(copies, folder, args.proposals, args.fork)
        print(f"\n{copies.name}: demo of {args.proposals:,} proposals; an unkilled import of "
              f"{work.after['proposal'] - work.before['proposal']:,} proposals "
              f"({sum(work.after.values()) - sum(work.before.values()):,} rows) exits {work.window:.2f} s after "
              f"it connects; edits alternate {', '.join(t.code for t in work.targets)}")
        started = time.perf_counter()
        tally = run_kills(copies, work, args.runs, args.seed, args.edit_seconds)
        print(f"{args.runs} runs in {time.perf_counter() - started:.0f} s; losses {tally.loss_count()}")
        report(tally)
    finally:
        copies.close()


if __name__ == "__main__":
    main()
