"""reviewers and reviews

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:57:07.930282
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reviewer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('expertise', sa.JSON(), nullable=False),
    sa.Column('partner_ties', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_reviewer_institution_id_institution'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviewer')),
    sa.UniqueConstraint('email', name=op.f('uq_reviewer_email'))
    )
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviewer_institution_id'), ['institution_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', name='reviewstate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_review_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['reviewer.id'], name=op.f('fk_review_reviewer_id_reviewer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('proposal_id', 'reviewer_id', name='uq_review_one_per_reviewer')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_reviewer_id'), ['reviewer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_reviewer_id'))
        batch_op.drop_index(batch_op.f('ix_review_proposal_id'))

    op.drop_table('review')
    with op.batch_alter_table('reviewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviewer_institution_id'))

    op.drop_table('reviewer')
