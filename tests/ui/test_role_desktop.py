"""Each role's desktop on a real PostgreSQL 15 server, each person signed in as their own login role: an
analyst gets the main window with every writing command hidden and every view loaded, an officer gets
all of it, a reviewer gets the reviewer's own desk with their assigned proposals only. The windows run
in a process of their own, as a person starts them (test_postgres_desktop.py says why), and are
rendered to PNG files the test keeps in its folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtGui import QImage
from sqlalchemy import func, select

from genesis_desktop.compute.tables import metadata as job_metadata
from genesis_desktop.portfolio.db_copy import copy_portfolio
from genesis_desktop.portfolio.reviews import ReviewAssignment, Reviewer
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.ui.role_view import WRITING_BUTTONS

pytestmark = [pytest.mark.xdist_group("postgres"), pytest.mark.qt]

WINDOWS = """
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QAbstractButton
from genesis_desktop.portfolio.store import open_store
from genesis_desktop.ui.role_view import WRITING_BUTTONS
from genesis_desktop.ui.app import make_application, save_png
from genesis_desktop.ui.main_window import MainWindow
from genesis_desktop.ui.role_view import WRITING_ACTIONS, WRITING_BUTTONS, open_window

app, out, seen = make_application(platform="offscreen"), Path(sys.argv[1]), {}
for who, url in json.loads(sys.argv[2]).items():
    store = open_store(url, create=False)
    window = open_window(store)
    window.show()
    assert window.wait_until_loaded(120_000), who
    if isinstance(window, MainWindow):
        window.select_view("proposals")
        page = window.page("proposals")
        page.table.selectRow(0)
        window.wait_until_loaded(60_000)
        panel = page.record_panel
        for _ in range(50):
            app.processEvents()
        seen[who] = {"window": "main", "errors": window.errors, "role": window.role_label.text(),
                     "actions": {n: window.actions_by_name[n].isVisible() for n in WRITING_ACTIONS},
                     "buttons": {b.objectName(): not b.isHidden() for b in window.findChildren(QAbstractButton)
                                 if b.objectName() in WRITING_BUTTONS},
                     "save_shown": not panel.save_button.isHidden(), "record": panel.title.text(),
                     "new_enabled": window.actions_by_name["new"].isEnabled()}
    else:
        seen[who] = {"window": "reviewer", "title": window.windowTitle(),
                     "proposals": [a.code for a in window.desk.assignments()], "error": window.error}
    save_png(window, out / f"{who}.png")
    window.close()
    if isinstance(window, MainWindow):
        window.desk.shutdown()
    else:
        window.shutdown()
    store.close()
print(json.dumps(seen))
"""


def test_each_role_gets_the_desktop_of_what_it_may_do(demo_template, pg_url, pg_logins, tmp_path):
    copy_portfolio(f"sqlite:///{demo_template(40)}", pg_url, job_metadata.sorted_tables)
    store = open_store(pg_url)
    with store.session() as s:  # the reviewer with the most assignments, and what is assigned to them
        email, reviewer_id = s.execute(
            select(Reviewer.email, Reviewer.id).join(ReviewAssignment, ReviewAssignment.reviewer_id == Reviewer.id)
            .group_by(Reviewer.email, Reviewer.id).order_by(func.count().desc(), Reviewer.email)).first()
        assigned = s.scalar(select(func.count()).where(ReviewAssignment.reviewer_id == reviewer_id))
    store.close()
    urls = {"analyst": pg_logins(pg_url, "analyst", "analyst"), "officer": pg_logins(pg_url, "officer", "officer"),
            "reviewer": pg_logins(pg_url, "reviewer", "reviewer", email)}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    done = subprocess.run([sys.executable, "-c", WINDOWS, str(tmp_path), json.dumps(urls)], capture_output=True,
                          text=True, env=env, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    analyst, officer, reviewer = seen["analyst"], seen["officer"], seen["reviewer"]
    assert analyst["window"] == officer["window"] == "main"
    assert analyst["errors"] == {} and officer["errors"] == {}  # both read every view
    assert analyst["role"] == "Analyst: read only" and officer["role"] == "Program officer"
    assert not any(analyst["actions"].values()) and all(officer["actions"].values())
    assert set(analyst["buttons"]) == set(WRITING_BUTTONS) and not any(analyst["buttons"].values())
    assert set(officer["buttons"]) == set(analyst["buttons"]) and all(officer["buttons"].values())
    assert analyst["record"].startswith("Proposal ") and not analyst["save_shown"] and officer["save_shown"]
    assert not analyst["new_enabled"] and officer["new_enabled"]

    assert reviewer["window"] == "reviewer" and email in reviewer["title"] and reviewer["error"] is None
    assert len(reviewer["proposals"]) == assigned

    for who in seen:
        frame = QImage(str(tmp_path / f"{who}.png"))
        assert frame.width() > 800 and frame.height() > 500, who
