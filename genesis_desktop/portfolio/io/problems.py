"""What an import found wrong, and the exception that carries it.

Checks run column by column over whole files, so problems arrive in bulk (a mask over a million
rows). They are kept as arrays and only the first `CAP`, in file and row order, become `Problem`
objects: a file with a bad column in every row must not cost a million Python objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CAP = 1000
_HEADER = -1  # row number standing for "the header" where the file has no header row (JSON, Parquet)
_VALUE_WIDTH = 80


@dataclass(frozen=True)
class Problem:
    """One broken rule. `row` is the row as a person sees it in the file (see docs/file-formats.md);
    None for the file as a whole or, in JSON and Parquet, its column names."""

    file: str
    row: int | None
    column: str
    value: str
    rule: str

    def __str__(self) -> str:
        where = f"{self.file}:{'header' if self.row is None else self.row}:"
        column = f" column {self.column}:" if self.column else ""
        value = f" value {_show(self.value)}:" if self.column else ""
        return f"{where}{column}{value} {self.rule}"


def _show(value: str) -> str:
    text = value if len(value) <= _VALUE_WIDTH else value[: _VALUE_WIDTH - 3] + "..."
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


class ImportFailed(ValueError):
    """Nothing was written: `problems` lists what is wrong (the first CAP of them; `more` counts the rest)."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        super().__init__(self._message())

    @property
    def total(self) -> int:
        return len(self.problems) + self.more

    def _message(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.more:
            lines.append(f"... and {self.more} more problems")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()


def fail(file: str | Path, rule: str, row: int | None = None, column: str = "", value: str = "") -> ImportFailed:
    return ImportFailed([Problem(str(file), row, column, value, rule)])


@dataclass(frozen=True)
class ImportReport:
    kind: str
    created: int
    updated: int
    path: str
    unchanged: int = 0  # rows equal to what is stored and left alone (submitted reviews)

    def __str__(self) -> str:
        extra = f", {self.unchanged} unchanged" if self.unchanged else ""
        return f"{self.kind}: {self.created} created, {self.updated} updated{extra} from {self.path}"


class Problems:
    """Collects problems as arrays: rows (numbers), one column name, values and rules (scalar or per row)."""

    def __init__(self) -> None:
        self._chunks: list[tuple[int, np.ndarray, str, object, object]] = []
        self._files: dict[str, int] = {}
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, file: str, rows, column: str, values, rule) -> None:
        if isinstance(rows, (list, tuple)):
            rows = np.array([_HEADER if r is None else r for r in rows], dtype=np.int64)
        else:
            rows = np.asarray(rows, dtype=np.int64).ravel()
        if rows.size == 0:
            return
        values = _per_row(values, rows.size)
        rule = _per_row(rule, rows.size)
        file_no = self._files.setdefault(file, len(self._files))
        self._chunks.append((file_no, rows, column, values, rule))
        self.count += rows.size

    def first(self, cap: int = CAP) -> list[Problem]:
        if not self._chunks:
            return []
        names = {v: k for k, v in self._files.items()}
        sizes = [c[1].size for c in self._chunks]
        chunk = np.repeat(np.arange(len(self._chunks)), sizes)
        pos = np.concatenate([np.arange(n) for n in sizes])
        files = np.repeat([c[0] for c in self._chunks], sizes)
        rows = np.concatenate([c[1] for c in self._chunks])
        order = np.lexsort((pos, chunk, rows, files))[:cap]
        out = []
        for i in order:
            file_no, rws, column, values, rules = self._chunks[chunk[i]]
            p = pos[i]
            row = int(rws[p])
            out.append(Problem(names[file_no], None if row == _HEADER else row, column,
                               _text(values[p]), str(rules[p])))
        return out

    def raise_if_any(self, cap: int = CAP) -> None:
        if self.count:
            shown = self.first(cap)
            raise ImportFailed(shown, self.count - len(shown))


def _per_row(x, n: int):
    if isinstance(x, (str, int, float)) or x is None:
        return [x] * n if n < 64 else _Repeat(x)
    arr = list(x) if not isinstance(x, np.ndarray) else x
    if len(arr) != n:
        raise ValueError(f"expected {n} values, got {len(arr)}")
    return arr


class _Repeat:
    """One value standing for many rows, without a list of a million copies."""

    def __init__(self, value) -> None:
        self.value = value

    def __getitem__(self, _i):
        return self.value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    return str(value)
