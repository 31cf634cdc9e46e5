"""How a form shows each kind's fields: which editor, which choices, and per-key amounts as a grid.

The fields are the columns of the kind's import file (tests check that every column appears exactly
once), so the form edits the same texts that a file holds and the import's rules check them.
Amounts given per fiscal year or per phase ("FY2026=300000.00; FY2027=400000.50") are shown as a
small table, one row per key; `grid_texts` and `grid_rows` turn one into the other.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from .edits_check import io_kind
from .edits_rows import edit_kind
from .fiscal import CALENDARS
from .io.codecs import LIST_SEP
from .schema import ChallengeStatus, CommitmentState, InstitutionKind, PartnerKind, ProposalStatus

# Editors: text, long (several lines), choice, date, money (in the currency of `currency`), list
# (items separated by ';'), bool, number.


@dataclass(frozen=True)
class Field:
    name: str  # the import file's column
    label: str
    editor: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    currency: str = ""  # money: the field naming its currency
    hint: str = ""  # shown in the empty editor
    default: str = ""  # what the import takes when the field is blank


@dataclass(frozen=True)
class Grid:
    """Several mapping columns keyed alike (by fiscal year or phase), edited as one table."""

    name: str
    label: str
    key_label: str  # "Fiscal year", "Phase"
    key_field: str  # the list column naming the keys ("phases"), or "" where only the mappings name them
    columns: tuple[Field, ...]  # each a key=value mapping column

    @property
    def names(self) -> tuple[str, ...]:
        return ((self.key_field,) if self.key_field else ()) + tuple(c.name for c in self.columns)


def _values(kind: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(m.value for m in kind)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize().replace("Pi ", "PI ").replace(" gpu ", " GPU ")


_LIST = f"items separated by '{LIST_SEP}'"
_CODE = {"editor": "text", "hint": "letters, digits and dashes; no ';' or '='"}
_SPECIAL: dict[str, dict[str, dict]] = {
    "institution": {"kind": {"editor": "choice", "choices": _values(InstitutionKind)},
                    "country": {"hint": "ISO 3166 code such as US or JP"}, "code": _CODE},
    "challenge": {"status": {"editor": "choice", "choices": _values(ChallengeStatus), "default": "active"},
                  "official": {"editor": "bool"}, "description": {"editor": "long"},
                  "target_outcomes": {"editor": "long"}, "lead_institution": {"hint": "institution code"},
                  "programme": {"hint": "blank: the only programme"}, "code": _CODE},
    "call": {"total_budget": {"editor": "money", "currency": "currency"}, "opens_on": {"editor": "date"},
             "closes_on": {"editor": "date"}, "topic_areas": {"editor": "list", "hint": _LIST},
             "description": {"editor": "long"}, "programme": {"hint": "blank: the only programme"}},
    "proposal": {"abstract": {"editor": "long"}, "keywords": {"editor": "list", "hint": _LIST},
                 "team": {"editor": "list", "hint": "institution codes besides the lead, separated by ';'"},
                 "challenges": {"editor": "list", "hint": "challenge codes, the primary one first"},
                 "status": {"editor": "choice", "choices": _values(ProposalStatus), "default": "submitted"},
                 "requested_gpu_hours": {"editor": "number"}, "status_changed_on": {"editor": "date"},
                 "submitted_on": {"editor": "date"}, "call": {"hint": "call number"},
                 "lead_institution": {"hint": "institution code"}, "pi_email": {"hint": "name@example.org"}},
    "partner": {"kind": {"editor": "choice", "choices": _values(PartnerKind)},
                "fiscal_calendar": {"editor": "choice", "choices": tuple(CALENDARS), "default": "the country's"},
                "country": {"hint": "ISO 3166 code such as US or JP"},
                "institution": {"hint": "institution code"}, "code": _CODE},
    "commitment": {"state": {"editor": "choice", "choices": _values(CommitmentState)},
                   "funds": {"editor": "list", "hint": "areas or challenge codes, separated by ';'"},
                   "pledged_on": {"editor": "date"}, "obligated_on": {"editor": "date"},
                   "disbursed_on": {"editor": "date"}, "note": {"editor": "long"},
                   "partner": {"hint": "partner code"}},
}
_GRIDS = {
    # Short column labels: seven columns share a side panel's width.
    "call": Grid("phases", "Phases", "Phase", "phases", tuple(
        Field(n, label, e, currency="currency" if e == "money" else "", hint=_label(n))
        for n, label, e in (("award_floor", "Floor", "money"), ("award_ceiling", "Ceiling", "money"),
                            ("ceiling_per_year", "Per year", "bool"), ("duration_months", "Months", "number"),
                            ("deadline", "Deadline", "date"), ("budget_period_start", "Budget start", "date"),
                            ("budget_period_end", "Budget end", "date")))),
    "proposal": Grid("budget", "Budget", "Fiscal year", "", (Field("budget", "Amount", "money", currency="currency"),)),
    "commitment": Grid("years", "By fiscal year", "Fiscal year", "", tuple(
        Field(n, n.capitalize(), "money", currency="currency") for n in ("pledged", "obligated", "disbursed"))),
}


def fields(kind: str) -> list[Field | Grid]:
    """The kind's fields in file order; a grid stands where its first column would be."""
    k = edit_kind(kind)
    io = io_kind(k)
    grid = _GRIDS.get(k.name)
    out: list[Field | Grid] = []
    for name in io.columns:
        if grid is not None and name in grid.names:
            if name == grid.names[0]:
                out.append(Grid(grid.name, grid.label, grid.key_label, grid.key_field, tuple(
                    Field(c.name, c.label, c.editor, c.name in io.required, currency=c.currency, hint=c.hint)
                    for c in grid.columns)))
            continue
        special = _SPECIAL.get(k.name, {}).get(name, {})
        out.append(Field(name, _label(name), required=name in io.required, **special))
    return out


def _entries(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(LIST_SEP):
        key, _, value = item.partition("=")
        if item.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


def grid_rows(grid: Grid, texts: dict[str, str]) -> list[list[str]]:
    """The grid's table: one row per key (listed keys first, in order), then one cell per column."""
    keys = [k.strip() for k in texts.get(grid.key_field, "").split(LIST_SEP) if k.strip()] if grid.key_field else []
    cells: dict[str, dict[str, str]] = {}
    for column in grid.columns:
        for key, value in _entries(texts.get(column.name, "")):
            cells.setdefault(key, {})[column.name] = value
            if key not in keys:
                keys.append(key)
    return [[key] + [cells.get(key, {}).get(c.name, "") for c in grid.columns] for key in keys]


def grid_texts(grid: Grid, rows: list[list[str]]) -> dict[str, str]:
    """The file texts of a grid's table; blank cells are left out, rows with no key are dropped."""
    rows = [[cell.strip() for cell in row] for row in rows if row and row[0].strip()]
    out = {grid.key_field: f"{LIST_SEP} ".join(r[0] for r in rows)} if grid.key_field else {}
    for i, column in enumerate(grid.columns, start=1):
        out[column.name] = f"{LIST_SEP} ".join(f"{r[0]}={r[i]}" for r in rows if r[i])
    return out
