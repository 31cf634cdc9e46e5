"""Fixtures for the desktop tests: Qt offscreen, a small real portfolio file, a real Xvfb display."""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

# Before anything imports Qt: the tests draw into memory, not onto a screen, and remember window
# layouts in a folder of their own instead of the person's settings.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="genesis-test-config-")

import pytest  # noqa: E402

from genesis_desktop.portfolio.schema import (  # noqa: E402
    Call,
    CallPhase,
    Challenge,
    ChallengeStatus,
    ExchangeRate,
    Institution,
    InstitutionKind,
    Programme,
    Proposal,
    ProposalBudget,
    ProposalChallenge,
    ProposalInstitution,
    ProposalStatus,
)
from genesis_desktop.portfolio.store import open_store  # noqa: E402


def _load_servers_module(name: str):
    # The suite runs with --import-mode=importlib and tests/ is no package: load by path instead.
    path = Path(__file__).resolve().parents[1] / "servers" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"genesis_test_servers_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


xvfb_display = _load_servers_module("xvfb").xvfb_display

# (code, title, area, lead, status, official)
CHALLENGES = [
    ("GC-01", "Fusion plasma control with learned surrogates", "energy", "ANL", ChallengeStatus.ACTIVE, True),
    ("GC-02", "Autonomous materials discovery", "materials", "MIT", ChallengeStatus.ACTIVE, True),
    ("GC-03", "Protein design for enzymes", "biology", None, ChallengeStatus.PROPOSED, False),
    ("GC-04", "Grid-scale forecasting", "energy", "NVCO", ChallengeStatus.PAUSED, False),
]

# (code, title, call, phase, lead, team, status, budget {FY: minor}, gpu_hours, challenges)
PROPOSALS = [
    ("P-0001", "zeta surrogate models", "DE-FOA-0003612", "I", "ANL", ["MIT"], ProposalStatus.SUBMITTED,
     {2026: 40_000_000, 2027: 35_000_050}, 12_000, ["GC-01"]),
    ("P-0002", "Alpha plasma twin", "DE-FOA-0003612", "II", "MIT", ["ANL", "NVCO"], ProposalStatus.AWARDED,
     {2026: 300_000_000, 2027: 300_000_000, 2028: 250_000_000}, 250_000, ["GC-01", "GC-02"]),
    ("P-0003", "Beta enzyme foundry", "DE-FOA-0003612", "I", "NVCO", ["MIT"], ProposalStatus.UNDER_REVIEW,
     {2026: 90_000_000}, 800, ["GC-03"]),
    ("P-0004", "gamma grid forecasts", "DE-FOA-0003612", "I", "ANL", ["NVCO"], ProposalStatus.DECLINED,
     {2026: 10_000_000, 2027: 10_000_000}, 0, ["GC-04"]),
    ("P-0005", "Delta materials agents", "JST-2026-01", "I", "MIT", ["ANL"], ProposalStatus.RECOMMENDED,
     {2026: 50_000_000}, 4_500, ["GC-02"]),
]

# Requested totals in major units, as the proposals table must show them.
REQUESTED_TEXT = {
    "P-0001": "750,000.50", "P-0002": "8,500,000.00", "P-0003": "900,000.00", "P-0004": "200,000.00",
    "P-0005": "50,000,000",
}


def fill_portfolio(session) -> None:
    """A few of every record the two table views read, written through the ORM."""
    programme = Programme(code="GENESIS", name="The Genesis Mission", reporting_currency="USD")
    session.add(programme)
    institutions = {
        code: Institution(code=code, name=name, kind=kind, country=country)
        for code, name, kind, country in [
            ("ANL", "Argonne National Laboratory", InstitutionKind.NATIONAL_LAB, "US"),
            ("MIT", "Massachusetts Institute of Technology", InstitutionKind.UNIVERSITY, "US"),
            ("NVCO", "Nova Compute Co.", InstitutionKind.COMPANY, "JP"),
        ]
    }
    session.add_all(institutions.values())
    calls = {
        "DE-FOA-0003612": Call(
            programme=programme, number="DE-FOA-0003612", title="Genesis Mission challenges", currency="USD",
            total_budget_minor=50_000_000_000, opens_on=date(2026, 1, 15), closes_on=date(2026, 4, 30),
            phases=[
                CallPhase(phase="I", award_floor_minor=10_000_000, award_ceiling_minor=150_000_000,
                          duration_months=12),
                CallPhase(phase="II", award_floor_minor=100_000_000, award_ceiling_minor=400_000_000,
                          ceiling_per_year=True, duration_months=36),
            ],
        ),
        "JST-2026-01": Call(
            programme=programme, number="JST-2026-01", title="Joint call with Japan", currency="JPY",
            total_budget_minor=2_000_000_000,
            phases=[CallPhase(phase="I", award_floor_minor=10_000_000, award_ceiling_minor=90_000_000,
                              duration_months=12)],
        ),
    }
    session.add_all(calls.values())
    challenges = {}
    for code, title, area, lead, status, official in CHALLENGES:
        challenges[code] = Challenge(
            programme=programme, code=code, title=title, area=area, status=status, official=official,
            lead_institution=institutions[lead] if lead else None,
        )
    session.add_all(challenges.values())
    session.flush()
    for code, title, call, phase, lead, team, status, budget, gpu_hours, addressed in PROPOSALS:
        proposal = Proposal(
            code=code, call=calls[call], phase=phase, title=title, lead_institution=institutions[lead],
            principal_investigator="A. Researcher", currency=calls[call].currency,
            requested_gpu_hours=gpu_hours, status=status, submitted_on=date(2026, 4, 1),
        )
        proposal.team = [ProposalInstitution(institution_id=institutions[t].id) for t in team]
        proposal.budget = [ProposalBudget(fiscal_year=fy, amount_minor=m) for fy, m in budget.items()]
        proposal.challenges = [
            ProposalChallenge(challenge_id=challenges[c].id, is_primary=(i == 0)) for i, c in enumerate(addressed)
        ]
        session.add(proposal)
    # The JPY call is reported in USD: the overview and risk runs convert with this rate.
    session.add(ExchangeRate(base="USD", quote="JPY", on=date(2026, 1, 5), rate=Decimal("150"), source="test"))
    session.commit()


