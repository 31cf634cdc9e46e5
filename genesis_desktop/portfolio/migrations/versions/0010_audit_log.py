"""audit log: every change to a record, appended by triggers, chained by hashes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00.000000

The triggers are made from the tables and columns the database has at this point (audit_triggers.
install reads them from the live database, not from the models), so a migration that later adds a
column or a table, or rebuilds a table in SQLite's batch mode, calls install() again at its end.
The log starts empty: what was written before this revision has no entries. (There is no 0008: the
audit log was written as 0008 beside the roles, and follows 0009 because portfolios at 0009 exist.)
"""
from alembic import op
import sqlalchemy as sa

from genesis_desktop.portfolio import access_grants, audit_triggers


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('tx', sa.String(length=32), nullable=False),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name=op.f('ck_audit_log_action_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_table_name_row_key', ['table_name', 'row_key'], unique=False)
    audit_triggers.install(op.get_bind())
    access_grants.apply(op.get_bind())  # staff read the log, nobody writes it; PostgreSQL only


def downgrade() -> None:
    audit_triggers.remove(op.get_bind())
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_table_name_row_key')
    op.drop_table('audit_log')
