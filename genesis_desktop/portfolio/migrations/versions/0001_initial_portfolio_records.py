"""initial portfolio records

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 10:57:07.719440
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.CheckConstraint('base <> quote', name=op.f('ck_exchange_rate_distinct_pair')),
    sa.CheckConstraint('length(base) = 3 AND upper(base) = base', name=op.f('ck_exchange_rate_base_iso4217')),
    sa.CheckConstraint('length(quote) = 3 AND upper(quote) = quote', name=op.f('ck_exchange_rate_quote_iso4217')),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rate_rate_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rate')),
    sa.UniqueConstraint('base', 'quote', 'on', name='uq_exchange_rate_pair_day')
    )
    op.create_table('institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('national_lab', 'university', 'company', 'agency', 'foreign_institute', 'nonprofit', name='institutionkind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.CheckConstraint('length(country) = 2 AND upper(country) = country', name=op.f('ck_institution_country_iso3166')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution')),
    sa.UniqueConstraint('code', name=op.f('uq_institution_code'))
    )
    op.create_table('programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('launched_on', sa.Date(), nullable=True),
    sa.Column('fiscal_calendar', sa.String(length=3), nullable=False),
    sa.Column('reporting_currency', sa.String(length=3), nullable=False),
    sa.CheckConstraint('length(reporting_currency) = 3 AND upper(reporting_currency) = reporting_currency', name=op.f('ck_programme_reporting_currency_iso4217')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme')),
    sa.UniqueConstraint('code', name=op.f('uq_programme_code'))
    )
    op.create_table('call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('total_budget_minor', sa.BigInteger(), nullable=False),
    sa.Column('opens_on', sa.Date(), nullable=True),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('topic_areas', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint('closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on', name=op.f('ck_call_dates_in_order')),
    sa.CheckConstraint('length(currency) = 3 AND upper(currency) = currency', name=op.f('ck_call_currency_iso4217')),
    sa.CheckConstraint('total_budget_minor >= 0', name=op.f('ck_call_total_budget_minor_non_negative')),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_call_programme_id_programme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call')),
    sa.UniqueConstraint('number', name=op.f('uq_call_number'))
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_programme_id'), ['programme_id'], unique=False)

    op.create_table('challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('area', sa.String(length=80), nullable=False),
    sa.Column('lead_institution_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target_outcomes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'active', 'paused', 'closed', name='challengestatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('official', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.CheckConstraint('length(code) > 0 AND length(title) > 0', name=op.f('ck_challenge_code_title_present')),
    sa.ForeignKeyConstraint(['lead_institution_id'], ['institution.id'], name=op.f('fk_challenge_lead_institution_id_institution'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_challenge_programme_id_programme'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge')),
    sa.UniqueConstraint('code', name=op.f('uq_challenge_code'))
    )
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_area'), ['area'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_lead_institution_id'), ['lead_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenge_programme_id'), ['programme_id'], unique=False)

    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('country', 'agency', 'company', 'national_lab', 'consortium', name='partnerkind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('fiscal_calendar', sa.String(length=3), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('agreement', sa.String(length=200), nullable=False),
    sa.CheckConstraint("fiscal_calendar IN ('US', 'JP', 'CAL')", name=op.f('ck_partner_known_calendar')),
    sa.CheckConstraint('length(country) = 2 AND upper(country) = country', name=op.f('ck_partner_country_iso3166')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_partner_institution_id_institution'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('code', name=op.f('uq_partner_code'))
    )
    op.create_table('call_phase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('award_floor_minor', sa.BigInteger(), nullable=False),
    sa.Column('award_ceiling_minor', sa.BigInteger(), nullable=False),
    sa.Column('ceiling_per_year', sa.Boolean(), nullable=False),
    sa.Column('duration_months', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('budget_period_start', sa.Date(), nullable=True),
    sa.Column('budget_period_end', sa.Date(), nullable=True),
    sa.CheckConstraint('award_ceiling_minor >= award_floor_minor', name=op.f('ck_call_phase_ceiling_above_floor')),
    sa.CheckConstraint('award_floor_minor >= 0', name=op.f('ck_call_phase_award_floor_minor_non_negative')),
    sa.CheckConstraint('duration_months > 0', name=op.f('ck_call_phase_duration_positive')),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_call_phase_call_id_call'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_phase')),
    sa.UniqueConstraint('call_id', 'phase', name='uq_call_phase_call_phase')
    )
    with op.batch_alter_table('call_phase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_phase_call_id'), ['call_id'], unique=False)

    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.Enum('pledged', 'obligated', 'disbursed', 'cancelled', name='commitmentstate', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('funds', sa.JSON(), nullable=False),
    sa.Column('pledged_on', sa.Date(), nullable=False),
    sa.Column('obligated_on', sa.Date(), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint('disbursed_on IS NULL OR obligated_on IS NOT NULL', name=op.f('ck_commitment_disbursed_after_obligated')),
    sa.CheckConstraint('length(currency) = 3 AND upper(currency) = currency', name=op.f('ck_commitment_currency_iso4217')),
    sa.CheckConstraint('obligated_on IS NULL OR obligated_on >= pledged_on', name=op.f('ck_commitment_obligated_after_pledge')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_commitment_partner_id_partner'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment')),
    sa.UniqueConstraint('code', name=op.f('uq_commitment_code'))
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_partner_id'), ['partner_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('abstract', sa.Text(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('lead_institution_id', sa.Integer(), nullable=False),
    sa.Column('principal_investigator', sa.String(length=200), nullable=False),
    sa.Column('pi_email', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('requested_gpu_hours', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'under_review', 'recommended', 'awarded', 'declined', 'withdrawn', name='proposalstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.CheckConstraint('length(currency) = 3 AND upper(currency) = currency', name=op.f('ck_proposal_currency_iso4217')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_proposal_title_present')),
    sa.CheckConstraint('requested_gpu_hours >= 0', name=op.f('ck_proposal_requested_gpu_hours_non_negative')),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_proposal_call_id_call'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['lead_institution_id'], ['institution.id'], name=op.f('fk_proposal_lead_institution_id_institution'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal')),
    sa.UniqueConstraint('code', name=op.f('uq_proposal_code'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_lead_institution_id'), ['lead_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_phase'), ['phase'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_status'), ['status'], unique=False)

    op.create_table('commitment_year',
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('pledged_minor', sa.BigInteger(), nullable=False),
    sa.Column('obligated_minor', sa.BigInteger(), nullable=False),
    sa.Column('disbursed_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('disbursed_minor <= obligated_minor', name=op.f('ck_commitment_year_disbursed_within_obligation')),
    sa.CheckConstraint('disbursed_minor >= 0', name=op.f('ck_commitment_year_disbursed_minor_non_negative')),
    sa.CheckConstraint('obligated_minor <= pledged_minor', name=op.f('ck_commitment_year_obligated_within_pledge')),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], name=op.f('fk_commitment_year_commitment_id_commitment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('commitment_id', 'fiscal_year', name=op.f('pk_commitment_year'))
    )
    op.create_table('proposal_budget',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_proposal_budget_amount_minor_non_negative')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_budget_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'fiscal_year', name=op.f('pk_proposal_budget'))
    )
    op.create_table('proposal_challenge',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_proposal_challenge_challenge_id_challenge'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_challenge_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'challenge_id', name=op.f('pk_proposal_challenge'))
    )
    with op.batch_alter_table('proposal_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_challenge_challenge_id'), ['challenge_id'], unique=False)

    op.create_table('proposal_institution',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_proposal_institution_institution_id_institution'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_institution_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'institution_id', name=op.f('pk_proposal_institution'))
    )
    with op.batch_alter_table('proposal_institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_institution_institution_id'), ['institution_id'], unique=False)

    op.create_table('proposal_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'under_review', 'recommended', 'awarded', 'declined', 'withdrawn', name='proposalstatus', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_status_change_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_status_change')),
    sa.UniqueConstraint('proposal_id', 'changed_at', 'status', name='uq_status_change_once')
    )
    with op.batch_alter_table('proposal_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_status_change_proposal_id'), ['proposal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposal_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_status_change_proposal_id'))

    op.drop_table('proposal_status_change')
    with op.batch_alter_table('proposal_institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_institution_institution_id'))

    op.drop_table('proposal_institution')
    with op.batch_alter_table('proposal_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_challenge_challenge_id'))

    op.drop_table('proposal_challenge')
    op.drop_table('proposal_budget')
    op.drop_table('commitment_year')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_status'))
        batch_op.drop_index(batch_op.f('ix_proposal_phase'))
        batch_op.drop_index(batch_op.f('ix_proposal_lead_institution_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_call_id'))

    op.drop_table('proposal')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_partner_id'))

    op.drop_table('commitment')
    with op.batch_alter_table('call_phase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_phase_call_id'))

    op.drop_table('call_phase')
    op.drop_table('partner')
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_programme_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_lead_institution_id'))
        batch_op.drop_index(batch_op.f('ix_challenge_area'))

    op.drop_table('challenge')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_programme_id'))

    op.drop_table('call')
    op.drop_table('programme')
    op.drop_table('institution')
    op.drop_table('exchange_rate')