@pytest.fixture(scope="session")
def qapp():
    """The program's own QApplication (name, icon, Fusion theme) instead of pytest-qt's plain one."""
    from genesis_desktop.ui.app import make_application

    return make_application(["genesis-tests"])


def _python_threads() -> set:
    # Threads Python started (writers, job runners, probes); Qt's own pool threads come and go with
    # its idle timeout and are not the test's doing.
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def _open_desks() -> set:
    from genesis_desktop.ui.desk import Desk

    return {d for d in Desk.instances if not d.closed}


class LeakCheck:
    """What was open before a test, to name what the test left open after it."""

    def __init__(self, app) -> None:
        self.app = app
        self.windows = {id(w) for w in app.topLevelWidgets() if w.isVisible()}
        self.threads = _python_threads()
        self.desks = _open_desks()

    def problems(self, settle_s: float = 5.0) -> list[str]:
        import time

        from PySide6.QtCore import QCoreApplication, QEvent

        deadline = time.monotonic() + settle_s
        while True:
            self.app.processEvents()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            windows = [w for w in self.app.topLevelWidgets() if w.isVisible() and id(w) not in self.windows]
            threads = [t for t in _python_threads() - self.threads if t.is_alive()]
            desks = list(_open_desks() - self.desks)
            if (not windows and not threads and not desks) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        found = [f"open window {type(w).__name__} {w.windowTitle()!r}" for w in windows]
        found += [f"thread {t.name!r} still running" for t in threads]
        found += [f"a Desk not shut down (its reader and writer threads): {d!r}" for d in desks]
        return found


@pytest.fixture
def leak_check():
    """The class behind `nothing_left_behind`, for the test that checks the check."""
    return LeakCheck


@pytest.fixture(autouse=True)
def fresh_settings(qapp):
    """Each test starts with no remembered layout, view or theme, and leaves the default theme on."""
    from PySide6.QtCore import QSettings

    from genesis_desktop.ui.theme import SYSTEM, choose_theme

    QSettings().clear()
    yield
    QSettings().clear()
    choose_theme(qapp, SYSTEM)


@pytest.fixture(autouse=True)
def nothing_left_behind(qapp):
    """Fail a test that leaves a window open or a thread running once its own fixtures have closed.

    Requested before qtbot, so it is torn down after qtbot has closed the test's widgets.
    """
    check = LeakCheck(qapp)
    yield
    problems = check.problems()
    assert not problems, "left behind: " + "; ".join(problems)


@pytest.fixture
def portfolio_data():
    """What `portfolio_url` holds, for tests to compare the views against."""
    return SimpleNamespace(challenges=CHALLENGES, proposals=PROPOSALS, requested_text=REQUESTED_TEXT)


@pytest.fixture
def portfolio_url(db_url):
    """URL of a real SQLite portfolio holding CHALLENGES and PROPOSALS."""
    store = open_store(db_url)
    try:
        with store.session() as session:
            fill_portfolio(session)
    finally:
        store.close()
    return db_url


@pytest.fixture
def portfolio_store(portfolio_url):
    store = open_store(portfolio_url)
    yield store
    store.close()


@pytest.fixture
def main_window(qtbot, portfolio_store):
    """The main window on the small portfolio, shown offscreen, with every view loaded."""
    from genesis_desktop.ui.main_window import MainWindow

    window = MainWindow(portfolio_store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.wait_until_loaded(20_000), f"views did not load: {window.errors}"
    yield window
    window.close()
