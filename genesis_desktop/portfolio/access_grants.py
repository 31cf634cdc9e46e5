"""What each role may read and write on PostgreSQL, enforced by the server itself: table grants to four
group roles and row-level security for reviewers, so that a plain SQL client gets no more than the
desktop shows.

    apply(conn)    create the group roles if missing, then grant every table of the schema afresh,
                   and the database's CONNECT to this portfolio's accounts only
    remove(conn)   take the grants, policies and functions away again (the group roles stay)

`apply` works from the tables the database holds, not from a fixed list: a later migration that adds a
table calls it again, and administrators, officers and analysts get the new table by the general rule
below, while reviewers get nothing until it is named here (deny by default). It revokes everything
first, so that running it twice, or after this file changed, leaves exactly what this file says.

Who gets what:
  administrator  SELECT, INSERT, UPDATE, DELETE on every table
  officer        the same, except accounts (read only)
  (both)         the audit log read only: its triggers alone append to it
  analyst        SELECT on every table
  reviewer       the programme's structure (programme, challenges, calls, phases, institutions) whole;
                 proposals and their parts only where assigned; their own reviewer row, assignments,
                 bids and conflicts; their own reviews (insert and update, never delete); another
                 reviewer's submitted review of a proposal only once their own review of it is submitted.
                 Nothing else: no partners' money, ledgers, scenarios, jobs or accounts.
Everyone reads alembic_version, so that opening the store as any role sees a current schema and does
not try to migrate; none but the tables' owner writes it.

Row security is ENABLEd, not FORCEd: the tables' owner (whoever ran the migrations) can switch it off
with one ALTER TABLE anyway, so FORCE would bind nobody who could not unbind themselves; and the
SECURITY DEFINER functions the reviewer policies call run as that owner and must see every row (that
is what keeps a policy on `review` from recursing into itself).
"""
from __future__ import annotations

from sqlalchemy import Connection, text

from .accounts import Role

GROUPS = tuple(role.group for role in Role)
STAFF = (Role.ADMINISTRATOR, Role.OFFICER, Role.ANALYST)
WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
READ_ONLY_FOR_OFFICERS = {"account", "alembic_version"}
# alembic_version: only the owner, by migrating. audit_log: only the audit triggers, which run as the
# owner; no role may change or remove an entry, and a reviewer may not read it (it holds every score).
NOBODY_WRITES = {"alembic_version", "audit_log"}

# What a reviewer reads whole.
REVIEWER_READS = {"programme", "challenge", "call", "call_phase", "institution", "alembic_version"}

# What a reviewer reads or writes row by row: table -> command -> (USING, WITH CHECK). The functions
# are evaluated once per statement (a sub-select is an init plan), not once per row.
ME = "(SELECT genesis_reviewer_id())"
ASSIGNED = "proposal_id IN (SELECT genesis_assigned_proposals())"
MINE = f"reviewer_id = {ME}"
OWN_REVIEW = "review_id IN (SELECT genesis_own_reviews())"
REVIEWER_ROWS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "proposal": {"SELECT": ("id IN (SELECT genesis_assigned_proposals())", None)},
    "proposal_challenge": {"SELECT": (ASSIGNED, None)},
    "proposal_institution": {"SELECT": (ASSIGNED, None)},
    "proposal_budget": {"SELECT": (ASSIGNED, None)},
    "reviewer": {"SELECT": (f"id = {ME}", None)},
    "review_assignment": {"SELECT": (MINE, None)},
    "review_bid": {"SELECT": (MINE, None)},
    "review_conflict": {"SELECT": (MINE, None)},
    "review": {
        # Others' drafts stay hidden even then: a draft is not yet a review, and its scores still move.
        "SELECT": (f"{MINE} OR (state = 'submitted' AND proposal_id IN (SELECT genesis_reviewed_proposals()))",
                   None),
        "INSERT": (None, f"{MINE} AND {ASSIGNED}"),
        "UPDATE": (MINE, f"{MINE} AND {ASSIGNED}"),
    },
    "review_version": {"SELECT": (OWN_REVIEW, None), "INSERT": (None, OWN_REVIEW)},
}

# SECURITY DEFINER: they read account, review_assignment and review as the owner, past row security.
# session_user, not current_user: inside the function current_user is the owner.
FUNCTIONS = {
    "genesis_reviewer_id() RETURNS integer":
        "SELECT reviewer_id FROM account WHERE role_name = session_user",
    "genesis_assigned_proposals() RETURNS SETOF integer":
        "SELECT proposal_id FROM review_assignment WHERE reviewer_id = genesis_reviewer_id()",
    "genesis_reviewed_proposals() RETURNS SETOF integer":
        "SELECT proposal_id FROM review WHERE reviewer_id = genesis_reviewer_id() AND state = 'submitted'",
    "genesis_own_reviews() RETURNS SETOF integer":
        "SELECT id FROM review WHERE reviewer_id = genesis_reviewer_id()",
}


def privileges(table: str, role: Role) -> tuple[str, ...]:
    """The table privileges `role` holds on `table` (row policies may narrow them further)."""
    if role is Role.REVIEWER:
        if table in REVIEWER_ROWS:
            return tuple(REVIEWER_ROWS[table])
        return ("SELECT",) if table in REVIEWER_READS else ()
    if role is Role.ANALYST or table in NOBODY_WRITES:
        return ("SELECT",)
    if role is Role.OFFICER and table in READ_ONLY_FOR_OFFICERS:
        return ("SELECT",)
    return WRITE


