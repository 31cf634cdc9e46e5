"""What a table page's load does in its worker, and what it hands back to the GUI thread; Qt-free.

The worker reads and prepares the table, computes the rows the page's query shows and the values
its filter lists offer, so that the GUI thread only swaps them in.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from .columns import TableData
from .queries import TableViewSpec
from .table_query import TableQuery, View, compute_view
from .table_reader import Reading


@dataclass(frozen=True)
class Loaded:
    """What a load hands the GUI thread: the table, its rows under the query asked for, the filter lists."""

    table: TableData
    view: View
    choices: dict[str, list[tuple[str, int]]]


def load_table(spec: TableViewSpec, engine: Engine, reading: Reading | None, query: TableQuery) -> Loaded:
    """Read, prepare and query a table; runs in a worker, touches no widget."""
    return as_loaded(spec.build(engine, reading), query)


def as_loaded(table: TableData, query: TableQuery) -> Loaded:
    """A prepared table with its rows under `query` and the values of its filter lists."""
    choices = {c.key: table.choices(i) for i, c in enumerate(table.columns) if c.filter_by in ("choice", "years")}
    return Loaded(table, compute_view(table, query), choices)
