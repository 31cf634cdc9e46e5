"""Institutions and challenges, and helpers that the other kinds share."""
from __future__ import annotations

import enum

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from ..schema import Challenge, ChallengeStatus, Institution, InstitutionKind, Programme
from . import codecs
from .context import Context
from .sheet import Sheet
from .spec import Kind, Outcome, columns, frame
from .writer import existing_ids, records, upsert


def value(v):
    """An enum member's stored value; anything else unchanged."""
    return v.value if isinstance(v, enum.Enum) else v


def grouped_lists(items: pd.DataFrame, rows: pd.Index) -> pd.Series:
    """Exploded items (row, item) back to one Python list per row, [] where a row has none."""
    # A plain loop: pandas' groupby(...).agg(list) builds a sub-Series per group and is 100x slower.
    lists: dict[int, list] = {r: [] for r in rows.tolist()}
    for row, item in zip(items["row"].tolist(), items["item"].tolist()):
        lists[row].append(item)
    return pd.Series(list(lists.values()), index=rows, dtype=object)


def ids_of(values: pd.Series, ids: dict) -> pd.Series:
    """Codes -> stored ids (None where blank)."""
    return pd.Series([ids.get(v) if isinstance(v, str) and v else None for v in values.tolist()],
                     index=values.index, dtype=object)


def programme_ids(sheet: Sheet, ctx: Context) -> pd.Series:
    """The `programme` column as ids; blank means the only programme there is."""
    code = sheet.text("programme")
    ids = ctx.ids("programmes")
    sheet.refs("programme", code, ids.keys(), "programme code")
    blank = (code == "").to_numpy()
    if blank.any() and len(ids) != 1:
        rule = ("there is no programme in the database: create it first (genesis init)" if not ids else
                f"the database holds {len(ids)} programmes: say which one ({', '.join(sorted(ids))})")
        sheet.report_rows(sheet.rows[blank], "programme", "", rule)
    default = next(iter(ids.values())) if len(ids) == 1 else None
    return pd.Series([ids.get(c, default) if c else default for c in code.tolist()], index=sheet.rows, dtype=object)


# -- institutions -------------------------------------------------------------------------------------

INST_COLUMNS, INST_REQUIRED = columns("code* name* kind* country* city")
_inst = Institution.__table__


def validate_institutions(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    parsed = pd.DataFrame({
        "code": sheet.code("code"),
        "name": sheet.text("name", True),
        "kind": sheet.choice("kind", InstitutionKind, True),
        "country": sheet.country("country", True),
        "city": sheet.text("city"),
    })
    ctx.add_keys("institutions", sheet.unique_key("code", [parsed["code"]], "institution code"))
    return parsed


def write_institutions(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    return upsert(conn, _inst, records(parsed), existing_ids(parsed["code"], ctx.ids("institutions")))


def export_institutions(conn: Connection) -> pd.DataFrame:
    t = _inst
    rows = conn.execute(select(t.c.code, t.c.name, t.c.kind, t.c.country, t.c.city).order_by(t.c.code)).all()
    return frame(INST_COLUMNS, [(c, n, value(k), co, ci) for c, n, k, co, ci in rows])


INSTITUTIONS = Kind("institutions", INST_COLUMNS, INST_REQUIRED, ("code",), _inst,
                    validate_institutions, write_institutions, export_institutions)

# -- challenges ---------------------------------------------------------------------------------------

CH_COLUMNS, CH_REQUIRED = columns(
    "code* title* area* lead_institution description target_outcomes status official source programme")
_ch = Challenge.__table__


def validate_challenges(sheet: Sheet, ctx: Context) -> pd.DataFrame:
    lead = sheet.text("lead_institution", max_len=32)
    sheet.refs("lead_institution", lead, ctx.known("institutions"), "institution code")
    parsed = pd.DataFrame({
        "code": sheet.code("code"),
        "title": sheet.text("title", True),
        "area": sheet.text("area", True),
        "lead": lead,
        "description": sheet.text("description"),
        "target_outcomes": sheet.text("target_outcomes"),
        "status": sheet.choice("status", ChallengeStatus, default=ChallengeStatus.ACTIVE.value),
        "official": sheet.boolean("official", default=False),
        "source": sheet.text("source"),
        "programme_id": programme_ids(sheet, ctx),
    })
    ctx.add_keys("challenges", sheet.unique_key("code", [parsed["code"]], "challenge code"))
    return parsed


def write_challenges(conn: Connection, parsed: pd.DataFrame, ctx: Context) -> Outcome:
    rows = parsed.drop(columns=["lead"]).assign(lead_institution_id=ids_of(parsed["lead"], ctx.ids("institutions")))
    return upsert(conn, _ch, records(rows), existing_ids(parsed["code"], ctx.ids("challenges")))


def export_challenges(conn: Connection) -> pd.DataFrame:
    t = _ch
    q = (select(t.c.code, t.c.title, t.c.area, Institution.code, t.c.description, t.c.target_outcomes, t.c.status,
                t.c.official, t.c.source, Programme.code)
         .join(Programme, Programme.id == t.c.programme_id)
         .outerjoin(Institution, Institution.id == t.c.lead_institution_id).order_by(t.c.code))
    rows = [(c, ti, a, lead or "", d, to, value(s), codecs.bool_text(o), src, p)
            for c, ti, a, lead, d, to, s, o, src, p in conn.execute(q)]
    return frame(CH_COLUMNS, rows)


CHALLENGES = Kind("challenges", CH_COLUMNS, CH_REQUIRED, ("code",), _ch,
                  validate_challenges, write_challenges, export_challenges)


def membership(rows: pd.Series, keys: pd.Series, allowed: pd.DataFrame) -> np.ndarray:
    """True where (row, key) is one of the (row, item) pairs in `allowed`."""
    known = pd.MultiIndex.from_arrays([allowed["row"].to_numpy(), allowed["item"].to_numpy()])
    return pd.MultiIndex.from_arrays([rows.to_numpy(), keys.to_numpy()]).isin(known)