def ensure_groups(conn: Connection) -> None:
    """The four NOLOGIN group roles, made if missing. Roles belong to the whole server, shared by every
    portfolio database on it, so two migrations may race to make one: the loser's error is swallowed."""
    for group in GROUPS:
        conn.execute(text(f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{group}') THEN
                    CREATE ROLE {group} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$"""))


def _tables(conn: Connection) -> list[str]:
    return list(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                  "ORDER BY tablename")))


def _sequences(conn: Connection) -> list[tuple[str, str]]:
    """(sequence, table) for the sequences that number a table's rows (serial and identity columns)."""
    return [tuple(r) for r in conn.execute(text(
        "SELECT s.relname, t.relname FROM pg_class s "
        "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        "AND d.refclassid = 'pg_class'::regclass "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace ORDER BY 1"))]


def _drop_policies(conn: Connection, table: str) -> None:
    for name in conn.scalars(text("SELECT policyname FROM pg_policies WHERE schemaname = current_schema() "
                                  "AND tablename = :t AND policyname LIKE 'genesis\\_%'"), {"t": table}):
        conn.execute(text(f'DROP POLICY "{name}" ON "{table}"'))


def _policies(conn: Connection, table: str) -> None:
    _drop_policies(conn, table)
    conn.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
    staff = ", ".join(role.group for role in STAFF)  # their grants alone decide what they do
    conn.execute(text(f'CREATE POLICY genesis_staff ON "{table}" TO {staff} USING (true) WITH CHECK (true)'))
    for command, (using, check) in REVIEWER_ROWS[table].items():
        clauses = (f" USING ({using})" if using else "") + (f" WITH CHECK ({check})" if check else "")
        conn.execute(text(f'CREATE POLICY genesis_reviewer_{command.lower()} ON "{table}" FOR {command} '
                          f"TO {Role.REVIEWER.group}{clauses}"))


def _functions(conn: Connection) -> None:
    schema = conn.scalar(text("SELECT current_schema()"))
    for signature, body in FUNCTIONS.items():
        name = signature.split("(")[0]
        conn.execute(text(
            f"CREATE OR REPLACE FUNCTION {signature} LANGUAGE sql STABLE SECURITY DEFINER "
            f'SET search_path = pg_catalog, "{schema}", pg_temp AS $body$ {body} $body$'))
        conn.execute(text(f"REVOKE ALL ON FUNCTION {name}() FROM PUBLIC"))
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {name}() TO {', '.join(GROUPS)}"))


def _revoke(conn: Connection) -> None:
    groups, schema = ", ".join(GROUPS), _schema(conn)
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {groups}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {groups}"))


def _schema(conn: Connection) -> str:
    return '"' + conn.scalar(text("SELECT current_schema()")) + '"'


def database(conn: Connection) -> str:
    return '"' + conn.scalar(text("SELECT current_database()")).replace('"', '""') + '"'


def grant_connect(conn: Connection) -> None:
    """Only this portfolio's accounts may connect to its database. The group roles are shared by every
    portfolio on the server, so with PostgreSQL's default (CONNECT for PUBLIC) an officer of one
    portfolio would be an officer of the next one too. The owner and superusers connect regardless."""
    db = database(conn)
    conn.execute(text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC"))
    if conn.scalar(text("SELECT to_regclass('account') IS NOT NULL")):
        for name in conn.scalars(text("SELECT a.role_name FROM account a JOIN pg_roles r ON r.rolname = a.role_name")):
            conn.execute(text(f'GRANT CONNECT ON DATABASE {db} TO "{name}"'))


def apply(conn: Connection) -> None:
    """Grant every table of the current schema as the module's docstring says; the owner runs it."""
    if conn.dialect.name != "postgresql":
        return
    ensure_groups(conn)
    _revoke(conn)
    grant_connect(conn)
    conn.execute(text(f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {', '.join(GROUPS)}"))
    tables = _tables(conn)
    if "account" in tables:  # the functions read it
        _functions(conn)
    for table in tables:
        for role in Role:
            granted = privileges(table, role)
            if granted:
                conn.execute(text(f'GRANT {", ".join(granted)} ON "{table}" TO {role.group}'))
        if table in REVIEWER_ROWS:
            _policies(conn, table)
    for sequence, table in _sequences(conn):
        writers = [role.group for role in Role if "INSERT" in privileges(table, role)]
        if writers:
            conn.execute(text(f'GRANT USAGE, SELECT ON SEQUENCE "{sequence}" TO {", ".join(writers)}'))


def remove(conn: Connection) -> None:
    """Undo `apply` on this database: grants, policies, row security and functions. The group roles
    stay, since other portfolio databases on the same server may use them."""
    if conn.dialect.name != "postgresql":
        return
    if conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:g)"), {"g": list(GROUPS)}) == len(GROUPS):
        _revoke(conn)
        conn.execute(text(f"REVOKE USAGE ON SCHEMA {_schema(conn)} FROM {', '.join(GROUPS)}"))
    for table in _tables(conn):
        if table in REVIEWER_ROWS:
            _drop_policies(conn, table)
            conn.execute(text(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY'))
    for signature in FUNCTIONS:
        conn.execute(text(f"DROP FUNCTION IF EXISTS {signature.split('(')[0]}()"))
