"""indexes for the issues list's sort orders and status filters

Revision ID: 0004_perf
Revises: 0001
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_perf"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_status_updated")
        batch_op.create_index(
            "ix_issue_status_updated", ["status", "last_update_at", "id", "triage_state", "organisation_id"], unique=False
        )
        batch_op.create_index(
            "ix_issue_sort_updated", ["last_update_at", "id", "triage_state", "organisation_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_issue_sort_created", ["created_at", "id", "triage_state", "organisation_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_issue_sort_severity",
            ["severity", sa.text("last_update_at DESC"), sa.text("id DESC"), "triage_state", "organisation_id", "status"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("issue", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_sort_severity")
        batch_op.drop_index("ix_issue_sort_created")
        batch_op.drop_index("ix_issue_sort_updated")
        batch_op.drop_index("ix_issue_status_updated")
        batch_op.create_index("ix_issue_status_updated", ["status", "last_update_at"], unique=False)
