"""record versions: a change counter on the records edited by hand, for optimistic locking

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:10:00

Existing records start at version 1. The program raises the version with its own writes; these
triggers raise it when any other client updates a record's row without doing so, so that an editor
holding an older version is refused whatever wrote in between (portfolio/versions.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

VERSIONED_TABLES = ("institution", "challenge", "call", "partner", "commitment", "proposal")


def upgrade() -> None:
    for name in VERSIONED_TABLES:
        op.add_column(name, sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION genesis_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.version = OLD.version THEN NEW.version := OLD.version + 1; END IF; RETURN NEW; END $$")
        for name in VERSIONED_TABLES:
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS trg_{name}_version ON "{name}"')
            conn.exec_driver_sql(f'CREATE TRIGGER trg_{name}_version BEFORE UPDATE ON "{name}" '
                                 "FOR EACH ROW EXECUTE FUNCTION genesis_bump_version()")
    else:
        # SQLite cannot change NEW before the write; a second UPDATE sets the version explicitly, so it
        # does not fire this trigger again.
        for name in VERSIONED_TABLES:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{name}_version")
            conn.exec_driver_sql(
                f'CREATE TRIGGER trg_{name}_version AFTER UPDATE ON "{name}" FOR EACH ROW '
                f'WHEN NEW.version = OLD.version BEGIN UPDATE "{name}" SET version = OLD.version + 1 '
                "WHERE id = OLD.id; END")


def downgrade() -> None:
    conn = op.get_bind()
    for name in VERSIONED_TABLES:
        on = f' ON "{name}"' if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{name}_version{on}")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS genesis_bump_version()")
    for name in VERSIONED_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.drop_column('version')
