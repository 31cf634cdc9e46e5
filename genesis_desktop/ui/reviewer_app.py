"""Starting the reviewer's desktop: on the programme's database as one reviewer, or on an offline packet.

`run_reviewer_gui` is what `genesis gui --as-reviewer EMAIL` calls, `run_packet_gui` what
`genesis gui --packet FILE` calls; both return the exit code (0 closed normally, 1 the program or
the portfolio failed, 2 bad input: no reviewer with that e-mail, or a file that is not a usable
packet), having printed the reason on stderr. `render_reviewer_screenshot` renders the window
offscreen to a PNG and raises ValueError for bad input.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Sequence

from genesis_desktop.portfolio.store import StoreError, open_store
from genesis_desktop.review.scoring import DatabaseReviewerDesk, ReviewAccessError

from .app import display_problem, make_application, save_png
from .reviewer_window import ReviewerWindow
from .theme import THEME_CHOICES, choose_theme


def open_reviewer_desk(store, email: str) -> DatabaseReviewerDesk:
    """The desk of the reviewer with this e-mail, or ValueError saying there is none."""
    try:
        return DatabaseReviewerDesk(store, email)
    except ReviewAccessError as exc:
        raise ValueError(str(exc)) from None


def open_packet_desk(path: str | Path):
    """The desk over an offline packet file, or ValueError (the packet's own PacketError) saying why not."""
    from genesis_desktop.review.packet_desk import PacketDesk

    return PacketDesk(path)


def _run(window_factory, cleanup, argv: Sequence[str] | None) -> int:
    app = make_application(argv)
    window = None
    try:
        window = window_factory()
        window.show()
        return app.exec()
    finally:
        if window is not None:
            window.shutdown()
        cleanup()


def run_reviewer_gui(url: str | None, email: str, argv: Sequence[str] | None = None) -> int:
    """Show the reviewer's desktop for `email` on the portfolio at `url` (None: the default one)."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    try:
        store = open_store(url)
    except (StoreError, OSError) as exc:
        print(f"genesis: {exc}", file=sys.stderr)
        return 1
    try:
        desk = open_reviewer_desk(store, email)
    except ValueError as exc:
        store.close()
        print(f"genesis: {exc}", file=sys.stderr)
        return 2
    return _run(lambda: ReviewerWindow(desk), store.close, argv)


def run_packet_gui(path: str | Path, argv: Sequence[str] | None = None) -> int:
    """Show the reviewer's desktop on an offline packet file; no database is opened."""
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    try:
        desk = open_packet_desk(path)
    except ValueError as exc:
        print(f"genesis: {exc}", file=sys.stderr)
        return 2
    return _run(lambda: ReviewerWindow(desk, source=str(path)), lambda: None, argv)


def render_reviewer_screenshot(url_or_packet: str | Path | None, email_or_none: str | None, out_png: str | Path,
                               size: tuple[int, int] = (1320, 860), code: str | None = None,
                               theme: str | None = None, timeout_ms: int = 60_000) -> Path:
    """Render the reviewer's window offscreen to the PNG file `out_png`.

    With an e-mail, `url_or_packet` is the portfolio's URL (None: the default); without one, it is a
    packet file. `code` picks the proposal shown (default: their first); `theme` is light or dark
    (default: the system's). ValueError for an unknown e-mail, code or theme, or an unusable packet.
    """
    if theme is not None and theme not in THEME_CHOICES:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEME_CHOICES)}")
    out = Path(out_png)
    app = make_application(platform="offscreen")
    if theme is not None:
        choose_theme(app, theme)
    store = None
    if email_or_none is None:
        if url_or_packet is None:
            raise ValueError("a packet screenshot needs the packet file")
        desk, source = open_packet_desk(url_or_packet), str(url_or_packet)
    else:
        store = open_store(None if url_or_packet is None else str(url_or_packet))
        source = None
        try:
            desk = open_reviewer_desk(store, email_or_none)
        except ValueError:
            store.close()
            raise
    window = ReviewerWindow(desk, source=source)
    try:
        window.resize(*size)
        window.show()
        if not window.wait_until_loaded(timeout_ms):
            raise TimeoutError(f"the reviewer's window did not load within {timeout_ms / 1000:.0f} s")
        if code is not None and code != window.code:
            if not window.select(code):
                raise ValueError(f"proposal {code!r} is not assigned to {desk.reviewer}")
            window.wait_until_loaded(timeout_ms)
        if window.error:
            raise RuntimeError(f"the reviewer's window could not load: {window.error}")
        for _ in range(20):  # wrapped labels settle their heights over a few rounds of layout requests
            app.processEvents()
            time.sleep(0.01)
        return save_png(window, out)
    finally:
        window.close()
        if store is not None:
            store.close()
