"""Which pages the main window has, in navigation order, and what each is made of."""
from __future__ import annotations

from typing import Callable, Sequence

from .desk import Desk
from .page import Page, TabbedPage
from .queries import TABLE_VIEWS, TableViewSpec
from .table_page import TablePage

SectionsFactory = Callable[[Desk], list[Page]]

# The views `genesis screenshot` can render (the contract in ARCHITECTURE.md names the full set).
SCREENSHOT_VIEWS = ("challenges", "proposals")


def table_pages(desk: Desk, specs: Sequence[TableViewSpec]) -> list[Page]:
    """One TablePage per spec, each its own navigation entry (tests use this with specs of their own)."""
    return [TablePage(desk, spec) for spec in specs]


def table_sections(specs: Sequence[TableViewSpec]) -> SectionsFactory:
    return lambda desk: table_pages(desk, specs)


def build_sections(desk: Desk) -> list[Page]:
    """The desk of a program officer: every record kind, grouped as the office works with them."""
    specs = {spec.key: spec for spec in TABLE_VIEWS}

    def tabs(key: str, title: str, icon: str, keys: Sequence[str]) -> Page:
        children = [TablePage(desk, specs[k]) for k in keys if k in specs]
        return TabbedPage(desk, key, title, icon, children)

    return [
        TablePage(desk, specs["challenges"]),
        tabs("calls_proposals", "Calls & Proposals", "proposals", ["proposals", "calls", "institutions"]),
    ]
