"""What refers to a record, in words, and what deleting it would do by the rule of each relation.

The rules come from the schema's foreign keys, so they cannot drift from what the database enforces:

- rows the record owns (its parts: phases, budget years, status history, commitment years) go with it;
- ON DELETE RESTRICT: another record needs this one (a proposal's call, lead or team institution, a
  challenge it addresses, a commitment's partner, a reviewer's institution): the delete is refused
  and the message names those records;
- ON DELETE CASCADE to a record of its own (a proposal's reviews) or SET NULL (a partner's link to its
  institution): the delete goes ahead only when asked to cascade, and undo restores those rows too.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Connection, Table, distinct, func, select

from .edits_rows import KINDS, EditKind, Rows, owner_column, read_rows
from .schema import metadata

NAMES_SHOWN = 5
# How each table's rows are named for people: (singular, plural, key column); others are named
# through the record they belong to.
_NAMED = {
    "institution": ("institution", "institutions", "code"), "challenge": ("challenge", "challenges", "code"),
    "call": ("call", "calls", "number"), "partner": ("partner", "partners", "code"),
    "commitment": ("commitment", "commitments", "code"), "proposal": ("proposal", "proposals", "code"),
    "reviewer": ("reviewer", "reviewers", "email"), "programme": ("programme", "programmes", "code"),
    "scenario": ("scenario", "scenarios", "name"),
}
_DEPENDENT_NOUNS = {"review": ("review", "reviews")}
_PART_NOUNS = {
    "call_phase": ("phase", "phases"), "commitment_year": ("fiscal year", "fiscal years"),
    "proposal_budget": ("budget year", "budget years"), "proposal_status_change": ("status change", "status changes"),
    "proposal_institution": ("team institution", "team institutions"),
    "proposal_challenge": ("link to a challenge", "links to challenges"),
    "commitment_entry": ("ledger entry", "ledger entries"),
}
# What the referring column means, where the column name alone does not say it.
_ROLES = {
    ("challenge", "lead_institution_id"): "as lead institution",
    ("proposal", "lead_institution_id"): "as lead institution",
    ("proposal_institution", "institution_id"): "in their team",
    ("proposal_challenge", "challenge_id"): "among the challenges they address",
    ("reviewer", "institution_id"): "as their institution",
    ("partner", "institution_id"): "as their institution",
    ("proposal", "continues_id"): "as the Phase I they continue",
}
# What a SET NULL relation clears on the rows that point at the record.
_CLEARS = {("partner", "institution_id"): "the institution", ("proposal", "continues_id"): "the Phase I link"}
_OWNER_OF_PART = {p.name: k.table for k in KINDS.values() for p in k.parts}


@dataclass(frozen=True)
class Relation:
    """Records of one kind that refer to the record through one column."""

    table: str
    column: str
    rule: str  # "restrict", "cascade" or "set null"
    singular: str
    plural: str
    role: str
    count: int
    names: tuple[str, ...]  # the first few, in order

    def words(self, role: bool = True) -> str:
        shown = ", ".join(self.names[:NAMES_SHOWN]) + (", …" if self.count > NAMES_SHOWN else "")
        noun = self.singular if self.count == 1 else self.plural
        return " ".join(w for w in (str(self.count), noun, self.role if role else "", f"({shown})") if w)

    def consequence(self) -> str:
        """What deleting the record does to these rows, when the relation lets it go ahead."""
        if self.rule == "cascade":
            return "deletes " + self.words()
        cleared = _CLEARS.get((self.table, self.column), "the link to it")
        return f"clears {cleared} of {self.words(role=False)}"


@dataclass(frozen=True)
class References:
    kind: str
    code: str
    blockers: tuple[Relation, ...]  # the delete is refused while these exist
    dependents: tuple[Relation, ...]  # deleted or unlinked with it, only when asked to cascade
    parts: tuple[tuple[str, int], ...]  # (noun, count) of the rows it owns, deleted with it

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    def explain(self) -> str:
        name = f"{self.kind} {self.code}"
        if self.blockers:
            them, they = ("them", "they refer") if sum(r.count for r in self.blockers) > 1 else ("it", "it refers")
            return (f"{name[0].upper()}{name[1:]} is referred to by {_join(r.words() for r in self.blockers)}; "
                    f"delete {them} or change what {they} to first.")
        parts = [f"{n} {noun}" for noun, n in self.parts if n]
        text = f"Deleting {name} also deletes its {_join(parts)}." if parts else f"Deleting {name} deletes only it."
        if self.dependents:
            text += f" It also {_join(r.consequence() for r in self.dependents)}."
        return text


def _join(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _referring(kind: EditKind):
    """(foreign key column, rule) for every column elsewhere that points at the record's table."""
    parts = {p.name for p in kind.parts}
    for table in metadata.sorted_tables:
        if table.name in parts:
            continue
        for fk in table.foreign_keys:
            if fk.column.table is kind.table:
                yield fk.parent, (fk.ondelete or "restrict").lower()


def _naming(column: Column) -> tuple[str, str, Column, Column | None]:
    """(singular, plural, name column, join column) naming the rows that `column` is on."""
    table: Table = column.table
    if table.name in _NAMED:
        singular, plural, key = _NAMED[table.name]
        return singular, plural, table.c[key], None
    # A part names its owner; a dependent record (a review) names the other record it points at.
    owner = _OWNER_OF_PART.get(table.name)
    other = owner if owner is not None else next(
        fk.column.table for fk in table.foreign_keys if fk.parent is not column and fk.column.table.name in _NAMED)
    singular, plural, key = _NAMED[other.name]
    if owner is None:
        singular, plural = _DEPENDENT_NOUNS.get(table.name, (table.name, table.name + "s"))
    return singular, plural, other.c[key], owner_column(table, other)


def _relation(conn: Connection, column: Column, rule: str, rid: int) -> Relation | None:
    singular, plural, name, via = _naming(column)
    def rows(*what):
        q = select(*what).select_from(column.table)
        if via is not None:
            q = q.join(name.table, name.table.c.id == via)
        return q.where(column == rid)
    count = conn.execute(rows(func.count(distinct(name)))).scalar_one()
    if not count:
        return None
    names = tuple(conn.execute(rows(name).distinct().order_by(name).limit(NAMES_SHOWN)).scalars())
    role = _ROLES.get((column.table.name, column.name), "")
    return Relation(column.table.name, column.name, rule, singular, plural, role, count, names)


def references(conn: Connection, kind: EditKind, rid: int, code: str) -> References:
    blockers, dependents = [], []
    for column, rule in _referring(kind):
        relation = _relation(conn, column, rule, rid)
        if relation is not None:
            (blockers if rule not in ("cascade", "set null") else dependents).append(relation)
    parts = []
    for part in kind.parts:
        n = conn.execute(select(func.count()).select_from(part)
                         .where(owner_column(part, kind.table) == rid)).scalar_one()
        parts.append((_PART_NOUNS[part.name][n != 1], n))
    return References(kind.name, code, tuple(blockers), tuple(dependents), tuple(parts))


def dependent_rows(conn: Connection, kind: EditKind, rid: int) -> tuple[Rows, Rows]:
    """Rows outside the record that a delete changes: (as they are, as the delete leaves them)."""
    now: Rows = {}
    after: Rows = {}
    for column, rule in _referring(kind):
        if rule not in ("cascade", "set null"):
            continue
        rows = read_rows(conn, column.table, column == rid)
        now.setdefault(column.table.name, {}).update(rows)
        left = {} if rule == "cascade" else {k: {**r, column.name: None} for k, r in rows.items()}
        after.setdefault(column.table.name, {}).update(left)
    return now, after
