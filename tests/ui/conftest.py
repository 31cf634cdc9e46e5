"""Fixtures for the desktop tests: Qt offscreen, a small real portfolio file, a real Xvfb display."""
from __future__ import annotations

import os
import tempfile
import threading
from datetime import date
from decimal import Decimal
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
        from PySide6.QtWidgets import QMainWindow

        self.app = app
        self.windows = {id(w) for w in app.topLevelWidgets() if w.isVisible()}
        self.main_windows = {id(w) for w in app.topLevelWidgets() if isinstance(w, QMainWindow)}
        self.threads = _python_threads()
        self.desks = _open_desks()

    def delete_closed_main_windows(self) -> None:
        """Delete the main windows the test made and closed without deleting. Closing only hides a
        window; each one left alive (thousands of widgets) made every later theme change in the
        worker re-polish it too, until a teardown took seconds."""
        from PySide6.QtWidgets import QMainWindow

        closed = [w for w in self.app.topLevelWidgets()
                  if isinstance(w, QMainWindow) and id(w) not in self.main_windows and not w.isVisible()]
        for window in closed:
            window.deleteLater()

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
    check.delete_closed_main_windows()
    problems = check.problems()
    assert not problems, "left behind: " + "; ".join(problems)


@pytest.fixture
def portfolio_data():
    """What `portfolio_url` holds, for tests to compare the views against."""
    return SimpleNamespace(challenges=CHALLENGES, proposals=PROPOSALS, requested_text=REQUESTED_TEXT)


@pytest.fixture
def portfolio_url(db_url):
    """URL of a real portfolio holding CHALLENGES and PROPOSALS (a SQLite file, or with --engine
    postgresql a database on the server)."""
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
def desk(qapp, portfolio_store):
    """A Desk on the small portfolio, shut down after the test."""
    from genesis_desktop.ui.desk import Desk

    d = Desk(portfolio_store)
    yield d
    d.shutdown()
    d.deleteLater()


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


# Table views (tests/ui/test_table_*.py) ----------------------------------------------------------

def add_partners_and_reviews(store) -> None:
    """JP-MEXT pledges 2,000,000,000 JPY over FY2026-FY2027; DOE 30,000,000.15 USD over FY2026-FY2028
    and 777 JPY in FY2029; ACME nothing. Ada reviews P-0001 (submitted) and P-0002 (draft), Grace
    reviews P-0002 (submitted), Alan nothing."""
    from datetime import datetime

    from genesis_desktop.portfolio.schema import (
        Commitment, CommitmentState, CommitmentYear, Partner, PartnerKind, Review, Reviewer, ReviewState,
    )

    with store.session() as s, s.begin():
        mext = Partner(code="JP-MEXT", name="Ministry of Education (Japan)", kind=PartnerKind.AGENCY, country="JP",
                       fiscal_calendar="JP")
        doe = Partner(code="DOE", name="U.S. Department of Energy", kind=PartnerKind.AGENCY, country="US")
        acme = Partner(code="ACME", name="Acme Quantum", kind=PartnerKind.COMPANY, country="US")
        s.add_all([mext, doe, acme])
        day = date(2026, 6, 4)
        mext_q = Commitment(code="MEXT-Q", partner=mext, title="Quantum computing", currency="JPY",
                            state=CommitmentState.OBLIGATED, pledged_on=day, obligated_on=day)
        mext_q.years = [CommitmentYear(fiscal_year=2026, pledged_minor=1_000_000_000, obligated_minor=500_000_000,
                                       disbursed_minor=100_000_000),
                        CommitmentYear(fiscal_year=2027, pledged_minor=1_000_000_000)]
        doe_f = Commitment(code="DOE-F", partner=doe, title="Fusion match", currency="USD", pledged_on=day)
        doe_f.years = [CommitmentYear(fiscal_year=y, pledged_minor=1_000_000_005) for y in (2026, 2027, 2028)]
        doe_j = Commitment(code="DOE-J", partner=doe, title="Yen side fund", currency="JPY", pledged_on=day)
        doe_j.years = [CommitmentYear(fiscal_year=2029, pledged_minor=777)]
        s.add_all([mext_q, doe_f, doe_j])
        institutions = {i.code: i for i in s.query(Institution)}
        proposals = {p.code: p for p in s.query(Proposal)}
        ada = Reviewer(email="ada@mit.example.org", name="Ada Lovelace", institution=institutions["MIT"],
                       expertise=["fusion", "control"])
        grace = Reviewer(email="grace@anl.example.org", name="Grace Hopper", institution=institutions["ANL"],
                         expertise=["grids"])
        alan = Reviewer(email="alan@example.org", name="Alan Turing")
        s.add_all([ada, grace, alan])
        s.add_all([
            Review(proposal=proposals["P-0001"], reviewer=ada, scores={"merit": 2, "relevance": 3},
                   state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 2, 10, 30)),
            Review(proposal=proposals["P-0002"], reviewer=ada, scores={"merit": 4}),
            Review(proposal=proposals["P-0002"], reviewer=grace, scores={"merit": 1, "relevance": 2, "team": 3},
                   state=ReviewState.SUBMITTED, submitted_at=datetime(2026, 5, 3, 9, 0)),
        ])


@pytest.fixture
def table_settings(tmp_path):
    """Settings of their own for the table tests (a file in the test's folder)."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def table_desk(qapp, portfolio_store, table_settings):
    """A desk on the small portfolio plus `add_partners_and_reviews`, with `table_settings`."""
    from genesis_desktop.ui.desk import Desk

    add_partners_and_reviews(portfolio_store)
    desk = Desk(portfolio_store, settings=table_settings)
    yield desk
    desk.shutdown()


@pytest.fixture
def open_table_page(qtbot):
    """open_table_page(desk, key, spec=None): a shown TablePage for the view `key`, every row loaded."""
    from genesis_desktop.ui.queries import TABLE_VIEWS
    from genesis_desktop.ui.table_page import TablePage

    specs = {spec.key: spec for spec in TABLE_VIEWS}

    def open_page(desk, key: str, spec=None) -> TablePage:
        page = TablePage(desk, spec or specs[key])
        qtbot.addWidget(page)
        page.resize(1100, 600)
        page.show()
        page.reload()
        qtbot.waitUntil(lambda: page.is_loaded, timeout=20_000)
        assert page.error is None, page.error
        return page

    return open_page


@pytest.fixture
def open_view(qtbot):
    """open_view(PageClass, store, size) -> a page of the desktop on `store`, shown and loaded; its desk
    and the page are shut down after the test."""
    from genesis_desktop.ui.desk import Desk

    made = []

    def open_it(page_class, store, size=(1240, 800)):
        desk = Desk(store)
        page = page_class(desk)
        made.append((page, desk))
        qtbot.addWidget(page)
        page.resize(*size)
        page.show()
        page.reload()
        qtbot.waitUntil(lambda: page.is_loaded, timeout=15_000)
        assert page.error is None, page.error
        return page

    yield open_it
    for page, desk in made:
        page.shutdown()
        desk.shutdown()
