"""The proposals table at a million rows, in the real TablePage offscreen; and start-up to a painted window.

    python bench/bench_tables.py [--proposals 1000000] [--cache DIR] [--repeat 3]

Builds the demo database once with `genesis init --demo --proposals N` (about 140 s at a million on
two cores) and keeps it in the cache folder (default: genesis-bench under the system temp folder).
Then, in this process, with Qt offscreen:

- time to the first rows on screen and to the whole table loaded;
- a sort by a number column (Requested) and by a text column (Title), both directions;
- one filter keystroke: a key typed into the filter box until the rows it selects are shown;
- peak memory (ru_maxrss);
- the longest stall of the GUI event loop in each phase: a 10 ms QTimer records how late it fires.

And, in fresh processes: seconds from start to the first paint of the main window on that
database, against a bare Python process that imports PySide6 and shows one window.
Each figure is printed against its aim (two cores). Nothing is asserted: figures, not a test.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

AIMS = {"first rows": 1.0, "sort": 0.5, "keystroke": 0.1, "stall": 0.1, "memory GiB": 2.0}
TICK_MS = 10


def database(n: int, cache: Path) -> Path:
    """The demo portfolio of n proposals, built once by the genesis command and reused after."""
    path = cache / f"demo-{n}.sqlite"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    print(f"building {path} (genesis init --demo --proposals {n}) ...", flush=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "genesis_desktop", "--db", f"sqlite:///{partial}", "init", "--demo",
                    "--proposals", str(n)], check=True, stdout=subprocess.DEVNULL)
    partial.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


class StallWatch:
    """A 10 ms timer on the GUI thread that keeps the worst lateness of its ticks, per phase."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.worst: dict[str, float] = {}
        self.when: dict[str, float] = {}  # seconds into the phase of its worst stall
        self.phase = ""
        self._began = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.setTimerType(self._timer.timerType().PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def start(self, phase: str) -> None:
        self.phase = phase
        self.worst.setdefault(phase, 0.0)
        self._last = self._began = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = now - self._last - TICK_MS / 1000
        if late > self.worst[self.phase]:
            self.worst[self.phase], self.when[self.phase] = late, self._last - self._began
        self._last = now


def wait_for(condition, timeout_s: float = 600.0) -> float:
    """Run the event loop until `condition()` holds; seconds waited. Polls from the loop every 2 ms,
    so that the GUI thread sleeps (and leaves the GIL to the workers) in between."""
    from PySide6.QtCore import QEventLoop, QTimer

    started = time.perf_counter()
    if condition():
        return 0.0
    loop = QEventLoop()
    poll = QTimer(interval=2)
    poll.timeout.connect(lambda: (condition() or time.perf_counter() - started > timeout_s) and loop.quit())
    poll.start()
    loop.exec()
    poll.stop()
    return time.perf_counter() - started


def rss_gib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def peak_gib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**30


def verdict(value: float, aim: float) -> str:
    return f"aim < {aim:g}: {'met' if value < aim else 'MISSED'}"


def bench_page(db: Path, repeat: int) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest

    from genesis_desktop.portfolio.store import open_store
    from genesis_desktop.ui.app import make_application
    from genesis_desktop.ui.desk import Desk
    from genesis_desktop.ui.queries import TABLE_VIEWS
    from genesis_desktop.ui.table_page import TablePage

    make_application(["bench"], platform="offscreen")
    store = open_store(f"sqlite:///{db}")
    settings_dir = tempfile.TemporaryDirectory(prefix="genesis-bench-settings-")  # no remembered layout
    desk = Desk(store, settings=QSettings(f"{settings_dir.name}/s.ini", QSettings.Format.IniFormat))
    spec = next(s for s in TABLE_VIEWS if s.key == "proposals")
    page = TablePage(desk, spec)
    page.resize(1280, 800)
    page.show()
    watch = StallWatch()
    wait_for(lambda: False, timeout_s=0.5)  # the window's own first paint is start-up, measured below
    print(f"rss before load {rss_gib():.2f} GiB")

    watch.start("load")
    started = time.perf_counter()
    page.reload()
    first = wait_for(lambda: page.model.total_rows > 0)
    first_count = page.model.total_rows
    full = wait_for(lambda: page.is_loaded) + first
    wait_for(lambda: False, timeout_s=0.3)  # let the last paints of the load happen under the watch
    watch.stop()
    rows = page.model.total_rows
    print(f"first rows   {first:7.3f} s  ({first_count:,} rows)   {verdict(first, AIMS['first rows'])}")
    print(f"full load    {full:7.3f} s  ({rows:,} rows, {rows / full:,.0f} rows/s)   rss {rss_gib():.2f} GiB")

    sorts = {}
    watch.start("sort")
    for key, title in (("requested", "number (Requested)"), ("title", "text (Title)")):
        for descending in (False, True):
            times = []
            for _ in range(repeat):
                page.sort_by("code")  # from another order each time
                wait_for(lambda: page.model.up_to_date)
                started = time.perf_counter()
                page.sort_by(key, descending)
                wait_for(lambda: page.model.up_to_date)
                times.append(time.perf_counter() - started)
            sorts[(title, descending)] = min(times), statistics.median(times), max(times)
    watch.stop()
    for (title, descending), (best, median, worst) in sorts.items():
        way = "descending" if descending else "ascending"
        print(f"sort {title:18s} {way:10s} best {best:6.3f} s  median {median:6.3f} s  worst {worst:6.3f} s   "
              f"{verdict(worst, AIMS['sort'])}")

    watch.start("filter")
    page.sort_by("code")
    wait_for(lambda: page.model.up_to_date)
    keystrokes = []
    for text in ("quantum", "grid", "p-00001", "zz"):
        page.set_filter("")
        wait_for(lambda: page.model.up_to_date and page.model.rowCount() == rows)
        for char in text:
            started = time.perf_counter()
            QTest.keyClick(page.filter_edit, char)
            wait_for(lambda: page.model.up_to_date)
            keystrokes.append(time.perf_counter() - started)
        shown = page.model.rowCount()
        print(f"filter '{text}': {shown:,} rows")
    watch.stop()
    key = statistics.median(keystrokes)
    print(f"keystroke    median {key:6.3f} s  worst {max(keystrokes):6.3f} s  ({len(keystrokes)} keys)   "
          f"{verdict(key, AIMS['keystroke'])}")

    for phase, late in watch.worst.items():
        print(f"longest GUI stall during {phase:6s} {late:6.3f} s (from {watch.when.get(phase, 0):.2f} s into it)   "
              f"{verdict(late, AIMS['stall'])}")
    peak = peak_gib()
    print(f"peak memory  {peak:6.2f} GiB   {verdict(peak, AIMS['memory GiB'])}")
    page.close()
    desk.shutdown()
    store.close()
    settings_dir.cleanup()


FIRST_PAINT = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
{imports}
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(time.time(), flush=True)
            os._exit(0)  # at once: no load that is still running may delay the figure
        return False
{build}
window.installEventFilter(FirstPaint(window))
window.show()
QTimer.singleShot(10_000, lambda: os._exit(3))
app.exec()
"""
BARE = dict(imports="from PySide6.QtWidgets import QApplication, QWidget",
            build="app = QApplication(['bare'])\nwindow = QWidget()\nwindow.resize(1280, 800)")
DESKTOP = dict(imports="from genesis_desktop.ui.app import make_application\n"
                       "from genesis_desktop.portfolio.store import open_store\n"
                       "from genesis_desktop.ui.main_window import MainWindow",
               build="app = make_application(['genesis'])\nwindow = MainWindow(open_store(sys.argv[1]))\n"
                     "window.resize(1280, 800)")


def first_paint_s(parts: dict, db: Path) -> float:
    script = FIRST_PAINT.format(**parts)
    started = time.time()
    done = subprocess.run([sys.executable, "-c", script, f"sqlite:///{db}"], capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"the window never painted (exit {done.returncode}): {done.stderr[-2000:]}")
    return float(done.stdout.split()[-1]) - started


def bench_startup(db: Path, repeat: int) -> None:
    bare = [first_paint_s(BARE, db) for _ in range(repeat)]
    desktop = [first_paint_s(DESKTOP, db) for _ in range(repeat)]
    b, d = statistics.median(bare), statistics.median(desktop)
    print(f"first paint: bare PySide6 window {b:.2f} s, genesis main window {d:.2f} s "
          f"(medians of {repeat}); ratio {d / b:.1f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proposals", type=int, default=1_000_000)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "genesis-bench")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each sort and of each start-up")
    ap.add_argument("--skip-startup", action="store_true")
    args = ap.parse_args(argv)
    db = database(args.proposals, args.cache)
    print(f"database {db} ({db.stat().st_size / 2**20:,.0f} MiB), {os.cpu_count()} cores")
    bench_page(db, args.repeat)
    if not args.skip_startup:
        bench_startup(db, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
