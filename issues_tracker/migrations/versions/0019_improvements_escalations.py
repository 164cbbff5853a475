"""the improvement programme (its actions and their updates, the improvement pipeline, its
history and followers) and escalations with their history

Revision ID: 0019_improvements_escalations
Revises: 0018_api_webhooks
Create Date: 2026-12-05 22:30:12.223600

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_improvements_escalations'
down_revision = '0018_api_webhooks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('improvement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('expected_benefit', sa.Text(), nullable=False),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('phase', sa.SmallInteger(), nullable=True),
    sa.Column('value_score', sa.SmallInteger(), nullable=True),
    sa.Column('effort_score', sa.SmallInteger(), nullable=True),
    sa.Column('owner_name', sa.String(length=120), nullable=False),
    sa.Column('triage_note', sa.Text(), nullable=False),
    sa.Column('benefit_measured', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(
        ['organisation_id'], ['organisation.id'],
        name=op.f('fk_improvement_organisation_id_organisation'),
    ),
    sa.ForeignKeyConstraint(
        ['proposer_id'], ['user_account.id'],
        name=op.f('fk_improvement_proposer_id_user_account'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement'))
    )
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_improvement_state', ['state', 'organisation_id'], unique=False)

    op.create_table('improvement_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(
        ['improvement_id'], ['improvement.id'],
        name=op.f('fk_improvement_event_improvement_id_improvement'), ondelete='CASCADE',
    ),
    sa.ForeignKeyConstraint(
        ['user_id'], ['user_account.id'],
        name=op.f('fk_improvement_event_user_id_user_account'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_event'))
    )
    with op.batch_alter_table('improvement_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_event_improvement_id'), ['improvement_id'], unique=False)

    op.create_table('improvement_follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(
        ['improvement_id'], ['improvement.id'],
        name=op.f('fk_improvement_follower_improvement_id_improvement'), ondelete='CASCADE',
    ),
    sa.ForeignKeyConstraint(
        ['user_id'], ['user_account.id'],
        name=op.f('fk_improvement_follower_user_id_user_account'), ondelete='CASCADE',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_follower')),
    sa.UniqueConstraint('improvement_id', 'user_id', name='uq_improvement_follower')
    )
    with op.batch_alter_table('improvement_follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_follower_improvement_id'), ['improvement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_follower_user_id'), ['user_id'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('route', sa.String(length=20), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('blocking_party', sa.String(length=200), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('response_due_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(
        ['acknowledged_by_id'], ['user_account.id'],
        name=op.f('fk_escalation_acknowledged_by_id_user_account'), ondelete='SET NULL',
    ),
    sa.ForeignKeyConstraint(['issue_id'], ['issue.id'], name=op.f('fk_escalation_issue_id_issue'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(
        ['organisation_id'], ['organisation.id'],
        name=op.f('fk_escalation_organisation_id_organisation'),
    ),
    sa.ForeignKeyConstraint(
        ['raised_by_id'], ['user_account.id'],
        name=op.f('fk_escalation_raised_by_id_user_account'), ondelete='SET NULL',
    ),
    sa.ForeignKeyConstraint(
        ['record_id'], ['servicedesk_record.id'],
        name=op.f('fk_escalation_record_id_servicedesk_record'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation'))
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index('ix_escalation_org_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_reference'), ['reference'], unique=False)
        batch_op.create_index('ix_escalation_status', ['status', 'created_at'], unique=False)

    op.create_table('escalation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(
        ['escalation_id'], ['escalation.id'],
        name=op.f('fk_escalation_event_escalation_id_escalation'), ondelete='CASCADE',
    ),
    sa.ForeignKeyConstraint(
        ['user_id'], ['user_account.id'],
        name=op.f('fk_escalation_event_user_id_user_account'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_event'))
    )
    with op.batch_alter_table('escalation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_event_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('improvement_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('issue_id', sa.Integer(), nullable=True),
    sa.Column('record_number', sa.String(length=20), nullable=False),
    sa.Column('pir_action_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(
        ['issue_id'], ['issue.id'],
        name=op.f('fk_improvement_action_issue_id_issue'), ondelete='SET NULL',
    ),
    sa.ForeignKeyConstraint(
        ['pir_action_id'], ['pir_action.id'],
        name=op.f('fk_improvement_action_pir_action_id_pir_action'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_action')),
    sa.UniqueConstraint('code', name=op.f('uq_improvement_action_code'))
    )
    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_action_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_improvement_action_theme'), ['theme'], unique=False)

    op.create_table('improvement_action_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('old_status', sa.String(length=20), nullable=False),
    sa.Column('new_status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(
        ['action_id'], ['improvement_action.id'],
        name=op.f('fk_improvement_action_update_action_id_improvement_action'), ondelete='CASCADE',
    ),
    sa.ForeignKeyConstraint(
        ['user_id'], ['user_account.id'],
        name=op.f('fk_improvement_action_update_user_id_user_account'), ondelete='SET NULL',
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_action_update'))
    )
    with op.batch_alter_table('improvement_action_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_improvement_action_update_action_id'), ['action_id'], unique=False)



def downgrade():
    with op.batch_alter_table('improvement_action_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_action_update_action_id'))

    op.drop_table('improvement_action_update')
    with op.batch_alter_table('improvement_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_action_theme'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_status'))
        batch_op.drop_index(batch_op.f('ix_improvement_action_issue_id'))

    op.drop_table('improvement_action')
    with op.batch_alter_table('escalation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_event_escalation_id'))

    op.drop_table('escalation_event')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_status')
        batch_op.drop_index(batch_op.f('ix_escalation_reference'))
        batch_op.drop_index('ix_escalation_org_status')
        batch_op.drop_index(batch_op.f('ix_escalation_issue_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('improvement_follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_follower_user_id'))
        batch_op.drop_index(batch_op.f('ix_improvement_follower_improvement_id'))

    op.drop_table('improvement_follower')
    with op.batch_alter_table('improvement_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_improvement_event_improvement_id'))

    op.drop_table('improvement_event')
    with op.batch_alter_table('improvement', schema=None) as batch_op:
        batch_op.drop_index('ix_improvement_state')
        batch_op.drop_index(batch_op.f('ix_improvement_organisation_id'))

    op.drop_table('improvement')
