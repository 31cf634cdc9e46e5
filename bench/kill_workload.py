"""The work bench_kill.py kills: an import by the `genesis` command and a loop of record edits, the
file and records they work on, and what each leaves behind (see bench_kill.py).

- `prepare(copies, folder, proposals)`: the import file (the demo's proposals as the program exports them,
  under new codes), the row counts before and after an unkilled import, the seconds that import took from
  its first connection to its exit, and four records to edit (two pledged commitments, two submitted
  proposals, each checked with edits.validate at the farthest value the loop can reach).
- `start_import(url, file, fork)`: `python -m genesis_desktop --db URL import proposals FILE`, or its
  cli.main in a forked child.
- `edit_child(...)`: the edits loop, counting in shared memory the edits started and returned;
  `state_after(targets, n)` is every record's texts after its first n edits.
"""
from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from reliability_common import bump, table_counts, wait_connected


@dataclass(frozen=True)
class Target:
    kind: str
    code: str
    amounts: str  # the field of fiscal-year amounts each edit moves by `step` whole units times k
    text: str  # a text field each edit marks with its number
    step: int
    base: dict


@dataclass
class Workload:
    import_file: Path
    before: dict  # table -> rows in the template
    after: dict  # table -> rows after an unkilled import
    window: float  # seconds from an import's first connection to the database to its exit
    fork: bool  # the import runs cli.main in a forked child instead of the command in a new interpreter
    targets: list[Target]


def edit_values(targets: list[Target], i: int) -> tuple[Target, dict]:
    t, k = targets[i % len(targets)], i // len(targets) + 1
    return t, {t.amounts: bump(t.base[t.amounts], t.step * k), t.text: f"{t.base[t.text]} (edit {i + 1})"}


def state_after(targets: list[Target], n: int) -> dict:
    """Every target's texts after the first n edits."""
    state = {t.code: dict(t.base) for t in targets}
    for i in range(max(0, n - len(targets)), n):
        t, values = edit_values(targets, i)
        state[t.code] = {**t.base, **values}
    return state


def prepare(copies, work: Path, proposals: int, fork: bool = False) -> Workload:
    """The import file, the counts before and after an import, its timing, and the records to edit."""
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.io import export_frame, formats
    from genesis_desktop.portfolio.store import open_store

    store = open_store(copies.url, create=False)
    try:
        frame = export_frame(store, "proposals")
        frame["code"] = "K" + frame["code"].str.slice(1)
        import_file = work / "new-proposals.csv"
        formats.write_table(frame.head(proposals), import_file)
        wanted = [("commitment", "commitments", "state", "pledged", "pledged", "note", 1),
                  ("proposal", "proposals", "status", "submitted", "budget", "title", -1)]
        targets = []
        for kind, kinds, column, value, amounts, text, step in wanted:
            found = export_frame(store, kinds)
            for code in found.loc[found[column] == value, found.columns[0]].tolist():
                base = edits.read(store, kind, code)
                far = {amounts: bump(base[amounts], step * 500), text: base[text] + " (edit 9999)"}
                if base[amounts] and not edits.validate(store, kind, far, code=code):
                    targets.append(Target(kind, code, amounts, text, step, base))
                if sum(t.kind == kind for t in targets) == 2:
                    break
    finally:
        store.close()
    targets = [targets[i] for i in (0, 2, 1, 3)]  # commitment, proposal, commitment, proposal
    before = table_counts(copies.url)
    url = copies.clone("calibration")
    for _ in range(1 if fork else 2):  # a new interpreter's second run, with warm caches, is the one measured
        copies.drop(url)
        url = copies.clone("calibration")
        child = start_import(url, import_file, fork)
        connected = wait_connected(copies, url, child)
        while child.poll() is None:
            time.sleep(0.005)
        window = time.monotonic() - connected
    if child.returncode != 0:
        raise SystemExit(f"the unkilled import failed ({child.returncode}): {child.stderr and child.stderr.read()}")
    after = table_counts(url)
    copies.drop(url)
    return Workload(Path(import_file), before, after, window, fork, targets)


def start_import(url: str, path: Path, fork: bool):
    argv = ["--db", url, "import", "proposals", str(path)]
    if fork:
        return _Forked(argv)
    return subprocess.Popen([sys.executable, "-m", "genesis_desktop", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


class _Forked:
    """The `genesis` command's own main (cli.main) in a forked child: the command without the interpreter's
    start-up, which the tests cannot wait for; it quacks like the Popen of the real command."""

    stderr = None

    def __init__(self, argv: list[str]) -> None:
        self.process = multiprocessing.get_context("fork").Process(target=_cli, args=(argv,), daemon=True)
        self.process.start()
        self.pid = self.process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self) -> int:
        self.process.join()
        return self.process.exitcode

    returncode = property(poll)


def _cli(argv: list[str]) -> None:
    from genesis_desktop import cli

    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    sys.exit(cli.main(argv))


def edit_child(url: str, targets: list[Target], started, returned, ready) -> None:
    from genesis_desktop.portfolio import edits
    from genesis_desktop.portfolio.store import open_store

    store = open_store(url, create=False)
    ready.set()
    for i in range(100_000):
        target, values = edit_values(targets, i)
        started.value = i + 1
        edits.update(store, target.kind, target.code, values, author="bench-kill")
        returned.value = i + 1
