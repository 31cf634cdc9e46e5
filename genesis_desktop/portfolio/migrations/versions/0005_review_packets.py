"""review packets: a reviewer's offline packet as issued, with its digest, the reviews it left with, and its import

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_packet',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=200), nullable=False),
    sa.Column('digest', sa.String(length=80), nullable=False),
    sa.Column('synced', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.Column('imported_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('length(issued_by) > 0', name=op.f('ck_review_packet_issuer_named')),
    sa.CheckConstraint('(imported_at IS NULL) = (imported_by IS NULL)', name=op.f('ck_review_packet_import_recorded_whole')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name=op.f('fk_review_packet_reviewer_id_reviewer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_packet'))
    )
    with op.batch_alter_table('review_packet', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_packet_reviewer_id'), ['reviewer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_packet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_packet_reviewer_id'))

    op.drop_table('review_packet')
