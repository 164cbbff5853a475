"""service-desk records, their monthly sums, major-incident communications, PIR actions and meeting packs

Revision ID: 0007_servicedesk
Revises: 0004_perf
Create Date: 2026-12-01

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_servicedesk'
down_revision = '0006_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('servicedesk_month',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=10), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('work_kind', sa.String(length=20), nullable=False),
    sa.Column('work_kind_source', sa.String(length=20), nullable=False),
    sa.Column('raised', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('response_seconds', sa.BigInteger(), nullable=False),
    sa.Column('response_measured', sa.Integer(), nullable=False),
    sa.Column('response_met', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('resolution_seconds', sa.BigInteger(), nullable=False),
    sa.Column('resolution_measured', sa.Integer(), nullable=False),
    sa.Column('resolution_met', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicedesk_month')),
    sa.UniqueConstraint('month', 'record_type', 'priority', 'product', 'work_kind', 'work_kind_source', name='uq_servicedesk_month_key')
    )
    with op.batch_alter_table('servicedesk_month', schema=None) as batch_op:
        batch_op.create_index('ix_servicedesk_month_totals', ['month', 'record_type', 'priority', 'product', 'raised', 'resolved'], unique=False)

    op.create_table('meeting_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.SmallInteger(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('contents_digest', sa.String(length=64), nullable=False),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_pack_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_pack')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_meeting_pack_meeting_id'))
    )
    op.create_table('servicedesk_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_servicedesk_import_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicedesk_import'))
    )
    op.create_table('servicedesk_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('state', sa.String(length=60), nullable=False),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('short_description', sa.String(length=500), nullable=False),
    sa.Column('assignment_group', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('incident_number', sa.String(length=20), nullable=False),
    sa.Column('aged_reason', sa.String(length=200), nullable=False),
    sa.Column('aged_reason_detail', sa.Text(), nullable=False),
    sa.Column('major_incident', sa.Boolean(), nullable=False),
    sa.Column('mi_portal_banner_at', sa.DateTime(), nullable=True),
    sa.Column('mi_email_at', sa.DateTime(), nullable=True),
    sa.Column('industry_circular_at', sa.DateTime(), nullable=True),
    sa.Column('pir_published_on', sa.Date(), nullable=True),
    sa.Column('opened_month', sa.Integer(), nullable=False),
    sa.Column('resolved_month', sa.Integer(), nullable=True),
    sa.Column('response_seconds', sa.Integer(), nullable=True),
    sa.Column('resolution_seconds', sa.Integer(), nullable=True),
    sa.Column('response_clock_seconds', sa.Integer(), nullable=True),
    sa.Column('resolution_clock_seconds', sa.Integer(), nullable=True),
    sa.Column('response_met', sa.Boolean(), nullable=True),
    sa.Column('resolution_met', sa.Boolean(), nullable=True),
    sa.Column('work_kind', sa.String(length=20), nullable=False),
    sa.Column('work_kind_source', sa.String(length=20), nullable=False),
    sa.Column('mi_review', sa.Boolean(), nullable=False),
    sa.Column('source_digest', sa.String(length=40), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('mi_updated_by_id', sa.Integer(), nullable=True),
    sa.Column('mi_updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['servicedesk_import.id'], name=op.f('fk_servicedesk_record_import_id_servicedesk_import')),
    sa.ForeignKeyConstraint(['mi_updated_by_id'], ['user_account.id'], name=op.f('fk_servicedesk_record_mi_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servicedesk_record')),
    sa.UniqueConstraint('number', name=op.f('uq_servicedesk_record_number'))
    )
    with op.batch_alter_table('servicedesk_record', schema=None) as batch_op:
        batch_op.create_index('ix_servicedesk_record_aged', ['record_type', 'closed_at', 'opened_at'], unique=False)
        batch_op.create_index('ix_servicedesk_record_mi_review', ['mi_review', 'opened_month'], unique=False)
        batch_op.create_index('ix_servicedesk_record_opened', ['record_type', 'opened_month'], unique=False)
        batch_op.create_index('ix_servicedesk_record_resolved', ['record_type', 'resolved_month'], unique=False)
        batch_op.create_index(batch_op.f('ix_servicedesk_record_mi_updated_at'), ['mi_updated_at'], unique=False)

    op.create_table('major_incident_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['servicedesk_record.id'], name=op.f('fk_major_incident_update_record_id_servicedesk_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_major_incident_update_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_major_incident_update'))
    )
    with op.batch_alter_table('major_incident_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_major_incident_update_record_id'), ['record_id'], unique=False)

    op.create_table('pir_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_name', sa.String(length=120), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_pir_action_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['record_id'], ['servicedesk_record.id'], name=op.f('fk_pir_action_record_id_servicedesk_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pir_action'))
    )
    with op.batch_alter_table('pir_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pir_action_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pir_action_status'), ['status'], unique=False)

    op.create_table('pir_action_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['pir_action.id'], name=op.f('fk_pir_action_update_action_id_pir_action'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_pir_action_update_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pir_action_update'))
    )
    with op.batch_alter_table('pir_action_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pir_action_update_action_id'), ['action_id'], unique=False)



def downgrade():
    with op.batch_alter_table('pir_action_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pir_action_update_action_id'))

    op.drop_table('pir_action_update')
    with op.batch_alter_table('pir_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pir_action_status'))
        batch_op.drop_index(batch_op.f('ix_pir_action_record_id'))

    op.drop_table('pir_action')
    with op.batch_alter_table('major_incident_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_major_incident_update_record_id'))

    op.drop_table('major_incident_update')
    with op.batch_alter_table('servicedesk_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_servicedesk_record_mi_updated_at'))
        batch_op.drop_index('ix_servicedesk_record_resolved')
        batch_op.drop_index('ix_servicedesk_record_opened')
        batch_op.drop_index('ix_servicedesk_record_mi_review')
        batch_op.drop_index('ix_servicedesk_record_aged')

    op.drop_table('servicedesk_record')
    op.drop_table('servicedesk_import')
    op.drop_table('meeting_pack')
    with op.batch_alter_table('servicedesk_month', schema=None) as batch_op:
        batch_op.drop_index('ix_servicedesk_month_totals')

    op.drop_table('servicedesk_month')
