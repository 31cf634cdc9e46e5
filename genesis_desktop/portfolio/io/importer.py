"""Imports run in two passes inside one transaction: validate every row of every file, then, only
if nothing at all is wrong, write. Any problem, or any refusal by the database, leaves it as it was."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from ..store import Store
from . import formats, registry, xlsx
from .context import Context
from .problems import ImportFailed, ImportReport, Problem, Problems, fail
from .sheet import Sheet
from .spec import Kind
from .tables import RawTable

log = logging.getLogger(__name__)


def import_file(store: Store, kind: str, path: str | Path) -> ImportReport:
    """Create or update the records of `kind` from one file (CSV, XLSX, JSON or Parquet)."""
    k = registry.kind(kind)
    raw = formats.read_table(path, sheet=kind)
    return _run(store, [(k, raw, str(path))])[0]


def import_all(store: Store, source: str | Path) -> list[ImportReport]:
    """Every kind found in a folder of KIND.EXT files, or in a workbook's sheets named by kind: all or nothing."""
    source = Path(source)
    if source.is_dir():
        tables = _folder(source)
    elif source.suffix.lower() == ".xlsx":
        tables = _workbook(source)
    else:
        raise fail(source, "expected a folder of KIND.csv/.xlsx/.json/.parquet files or an .xlsx workbook"
                   if not source.exists() or source.is_file() else "not a folder or workbook")
    items = [(k, tables[k.name][0], tables[k.name][1]) for k in registry.ORDER if k.name in tables]
    return _run(store, items)


def _folder(source: Path) -> dict[str, tuple[RawTable, str]]:
    problems, found = [], {}
    for path in sorted(source.iterdir()):
        if not path.is_file() or path.suffix.lower() not in formats.EXTENSIONS:
            continue
        if path.stem not in registry.BY_NAME:
            problems.append(Problem(str(path), None, "", "",
                                    f"not named after a kind: expected one of {', '.join(registry.KINDS)}"))
        elif path.stem in found:
            problems.append(Problem(str(path), None, "", "", f"a second file for {path.stem} ({found[path.stem]})"))
        else:
            found[path.stem] = path
    if not found and not problems:
        problems.append(Problem(str(source), None, "", "", "no KIND.csv, .xlsx, .json or .parquet files here"))
    if problems:
        raise ImportFailed(problems)
    return {kind: (formats.read_table(path, sheet=kind), str(path)) for kind, path in found.items()}


def _workbook(source: Path) -> dict[str, tuple[RawTable, str]]:
    sheets = xlsx.read_workbook(source)
    stray = [name for name in sheets if name not in registry.BY_NAME]
    if stray:
        raise ImportFailed([Problem(f"{source}[{name}]", None, "", "",
                                    f"a sheet not named after a kind: expected one of {', '.join(registry.KINDS)}")
                            for name in stray])
    return {name: (raw, str(source)) for name, raw in sheets.items()}


def _run(store: Store, items: list[tuple[Kind, RawTable, str]]) -> list[ImportReport]:
    problems = Problems()
    with store.engine.connect() as conn, conn.begin():
        started = time.perf_counter()
        ctx = Context(conn, problems)
        parsed = [kind.validate(Sheet(raw, kind, problems), ctx) for kind, raw, _ in items]
        for check in ctx.deferred:
            check()
        log.info("validated %s rows in %.2f s: %d problems", sum(len(raw.frame) for _, raw, _ in items),
                 time.perf_counter() - started, len(problems))
        problems.raise_if_any()
        started = time.perf_counter()
        reports = []
        for (kind, raw, path), p in zip(items, parsed):
            try:
                out = kind.write(conn, p, ctx)
            except IntegrityError as e:
                # Validation should have caught it; say what the database said rather than crash.
                raise fail(raw.file, f"the database refused the {kind.name}: {e.orig}") from e
            ctx.forget(kind.name)
            reports.append(ImportReport(kind.name, out.created, out.updated, path, out.unchanged))
    log.info("wrote %s in %.2f s", ", ".join(map(str, reports)), time.perf_counter() - started)
    return reports
