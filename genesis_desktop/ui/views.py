"""Which pages the main window has, in navigation order, and what each is made of."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from .compute_page import ComputePage
from .desk import Desk
from .investments_page import InvestmentsPage
from .overview_page import OverviewPage
from .page import Page, TabbedPage
from .portfolio_page import PortfolioPage
from .queries import TABLE_VIEWS, TableViewSpec
from .record_attach import attach_record_panel
from .record_form import KIND_OF_PAGE
from .review_standings_page import StandingsPage
from .table_page import TablePage

SectionsFactory = Callable[[Desk], list[Page]]

# The views `genesis screenshot` can render: the sections of the navigation (ARCHITECTURE.md names
# them) and the tabs inside them.
SCREENSHOT_VIEWS = ("overview", "challenges", "proposals", "calls", "institutions", "partners", "commitments",
                    "reviews", "reviewers", "owed", "standings", "portfolio", "compute")
# A section and a table inside it would share these keys: the tables get their own.
TAB_KEYS = {"partners": "partner_list", "reviews": "review_list"}


def table_pages(desk: Desk, specs: Sequence[TableViewSpec]) -> list[Page]:
    """One TablePage per spec, each its own navigation entry (tests use this with specs of their own)."""
    return [TablePage(desk, spec) for spec in specs]


def table_sections(specs: Sequence[TableViewSpec]) -> SectionsFactory:
    return lambda desk: table_pages(desk, specs)


def build_sections(desk: Desk) -> list[Page]:
    """The desk of a program officer: every record kind, grouped as the office works with them."""
    specs = {spec.key: spec for spec in TABLE_VIEWS}

    def table(key: str) -> TablePage:
        spec = specs[key]
        page = TablePage(desk, replace(spec, key=TAB_KEYS[key]) if key in TAB_KEYS else spec)
        if key in KIND_OF_PAGE:
            attach_record_panel(page, KIND_OF_PAGE[key])
        return page

    return [
        OverviewPage(desk),
        table("challenges"),
        TabbedPage(desk, "calls_proposals", "Calls & Proposals", "proposals",
                   [table("proposals"), table("calls"), table("institutions")]),
        TabbedPage(desk, "partners", "Partners & Investments", "partners",
                   [InvestmentsPage(desk), table("partners"), table("commitments")]),
        TabbedPage(desk, "reviews", "Reviews", "reviews", [table("reviews"), table("reviewers"), table("owed"), StandingsPage(desk)]),
        PortfolioPage(desk),
        ComputePage(desk),
    ]
