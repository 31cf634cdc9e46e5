"""roles: accounts (a login role mapped to a person) and, on PostgreSQL, the grants and row policies
of the four roles (administrator, officer, reviewer, analyst)

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-24 10:00:00.000000

The grants are made by portfolio/access_grants.apply from the tables the database holds at this point;
a later migration that adds a table calls apply() again at its end. The four group roles belong to the
whole server and are shared by every portfolio on it, so the downgrade leaves them in place.
"""
from alembic import op
import sqlalchemy as sa

from genesis_desktop.portfolio import access_grants


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account',
    sa.Column('role_name', sa.String(length=63), nullable=False),
    sa.Column('kind', sa.Enum('administrator', 'officer', 'analyst', 'reviewer', name='role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=63), nullable=False),
    sa.CheckConstraint("(kind = 'reviewer') = (reviewer_id IS NOT NULL)", name=op.f('ck_account_reviewer_linked')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name=op.f('fk_account_reviewer_id_reviewer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('role_name', name=op.f('pk_account')),
    sa.UniqueConstraint('reviewer_id', name=op.f('uq_account_reviewer_id'))
    )
    access_grants.apply(op.get_bind())  # PostgreSQL only; nothing on SQLite


def downgrade() -> None:
    access_grants.remove(op.get_bind())
    op.drop_table('account')
