"""compute jobs: their state changes, telemetry and block results

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:41:41.938786
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kernel', sa.String(length=100), nullable=False),
    sa.Column('kernel_version', sa.String(length=40), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('new', 'queued', 'running', 'completed', 'failed', 'canceled', 'lost', name='jobstate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('backend', sa.String(length=100), nullable=False),
    sa.Column('requested_backend', sa.String(length=100), nullable=False),
    sa.Column('fallback_reason', sa.Text(), nullable=True),
    sa.Column('native_id', sa.String(length=200), nullable=True),
    sa.Column('owner_pid', sa.Integer(), nullable=True),
    sa.Column('owner_host', sa.String(length=255), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_requested_at', sa.DateTime(), nullable=True),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_state'), ['state'], unique=False)

    op.create_table('job_block',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('block', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kernel_version', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('run', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_block_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'block', name=op.f('pk_job_block'))
    )
    op.create_table('job_state_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('new', 'queued', 'running', 'completed', 'failed', 'canceled', 'lost', name='jobstate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_state_change_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_state_change'))
    )
    with op.batch_alter_table('job_state_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_state_change_job_id'), ['job_id'], unique=False)

    op.create_table('job_telemetry',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.Enum('state', 'progress', 'throughput', 'metric', 'estimate', 'resource', 'log', 'heartbeat', name='telemetrykind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_telemetry_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_job_telemetry'))
    )


def downgrade() -> None:
    op.drop_table('job_telemetry')
    with op.batch_alter_table('job_state_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_state_change_job_id'))

    op.drop_table('job_state_change')
    op.drop_table('job_block')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_state'))

    op.drop_table('job')
