"""Column-wide display text: exactly money.format_grouped's text, and f'{n:,}' for integers (Qt-free)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from genesis_desktop.portfolio.money import format_grouped
from genesis_desktop.ui.table_format import add_money, grouped_integers, money_major, money_text, to_python


def test_money_text_is_format_grouped_for_every_currency_precision():
    rng = np.random.default_rng(11)
    edges = [0, 1, -1, 5, -5, 9, 10, 99, 100, -49, -50, 999, 1000, -1000, 123_456, 10**15, 2**63 - 1, -(2**63 - 1)]
    minor = np.concatenate([rng.integers(-10**15, 10**15, 5000), np.array(edges, dtype=np.int64)])
    currencies = rng.choice(["USD", "JPY", "KWD", "CLF"], len(minor))
    expected = [format_grouped(int(m), str(c)) for m, c in zip(minor, currencies)]
    assert money_text(minor, currencies).to_pylist() == expected


def test_grouped_integers_match_python_grouping():
    values = np.array([0, 7, -7, 999, 1000, -1000, 1234567, -987654321, 2**62], dtype=np.int64)
    assert grouped_integers(values).to_pylist() == [f"{v:,}" for v in values.tolist()]
    assert grouped_integers(np.array([], dtype=np.int64)).to_pylist() == []


def test_unknown_currency_takes_two_places_and_major_units_are_only_a_sort_key():
    assert money_text(np.array([150]), ["XXX"]).to_pylist() == ["1.50"]
    assert money_major(np.array([150, 150]), ["USD", "JPY"]).tolist() == [1.5, 150.0]


def test_add_money_keeps_minor_units_and_leaves_rows_without_currency_blank():
    frame = pd.DataFrame({"currency": ["USD", None, "JPY"], "paid_minor": [123_456, 0, 77]})
    add_money(frame, ["paid"])
    assert frame["paid_minor"].tolist() == [123_456, 0, 77]
    assert frame["paid_text"].tolist() == ["1,234.56", "", "77"]
    assert frame["paid"].iloc[0] == 1234.56 and np.isnan(frame["paid"].iloc[1])


def test_to_python_converts_in_slices():
    import pyarrow as pa

    texts = pa.array([f"t{i}" if i % 7 else None for i in range(200_000)])
    assert to_python(texts) == texts.to_pylist()


QT_FREE = ["columns", "table_encoding", "table_masks", "table_query", "table_format", "table_reader", "table_export",
           "table_loading", "queries", "table_views_calls", "table_views_partners", "table_views_reviews"]


def test_the_table_logic_runs_where_qt_cannot_be_imported(tmp_path):
    """Reading, sorting, filtering and exporting tables need no Qt: workers, the CLI and tests use them."""
    import os
    import subprocess
    import sys

    blocked = tmp_path / "no_qt" / "PySide6"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('PySide6 is blocked')\n")
    script = (
        "import numpy as np, pandas as pd\n"
        + "".join(f"import genesis_desktop.ui.{m}\n" for m in QT_FREE)
        + "from genesis_desktop.ui.columns import ColumnSpec, TableData\n"
        "from genesis_desktop.ui.table_query import TableQuery, compute_view\n"
        "from genesis_desktop.ui.table_export import export_rows\n"
        "cols = (ColumnSpec('n', 'N', 'int'), ColumnSpec('w', 'W'))\n"
        "t = TableData.from_frame(pd.DataFrame({'n': [3, 1, 2], 'w': ['c', 'a', 'b']}), cols).prepare()\n"
        "v = compute_view(t, TableQuery(0, True))\n"
        f"export_rows({str(tmp_path / 'out.csv')!r}, t, v.rows, ['w'])\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "no_qt"), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.csv").read_text().split() == ["W", "c", "b", "a"]  # by N, descending
