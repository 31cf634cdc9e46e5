"""`genesis self-test`: is this installation whole? Plugins, kernels, resources, the window, a frame,
a job, the file formats and a report (the last three in self_test_records.py).

Each check runs even when an earlier one failed, so one run names everything that is missing (a
frozen bundle without a resource, a plugin that does not import). The report is JSON on stdout.
"""
from __future__ import annotations

import os
import tempfile
import time
import traceback
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Sequence

SELF_TEST_PROPOSALS = 40


def _walk(node, prefix: str = ""):
    for child in node.iterdir():
        name = f"{prefix}{child.name}"
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, f"{name}/")
        elif not name.endswith((".py", ".pyc")):
            yield name, child


def check_plugins(safe_mode: bool, expected: Sequence[str] = ()) -> dict[str, Any]:
    """Every backend found through the entry points must import; whether its cluster answers is
    reported, not required (a laptop has no Slurm). `expected`: names that must be found."""
    from genesis_desktop.compute import registry
    from genesis_desktop.compute.errors import BackendUnavailable

    entries = registry.discover(safe_mode=safe_mode)
    answers = registry.availability(entries, timeout=5.0)
    found, broken = {}, []
    for entry, answer in zip(entries, answers):
        imports = None
        if not (safe_mode and entry.name != registry.BUILTIN):
            try:
                registry.backend_class(entry)
                imports = True
            except BackendUnavailable as err:
                imports = False
                broken.append(str(err))
        found[entry.name] = {"imports": imports, "reachable": answer.reachable, "reason": answer.reason}
    missing = [name for name in expected if name not in found]
    if missing:
        broken.append(f"backends {', '.join(missing)} are not found through the entry points; "
                      f"found: {', '.join(found)}")
    if not found.get(registry.BUILTIN, {}).get("reachable"):
        broken.append(f"the built-in local backend is not usable: {found.get(registry.BUILTIN)}")
    if broken:
        raise RuntimeError("; ".join(broken))
    return {"backends": found}


def check_resources() -> dict[str, Any]:
    from .app import make_application
    from .resources import PACKAGE, stylesheet, svg_pixmap

    make_application()  # pixmaps need the application
    names = []
    for name, node in _walk(files(PACKAGE)):
        data = node.read_bytes()
        if not data:
            raise RuntimeError(f"resource {name} is empty")
        if name.startswith("icons/") and name.endswith(".svg"):
            svg_pixmap(name[len("icons/"):-len(".svg")], 32)  # raises if the SVG does not render
        names.append(name)
    for required in ("icons/genesis.svg", "styles/app.qss", "genesis-desktop.desktop"):
        if required not in names:
            raise RuntimeError(f"resource {required} is missing from {PACKAGE}")
    stylesheet("app")
    return {"resources": len(names), "names": sorted(names)}


def check_window(url: str, out_dir: Path) -> dict[str, Any]:
    from PySide6.QtCore import QSettings

    from genesis_desktop.portfolio.store import open_store

    from .app import make_application
    from .main_window import MainWindow

    app = make_application()
    store = open_store(url)
    # Settings of its own: a self-test must not change the layout a person comes back to.
    settings = QSettings(str(out_dir / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, settings=settings)
    try:
        window.show()
        if not window.wait_until_loaded(60_000):
            raise TimeoutError("the main window's views did not load within 60 s")
        if window.errors:
            raise RuntimeError(f"views could not load: {window.errors}")
        app.processEvents()
        image = window.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 16) for y in range(0, image.height(), 16)}
        if len(colours) < 8:
            raise RuntimeError(f"the rendered frame is blank ({len(colours)} colours)")
        frame = out_dir / "frame.png"
        image.save(str(frame), "PNG")
        return {"views": window.view_keys, "frame": [image.width(), image.height()], "colours": len(colours),
                "platform": app.platformName()}
    finally:
        window.close()
        store.close()


def check_job(url: str) -> dict[str, Any]:
    from genesis_desktop.compute import service
    from genesis_desktop.compute.jobs import JobState
    from genesis_desktop.compute.jobs import Resources
    from genesis_desktop.compute.jobstore import JobStore
    from genesis_desktop.portfolio.store import open_store

    jobs = JobStore(open_store(url).engine, owns_engine=True)
    try:
        spec = service.make_spec("pi", {"blocks": 4, "samples_per_block": 20_000}, seed=1,
                                 resources=Resources(workers=2))
        submitted = service.submit(jobs, spec)
        try:
            record = service.follow(jobs, submitted.backend, submitted.job_id)
        finally:
            submitted.backend.close()
        if record.state is not JobState.COMPLETED:
            raise RuntimeError(f"the local job ended {record.state.value}: {record.error}")
        if not 3.0 < record.result["pi"] < 3.3:
            raise RuntimeError(f"the local job computed pi = {record.result['pi']}")
        return {"job": record.id, "pi": record.result["pi"], "blocks": record.blocks_done}
    finally:
        jobs.close()


def run_self_test(safe_mode: bool = False, expected_backends: Sequence[str] = ()) -> tuple[bool, dict[str, Any]]:
    """Run every check; (all passed, report). `expected_backends`: plugins that must be found (an
    installer names those it bundled)."""
    from .self_test_records import check_files, check_kernels, check_report

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report: dict[str, Any] = {"checks": {}}
    with tempfile.TemporaryDirectory(prefix="genesis-self-test-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'self-test.sqlite'}"
        checks: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("plugins", lambda: check_plugins(safe_mode, expected_backends)),
            ("kernels", check_kernels),
            ("resources", check_resources),
            ("portfolio", lambda: _demo(url)),
            ("window", lambda: check_window(url, Path(tmp))),
            ("local_job", lambda: check_job(url)),
            ("files", lambda: check_files(url, Path(tmp))),
            ("report", lambda: check_report(url, Path(tmp))),
        ]
        for name, check in checks:
            started = time.perf_counter()
            try:
                result = {"ok": True, **check()}
            except Exception as err:  # the report names every failure, the exit code sums them up
                result = {"ok": False, "error": f"{type(err).__name__}: {err}",
                          "where": traceback.format_exc(limit=-2).strip().splitlines()[-3:]}
            result["seconds"] = round(time.perf_counter() - started, 3)
            report["checks"][name] = result
    ok = all(c["ok"] for c in report["checks"].values())
    report["ok"] = ok
    return ok, report


def _demo(url: str) -> dict[str, Any]:
    from genesis_desktop.portfolio.demo import build_demo
    from genesis_desktop.portfolio.store import open_store

    store = open_store(url)
    try:
        build_demo(store, proposals=SELF_TEST_PROPOSALS)
    finally:
        store.close()
    return {"proposals": SELF_TEST_PROPOSALS}
